//! Iteration time, glassmap against hashbrown (same hasher), on the shape of `benches/map.rs`'s
//! `iterate` map (keys inserted one by one into an empty map, so the load and the chains are
//! those of a grown map) at any size, with the map's shape printed first:
//!
//! ```text
//! cargo run --release -p glassmap --example iter_sizes -- 1000000 21
//! ```
//!
//! The arguments are the entry count (default 1M) and the number of rounds (default 21); each
//! round times one pass of glassmap, then one of hashbrown, and the medians (and minima) in ns per
//! entry go to stdout. `NEXT=1` times a `for` loop (`next`) instead of `sum_values` (`fold`);
//! `FLUSH=1` reads 96 MiB before every pass, so each starts from a cold cache. A quick A/B for the
//! iteration code across sizes; criterion's `iterate` benchmark is the reference at 1K and 1M.

use std::hint::black_box;
use std::time::Instant;

use glassmap_workloads::single::keys::keys;
use glassmap_workloads::single::{BenchMap, Glassmap, Hashbrown, MapKind, with_capacity};

type MapOf<M> = <M as MapKind>::Map<u64, u64, glassmap::RandomState>;

fn filled<M: MapKind>(keys: &[u64]) -> MapOf<M> {
    let mut map = with_capacity::<M, u64, u64>(0);
    for &k in keys {
        map.insert(k, k);
    }
    map
}

/// The sum of the values by a `for` loop (`next`) when `by_next`, else by `sum_values` (`fold`).
macro_rules! sum_fn {
    ($name:ident, $kind:ty) => {
        #[inline(never)]
        fn $name(map: &MapOf<$kind>, by_next: bool) -> u64 {
            if by_next {
                let mut sum = 0u64;
                for v in map.values() {
                    sum = sum.wrapping_add(*v);
                }
                sum
            } else {
                map.sum_values()
            }
        }
    };
}
sum_fn!(sum_glassmap, Glassmap);
sum_fn!(sum_hashbrown, Hashbrown);

/// Median and minimum.
fn summary(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .map_or(1_000_000, |a| a.parse().expect("entry count"));
    let rounds: usize = args.get(2).map_or(21, |a| a.parse().expect("rounds"));
    let by_next = std::env::var_os("NEXT").is_some();
    let flush: Vec<u64> = if std::env::var_os("FLUSH").is_some() {
        (0..(96 << 20) / 8).collect()
    } else {
        Vec::new()
    };
    let cool = || {
        black_box(
            flush
                .iter()
                .step_by(8)
                .fold(0u64, |a, &b| a.wrapping_add(b)),
        )
    };

    let keys = keys(n);
    let glassmap = filled::<Glassmap>(&keys);
    let hashbrown = filled::<Hashbrown>(&keys);
    let stats = glassmap.stats();
    println!(
        "{n} entries: 2^{} buckets, {:.2} per bucket, {} overflow buckets, {} full primary buckets, {} bytes",
        stats.log2_buckets,
        stats.load_factor,
        stats.overflow_buckets,
        stats.occupancy[8],
        stats.bytes
    );
    let (mut g, mut h) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        cool();
        let start = Instant::now();
        black_box(sum_glassmap(black_box(&glassmap), by_next));
        g.push(start.elapsed().as_nanos() as f64 / n as f64);
        cool();
        let start = Instant::now();
        black_box(sum_hashbrown(black_box(&hashbrown), by_next));
        h.push(start.elapsed().as_nanos() as f64 / n as f64);
    }
    let ((gm, gmin), (hm, hmin)) = (summary(g), summary(h));
    println!(
        "{} ns per entry, median (min): glassmap {gm:.2} ({gmin:.2}), hashbrown {hm:.2} ({hmin:.2}), ratio of medians {:.2}",
        if by_next { "next" } else { "fold" },
        gm / hm
    );
}
