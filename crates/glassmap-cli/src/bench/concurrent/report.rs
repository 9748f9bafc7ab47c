//! What the concurrent section reports: rows for results.json, `concurrent.csv`, the terminal tables and the
//! two pictures.

use std::io::{self, Write};

use glassmap_workloads::concurrent::{Measurement, Mix, OpKind};
use serde::Serialize;

use super::registry::REFERENCE;
use crate::plot::{LatencyFigure, LatencySeries, ThroughputBar, ThroughputFigure};
use crate::units::{duration_ns, thousands};

/// The concurrent section of a `bench` run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ConcurrentResults {
    /// Capacity hint of the pre-sized mixes (pre-filled to 75 % for read-heavy and exchange).
    pub capacity: usize,
    /// Timed operations per run, all threads together (TrueGrow: enough to grow to `grow_to`).
    pub operations: usize,
    /// Entries TrueGrow grows to from empty.
    pub grow_to: usize,
    /// Thread counts run.
    pub threads: Vec<usize>,
    /// One row per map, mix and thread count.
    pub rows: Vec<ConcurrentRow>,
    /// Maps not run on a mix, and why.
    pub skipped: Vec<Skipped>,
}

/// A map left out of a mix.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// Map name.
    pub map: String,
    /// Mix name.
    pub mix: String,
    /// Why.
    pub reason: String,
}

/// One map on one mix at one thread count.
#[derive(Clone, Debug, Serialize)]
pub struct ConcurrentRow {
    /// Map name.
    pub map: String,
    /// Mix name.
    pub mix: String,
    /// Threads.
    pub threads: usize,
    /// Million operations per second, all threads, from the untimed pass.
    pub mops: f64,
    /// `mops` divided by dashmap's (above 1 = faster than dashmap), if dashmap ran.
    pub ratio_to_dashmap: Option<f64>,
    /// Operations in the untimed pass.
    pub operations: u64,
    /// CPU time of the threads per operation in the untimed pass (Linux), steadier than Mop/s on a
    /// shared machine.
    pub cpu_ns_per_op: Option<f64>,
    /// True if a pass hit the time limit (its operations so far are counted).
    pub stopped_early: bool,
    /// Per-operation latency by kind, from the timed pass (every operation timed on its own).
    pub latency: Vec<OpLatency>,
    /// Operations per thread in each window of `window_max_ns`.
    pub window: usize,
    /// Slowest operation of each window in the timed pass.
    pub window_max_ns: Vec<u64>,
}

/// Latency of one kind of operation.
#[derive(Clone, Debug, Serialize)]
pub struct OpLatency {
    /// `read`, `insert`, `remove`, `update`.
    pub op: String,
    /// Operations timed.
    pub count: u64,
    /// Median.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.99th percentile.
    pub p9999_ns: u64,
    /// Slowest.
    pub max_ns: u64,
}

impl ConcurrentRow {
    /// A row from the untimed (`throughput`) and timed (`latency`) passes.
    pub fn new(
        map: &str,
        mix: Mix,
        threads: usize,
        throughput: &Measurement,
        latency: &Measurement,
    ) -> Self {
        let ops = latency.latency.as_ref().map_or(Vec::new(), |histograms| {
            OpKind::ALL
                .iter()
                .zip(histograms)
                .filter(|(_, h)| !h.is_empty())
                .map(|(op, h)| OpLatency {
                    op: op.name().to_owned(),
                    count: h.len(),
                    p50_ns: h.value_at_quantile(0.5),
                    p99_ns: h.value_at_quantile(0.99),
                    p9999_ns: h.value_at_quantile(0.9999),
                    max_ns: h.max(),
                })
                .collect()
        });
        ConcurrentRow {
            map: map.to_owned(),
            mix: mix.name().to_owned(),
            threads,
            mops: throughput.mops(),
            ratio_to_dashmap: None,
            operations: throughput.operations,
            cpu_ns_per_op: throughput.cpu_ns_per_op,
            stopped_early: throughput.stopped_early || latency.stopped_early,
            latency: ops,
            window: latency.window,
            window_max_ns: latency.window_max_ns.clone(),
        }
    }
}

impl ConcurrentResults {
    /// Sets every row's ratio to dashmap's on the same mix and thread count.
    pub fn fill_ratios(&mut self) {
        let reference: Vec<(String, usize, f64)> = self
            .rows
            .iter()
            .filter(|r| r.map == REFERENCE)
            .map(|r| (r.mix.clone(), r.threads, r.mops))
            .collect();
        for row in &mut self.rows {
            row.ratio_to_dashmap = reference
                .iter()
                .find(|(mix, threads, _)| *mix == row.mix && *threads == row.threads)
                .map(|&(_, _, mops)| row.mops / mops);
        }
    }

    fn distinct(&self, key: impl Fn(&ConcurrentRow) -> String) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for row in &self.rows {
            let k = key(row);
            if !seen.contains(&k) {
                seen.push(k);
            }
        }
        seen
    }

    /// Per mix: Mop/s per map and thread count with the ratio to dashmap, then latency percentiles per
    /// operation kind at the highest thread count.
    pub fn write_tables(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        writeln!(
            out,
            "\nconcurrent, u64 -> u64: pre-sized mixes at capacity {}, {} operations per run, true-grow to {}",
            thousands(self.capacity as u64),
            thousands(self.operations as u64),
            thousands(self.grow_to as u64)
        )?;
        let maps = self.distinct(|r| r.map.clone());
        let most = self.threads.iter().copied().max().unwrap_or(1);
        for mix in self.distinct(|r| r.mix.clone()) {
            let about = Mix::find(&mix).map_or("", Mix::about);
            writeln!(out, "\n{mix}: {about}\nMop/s (ratio to {REFERENCE})")?;
            write!(out, "{:<18}", "map")?;
            for &threads in &self.threads {
                write!(
                    out,
                    "{:>20}",
                    format!("{threads} thread{}", if threads == 1 { "" } else { "s" })
                )?;
            }
            writeln!(out)?;
            for map in &maps {
                let cells: Vec<Option<&ConcurrentRow>> = self
                    .threads
                    .iter()
                    .map(|&t| {
                        self.rows
                            .iter()
                            .find(|r| &r.map == map && r.mix == mix && r.threads == t)
                    })
                    .collect();
                if cells.iter().all(Option::is_none) {
                    continue;
                }
                write!(out, "{map:<18}")?;
                for cell in cells {
                    let text = match cell {
                        Some(r) => {
                            let flag = if r.stopped_early { "*" } else { "" };
                            match r.ratio_to_dashmap {
                                Some(ratio) => format!("{:.2}{flag} ({ratio:.2}x)", r.mops),
                                None => format!("{:.2}{flag}", r.mops),
                            }
                        }
                        None => "-".to_owned(),
                    };
                    write!(out, "{text:>20}")?;
                }
                writeln!(out)?;
            }
            for skipped in self.skipped.iter().filter(|s| s.mix == mix) {
                writeln!(out, "{:<18}not run: {}", skipped.map, skipped.reason)?;
            }
            writeln!(
                out,
                "latency at {most} thread{}, every operation timed",
                if most == 1 { "" } else { "s" }
            )?;
            writeln!(
                out,
                "{:<18}{:<8}{:>10}{:>10}{:>10}{:>10}",
                "map", "op", "p50", "p99", "p99.99", "max"
            )?;
            for row in self
                .rows
                .iter()
                .filter(|r| r.mix == mix && r.threads == most)
            {
                for op in &row.latency {
                    writeln!(
                        out,
                        "{:<18}{:<8}{:>10}{:>10}{:>10}{:>10}",
                        row.map,
                        op.op,
                        duration_ns(op.p50_ns as f64),
                        duration_ns(op.p99_ns as f64),
                        duration_ns(op.p9999_ns as f64),
                        duration_ns(op.max_ns as f64)
                    )?;
                }
            }
        }
        if self.rows.iter().any(|r| r.stopped_early) {
            writeln!(
                out,
                "* stopped at the time limit; the operations done by then are counted"
            )?;
        }
        Ok(())
    }

    /// `concurrent.csv`: one line per map, mix, thread count and operation kind.
    pub fn csv(&self) -> String {
        let mut csv = String::from(
            "map,mix,threads,mops,ratio_to_dashmap,cpu_ns_per_op,op,count,p50_ns,p99_ns,p9999_ns,max_ns\n",
        );
        for r in &self.rows {
            let cpu = r
                .cpu_ns_per_op
                .map(|ns| format!("{ns:.1}"))
                .unwrap_or_default();
            let ratio = r
                .ratio_to_dashmap
                .map(|x| format!("{x:.4}"))
                .unwrap_or_default();
            for op in &r.latency {
                csv.push_str(&format!(
                    "{},{},{},{:.4},{ratio},{cpu},{},{},{},{},{},{}\n",
                    r.map,
                    r.mix,
                    r.threads,
                    r.mops,
                    op.op,
                    op.count,
                    op.p50_ns,
                    op.p99_ns,
                    op.p9999_ns,
                    op.max_ns
                ));
            }
        }
        csv
    }

    /// Bars per mix, thread counts side by side, one bar per map.
    pub fn throughput_figure(&self, hasher: &str, cpu: &str) -> Option<ThroughputFigure> {
        if self.rows.is_empty() {
            return None;
        }
        Some(ThroughputFigure {
            title: format!("concurrent throughput, u64 -> u64 (hasher {hasher}; {cpu})"),
            bars: self
                .rows
                .iter()
                .map(|r| ThroughputBar {
                    panel: r.mix.clone(),
                    group: format!(
                        "{} thread{}",
                        r.threads,
                        if r.threads == 1 { "" } else { "s" }
                    ),
                    map: r.map.clone(),
                    ns_per_op: 1e3 / r.mops.max(1e-9),
                })
                .collect(),
        })
    }

    /// TrueGrow's per-operation latency over the run at the highest thread count, one panel per map: a
    /// whole-shard rehash shows as a spike.
    pub fn latency_figure(&self, hasher: &str, cpu: &str) -> Option<LatencyFigure> {
        let most = self.threads.iter().copied().max()?;
        let rows: Vec<&ConcurrentRow> = self
            .rows
            .iter()
            .filter(|r| {
                r.mix == Mix::TrueGrow.name() && r.threads == most && !r.window_max_ns.is_empty()
            })
            .collect();
        let first = rows.first()?;
        Some(LatencyFigure {
            title: format!(
                "true-grow to {}, {most} threads: slowest operation of each {}-operation window (hasher {hasher}; {cpu})",
                thousands(self.grow_to as u64),
                thousands(first.window as u64)
            ),
            n: first.window * first.window_max_ns.len(),
            x_desc: "operation number (per thread)".to_owned(),
            y_desc: "slowest operation".to_owned(),
            series: rows
                .iter()
                .map(|r| LatencySeries {
                    map: r.map.clone(),
                    window: r.window,
                    window_max_ns: r.window_max_ns.clone(),
                })
                .collect(),
        })
    }
}
