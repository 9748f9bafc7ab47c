//! The drivers: build the map, prefill it, release all threads at once, and time the run.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::plan::{Op, Plan};

/// A concurrent map under test.
pub trait ConcurrentMap: Sync + Sized {
    /// What one thread uses to reach the map (for example the map and an epoch guard held for
    /// the whole run).
    type Thread<'a>: MapThread
    where
        Self: 'a;

    /// An empty map; `capacity` 0 means no capacity hint.
    fn with_capacity(capacity: usize) -> Self;

    /// A handle for the calling thread.
    fn thread(&self) -> Self::Thread<'_>;
}

/// One thread's access to a [`ConcurrentMap`].
pub trait MapThread {
    /// Looks `key` up; whether it was present.
    fn read(&mut self, key: u64) -> bool;
    /// Inserts or replaces `key`.
    fn insert(&mut self, key: u64, value: u64);
    /// Removes `key`; whether it was present.
    fn remove(&mut self, key: u64) -> bool;
    /// Adds one to `key`'s value if present; whether it was.
    fn update(&mut self, key: u64) -> bool;
}

#[inline]
fn apply(thread: &mut impl MapThread, op: Op) -> bool {
    match op {
        Op::Read(key) => thread.read(key),
        Op::Insert(key) => {
            thread.insert(key, key);
            true
        }
        Op::Remove(key) => thread.remove(key),
        Op::Update(key) => thread.update(key),
    }
}

/// The outcome of a timed run.
#[derive(Clone, Copy, Debug)]
pub struct Throughput {
    /// From the first thread's start to the last thread's end.
    pub elapsed: Duration,
    /// Operations in all threads.
    pub ops: usize,
    /// Reads, removes and updates that found their key (a checksum: identical for every map).
    pub hits: u64,
    /// CPU time the threads spent running the operations (from `/proc/thread-self/schedstat`;
    /// `None` where that is not available). Unlike `elapsed`, it does not grow while a thread
    /// waits for a core, so it is the steadier measure on a shared machine.
    pub cpu: Option<Duration>,
}

impl Throughput {
    /// Million operations per second, all threads together.
    pub fn mops(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64() / 1e6
    }

    /// CPU nanoseconds per operation, all threads together.
    pub fn cpu_ns_per_op(&self) -> Option<f64> {
        self.cpu.map(|cpu| cpu.as_nanos() as f64 / self.ops as f64)
    }
}

/// Per-operation latencies of a run, and its throughput (which includes the timer's cost).
#[derive(Debug)]
pub struct Latency {
    /// Nanoseconds per operation, all threads.
    pub histogram: Histogram<u64>,
    /// The run's throughput, clock reads included.
    pub throughput: Throughput,
}

/// Runs `plan` on a new `M` and times the whole run.
pub fn run_throughput<M: ConcurrentMap>(plan: &Plan) -> Throughput {
    let map = M::with_capacity(plan.capacity);
    let throughput = drive(&map, plan, |thread, ops| {
        let mut hits = 0;
        for &op in ops {
            hits += u64::from(black_box(apply(thread, op)));
        }
        hits
    });
    drop(map); // outside the timed region
    throughput.0
}

/// Runs `plan` on a new `M`, timing every operation.
pub fn run_latency<M: ConcurrentMap>(plan: &Plan) -> Latency {
    let map = M::with_capacity(plan.capacity);
    let (throughput, histograms) = drive(&map, plan, |thread, ops| {
        let mut histogram = new_histogram();
        let mut hits = 0;
        for &op in ops {
            let start = Instant::now();
            hits += u64::from(black_box(apply(thread, op)));
            let nanos = start.elapsed().as_nanos() as u64;
            histogram.saturating_record(nanos.max(1));
        }
        (hits, histogram)
    });
    drop(map);
    let mut histogram = new_histogram();
    for h in &histograms {
        histogram.add(h).expect("same bounds");
    }
    Latency {
        histogram,
        throughput,
    }
}

fn new_histogram() -> Histogram<u64> {
    // 1 ns to 100 s, 3 significant digits.
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid bounds")
}

/// Result of one thread's run: its hits, and anything else the body returns.
trait ThreadResult {
    type Extra;
    fn split(self) -> (u64, Self::Extra);
}

impl ThreadResult for u64 {
    type Extra = ();
    fn split(self) -> (u64, ()) {
        (self, ())
    }
}

impl ThreadResult for (u64, Histogram<u64>) {
    type Extra = Histogram<u64>;
    fn split(self) -> (u64, Histogram<u64>) {
        self
    }
}

/// Prefills `map` (each thread its own keys, in parallel), then releases the threads together
/// and runs `body` on each thread's operations.
fn drive<M, R>(
    map: &M,
    plan: &Plan,
    body: impl Fn(&mut M::Thread<'_>, &[Op]) -> R + Sync,
) -> (Throughput, Vec<R::Extra>)
where
    M: ConcurrentMap,
    R: ThreadResult + Send,
    R::Extra: Send,
{
    let barrier = Barrier::new(plan.threads());
    type Outcome<E> = (Instant, Instant, u64, Option<u64>, E);
    let results: Vec<Outcome<R::Extra>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..plan.threads())
            .map(|t| {
                let (barrier, body) = (&barrier, &body);
                s.spawn(move || {
                    let mut thread = map.thread();
                    for &key in &plan.prefill[t] {
                        thread.insert(key, key);
                    }
                    barrier.wait();
                    let cpu_start = thread_cpu_ns();
                    let start = Instant::now();
                    let (hits, extra) = body(&mut thread, &plan.ops[t]).split();
                    let end = Instant::now();
                    let cpu = cpu_start
                        .zip(thread_cpu_ns())
                        .map(|(a, b)| b.saturating_sub(a));
                    (start, end, hits, cpu, extra)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("benchmark thread panicked"))
            .collect()
    });
    let start = results
        .iter()
        .map(|r| r.0)
        .min()
        .expect("one thread at least");
    let end = results
        .iter()
        .map(|r| r.1)
        .max()
        .expect("one thread at least");
    let hits = results.iter().map(|r| r.2).sum();
    let cpu = results.iter().map(|r| r.3).sum::<Option<u64>>();
    let throughput = Throughput {
        elapsed: end - start,
        ops: plan.total_ops(),
        hits,
        cpu: cpu.map(Duration::from_nanos),
    };
    (throughput, results.into_iter().map(|r| r.4).collect())
}

/// The calling thread's CPU time so far in nanoseconds: the first field of Linux's
/// `/proc/thread-self/schedstat`. `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
