//! Interleaved A/B timing of `IntMap<u64>` against `hashbrown::HashMap<u64, u64>` (foldhash,
//! fixed seed) for lookups, robust to a machine shared with other jobs: the two maps alternate in
//! short passes of the same keys, many times, and the report gives each one's median and minimum
//! time per lookup and the ratios (hashbrown time / IntMap time; above 1: IntMap faster).
//!
//! ```text
//! cargo run --release -p glassmap --example intmap_ab -- 1000000 [reps]
//! ```
//!
//! Streams: `hit` (present keys at random, with repeats, values summed), `perm` (every key once in
//! random order, summed), `count` (random present keys, only `is_some` counted), `miss` (absent
//! keys). Keys are SplitMix64 of a counter, as in `benches/int_map.rs`.

use std::hint::black_box;
use std::time::Instant;

use glassmap::IntMap;
use glassmap_workloads::splitmix64;

type Hb = hashbrown::HashMap<u64, u64, foldhash::fast::FixedState>;

/// Lookups per timed pass.
const PASS: usize = 1 << 16;

/// A small xorshift generator for the streams (deterministic).
fn stream(n: usize, len: usize, seed: u64, pick: impl Fn(usize) -> u64) -> Vec<u64> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            pick((x % n as u64) as usize)
        })
        .collect()
}

/// Nanoseconds per lookup of one pass of `keys` through `lookup`, summing or counting.
fn pass(keys: &[u64], count: bool, lookup: impl Fn(u64) -> Option<u64>) -> f64 {
    let start = Instant::now();
    let mut acc = 0u64;
    if count {
        acc = keys.iter().filter(|&&k| lookup(k).is_some()).count() as u64;
    } else {
        for &k in keys {
            acc = acc.wrapping_add(lookup(k).unwrap_or(1));
        }
    }
    black_box(acc);
    start.elapsed().as_nanos() as f64 / keys.len() as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(1_000_000, |a| a.parse().expect("n"));
    let reps: usize = args.get(2).map_or(40, |a| a.parse().expect("reps"));
    let keys: Vec<u64> = (0..n as u64).map(splitmix64).collect();
    let mut int_map = IntMap::with_capacity(n);
    let mut hb = Hb::with_capacity_and_hasher(n, Default::default());
    for &k in &keys {
        int_map.insert(k, k).expect("presized");
        hb.insert(k, k);
    }
    let len = PASS * 8;
    let hits = stream(n, len, 7, |i| keys[i]);
    // Every key once in random order (Fisher-Yates), repeated if the stream is longer.
    let mut order: Vec<usize> = (0..n).collect();
    let swaps = stream(usize::MAX, n, 9, |i| i as u64);
    for i in (1..n).rev() {
        order.swap(i, swaps[i] as usize % (i + 1));
    }
    let perm: Vec<u64> = (0..len).map(|i| keys[order[i % n]]).collect();
    let misses = stream(n, len, 11, |i| splitmix64((n + i) as u64));
    for (name, keys, count) in [
        ("hit", &hits, false),
        ("perm", &perm, false),
        ("count", &hits, true),
        ("miss", &misses, false),
    ] {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for r in 0..reps {
            let chunk = &keys[(r % 8) * PASS..][..PASS];
            a.push(pass(chunk, count, |k| int_map.get(k).copied()));
            b.push(pass(chunk, count, |k| hb.get(&k).copied()));
        }
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let (am, bm) = (a[reps / 2], b[reps / 2]);
        println!(
            "n={n} {name:5}: IntMap median {am:6.2} ns min {:6.2} | hashbrown median {bm:6.2} ns min {:6.2} | ratio median {:.2}x min {:.2}x",
            a[0],
            b[0],
            bm / am,
            b[0] / a[0]
        );
    }
}
