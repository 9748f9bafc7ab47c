//! Growing each map from empty to N u64 → u64 entries (default 8M; `GLASSMAP_GROWTH_N` to change):
//! the latency of every single insert (p50, p99, p99.99, max) and the peak heap bytes, counted by a
//! global allocator in this binary. Not criterion: one run per map, each insert timed on its own
//! (the timer's cost is the same for every map).
//!
//! Wall-clock maxima on a shared VM include time the thread was not running at all (preempted by
//! other work), at random inserts, for every map alike. So each insert is also timed on the
//! thread's CPU clock (`CLOCK_THREAD_CPUTIME_ID`, Linux), which counts the insert's own work, page
//! faults included, and not the time it waited for a core: "max cpu" in the table.

#![allow(unsafe_code)] // the counting allocator, a benchmark harness outside the library

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use glassmap_workloads::single::keys::keys;
use glassmap_workloads::single::{
    BenchMap, Glassmap, Griddle, Hashbrown, MapKind, Std, with_capacity,
};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only adds byte counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size() as isize);
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size() as isize);
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        record(-(layout.size() as isize));
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size as isize - layout.size() as isize);
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn record(delta: isize) {
    let now = (CURRENT.fetch_add(delta as usize, Relaxed) as isize + delta) as usize;
    PEAK.fetch_max(now, Relaxed);
}

struct Run {
    name: &'static str,
    total_ns: u128,
    latencies: Vec<u64>,
    peak_bytes: usize,
    /// The five slowest inserts: (nanoseconds, insert number).
    slowest: Vec<(u64, usize)>,
    /// The five inserts that used the most CPU time: (nanoseconds, insert number).
    top_cpu: [(u64, usize); 5],
    /// Inserts that used more than 100 µs of CPU time.
    cpu_over_100us: usize,
}

/// The calling thread's CPU time in nanoseconds (0 where the OS does not tell it).
fn thread_cpu_ns() -> u64 {
    glassmap_workloads::thread_cpu_nanos().unwrap_or(0)
}

fn grow<M: MapKind>(keys: &[u64]) -> Run {
    let mut latencies = Vec::with_capacity(keys.len());
    let mut top_cpu = [(0u64, 0usize); 5];
    let mut cpu_over_100us = 0usize;
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let start = Instant::now();
    let mut map = with_capacity::<M, u64, u64>(0);
    for (i, &k) in keys.iter().enumerate() {
        let cpu = thread_cpu_ns();
        let t = Instant::now();
        map.insert(k, k);
        latencies.push(t.elapsed().as_nanos() as u64);
        let used = thread_cpu_ns() - cpu;
        cpu_over_100us += usize::from(used > 100_000);
        if used > top_cpu[4].0 {
            top_cpu[4] = (used, i + 1);
            top_cpu.sort_unstable_by(|a, b| b.cmp(a));
        }
    }
    let total_ns = start.elapsed().as_nanos();
    let peak_bytes = PEAK.load(Relaxed) - base - latencies.capacity() * 8;
    std::hint::black_box(&map);
    drop(map);
    let mut slowest: Vec<(u64, usize)> = latencies
        .iter()
        .enumerate()
        .map(|(i, &ns)| (ns, i + 1))
        .collect();
    slowest.select_nth_unstable_by(4.min(n_minus_one(&latencies)), |a, b| b.cmp(a));
    slowest.truncate(5);
    slowest.sort_unstable_by(|a, b| b.cmp(a));
    latencies.sort_unstable();
    Run {
        name: M::NAME,
        total_ns,
        latencies,
        peak_bytes,
        slowest,
        top_cpu,
        cpu_over_100us,
    }
}

fn n_minus_one(v: &[u64]) -> usize {
    v.len().saturating_sub(1)
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument, if any, picks maps by name.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let n: usize = std::env::var("GLASSMAP_GROWTH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8_000_000);
    let keys = keys(n);
    let mut runs = Vec::new();
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if wanted("glassmap") {
        runs.push(grow::<Glassmap>(&keys));
    }
    if wanted("hashbrown") {
        runs.push(grow::<Hashbrown>(&keys));
    }
    if wanted("std") {
        runs.push(grow::<Std>(&keys));
    }
    if wanted("griddle") {
        runs.push(grow::<Griddle>(&keys));
    }
    println!("growing from empty to {n} u64 -> u64 entries, every insert timed");
    println!(
        "{:<10} {:>10} {:>8} {:>8} {:>10} {:>12} {:>12} {:>12} {:>10}",
        "map",
        "ns/insert",
        "p50 ns",
        "p99 ns",
        "p99.99 ns",
        "max",
        "max cpu",
        "peak heap",
        "vs hb heap"
    );
    let hashbrown_peak = runs
        .iter()
        .find(|r| r.name == "hashbrown")
        .map(|r| r.peak_bytes);
    for run in &runs {
        let l = &run.latencies;
        let max = *l.last().unwrap();
        println!(
            "{:<10} {:>10.1} {:>8} {:>8} {:>10} {:>9.3} ms {:>9.3} ms {:>8.1} MiB {:>10}",
            run.name,
            run.total_ns as f64 / n as f64,
            percentile(l, 0.5),
            percentile(l, 0.99),
            percentile(l, 0.9999),
            max as f64 / 1e6,
            run.top_cpu[0].0 as f64 / 1e6,
            run.peak_bytes as f64 / (1 << 20) as f64,
            hashbrown_peak.map_or("-".into(), |h| format!(
                "{:.2}x",
                run.peak_bytes as f64 / h as f64
            )),
        );
    }
    println!("slowest inserts (µs @ insert number):");
    for run in &runs {
        let list: Vec<String> = run
            .slowest
            .iter()
            .map(|(ns, i)| format!("{:.0} @ {i}", *ns as f64 / 1e3))
            .collect();
        let cpu: Vec<String> = run
            .top_cpu
            .iter()
            .map(|(ns, i)| format!("{:.0} @ {i}", *ns as f64 / 1e3))
            .collect();
        println!("  {:<10} wall: {}", run.name, list.join(", "));
        println!(
            "  {:<10} cpu:  {}; {} inserts over 100 µs of CPU",
            "",
            cpu.join(", "),
            run.cpu_over_100us
        );
    }
}
