//! `glassmap trace`: insert keys one at a time and report every growth: the write that started it, B before and
//! after, the kind, and how many writes the evacuation took.
//!
//! After each write only the O(1) probes `log2_buckets()` and `growth()` are read ([`sample`]), and the
//! [`tracker`] turns them into growth events. `stats()` walks the arrays: [`run`] calls it once at the end to
//! cross-check the growth counts, and, with `--churn --plot`, every `writes / 2000` writes to sample overflow
//! buckets per bucket for the picture. [`output`] prints the table and builds the picture.

mod output;
mod run;
mod sample;
mod tracker;

use std::hash::Hash;
use std::io::Write;
use std::path::PathBuf;

use self::run::{Run, Trace, default_live};
use crate::error::Error;
use crate::keys::{KeyArgs, Keys, MAX_N, parse_count_u64, parse_n};
use crate::report::ReportDir;
use crate::units::thousands;

const EXAMPLES: &str = "\
Examples:
  glassmap trace --n 2000                    # growth points 9, 14, 27, 53, 105, 209, 417, 833, 1665
  glassmap trace --capacity 1000 --n 5000    # a capacity hint moves the first growth
  glassmap trace --churn --n 1M --plot       # deletes pile up overflow buckets: same-size growth
  glassmap trace --keys ids.txt --hasher fx

With --plot, writes <out>/timeline.png and timeline.svg.";

/// Arguments of `glassmap trace`.
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct TraceArgs {
    /// Keys and hasher.
    #[command(flatten)]
    pub keys: KeyArgs,

    /// Capacity hint: create the map with Map::with_capacity(H)
    #[arg(long, value_name = "H", value_parser = parse_capacity)]
    pub capacity: Option<usize>,

    /// Mix in deletes: once the map holds --live entries, remove a random key before each insert, so overflow
    /// buckets pile up and same-size growth happens
    #[arg(long)]
    pub churn: bool,

    /// Entries kept during --churn [default: the largest doubling threshold 13 * 2^(B-1) at or below n/64]
    #[arg(long, value_name = "L", value_parser = parse_n, requires = "churn")]
    pub live: Option<usize>,

    /// Write timeline.png and timeline.svg (B and load factor over the writes) to the report folder
    #[arg(long)]
    pub plot: bool,

    /// Report folder for --plot
    #[arg(long, default_value = ReportDir::DEFAULT)]
    pub out: PathBuf,
}

fn parse_capacity(s: &str) -> Result<usize, String> {
    match parse_count_u64(s) {
        Some(h) if h <= MAX_N as u64 => Ok(h as usize),
        Some(_) => Err(format!("too large: at most {MAX_N}")),
        None => Err(format!("'{s}' is not a count (examples: 0, 1000, 64k)")),
    }
}

/// Traces the writes of `keys` with the chosen hasher (one body for every key type).
fn traced<K: Hash + Eq + Clone>(keys: Vec<K>, args: &TraceArgs, live: Option<usize>) -> Trace {
    let seed = args.keys.seed;
    let run = Run {
        keys,
        capacity: args.capacity,
        live,
        seed,
        sample_overflow: args.plot && args.churn,
    };
    args.keys.hasher.visit(seed, run)
}

/// Runs `glassmap trace`.
pub fn run(args: &TraceArgs, out: &mut dyn Write) -> Result<(), Error> {
    let keys = args.keys.load()?;
    let source = args.keys.describe(&keys);
    let live = args
        .churn
        .then(|| args.live.unwrap_or_else(|| default_live(keys.len())));
    let (hasher, seed) = (args.keys.hasher, args.keys.seed);
    let trace = match keys {
        Keys::Int(keys) => traced(keys, args, live),
        Keys::Text(keys) => traced(keys, args, live),
    };
    let w = |e: std::io::Error| Error::stdout(e);
    let hint = match args.capacity {
        Some(h) => format!("Map::with_capacity({h})"),
        None => "no capacity hint".to_owned(),
    };
    writeln!(
        out,
        "glassmap trace: {source}, {hint}, hasher {}",
        hasher.describe(seed)
    )
    .map_err(w)?;
    if let Some(live) = live {
        writeln!(
            out,
            "churn: once {} entries are live, each insert follows a random remove",
            thousands(live as u64)
        )
        .map_err(w)?;
    }
    output::write_events(&trace.events, args.churn, out).map_err(w)?;
    output::write_summary(&trace, out).map_err(w)?;

    if args.plot {
        let figure = output::timeline_figure(&trace, &source, &hint, live);
        let [png, svg] = ReportDir::new(&args.out).write_figure("timeline", &figure)?;
        writeln!(out, "timeline: {}, {}", png.display(), svg.display()).map_err(w)?;
    }
    Ok(())
}
