//! `glassmap stress`: run recorded concurrent histories against each concurrent map and check them with
//! the linearizability checker (`glassmap-lincheck`).
//!
//! Each history starts from an empty map (so maps grow while it is recorded), releases `--threads` threads
//! together, and records every call with its invocation and response tickets ([`history`]). The history is
//! checked key by key as soon as it is recorded; histories are recorded until `--ops` operations or
//! `--seconds` have passed. The maps are adapted in [`subjects`]; one of them, `stale`, is a deliberately
//! broken control that the checker must catch.
//!
//! Exit status: 0 when every glassmap map passed and every control was caught; 1 when a map failed (its
//! smallest failing key history is printed) or a control was not caught; 2 for bad input; 130 after Ctrl-C
//! (the results so far are printed first).

mod history;
mod subjects;

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use glassmap_lincheck::{Register, check};
use indicatif::{ProgressBar, ProgressStyle};

use self::history::{Counters, Plan, record};
use self::subjects::{TARGETS, Target};
use crate::error::Error;
use crate::keys::{DEFAULT_SEED, parse_n, parse_seed};
use crate::units::thousands;

const EXAMPLES: &str = "\
Examples:
  glassmap stress                                # every map, 200k operations each
  glassmap stress --map all --seconds 30         # every map for 30 s each
  glassmap stress --map stale                    # what a ghost read looks like
  glassmap stress --map sharded --threads 4 --keys 8 --seed 0x2a   # replay one run

The stale control is expected to fail: the exit status is 1 only if a glassmap map fails or a control passes.";

/// Arguments of `glassmap stress`.
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct StressArgs {
    #[arg(long, value_delimiter = ',', value_parser = parse_target, default_value = "all", help = targets_help())]
    pub map: Vec<Selection>,

    /// Threads calling each map at once
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub threads: u16,

    /// Keys per history (few keys: calls on one key overlap; enough keys: the map grows)
    #[arg(long, value_parser = parse_n, default_value = "256")]
    pub keys: usize,

    /// Calls per thread in one history
    #[arg(long, value_parser = parse_n, default_value = "5000")]
    pub history: usize,

    /// Operations to record and check per map [default: 200k unless --seconds is given]
    #[arg(long, value_parser = parse_n, conflicts_with = "seconds")]
    pub ops: Option<usize>,

    /// Seconds to spend on each map instead of a number of operations
    #[arg(long, value_parser = parse_seconds)]
    pub seconds: Option<f64>,

    /// Seed for the calls and the maps' hashers (decimal or 0x hex): the same seed replays the same calls
    #[arg(long, value_parser = parse_seed, default_value = DEFAULT_SEED)]
    pub seed: u64,
}

/// A `--map` value: one target, or all of them.
#[derive(Clone, Copy, Debug)]
pub enum Selection {
    /// Every target.
    All,
    /// One target.
    One(&'static Target),
}

fn parse_target(s: &str) -> Result<Selection, String> {
    if s == "all" {
        return Ok(Selection::All);
    }
    TARGETS
        .iter()
        .find(|t| t.name == s)
        .map(Selection::One)
        .ok_or_else(|| {
            format!(
                "unknown map '{s}' (expected all or one of: {})",
                target_names()
            )
        })
}

fn target_names() -> String {
    TARGETS
        .iter()
        .map(|t| t.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn targets_help() -> String {
    let lines: Vec<_> = TARGETS
        .iter()
        .map(|t| format!("  {}: {}", t.name, t.about))
        .collect();
    format!(
        "Maps to check, comma-separated, or all [default: all]\n{}",
        lines.join("\n")
    )
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 86_400.0 => Ok(x),
        _ => Err(format!(
            "'{s}' is not a number of seconds between 0 and 86400"
        )),
    }
}

/// Operations per map when neither `--ops` nor `--seconds` is given.
const DEFAULT_OPS: usize = 200_000;

/// When to stop recording histories for one map.
#[derive(Clone, Copy, Debug)]
enum Budget {
    Operations(usize),
    Time(Duration),
}

/// What the run on one map found.
#[derive(Debug)]
struct Outcome {
    histories: u64,
    operations: u64,
    counters: Counters,
    /// The first failing history's report.
    violation: Option<String>,
    interrupted: bool,
}

static STOP: AtomicBool = AtomicBool::new(false);

/// Runs `glassmap stress`.
pub fn run(args: &StressArgs, out: &mut dyn Write) -> Result<(), Error> {
    let targets = selected(&args.map);
    if args.keys > (1 << 32) {
        return Err(Error::Input(format!(
            "--keys {} is too many: at most 2^32",
            args.keys
        )));
    }
    let budget = match (args.ops, args.seconds) {
        (_, Some(seconds)) => Budget::Time(Duration::from_secs_f64(seconds)),
        (ops, None) => Budget::Operations(ops.unwrap_or(DEFAULT_OPS)),
    };
    let plan = Plan {
        threads: usize::from(args.threads),
        keys: args.keys as u64,
        ops_per_thread: args.history,
        seed: args.seed,
    };
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed));
    let w = Error::stdout;
    writeln!(
        out,
        "glassmap stress: {} threads, {} keys, {} calls per thread per history, seed {:#x}",
        plan.threads,
        thousands(plan.keys),
        thousands(plan.ops_per_thread as u64),
        plan.seed
    )
    .map_err(w)?;
    writeln!(
        out,
        "{:<9} {:>9} {:>12} {:>9} {:>10}  verdict",
        "map", "histories", "operations", "growths", "promotions"
    )
    .map_err(w)?;
    let mut unexpected = Vec::new();
    for target in targets {
        let outcome = stress(target, plan, budget);
        let verdict = match (&outcome.violation, target.control) {
            (None, false) => "linearizable".to_owned(),
            (Some(_), false) => "NOT LINEARIZABLE".to_owned(),
            (Some(_), true) => "not linearizable, as expected of the control".to_owned(),
            (None, true) => "CONTROL NOT CAUGHT".to_owned(),
        };
        writeln!(
            out,
            "{:<9} {:>9} {:>12} {:>9} {:>10}  {verdict}{}",
            target.name,
            thousands(outcome.histories),
            thousands(outcome.operations),
            thousands(outcome.counters.growths),
            thousands(outcome.counters.promotions),
            if outcome.interrupted {
                " (interrupted)"
            } else {
                ""
            }
        )
        .map_err(w)?;
        if let Some(report) = &outcome.violation {
            writeln!(
                out,
                "\n{}: the smallest failing key history of the first failing run:",
                target.name
            )
            .map_err(w)?;
            writeln!(out, "{report}").map_err(w)?;
        }
        if outcome.interrupted {
            return Err(Error::Interrupted);
        }
        if outcome.violation.is_some() != target.control {
            unexpected.push(target.name);
        }
    }
    if unexpected.is_empty() {
        Ok(())
    } else {
        Err(Error::WrongResult(format!(
            "unexpected verdict for: {}",
            unexpected.join(", ")
        )))
    }
}

/// The targets named, in registry order, each once.
fn selected(selections: &[Selection]) -> Vec<&'static Target> {
    TARGETS
        .iter()
        .filter(|t| {
            selections.iter().any(|s| match s {
                Selection::All => true,
                Selection::One(one) => one.name == t.name,
            })
        })
        .collect()
}

/// Records and checks histories on fresh maps of `target` until the budget is spent or one fails.
fn stress(target: &Target, plan: Plan, budget: Budget) -> Outcome {
    let progress = progress_bar(target.name);
    let started = Instant::now();
    let mut outcome = Outcome {
        histories: 0,
        operations: 0,
        counters: Counters::default(),
        violation: None,
        interrupted: false,
    };
    loop {
        let done = match budget {
            Budget::Operations(ops) => outcome.operations >= ops as u64,
            Budget::Time(limit) => started.elapsed() >= limit,
        };
        if done {
            break;
        }
        if STOP.load(Ordering::Relaxed) {
            outcome.interrupted = true;
            break;
        }
        let history_plan = Plan {
            seed: plan.seed.wrapping_add(outcome.histories),
            ..plan
        };
        let subject = (target.fresh)(history_plan.seed);
        let log = record(subject.as_ref(), &history_plan);
        outcome.counters += subject.counters();
        outcome.histories += 1;
        outcome.operations += log.len() as u64;
        if let Err(violation) = check(&Register::new(), &log) {
            outcome.violation = Some(violation.to_string());
            break;
        }
        let seconds = started.elapsed().as_secs_f64().max(1e-9);
        progress.set_message(format!(
            "{}: {} operations checked ({}/s)",
            target.name,
            thousands(outcome.operations),
            thousands((outcome.operations as f64 / seconds) as u64)
        ));
    }
    progress.finish_and_clear();
    outcome
}

/// A spinner on stderr with the operations checked per second, hidden when stdout is not a terminal.
fn progress_bar(name: &str) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner()
        .with_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                .expect("static template is valid"),
        )
        .with_message(name.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
