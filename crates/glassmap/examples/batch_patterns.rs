//! Every usage pattern of `get_batch` against hashbrown's `get` loop, in interleaved rounds, for
//! a quick and less noise-prone comparison than a criterion run on a shared machine:
//!
//! ```text
//! cargo run --release -p glassmap --example batch_patterns -- 8000000 3
//! ```
//!
//! For each round and pattern it times one pass over as many probes as entries with hashbrown's
//! `get`, glassmap's `get` and `get_batch` (chunks of 16, 64, 256, 1024 keys and one call over
//! all), back to back, and prints the median over the rounds of hashbrown's time divided by each
//! glassmap time (above 1: glassmap is faster), with the range, and hashbrown's median time per
//! lookup. Times are the thread's CPU time
//! (Linux, `CLOCK_THREAD_CPUTIME_ID`), so other processes' time slices on a shared machine do not
//! count; their use of the caches and memory still does. Same hasher for both maps
//! (foldhash, fixed seed); keys as in the criterion benchmarks (SplitMix64 of a counter).

use std::hint::black_box;
use std::time::Instant;

use glassmap_workloads::single::consume;
use glassmap_workloads::single::keys::{filled_pair, keys, shuffled, with_repeats};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map_or(8_000_000, |a| a.parse().expect("entries"));
    let rounds: usize = args.next().map_or(3, |a| a.parse().expect("rounds"));
    let huge = args.next().is_some_and(|a| a == "huge");
    let keys = keys(n);
    let (mut glassmap, hashbrown) = filled_pair(&keys);
    if huge {
        let start = Instant::now();
        let collapsed = glassmap.collapse_to_huge_pages();
        println!(
            "collapse_to_huge_pages: {collapsed} in {:.1} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
    let perm = shuffled(&keys);
    let repeats = with_repeats(&keys, n);
    let chunks = [16, 64, 256, 1024, usize::MAX];
    // The CPU clock advances in scheduler ticks (milliseconds): small maps repeat each pass until
    // it does about 2^25 lookups, so every measurement spans many ticks.
    let repeat = if n >= 1 << 20 {
        1
    } else {
        (1usize << 25) / n.max(1)
    };
    let repeated =
        |pass: &dyn Fn() -> u64| (0..repeat).fold(0u64, |acc, _| acc.wrapping_add(pass()));
    let names = [
        "get",
        "batch16",
        "batch64",
        "batch256",
        "batch1024",
        "batch_all",
    ];
    // ratios[pattern][variant][round]
    let mut ratios = vec![vec![Vec::new(); names.len()]; 4];
    // hashbrown's nanoseconds per lookup, per pattern and round.
    let mut hb_nanos = vec![Vec::new(); 4];
    for _ in 0..rounds {
        for (p, (probes, sum)) in [
            (&perm, false),
            (&perm, true),
            (&repeats, false),
            (&repeats, true),
        ]
        .into_iter()
        .enumerate()
        {
            let hb = glassmap_workloads::cpu_seconds(|| {
                repeated(&|| consume(probes.iter().map(|k| hashbrown.get(black_box(k))), sum))
            });
            let mut times = vec![glassmap_workloads::cpu_seconds(|| {
                repeated(&|| consume(probes.iter().map(|k| glassmap.get(black_box(k))), sum))
            })];
            for chunk in chunks {
                times.push(glassmap_workloads::cpu_seconds(|| {
                    repeated(&|| {
                        probes
                            .chunks(chunk.min(probes.len()))
                            .map(|c| consume(glassmap.get_batch(black_box(c)), sum))
                            .fold(0u64, u64::wrapping_add)
                    })
                }));
            }
            hb_nanos[p].push(hb * 1e9 / (probes.len() * repeat) as f64);
            for (v, t) in times.iter().enumerate() {
                ratios[p][v].push(hb / t);
            }
        }
    }
    let clock = glassmap_workloads::cpu_seconds_clock();
    println!("n = {n}, {rounds} rounds, {clock} time: hashbrown get / glassmap, median [min, max]");
    let patterns = ["perm count", "perm sum", "repeats count", "repeats sum"];
    for (p, pattern) in patterns.iter().enumerate() {
        let row: Vec<String> = names
            .iter()
            .zip(&mut ratios[p])
            .map(|(name, r)| {
                r.sort_by(f64::total_cmp);
                format!(
                    "{name} {:.2} [{:.2}, {:.2}]",
                    r[r.len() / 2],
                    r[0],
                    r[r.len() - 1]
                )
            })
            .collect();
        hb_nanos[p].sort_by(f64::total_cmp);
        let hb = hb_nanos[p][hb_nanos[p].len() / 2];
        println!("{pattern:>14} (hashbrown {hb:.1} ns): {}", row.join("  "));
    }
}
