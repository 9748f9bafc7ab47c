//! `IntMap<u64>` against `hashbrown::HashMap<u64, u64, foldhash::fast::FixedState>` at 1K and 1M
//! entries: lookup hit (random order with repeats, values summed; a permutation of the keys; hits
//! only counted) and miss, insert into a presized empty map (`insert`: the map cleared untimed
//! between passes; `fill`: `with_capacity` plus the inserts, both timed), remove.
//!
//! `GLASSMAP_BENCH_8M=1` adds 8M entries, where both maps are far out of cache.
//!
//! Keys are SplitMix64 of `0..n` (random-looking); misses are SplitMix64 of `n..2n`. Each
//! benchmark group is one operation at one size, with one entry per map, so criterion's report
//! puts the maps side by side. Lookups run 1024 per iteration (criterion's time / 1024 = time per
//! lookup); insert and remove time a whole pass over the `n` keys, with the refill or clear
//! between passes left out of the timing.
//!
//! The maps are used through `glassmap_workloads::single::BenchMap`, as in the other benchmarks;
//! to add one, add it to `for_each_map!`.
//!
//! # Figures
//!
//! The current figures, with the machine and the commands, are in the README's IntMap section;
//! ARCHITECTURE.md's IntMap section has the instruction counts and what each change bought.
//! Absolute times move a lot between runs on the shared 2-core VM, so compare ratios within a
//! run, and more than one run; `examples/intmap_ab.rs` interleaves IntMap and hashbrown in short
//! passes, which is steadier under load.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use glassmap::IntMap;
use glassmap_workloads::single::BenchMap;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// A map under comparison: its name in the report and how to build one with room for `n` keys.
struct Contender<M> {
    name: &'static str,
    with_capacity: fn(usize) -> M,
}

type Hashbrown = hashbrown::HashMap<u64, u64, foldhash::fast::FixedState>;
type Glassmap = glassmap::Map<u64, u64, foldhash::fast::FixedState>;

/// Runs `$bench($args, contender)` for every map under comparison.
macro_rules! for_each_map {
    ($bench:ident($($arg:expr),*)) => {
        $bench($($arg),*, &Contender {
            name: "IntMap",
            with_capacity: IntMap::<u64>::with_capacity,
        });
        $bench($($arg),*, &Contender {
            name: "hashbrown+foldhash",
            with_capacity: |n| Hashbrown::with_capacity_and_hasher(n, Default::default()),
        });
        $bench($($arg),*, &Contender {
            name: "glassmap::Map+foldhash",
            with_capacity: |n| Glassmap::with_capacity_and_hasher(n, Default::default()),
        });
    };
}

const LOOKUPS_PER_ITER: usize = 1024;

/// Keys and lookup streams for one size, shared by every map.
struct Data {
    /// The keys to insert, in insertion order.
    keys: Vec<u64>,
    /// The same keys in another random order, for removal.
    shuffled: Vec<u64>,
    /// Present keys drawn at random, a multiple of `LOOKUPS_PER_ITER` long.
    hits: Vec<u64>,
    /// Every present key once, in random order, padded with repeats to a multiple of
    /// `LOOKUPS_PER_ITER`.
    permutation: Vec<u64>,
    /// Absent keys, as long as `hits`.
    misses: Vec<u64>,
}

use glassmap_workloads::splitmix64;

impl Data {
    fn new(n: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(42);
        let keys: Vec<u64> = (0..n as u64).map(splitmix64).collect();
        let mut shuffled = keys.clone();
        shuffled.shuffle(&mut rng);
        let len = n.next_multiple_of(LOOKUPS_PER_ITER);
        let hits = (0..len).map(|_| keys[rng.random_range(0..n)]).collect();
        let mut permutation = keys.clone();
        permutation.shuffle(&mut rng);
        permutation.extend_from_within(..len - n);
        let misses = (0..len)
            .map(|_| splitmix64((n + rng.random_range(0..n)) as u64))
            .collect();
        Data {
            keys,
            shuffled,
            hits,
            permutation,
            misses,
        }
    }

    fn filled<M: BenchMap<u64, u64>>(&self, contender: &Contender<M>) -> M {
        let mut map = (contender.with_capacity)(self.keys.len());
        for &k in &self.keys {
            map.insert(k, k);
        }
        map
    }
}

fn lookups<M: BenchMap<u64, u64>>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    d: &Data,
    stream: &[u64],
    c: &Contender<M>,
) {
    let map = d.filled(c);
    let mut chunks = stream.chunks_exact(LOOKUPS_PER_ITER).cycle();
    g.throughput(Throughput::Elements(LOOKUPS_PER_ITER as u64));
    g.bench_function(c.name, |b| {
        b.iter(|| {
            let mut sum = 0u64;
            for &k in chunks.next().unwrap() {
                sum = sum.wrapping_add(map.get(&k).copied().unwrap_or(1));
            }
            black_box(sum)
        })
    });
}

fn get_hit<M: BenchMap<u64, u64>>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    d: &Data,
    c: &Contender<M>,
) {
    lookups(g, d, &d.hits, c);
}

/// Hits over a permutation of the keys (each key once per pass), values summed.
fn get_hit_perm<M: BenchMap<u64, u64>>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    d: &Data,
    c: &Contender<M>,
) {
    lookups(g, d, &d.permutation, c);
}

/// Random hits with repeats, only counted (`is_some`): the value is never read.
fn get_hit_count<M: BenchMap<u64, u64>>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    d: &Data,
    c: &Contender<M>,
) {
    let map = d.filled(c);
    let mut chunks = d.hits.chunks_exact(LOOKUPS_PER_ITER).cycle();
    g.throughput(Throughput::Elements(LOOKUPS_PER_ITER as u64));
    g.bench_function(c.name, |b| {
        b.iter(|| {
            let found = chunks.next().unwrap().iter();
            black_box(found.filter(|&&k| map.get(&k).is_some()).count())
        })
    });
}

fn get_miss<M: BenchMap<u64, u64>>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    d: &Data,
    c: &Contender<M>,
) {
    lookups(g, d, &d.misses, c);
}

/// Times `op` over a whole pass, `iters` times, running `reset` untimed before each pass.
fn timed_passes<M>(
    map: &mut M,
    iters: u64,
    reset: impl Fn(&mut M),
    op: impl Fn(&mut M),
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        reset(map);
        let start = Instant::now();
        op(map);
        total += start.elapsed();
    }
    total
}

fn insert<M: BenchMap<u64, u64>>(g: &mut BenchmarkGroup<'_, WallTime>, d: &Data, c: &Contender<M>) {
    let mut map = (c.with_capacity)(d.keys.len());
    g.throughput(Throughput::Elements(d.keys.len() as u64));
    g.bench_function(c.name, |b| {
        b.iter_custom(|iters| {
            timed_passes(
                &mut map,
                iters,
                |m| m.clear(),
                |m| {
                    for &k in &d.keys {
                        m.insert(k, k);
                    }
                },
            )
        })
    });
}

/// How users fill a fixed-capacity map: build it for `n` and insert the `n` keys, both timed
/// (the allocation, and for IntMap the zeroing of its table, included).
fn fill<M: BenchMap<u64, u64>>(g: &mut BenchmarkGroup<'_, WallTime>, d: &Data, c: &Contender<M>) {
    g.throughput(Throughput::Elements(d.keys.len() as u64));
    g.bench_function(c.name, |b| {
        b.iter_with_large_drop(|| {
            let mut map = (c.with_capacity)(d.keys.len());
            for &k in &d.keys {
                map.insert(k, k);
            }
            map
        })
    });
}

fn remove<M: BenchMap<u64, u64>>(g: &mut BenchmarkGroup<'_, WallTime>, d: &Data, c: &Contender<M>) {
    let mut map = (c.with_capacity)(d.keys.len());
    let refill = |m: &mut M| {
        m.clear();
        for &k in &d.keys {
            m.insert(k, k);
        }
    };
    g.throughput(Throughput::Elements(d.keys.len() as u64));
    g.bench_function(c.name, |b| {
        b.iter_custom(|iters| {
            timed_passes(&mut map, iters, refill, |m| {
                let mut sum = 0u64;
                for &k in &d.shuffled {
                    sum = sum.wrapping_add(m.remove(&k).unwrap_or(1));
                }
                black_box(sum);
            })
        })
    });
}

/// A group for one operation at one size. `whole_pass` groups time a pass over all keys per
/// iteration, tens of milliseconds at 1M: they get fewer, flat samples.
fn group<'a>(
    c: &'a mut Criterion,
    op: &str,
    label: &str,
    n: usize,
    whole_pass: bool,
) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(format!("int_map/{op}/{label}"));
    if whole_pass && n >= 100_000 {
        g.sample_size(10).sampling_mode(SamplingMode::Flat);
    }
    g
}

fn benches(c: &mut Criterion) {
    let mut sizes = vec![("1K", 1_000), ("1M", 1_000_000)];
    // 8M needs about 0.7 GB and a few minutes: opt in with GLASSMAP_BENCH_8M=1.
    if std::env::var_os("GLASSMAP_BENCH_8M").is_some() {
        sizes.push(("8M", 8_000_000));
    }
    for (label, n) in sizes {
        let d = Data::new(n);
        // One group per operation, named after its bench function; `true`: a whole-pass group.
        macro_rules! groups {
            ($($op:ident: $whole_pass:expr),*) => {$(
                let mut g = group(c, stringify!($op), label, n, $whole_pass);
                for_each_map!($op(&mut g, &d));
                g.finish();
            )*};
        }
        groups!(
            get_hit: false,
            get_hit_perm: false,
            get_hit_count: false,
            get_miss: false,
            insert: true,
            fill: true,
            remove: true
        );
    }
}

criterion_group!(int_map, benches);
criterion_main!(int_map);
