//! `glassmap bench`: single-threaded workloads on u64 -> u64, glassmap against its peers.
//!
//! Maps and workloads come from [`registry`]; this module only plans the runs, interleaves the maps so drift in machine speed hits them alike, and hands the results to [`report`].

pub mod input;
pub mod maps;
pub mod registry;
pub mod report;
pub mod workloads;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use self::input::Input;
use self::registry::{MAPS, MapEntry, Settings};
use self::report::{Config, LatencyRow, Results, ThroughputRow};
use self::workloads::{MIN_OPS_PER_SAMPLE, Outcome, Workload};
use crate::error::Error;
use crate::hashers::HasherChoice;
use crate::keys::{DEFAULT_SEED, parse_n, parse_seed};
use crate::machine::Machine;
use crate::report::ReportDir;

/// Untimed samples before the timed ones, per map and measurement.
const WARMUP: usize = 1;

const EXAMPLES: &str = "\
Examples:
  glassmap bench                          # n = 1000, 64k, 1M; latency to 8M; about a minute
  glassmap bench --sizes 1k,1M,8M --reps 7
  glassmap bench --maps glassmap,hashbrown --workloads insert,hit,latency
  glassmap bench --hasher sip --out sip-report
  glassmap bench --json > results.json

Writes <out>/results.json, results.csv, latency.png/.svg and throughput.png/.svg.
Build with --release (cargo run --release -- bench); debug numbers are meaningless.";

/// Arguments of `glassmap bench`.
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct BenchArgs {
    /// Map sizes for the throughput workloads, comma-separated (1000, 64k, 1M, ...)
    #[arg(long, value_delimiter = ',', value_parser = parse_n, default_value = "1000,64k,1M")]
    pub sizes: Vec<usize>,

    /// Inserts in the per-insert latency run, which grows each map from empty
    #[arg(long, value_parser = parse_n, default_value = "8M")]
    pub latency_n: usize,

    /// Timed samples per measurement; the median is reported
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub reps: u16,

    /// Hasher for every map
    #[arg(long, value_enum, default_value_t = HasherChoice::Default)]
    pub hasher: HasherChoice,

    #[arg(long, value_delimiter = ',', value_parser = parse_map, help = registry::maps_help())]
    pub maps: Vec<&'static dyn MapEntry>,

    #[arg(long, value_delimiter = ',', value_parser = parse_workload, help = registry::workloads_help())]
    pub workloads: Vec<Workload>,

    /// Minimum operations per throughput sample (small maps repeat their pass over the keys until they reach it)
    #[arg(long, value_parser = parse_n, default_value_t = MIN_OPS_PER_SAMPLE)]
    pub min_ops: usize,

    /// Seed for the keys and the default hasher (decimal or 0x hex)
    #[arg(long, value_parser = parse_seed, default_value = DEFAULT_SEED)]
    pub seed: u64,

    /// Report folder
    #[arg(long, default_value = ReportDir::DEFAULT)]
    pub out: PathBuf,

    /// Print the results as JSON on stdout instead of tables
    #[arg(long)]
    pub json: bool,
}

fn parse_map(s: &str) -> Result<&'static dyn MapEntry, String> {
    registry::find(s)
        .ok_or_else(|| format!("unknown map '{s}' (expected one of: {})", registry::names()))
}

fn parse_workload(s: &str) -> Result<Workload, String> {
    Workload::find(s).ok_or_else(|| {
        let names: Vec<_> = Workload::ALL.iter().map(|w| w.name()).collect();
        format!(
            "unknown workload '{s}' (expected one of: {})",
            names.join(", ")
        )
    })
}

/// Set by the Ctrl-C handler; runs stop at the next sample boundary and nothing is written.
static STOP: AtomicBool = AtomicBool::new(false);

/// True once the user pressed Ctrl-C.
pub(crate) fn interrupted() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Runs `glassmap bench`.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> Result<(), Error> {
    let maps: Vec<&dyn MapEntry> = if args.maps.is_empty() {
        MAPS.to_vec()
    } else {
        dedup(&args.maps)
    };
    let workloads: Vec<Workload> = if args.workloads.is_empty() {
        Workload::ALL.to_vec()
    } else {
        Workload::ALL
            .iter()
            .copied()
            .filter(|w| args.workloads.contains(w))
            .collect()
    };
    let mut sizes = args.sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    // Ctrl-C only sets a flag: measurements stop at the next boundary and the report is left untouched. If a
    // handler cannot be installed, Ctrl-C still kills the process before any report file is renamed into place.
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed));

    let mut jobs: Vec<(Workload, usize)> = Vec::new();
    for &n in &sizes {
        jobs.extend(
            workloads
                .iter()
                .filter(|w| !w.is_latency())
                .map(|&w| (w, n)),
        );
    }
    if workloads.contains(&Workload::Latency) {
        jobs.push((Workload::Latency, args.latency_n));
    }
    let reps = usize::from(args.reps);
    let samples_per_map = |w: Workload| if w.is_latency() { 1 } else { WARMUP + reps };
    let total: usize = jobs
        .iter()
        .map(|&(w, _)| samples_per_map(w) * maps.len())
        .sum();
    let progress = progress_bar(total as u64, args.json);

    let mut results = Results {
        tool: format!("glassmap bench {}", env!("CARGO_PKG_VERSION")),
        machine: Machine::detect(),
        config: Config {
            hasher: args.hasher.name().to_owned(),
            hasher_description: args.hasher.describe(args.seed),
            seed: args.seed,
            sizes: if workloads.iter().any(|w| !w.is_latency()) {
                sizes.clone()
            } else {
                Vec::new()
            },
            latency_n: if workloads.contains(&Workload::Latency) {
                args.latency_n
            } else {
                0
            },
            reps,
            warmup: WARMUP,
            min_ops_per_sample: args.min_ops,
            maps: maps.iter().map(|m| m.name().to_owned()).collect(),
            workloads: workloads.iter().map(|w| w.name().to_owned()).collect(),
            descriptions: maps
                .iter()
                .map(|m| (m.name(), m.about()))
                .chain(workloads.iter().map(|w| (w.name(), w.about())))
                .map(|(name, about)| (name.to_owned(), about.to_owned()))
                .collect(),
        },
        throughput: Vec::new(),
        latency: Vec::new(),
    };

    let settings = Settings {
        hasher: args.hasher,
        seed: args.seed,
        min_ops: args.min_ops,
    };
    let mut input: Option<Input> = None;
    for (workload, n) in jobs {
        let input = match input.take() {
            Some(i) if i.n == n => input.insert(i),
            _ => input.insert(Input::new(n, args.seed)),
        };
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); maps.len()];
        for sample in 0..samples_per_map(workload) {
            // Maps take turns within each round of samples.
            for (m, map) in maps.iter().enumerate() {
                if interrupted() {
                    progress.abandon();
                    return Err(Error::Interrupted);
                }
                progress.set_message(format!("{} {} n={}", map.name(), workload.name(), n));
                match map.run(workload, input, &settings)? {
                    Outcome::Throughput { checksum, .. }
                        if Some(checksum) != workload.expected_checksum(input) =>
                    {
                        progress.abandon();
                        return Err(Error::WrongResult(format!(
                            "{} computed a wrong result in {} at n = {n} (checksum {checksum}, expected {:?})",
                            map.name(),
                            workload.name(),
                            workload.expected_checksum(input)
                        )));
                    }
                    Outcome::Throughput { ns_per_op, .. } if sample >= WARMUP => {
                        samples[m].push(ns_per_op)
                    }
                    Outcome::Throughput { .. } => {}
                    Outcome::Latency(run) => {
                        results.latency.push(LatencyRow::new(map.name(), n, &run))
                    }
                }
                progress.inc(1);
            }
        }
        if !workload.is_latency() {
            for (map, samples) in maps.iter().zip(samples) {
                results
                    .throughput
                    .push(ThroughputRow::new(map.name(), workload, n, samples));
            }
        }
    }
    progress.finish_and_clear();
    results.fill_ratios();

    if args.json {
        serde_json::to_writer_pretty(&mut *out, &results).map_err(|e| Error::stdout(e.into()))?;
        writeln!(out).map_err(Error::stdout)?;
    } else {
        results.write_tables(out).map_err(Error::stdout)?;
    }
    let written = write_report(&results, &ReportDir::new(&args.out))?;
    let note = format!("\nreport: {}", written.join(", "));
    if args.json {
        eprintln!("{}", note.trim_start());
    } else {
        writeln!(out, "{note}").map_err(Error::stdout)?;
    }
    Ok(())
}

/// Writes results.json, results.csv and the pictures; returns the paths written. A picture this run has no data
/// for (e.g. no latency run) is removed if an earlier run left one.
fn write_report(results: &Results, dir: &ReportDir) -> Result<Vec<String>, Error> {
    let json = serde_json::to_vec_pretty(results).map_err(|e| Error::Plot(e.to_string()))?;
    let mut paths = vec![
        dir.write("results.json", &json)?,
        dir.write("results.csv", results.csv().as_bytes())?,
    ];
    match results.latency_figure() {
        Some(figure) => paths.extend(dir.write_figure("latency", &figure)?),
        None => dir.remove_stale_figure("latency")?,
    }
    match results.throughput_figure() {
        Some(figure) => paths.extend(dir.write_figure("throughput", &figure)?),
        None => dir.remove_stale_figure("throughput")?,
    }
    Ok(paths.iter().map(|p| p.display().to_string()).collect())
}

/// The maps in first-mention order, each once.
fn dedup(maps: &[&'static dyn MapEntry]) -> Vec<&'static dyn MapEntry> {
    let mut out: Vec<&'static dyn MapEntry> = Vec::new();
    for &m in maps {
        if !out.iter().any(|o| o.name() == m.name()) {
            out.push(m);
        }
    }
    out
}

/// A progress bar on stderr, hidden when stdout is not a terminal or JSON goes to stdout.
fn progress_bar(total: u64, json: bool) -> ProgressBar {
    if json || !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let style =
        ProgressStyle::with_template("{bar:32.cyan/blue} {pos}/{len} [{elapsed}<{eta}] {msg}")
            .expect("static progress template is valid");
    ProgressBar::new(total).with_style(style)
}
