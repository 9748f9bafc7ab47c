//! Instruction-count probe: runs one operation kind over N u64 -> u64 entries for glassmap,
//! hashbrown or IntMap (same hasher: foldhash, fixed seed), with the measured loop in its own
//! `#[inline(never)]` function so callgrind can count it alone:
//!
//! ```text
//! cargo build --release -p glassmap --example probe
//! valgrind --tool=callgrind --toggle-collect='probe::measured*' \
//!     target/release/examples/probe glassmap hit 200000
//! ```
//!
//! Divide the collected instructions by N for instructions per operation. The loop's wall time per
//! operation goes to stderr (a quick A/B timing; criterion's `benches/map.rs` is the reference). Operations: `hit`,
//! `miss`, `insert` (from empty), `presized` (insert into a presized map), `remove`, `iter` (`values().sum()`: `fold`), `iternext` (a `for` loop over the values: `next`),
//! `dependent` (hits, each key picked by the value
//! the previous lookup found), `batch` (get_batch over the hit keys, a `for` loop: `next`), `batchfold` (the same through
//! `fold`, as `sum`, `count` and `for_each` do), `batch16` (the same over chunks of 16 keys), `batch16box` (as `batch16`, each chunk through `black_box`, as `batch_patterns` passes them, so no part of a call's setup is hoisted out of the loop over chunks). Maps: `glassmap`, `hashbrown`, `intmap`.

use std::hint::black_box;

use glassmap::{IntMap, Map, RandomState};

type Hb = hashbrown::HashMap<u64, u64, RandomState>;

/// `n` distinct pseudo-random keys (SplitMix64 of a counter); `stream` 1 and 2 never overlap.
fn keys(n: usize, stream: u64) -> Vec<u64> {
    (0..n as u64)
        .map(|i| glassmap_workloads::splitmix64(i << 1 | (stream & 1)))
        .collect()
}

/// The measured loops for a std-like map, one `#[inline(never)]` function per operation in the
/// module `$module` (so `--toggle-collect='probe::measured_glassmap*'` counts exactly the loop that
/// ran, and each loop is register-allocated on its own, as in a benchmark, rather than sharing one
/// function's registers with every other operation), and `$run`, which picks one by name. `$batch`
/// is how the map answers `batch` (hashbrown has no batched lookup, so its `get` loop stands in).
macro_rules! measured {
    ($module:ident, $run:ident, $map:ty, |$m:ident, $probes:ident| $batch:expr) => {
        mod $module {
            use super::*;

            #[inline(never)]
            pub fn lookups(map: &$map, probes: &[u64]) -> u64 {
                let mut acc = 0u64;
                for k in probes {
                    acc += map.get(k).copied().unwrap_or(1);
                }
                acc
            }

            /// Dependent lookups: each probe is picked by the value the previous one found (plus
            /// the step number, so that the walk does not fall into a short cycle that stays
            /// cached).
            #[inline(never)]
            pub fn dependent(map: &$map, probes: &[u64]) -> u64 {
                let mut i = 0usize;
                let mut acc = 0u64;
                for step in 0..probes.len() as u64 {
                    let v = map.get(&probes[i]).copied().unwrap_or(1);
                    acc = acc.wrapping_add(v);
                    i = (v.wrapping_add(step) % probes.len() as u64) as usize;
                }
                acc
            }

            #[inline(never)]
            pub fn batch($m: &$map, $probes: &[u64]) -> u64 {
                let mut acc = 0u64;
                for v in $batch {
                    acc += v.copied().unwrap_or(1);
                }
                acc
            }

            #[inline(never)]
            pub fn batch_fold($m: &$map, $probes: &[u64]) -> u64 {
                $batch.fold(0, |acc, v| acc + v.copied().unwrap_or(1))
            }

            #[inline(never)]
            pub fn batch16(map: &$map, probes: &[u64]) -> u64 {
                let mut acc = 0u64;
                for chunk in probes.chunks(16) {
                    let ($m, $probes) = (map, chunk);
                    acc += $batch.fold(0, |acc, v| acc + v.copied().unwrap_or(1));
                }
                acc
            }

            /// As `batch16`, each chunk passed through `black_box` as `batch_patterns` does, so that
            /// nothing the batch reads from the map can be hoisted out of the loop over chunks: every
            /// call pays its whole setup.
            #[inline(never)]
            pub fn batch16_boxed(map: &$map, probes: &[u64]) -> u64 {
                let mut acc = 0u64;
                for chunk in probes.chunks(16) {
                    let ($m, $probes) = (map, black_box(chunk));
                    acc += $batch.fold(0, |acc, v| acc + v.copied().unwrap_or(1));
                }
                acc
            }

            #[inline(never)]
            pub fn insert(map: &mut $map, probes: &[u64]) -> u64 {
                for &k in probes {
                    map.insert(k, k);
                }
                0
            }

            #[inline(never)]
            pub fn remove(map: &mut $map, probes: &[u64]) -> u64 {
                let mut acc = 0u64;
                for k in probes {
                    acc += map.remove(k).unwrap_or(1);
                }
                acc
            }

            #[inline(never)]
            pub fn iter_fold(map: &$map) -> u64 {
                map.values().sum()
            }

            #[inline(never)]
            pub fn iter_next(map: &$map) -> u64 {
                let mut acc = 0u64;
                for v in map.values() {
                    acc = acc.wrapping_add(*v);
                }
                acc
            }
        }

        fn $run(op: &str, map: &mut $map, probes: &[u64]) -> u64 {
            match op {
                "hit" | "miss" => $module::lookups(map, probes),
                "dependent" => $module::dependent(map, probes),
                "batch" => $module::batch(map, probes),
                "batchfold" => $module::batch_fold(map, probes),
                "batch16" => $module::batch16(map, probes),
                "batch16box" => $module::batch16_boxed(map, probes),
                "insert" | "presized" => $module::insert(map, probes),
                "remove" => $module::remove(map, probes),
                "iter" => $module::iter_fold(map),
                "iternext" => $module::iter_next(map),
                _ => panic!("unknown op {op}"),
            }
        }
    };
}

measured!(measured_glassmap, run_glassmap, Map<u64, u64>, |m, probes| m
    .get_batch(probes));
measured!(measured_hashbrown, run_hashbrown, Hb, |m, probes| probes
    .iter()
    .map(|k| m.get(k)));

#[inline(never)]
fn measured_intmap(op: &str, map: &mut IntMap<u64>, probes: &[u64]) -> u64 {
    let mut acc = 0u64;
    match op {
        "hit" | "miss" => {
            for &k in probes {
                acc += map.get(k).copied().unwrap_or(1);
            }
        }
        "insert" | "presized" => {
            for &k in probes {
                let _ = map.insert(k, k);
            }
        }
        "remove" => {
            for &k in probes {
                acc += map.remove(k).unwrap_or(1);
            }
        }
        _ => panic!("unknown op {op}"),
    }
    acc
}

/// Runs the measured loop and prints its wall time per operation to stderr (stdout keeps the
/// result, so the loop cannot be optimised away). With `PROBE_REPS=r` in the environment a
/// read-only operation runs `r` times and the median and fastest pass are printed (callgrind
/// counts then cover all passes). With `PROBE_HUGE` set, the glassmap map is given huge pages
/// (`Map::collapse_to_huge_pages`) before the loop.
fn timed(n: usize, op: &str, mut run: impl FnMut() -> u64) -> u64 {
    let read_only = !matches!(op, "insert" | "presized" | "remove");
    let reps: usize = match std::env::var("PROBE_REPS") {
        Ok(r) if read_only => r.parse().expect("PROBE_REPS is a number"),
        _ => 1,
    };
    let mut acc = 0u64;
    let mut times: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let start = std::time::Instant::now();
            acc = acc.wrapping_add(run());
            start.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    if times.len() == 1 {
        eprintln!("{:.1} ns/op", times[0]);
    } else {
        eprintln!(
            "{:.1} ns/op median, {:.1} fastest of {}",
            times[times.len() / 2],
            times[0],
            times.len()
        );
    }
    acc
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (kind, op) = (args[1].as_str(), args[2].as_str());
    let n: usize = args.get(3).map_or(200_000, |a| a.parse().expect("N"));
    let present = keys(n, 1);
    let probes = if op == "miss" {
        keys(n, 2)
    } else {
        present.clone()
    };
    let fill = !matches!(op, "insert" | "presized");
    let cap = if op == "insert" { 0 } else { n };
    let acc = match kind {
        "glassmap" => {
            let mut map = Map::with_capacity_and_hasher(cap, RandomState::with_seed(9));
            if fill {
                present.iter().for_each(|&k| {
                    map.insert(k, k);
                });
                map.finish_growth();
            }
            if std::env::var_os("PROBE_HUGE").is_some() {
                let start = std::time::Instant::now();
                let collapsed = map.collapse_to_huge_pages();
                let ms = start.elapsed().as_secs_f64() * 1e3;
                eprintln!("collapse_to_huge_pages: {collapsed} in {ms:.1} ms");
            }
            timed(n, op, || run_glassmap(op, black_box(&mut map), &probes))
        }
        "hashbrown" => {
            let mut map = Hb::with_capacity_and_hasher(cap, RandomState::with_seed(9));
            if fill {
                present.iter().for_each(|&k| {
                    map.insert(k, k);
                });
            }
            timed(n, op, || run_hashbrown(op, black_box(&mut map), &probes))
        }
        "intmap" => {
            let mut map = IntMap::with_capacity(n);
            if fill {
                present.iter().for_each(|&k| {
                    let _ = map.insert(k, k);
                });
            }
            timed(n, op, || measured_intmap(op, black_box(&mut map), &probes))
        }
        _ => panic!("unknown map {kind}"),
    };
    println!("{acc}");
}
