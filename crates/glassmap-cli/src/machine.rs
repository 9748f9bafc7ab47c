//! The machine a benchmark ran on, named next to every figure (CPU model, cores, memory, build).

use serde::Serialize;

/// What the benchmark report says about the machine and the build.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Machine {
    /// CPU model as the OS reports it (`/proc/cpuinfo` on Linux), or "unknown".
    pub cpu: String,
    /// Logical CPUs available to this process.
    pub cores: usize,
    /// Total memory in bytes, if known.
    pub memory_bytes: Option<u64>,
    /// Operating system and architecture.
    pub os: String,
    /// "release" or "debug" (debug numbers are not meaningful).
    pub profile: String,
}

impl Machine {
    /// Describes the current machine.
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Machine {
            cpu: field(&cpuinfo, "model name").unwrap_or_else(|| "unknown".to_owned()),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes: field(&meminfo, "MemTotal")
                .and_then(|kb| kb.trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kb| kb * 1024),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .to_owned(),
        }
    }

    /// One line: `AMD EPYC, 2 cores, 23.4 GiB, linux x86_64, release build`.
    pub fn summary(&self) -> String {
        let memory = match self.memory_bytes {
            Some(bytes) => format!(", {:.1} GiB", bytes as f64 / (1u64 << 30) as f64),
            None => String::new(),
        };
        format!(
            "{}, {} cores{memory}, {}, {} build",
            self.cpu, self.cores, self.os, self.profile
        )
    }
}

/// The value of the first `key : value` line.
fn field(text: &str, key: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        assert_eq!(
            field("processor\t: 0\nmodel name\t: AMD EPYC\n", "model name").as_deref(),
            Some("AMD EPYC")
        );
        assert_eq!(
            field("MemTotal:       24576000 kB\n", "MemTotal").as_deref(),
            Some("24576000 kB")
        );
        assert!(Machine::detect().cores >= 1);
    }
}
