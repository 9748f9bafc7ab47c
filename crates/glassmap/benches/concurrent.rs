//! Concurrent maps under bustle's mixes and TrueGrow (workloads from `glassmap-workloads`), and
//! `BatchWriter` against per-operation inserts. A plain `harness = false` binary that prints a
//! table: throughput from an untimed-per-op run, latency percentiles from a second run that
//! times every operation (HDR histogram).
//!
//!     cargo bench -p glassmap --bench concurrent                 # everything (a few minutes)
//!     cargo bench -p glassmap --bench concurrent -- TrueGrow/2   # rows whose id contains it
//!     cargo bench -p glassmap --bench concurrent -- batch        # the BatchWriter comparison
//!
//! `GLASSMAP_BENCH_CAPACITY` and `GLASSMAP_BENCH_OPS` override the presized workloads' capacity
//! hint (2^21) and operation count (2^22). `CPU ns/op` is the threads' CPU time per operation,
//! steadier than wall-clock throughput on a shared machine.
//!
//! Every map uses the same hasher (`glassmap::RandomState::with_seed`). Each row's `hits`
//! column is a checksum: the workloads are deterministic per thread, so every map must report
//! the same number of found keys.

use std::hash::BuildHasher;
use std::sync::RwLock;
use std::time::Instant;

use glassmap::RandomState;
use glassmap::sync::ShardedMap;
use glassmap_workloads::{ConcurrentMap, MapThread, Plan, Workload, run_latency, run_throughput};

fn hasher() -> RandomState {
    RandomState::with_seed(0x5eed)
}

/// Capacity hint of the presized workloads (and base of their 75 % prefill).
const CAPACITY: usize = 1 << 21;
/// Operations per run of the presized workloads, all threads together.
const OPS: usize = 1 << 22;
/// TrueGrow: operations such that 80 % of them insert 8M keys in all.
const TRUE_GROW_OPS: usize = 10_000_000;
/// BatchWriter comparison: distinct keys per thread.
const BULK_KEYS: u64 = 4_000_000;

// ---- adapters (newtypes: the traits and the maps are both foreign here) ---------------------

/// Implements [`ConcurrentMap`] for a newtype over a map whose threads share `&Newtype`.
macro_rules! shared_by_reference {
    ($newtype:ident($inner:ty), |$capacity:ident| $build:expr) => {
        struct $newtype($inner);

        impl ConcurrentMap for $newtype {
            type Thread<'a> = &'a $newtype;
            fn with_capacity($capacity: usize) -> Self {
                $newtype($build)
            }
            fn thread(&self) -> &Self {
                self
            }
        }
    };
}

shared_by_reference!(Sharded(ShardedMap<u64, u64>), |capacity| {
    ShardedMap::with_capacity_and_hasher(capacity, hasher())
});

impl MapThread for &Sharded {
    #[inline]
    fn read(&mut self, key: u64) -> bool {
        self.0.get(&key).is_some()
    }
    #[inline]
    fn insert(&mut self, key: u64, value: u64) {
        self.0.insert(key, value);
    }
    #[inline]
    fn remove(&mut self, key: u64) -> bool {
        self.0.remove(&key).is_some()
    }
    #[inline]
    fn update(&mut self, key: u64) -> bool {
        self.0.update(&key, |v| *v += 1).is_some()
    }
}

shared_by_reference!(Dash(dashmap::DashMap<u64, u64, RandomState>), |capacity| {
    dashmap::DashMap::with_capacity_and_hasher(capacity, hasher())
});

impl MapThread for &Dash {
    #[inline]
    fn read(&mut self, key: u64) -> bool {
        self.0.get(&key).map(|v| *v).is_some()
    }
    #[inline]
    fn insert(&mut self, key: u64, value: u64) {
        self.0.insert(key, value);
    }
    #[inline]
    fn remove(&mut self, key: u64) -> bool {
        self.0.remove(&key).is_some()
    }
    #[inline]
    fn update(&mut self, key: u64) -> bool {
        self.0.get_mut(&key).map(|mut v| *v += 1).is_some()
    }
}

type Papaya = papaya::HashMap<u64, u64, RandomState>;

fn papaya(capacity: usize) -> Papaya {
    papaya::HashMap::builder()
        .capacity(capacity)
        .hasher(hasher())
        .build()
}

/// papaya with one guard pinned for each thread's whole run.
struct PapayaThreadGuard(Papaya);

struct PapayaThread<'a> {
    map: &'a Papaya,
    guard: papaya::LocalGuard<'a>,
}

impl ConcurrentMap for PapayaThreadGuard {
    type Thread<'a> = PapayaThread<'a>;
    fn with_capacity(capacity: usize) -> Self {
        PapayaThreadGuard(papaya(capacity))
    }
    fn thread(&self) -> PapayaThread<'_> {
        PapayaThread {
            map: &self.0,
            guard: self.0.guard(),
        }
    }
}

impl MapThread for PapayaThread<'_> {
    #[inline]
    fn read(&mut self, key: u64) -> bool {
        self.map.get(&key, &self.guard).is_some()
    }
    #[inline]
    fn insert(&mut self, key: u64, value: u64) {
        self.map.insert(key, value, &self.guard);
    }
    #[inline]
    fn remove(&mut self, key: u64) -> bool {
        self.map.remove(&key, &self.guard).is_some()
    }
    #[inline]
    fn update(&mut self, key: u64) -> bool {
        self.map.update(key, |v| v + 1, &self.guard).is_some()
    }
}

// papaya with a guard pinned for each operation.
shared_by_reference!(PapayaOpGuard(Papaya), |capacity| papaya(capacity));

impl MapThread for &PapayaOpGuard {
    #[inline]
    fn read(&mut self, key: u64) -> bool {
        self.0.pin().get(&key).is_some()
    }
    #[inline]
    fn insert(&mut self, key: u64, value: u64) {
        self.0.pin().insert(key, value);
    }
    #[inline]
    fn remove(&mut self, key: u64) -> bool {
        self.0.pin().remove(&key).is_some()
    }
    #[inline]
    fn update(&mut self, key: u64) -> bool {
        self.0.pin().update(key, |v| v + 1).is_some()
    }
}

shared_by_reference!(Scc(scc::HashMap<u64, u64, RandomState>), |capacity| {
    scc::HashMap::with_capacity_and_hasher(capacity, hasher())
});

impl MapThread for &Scc {
    #[inline]
    fn read(&mut self, key: u64) -> bool {
        self.0.read_sync(&key, |_, v| *v).is_some()
    }
    #[inline]
    fn insert(&mut self, key: u64, value: u64) {
        let _ = self.0.insert_sync(key, value); // every inserted key is new
    }
    #[inline]
    fn remove(&mut self, key: u64) -> bool {
        self.0.remove_sync(&key).is_some()
    }
    #[inline]
    fn update(&mut self, key: u64) -> bool {
        self.0.update_sync(&key, |_, v| *v += 1).is_some()
    }
}

// What people write first: one lock around hashbrown.
shared_by_reference!(
    LockedHashbrown(RwLock<hashbrown::HashMap<u64, u64, RandomState>>),
    |capacity| {
        RwLock::new(hashbrown::HashMap::with_capacity_and_hasher(
            capacity,
            hasher(),
        ))
    }
);

impl MapThread for &LockedHashbrown {
    #[inline]
    fn read(&mut self, key: u64) -> bool {
        self.0.read().unwrap().get(&key).is_some()
    }
    #[inline]
    fn insert(&mut self, key: u64, value: u64) {
        self.0.write().unwrap().insert(key, value);
    }
    #[inline]
    fn remove(&mut self, key: u64) -> bool {
        self.0.write().unwrap().remove(&key).is_some()
    }
    #[inline]
    fn update(&mut self, key: u64) -> bool {
        self.0
            .write()
            .unwrap()
            .get_mut(&key)
            .map(|v| *v += 1)
            .is_some()
    }
}

// ---- the table --------------------------------------------------------------------------------

/// One row: throughput and latency of one map on one plan.
struct Row {
    map: &'static str,
    mops: f64,
    cpu_ns: Option<f64>,
    hits: u64,
    p50: u64,
    p99: u64,
    p9999: u64,
    max: u64,
}

fn measure<M: ConcurrentMap>(map: &'static str, plan: &Plan) -> Row {
    let throughput = run_throughput::<M>(plan);
    let latency = run_latency::<M>(plan);
    assert_eq!(
        throughput.hits, latency.throughput.hits,
        "{map}: runs disagree"
    );
    let h = &latency.histogram;
    Row {
        map,
        mops: throughput.mops(),
        cpu_ns: throughput.cpu_ns_per_op(),
        hits: throughput.hits,
        p50: h.value_at_quantile(0.5),
        p99: h.value_at_quantile(0.99),
        p9999: h.value_at_quantile(0.9999),
        max: h.max(),
    }
}

fn ns(n: u64) -> String {
    match n {
        0..10_000 => format!("{n} ns"),
        10_000..1_000_000 => format!("{:.1} µs", n as f64 / 1e3),
        _ => format!("{:.1} ms", n as f64 / 1e6),
    }
}

/// `name` from the environment if set (to shrink or grow a run), else `default`.
fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run_workload(workload: Workload, threads: usize, filter: &str) {
    let prefix = format!("{}/{threads}", workload.name());
    let maps: [&str; 6] = [
        "glassmap ShardedMap",
        "dashmap 6",
        "papaya 0.2 (thread guard)",
        "papaya 0.2 (op guard)",
        "scc 3",
        "RwLock<hashbrown>",
    ];
    if !maps
        .iter()
        .any(|m| format!("{prefix}/{m}").contains(filter))
    {
        return;
    }
    let ops = if workload == Workload::TrueGrow {
        TRUE_GROW_OPS
    } else {
        env_or("GLASSMAP_BENCH_OPS", OPS)
    };
    let capacity = env_or("GLASSMAP_BENCH_CAPACITY", CAPACITY);
    let plan = Plan::new(workload, threads, capacity, ops, 42);
    let mut rows = Vec::new();
    let mut run = |name: &'static str, f: fn(&'static str, &Plan) -> Row| {
        if format!("{prefix}/{name}").contains(filter) {
            rows.push(f(name, &plan));
        }
    };
    run(maps[0], measure::<Sharded>);
    run(maps[1], measure::<Dash>);
    run(maps[2], measure::<PapayaThreadGuard>);
    run(maps[3], measure::<PapayaOpGuard>);
    run(maps[4], measure::<Scc>);
    run(maps[5], measure::<LockedHashbrown>);
    let base = rows.iter().find(|r| r.map == maps[0]).map(|r| r.mops);
    println!(
        "\n{prefix} ({} ops{})",
        plan.total_ops(),
        if workload.presized() {
            format!(
                ", capacity hint {capacity}, prefill {} %",
                workload.prefill_percent()
            )
        } else {
            String::from(", no capacity hint")
        }
    );
    println!("| map | Mop/s | glassmap / map | CPU ns/op | p50 | p99 | p99.99 | max | hits |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let ratio = base.map_or(String::from("-"), |b| format!("{:.2}", b / r.mops));
        let cpu = r.cpu_ns.map_or(String::from("-"), |c| format!("{c:.0}"));
        println!(
            "| {} | {:.1} | {ratio} | {cpu} | {} | {} | {} | {} | {} |",
            r.map,
            r.mops,
            ns(r.p50),
            ns(r.p99),
            ns(r.p9999),
            ns(r.max),
            r.hits
        );
    }
    if rows.iter().any(|r| r.hits != rows[0].hits) {
        println!("WARNING: the maps found different numbers of keys: a map is wrong");
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
    for round in 0..2 {
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
        one("ShardedMap, BatchWriter (4096)", elapsed.as_secs_f64());
        drop(map);
        let map = dashmap::DashMap::with_hasher(hasher());
        let elapsed = time(&|t| {
            keys(t).for_each(|k| {
                map.insert(k, k);
            })
        });
        assert_eq!(map.len() as u64, 2 * BULK_KEYS);
        one("dashmap 6, per-op insert", elapsed.as_secs_f64());
        let _ = round;
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
    // What timing one operation costs (two clock reads), so the latency columns can be read.
    let calls = 1_000_000;
    let start = Instant::now();
    for _ in 0..calls {
        std::hint::black_box(Instant::now());
    }
    println!(
        "one Instant::now() costs {:.0} ns here (each timed operation pays two)",
        start.elapsed().as_nanos() as f64 / calls as f64
    );
    for workload in Workload::ALL {
        for threads in [1, 2] {
            run_workload(workload, threads, &filter);
        }
    }
    if "batch".contains(&filter) || filter.contains("batch") {
        run_batch_writer();
    }
}
