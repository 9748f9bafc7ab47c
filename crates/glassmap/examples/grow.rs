//! Grows a `Map<u64, u64>` from empty to N entries (default 4,000,000; first argument to change),
//! printing one line per growth (when it started and ended, in inserts, and the slowest insert
//! while it ran) and the final `Stats`.
//!
//! ```text
//! cargo run --release -p glassmap --example grow -- 4000000
//! ```

use std::time::{Duration, Instant};

use glassmap::{Map, RandomState};

fn main() {
    let n: u64 = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 4_000_000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("error: N must be a positive integer");
            std::process::exit(2);
        }
    };
    let mut map = Map::with_hasher(RandomState::with_seed(1));
    let mut started: Option<(u64, u8, Duration)> = None;
    let mut slowest_overall = Duration::ZERO;
    println!(
        "{:>10} {:>10} {:>9} {:>10} {:>14}",
        "insert", "B", "kind", "writes", "slowest insert"
    );
    let start = Instant::now();
    for i in 1..=n {
        let log2 = map.log2_buckets();
        let t = Instant::now();
        map.insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), i);
        let took = t.elapsed();
        slowest_overall = slowest_overall.max(took);
        if let Some((_, _, slowest)) = &mut started {
            *slowest = (*slowest).max(took);
        }
        // A growth starts with a new array: B changes (doubling) or a growth appears (same size).
        // Small growths finish inside the insert that started them.
        if started.is_none() && (map.log2_buckets() != log2 || map.is_growing()) {
            started = Some((i, log2, took));
        }
        if !map.is_growing()
            && let Some((at, from, slowest)) = started.take()
        {
            let kind = if map.log2_buckets() > from {
                "doubling"
            } else {
                "same-size"
            };
            println!(
                "{at:>10} {:>10} {kind:>9} {:>10} {:>11.1} µs",
                format!("{from} -> {}", map.log2_buckets()),
                i - at + 1,
                slowest.as_secs_f64() * 1e6
            );
        }
    }
    let total = start.elapsed();
    println!();
    println!("{}", map.stats());
    println!(
        "{n} inserts in {:.2} s ({:.1} ns each), slowest single insert {:.1} µs",
        total.as_secs_f64(),
        total.as_nanos() as f64 / n as f64,
        slowest_overall.as_secs_f64() * 1e6
    );
}
