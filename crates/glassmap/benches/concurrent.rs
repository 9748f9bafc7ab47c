//! Concurrent maps under bustle's mixes, TrueGrow and a Zipf ReadHeavy (workloads and maps from
//! `glassmap-workloads`, the same code `glassmap bench --concurrent` runs), and `BatchWriter`
//! against per-operation inserts. A plain `harness = false` binary that prints tables: throughput
//! from an untimed pass, latency percentiles from a second pass that times every operation (HDR
//! histogram, all kinds of operation together).
//!
//!     cargo bench -p glassmap --bench concurrent                   # everything (several minutes)
//!     cargo bench -p glassmap --bench concurrent -- true-grow/2    # rows whose id contains it
//!     cargo bench -p glassmap --bench concurrent -- batch          # the BatchWriter comparison
//!
//! Every map uses the same hasher (`glassmap::RandomState::with_seed`). After each pass the map's
//! length must equal what its operations imply, or the benchmark stops. `CPU ns/op` is the
//! threads' CPU time per operation (Linux), steadier than Mop/s when other work shares the cores.

use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use glassmap::RandomState;
use glassmap::sync::ShardedMap;
use glassmap_workloads::concurrent::maps::{
    ConcurrentKind, Dashmap, GlassSharded, LockedHashbrown, Papaya, PapayaPerOp, Scc,
};
use glassmap_workloads::concurrent::{Config, Measurement, Mix, run};
use hdrhistogram::Histogram;

fn hasher() -> RandomState {
    RandomState::with_seed(0x5eed)
}

/// Capacity hint of the presized mixes (and base of their 75 % prefill).
const CAPACITY: usize = 1 << 21;
/// Operations per run of the presized mixes, all threads together.
const OPS: usize = 1 << 22;
/// TrueGrow grows an empty map to this many entries (80 % inserts, 5 % removes).
const GROW_TO: usize = 8_000_000;
/// BatchWriter comparison: distinct keys per thread.
const BULK_KEYS: u64 = 4_000_000;

/// One row: throughput and latency of one map on one mix.
struct Row {
    map: &'static str,
    mops: f64,
    cpu_ns_per_op: Option<f64>,
    latency: Histogram<u64>,
    stopped_early: bool,
}

fn config(mix: Mix, threads: usize, record_latency: bool) -> Config {
    let operations = if mix == Mix::TrueGrow {
        GROW_TO * 4 / 3
    } else {
        OPS
    };
    Config {
        mix,
        threads,
        capacity: CAPACITY,
        operations,
        seed: 42,
        record_latency,
        time_limit: Duration::from_secs(60),
    }
}

fn checked(name: &str, m: Measurement) -> Measurement {
    assert_eq!(
        m.final_len, m.expected_len,
        "{name}: the map lost or invented entries"
    );
    m
}

fn measure<K: ConcurrentKind>(mix: Mix, threads: usize) -> Row {
    let throughput = checked(K::NAME, run::<K, _>(&config(mix, threads, false), hasher()));
    let timed = checked(K::NAME, run::<K, _>(&config(mix, threads, true), hasher()));
    let mut latency = Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid bounds");
    for h in timed.latency.iter().flatten() {
        latency.add(h).expect("equal bounds");
    }
    Row {
        map: K::NAME,
        mops: throughput.mops(),
        cpu_ns_per_op: throughput.cpu_ns_per_op,
        latency,
        stopped_early: throughput.stopped_early || timed.stopped_early,
    }
}

fn ns(n: u64) -> String {
    match n {
        0..10_000 => format!("{n} ns"),
        10_000..10_000_000 => format!("{:.1} µs", n as f64 / 1e3),
        _ => format!("{:.1} ms", n as f64 / 1e6),
    }
}

fn run_mix(mix: Mix, threads: usize, filter: &str) {
    let prefix = format!("{}/{threads}", mix.name());
    let mut rows = Vec::new();
    macro_rules! maps {
        ($($kind:ty),*) => {$(
            if format!("{prefix}/{}", <$kind>::NAME).contains(filter) && <$kind>::unsuited(mix).is_none() {
                rows.push(measure::<$kind>(mix, threads));
            }
        )*};
    }
    maps!(
        GlassSharded,
        Dashmap,
        Papaya,
        PapayaPerOp,
        Scc,
        LockedHashbrown
    );
    if rows.is_empty() {
        return;
    }
    let mops = |name: &str| rows.iter().find(|r| r.map == name).map(|r| r.mops);
    let best_peer = [Dashmap::NAME, Papaya::NAME, Scc::NAME]
        .into_iter()
        .filter_map(mops)
        .fold(f64::NAN, f64::max);
    let config = config(mix, threads, false);
    println!(
        "\n{prefix}: {} ({} operations)",
        mix.about(),
        config.operations
    );
    println!(
        "| map | Mop/s | CPU ns/op | / dashmap | / best of dashmap, papaya, scc | p50 | p99 | p99.99 | max |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let ratio = |base: Option<f64>| base.map_or("-".into(), |b| format!("{:.2}", r.mops / b));
        let h = &r.latency;
        println!(
            "| {}{} | {:.2} | {} | {} | {} | {} | {} | {} | {} |",
            r.map,
            if r.stopped_early {
                " (stopped at the time limit)"
            } else {
                ""
            },
            r.mops,
            r.cpu_ns_per_op.map_or("-".into(), |ns| format!("{ns:.0}")),
            ratio(mops(Dashmap::NAME)),
            ratio((!best_peer.is_nan()).then_some(best_peer)),
            ns(h.value_at_quantile(0.5)),
            ns(h.value_at_quantile(0.99)),
            ns(h.value_at_quantile(0.9999)),
            ns(h.max()),
        );
    }
}

/// 2 threads insert `BULK_KEYS` distinct keys each into one empty map (no capacity hint):
/// per-op `insert` vs a `BatchWriter` per thread (vs dashmap's per-op insert for context).
fn run_batch_writer() {
    let keys = |t: u64| (0..BULK_KEYS).map(move |i| hasher().hash_one((t << 40) | i));
    let time = |load: &(dyn Fn(u64) + Sync)| {
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..2 {
                s.spawn(move || load(t));
            }
        });
        start.elapsed()
    };
    println!(
        "\nBatchWriter: 2 threads x {BULK_KEYS} distinct keys into one empty map (no hint), twice"
    );
    println!("| load | run 1 Mop/s | run 2 Mop/s |");
    println!("|---|---:|---:|");
    let total = 2.0 * BULK_KEYS as f64;
    let mut rows: Vec<(&str, Vec<f64>)> = Vec::new();
    for _ in 0..2 {
        let mut one =
            |name: &'static str, secs: f64| match rows.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => v.push(total / secs / 1e6),
                None => rows.push((name, vec![total / secs / 1e6])),
            };
        let map: ShardedMap<u64, u64> = ShardedMap::with_hasher(hasher());
        let elapsed = time(&|t| {
            keys(t).for_each(|k| {
                map.insert(k, k);
            })
        });
        assert_eq!(map.len() as u64, 2 * BULK_KEYS);
        one("ShardedMap, per-op insert", elapsed.as_secs_f64());
        drop(map);
        let map: ShardedMap<u64, u64> = ShardedMap::with_hasher(hasher());
        let elapsed = time(&|t| {
            let mut writer = map.batch_writer();
            keys(t).for_each(|k| writer.insert(k, k));
        });
        assert_eq!(map.len() as u64, 2 * BULK_KEYS);
        one(
            "ShardedMap, BatchWriter (default capacity)",
            elapsed.as_secs_f64(),
        );
        drop(map);
        let map = dashmap::DashMap::with_hasher(hasher());
        let elapsed = time(&|t| {
            keys(t).for_each(|k| {
                map.insert(k, k);
            })
        });
        assert_eq!(map.len() as u64, 2 * BULK_KEYS);
        one("dashmap 6, per-op insert", elapsed.as_secs_f64());
    }
    for (name, v) in &rows {
        println!("| {name} | {:.1} | {:.1} |", v[0], v[1]);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; the first other argument is a filter on row ids.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    println!(
        "concurrent maps, u64 -> u64, hasher glassmap::RandomState::with_seed; {} threads available",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    for mix in Mix::ALL {
        for threads in [1, 2] {
            run_mix(mix, threads, &filter);
        }
    }
    if "batch".contains(&filter) || filter.contains("batch") {
        run_batch_writer();
    }
}
