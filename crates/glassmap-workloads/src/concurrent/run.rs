//! The runner: pre-draw every thread's operations, pre-fill, release the threads together, time the run.

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::Zipf;

use super::maps::{ConcurrentKind, Handle, SharedHasher};
use super::mix::{Mix, OpKind};
use crate::splitmix64;

/// One run of a mix on one map.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// The operations.
    pub mix: Mix,
    /// Threads, each with its own keys.
    pub threads: usize,
    /// Capacity hint of the pre-sized mixes; the pre-fill is a fraction of it.
    pub capacity: usize,
    /// Timed operations in all threads together (after the pre-fill).
    pub operations: usize,
    /// Seed of the keys and the operation order (the same for every map).
    pub seed: u64,
    /// Time every operation on its own for the latency histograms (costs a clock read per operation); when
    /// false only the whole run is timed.
    pub record_latency: bool,
    /// A run still going after this long stops; the operations done so far are counted.
    pub time_limit: Duration,
}

/// What a run measured.
#[derive(Debug)]
pub struct Measurement {
    /// Timed operations done in all threads.
    pub operations: u64,
    /// Wall time from releasing the threads until the last one finished.
    pub elapsed: Duration,
    /// CPU time the threads spent on their operations, summed, per operation (Linux: from
    /// [`crate::thread_cpu_nanos`]; `None` elsewhere). Steadier than `elapsed` on a shared
    /// machine, where a thread may wait for a core.
    pub cpu_ns_per_op: Option<f64>,
    /// Per-operation latency in nanoseconds, by [`OpKind::ALL`] index, all threads merged (with
    /// `record_latency`).
    pub latency: Option<[Histogram<u64>; 4]>,
    /// Operations per thread in each window of `window_max_ns`.
    pub window: usize,
    /// With `record_latency`: the slowest operation of each window of `window` operations, taking for each
    /// window the slowest across threads (the threads' windows run at about the same time), in nanoseconds.
    pub window_max_ns: Vec<u64>,
    /// True if the time limit cut the run short.
    pub stopped_early: bool,
    /// Entries in the map at the end, from each thread's own count of its inserts and removes.
    pub expected_len: u64,
    /// Entries in the map at the end, as the map reports them: equal to `expected_len` for a correct map
    /// (unless the run stopped early, which does not change it either).
    pub final_len: u64,
}

impl Measurement {
    /// Million operations per second, all threads together.
    pub fn mops(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64().max(1e-9) / 1e6
    }
}

/// Each thread's latency series is kept as the slowest operation of each of about this many windows.
const LATENCY_WINDOWS: usize = 1000;

/// Largest latency recorded (one minute); slower operations saturate.
const LATENCY_CEILING_NS: u64 = 60_000_000_000;

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LATENCY_CEILING_NS, 3).expect("static histogram bounds are valid")
}

/// One thread's pre-drawn work.
struct Plan {
    /// Its keys: the pre-fill first, then one per possible insert.
    keys: Vec<u64>,
    prefill: usize,
    /// Each operation's kind and a number: for a read the key itself (resolved when planning, so the
    /// timed loop reads the plan sequentially instead of missing the cache on the key array), for an
    /// update a random pick among the present keys and the new value.
    ops: Vec<(OpKind, u64)>,
}

fn plan(config: &Config, thread: usize) -> Plan {
    let shape = config.mix.shape();
    let prefill = (config.capacity as f64 * shape.prefill) as usize / config.threads;
    let ops_count = config.operations / config.threads;
    let base = config.seed.wrapping_add((thread as u64) << 40);
    let keys: Vec<u64> = (0..(prefill + ops_count) as u64)
        .map(|i| splitmix64(base.wrapping_add(i)))
        .collect();
    let mut rng = StdRng::seed_from_u64(splitmix64(config.seed ^ thread as u64));
    let zipf = shape
        .zipf
        .map(|s| Zipf::new(keys.len() as f64, s).expect("zipf over at least one key"));
    let ops = (0..ops_count)
        .map(|_| {
            let mut die = rng.random_range(0..100u32);
            let kind = OpKind::ALL
                .into_iter()
                .zip(shape.percent)
                .find(|&(_, p)| {
                    let hit = die < p;
                    die = die.saturating_sub(p);
                    hit
                })
                .map(|(kind, _)| kind)
                .expect("percentages sum to 100");
            let number = match (kind, zipf) {
                (OpKind::Read, Some(zipf)) => keys[rng.sample(zipf) as usize - 1],
                (OpKind::Read, None) => keys[rng.random_range(0..keys.len())],
                _ => u64::from(rng.random::<u32>()),
            };
            (kind, number)
        })
        .collect();
    Plan { keys, prefill, ops }
}

/// Runs `config` on a fresh map of kind `K` with hasher builder `hasher`.
pub fn run<K: ConcurrentKind, S: SharedHasher>(config: &Config, hasher: S) -> Measurement {
    let shape = config.mix.shape();
    let map = K::with_capacity_and_hasher(if shape.presized { config.capacity } else { 0 }, hasher);
    let plans: Vec<Plan> = (0..config.threads).map(|t| plan(config, t)).collect();
    let start_line = Barrier::new(config.threads + 1);
    let (elapsed, results) = std::thread::scope(|scope| {
        let workers: Vec<_> = plans
            .iter()
            .map(|plan| {
                let (map, start_line) = (&map, &start_line);
                scope.spawn(move || {
                    K::prefill(map, &plan.keys[..plan.prefill]);
                    let mut handle = K::handle(map);
                    start_line.wait();
                    work(&mut handle, plan, config)
                })
            })
            .collect();
        start_line.wait();
        let started = Instant::now();
        let results: Vec<ThreadResult> = workers
            .into_iter()
            .map(|w| w.join().expect("a benchmark thread panicked"))
            .collect();
        (started.elapsed(), results)
    });
    let final_len = K::handle(&map).len() as u64;
    drop(map);
    let cpu_ns: Option<u64> = results.iter().map(|r| r.cpu_ns).sum();
    let operations: u64 = results.iter().map(|r| r.operations).sum();
    let mut measurement = Measurement {
        operations: 0,
        elapsed,
        cpu_ns_per_op: cpu_ns.map(|ns| ns as f64 / operations.max(1) as f64),
        latency: config
            .record_latency
            .then(|| [histogram(), histogram(), histogram(), histogram()]),
        window: window_of(config),
        window_max_ns: Vec::new(),
        stopped_early: false,
        expected_len: 0,
        final_len,
    };
    for result in results {
        measurement.operations += result.operations;
        measurement.stopped_early |= result.stopped_early;
        measurement.expected_len += result.len;
        let windows = &mut measurement.window_max_ns;
        if windows.len() < result.window_max_ns.len() {
            windows.resize(result.window_max_ns.len(), 0);
        }
        for (all, &mine) in windows.iter_mut().zip(&result.window_max_ns) {
            *all = (*all).max(mine);
        }
        if let (Some(all), Some(mine)) = (&mut measurement.latency, &result.latency) {
            for (all, mine) in all.iter_mut().zip(mine) {
                all.add(mine).expect("histograms with equal bounds add");
            }
        }
    }
    measurement
}

fn window_of(config: &Config) -> usize {
    (config.operations / config.threads)
        .div_ceil(LATENCY_WINDOWS)
        .max(1)
}

struct ThreadResult {
    cpu_ns: Option<u64>,
    window_max_ns: Vec<u64>,
    operations: u64,
    stopped_early: bool,
    latency: Option<[Histogram<u64>; 4]>,
    len: u64,
}

/// How many operations pass between two looks at the clock for the time limit.
const LIMIT_CHECK_EVERY: usize = 1024;

fn work(handle: &mut impl Handle, plan: &Plan, config: &Config) -> ThreadResult {
    let cpu_started = crate::thread_cpu_nanos();
    let started = Instant::now();
    let mut latency = config
        .record_latency
        .then(|| [histogram(), histogram(), histogram(), histogram()]);
    let mut present: VecDeque<u64> = plan.keys[..plan.prefill].iter().copied().collect();
    let mut next_insert = plan.prefill;
    let mut done = 0;
    let mut stopped_early = false;
    let window = window_of(config);
    let mut window_max_ns = Vec::new();
    let mut slowest = 0;
    for (i, &(kind, number)) in plan.ops.iter().enumerate() {
        if i % LIMIT_CHECK_EVERY == 0 && i > 0 && started.elapsed() > config.time_limit {
            stopped_early = true;
            break;
        }
        let op_started = latency.is_some().then(Instant::now);
        match kind {
            OpKind::Read => {
                black_box(handle.read(number));
            }
            OpKind::Insert => {
                let key = plan.keys[next_insert];
                next_insert += 1;
                handle.insert(key, key);
                present.push_back(key);
            }
            OpKind::Remove => {
                let key = present.pop_front().unwrap_or(plan.keys[0]);
                black_box(handle.remove(key));
            }
            OpKind::Update => match present.len() {
                // None of the thread's keys is present: nothing to update, so look one up instead.
                0 => {
                    black_box(handle.read(plan.keys[0]));
                }
                n => {
                    let key = present[number as usize % n];
                    black_box(handle.update(key, number));
                }
            },
        }
        if let (Some(op_started), Some(histograms)) = (op_started, &mut latency) {
            let ns = op_started
                .elapsed()
                .as_nanos()
                .min(u128::from(LATENCY_CEILING_NS)) as u64;
            histograms[kind as usize].saturating_record(ns.max(1));
            slowest = slowest.max(ns);
            if (i + 1) % window == 0 {
                window_max_ns.push(slowest);
                slowest = 0;
            }
        }
        done += 1;
    }
    let cpu_ns = cpu_started
        .zip(crate::thread_cpu_nanos())
        .map(|(a, b)| b.saturating_sub(a));
    ThreadResult {
        cpu_ns,
        window_max_ns,
        operations: done,
        stopped_early,
        latency,
        len: present.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::concurrent::maps::{
        Dashmap, GlassSharded, GlassSnapshot, GlassSync, LockedHashbrown, Papaya, PapayaPerOp, Scc,
    };
    use std::hash::{BuildHasherDefault, DefaultHasher};

    fn small(mix: Mix, threads: usize, record_latency: bool) -> Config {
        Config {
            mix,
            threads,
            capacity: 4096,
            operations: 20_000,
            seed: 7,
            record_latency,
            time_limit: Duration::from_secs(60),
        }
    }

    fn check<K: ConcurrentKind>() {
        for mix in Mix::ALL
            .into_iter()
            .filter(|&mix| K::unsuited(mix).is_none())
        {
            for threads in [1, 2] {
                let config = small(mix, threads, threads == 2);
                let m = run::<K, _>(&config, BuildHasherDefault::<DefaultHasher>::default());
                assert_eq!(m.operations, 20_000, "{} {mix:?}", K::NAME);
                assert!(!m.stopped_early);
                assert_eq!(
                    m.final_len,
                    m.expected_len,
                    "{} {mix:?}: entries lost or invented",
                    K::NAME
                );
                if let Some(latency) = &m.latency {
                    let recorded: u64 = latency.iter().map(|h| h.len()).sum();
                    assert_eq!(recorded, 20_000);
                    assert_eq!(
                        m.window_max_ns.len() * m.window,
                        10_000,
                        "windows cover each thread's operations"
                    );
                    assert!(m.window_max_ns.iter().all(|&ns| ns > 0));
                }
            }
        }
    }

    #[test]
    fn every_glassmap_map_runs_every_mix_it_suits() {
        check::<GlassSharded>();
        check::<GlassSync>();
        check::<GlassSnapshot>();
    }

    #[test]
    fn every_peer_runs_every_mix() {
        check::<Dashmap>();
        check::<Papaya>();
        check::<PapayaPerOp>();
        check::<Scc>();
        check::<LockedHashbrown>();
    }

    #[test]
    fn mixes_draw_their_percentages() {
        let config = small(Mix::Exchange, 1, false);
        let plan = plan(&config, 0);
        let count = |k: OpKind| plan.ops.iter().filter(|(kind, _)| *kind == k).count();
        assert_eq!(plan.ops.len(), 20_000);
        assert!((1_600..2_400).contains(&count(OpKind::Read)));
        assert!((7_400..8_600).contains(&count(OpKind::Insert)));
        assert_eq!(plan.prefill, 3072);
        let skewed = super::plan(&small(Mix::Skewed, 1, false), 0);
        let hot_keys = &skewed.keys[..10];
        let hot = skewed
            .ops
            .iter()
            .filter(|&&(k, key)| k == OpKind::Read && hot_keys.contains(&key))
            .count();
        assert!(
            hot > 2_000,
            "Zipf reads concentrate on the first keys: {hot}"
        );
    }
}
