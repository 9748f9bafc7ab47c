//! Batched lookups and inserts: `get_batch` against one-at-a-time `get` (glassmap and hashbrown),
//! hit and miss, over batch sizes; `insert_batch` against a plain insert loop and hashbrown's
//! `extend`. Same hasher everywhere (foldhash, fixed seed); keys probed in random order.

#![allow(missing_docs)]

mod peers;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use peers::{G, H};

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

const BATCH_SIZES: [usize; 5] = [1, 8, 16, 64, 1024];

fn bench_get_batch(c: &mut Criterion) {
    for n in [1_000, 1_000_000, 8_000_000] {
        let keys = peers::keys(n);
        let glassmap: G<u64, u64> = keys.iter().map(|&k| (k, k)).collect();
        let hashbrown: H<u64, u64> = keys.iter().map(|&k| (k, k)).collect();
        // Every key once per iteration, in random order (and as many distinct misses): probing a
        // subset again and again would keep its buckets in cache and measure a smaller table.
        let probes = n;
        let hits = peers::shuffled(&keys);
        let misses = peers::missing_keys(probes);
        for (kind, probe) in [("hit", &hits), ("miss", &misses)] {
            let mut g = group(c, &format!("get_{kind}/{n}"), n, probes);
            g.bench_function("hashbrown_get", |b| {
                b.iter(|| {
                    probe
                        .iter()
                        .filter(|k| hashbrown.get(black_box(*k)).is_some())
                        .count()
                })
            });
            g.bench_function("glassmap_get", |b| {
                b.iter(|| {
                    probe
                        .iter()
                        .filter(|k| glassmap.get(black_box(*k)).is_some())
                        .count()
                })
            });
            for batch in BATCH_SIZES {
                g.bench_with_input(
                    BenchmarkId::new("glassmap_get_batch", batch),
                    &batch,
                    |b, &batch| {
                        b.iter(|| {
                            probe
                                .chunks(batch)
                                .map(|chunk| {
                                    glassmap
                                        .get_batch(black_box(chunk))
                                        .filter(Option::is_some)
                                        .count()
                                })
                                .sum::<usize>()
                        })
                    },
                );
            }
            g.finish();
        }
    }
}

fn bench_insert_batch(c: &mut Criterion) {
    for n in [1_000_000, 8_000_000] {
        let keys = peers::keys(n);
        let mut g = group(c, &format!("insert_batch/{n}"), n, n);
        if n >= 8_000_000 {
            g.measurement_time(Duration::from_secs(10));
        }
        g.bench_function("hashbrown_extend", |b| {
            b.iter_batched(
                || H::<u64, u64>::with_hasher(peers::hasher()),
                |mut map| {
                    map.extend(keys.iter().map(|&k| (k, k)));
                    map
                },
                BatchSize::PerIteration,
            )
        });
        g.bench_function("glassmap_insert_loop", |b| {
            b.iter_batched(
                || G::<u64, u64>::with_hasher(peers::hasher()),
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
                || G::<u64, u64>::with_hasher(peers::hasher()),
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
