//! Where a lookup miss's time goes: the misses of `benches/map.rs`'s `lookup_miss` split by
//! whether the glassmap bucket they land in has an overflow chain (the miss then follows the
//! chain: the link, then the overflow bucket, two dependent reads) or not (the tophash word
//! answers), each stream timed in glassmap and in hashbrown, alternating, in one process.
//!
//! ```text
//! cargo run --release -p glassmap --example miss_split -- [n] [rounds]
//! ```
//!
//! The map is filled from empty with the benchmark's keys, as the benchmark's is. Each stream is
//! `n` lookups (a stream shorter than `n` is repeated in a shuffled order), so the streams cost
//! the same number of lookups; each round times one pass of each stream through each map, and
//! the report gives the median and minimum ns per lookup over the rounds (ARCHITECTURE.md,
//! "Performance findings", session 10).

use std::hash::BuildHasher;

use glassmap_workloads::single::ab::{Summary, lookup_pass};
use glassmap_workloads::single::keys::{filled_pair, keys, missing_keys, shuffled};

/// `stream` repeated (reshuffled) up to `n` keys.
fn stretched(stream: &[u64], n: usize) -> Vec<u64> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let take = (n - out.len()).min(stream.len());
        out.extend_from_slice(&shuffled(stream)[..take]);
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(8_000_000, |a| a.parse().expect("n"));
    let rounds: usize = args.next().map_or(7, |a| a.parse().expect("rounds"));

    let keys = keys(n);
    let (mut glassmap, hashbrown) = filled_pair(&keys);
    glassmap.finish_growth();
    let chained: Vec<bool> = glassmap.bucket_loads().map(|load| load.chain > 1).collect();
    let mask = chained.len() - 1;
    let misses = missing_keys(n);
    let (goes_on, ends): (Vec<u64>, Vec<u64>) = misses
        .iter()
        .partition(|&&k| chained[glassmap.hasher().hash_one(k) as usize & mask]);
    println!(
        "n {n}, B {}, misses into a chained bucket: {} of {} ({:.2}%)",
        glassmap.log2_buckets(),
        goes_on.len(),
        misses.len(),
        100.0 * goes_on.len() as f64 / misses.len() as f64
    );
    let streams = [
        ("all", misses.clone()),
        ("chain ends", stretched(&ends, n)),
        ("chain goes on", stretched(&goes_on, n)),
    ];
    let mut times = vec![[Vec::new(), Vec::new()]; streams.len()];
    for _ in 0..rounds {
        for (s, (_, probes)) in streams.iter().enumerate() {
            times[s][0].push(lookup_pass(probes, false, |k| glassmap.get(&k).copied()));
            times[s][1].push(lookup_pass(probes, false, |k| hashbrown.get(&k).copied()));
        }
    }
    println!("stream            glassmap med/min   hashbrown med/min   ratio (medians)");
    for ((name, _), [g, h]) in streams.iter().zip(times) {
        let (g, h) = (Summary::of(g), Summary::of(h));
        println!(
            "{name:<16} {:>8.2} / {:<8.2} {:>8.2} / {:<8.2}  {:.2}x",
            g.median,
            g.min,
            h.median,
            h.min,
            g.median / h.median
        );
    }
}
