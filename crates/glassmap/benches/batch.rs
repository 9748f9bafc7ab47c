//! Batched lookups and inserts: `get_batch` against one-at-a-time `get` (glassmap and hashbrown)
//! in every usage pattern of issue 10 (see [`bench_get_batch`]); `insert_batch` against a plain
//! insert loop and hashbrown's `extend`. Same hasher everywhere (foldhash, fixed seed).

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use glassmap_workloads::single::consume;
use glassmap_workloads::single::keys::{hasher, keys, missing_keys, shuffled, with_repeats};

type GlassmapMap<K, V> = glassmap::Map<K, V, glassmap::RandomState>;
type HashbrownMap<K, V> = hashbrown::HashMap<K, V, glassmap::RandomState>;

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

fn group<'a>(c: &'a mut Criterion, name: &str, n: usize, probes: usize) -> Group<'a> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(probes as u64));
    if n >= 1_000_000 {
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(3));
    }
    group
}

/// Chunk sizes a caller might batch by; `usize::MAX` is one call over every key.
const BATCH_SIZES: [usize; 5] = [16, 64, 256, 1024, usize::MAX];

/// The usage patterns of issue 10: the probe set (`perm`: every key once in random order,
/// `repeats`: random keys with repeats, `miss`: absent keys) and what is done with the results
/// (`count`: how many are present, `sum`: the values added up), one-at-a-time `get` for
/// hashbrown and glassmap against `get_batch` over chunks of 16..1024 keys and one call over all.
/// The probe keys are drawn before the timed loops; the summed variant uses every value and
/// criterion black-boxes the returned sum; the counted one only counts.
fn bench_get_batch(c: &mut Criterion) {
    for n in [1_000, 1_000_000, 8_000_000] {
        let keys = keys(n);
        let mut glassmap = GlassmapMap::with_hasher(hasher());
        glassmap.extend(keys.iter().map(|&k| (k, k)));
        let mut hashbrown = HashbrownMap::with_hasher(hasher());
        hashbrown.extend(keys.iter().map(|&k| (k, k)));
        // As many probes as keys per iteration: probing a small subset again and again would
        // keep its buckets in cache and measure a smaller table.
        let sets = [
            ("perm", shuffled(&keys)),
            ("repeats", with_repeats(&keys, n)),
            ("miss", missing_keys(n)),
        ];
        for (set, probe) in &sets {
            // Misses have no values to add up.
            let uses: &[&str] = if *set == "miss" {
                &["count"]
            } else {
                &["count", "sum"]
            };
            for &use_ in uses {
                let sum = use_ == "sum";
                let mut g = group(c, &format!("get_{set}_{use_}/{n}"), n, n);
                g.bench_function("hashbrown_get", |b| {
                    b.iter(|| {
                        let found = probe.iter().map(|k| hashbrown.get(black_box(k)));
                        consume(found, sum)
                    })
                });
                g.bench_function("glassmap_get", |b| {
                    b.iter(|| {
                        let found = probe.iter().map(|k| glassmap.get(black_box(k)));
                        consume(found, sum)
                    })
                });
                for batch in BATCH_SIZES {
                    let id = if batch == usize::MAX {
                        "all".to_string()
                    } else {
                        batch.to_string()
                    };
                    g.bench_with_input(
                        BenchmarkId::new("glassmap_get_batch", id),
                        &batch,
                        |b, &batch| {
                            b.iter(|| {
                                probe
                                    .chunks(batch.min(probe.len()))
                                    .map(|chunk| consume(glassmap.get_batch(black_box(chunk)), sum))
                                    .fold(0u64, u64::wrapping_add)
                            })
                        },
                    );
                }
                g.finish();
            }
        }
    }
}

fn bench_insert_batch(c: &mut Criterion) {
    for n in [1_000_000, 8_000_000] {
        let keys = keys(n);
        let mut g = group(c, &format!("insert_batch/{n}"), n, n);
        if n >= 8_000_000 {
            g.measurement_time(Duration::from_secs(10));
        }
        g.bench_function("hashbrown_extend", |b| {
            b.iter_batched(
                || HashbrownMap::<u64, u64>::with_hasher(hasher()),
                |mut map| {
                    map.extend(keys.iter().map(|&k| (k, k)));
                    map
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function("glassmap_insert_loop", |b| {
            b.iter_batched(
                || GlassmapMap::<u64, u64>::with_hasher(hasher()),
                |mut map| {
                    for &k in &keys {
                        map.insert(k, k);
                    }
                    map
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function("glassmap_insert_batch", |b| {
            b.iter_batched(
                || GlassmapMap::<u64, u64>::with_hasher(hasher()),
                |mut map| {
                    map.insert_batch(keys.iter().map(|&k| (k, k)));
                    map
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();
    }
}

criterion_group!(benches, bench_get_batch, bench_insert_batch);
criterion_main!(benches);
