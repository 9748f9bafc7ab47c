//! What `bench` reports: the results record (JSON), the CSV, the terminal tables and the two pictures.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::concurrent::report::ConcurrentResults;
use super::registry::REFERENCE;
use super::workloads::{LatencyRun, Workload};
use crate::machine::Machine;
use crate::plot::{LatencyFigure, LatencySeries, ThroughputBar, ThroughputFigure};
use crate::units::{duration_ns, thousands};

/// Everything one `bench` run measured; serialised as `results.json` and by `--json`.
#[derive(Clone, Debug, Serialize)]
pub struct Results {
    /// `glassmap bench` and the crate version.
    pub tool: String,
    /// Where it ran.
    pub machine: Machine,
    /// How it ran.
    pub config: Config,
    /// Median ns/op per map, workload and size.
    pub throughput: Vec<ThroughputRow>,
    /// Per-insert latency while growing, per map.
    pub latency: Vec<LatencyRow>,
    /// The concurrent section, if it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent: Option<ConcurrentResults>,
}

/// The settings of a run.
#[derive(Clone, Debug, Serialize)]
pub struct Config {
    /// Hasher name (`default`, `sip`, `fx`, `identity`).
    pub hasher: String,
    /// Hasher description.
    pub hasher_description: String,
    /// Seed for keys and the default hasher.
    pub seed: u64,
    /// Map sizes of the throughput workloads.
    pub sizes: Vec<usize>,
    /// Inserts in the latency run.
    pub latency_n: usize,
    /// Timed samples per measurement (the median is reported).
    pub reps: usize,
    /// Untimed warm-up samples before them.
    pub warmup: usize,
    /// Minimum operations per throughput sample.
    pub min_ops_per_sample: usize,
    /// True when every map ran in the `bench` process itself (`--in-process`); false when each map's samples of
    /// a workload ran in a process of their own.
    pub in_process: bool,
    /// Maps compared.
    pub maps: Vec<String>,
    /// Workloads run.
    pub workloads: Vec<String>,
    /// What each map and workload is, by name.
    pub descriptions: BTreeMap<String, String>,
}

/// One throughput measurement.
#[derive(Clone, Debug, Serialize)]
pub struct ThroughputRow {
    /// Map name.
    pub map: String,
    /// Workload name.
    pub workload: String,
    /// Entries.
    pub n: usize,
    /// Median of the samples.
    pub ns_per_op: f64,
    /// Fastest sample.
    pub min_ns_per_op: f64,
    /// Slowest sample.
    pub max_ns_per_op: f64,
    /// All timed samples, in run order.
    pub samples: Vec<f64>,
    /// `ns_per_op` divided by hashbrown's (below 1 = faster than hashbrown), if hashbrown ran.
    pub ratio_to_hashbrown: Option<f64>,
}

/// One map's latency run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LatencyRow {
    /// Map name.
    pub map: String,
    /// Inserts, growing from empty.
    pub n: usize,
    /// Median insert.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.99th percentile.
    pub p9999_ns: u64,
    /// Slowest insert.
    pub max_ns: u64,
    /// Mean insert.
    pub mean_ns: f64,
    /// Wall time of the run in milliseconds (timer overhead included).
    pub total_ms: f64,
    /// Inserts per window of `window_max_ns`.
    pub window: usize,
    /// Slowest insert of each window.
    pub window_max_ns: Vec<u64>,
}

impl ThroughputRow {
    /// A row from its samples (at least one); the ratio is filled in by [`Results::fill_ratios`].
    pub fn new(map: &str, workload: Workload, n: usize, samples: Vec<f64>) -> Self {
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        ThroughputRow {
            map: map.to_owned(),
            workload: workload.name().to_owned(),
            n,
            ns_per_op: median,
            min_ns_per_op: sorted[0],
            max_ns_per_op: sorted[sorted.len() - 1],
            samples,
            ratio_to_hashbrown: None,
        }
    }
}

impl LatencyRow {
    /// A row from a latency run.
    pub fn new(map: &str, n: usize, run: &LatencyRun) -> Self {
        let h = &run.histogram;
        LatencyRow {
            map: map.to_owned(),
            n,
            p50_ns: h.value_at_quantile(0.5),
            p99_ns: h.value_at_quantile(0.99),
            p9999_ns: h.value_at_quantile(0.9999),
            max_ns: h.max(),
            mean_ns: h.mean(),
            total_ms: run.total.as_secs_f64() * 1e3,
            window: run.window,
            window_max_ns: run.window_max_ns.clone(),
        }
    }
}

impl Results {
    /// Sets every row's ratio to the reference map (hashbrown) on the same workload and size.
    pub fn fill_ratios(&mut self) {
        let reference: Vec<(String, usize, f64)> = self
            .throughput
            .iter()
            .filter(|r| r.map == REFERENCE)
            .map(|r| (r.workload.clone(), r.n, r.ns_per_op))
            .collect();
        for row in &mut self.throughput {
            row.ratio_to_hashbrown = reference
                .iter()
                .find(|(w, n, _)| *w == row.workload && *n == row.n)
                .map(|&(_, _, ns)| row.ns_per_op / ns);
        }
    }

    /// The throughput and latency tables for the terminal.
    pub fn write_tables(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "machine: {}", self.machine.summary())?;
        writeln!(out, "hasher:  {}", self.config.hasher_description)?;
        writeln!(
            out,
            "method:  median of {} samples after {} warm-up, each at least {} operations; {}",
            self.config.reps,
            self.config.warmup,
            thousands(self.config.min_ops_per_sample as u64),
            if self.config.in_process {
                "every map in this process"
            } else {
                "each map and workload in a process of its own"
            }
        )?;
        if self.machine.profile != "release" {
            writeln!(
                out,
                "warning: debug build; run with --release for meaningful numbers"
            )?;
        }
        let maps = &self.config.maps;
        for &n in &self.config.sizes {
            let rows: Vec<&ThroughputRow> = self.throughput.iter().filter(|r| r.n == n).collect();
            if rows.is_empty() {
                continue;
            }
            writeln!(
                out,
                "\nns/op (ratio to {REFERENCE}), n = {}",
                thousands(n as u64)
            )?;
            write!(out, "{:<17}", "workload")?;
            for map in maps {
                write!(out, "{map:>18}")?;
            }
            writeln!(out)?;
            for workload in &self.config.workloads {
                let cells: Vec<Option<&&ThroughputRow>> = maps
                    .iter()
                    .map(|m| rows.iter().find(|r| &r.map == m && &r.workload == workload))
                    .collect();
                if cells.iter().all(Option::is_none) {
                    continue;
                }
                write!(out, "{workload:<17}")?;
                for cell in cells {
                    let text = match cell {
                        Some(r) => match r.ratio_to_hashbrown {
                            Some(ratio) => format!("{:.1} ({ratio:.2}x)", r.ns_per_op),
                            None => format!("{:.1}", r.ns_per_op),
                        },
                        None => "-".to_owned(),
                    };
                    write!(out, "{text:>18}")?;
                }
                writeln!(out)?;
            }
        }
        if let Some(first) = self.latency.first() {
            writeln!(
                out,
                "\nper-insert latency, growing from empty to {} entries",
                thousands(first.n as u64)
            )?;
            writeln!(
                out,
                "{:<12}{:>11}{:>11}{:>11}{:>11}{:>12}",
                "map", "p50", "p99", "p99.99", "max", "total"
            )?;
            for r in &self.latency {
                writeln!(
                    out,
                    "{:<12}{:>11}{:>11}{:>11}{:>11}{:>12}",
                    r.map,
                    duration_ns(r.p50_ns as f64),
                    duration_ns(r.p99_ns as f64),
                    duration_ns(r.p9999_ns as f64),
                    duration_ns(r.max_ns as f64),
                    duration_ns(r.total_ms * 1e6),
                )?;
            }
        }
        Ok(())
    }

    /// `results.csv`: one row per measurement; throughput rows leave the latency columns empty and vice versa.
    pub fn csv(&self) -> String {
        let mut csv = String::from(
            "kind,map,workload,n,ns_per_op,min_ns_per_op,max_ns_per_op,ratio_to_hashbrown,p50_ns,p99_ns,p9999_ns,max_ns,mean_ns\n",
        );
        for r in &self.throughput {
            let ratio = r
                .ratio_to_hashbrown
                .map(|x| format!("{x:.4}"))
                .unwrap_or_default();
            csv.push_str(&format!(
                "throughput,{},{},{},{:.3},{:.3},{:.3},{ratio},,,,,\n",
                r.map, r.workload, r.n, r.ns_per_op, r.min_ns_per_op, r.max_ns_per_op
            ));
        }
        for r in &self.latency {
            csv.push_str(&format!(
                "latency,{},{},{},,,,,{},{},{},{},{:.1}\n",
                r.map,
                Workload::Latency.name(),
                r.n,
                r.p50_ns,
                r.p99_ns,
                r.p9999_ns,
                r.max_ns,
                r.mean_ns
            ));
        }
        csv
    }

    /// The per-insert latency picture, if a latency run was made.
    pub fn latency_figure(&self) -> Option<LatencyFigure> {
        let first = self.latency.first()?;
        Some(LatencyFigure {
            title: format!(
                "slowest insert of each {}-insert window while growing to {} (hasher {}; {})",
                thousands(first.window as u64),
                thousands(first.n as u64),
                self.config.hasher,
                self.machine.cpu
            ),
            n: first.n,
            x_desc: "insert number".to_owned(),
            y_desc: "slowest insert".to_owned(),
            series: self
                .latency
                .iter()
                .map(|r| LatencySeries {
                    map: r.map.clone(),
                    window: r.window,
                    window_max_ns: r.window_max_ns.clone(),
                })
                .collect(),
        })
    }

    /// The throughput bars, if any throughput was measured.
    pub fn throughput_figure(&self) -> Option<ThroughputFigure> {
        if self.throughput.is_empty() {
            return None;
        }
        Some(ThroughputFigure {
            title: format!(
                "throughput, u64 -> u64 (hasher {}; {})",
                self.config.hasher, self.machine.cpu
            ),
            bars: self
                .throughput
                .iter()
                .map(|r| ThroughputBar {
                    panel: format!("n = {}", thousands(r.n as u64)),
                    group: r.workload.clone(),
                    map: r.map.clone(),
                    ns_per_op: r.ns_per_op,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results() -> Results {
        let row = |map: &str, ns: f64| {
            ThroughputRow::new(map, Workload::Hit, 1000, vec![ns, ns + 2.0, ns - 1.0])
        };
        let mut r = Results {
            tool: "glassmap bench".into(),
            machine: Machine::detect(),
            config: Config {
                hasher: "default".into(),
                hasher_description: "default".into(),
                seed: 1,
                sizes: vec![1000],
                latency_n: 0,
                reps: 3,
                warmup: 1,
                min_ops_per_sample: 1 << 20,
                in_process: false,
                maps: vec!["glassmap".into(), "hashbrown".into()],
                workloads: vec!["hit".into()],
                descriptions: BTreeMap::new(),
            },
            throughput: vec![row("glassmap", 30.0), row("hashbrown", 20.0)],
            latency: vec![],
            concurrent: None,
        };
        r.fill_ratios();
        r
    }

    #[test]
    fn medians_and_ratios() {
        let r = results();
        assert_eq!(r.throughput[0].ns_per_op, 30.0);
        assert_eq!(r.throughput[0].min_ns_per_op, 29.0);
        assert_eq!(r.throughput[0].ratio_to_hashbrown, Some(1.5));
        assert_eq!(r.throughput[1].ratio_to_hashbrown, Some(1.0));
    }

    #[test]
    fn csv_rows_have_the_header_width() {
        let csv = results().csv();
        let widths: Vec<usize> = csv.lines().map(|l| l.split(',').count()).collect();
        assert!(widths.iter().all(|&w| w == widths[0]), "{csv}");
        assert_eq!(widths.len(), 3);
    }

    #[test]
    fn table_shows_ratio() {
        let mut out = Vec::new();
        results().write_tables(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("30.0 (1.50x)"), "{text}");
    }
}
