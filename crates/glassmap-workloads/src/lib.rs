//! Benchmark workloads and peer maps for glassmap, shared by the criterion benchmarks and the `glassmap bench`
//! command so that both measure the same thing.
//!
//! [`single`]: the single-threaded maps (glassmap, hashbrown, std, griddle, and `IntMap`) behind one trait, and the
//! keys every benchmark draws.
//!
//! [`concurrent`]: bustle's operation mixes (ReadHeavy, Exchange, RapidGrow; pre-sized and pre-filled as bustle
//! does), TrueGrow (RapidGrow's mix from an empty map with no capacity hint), and a skewed ReadHeavy (Zipf 0.99
//! reads), run on glassmap's concurrent maps and their peers (dashmap, papaya, scc, `RwLock<hashbrown>`), with
//! throughput and per-operation latency histograms.

pub mod concurrent;
pub mod single;

/// The splitmix64 finaliser: a bijection on u64 whose outputs look random, so distinct inputs give distinct,
/// random-looking keys (the benchmarking guide's key recipe). The one copy in the project's tools.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The calling thread's CPU time in nanoseconds (Linux: `CLOCK_THREAD_CPUTIME_ID`; `None`
/// elsewhere). Time slices the scheduler gives other processes on a shared machine do not count,
/// as they do in wall time; their use of the caches and memory still does. (The first field of
/// `/proc/thread-self/schedstat`, which the tools read before session 10, advances in scheduler
/// ticks on the reference VM, 4 ms: a pass of 70 ms was read to about 6%.) The one copy in the
/// project's tools.
pub fn thread_cpu_nanos() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use nix::time::{ClockId, clock_gettime};
        let now = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).ok()?;
        Some(now.tv_sec() as u64 * 1_000_000_000 + now.tv_nsec() as u64)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// CPU seconds this thread spent in `f` ([`thread_cpu_nanos`]; wall seconds where the CPU time is
/// not available), its result kept from the optimiser.
pub fn cpu_seconds(f: impl FnOnce() -> u64) -> f64 {
    let (cpu, wall) = (thread_cpu_nanos(), std::time::Instant::now());
    std::hint::black_box(f());
    match (cpu, thread_cpu_nanos()) {
        (Some(start), Some(end)) => (end - start) as f64 * 1e-9,
        _ => wall.elapsed().as_secs_f64(),
    }
}

/// Which clock [`cpu_seconds`] reads here: `"CPU"`, or `"wall"` where the CPU time is not
/// available; for reports.
pub fn cpu_seconds_clock() -> &'static str {
    if thread_cpu_nanos().is_some() {
        "CPU"
    } else {
        "wall"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The clock resolves microseconds of work: over 5 ms of busy work its readings take many
    /// values, where a clock that advances in scheduler ticks (4 ms) takes two or three.
    #[cfg(target_os = "linux")]
    #[test]
    fn thread_cpu_time_resolves_microseconds() {
        let start = thread_cpu_nanos().expect("Linux tells a thread's CPU time");
        let mut readings = std::collections::BTreeSet::new();
        let mut x = 1u64;
        loop {
            for _ in 0..1_000 {
                x = splitmix64(x);
            }
            let now = thread_cpu_nanos().expect("still");
            readings.insert(now);
            if now - start > 5_000_000 {
                break;
            }
        }
        std::hint::black_box(x);
        assert!(readings.len() > 100, "{} distinct readings", readings.len());
    }
}
