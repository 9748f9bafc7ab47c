//! `SyncMap`, `SnapshotMap` and `Map::clone` against their peers.
//!
//! - `sync_map/{hits,misses,disjoint_stores}/{threads}/{map}`: Go's `BenchmarkLoadMostlyHits`
//!   (1023 present keys, 1 absent), `BenchmarkLoadMostlyMisses` (1 present, 1023 absent) and stores
//!   to per-thread disjoint keys, at 1 and 2 threads; peers `RwLock<Map>`, dashmap, papaya, and
//!   single-threaded `Map::get` as the per-thread ceiling. Throughput is the total over threads.
//! - `snapshot/get/{map}`: `SnapshotMap::load().get()` against `Map::get` on the same keys;
//!   `snapshot/get_while_publishing`: the same reads while another thread publishes a new version
//!   every millisecond; `snapshot/update/{n}`: one `update` (a structural clone) per size.
//! - `clone/1M/{map}`: `Map::clone` against hashbrown's clone and a re-inserting clone.
//! - `snapshot_latency` (not criterion, printed): every read timed while a writer publishes every
//!   millisecond; max and tail latency.
//!
//! ```text
//! flock /tmp/glassmap-bench.lock cargo bench -p glassmap --bench sync_map -- sync_map/hits \
//!     --warm-up-time 1 --measurement-time 3
//! ```
#![allow(missing_docs)]
#![allow(unsafe_code)] // getrusage, in a benchmark harness outside the library

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Barrier, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use glassmap::sync::{SnapshotMap, SyncMap};
use glassmap::{Map, RandomState};

fn hasher() -> RandomState {
    RandomState::with_seed(0x5eed)
}

/// Go's key space for the load benchmarks: 1024 keys cycled, of which `present` are stored.
const CYCLE: u64 = 1024;

/// The operations the concurrent workloads need.
trait Concurrent: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn load(&self, key: u64) -> bool;
    fn store(&self, key: u64, value: u64);
}

impl Concurrent for SyncMap<u64, u64> {
    const NAME: &'static str = "SyncMap::load";
    fn new() -> Self {
        SyncMap::with_hasher(hasher())
    }
    #[inline]
    fn load(&self, key: u64) -> bool {
        self.load(&key).is_some()
    }
    fn store(&self, key: u64, value: u64) {
        SyncMap::store(self, key, value);
    }
}

/// `SyncMap::load_with`: the read path with no reference count touched.
struct SyncMapWith(SyncMap<u64, u64>);
impl Concurrent for SyncMapWith {
    const NAME: &'static str = "SyncMap::load_with";
    fn new() -> Self {
        SyncMapWith(SyncMap::with_hasher(hasher()))
    }
    #[inline]
    fn load(&self, key: u64) -> bool {
        self.0.load_with(&key, |v| black_box(*v)).is_some()
    }
    fn store(&self, key: u64, value: u64) {
        self.0.store(key, value);
    }
}

impl Concurrent for RwLock<Map<u64, u64>> {
    const NAME: &'static str = "RwLock<Map>";
    fn new() -> Self {
        RwLock::new(Map::with_hasher(hasher()))
    }
    #[inline]
    fn load(&self, key: u64) -> bool {
        self.read().unwrap().get(&key).is_some()
    }
    fn store(&self, key: u64, value: u64) {
        self.write().unwrap().insert(key, value);
    }
}

impl Concurrent for dashmap::DashMap<u64, u64, RandomState> {
    const NAME: &'static str = "dashmap";
    fn new() -> Self {
        dashmap::DashMap::with_hasher(hasher())
    }
    #[inline]
    fn load(&self, key: u64) -> bool {
        self.get(&key).is_some()
    }
    fn store(&self, key: u64, value: u64) {
        self.insert(key, value);
    }
}

impl Concurrent for papaya::HashMap<u64, u64, RandomState> {
    const NAME: &'static str = "papaya";
    fn new() -> Self {
        papaya::HashMap::with_hasher(hasher())
    }
    #[inline]
    fn load(&self, key: u64) -> bool {
        self.pin().get(&key).is_some()
    }
    fn store(&self, key: u64, value: u64) {
        self.pin().insert(key, value);
    }
}

#[derive(Clone, Copy)]
enum Workload {
    /// Go's LoadMostlyHits: keys 0..1023 stored, loads cycle over 0..1024.
    Hits,
    /// Go's LoadMostlyMisses: key 0 stored, loads cycle over 0..1024.
    Misses,
    /// Each thread stores to its own 1024 keys (all present beforehand).
    DisjointStores,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::Hits => "hits",
            Workload::Misses => "misses",
            Workload::DisjointStores => "disjoint_stores",
        }
    }
}

/// A map primed as Go's benchmarks do: the keys stored, then loaded twice over so `SyncMap` has
/// promoted them to its read map.
fn primed<M: Concurrent>(workload: Workload, threads: u64) -> M {
    let map = M::new();
    let present = match workload {
        Workload::Hits => CYCLE - 1,
        Workload::Misses => 1,
        Workload::DisjointStores => 0,
    };
    for k in 0..present {
        map.store(k, k);
    }
    if let Workload::DisjointStores = workload {
        for t in 0..threads {
            for k in 0..CYCLE {
                map.store(t << 32 | k, k);
            }
        }
    }
    for k in 0..2 * CYCLE * threads.max(1) {
        black_box(map.load(k % CYCLE));
    }
    map
}

/// Runs `iters` cycles of `CYCLE` operations on each of `threads` threads; the wall time.
fn run<M: Concurrent>(map: &M, workload: Workload, threads: u64, iters: u64) -> Duration {
    let start = Barrier::new(threads as usize + 1);
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    let mut found = 0u64;
                    for i in 0..iters * CYCLE {
                        match workload {
                            Workload::Hits | Workload::Misses => {
                                found += u64::from(map.load(i % CYCLE));
                            }
                            Workload::DisjointStores => map.store(t << 32 | (i % CYCLE), i),
                        }
                    }
                    black_box(found);
                })
            })
            .collect();
        start.wait();
        let began = Instant::now();
        for w in workers {
            w.join().unwrap();
        }
        began.elapsed()
    })
}

fn bench_one<M: Concurrent>(c: &mut Criterion, workload: Workload, threads: u64) {
    let mut group = c.benchmark_group(format!("sync_map/{}/{threads}", workload.name()));
    group.throughput(Throughput::Elements(CYCLE * threads));
    let map: M = primed(workload, threads);
    group.bench_function(M::NAME, |b| {
        b.iter_custom(|iters| run(&map, workload, threads, iters))
    });
    group.finish();
}

fn bench_sync_map(c: &mut Criterion) {
    for workload in [Workload::Hits, Workload::Misses, Workload::DisjointStores] {
        for threads in [1, 2] {
            bench_one::<SyncMap<u64, u64>>(c, workload, threads);
            bench_one::<SyncMapWith>(c, workload, threads);
            bench_one::<RwLock<Map<u64, u64>>>(c, workload, threads);
            bench_one::<dashmap::DashMap<u64, u64, RandomState>>(c, workload, threads);
            bench_one::<papaya::HashMap<u64, u64, RandomState>>(c, workload, threads);
        }
        // The per-thread ceiling: the same loads on a plain map, one thread.
        if !matches!(workload, Workload::DisjointStores) {
            let mut group = c.benchmark_group(format!("sync_map/{}/1", workload.name()));
            group.throughput(Throughput::Elements(CYCLE));
            let present = if matches!(workload, Workload::Hits) {
                CYCLE - 1
            } else {
                1
            };
            let map: Map<u64, u64> = (0..present).map(|k| (k, k)).collect();
            group.bench_function("Map::get (single-threaded)", |b| {
                b.iter(|| {
                    (0..CYCLE)
                        .filter(|k| map.get(&black_box(*k)).is_some())
                        .count()
                })
            });
            group.finish();
        }
    }
}

/// Keys in a fixed pseudo-random order, all present in maps of `n` entries.
fn probe_order(n: u64) -> Vec<u64> {
    let mut keys: Vec<u64> = (0..n).collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for i in (1..keys.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        keys.swap(i, (state % (i as u64 + 1)) as usize);
    }
    keys
}

/// The sum of the values found for `probes` (so no lookup can be optimised away).
fn sum_found(probes: &[u64], mut get: impl FnMut(&u64) -> Option<u64>) -> u64 {
    probes.iter().map(|k| get(k).unwrap_or(0)).sum()
}

fn snapshot_of(n: u64) -> (Map<u64, u64>, SnapshotMap<u64, u64>) {
    let map: Map<u64, u64> = {
        let mut m = Map::with_hasher(hasher());
        m.extend((0..n).map(|k| (k, k)));
        m
    };
    (map.clone(), SnapshotMap::new(map))
}

fn bench_snapshot(c: &mut Criterion) {
    for n in [1_024u64, 65_536] {
        let (map, snapshot) = snapshot_of(n);
        let keys = probe_order(n);
        let probes = &keys[..1024];
        let mut group = c.benchmark_group(format!("snapshot/get/{n}"));
        group.throughput(Throughput::Elements(probes.len() as u64));
        group.bench_function("Map::get", |b| {
            b.iter(|| sum_found(probes, |k| map.get(k).copied()))
        });
        group.bench_function("SnapshotMap::load().get()", |b| {
            b.iter(|| sum_found(probes, |k| snapshot.load().get(k).copied()))
        });
        group.bench_function("SnapshotReader::load().get()", |b| {
            let mut reader = snapshot.reader();
            b.iter(|| sum_found(probes, |k| reader.load().get(k).copied()))
        });
        group.bench_function("SnapshotReader::load().get()", |b| {
            let mut reader = snapshot.reader();
            b.iter(|| {
                probes
                    .iter()
                    .map(|k| reader.load().get(k).copied().unwrap_or(0))
                    .sum::<u64>()
            })
        });
        group.bench_function("SnapshotMap::get", |b| {
            b.iter(|| sum_found(probes, |k| snapshot.get(k)))
        });
        group.finish();
    }

    // Reads while another thread publishes a new version every millisecond.
    let (_, snapshot) = snapshot_of(1_024);
    let probes = probe_order(1_024);
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| publish_every_millisecond(&snapshot, &stop));
        let mut group = c.benchmark_group("snapshot/get_while_publishing/1024");
        group.throughput(Throughput::Elements(probes.len() as u64));
        group.bench_function("SnapshotMap::load().get()", |b| {
            b.iter(|| sum_found(&probes, |k| snapshot.load().get(k).copied()))
        });
        group.finish();
        stop.store(true, Relaxed);
    });

    let mut group = c.benchmark_group("snapshot/update");
    for n in [1_024u64, 16_384, 262_144] {
        let (_, snapshot) = snapshot_of(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            let mut i = 0u64;
            b.iter(|| {
                i += 1;
                snapshot.update(|m| m.insert(n + i % 2, i))
            })
        });
    }
    group.finish();
}

fn publish_every_millisecond(snapshot: &SnapshotMap<u64, u64>, stop: &AtomicBool) -> u64 {
    let mut versions = 0;
    while !stop.load(Relaxed) {
        thread::sleep(Duration::from_millis(1));
        snapshot.update(|m| m.insert(u64::MAX - versions % 2, versions));
        versions += 1;
    }
    versions
}

fn bench_clone(c: &mut Criterion) {
    const N: u64 = 1 << 20;
    let mut group = c.benchmark_group("clone/1M");
    group.sample_size(20);
    group.throughput(Throughput::Elements(N));
    let keys = probe_order(N);
    let map: Map<u64, u64> = {
        let mut m = Map::with_hasher(hasher());
        m.extend(keys.iter().map(|&k| (k, k)));
        m
    };
    let hb: hashbrown::HashMap<u64, u64, RandomState> = {
        let mut m = hashbrown::HashMap::with_hasher(hasher());
        m.extend(keys.iter().map(|&k| (k, k)));
        m
    };
    group.bench_function("glassmap Map::clone", |b| b.iter(|| map.clone()));
    group.bench_function("hashbrown clone", |b| b.iter(|| hb.clone()));
    group.bench_function("glassmap re-inserting clone", |b| {
        b.iter(|| {
            let mut m = Map::with_capacity_and_hasher(map.len(), hasher());
            m.extend(map.iter().map(|(k, v)| (*k, *v)));
            m
        })
    });
    group.finish();
}

/// Every read timed while a writer publishes a new version every millisecond: the readers never
/// wait for the writer, so the tail is the machine's (preemption, interrupts), not a lock's.
fn snapshot_latency_report() {
    let (_, snapshot) = snapshot_of(1_024);
    let probes = probe_order(1_024);
    let stop = AtomicBool::new(false);
    let reads = 5_000_000usize;
    let (mut latencies, versions, elapsed) = thread::scope(|scope| {
        let writer = scope.spawn(|| publish_every_millisecond(&snapshot, &stop));
        let switches_before = context_switches();
        let began = Instant::now();
        let mut latencies = Vec::with_capacity(reads);
        for i in 0..reads {
            let key = probes[i % probes.len()];
            let t = Instant::now();
            black_box(snapshot.load().get(&key).copied());
            latencies.push(t.elapsed().as_nanos() as u64);
        }
        let elapsed = began.elapsed();
        let switches = context_switches();
        stop.store(true, Relaxed);
        let voluntary = switches.0 - switches_before.0;
        let involuntary = switches.1 - switches_before.1;
        println!(
            "snapshot_latency: the reader thread gave up its core {voluntary} times (blocking: \
             a lock wait, a sleep) and was preempted {involuntary} times"
        );
        (latencies, writer.join().unwrap(), elapsed)
    });
    latencies.sort_unstable();
    let at = |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize];
    println!(
        "snapshot_latency: {reads} timed load().get() reads over {:.2} s while {versions} versions \
         were published (1 per ms): p50 {} ns, p99 {} ns, p99.9 {} ns, p99.99 {} ns, max {} ns",
        elapsed.as_secs_f64(),
        at(0.5),
        at(0.99),
        at(0.999),
        at(0.9999),
        latencies.last().unwrap()
    );
}

/// The calling thread's (voluntary, involuntary) context switches so far (`getrusage`, Linux). A
/// reader that never waits for a lock makes no voluntary switch.
fn context_switches() -> (i64, i64) {
    // SAFETY: `getrusage` only writes the `rusage` it is given; all-zero is a valid `rusage`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid, writable `rusage` and a constant Linux supports.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    (usage.ru_nvcsw, usage.ru_nivcsw)
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    // The printed latency report runs with no filter or a filter naming it.
    let latency = filter.as_deref().is_none_or(|f| f.contains("latency"));
    if latency && !std::env::args().any(|a| a == "--list") {
        snapshot_latency_report();
    }
    let mut c = Criterion::default().configure_from_args();
    bench_sync_map(&mut c);
    bench_snapshot(&mut c);
    bench_clone(&mut c);
    c.final_summary();
}
