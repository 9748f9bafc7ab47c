//! The concurrent section of `glassmap bench`: bustle's mixes, TrueGrow and a skewed ReadHeavy on glassmap's
//! concurrent maps and their peers, at each thread count. The workloads and maps live in
//! `glassmap-workloads` (shared with the criterion benchmarks); this module plans the runs, takes two passes
//! per run (untimed for throughput, every operation timed for latency) and hands the rows to [`report`].

pub mod registry;
pub mod report;

use std::time::Duration;

use glassmap_workloads::concurrent::{Config, Mix};
use indicatif::ProgressBar;

use self::registry::ConcurrentEntry;
use self::report::{ConcurrentResults, ConcurrentRow, Skipped};
use crate::error::Error;
use crate::hashers::HasherChoice;

/// A pass still running after this long stops and counts what it did (a map that copies itself on every
/// write would otherwise hold the whole benchmark up).
const TIME_LIMIT: Duration = Duration::from_secs(10);

/// What the concurrent section runs.
#[derive(Clone, Debug)]
pub struct Section {
    /// Mixes, in report order.
    pub mixes: Vec<Mix>,
    /// Thread counts.
    pub threads: Vec<usize>,
    /// Capacity hint of the pre-sized mixes.
    pub capacity: usize,
    /// Timed operations per run, all threads together.
    pub operations: usize,
    /// Entries TrueGrow grows to.
    pub grow_to: usize,
}

impl Section {
    /// The short section the README's command runs beside the single-threaded one (well under a minute on
    /// two cores).
    pub fn short(threads: Vec<usize>) -> Self {
        Section {
            mixes: Mix::ALL.to_vec(),
            threads,
            capacity: 1 << 17,
            operations: 1 << 19,
            grow_to: 1 << 19,
        }
    }

    /// The full suite of `--concurrent` (about 9 minutes on two cores).
    pub fn full(threads: Vec<usize>) -> Self {
        Section {
            mixes: Mix::ALL.to_vec(),
            threads,
            capacity: 1 << 21,
            operations: 1 << 22,
            grow_to: 1 << 23,
        }
    }

    /// The runs, each with two passes.
    pub fn runs(&self, maps: &[&dyn ConcurrentEntry]) -> usize {
        self.mixes.len() * self.threads.len() * maps.len()
    }

    fn config(&self, mix: Mix, threads: usize, seed: u64, record_latency: bool) -> Config {
        let operations = if mix == Mix::TrueGrow {
            // 80 % inserts and 5 % removes: three quarters of the operations add an entry.
            self.grow_to * 4 / 3
        } else {
            self.operations
        };
        Config {
            mix,
            threads,
            capacity: self.capacity,
            operations,
            seed,
            record_latency,
            time_limit: TIME_LIMIT,
        }
    }
}

/// Runs `section` on `maps`; stops between runs once `interrupted` says so, keeping the rows measured. A map
/// whose length at the end of a run differs from what its operations imply is an error.
pub fn run(
    section: &Section,
    maps: &[&dyn ConcurrentEntry],
    hasher: HasherChoice,
    seed: u64,
    progress: &ProgressBar,
    interrupted: &dyn Fn() -> bool,
) -> Result<ConcurrentResults, Error> {
    let mut results = ConcurrentResults {
        capacity: section.capacity,
        operations: section.operations,
        grow_to: section.grow_to,
        threads: section.threads.clone(),
        rows: Vec::new(),
        skipped: Vec::new(),
    };
    'runs: for &mix in &section.mixes {
        for map in maps {
            if let Some(reason) = map.unsuited(mix) {
                results.skipped.push(Skipped {
                    map: map.name().to_owned(),
                    mix: mix.name().to_owned(),
                    reason: reason.to_owned(),
                });
                progress.inc(section.threads.len() as u64);
                continue;
            }
            for &threads in &section.threads {
                if interrupted() {
                    break 'runs;
                }
                progress.set_message(format!("{} {} {threads} threads", map.name(), mix.name()));
                let throughput = map.run(&section.config(mix, threads, seed, false), hasher, seed);
                let latency = map.run(&section.config(mix, threads, seed, true), hasher, seed);
                for pass in [&throughput, &latency] {
                    if pass.final_len != pass.expected_len {
                        return Err(Error::WrongResult(format!(
                            "{} holds {} entries after {} at {threads} threads; its operations leave {}",
                            map.name(),
                            pass.final_len,
                            mix.name(),
                            pass.expected_len
                        )));
                    }
                }
                results.rows.push(ConcurrentRow::new(
                    map.name(),
                    mix,
                    threads,
                    &throughput,
                    &latency,
                ));
                progress.inc(1);
            }
        }
    }
    results.fill_ratios();
    Ok(results)
}
