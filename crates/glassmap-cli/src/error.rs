//! The errors the command reports, each as one line, and the exit status each one maps to.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Exit status for bad input: an argument, generator, hasher or key file the command cannot use.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit status when writing output fails (terminal, report folder, pictures), a map under test gave a wrong
/// result (a benchmark checksum, a history that is not linearizable), or a measurement process failed.
pub const EXIT_OUTPUT: u8 = 1;
/// Exit status after Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Everything that can stop a subcommand. `Display` gives the one-line message printed after `error: `.
#[derive(Debug)]
pub enum Error {
    /// An argument value the command cannot use (generator, size, map name, ...).
    Input(String),
    /// A key file that cannot be opened or read.
    ReadFile {
        /// The file as given on the command line.
        path: PathBuf,
        /// Why reading failed.
        source: io::Error,
    },
    /// A line of a key file that cannot be used.
    BadLine {
        /// The file as given on the command line.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// Writing to the terminal or into the report folder failed.
    Output {
        /// What was being written (a path or "standard output").
        what: String,
        /// Why writing failed.
        source: io::Error,
    },
    /// Drawing a picture failed.
    Plot(String),
    /// A map under test gave a wrong result: the message says which map, where, and what was expected.
    WrongResult(String),
    /// A measurement process of `bench` could not be run, or failed: the message says which and why.
    Measurement(String),
    /// The user pressed Ctrl-C; what was measured by then has been printed (and, for `bench`, written).
    Interrupted,
}

impl Error {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) | Error::ReadFile { .. } | Error::BadLine { .. } => EXIT_BAD_INPUT,
            Error::Output { .. }
            | Error::Plot(_)
            | Error::WrongResult(_)
            | Error::Measurement(_) => EXIT_OUTPUT,
            Error::Interrupted => EXIT_INTERRUPTED,
        }
    }

    /// True for a write to a closed pipe (`glassmap trace | head`): not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }

    /// A failed write to standard output.
    pub fn stdout(source: io::Error) -> Self {
        Error::Output {
            what: "standard output".to_owned(),
            source,
        }
    }

    /// A failed write to `path`.
    pub fn write(path: &Path, source: io::Error) -> Self {
        Error::Output {
            what: path.display().to_string(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(message) => f.write_str(message),
            Error::ReadFile { path, source } => {
                write!(
                    f,
                    "cannot read key file {}: {}",
                    path.display(),
                    io_reason(source)
                )
            }
            Error::BadLine {
                path,
                line,
                message,
            } => {
                write!(f, "{}:{line}: {message}", path.display())
            }
            Error::Output { what, source } => {
                write!(f, "cannot write {what}: {}", io_reason(source))
            }
            Error::Plot(message) => write!(f, "cannot draw picture: {message}"),
            Error::WrongResult(message) | Error::Measurement(message) => f.write_str(message),
            Error::Interrupted => {
                f.write_str("interrupted; what was measured before is kept above")
            }
        }
    }
}

impl std::error::Error for Error {}

/// The OS message without the "(os error N)" suffix, lower-cased like the rest of the line.
fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_name_the_problem() {
        let e = Error::ReadFile {
            path: PathBuf::from("keys.txt"),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        assert_eq!(
            e.to_string(),
            "cannot read key file keys.txt: entity not found"
        );
        assert_eq!(e.exit_code(), EXIT_BAD_INPUT);
        let e = Error::BadLine {
            path: PathBuf::from("k"),
            line: 3,
            message: "bad".into(),
        };
        assert_eq!(e.to_string(), "k:3: bad");
    }

    #[test]
    fn os_error_suffix_is_dropped() {
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&e), "no such file or directory");
    }
}
