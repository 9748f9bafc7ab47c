//! `glassmap`: benchmark glassmap's `Map` against peer maps, look inside its buckets, trace its growth.
//!
//! Every failure is one line on stderr (`error: ...`) with exit status 2 for bad input, 1 for output problems
//! and 130 after Ctrl-C; see [`error`].

mod bench;
mod cli;
mod error;
mod hashers;
mod heatmap;
mod inspect;
mod keys;
mod machine;
mod plot;
mod report;
mod stress;
mod trace;
mod uniformity;
mod units;

use std::io::Write;
use std::process::ExitCode;

use crate::cli::Command;
use crate::error::Error;

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = match &cli.command {
        None => cli::print_help().map_err(Error::stdout),
        Some(Command::Bench(args)) => bench::run(args, &mut out),
        Some(Command::Inspect(args)) => inspect::run(args, &mut out),
        Some(Command::Trace(args)) => trace::run(args, &mut out),
        Some(Command::Stress(args)) => stress::run(args, &mut out),
        Some(Command::Measure(args)) => bench::measure::run(args, &mut out),
    };
    let result = result.and_then(|()| out.flush().map_err(Error::stdout));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
