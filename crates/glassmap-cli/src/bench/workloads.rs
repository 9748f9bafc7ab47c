//! The registry of workloads. Adding one is a variant in [`Workload`], its name and description, and its arm in
//! [`Workload::run`]; every map in the registry then runs it.

use std::hash::BuildHasher;
use std::hint::black_box;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::input::Input;
use super::interrupted;
use super::maps::{BenchMap, MapKind};
use crate::error::Error;

/// By default a throughput sample runs the workload's pass over the keys as often as needed to reach this many
/// operations, so that small maps are timed over milliseconds, not microseconds (`--min-ops`).
pub const MIN_OPS_PER_SAMPLE: usize = 1 << 20;

/// The latency series is downsampled to about this many windows (each keeps its slowest insert).
pub const LATENCY_WINDOWS: usize = 2000;

/// Largest latency the histogram records (one hour); slower inserts saturate.
const LATENCY_CEILING_NS: u64 = 3_600_000_000_000;

/// A single-threaded workload on u64 -> u64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// Insert n distinct keys into a map created without a capacity hint.
    Insert,
    /// Insert n distinct keys into a map created with capacity n.
    InsertPresized,
    /// Look up present keys, in random order.
    Hit,
    /// Look up keys that were never inserted.
    Miss,
    /// Remove every key, in random order.
    Remove,
    /// Iterate over all entries (summing the values); time per entry.
    Iterate,
    /// Time every insert individually while growing from empty: latency percentiles and a series for the plot.
    Latency,
    /// Look up present keys in random order through the map's batched lookup (glassmap `get_batch`;
    /// the others one `get` at a time).
    HitBatch,
    /// As `HitBatch`, with keys that were never inserted.
    MissBatch,
    /// Insert n keys into an empty map in one call (glassmap `insert_batch`, the others `extend`).
    InsertBatch,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 10] = [
        Workload::Insert,
        Workload::InsertPresized,
        Workload::InsertBatch,
        Workload::Hit,
        Workload::HitBatch,
        Workload::Miss,
        Workload::MissBatch,
        Workload::Remove,
        Workload::Iterate,
        Workload::Latency,
    ];

    /// Name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Insert => "insert",
            Workload::InsertPresized => "insert-presized",
            Workload::Hit => "hit",
            Workload::Miss => "miss",
            Workload::Remove => "remove",
            Workload::Iterate => "iterate",
            Workload::Latency => "latency",
            Workload::HitBatch => "hit-batch",
            Workload::MissBatch => "miss-batch",
            Workload::InsertBatch => "insert-batch",
        }
    }

    /// One line for `--help`.
    pub fn about(self) -> &'static str {
        match self {
            Workload::Insert => "insert n keys into an empty map (no capacity hint)",
            Workload::InsertPresized => "insert n keys into a map created with capacity n",
            Workload::Hit => "look up present keys in random order",
            Workload::Miss => "look up keys that are not present",
            Workload::Remove => "remove all n keys in random order",
            Workload::Iterate => "iterate over all entries (ns per entry)",
            Workload::Latency => "time each insert while growing from empty to --latency-n",
            Workload::HitBatch => "batched lookups of present keys (glassmap get_batch)",
            Workload::MissBatch => "batched lookups of absent keys (glassmap get_batch)",
            Workload::InsertBatch => {
                "insert n keys in one call (glassmap insert_batch, others extend)"
            }
        }
    }

    /// True for the per-insert latency run, which is measured once per map at `--latency-n`.
    pub fn is_latency(self) -> bool {
        self == Workload::Latency
    }

    /// The workload called `name`.
    pub fn find(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// Runs one sample on map kind `M` with hasher builder `s`; a throughput sample repeats its pass over the
    /// keys until it has done at least `min_ops` operations.
    pub fn run<M: MapKind, S: BuildHasher + Clone>(
        self,
        input: &Input,
        s: &S,
        min_ops: usize,
    ) -> Result<Outcome, Error> {
        let build = |capacity: usize| {
            let mut map = M::with_capacity_and_hasher(capacity, s.clone());
            for &k in &input.keys {
                map.insert(k, k);
            }
            map
        };
        let rounds = min_ops.div_ceil(input.n.max(1)).max(1);
        let mut elapsed = Duration::ZERO;
        match self {
            Workload::Insert | Workload::InsertPresized => {
                let capacity = if self == Workload::Insert { 0 } else { input.n };
                for _ in 0..rounds {
                    let start = Instant::now();
                    let map = build(capacity);
                    elapsed += start.elapsed();
                    black_box(map.len()); // dropped outside the timed region
                }
            }
            Workload::Hit | Workload::Miss => {
                let map = build(0);
                let keys = if self == Workload::Hit {
                    &input.shuffled
                } else {
                    &input.missing
                };
                let start = Instant::now();
                let mut sum = 0u64;
                for _ in 0..rounds {
                    for &k in keys {
                        sum = sum.wrapping_add(map.get(k).unwrap_or(1));
                    }
                }
                elapsed = start.elapsed();
                black_box(sum);
            }
            Workload::InsertBatch => {
                for _ in 0..rounds {
                    let start = Instant::now();
                    let mut map = M::with_capacity_and_hasher(0, s.clone());
                    map.insert_many(&input.keys);
                    elapsed += start.elapsed();
                    black_box(map.len());
                }
            }
            Workload::HitBatch | Workload::MissBatch => {
                let map = build(0);
                let keys = if self == Workload::HitBatch {
                    &input.shuffled
                } else {
                    &input.missing
                };
                let start = Instant::now();
                let mut sum = 0u64;
                for _ in 0..rounds {
                    sum = sum.wrapping_add(map.get_many(black_box(keys)));
                }
                elapsed = start.elapsed();
                black_box(sum);
            }
            Workload::Remove => {
                for _ in 0..rounds {
                    let mut map = build(0);
                    let start = Instant::now();
                    for &k in &input.shuffled {
                        black_box(map.remove(k));
                    }
                    elapsed += start.elapsed();
                    black_box(map.len());
                }
            }
            Workload::Iterate => {
                let map = build(0);
                let start = Instant::now();
                for _ in 0..rounds {
                    black_box(black_box(&map).sum_values());
                }
                elapsed = start.elapsed();
            }
            Workload::Latency => return latency::<M, S>(input, s).map(Outcome::Latency),
        }
        let ops = rounds * input.n;
        Ok(Outcome::Throughput {
            ns_per_op: elapsed.as_nanos() as f64 / ops as f64,
        })
    }
}

/// What one sample of a workload measured.
#[derive(Debug)]
pub enum Outcome {
    /// Mean nanoseconds per operation over the sample.
    Throughput {
        /// Nanoseconds per operation.
        ns_per_op: f64,
    },
    /// A per-insert latency run.
    Latency(LatencyRun),
}

/// Per-insert latencies while growing a map from empty.
#[derive(Debug)]
pub struct LatencyRun {
    /// Every insert's latency in nanoseconds (3 significant digits).
    pub histogram: Histogram<u64>,
    /// Inserts per window of the series.
    pub window: usize,
    /// Slowest insert of each window, in nanoseconds: the maximum survives downsampling, so spikes do too.
    pub window_max_ns: Vec<u64>,
    /// Wall time of the whole run, timer included.
    pub total: Duration,
}

/// Grows a map from empty to `input.n`, timing each insert with its own pair of `Instant::now()` calls.
fn latency<M: MapKind, S: BuildHasher + Clone>(input: &Input, s: &S) -> Result<LatencyRun, Error> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, LATENCY_CEILING_NS, 3)
        .expect("static histogram bounds are valid");
    let window = input.n.div_ceil(LATENCY_WINDOWS).max(1);
    let mut window_max_ns = Vec::with_capacity(input.n.div_ceil(window));
    let mut slowest = 0u64;
    let mut map = M::with_capacity_and_hasher(0, s.clone());
    let run_start = Instant::now();
    for (i, &k) in input.keys.iter().enumerate() {
        let start = Instant::now();
        map.insert(k, k);
        let ns = start
            .elapsed()
            .as_nanos()
            .min(u128::from(LATENCY_CEILING_NS)) as u64;
        histogram.saturating_record(ns.max(1));
        slowest = slowest.max(ns);
        if (i + 1) % window == 0 || i + 1 == input.n {
            window_max_ns.push(slowest);
            slowest = 0;
            if interrupted() {
                return Err(Error::Interrupted);
            }
        }
    }
    let total = run_start.elapsed();
    black_box(map.len());
    Ok(LatencyRun {
        histogram,
        window,
        window_max_ns,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::maps::Hashbrown;

    #[test]
    fn names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(Workload::find(w.name()), Some(w));
        }
    }

    #[test]
    fn every_workload_measures_something() {
        let input = Input::new(2000, 1);
        let s = std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default();
        for w in Workload::ALL {
            match w.run::<Hashbrown, _>(&input, &s, 1000).unwrap() {
                Outcome::Throughput { ns_per_op } => assert!(ns_per_op > 0.0, "{}", w.name()),
                Outcome::Latency(run) => {
                    assert_eq!(run.histogram.len(), 2000);
                    assert_eq!(run.window, 1);
                    assert_eq!(run.window_max_ns.len(), 2000);
                }
            }
        }
    }
}
