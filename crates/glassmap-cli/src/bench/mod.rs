//! `glassmap bench`: glassmap against its peers on u64 -> u64, single-threaded (maps and workloads from
//! [`registry`]) and concurrent ([`concurrent`]).
//!
//! This module only plans the runs, lets the maps take turns so drift in machine speed hits them alike, has each
//! measurement taken ([`measure`]: by default in a process of its own) and hands the results to [`report`].

pub mod concurrent;
pub mod input;
pub mod measure;
pub mod registry;
pub mod report;
pub mod workloads;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use glassmap_workloads::concurrent::Mix;

use self::concurrent::Section;
use self::concurrent::registry::ConcurrentEntry;
use self::input::Input;
use self::measure::Measured;
use self::registry::{MAPS, MapEntry, Settings};
use self::report::{Config, Results, ThroughputRow};
use self::workloads::{MIN_OPS_PER_SAMPLE, Workload};
use crate::error::Error;
use crate::hashers::HasherChoice;
use crate::keys::{DEFAULT_SEED, parse_n, parse_seed};
use crate::machine::Machine;
use crate::report::ReportDir;

/// Untimed samples before the timed ones, per map and measurement.
const WARMUP: usize = 1;

const EXAMPLES: &str = "\
Examples:
  glassmap bench                          # n = 1000, 64k, 1M; latency to 8M; a short concurrent section
  glassmap bench --single                 # only the single-threaded maps
  glassmap bench --concurrent             # only the concurrent maps, the full suite (about 9 minutes)
  glassmap bench --concurrent --threads 2 --mixes read-heavy,true-grow
  glassmap bench --sizes 1k,1M,8M --reps 7
  glassmap bench --maps glassmap,hashbrown --workloads insert,hit,latency
  glassmap bench --hasher sip --out sip-report
  glassmap bench --json > results.json

Writes <out>/results.json, results.csv, latency.png/.svg and throughput.png/.svg; with the concurrent
section also concurrent.csv, concurrent-throughput.png/.svg and concurrent-latency.png/.svg.
Ctrl-C stops at the next measurement and keeps what was measured.
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

    /// Measure every map in this process. By default each map's samples of a workload run in a process of their
    /// own, so that no map inherits the allocator state another one left (glibc's thresholds follow the
    /// largest block freed); one process is for profiling
    #[arg(long)]
    pub in_process: bool,

    /// Run only the single-threaded maps
    #[arg(long, conflicts_with = "concurrent")]
    pub single: bool,

    /// Run only the concurrent maps, with the full concurrent suite (the default run has a short one)
    #[arg(long)]
    pub concurrent: bool,

    /// Thread counts of the concurrent section, comma-separated [default: 1 to the number of cores]
    #[arg(long, value_delimiter = ',', value_parser = parse_threads)]
    pub threads: Vec<usize>,

    #[arg(long, value_delimiter = ',', value_parser = parse_mix, help = mixes_help())]
    pub mixes: Vec<Mix>,

    #[arg(long, value_delimiter = ',', value_parser = parse_concurrent_map, help = concurrent_maps_help())]
    pub concurrent_maps: Vec<&'static dyn ConcurrentEntry>,

    /// Capacity hint of the pre-sized concurrent mixes [default: 128k; 2M with --concurrent]
    #[arg(long, value_parser = parse_n)]
    pub capacity: Option<usize>,

    /// Operations per concurrent run, all threads together [default: 512k; 4M with --concurrent]
    #[arg(long, value_parser = parse_n)]
    pub ops: Option<usize>,

    /// Entries true-grow grows to from empty [default: 512k; 8M with --concurrent]
    #[arg(long, value_parser = parse_n)]
    pub grow_to: Option<usize>,
}

fn parse_threads(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=256).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is not a thread count from 1 to 256")),
    }
}

fn parse_mix(s: &str) -> Result<Mix, String> {
    Mix::find(s).ok_or_else(|| format!("unknown mix '{s}' (expected one of: {})", mix_names()))
}

fn mix_names() -> String {
    Mix::ALL.map(Mix::name).join(", ")
}

fn mixes_help() -> String {
    format!(
        "Mixes of the concurrent section, comma-separated [default: all: {}]",
        mix_names()
    )
}

fn parse_concurrent_map(s: &str) -> Result<&'static dyn ConcurrentEntry, String> {
    concurrent::registry::find(s).ok_or_else(|| {
        format!(
            "unknown concurrent map '{s}' (expected one of: {})",
            concurrent::registry::names()
        )
    })
}

fn concurrent_maps_help() -> String {
    format!(
        "Concurrent maps to compare, comma-separated [default: all: {}]",
        concurrent::registry::names()
    )
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
    let maps: Vec<&dyn MapEntry> = if args.single || !args.concurrent {
        if args.maps.is_empty() {
            MAPS.to_vec()
        } else {
            dedup(&args.maps, |m| m.name())
        }
    } else {
        Vec::new()
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
    let concurrent_maps: Vec<&dyn ConcurrentEntry> = if args.single {
        Vec::new()
    } else if args.concurrent_maps.is_empty() {
        concurrent::registry::MAPS.to_vec()
    } else {
        dedup(&args.concurrent_maps, |m| m.name())
    };
    let section = {
        let threads = if args.threads.is_empty() {
            (1..=std::thread::available_parallelism().map_or(2, |n| n.get())).collect()
        } else {
            let mut threads = args.threads.clone();
            threads.sort_unstable();
            threads.dedup();
            threads
        };
        let mut section = if args.concurrent {
            Section::full(threads)
        } else {
            Section::short(threads)
        };
        if !args.mixes.is_empty() {
            section.mixes.retain(|m| args.mixes.contains(m));
        }
        section.capacity = args.capacity.unwrap_or(section.capacity);
        section.operations = args.ops.unwrap_or(section.operations);
        section.grow_to = args.grow_to.unwrap_or(section.grow_to);
        section
    };
    // Ctrl-C only sets a flag: measurements stop at the next boundary, and what was measured is reported.
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed));

    let mut jobs: Vec<(Workload, usize)> = Vec::new();
    if !maps.is_empty() {
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
    }
    let reps = usize::from(args.reps);
    let settings = Settings {
        hasher: args.hasher,
        seed: args.seed,
        min_ops: args.min_ops,
        reps,
    };
    let total: usize = jobs
        .iter()
        .map(|&(w, _)| measure::samples(w, &settings) * maps.len())
        .sum::<usize>()
        + section.runs(&concurrent_maps);
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
            in_process: args.in_process,
            maps: maps.iter().map(|m| m.name().to_owned()).collect(),
            workloads: workloads.iter().map(|w| w.name().to_owned()).collect(),
            descriptions: maps
                .iter()
                .map(|m| (m.name(), m.about()))
                .chain(workloads.iter().map(|w| (w.name(), w.about())))
                .chain(concurrent_maps.iter().map(|m| (m.name(), m.about())))
                .chain(section.mixes.iter().map(|m| (m.name(), m.about())))
                .map(|(name, about)| (name.to_owned(), about.to_owned()))
                .collect(),
        },
        throughput: Vec::new(),
        latency: Vec::new(),
        concurrent: None,
    };

    let mut input: Option<Input> = None;
    'jobs: for (j, (workload, n)) in jobs.into_iter().enumerate() {
        let mut measured: Vec<Option<Measured>> = maps.iter().map(|_| None).collect();
        // Each job starts with the next map, so no map is always the first of a round.
        for m in (0..maps.len()).map(|i| (i + j) % maps.len()) {
            let map = maps[m];
            if interrupted() {
                break 'jobs;
            }
            progress.set_message(format!("{} {} n={}", map.name(), workload.name(), n));
            let result = if args.in_process {
                let input = match input.take() {
                    Some(i) if i.n == n => input.insert(i),
                    _ => input.insert(Input::new(n, args.seed)),
                };
                measure::measure_here(map, workload, input, &settings)
            } else {
                measure::measure_in_child(map, workload, n, &settings)
            };
            measured[m] = match result {
                Err(Error::Interrupted) => break 'jobs,
                Err(e) => {
                    progress.abandon();
                    return Err(e);
                }
                Ok(m) => Some(m),
            };
            progress.inc(measure::samples(workload, &settings) as u64);
        }
        for (map, measured) in maps.iter().zip(measured) {
            match measured {
                Some(Measured::Throughput(samples)) => {
                    results
                        .throughput
                        .push(ThroughputRow::new(map.name(), workload, n, samples))
                }
                Some(Measured::Latency(row)) => results.latency.push(row),
                None => {}
            }
        }
    }
    if !concurrent_maps.is_empty() && !interrupted() {
        let concurrent = concurrent::run(
            &section,
            &concurrent_maps,
            args.hasher,
            args.seed,
            &progress,
            &interrupted,
        )?;
        results.concurrent = Some(concurrent);
    }
    progress.finish_and_clear();
    results.fill_ratios();

    if args.json {
        serde_json::to_writer_pretty(&mut *out, &results).map_err(|e| Error::stdout(e.into()))?;
        writeln!(out).map_err(Error::stdout)?;
    } else {
        results.write_tables(out).map_err(Error::stdout)?;
        if let Some(concurrent) = &results.concurrent {
            concurrent.write_tables(out).map_err(Error::stdout)?;
        }
    }
    let written = write_report(&results, &ReportDir::new(&args.out))?;
    let note = format!("\nreport: {}", written.join(", "));
    if args.json {
        eprintln!("{}", note.trim_start());
    } else {
        writeln!(out, "{note}").map_err(Error::stdout)?;
    }
    if interrupted() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
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
    let concurrent = results.concurrent.as_ref();
    if let Some(concurrent) = concurrent {
        paths.push(dir.write("concurrent.csv", concurrent.csv().as_bytes())?);
    }
    let (hasher, cpu) = (&results.config.hasher, &results.machine.cpu);
    match concurrent.and_then(|c| c.throughput_figure(hasher, cpu)) {
        Some(figure) => paths.extend(dir.write_figure("concurrent-throughput", &figure)?),
        None => dir.remove_stale_figure("concurrent-throughput")?,
    }
    match concurrent.and_then(|c| c.latency_figure(hasher, cpu)) {
        Some(figure) => paths.extend(dir.write_figure("concurrent-latency", &figure)?),
        None => dir.remove_stale_figure("concurrent-latency")?,
    }
    Ok(paths.iter().map(|p| p.display().to_string()).collect())
}

/// The maps in first-mention order, each once.
fn dedup<M: ?Sized>(maps: &[&'static M], name: impl Fn(&M) -> &'static str) -> Vec<&'static M> {
    let mut out: Vec<&'static M> = Vec::new();
    for &m in maps {
        if !out.iter().any(|o| name(o) == name(m)) {
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
