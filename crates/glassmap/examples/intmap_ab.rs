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
//! keys). Keys and streams come from `glassmap_workloads::single::keys`, as in the other benchmarks.
//! Then `insert`: each map cleared (untimed) and the `n` keys inserted into it (timed), as the
//! criterion bench `int_map/insert` does, the maps alternating for `reps / 4` timed passes each,
//! each timed pass after an untimed one of the same map.

use glassmap::IntMap;
use glassmap_workloads::single::ab::{PASS, Summary, insert_pass, lookup_pass};
use glassmap_workloads::single::keys::{keys, missing_keys, shuffled, with_repeats};

type Hb = hashbrown::HashMap<u64, u64, foldhash::fast::FixedState>;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(1_000_000, |a| a.parse().expect("n"));
    let reps: usize = args.get(2).map_or(40, |a| a.parse().expect("reps"));
    let keys = keys(n);
    let mut int_map = IntMap::with_capacity(n);
    let mut hb = Hb::with_capacity_and_hasher(n, Default::default());
    for &k in &keys {
        int_map.insert(k, k).expect("presized");
        hb.insert(k, k);
    }
    let len = PASS * 8;
    let hits = with_repeats(&keys, len);
    // Every key once in random order, repeated if the stream is longer.
    let perm: Vec<u64> = shuffled(&keys).into_iter().cycle().take(len).collect();
    let misses = with_repeats(&missing_keys(n), len);
    for (name, keys, count) in [
        ("hit", &hits, false),
        ("perm", &perm, false),
        ("count", &hits, true),
        ("miss", &misses, false),
    ] {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for r in 0..reps {
            let chunk = &keys[(r % 8) * PASS..][..PASS];
            a.push(lookup_pass(chunk, count, |k| int_map.get(k).copied()));
            b.push(lookup_pass(chunk, count, |k| hb.get(&k).copied()));
        }
        report(n, name, a, b);
    }
    // Each timed pass follows an untimed pass of the same map, so that the dirty cache lines it
    // evicts are its own, as in criterion's runs of one map at a time: timed right after the
    // other map's pass, each paid for writing back the other's lines.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..(reps / 4).max(1) {
        let mut int_pass = || {
            int_map.clear();
            insert_pass(&keys, |k| {
                int_map.insert(k, k).expect("presized");
            })
        };
        int_pass();
        a.push(int_pass());
        let mut hb_pass = || {
            hb.clear();
            insert_pass(&keys, |k| {
                hb.insert(k, k);
            })
        };
        hb_pass();
        b.push(hb_pass());
    }
    report(n, "insert", a, b);
}

/// Prints the medians and minimums of IntMap's times `a` and hashbrown's `b`, and the ratios.
fn report(n: usize, name: &str, a: Vec<f64>, b: Vec<f64>) {
    let (a, b) = (Summary::of(a), Summary::of(b));
    println!(
        "n={n} {name:6}: IntMap median {:6.2} ns min {:6.2} | hashbrown median {:6.2} ns min {:6.2} | ratio median {:.2}x min {:.2}x",
        a.median,
        a.min,
        b.median,
        b.min,
        b.median / a.median,
        b.min / a.min
    );
}
