//! The command line: subcommands, and argument errors reported as one line with exit status 2.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, Subcommand};

use crate::bench::BenchArgs;
use crate::bench::measure::MeasureArgs;
use crate::error::EXIT_BAD_INPUT;
use crate::inspect::InspectArgs;
use crate::stress::StressArgs;
use crate::trace::TraceArgs;

const EXAMPLES: &str = "\
Examples:
  glassmap bench                                        # glassmap vs hashbrown, std, griddle
  glassmap inspect --gen strided:64 --hasher identity   # a weak hash, visibly skewed
  glassmap inspect --keys words.txt                     # your own keys
  glassmap trace --n 2000                               # Go's growth points: 9, 14, 27, 53, ...
  glassmap trace --churn --plot                         # same-size growth under deletes
  glassmap stress --seconds 10                          # concurrent maps vs the linearizability checker

With cargo: cargo run --release -- <subcommand> [options]";

/// Look inside glassmap, a Rust rebuild of Go's classic hash map: benchmark it against peer maps, inspect how its
/// buckets fill, trace how it grows.
#[derive(Parser, Debug)]
#[command(name = "glassmap", version, after_help = EXAMPLES)]
pub struct Cli {
    /// What to do (without one, this help is printed)
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Benchmark glassmap against hashbrown, std HashMap and griddle; tables plus a report folder with pictures
    Bench(BenchArgs),
    /// Build a map from keys and look inside: occupancy, chi-square test against a uniform hash, bucket heat map
    Inspect(InspectArgs),
    /// Insert keys one by one and print every growth: when it starts, B before -> after, writes to evacuate
    Trace(TraceArgs),
    /// Record concurrent histories on each concurrent map and check them for linearizability (ghost reads, lost
    /// updates); a deliberately broken control shows what a violation looks like
    Stress(StressArgs),
    /// One measurement of `bench` (a map, a workload, a size), printed as JSON: `bench` runs each in a process
    /// of its own
    #[command(hide = true)]
    Measure(MeasureArgs),
}

/// Parses the command line. On `--help`/`--version` or an argument error, prints and returns the exit code.
pub fn parse() -> Result<Cli, ExitCode> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            Err(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{}", one_line(&e));
            Err(ExitCode::from(EXIT_BAD_INPUT))
        }
    }
}

/// Prints the top-level help (for `glassmap` without a subcommand).
pub fn print_help() -> std::io::Result<()> {
    Cli::command().print_help()
}

/// clap's message without the usage and "for more information" lines, joined into one line.
fn one_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    rendered
        .lines()
        .map(str::trim)
        .filter(|line| {
            !line.is_empty()
                && !line.starts_with("Usage:")
                && !line.starts_with("For more information")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn errors_fit_on_one_line() {
        let e = Cli::try_parse_from(["glassmap", "inspect", "--hasher", "md5"]).unwrap_err();
        let line = one_line(&e);
        assert!(
            line.starts_with("error: invalid value 'md5' for '--hasher <HASHER>'"),
            "{line}"
        );
        assert!(!line.contains('\n'));
        let e = Cli::try_parse_from(["glassmap", "inspect", "--n", "0"]).unwrap_err();
        assert!(
            one_line(&e).contains("must be at least 1"),
            "{}",
            one_line(&e)
        );
        let e = Cli::try_parse_from(["glassmap", "trace", "--gen", "zipf"]).unwrap_err();
        assert!(
            one_line(&e).contains("unknown generator 'zipf'"),
            "{}",
            one_line(&e)
        );
    }
}
