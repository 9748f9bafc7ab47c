//! The memory floor of `get_batch`'s access pattern: what two dependent random lines per key cost
//! on this machine with no hashing and no map code, next to hashbrown's `get` loop and glassmap's
//! `get_batch` in the same process, so that the batch's time can be read against the least any
//! code with its memory layout and schedule can cost.
//!
//! ```text
//! cargo run --release -p glassmap --example batch_floor -- [n] [rounds] [huge]
//! cargo run --release -p glassmap --example batch_floor -- 8000000 7
//! ```
//!
//! The floor's arrays have the sizes of a glassmap table of `n` entries (2^B buckets, B as the map
//! built here has it: 21 at 8M): a dense array of 2^B 8-byte tophash words (16 MiB at 8M) and an
//! array of 2^B 144-byte slot blocks (288 MiB at 8M), both allocated as glassmap's are (the global
//! allocator, so 4 KiB pages where transparent huge pages are `madvise`-only) and written once, so
//! every page is faulted in. A key's bucket is its top B bits (the probes are the map's keys,
//! which are random); its tophash word's low three bits pick the slot, so the entry's line is
//! known only once the word has arrived, as in the batch. Contenders (each the sum of what it
//! reads, so no load is dead):
//! - `floor2/D/S`: the batch's schedule without its work. For key `i`: prefetch the tophash word of
//!   key `i + D`; read the word of key `i + S`, keep its slot in a ring and prefetch that entry's
//!   line; read key `i`'s entry (its key and value) through the ring. `get_batch` is `floor2/32/12`
//!   plus hashing, the tag match, the key comparison and its bookkeeping.
//! - `floor1/D`: one line per key: prefetch the entry line of key `i + D` (its slot from the key's
//!   low bits, no tophash word), read key `i`'s entry: what a layout with the tag beside the entry
//!   would cost at best.
//! - `chain2`: no prefetching: the word, then the entry, in a plain loop (what the out-of-order
//!   window overlaps by itself, as in a loop of `get`s).
//! - `floor2+20`, `floor2+40`: `floor2/32/12` with about 20 or 40 more instructions per key (a
//!   multiply-xorshift chain of the key, summed): how the floor moves with the work per key.
//! - `floor2/16keys`: `floor2/32/12` restarted for every 16 keys (a call of 16 keys: all 16 words
//!   prefetched at once, then the pipeline drains), against `get_batch` over chunks of 16.
//! - `chase1`: one line at a time, each picked by the value read from the one before: the latency
//!   of a random line (page walk included). This latency over `floor1`'s time per line is how
//!   many lines the core keeps in flight.
//! - `hashbrown get`, `glassmap get`: a loop of `get`s, each result summed; `get_batch all` and
//!   `get_batch 16`: one call over all keys and calls over chunks of 16, summed through `fold`.
//!
//! Each round times every contender once over a permutation of the keys, in one order; the report
//! gives each contender's median and minimum nanoseconds per key (CPU time of the thread, as
//! `batch_patterns`), and hashbrown's median over each median (the speed-up over hashbrown that
//! contender reaches). `huge` collapses glassmap's table to huge pages
//! (`Map::collapse_to_huge_pages`); the floor's arrays stay in the allocator's pages, so with
//! `huge` the floor is no longer glassmap's (session 8 measured what huge pages give the batch).

#![allow(unsafe_code)] // the prefetch intrinsic, in a measuring harness

use std::hint::black_box;

use glassmap::{Map, RandomState};
use glassmap_workloads::single::keys::{filled_pair, keys, shuffled};

type Hb = hashbrown::HashMap<u64, u64, RandomState>;

/// Words per 144-byte slot block: 8 keys and 8 values interleaved, then the overflow pointer and
/// padding.
const BLOCK_WORDS: usize = 18;

/// How many keys the ring of hints covers (at least the largest `D` below).
const RING: usize = 64;

/// Asks for the line of `at` (PREFETCHT0, as the engine's `prefetch_read`).
#[inline(always)]
fn prefetch<T>(at: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint that never faults (and `at` is a live reference anyway); SSE,
    // which provides it, is part of the x86-64 baseline.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
            (at as *const T).cast(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// The arrays of a glassmap table of 2^`b` buckets.
struct Layout {
    shift: u32,
    tophash: Vec<u64>,
    blocks: Vec<u64>,
}

impl Layout {
    fn new(b: u32) -> Layout {
        let buckets = 1usize << b;
        let mut state = 0x1234_5678_u64;
        let mut random = move || {
            state = glassmap_workloads::splitmix64(state);
            state
        };
        Layout {
            shift: 64 - b,
            tophash: (0..buckets).map(|_| random()).collect(),
            blocks: (0..buckets * BLOCK_WORDS).map(|_| random()).collect(),
        }
    }

    #[inline(always)]
    fn bucket(&self, key: u64) -> usize {
        (key >> self.shift) as usize
    }

    /// The index in `blocks` of the key word of `slot` in `bucket`.
    #[inline(always)]
    fn entry(bucket: usize, slot: usize) -> usize {
        bucket * BLOCK_WORDS + 2 * slot
    }

    /// The slot the tophash word picks.
    #[inline(always)]
    fn slot(word: u64) -> usize {
        (word & 7) as usize
    }

    /// Key `key`'s entry, read through the slot stage two left.
    #[inline(always)]
    fn read_entry(&self, key: u64, slot: u8) -> u64 {
        let at = Layout::entry(self.bucket(key), usize::from(slot));
        self.blocks[at] ^ self.blocks[at + 1]
    }

    /// Stage two for `key`: reads its word, prefetches its entry's line, returns the slot.
    #[inline(always)]
    fn inspect(&self, key: u64) -> u8 {
        let bucket = self.bucket(key);
        let slot = Layout::slot(self.tophash[bucket]);
        prefetch(&self.blocks[Layout::entry(bucket, slot)]);
        slot as u8
    }

    /// The batch's schedule over `keys`: words `D` ahead, entries `S` ahead, as in `get_batch`
    /// (the first `D` words and `S` entries asked for before the first read). With `PAD` above 0,
    /// also `PAD` rounds of a multiply-xorshift mix of each key (four instructions a round, a
    /// dependent chain per key, independent between keys), summed: how the floor moves with the
    /// instructions per key.
    #[inline(never)]
    fn floor2<const D: usize, const S: usize, const PAD: usize>(&self, keys: &[u64]) -> u64 {
        let mut ring = [0u8; RING];
        for &key in keys.iter().take(D) {
            prefetch(&self.tophash[self.bucket(key)]);
        }
        for (i, &key) in keys.iter().enumerate().take(S) {
            ring[i % RING] = self.inspect(key);
        }
        let mut acc = 0u64;
        for (i, &key) in keys.iter().enumerate() {
            if let Some(&ahead) = keys.get(i + D) {
                prefetch(&self.tophash[self.bucket(ahead)]);
            }
            if let Some(&ahead) = keys.get(i + S) {
                ring[(i + S) % RING] = self.inspect(ahead);
            }
            acc = acc.wrapping_add(self.read_entry(key, ring[i % RING]));
            if PAD > 0 {
                let mut mixed = key;
                for _ in 0..PAD {
                    mixed = (mixed ^ (mixed >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                }
                acc = acc.wrapping_add(mixed);
            }
        }
        acc
    }

    /// `floor2::<32, 12, 0>` restarted every 16 keys.
    #[inline(never)]
    fn floor2_chunks(&self, keys: &[u64]) -> u64 {
        keys.chunks(16)
            .map(|chunk| self.floor2::<32, 12, 0>(chunk))
            .fold(0, u64::wrapping_add)
    }

    /// One line per key: the entry's line `D` ahead, its slot from the key.
    #[inline(never)]
    fn floor1<const D: usize>(&self, keys: &[u64]) -> u64 {
        let line = |key: u64| Layout::entry(self.bucket(key), Layout::slot(key));
        for &key in keys.iter().take(D) {
            prefetch(&self.blocks[line(key)]);
        }
        let mut acc = 0u64;
        for (i, &key) in keys.iter().enumerate() {
            if let Some(&ahead) = keys.get(i + D) {
                prefetch(&self.blocks[line(ahead)]);
            }
            let at = line(key);
            acc = acc.wrapping_add(self.blocks[at] ^ self.blocks[at + 1]);
        }
        acc
    }

    /// Dependent lines: each entry's line is picked by the value read from the one before (a
    /// pointer chase over the slot blocks), so one line is in flight at a time: the latency of a
    /// random line, page walk included.
    #[inline(never)]
    fn chase1(&self, keys: &[u64]) -> u64 {
        let mut at = 0usize;
        let mut acc = 0u64;
        for &key in keys {
            let word = self.blocks[at] ^ key;
            acc = acc.wrapping_add(word);
            at = Layout::entry(self.bucket(word), Layout::slot(word));
        }
        acc
    }

    /// No prefetching: the word, then the entry it picks.
    #[inline(never)]
    fn chain2(&self, keys: &[u64]) -> u64 {
        keys.iter().fold(0u64, |acc, &key| {
            let bucket = self.bucket(key);
            let at = Layout::entry(bucket, Layout::slot(self.tophash[bucket]));
            acc.wrapping_add(self.blocks[at] ^ self.blocks[at + 1])
        })
    }
}

#[inline(never)]
fn hashbrown_get(map: &Hb, keys: &[u64]) -> u64 {
    keys.iter().fold(0u64, |acc, k| {
        acc.wrapping_add(map.get(black_box(k)).copied().unwrap_or(0))
    })
}

#[inline(never)]
fn glassmap_get(map: &Map<u64, u64, RandomState>, keys: &[u64]) -> u64 {
    keys.iter().fold(0u64, |acc, k| {
        acc.wrapping_add(map.get(black_box(k)).copied().unwrap_or(0))
    })
}

#[inline(never)]
fn batch_all(map: &Map<u64, u64, RandomState>, keys: &[u64]) -> u64 {
    map.get_batch(black_box(keys))
        .fold(0u64, |acc, v| acc.wrapping_add(v.copied().unwrap_or(0)))
}

#[inline(never)]
fn batch16(map: &Map<u64, u64, RandomState>, keys: &[u64]) -> u64 {
    keys.chunks(16)
        .map(|chunk| {
            map.get_batch(black_box(chunk))
                .fold(0u64, |acc, v| acc.wrapping_add(v.copied().unwrap_or(0)))
        })
        .fold(0, u64::wrapping_add)
}

type Contender<'a> = (&'static str, Box<dyn Fn(&[u64]) -> u64 + 'a>);

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map_or(8_000_000, |a| a.parse().expect("entries"));
    let rounds: usize = args.next().map_or(7, |a| a.parse().expect("rounds"));
    let huge = args.next().is_some_and(|a| a == "huge");
    let keys = keys(n);
    let (mut glassmap, hashbrown) = filled_pair(&keys);
    glassmap.finish_growth();
    if huge {
        let collapsed = glassmap.collapse_to_huge_pages();
        println!("glassmap collapse_to_huge_pages: {collapsed}");
    }
    let b = u32::from(glassmap.stats().log2_buckets);
    let layout = Layout::new(b);
    let probes = shuffled(&keys);
    let layout = &layout;
    let (gm, hb) = (&glassmap, &hashbrown);
    let contenders: Vec<Contender<'_>> = vec![
        ("hashbrown get", Box::new(move |k| hashbrown_get(hb, k))),
        ("glassmap get", Box::new(move |k| glassmap_get(gm, k))),
        ("get_batch all", Box::new(move |k| batch_all(gm, k))),
        ("get_batch 16", Box::new(move |k| batch16(gm, k))),
        ("chain2", Box::new(move |k| layout.chain2(k))),
        (
            "floor2/32/12",
            Box::new(move |k| layout.floor2::<32, 12, 0>(k)),
        ),
        (
            "floor2/16/6",
            Box::new(move |k| layout.floor2::<16, 6, 0>(k)),
        ),
        (
            "floor2/48/16",
            Box::new(move |k| layout.floor2::<48, 16, 0>(k)),
        ),
        (
            "floor2/64/24",
            Box::new(move |k| layout.floor2::<64, 24, 0>(k)),
        ),
        (
            "floor2/64/32",
            Box::new(move |k| layout.floor2::<64, 32, 0>(k)),
        ),
        (
            "floor2+20",
            Box::new(move |k| layout.floor2::<32, 12, 5>(k)),
        ),
        (
            "floor2+40",
            Box::new(move |k| layout.floor2::<32, 12, 10>(k)),
        ),
        ("floor2/16keys", Box::new(move |k| layout.floor2_chunks(k))),
        ("floor1/16", Box::new(move |k| layout.floor1::<16>(k))),
        ("floor1/32", Box::new(move |k| layout.floor1::<32>(k))),
        ("floor1/64", Box::new(move |k| layout.floor1::<64>(k))),
        ("chase1", Box::new(move |k| layout.chase1(k))),
    ];
    let mut nanos = vec![Vec::new(); contenders.len()];
    for _ in 0..rounds {
        for (c, (_, run)) in contenders.iter().enumerate() {
            nanos[c]
                .push(glassmap_workloads::cpu_seconds(|| run(&probes)) * 1e9 / probes.len() as f64);
        }
    }
    for times in &mut nanos {
        times.sort_by(f64::total_cmp);
    }
    let median = |c: usize| nanos[c][nanos[c].len() / 2];
    let hashbrown_median = median(0);
    let clock = glassmap_workloads::cpu_seconds_clock();
    println!(
        "n = {n}, B = {b}, {rounds} rounds, {clock} time, ns per key: median [min, max]; \
         hashbrown's median / the contender's"
    );
    for (c, (name, _)) in contenders.iter().enumerate() {
        println!(
            "{name:>14}: {:6.1} [{:6.1}, {:6.1}]  {:.2}x",
            median(c),
            nanos[c][0],
            nanos[c][nanos[c].len() - 1],
            hashbrown_median / median(c)
        );
    }
}
