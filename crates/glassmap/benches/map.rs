//! Throughput of single-threaded operations, glassmap against hashbrown, std and griddle with the
//! same hasher (foldhash, fixed seed): inserts, lookups (independent, and dependent ones that measure
//! one lookup's latency), removes, iteration, 16-byte string keys. Per-insert latency and heap
//! peaks are in `benches/growth.rs`.

#![allow(missing_docs)]

// Maps a benchmark reads are built on its first run (`OnceCell`), so a filtered run builds only
// the maps of the benchmarks it selects.

use std::cell::OnceCell;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glassmap_workloads::single::keys::{keys, missing_keys, shuffled, string_keys};
use glassmap_workloads::single::{
    BenchMap, Glassmap, Griddle, Hashbrown, MapKind, Std, with_capacity,
};

const SIZES: [usize; 3] = [1_000, 1_000_000, 8_000_000];

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

fn group<'a>(c: &'a mut Criterion, name: &str, n: usize) -> Group<'a> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(n as u64));
    if n >= 1_000_000 {
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(if n >= 8_000_000 { 12 } else { 4 }));
    }
    group
}

/// Times inserting every key, in order, into the map `setup` builds (untimed).
fn insert_all<M: MapKind>(
    group: &mut Group<'_>,
    keys: &[u64],
    setup: impl Fn() -> M::Map<u64, u64, glassmap::RandomState>,
) {
    group.bench_with_input(BenchmarkId::new(M::NAME, keys.len()), keys, |b, keys| {
        b.iter_batched(
            &setup,
            |mut map| {
                for &k in keys {
                    map.insert(k, k);
                }
                map
            },
            BatchSize::PerIteration,
        )
    });
}

fn insert_from_empty<M: MapKind>(group: &mut Group<'_>, keys: &[u64], presized: bool) {
    insert_all::<M>(group, keys, || {
        with_capacity::<M, u64, u64>(if presized { keys.len() } else { 0 })
    });
}

/// Inserts into a pre-sized map whose pages are already resident: the untimed setup fills the map
/// and clears it (both maps keep their arrays), so the timed loop takes no first-touch page faults.
/// `insert_presized` pays them, as a user's first fill does; the difference between the two is the
/// kernel's share.
fn insert_resident<M: MapKind>(group: &mut Group<'_>, keys: &[u64]) {
    insert_all::<M>(group, keys, || {
        let mut map = with_capacity::<M, u64, u64>(keys.len());
        for &k in keys {
            map.insert(k, k);
        }
        map.clear();
        map
    });
}

fn filled<M: MapKind>(keys: &[u64]) -> M::Map<u64, u64, glassmap::RandomState> {
    let mut map = with_capacity::<M, u64, u64>(0);
    for &k in keys {
        map.insert(k, k);
    }
    map
}

fn lookups<M: MapKind>(group: &mut Group<'_>, keys: &[u64], probes: &[u64]) {
    let map = OnceCell::new();
    group.bench_with_input(
        BenchmarkId::new(M::NAME, keys.len()),
        probes,
        |b, probes| {
            let map = map.get_or_init(|| filled::<M>(keys));
            b.iter(|| {
                let mut found = 0u64;
                for k in probes {
                    if let Some(v) = map.get(black_box(k)) {
                        found = found.wrapping_add(*v);
                    }
                }
                found
            })
        },
    );
}

macro_rules! each_map {
    ($f:ident ( $($arg:expr),* )) => {{
        $f::<Glassmap>($($arg),*);
        $f::<Hashbrown>($($arg),*);
        $f::<Std>($($arg),*);
        $f::<Griddle>($($arg),*);
    }};
}

fn bench_insert(c: &mut Criterion) {
    for n in SIZES {
        let keys = keys(n);
        let mut g = group(c, "insert_from_empty", n);
        each_map!(insert_from_empty(&mut g, &keys, false));
        g.finish();
        let mut g = group(c, "insert_presized", n);
        each_map!(insert_from_empty(&mut g, &keys, true));
        g.finish();
        let mut g = group(c, "insert_presized_resident", n);
        each_map!(insert_resident(&mut g, &keys));
        g.finish();
    }
}

fn bench_lookup(c: &mut Criterion) {
    for n in SIZES {
        let keys = keys(n);
        let hits = shuffled(&keys);
        let misses = missing_keys(n);
        let mut g = group(c, "lookup_hit", n);
        each_map!(lookups(&mut g, &keys, &hits));
        g.finish();
        let mut g = group(c, "lookup_miss", n);
        each_map!(lookups(&mut g, &keys, &misses));
        g.finish();
    }
}

/// Lookups that depend on each other: every value is the next key of one random cycle through all
/// keys, so each `get` waits for the one before (a pointer chase). This measures the latency of one
/// lookup, which a loop of independent lookups hides by overlapping their cache misses.
fn dependent_lookups<M: MapKind>(group: &mut Group<'_>, keys: &[u64], steps: usize) {
    let built = OnceCell::new();
    group.bench_function(BenchmarkId::new(M::NAME, keys.len()), |b| {
        let (start, map) = built.get_or_init(|| {
            let cycle = shuffled(keys);
            let mut map = with_capacity::<M, u64, u64>(0);
            for (i, &k) in cycle.iter().enumerate() {
                map.insert(k, cycle[(i + 1) % cycle.len()]);
            }
            (cycle[0], map)
        });
        let mut key = *start;
        b.iter(|| {
            for _ in 0..steps {
                key = *map.get(&key).expect("every key of the cycle is present");
            }
            key
        })
    });
}

fn bench_dependent(c: &mut Criterion) {
    const STEPS: usize = 100_000;
    for n in [1_000_000, 8_000_000] {
        let keys = keys(n);
        let mut g = group(c, "lookup_dependent", STEPS);
        g.sample_size(10);
        each_map!(dependent_lookups(&mut g, &keys, STEPS));
        g.finish();
    }
}

fn remove_all<M: MapKind>(group: &mut Group<'_>, keys: &[u64], order: &[u64]) {
    group.bench_with_input(BenchmarkId::new(M::NAME, keys.len()), order, |b, order| {
        b.iter_batched(
            || filled::<M>(keys),
            |mut map| {
                for k in order {
                    black_box(map.remove(k));
                }
                map
            },
            BatchSize::PerIteration,
        )
    });
}

fn iterate<M: MapKind>(group: &mut Group<'_>, keys: &[u64]) {
    let map = OnceCell::new();
    group.bench_function(BenchmarkId::new(M::NAME, keys.len()), |b| {
        let map = map.get_or_init(|| filled::<M>(keys));
        b.iter(|| map.sum_values())
    });
}

fn bench_remove_iterate(c: &mut Criterion) {
    for n in [1_000, 1_000_000] {
        let keys = keys(n);
        let order = shuffled(&keys);
        let mut g = group(c, "remove", n);
        each_map!(remove_all(&mut g, &keys, &order));
        g.finish();
        let mut g = group(c, "iterate", n);
        each_map!(iterate(&mut g, &keys));
        g.finish();
    }
}

fn strings<M: MapKind>(c: &mut Criterion, keys: &[String], hits: &[String]) {
    let mut g = group(c, "string_insert", keys.len());
    g.bench_function(BenchmarkId::new(M::NAME, keys.len()), |b| {
        b.iter_batched(
            || (with_capacity::<M, String, u32>(0), keys.to_vec()),
            |(mut map, keys)| {
                for (i, k) in keys.into_iter().enumerate() {
                    map.insert(k, i as u32);
                }
                map
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    let map = OnceCell::new();
    let mut g = group(c, "string_hit", keys.len());
    g.bench_function(BenchmarkId::new(M::NAME, keys.len()), |b| {
        let map = map.get_or_init(|| {
            let mut map = with_capacity::<M, String, u32>(0);
            for (i, k) in keys.iter().enumerate() {
                map.insert(k.clone(), i as u32);
            }
            map
        });
        b.iter(|| {
            hits.iter()
                .filter(|k| map.get(black_box(k)).is_some())
                .count()
        })
    });
    g.finish();
}

fn bench_strings(c: &mut Criterion) {
    let keys = string_keys(1_000_000);
    let hits = shuffled(&keys);
    each_map!(strings(c, &keys, &hits));
}

criterion_group!(
    benches,
    bench_insert,
    bench_lookup,
    bench_dependent,
    bench_remove_iterate,
    bench_strings
);
criterion_main!(benches);
