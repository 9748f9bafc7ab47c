//! The search: per key, Wing & Gong's linearization search with memoisation, run just in time.
//!
//! Events of one key are processed in ticket order. A *configuration* is a state of the model
//! plus the set of pending operations (invoked, not yet returned) already linearized in it. At an
//! invocation the operation joins the pending list. At the response of operation `r`, every
//! configuration that has not linearized `r` yet is extended by linearizing pending operations,
//! one at a time in every order the model accepts, until `r` is in; `r` then leaves the set. A
//! configuration that cannot linearize `r` dies; when none is left, no sequential order explains
//! what the callers saw, and the key's history is reported.
//!
//! Deferring the other pending operations until their own responses loses nothing: any order that
//! puts them after `r` is still reachable then. Configurations are deduplicated in a hash set,
//! which is the memo of (linearized set, state): each is explored once per response.

use core::fmt;
use core::hash::Hash;
use std::collections::{HashMap, HashSet};

use crate::history::Event;
use crate::model::Model;

/// What a successful check covered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Distinct keys in the history.
    pub keys: usize,
    /// Operations checked.
    pub operations: usize,
    /// The most configurations alive at once for one key (a measure of the search's work).
    pub peak_configurations: usize,
}

/// A key whose history no sequential order explains.
#[derive(Clone, Debug)]
pub struct Violation<K, O> {
    /// The key.
    pub key: K,
    /// Its whole history, sorted by invocation ticket ([`Violation::relevant`] cuts it at the failure).
    pub history: Vec<Event<K, O>>,
    /// Index into `history` of the operation whose response could not be explained: every
    /// order of the operations up to it contradicts some recorded result.
    pub failed_at: usize,
    /// How many keys failed in all (the reported one has the fewest calls up to its failure).
    pub failing_keys: usize,
}

/// Checks a whole history: splits it by key and checks each key with [`check_key`].
///
/// On failure returns the failing key with the fewest calls up to its failure (the easiest to read).
///
/// # Panics
/// If an event's `response` is not greater than its `invoke`, or two events share a ticket
/// (events not made by one [`Clock`](crate::Clock)).
pub fn check<K, M>(model: &M, events: &[Event<K, M::Op>]) -> Result<Summary, Violation<K, M::Op>>
where
    K: Clone + Eq + Hash,
    M: Model,
    M::Op: Clone,
{
    let mut by_key: HashMap<&K, Vec<&Event<K, M::Op>>> = HashMap::new();
    for event in events {
        by_key.entry(&event.key).or_default().push(event);
    }
    let mut summary = Summary {
        keys: by_key.len(),
        operations: events.len(),
        peak_configurations: 0,
    };
    let mut smallest: Option<Violation<K, M::Op>> = None;
    let mut failing_keys = 0;
    for (key, history) in by_key {
        let owned: Vec<Event<K, M::Op>> = history.into_iter().cloned().collect();
        match check_key(model, key.clone(), owned) {
            Ok(peak) => summary.peak_configurations = summary.peak_configurations.max(peak),
            Err(violation) => {
                failing_keys += 1;
                if smallest
                    .as_ref()
                    .is_none_or(|s| violation.relevant().len() < s.relevant().len())
                {
                    smallest = Some(violation);
                }
            }
        }
    }
    match smallest {
        None => Ok(summary),
        Some(violation) => Err(Violation {
            failing_keys,
            ..violation
        }),
    }
}

/// Checks the history of one key; returns the peak number of live configurations.
///
/// # Panics
/// As [`check`].
pub fn check_key<K, M: Model>(
    model: &M,
    key: K,
    mut history: Vec<Event<K, M::Op>>,
) -> Result<usize, Violation<K, M::Op>> {
    history.sort_by_key(|event| event.invoke);
    let mut moments: Vec<(u64, Moment)> = Vec::with_capacity(2 * history.len());
    for (index, event) in history.iter().enumerate() {
        assert!(
            event.invoke < event.response,
            "an event returned before it was invoked"
        );
        moments.push((event.invoke, Moment::Invoke(index)));
        moments.push((event.response, Moment::Respond(index)));
    }
    moments.sort_unstable_by_key(|&(ticket, _)| ticket);
    assert!(
        moments.windows(2).all(|w| w[0].0 < w[1].0),
        "two events share a ticket"
    );

    let mut pending: Vec<usize> = Vec::new();
    let mut live: HashSet<Configuration<M::State>> = HashSet::new();
    live.insert(Configuration {
        state: model.init(),
        linearized: Vec::new(),
    });
    let mut peak = 1;
    for (_, moment) in moments {
        match moment {
            Moment::Invoke(index) => pending.push(index),
            Moment::Respond(index) => {
                live = respond(model, &history, &pending, live, index);
                if live.is_empty() {
                    return Err(Violation {
                        key,
                        history,
                        failed_at: index,
                        failing_keys: 1,
                    });
                }
                pending.retain(|&p| p != index);
                peak = peak.max(live.len());
            }
        }
    }
    Ok(peak)
}

enum Moment {
    Invoke(usize),
    Respond(usize),
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Configuration<S> {
    state: S,
    /// Pending operations already linearized, sorted (so equal sets compare equal).
    linearized: Vec<usize>,
}

/// Every configuration reachable from `live` in which `responding` has taken effect, with it
/// removed from the linearized set.
fn respond<K, M: Model>(
    model: &M,
    history: &[Event<K, M::Op>],
    pending: &[usize],
    live: HashSet<Configuration<M::State>>,
    responding: usize,
) -> HashSet<Configuration<M::State>> {
    let mut done = HashSet::new();
    let mut seen: HashSet<Configuration<M::State>> = HashSet::new();
    let mut stack: Vec<Configuration<M::State>> = Vec::new();
    for configuration in live {
        if configuration.linearized.contains(&responding) {
            done.insert(without(configuration, responding));
        } else if seen.insert(configuration.clone()) {
            stack.push(configuration);
        }
    }
    while let Some(configuration) = stack.pop() {
        for &candidate in pending {
            if configuration.linearized.contains(&candidate) {
                continue;
            }
            let Some(state) = model.step(&configuration.state, &history[candidate].op) else {
                continue;
            };
            let mut linearized = configuration.linearized.clone();
            let at = linearized.partition_point(|&l| l < candidate);
            linearized.insert(at, candidate);
            let next = Configuration { state, linearized };
            if candidate == responding {
                done.insert(without(next, responding));
            } else if seen.insert(next.clone()) {
                stack.push(next);
            }
        }
    }
    done
}

fn without<S>(mut configuration: Configuration<S>, index: usize) -> Configuration<S> {
    configuration.linearized.retain(|&l| l != index);
    configuration
}

impl<K, O> Violation<K, O> {
    /// The calls that matter to the failure: those invoked before the failing call returned (the check
    /// is online, so nothing invoked later took part in it).
    pub fn relevant(&self) -> &[Event<K, O>] {
        let deadline = self.history[self.failed_at].response;
        let end = self
            .history
            .partition_point(|event| event.invoke < deadline);
        &self.history[..end]
    }
}

impl<K: fmt::Debug, O: fmt::Debug> fmt::Display for Violation<K, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let relevant = self.relevant();
        writeln!(
            f,
            "not linearizable: key {:?}, {} calls up to the failing one ({} failing key(s) in all)",
            self.key,
            relevant.len(),
            self.failing_keys
        )?;
        writeln!(
            f,
            "{:>8} {:>8} {:>6}  operation (with its result)",
            "invoke", "return", "thread"
        )?;
        for (index, event) in relevant.iter().enumerate() {
            let mark = if index == self.failed_at {
                "  <- no order explains this result"
            } else {
                ""
            };
            writeln!(
                f,
                "{:>8} {:>8} {:>6}  {:?}{mark}",
                event.invoke, event.response, event.thread, event.op
            )?;
        }
        let later = self.history.len() - relevant.len();
        if later > 0 {
            writeln!(f, "({later} later calls on this key not shown)")?;
        }
        Ok(())
    }
}

impl<K: fmt::Debug, O: fmt::Debug> std::error::Error for Violation<K, O> {}
