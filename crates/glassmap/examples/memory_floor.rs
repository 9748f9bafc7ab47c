//! Memory floors: what the memory accesses of a lookup or an insert cost on this machine *alone*,
//! timed in the same loop shapes as `intmap_ab` (random keys, independent iterations, every
//! result used) and next to `IntMap<u64>`'s and `hashbrown::HashMap<u64, u64>`'s own times in the
//! same process, so a map's time can be read against the least any map with its memory layout
//! can cost.
//!
//! ```text
//! cargo run --release -p glassmap --example memory_floor -- [n ...] [--reps R] [--read1 BYTES,...]
//! cargo run --release -p glassmap --example memory_floor -- 1000000 8000000
//! ```
//!
//! For each map size `n` (default 1000000) the arrays have the sizes of
//! `IntMap::with_capacity(n)`'s (which at 1M and 8M are also hashbrown's): a *filter* array of one byte per home slot
//! (`2 * n.next_power_of_two()` bytes: 2 MiB at 1M, 16 MiB at 8M; hashbrown's control bytes are
//! the same size) and an *entries* array of 16 bytes per slot (32 MiB at 1M, 256 MiB at 8M). Each
//! array is its own anonymous mapping, 2-MiB aligned, advised `MADV_HUGEPAGE` (`huge`, as
//! IntMap's table is) or `MADV_NOHUGEPAGE` (`4k`, as hashbrown's malloc'd table is when THP is
//! `madvise`-only); the report gives the `AnonHugePages` the kernel actually backed each with.
//! The index of a key is its top bits (`key >> (64 - log2(home slots))`; the keys are random), so
//! a floor pays no hashing: it is the memory access and the loop alone.
//!
//! Floors (each a contender, alternating pass by pass with the others of its group):
//! - `read1/P`: one byte at a random index of the filter array: a miss answered by a filter
//!   (IntMap) or by control bytes (hashbrown) costs at least this.
//! - `read16/P`: 16 bytes at a random slot of the entries array; `read1+16/P`: the filter byte and
//!   the entry of the same index (independent loads): a hit's accesses.
//! - `store16/P/kept` and `store16/P/cleared`: a 16-byte store at the slot of each of the `n`
//!   keys in insertion order (a pass is a whole fill, as `intmap_ab`'s insert pass), into a
//!   pre-faulted array; `cleared` zeroes the array (untimed) before each pass, as
//!   `IntMap::clear` zeroes its table, `kept` leaves the previous pass's lines in the cache, as
//!   hashbrown's `clear` (which zeroes only its control bytes) does. The store's cache miss is a
//!   read for ownership (write-allocate), so an insert costs at least this.
//! - `rmw16/P`: the same, reading the 16 bytes and writing them back changed.
//! - `store16/P/fresh`: the same stores into a newly mapped array, first-touch faults included
//!   (as a fill pays when the table was allocated but never written: hashbrown's buckets after
//!   `with_capacity`; IntMap zeroes its table in `with_capacity` instead).
//! - `writes/IntMap` and `writes/hashbrown`: each map's whole write set per insert, at the
//!   slot of each key: IntMap's entry, its count, an occupancy word and a filter word (each word a
//!   read-modify-write, as the map does; huge pages, cleared before each pass); hashbrown's
//!   control byte, its two counts (one 16-byte store) and its entry (4-KiB pages, lines kept).
//!   A loop of inserts is bound by its stores: each store of an insert holds a store-buffer entry
//!   until the stores before it have reached the cache, behind the entry's cache miss.
//! - `--read1 BYTES,...` adds `read1/huge` floors over filters of other sizes (for a smaller
//!   filter's trade-off).
//!
//! Maps, in the same groups: `IntMap miss` / `hashbrown miss` with the `read1` floors,
//! `IntMap hit` / `hashbrown hit` with the 16-byte reads, `IntMap insert` / `hashbrown insert`
//! (cleared untimed, then the `n` keys inserted timed) with the stores. The store group runs
//! first: its insert passes fill the maps for the lookups.
//!
//! Reading the output: each line gives a contender's median and minimum nanoseconds per
//! operation over `R` passes (default 40 for reads, `R / 4` for the stores); the summary gives
//! each map's time over the floor of its own layout (a miss: `read1`; a hit: `read1+16`, huge
//! pages for IntMap, 4 KiB for hashbrown; an insert: its write set), and *hashbrown's time over
//! IntMap's floor*:
//! the largest speed-up over hashbrown that IntMap could reach with this memory layout if it
//! cost nothing but its memory accesses. A target ratio above that is out of reach by
//! construction; one close to it needs IntMap at its floor. The machine's other jobs move the
//! medians; the minimums are the steadier figure.

use std::hint::black_box;

use glassmap::IntMap;
use glassmap_workloads::single::BenchMap;
use glassmap_workloads::single::ab::{PASS, Summary, insert_pass, lookup_pass};
use glassmap_workloads::single::keys::{keys, missing_keys, with_repeats};
use memmap2::{Advice, MmapMut, MmapOptions};

type Hb = hashbrown::HashMap<u64, u64, foldhash::fast::FixedState>;

/// A transparent huge page (x86-64).
const HUGE_PAGE: usize = 2 << 20;

/// How a [`Region`] is backed.
#[derive(Clone, Copy, PartialEq)]
enum Pages {
    /// Advised `MADV_HUGEPAGE`.
    Huge,
    /// Advised `MADV_NOHUGEPAGE`: 4-KiB pages.
    Small,
}

impl Pages {
    fn name(self) -> &'static str {
        match self {
            Pages::Huge => "huge",
            Pages::Small => "4k",
        }
    }
}

/// An anonymous mapping of `len` bytes starting on a huge-page boundary.
struct Region {
    map: MmapMut,
    start: usize,
    len: usize,
}

impl Region {
    /// A new mapping, not yet touched (so not yet faulted in), advised for `pages`.
    fn new(len: usize, pages: Pages) -> Region {
        let map = MmapOptions::new()
            .len(len + HUGE_PAGE)
            .map_anon()
            .expect("mmap");
        let advice = match pages {
            Pages::Huge => Advice::HugePage,
            Pages::Small => Advice::NoHugePage,
        };
        map.advise(advice).expect("madvise");
        let start = (map.as_ptr() as usize).next_multiple_of(HUGE_PAGE) - map.as_ptr() as usize;
        Region { map, start, len }
    }

    /// A new mapping, every page written (faulted in) with a non-zero byte.
    fn faulted(len: usize, pages: Pages) -> Region {
        let mut region = Region::new(len, pages);
        region.bytes().fill(1);
        region
    }

    fn bytes(&mut self) -> &mut [u8] {
        &mut self.map[self.start..][..self.len]
    }

    fn read(&self) -> &[u8] {
        &self.map[self.start..][..self.len]
    }

    /// The KiB of the mapping the kernel backs with huge pages (`AnonHugePages` in smaps).
    fn huge_kib(&self) -> u64 {
        let at = self.map.as_ptr() as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((lo, hi)) = range.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = (lo..hi).contains(&at);
            } else if inside && let Some(kib) = line.strip_prefix("AnonHugePages:") {
                return kib
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .unwrap_or(0);
            }
        }
        0
    }
}

/// The 16 bytes of slot `slot` of `entries`.
#[inline]
fn load16(entries: &[u8], slot: usize) -> u128 {
    u128::from_ne_bytes(entries[slot * 16..][..16].try_into().expect("16 bytes"))
}

/// Writes `value` into slot `slot` of `entries`.
#[inline]
fn store16(entries: &mut [u8], slot: usize, value: u128) {
    entries[slot * 16..][..16].copy_from_slice(&value.to_ne_bytes());
}

/// Pass `r`'s keys of a stream of `8 * PASS`.
fn chunk(stream: &[u64], r: usize) -> &[u64] {
    &stream[(r % 8) * PASS..][..PASS]
}

/// Adds `name` to `group`: `map` cleared, then `keys` inserted (timed, after an untimed pass).
fn push_inserts<'a, M: BenchMap<u64, u64>>(
    group: &mut Vec<Contender<'a>>,
    name: &str,
    map: &'a mut M,
    keys: &'a [u64],
) {
    group.push((
        name.into(),
        Box::new(move |_| {
            after_untimed(|| {
                map.clear();
                insert_pass(keys, |k| {
                    map.insert(k, k);
                })
            })
        }),
    ));
}

/// Adds `IntMap <what>` and `hashbrown <what>` to `group`: lookups of `stream`'s keys, summed.
fn push_lookups<'a>(
    group: &mut Vec<Contender<'a>>,
    what: &str,
    stream: &'a [u64],
    int_map: &'a IntMap<u64>,
    hb: &'a Hb,
) {
    group.push((
        format!("IntMap {what}"),
        Box::new(|i| lookup_pass(chunk(stream, i), false, |k| int_map.get(k).copied())),
    ));
    group.push((
        format!("hashbrown {what}"),
        Box::new(|i| lookup_pass(chunk(stream, i), false, |k| hb.get(&k).copied())),
    ));
}

/// Runs `pass` untimed, then again timed: each timed pass follows one of the same contender, so
/// the dirty cache lines it has to write back are its own (as in `intmap_ab`).
fn after_untimed(mut pass: impl FnMut() -> f64) -> f64 {
    pass();
    pass()
}

/// ORs `mask` into the `index`-th 8-byte word of `bytes`.
#[inline]
fn or64(bytes: &mut [u8], index: usize, mask: u64) {
    let word = &mut bytes[index * 8..][..8];
    let old = u64::from_ne_bytes((*word).try_into().expect("8 bytes"));
    word.copy_from_slice(&(old | mask).to_ne_bytes());
}

/// The sizes of one map size's arrays.
struct Sizes {
    /// Home slots (a power of two): the filter's bytes, the range of the indices.
    home: usize,
    /// `64 - log2(home)`: a key shifted right by this is its index.
    shift: u32,
    /// The entries array's bytes: 16 per slot, the home slots and IntMap's 127-slot tail.
    entries: usize,
}

impl Sizes {
    fn of(n: usize) -> Sizes {
        let home = n.next_power_of_two() * 2;
        Sizes {
            home,
            shift: 64 - home.trailing_zeros(),
            entries: (home + 127) * 16,
        }
    }
}

/// One contender of a group: its name and one timed pass (nanoseconds per operation).
type Contender<'a> = (String, Box<dyn FnMut(usize) -> f64 + 'a>);

/// Runs `passes` rounds of every contender in turn (pass `r` of each is given `r`) and returns
/// each one's summary, printed as it goes.
fn alternate(n: usize, group: &mut [Contender<'_>], passes: usize) -> Vec<(String, Summary)> {
    let mut times = vec![Vec::new(); group.len()];
    for r in 0..passes {
        for (c, (_, pass)) in group.iter_mut().enumerate() {
            times[c].push(pass(r));
        }
    }
    let mut out = Vec::new();
    for ((name, _), t) in group.iter().zip(times) {
        let s = Summary::of(t);
        println!(
            "n={n} {name:24} median {:7.2} ns  min {:7.2} ns",
            s.median, s.min
        );
        out.push((name.clone(), s));
    }
    out
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// Measures the floors and the maps for size `n` and prints them.
fn run(n: usize, reps: usize, extra_read1: &[usize]) {
    let sizes = Sizes::of(n);
    let shift = sizes.shift;
    println!(
        "n={n}: filter {:.1} MiB, entries {:.1} MiB ({} home slots)",
        mib(sizes.home),
        mib(sizes.entries),
        sizes.home
    );
    let keys = keys(n);
    let hits = &with_repeats(&keys, PASS * 8);
    let misses = &with_repeats(&missing_keys(n), PASS * 8);

    // The maps are filled by the insert group's passes, which run first: each map's `insert`
    // then has one call site, which the compiler inlines into the timed loop as it does in a
    // user's loop (with a second call site it kept hashbrown's out of line, doubling its time).
    let mut int_map = IntMap::with_capacity(n);
    let mut hb = Hb::with_capacity_and_hasher(n, Default::default());

    let filters: Vec<(Pages, Region)> = [Pages::Huge, Pages::Small]
        .into_iter()
        .map(|p| (p, Region::faulted(sizes.home, p)))
        .collect();
    let entries: Vec<(Pages, Region)> = [Pages::Huge, Pages::Small]
        .into_iter()
        .map(|p| (p, Region::faulted(sizes.entries, p)))
        .collect();
    for (p, r) in filters.iter().chain(&entries) {
        println!(
            "  {} region of {:.1} MiB: AnonHugePages {} KiB",
            p.name(),
            mib(r.len),
            r.huge_kib()
        );
    }

    // The stores first (they fill the maps). Each timed pass follows an untimed pass of the same
    // contender (as in `intmap_ab`), except the fresh ones, which map a new array every pass.
    let keys = &keys;
    let mut group: Vec<Contender<'_>> = Vec::new();
    for p in [Pages::Huge, Pages::Small] {
        for (use_, clear, rmw) in [
            ("kept", false, false),
            ("cleared", true, false),
            ("rmw", false, true),
        ] {
            let mut region = Region::faulted(sizes.entries, p);
            let name = match use_ {
                "rmw" => format!("rmw16/{}/kept", p.name()),
                _ => format!("store16/{}/{use_}", p.name()),
            };
            group.push((
                name,
                Box::new(move |_| {
                    after_untimed(|| {
                        let bytes = region.bytes();
                        if clear {
                            bytes.fill(0);
                        }
                        insert_pass(keys, |k| {
                            let at = (k >> shift) as usize;
                            let old = if rmw { load16(bytes, at) } else { 0 };
                            store16(
                                bytes,
                                at,
                                old.wrapping_add(u128::from(k) << 64 | u128::from(k)),
                            );
                        })
                    })
                }),
            ));
        }
        group.push((
            format!("store16/{}/fresh", p.name()),
            Box::new(move |_| {
                let mut region = Region::new(sizes.entries, p);
                let bytes = region.bytes();
                insert_pass(keys, |k| {
                    store16(bytes, (k >> shift) as usize, u128::from(k))
                })
            }),
        ));
    }
    // Each map's whole write set per insert, at its own floor: the entry, and the metadata
    // each map keeps, each word written back as the maps do (a read-modify-write of a cached
    // word is a store like any other in the store buffer, behind the entry's cache miss).
    let mut im_filter = Region::faulted(sizes.home, Pages::Huge);
    let mut im_bitmap = Region::faulted(sizes.home.div_ceil(8) + 16, Pages::Huge);
    let mut im_entries = Region::faulted(sizes.entries, Pages::Huge);
    group.push((
        "writes/IntMap".into(),
        Box::new(move |_| {
            after_untimed(|| {
                let (filter, bitmap, entries) =
                    (im_filter.bytes(), im_bitmap.bytes(), im_entries.bytes());
                entries.fill(0);
                let mut len = 0u64;
                insert_pass(keys, |k| {
                    let at = (k >> shift) as usize;
                    store16(entries, at, u128::from(k) << 64 | u128::from(k));
                    *black_box(&mut len) += 1;
                    or64(bitmap, at / 64, 1 << (at % 64));
                    or64(filter, at / 8, 1 << (k & 63) | 1 << ((k >> 6) & 63));
                })
            })
        }),
    ));
    let mut hb_ctrl = Region::faulted(sizes.home + 16, Pages::Small);
    let mut hb_entries = Region::faulted(sizes.entries, Pages::Small);
    group.push((
        "writes/hashbrown".into(),
        Box::new(move |_| {
            after_untimed(|| {
                let (ctrl, entries) = (hb_ctrl.bytes(), hb_entries.bytes());
                ctrl.fill(0x80);
                let mut counts = [0u64; 2];
                insert_pass(keys, |k| {
                    let at = (k >> shift) as usize;
                    ctrl[at] = (k >> 57) as u8;
                    let counts = black_box(&mut counts);
                    counts[0] += 1;
                    counts[1] = counts[1].wrapping_sub(1);
                    store16(entries, at, u128::from(k) << 64 | u128::from(k));
                })
            })
        }),
    ));
    push_inserts(&mut group, "IntMap insert", &mut int_map, keys);
    push_inserts(&mut group, "hashbrown insert", &mut hb, keys);
    let insert = alternate(n, &mut group, (reps / 4).max(3));
    drop(group);

    // One byte per miss.
    let extra: Vec<(usize, Region)> = extra_read1
        .iter()
        .map(|&b| (b, Region::faulted(b.next_power_of_two(), Pages::Huge)))
        .collect();
    let mut group: Vec<Contender<'_>> = Vec::new();
    for (p, r) in &filters {
        let bytes = r.read();
        group.push((
            format!("read1/{}", p.name()),
            Box::new(move |i| {
                lookup_pass(chunk(hits, i), false, |k| {
                    Some(u64::from(bytes[(k >> shift) as usize]))
                })
            }),
        ));
    }
    for (b, r) in &extra {
        let bytes = r.read();
        let shift = 64 - bytes.len().trailing_zeros();
        group.push((
            format!("read1/huge/{b}B"),
            Box::new(move |i| {
                lookup_pass(chunk(hits, i), false, |k| {
                    Some(u64::from(bytes[(k >> shift) as usize]))
                })
            }),
        ));
    }
    push_lookups(&mut group, "miss", misses, &int_map, &hb);
    let miss = alternate(n, &mut group, reps);
    drop(group);

    // A hit's accesses.
    let mut group: Vec<Contender<'_>> = Vec::new();
    for ((p, f), (_, e)) in filters.iter().zip(&entries) {
        let (f, e) = (f.read(), e.read());
        group.push((
            format!("read16/{}", p.name()),
            Box::new(move |i| {
                lookup_pass(chunk(hits, i), false, |k| {
                    Some(load16(e, (k >> shift) as usize) as u64)
                })
            }),
        ));
        group.push((
            format!("read1+16/{}", p.name()),
            Box::new(move |i| {
                lookup_pass(chunk(hits, i), false, |k| {
                    let at = (k >> shift) as usize;
                    Some(u64::from(f[at]) ^ load16(e, at) as u64)
                })
            }),
        ));
    }
    push_lookups(&mut group, "hit", hits, &int_map, &hb);
    let hit = alternate(n, &mut group, reps);
    drop(group);

    summarise(&miss, &hit, &insert);
}

/// The named summary in `group`.
fn find(group: &[(String, Summary)], name: &str) -> Summary {
    group
        .iter()
        .find(|(n, _)| n == name)
        .map(|&(_, s)| s)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// Prints each map's time over its layout's floor and hashbrown's time over IntMap's floor.
fn summarise(miss: &[(String, Summary)], hit: &[(String, Summary)], insert: &[(String, Summary)]) {
    let lines = [
        (
            "miss",
            find(miss, "IntMap miss"),
            find(miss, "read1/huge"),
            find(miss, "hashbrown miss"),
            find(miss, "read1/4k"),
        ),
        (
            "hit",
            find(hit, "IntMap hit"),
            find(hit, "read1+16/huge"),
            find(hit, "hashbrown hit"),
            find(hit, "read1+16/4k"),
        ),
        (
            "insert",
            find(insert, "IntMap insert"),
            find(insert, "writes/IntMap"),
            find(insert, "hashbrown insert"),
            find(insert, "writes/hashbrown"),
        ),
    ];
    for (op, im, im_floor, hb, hb_floor) in lines {
        println!(
            "  {op:6}: IntMap / its floor {:.2}x (min {:.2}x), hashbrown / its floor {:.2}x (min {:.2}x); \
             hashbrown / IntMap {:.2}x (min {:.2}x), reachable at IntMap's floor {:.2}x (min {:.2}x)",
            im.median / im_floor.median,
            im.min / im_floor.min,
            hb.median / hb_floor.median,
            hb.min / hb_floor.min,
            hb.median / im.median,
            hb.min / im.min,
            hb.median / im_floor.median,
            hb.min / im_floor.min,
        );
    }
}

fn main() {
    let mut sizes = Vec::new();
    let mut reps = 40;
    let mut extra_read1 = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reps" => reps = args.next().and_then(|r| r.parse().ok()).expect("--reps R"),
            "--read1" => {
                extra_read1 = args
                    .next()
                    .expect("--read1 BYTES,...")
                    .split(',')
                    .map(|b| b.parse().expect("a byte count"))
                    .collect();
            }
            n => sizes.push(n.parse().expect("a map size n")),
        }
    }
    if sizes.is_empty() {
        sizes.push(1_000_000);
    }
    for n in sizes {
        run(n, reps, &extra_read1);
    }
}
