//! Repeated fills, as criterion's insert benchmarks run them: a map is built (untimed), filled with
//! `n` keys in order (timed), then dropped (untimed), `fills` times per map in one process. Prints
//! per-fill medians of wall time and of minor page faults: the allocator's state between fills
//! (memory kept, or handed back to the kernel and faulted in again) moves the insert benchmarks.
//!
//! ```text
//! cargo run --release -p glassmap --example fill_loop -- 1000000 presized 20 alternate
//! ```
//!
//! Arguments: `n`, `presized` or `empty`, fills per map, and the order: `alternate` (glassmap,
//! hashbrown, glassmap, ...), `glassmap-first` (every glassmap fill, then every hashbrown fill, as
//! criterion runs one benchmark after the other), `hashbrown-first`, `glassmap-only` or
//! `hashbrown-only` (one map's fills alone, e.g. under a profiler); optionally `each` last, to
//! time every insert and print the slowest.

use std::hint::black_box;
use std::time::Instant;

use glassmap::{Map, RandomState};

type Hb = hashbrown::HashMap<u64, u64, RandomState>;

/// The process's minor page faults so far (`minflt`, field 10 of `/proc/self/stat`).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    rest.split(' ')
        .nth(7)
        .expect("minflt")
        .parse()
        .expect("minflt")
}

/// Times one fill of `map` with `keys`: (ns per insert, minor faults, slowest insert in µs).
/// With `each`, every insert is timed on its own (which adds the clock's cost to the mean).
fn fill<M>(
    mut map: M,
    keys: &[u64],
    each: bool,
    mut insert: impl FnMut(&mut M, u64),
) -> (f64, f64, f64) {
    let (faults, start) = (minor_faults(), Instant::now());
    let mut slowest = 0f64;
    for &k in keys {
        if each {
            let t = Instant::now();
            insert(&mut map, k);
            slowest = slowest.max(t.elapsed().as_secs_f64() * 1e6);
        } else {
            insert(&mut map, k);
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / keys.len() as f64;
    let faults = (minor_faults() - faults) as f64;
    drop(black_box(map));
    (ns, faults, slowest)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(1_000_000, |s| s.parse().expect("n"));
    let capacity = if args.get(2).is_some_and(|s| s == "presized") {
        n
    } else {
        0
    };
    let fills: usize = args.get(3).map_or(20, |s| s.parse().expect("fills"));
    let order = args.get(4).map_or("alternate", String::as_str);
    let each = args.get(5).is_some_and(|s| s == "each");
    let rounds: Vec<bool> = match order {
        "glassmap-first" => [true, false].iter().flat_map(|&g| vec![g; fills]).collect(),
        "hashbrown-first" => [false, true].iter().flat_map(|&g| vec![g; fills]).collect(),
        "glassmap-only" => vec![true; fills],
        "hashbrown-only" => vec![false; fills],
        _ => (0..2 * fills).map(|i| i % 2 == 0).collect(),
    };
    let keys: Vec<u64> = (0..n as u64).map(glassmap_workloads::splitmix64).collect();
    let (mut glassmap, mut hashbrown) = (vec![], vec![]);
    for is_glassmap in rounds {
        let hasher = RandomState::with_seed(7);
        if is_glassmap {
            let map: Map<u64, u64, _> = Map::with_capacity_and_hasher(capacity, hasher);
            glassmap.push(fill(map, &keys, each, |m, k| {
                m.insert(k, k);
            }));
        } else {
            let map = Hb::with_capacity_and_hasher(capacity, hasher);
            hashbrown.push(fill(map, &keys, each, |m, k| {
                m.insert(k, k);
            }));
        }
    }
    // One summary per map that ran: median (and fastest) ns per insert, median faults per fill,
    // and with `each` the slowest insert of any fill.
    let summary = |name: &str, samples: &[(f64, f64, f64)]| {
        let ns = median(samples.iter().map(|s| s.0).collect());
        let fastest = samples.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
        let faults = median(samples.iter().map(|s| s.1).collect());
        let mut line = format!("{name} {ns:.1} ns (fastest {fastest:.1}), {faults:.0} faults/fill");
        if each {
            let slowest = samples.iter().map(|s| s.2).fold(0f64, f64::max);
            line += &format!(", slowest insert {slowest:.0} us");
        }
        (ns, line)
    };
    let mut lines = vec![];
    let mut times = vec![];
    for (name, samples) in [("glassmap", &glassmap), ("hashbrown", &hashbrown)] {
        if !samples.is_empty() {
            let (ns, line) = summary(name, samples);
            times.push(ns);
            lines.push(line);
        }
    }
    if let [glassmap_ns, hashbrown_ns] = times[..] {
        lines.push(format!("ratio {:.2}x", glassmap_ns / hashbrown_ns));
    }
    println!("n={n} capacity={capacity} {order}: {}", lines.join("; "));
}
