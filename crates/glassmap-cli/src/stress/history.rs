//! One recorded history: a fresh map, `threads` threads released together, each making `ops_per_thread`
//! random calls on a small key set, every call recorded with the shared ticket clock.

use std::sync::Barrier;

use glassmap_lincheck::{Clock, Event, RegisterOp};

use crate::keys::Rng;

/// A recorded history of calls on u64 keys and values.
pub type Log = Vec<Event<u64, RegisterOp<u64>>>;

/// The shape of every history of a run.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Threads calling the map at once.
    pub threads: usize,
    /// Keys are drawn from `0..keys`: few keys, so calls on one key overlap.
    pub keys: u64,
    /// Calls each thread makes.
    pub ops_per_thread: usize,
    /// Seed of this history (each thread derives its own).
    pub seed: u64,
}

/// Growth and promotion counts a map reports about itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Growths started (doublings and same-size growths of every shard or version).
    pub growths: u64,
    /// `SyncMap` promotions of the dirty map (other maps: none).
    pub promotions: u64,
}

impl std::ops::AddAssign for Counters {
    fn add_assign(&mut self, other: Counters) {
        self.growths += other.growths;
        self.promotions += other.promotions;
    }
}

/// A map under test, fresh for each history.
pub trait Subject: Sync {
    /// Makes thread `thread`'s calls and returns them, recorded with `clock`.
    fn run_thread(&self, thread: usize, plan: &Plan, clock: &Clock) -> Log;

    /// Growths and promotions so far.
    fn counters(&self) -> Counters;
}

/// What one thread draws for each call: a key, a value never written before in the run, and a die for the
/// kind of call.
pub struct Draw {
    /// The key, below `plan.keys`.
    pub key: u64,
    /// A value unique in the history: `(thread + 1) * 10^d + call`, 10^d above the calls per thread.
    pub value: u64,
    /// Uniform in `0..100`, for picking the kind of call.
    pub die: u32,
}

/// Thread `thread`'s draws for one history: `plan.ops_per_thread` of them, reproducible from the seed.
pub fn draws(thread: usize, plan: &Plan) -> impl Iterator<Item = Draw> {
    let mut rng = Rng::new(plan.seed ^ (thread as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    // Values read as thread and call number: 2000317 is thread 1's call 317.
    let stride = 10u64.pow(plan.ops_per_thread.max(1).ilog10() + 1);
    let keys = plan.keys;
    (0..plan.ops_per_thread).map(move |i| {
        let random = rng.next_u64();
        Draw {
            key: random % keys,
            value: (thread as u64 + 1) * stride + i as u64,
            die: (random >> 32) as u32 % 100,
        }
    })
}

/// Makes thread `thread`'s calls, each chosen by `call` from a [`Draw`] and recorded around the call; the
/// common body of [`Subject::run_thread`].
pub fn drive(
    thread: usize,
    plan: &Plan,
    clock: &Clock,
    mut call: impl FnMut(&Draw) -> RegisterOp<u64>,
) -> Log {
    draws(thread, plan)
        .map(|draw| clock.record(thread, draw.key, || call(&draw)))
        .collect()
}

/// Runs one history on `subject`: all threads start at a barrier; returns every thread's calls.
pub fn record(subject: &dyn Subject, plan: &Plan) -> Log {
    let clock = Clock::new();
    let start = Barrier::new(plan.threads);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..plan.threads)
            .map(|thread| {
                let (clock, start) = (&clock, &start);
                scope.spawn(move || {
                    start.wait();
                    subject.run_thread(thread, plan, clock)
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("a stress thread panicked"))
            .collect()
    })
}
