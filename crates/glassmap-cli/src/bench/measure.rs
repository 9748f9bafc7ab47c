//! One measurement: every sample of one map on one workload at one size, taken in this process or, by default,
//! in a child process of its own (`glassmap measure`, a hidden subcommand that runs [`measure_here`] and prints
//! the result as JSON).
//!
//! Why a process per measurement: the allocator's state is the process's. glibc raises its mmap and trim
//! thresholds to the largest mapped block anyone freed, so a map that runs after another one gets its arrays
//! from a heap the first one shaped (kept resident, or trimmed and faulted in again on every fill), and the
//! order of the maps moved the insert rows by up to 2x (ARCHITECTURE.md, "Performance findings", session 8).
//! In a fresh process every map starts from the heap a user's program would give it. `--in-process` keeps the
//! old way, for profiling one process.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::input::Input;
use super::registry::{MapEntry, Settings};
use super::report::LatencyRow;
use super::workloads::{Outcome, Workload};
use super::{WARMUP, interrupted, parse_map, parse_workload};
use crate::error::{EXIT_INTERRUPTED, Error};
use crate::hashers::HasherChoice;
use crate::keys::{parse_n, parse_seed};

/// What one measurement gave.
#[derive(Debug, Serialize, Deserialize)]
pub enum Measured {
    /// Nanoseconds per operation of each timed sample, in run order (warm-up samples dropped).
    Throughput(Vec<f64>),
    /// The latency run.
    Latency(LatencyRow),
}

/// Runs `samples` samples of `workload` on `map` over `input` (the first [`WARMUP`] untimed, unless it is the
/// latency run, which is one sample), checking every result.
pub fn measure_here(
    map: &dyn MapEntry,
    workload: Workload,
    input: &Input,
    settings: &Settings,
) -> Result<Measured, Error> {
    let mut timed = Vec::new();
    for sample in 0..samples(workload, settings) {
        if interrupted() {
            return Err(Error::Interrupted);
        }
        match map.run(workload, input, settings)? {
            Outcome::Throughput { checksum, .. }
                if Some(checksum) != workload.expected_checksum(input) =>
            {
                return Err(Error::WrongResult(format!(
                    "{} computed a wrong result in {} at n = {} (checksum {checksum}, expected {:?})",
                    map.name(),
                    workload.name(),
                    input.n,
                    workload.expected_checksum(input)
                )));
            }
            Outcome::Throughput { ns_per_op, .. } if sample >= WARMUP => timed.push(ns_per_op),
            Outcome::Throughput { .. } => {}
            Outcome::Latency(run) => {
                return Ok(Measured::Latency(LatencyRow::new(
                    map.name(),
                    input.n,
                    &run,
                )));
            }
        }
    }
    Ok(Measured::Throughput(timed))
}

/// Samples one measurement of `workload` takes, warm-up included.
pub fn samples(workload: Workload, settings: &Settings) -> usize {
    if workload.is_latency() {
        1
    } else {
        WARMUP + settings.reps
    }
}

/// Runs the measurement in a child process (this program's `measure` subcommand) and returns what it printed.
/// After Ctrl-C the child is killed and the result is [`Error::Interrupted`].
pub fn measure_in_child(
    map: &dyn MapEntry,
    workload: Workload,
    n: usize,
    settings: &Settings,
) -> Result<Measured, Error> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::Measurement(format!("cannot find this program to rerun it: {e}")))?;
    let mut child = Command::new(exe)
        .args([
            "measure",
            "--map",
            map.name(),
            "--workload",
            workload.name(),
        ])
        .args(["--n", &n.to_string(), "--reps", &settings.reps.to_string()])
        .args(["--hasher", settings.hasher.name()])
        .args(["--seed", &settings.seed.to_string()])
        .args(["--min-ops", &settings.min_ops.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Measurement(format!("cannot start a measurement process: {e}")))?;
    // Read both pipes beside the wait, so a child that writes more than a pipe holds cannot block.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = loop {
        if interrupted() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::Interrupted);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                return Err(Error::Measurement(format!(
                    "cannot wait for a measurement process: {e}"
                )));
            }
        }
    };
    let (stdout, stderr) = (
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    );
    let what = format!("{} {} at n = {n}", map.name(), workload.name());
    match status.code() {
        Some(0) => serde_json::from_str(&stdout).map_err(|e| {
            Error::Measurement(format!("the measurement of {what} printed no result: {e}"))
        }),
        Some(code) if code == i32::from(EXIT_INTERRUPTED) => Err(Error::Interrupted),
        _ => {
            // The child's own one-line message, without its "error: " prefix.
            let reason = stderr
                .lines()
                .last()
                .unwrap_or("")
                .trim_start_matches("error: ");
            Err(Error::Measurement(format!(
                "the measurement of {what} failed ({status}): {reason}"
            )))
        }
    }
}

/// Reads `pipe` to its end on a thread of its own; the text it read (empty without a pipe).
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// Arguments of the hidden `measure` subcommand: one measurement, printed as JSON on stdout.
#[derive(clap::Args, Debug)]
pub struct MeasureArgs {
    /// Map to measure
    #[arg(long, value_parser = parse_map)]
    pub map: &'static dyn MapEntry,
    /// Workload to run
    #[arg(long, value_parser = parse_workload)]
    pub workload: Workload,
    /// Entries (for the latency run: inserts)
    #[arg(long, value_parser = parse_n)]
    pub n: usize,
    /// Timed samples (after the warm-up)
    #[arg(long)]
    pub reps: usize,
    /// Hasher
    #[arg(long, value_enum)]
    pub hasher: HasherChoice,
    /// Seed for the keys and the default hasher
    #[arg(long, value_parser = parse_seed)]
    pub seed: u64,
    /// Minimum operations per throughput sample
    #[arg(long, value_parser = parse_n)]
    pub min_ops: usize,
}

/// Runs the `measure` subcommand.
pub fn run(args: &MeasureArgs, out: &mut dyn Write) -> Result<(), Error> {
    let settings = Settings {
        hasher: args.hasher,
        seed: args.seed,
        min_ops: args.min_ops,
        reps: args.reps,
    };
    let input = Input::new(args.n, args.seed);
    let measured = measure_here(args.map, args.workload, &input, &settings)?;
    serde_json::to_writer(&mut *out, &measured).map_err(|e| Error::stdout(e.into()))?;
    writeln!(out).map_err(Error::stdout)
}
