//! `glassmap inspect`: build a `Map` from keys and look inside: `Stats`, the occupancy histogram against a uniform
//! hash, a chi-square verdict, and the bucket heat map (terminal and picture).

use std::hash::Hash;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use glassmap::{Growth, Map, Stats};

use crate::error::Error;
use crate::hashers::HasherVisitor;
use crate::heatmap::{Grid, PICTURE_CELLS, TERMINAL_CELLS, write_terminal};
use crate::keys::{KeyArgs, Keys};
use crate::plot::HeatmapFigure;
use crate::report::ReportDir;
use crate::uniformity::{Analysis, analyze, p_value};
use crate::units::thousands;
use glassmap_workloads::concurrent::maps::SharedHasher;

const EXAMPLES: &str = "\
Examples:
  glassmap inspect                                      # 100,000 uniform keys, default hasher
  glassmap inspect --gen strided:64 --hasher identity   # multiples of 64 without hashing: skewed
  glassmap inspect --gen sequential --hasher fx --n 1M
  glassmap inspect --keys words.txt --hasher sip        # one key per line
  glassmap inspect --keys ids.txt --key-type int --color always | less -R

Writes <out>/heatmap.png and heatmap.svg; draws the heat map in the terminal when stdout is a colour terminal.";

/// Arguments of `glassmap inspect`.
#[derive(clap::Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct InspectArgs {
    /// Keys and hasher.
    #[command(flatten)]
    pub keys: KeyArgs,

    /// Report folder for heatmap.png and heatmap.svg
    #[arg(long, default_value = ReportDir::DEFAULT)]
    pub out: PathBuf,

    /// Draw the heat map in the terminal (24-bit colour)
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
}

/// When to draw the terminal heat map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    /// When stdout is a terminal, `TERM` is not `dumb` and `NO_COLOR` is unset.
    Auto,
    /// Always (e.g. for `less -R`).
    Always,
    /// Never.
    Never,
}

impl ColorWhen {
    fn enabled(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}

/// What `inspect` learns from the map; independent of key and hasher types.
struct Snapshot {
    stats: Stats,
    /// Per primary bucket: entries in the chain, chain length.
    loads: Vec<(usize, usize)>,
    /// The growth that was in progress when the last key went in (finished before looking).
    growth: Option<Growth>,
}

/// Builds the map with the chosen hasher and takes the snapshot.
struct Build<K> {
    keys: Vec<K>,
}

impl<K: Hash + Eq> HasherVisitor for Build<K> {
    type Output = Snapshot;

    fn visit<S: SharedHasher>(self, s: S) -> Snapshot {
        let mut map = Map::with_hasher(s);
        for k in self.keys {
            map.insert(k, ());
        }
        // bucket_loads() and the occupancy only cover the new array while growing: finish first.
        let growth = map.growth();
        map.finish_growth();
        Snapshot {
            stats: map.stats(),
            loads: map.bucket_loads().map(|l| (l.entries, l.chain)).collect(),
            growth,
        }
    }
}

/// Runs `glassmap inspect`.
pub fn run(args: &InspectArgs, out: &mut dyn Write) -> Result<(), Error> {
    let keys = args.keys.load()?;
    let source = args.keys.describe(&keys);
    let (hasher, seed) = (args.keys.hasher, args.keys.seed);
    let snapshot = match keys {
        Keys::Int(keys) => hasher.visit(seed, Build { keys }),
        Keys::Text(keys) => hasher.visit(seed, Build { keys }),
    };
    let analysis = analyze(snapshot.loads.iter().map(|&(entries, _)| entries));
    let w = |e: std::io::Error| Error::stdout(e);

    writeln!(out, "glassmap inspect: {source}").map_err(w)?;
    writeln!(out, "hasher: {}", hasher.describe(seed)).map_err(w)?;
    if let Some(g) = snapshot.growth {
        writeln!(
            out,
            "(a growth was in progress: {} of {} old buckets evacuated; finished before looking)",
            g.evacuated, g.old_buckets
        )
        .map_err(w)?;
    }
    writeln!(out, "\n{}", snapshot.stats).map_err(w)?;
    write_histogram(&analysis, out).map_err(w)?;

    let grid = Grid::new(&snapshot.loads, TERMINAL_CELLS);
    if args.color.enabled() {
        writeln!(
            out,
            "\nbucket heat map ({}, bucket 0 top left):",
            per_cell(&grid)
        )
        .map_err(w)?;
        write_terminal(&grid, out).map_err(w)?;
    }

    let stats = &snapshot.stats;
    let figure = HeatmapFigure {
        title: format!(
            "{source}, hasher {}: {} buckets (B = {}), load {:.2}",
            hasher.name(),
            thousands(stats.buckets as u64),
            stats.log2_buckets,
            stats.load_factor
        ),
        subtitle: analysis.verdict_line(),
        grid: Grid::new(&snapshot.loads, PICTURE_CELLS),
    };
    let [png, svg] = ReportDir::new(&args.out).write_figure("heatmap", &figure)?;
    writeln!(out, "\nheat map: {}, {}", png.display(), svg.display()).map_err(w)?;
    Ok(())
}

fn per_cell(grid: &Grid) -> String {
    match grid.buckets_per_cell {
        1 => "one cell per bucket".to_owned(),
        n => format!("one cell per {n} buckets, mean entries"),
    }
}

/// The occupancy table next to the binomial expectation, the chi-square line and the verdict.
fn write_histogram(a: &Analysis, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "\nentries per bucket chain vs a uniform hash (binomial: {} entries, p = 1/{})",
        thousands(a.entries as u64),
        thousands(a.buckets as u64)
    )?;
    writeln!(
        out,
        "{:>9} {:>11} {:>12}   observed ▇, expected |",
        "entries", "buckets", "expected"
    )?;
    const WIDTH: usize = 40;
    let top = a
        .rows
        .iter()
        .map(|r| (r.observed as f64).max(r.expected))
        .fold(1.0, f64::max);
    for row in &a.rows {
        let label = if row.open {
            format!("{}+", row.entries)
        } else {
            row.entries.to_string()
        };
        let filled = ((row.observed as f64 / top) * WIDTH as f64).round() as usize;
        let mark = ((row.expected / top) * WIDTH as f64).round() as usize;
        let bar: String = (0..=WIDTH)
            .map(|i| match (i < filled, i == mark) {
                (_, true) => '|',
                (true, false) => '▇',
                (false, false) => ' ',
            })
            .collect();
        writeln!(
            out,
            "{label:>9} {:>11} {:>12.1}   {}",
            thousands(row.observed as u64),
            row.expected,
            bar.trim_end()
        )?;
    }
    match a.chi_square {
        Some(t) => writeln!(
            out,
            "chi-square = {:.1} with {} degrees of freedom, p {}",
            t.statistic,
            t.dof,
            p_value(t.p_value)
        )?,
        None => writeln!(out, "chi-square: not enough buckets for a test")?,
    }
    writeln!(out, "verdict: {}", a.verdict_line())
}
