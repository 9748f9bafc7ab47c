//! `IntMap` behaviour across the public API: no allocation after `with_capacity`, a differential
//! model test against `std::collections::HashMap`, the probe bound, exactly-once drops, and
//! consistency after a panicking `Drop` or `retain` predicate.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

mod common;

use common::SplitMix;
use glassmap::{CapacityError, Full, FullReason, IntMap};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Counting allocator: counts this thread's allocator calls, so tests running in parallel on
// other threads do not disturb a measurement.

struct CountingAlloc;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static DEALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn bump(counter: &'static std::thread::LocalKey<Cell<usize>>) {
    // `try_with`: the allocator is also called while thread-locals are being torn down.
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

#[allow(unsafe_code)]
// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees are ours; the counting touches only const-initialised thread-locals
// without destructors, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&ALLOCS);
        // SAFETY: forwarded; `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&DEALLOCS);
        // SAFETY: forwarded; `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// (allocations incl. reallocations, deallocations) made by this thread while running `f`.
fn count_allocs<R>(f: impl FnOnce() -> R) -> (R, usize, usize) {
    let (a0, d0) = (ALLOCS.with(Cell::get), DEALLOCS.with(Cell::get));
    let r = f();
    (
        r,
        ALLOCS.with(Cell::get) - a0,
        DEALLOCS.with(Cell::get) - d0,
    )
}

/// A `fmt::Write` that discards its input, to format without allocating.
struct Sink;

impl std::fmt::Write for Sink {
    fn write_str(&mut self, _: &str) -> std::fmt::Result {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Allocation

#[test]
fn with_capacity_allocates_once_and_nothing_else_ever_does() {
    let (map, allocs, _) = count_allocs(|| IntMap::<u64>::with_capacity(1000));
    assert_eq!(allocs, 1, "with_capacity must allocate exactly once");
    let mut map = map;
    let cap = map.capacity() as u64;

    let ops = if cfg!(miri) { 2_000 } else { 300_000 };
    let (checksum, allocs, deallocs) = count_allocs(|| {
        let mut rng = SplitMix(1);
        let mut checksum = 0u64;
        // Keys from a pool a little larger than the capacity, so inserts also hit `Full`.
        let pool = cap + cap / 4;
        for op in 0..ops {
            let key = rng.below(pool).wrapping_mul(0x1_0000_0001); // spread over the high bits too
            match rng.below(100) {
                0..=39 => match map.insert(key, op) {
                    Ok(old) => checksum += old.unwrap_or(1),
                    Err(full) => checksum += full.into_value() + map.len() as u64,
                },
                40..=59 => checksum += map.remove(key).unwrap_or(2),
                60..=79 => checksum += map.get(key).copied().unwrap_or(3),
                80..=84 => {
                    if let Some(v) = map.get_mut(key) {
                        *v += 1;
                    }
                    checksum += u64::from(map.contains_key(key));
                }
                85..=89 => {
                    checksum += map.iter().map(|(k, v)| k ^ v).fold(0, u64::wrapping_add);
                    map.iter_mut().for_each(|(_, v)| *v = v.wrapping_add(1));
                }
                90..=93 => map.compact(),
                94..=96 => {
                    let bit = rng.below(64);
                    map.retain(|k, v| {
                        *v += 1;
                        k >> bit & 1 == 0
                    });
                }
                97 => {
                    let stats = map.stats();
                    checksum += stats.max_probe as u64;
                    write!(Sink, "{stats} {map:?}").unwrap();
                }
                _ => {
                    if rng.below(10) == 0 {
                        map.clear();
                    }
                }
            }
            checksum += map.len() as u64;
        }
        checksum
    });
    assert!(checksum > 0);
    assert_eq!(
        (allocs, deallocs),
        (0, 0),
        "IntMap allocated or freed after with_capacity"
    );

    let (_, allocs, _) = count_allocs(|| map.clone());
    assert_eq!(allocs, 1, "clone is one allocation");
    let (_, allocs, deallocs) = count_allocs(|| drop(map));
    assert_eq!((allocs, deallocs), (0, 1));
}

#[test]
fn zero_capacity_map_allocates_nothing_and_refuses_inserts() {
    let (map, allocs, _) = count_allocs(|| IntMap::<String>::with_capacity(0));
    assert_eq!(allocs, 0);
    let mut map = map;
    assert_eq!((map.capacity(), map.len(), map.stats().slots), (0, 0, 0));
    let err = map.insert(5, "five".to_string()).unwrap_err();
    assert_eq!((err.key, err.reason), (5, FullReason::AtCapacity));
    assert_eq!(err.into_value(), "five");
    assert_eq!(map.get(5), None);
    assert_eq!(map.remove(5), None);
    assert!(!map.contains_key(5));
    map.retain(|_, _| false);
    map.compact();
    map.clear();
    assert_eq!(map.iter().count(), 0);
    assert_eq!(map.stats().max_probe, 0);
    map.assert_invariants();
}

#[test]
fn capacity_is_the_request_rounded_up_to_a_power_of_two() {
    for (n, cap) in [
        (1, 1),
        (2, 2),
        (3, 4),
        (5, 8),
        (1000, 1024),
        (1024, 1024),
        (1025, 2048),
    ] {
        let map = IntMap::<u8>::with_capacity(n);
        assert_eq!(map.capacity(), cap, "with_capacity({n})");
        assert_eq!(map.stats().slots, 2 * cap);
    }
}

#[test]
fn absurd_capacities_are_typed_errors() {
    for n in [
        usize::MAX,
        usize::MAX / 2 + 2,
        (isize::MAX as usize) / 16 + 1,
    ] {
        let (r, allocs, _) = count_allocs(|| IntMap::<u64>::try_with_capacity(n));
        assert_eq!(r.unwrap_err(), CapacityError::TooLarge { requested: n });
        assert_eq!(allocs, 0);
    }
    let msg = CapacityError::TooLarge { requested: 7 }.to_string();
    assert!(msg.contains("too large"), "{msg}");
}

// Asking the system allocator for terabytes is fine natively but not something to do under Miri.
#[cfg(not(miri))]
#[test]
fn allocation_failure_is_a_typed_error() {
    // 2^43 slots and a tail of 127 for probes past the last one, 16 bytes each: 128 TiB, after
    // the home filter's byte per home slot and the occupancy bitmap's bit per slot.
    let n = 1usize << 42;
    let slots = (1usize << 43) + 127;
    match IntMap::<u64>::try_with_capacity(n) {
        Err(CapacityError::AllocFailed { requested, bytes }) => {
            assert_eq!(
                (requested, bytes),
                (n, (1usize << 43) + slots.div_ceil(64) * 8 + slots * 16)
            );
        }
        other => panic!(
            "expected AllocFailed, got {:?}",
            other.map(|m| m.capacity())
        ),
    }
}

#[test]
#[should_panic(expected = "IntMap::with_capacity(18446744073709551615): IntMap capacity")]
fn with_capacity_panics_with_a_clear_message() {
    let _ = IntMap::<u64>::with_capacity(usize::MAX);
}

// ---------------------------------------------------------------------------------------------
// Probe bound, hashing, removal

/// `count` keys whose home slot is `home` in a table of `map`'s size.
fn keys_with_home<V>(map: &IntMap<V>, home: usize, count: usize, seed: u64) -> Vec<u64> {
    let mut rng = SplitMix(seed);
    let mut keys = Vec::with_capacity(count);
    while keys.len() < count {
        let k = rng.next();
        if map.home_slot(k) == home {
            keys.push(k);
        }
    }
    keys
}

#[test]
fn probe_limit_refuses_the_129th_colliding_key_and_leaves_the_map_unchanged() {
    let mut map = IntMap::with_capacity(256); // 512 slots: room is not the problem
    let limit = IntMap::<u64>::MAX_PROBE;
    assert_eq!(map.stats().probe_limit, limit);
    let keys = keys_with_home(&map, 500, limit + 1, 7); // runs into the tail after slot 511
    for (i, &k) in keys[..limit].iter().enumerate() {
        assert_eq!(map.insert(k, i as u64), Ok(None));
    }
    assert_eq!(map.stats().max_probe, limit - 1);
    let before = map.clone();
    let err = map.insert(keys[limit], 99).unwrap_err();
    assert_eq!(
        (err.key, err.value, err.reason),
        (keys[limit], 99, FullReason::ProbeLimit)
    );
    assert!(map.len() < map.capacity());
    assert_eq!(map.get(keys[limit]), None);
    assert_eq!(sorted(&map), sorted(&before));
    // Keys already in the window can still be updated...
    assert_eq!(
        map.insert(keys[limit - 1], 1000),
        Ok(Some(limit as u64 - 1))
    );
    // ...and a removal shifts the rest of the run back, freeing its last slot for the refused key.
    assert_eq!(map.remove(keys[3]), Some(3));
    assert_eq!(map.slot_of(keys[4]), Some(503), "the next key moved back");
    assert_eq!(map.insert(keys[limit], 99), Ok(None));
    assert_eq!(
        map.slot_of(keys[limit]),
        Some(500 + limit - 1),
        "in the tail, no wrap"
    );
    assert_eq!(map.stats().max_probe, limit - 1);
    map.assert_invariants();
}

#[test]
fn strided_keys_spread_like_random_ones() {
    let n = if cfg!(miri) { 1 << 8 } else { 1 << 14 };
    type KeyPattern = (&'static str, fn(u64) -> u64);
    let patterns: [KeyPattern; 11] = [
        ("sequential", |j| j),
        ("sequential from a random base", |j| {
            0x5851_f42d_4c95_7f2d + j
        }),
        ("multiples of 2^20", |j| j << 20),
        ("multiples of 2^40", |j| j << 40),
        ("k << 32", |j| j << 32),
        ("high bits only", |j| j << 50 | 1),
        ("top bits only", |j| j << 50),
        ("k * (2^32 + 1)", |j| j.wrapping_mul(0x1_0000_0001)),
        ("multiples of the hash constant", |j| {
            j.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        }),
        ("same low 32 bits", |j| j << 32 | 0xdead_beef),
        ("random", |j| SplitMix(j).next()),
    ];
    for (name, key) in patterns {
        let mut map = IntMap::with_capacity(n);
        for j in 0..n as u64 {
            assert_eq!(map.insert(key(j), j), Ok(None), "{name}: key #{j}");
        }
        let stats = map.stats();
        if std::env::var_os("INTMAP_SHOW_SPREAD").is_some() {
            println!(
                "{name}: mean probe {:.3}, max {}",
                stats.mean_probe(),
                stats.max_probe
            );
        }
        // At load 1/2 the mean distance is about 0.5 and the longest rarely above 30.
        assert!(stats.mean_probe() < 1.0, "{name}: {stats}");
        assert!(stats.max_probe < 48, "{name}: {stats}");
        for j in 0..n as u64 {
            assert_eq!(map.get(key(j)), Some(&j), "{name}");
        }
    }
}

#[test]
fn removal_shifts_the_run_back_and_leaves_no_tombstone() {
    let mut map = IntMap::with_capacity(64);
    let home = 10;
    let k = keys_with_home(&map, home, 3, 3);
    let next = keys_with_home(&map, home + 1, 1, 4)[0];
    // k[0..3] in slots 10, 11, 12; `next` (home 11) after them in slot 13.
    for (i, &key) in k.iter().chain([&next]).enumerate() {
        map.insert(key, i).unwrap();
    }
    assert_eq!(map.slot_of(next), Some(13));
    assert_eq!(map.remove(k[0]), Some(0));
    // Every later entry of the run moves back one slot: each one's home is at or before the
    // hole it moves into.
    assert_eq!(
        [k[1], k[2], next].map(|key| map.slot_of(key)),
        [Some(10), Some(11), Some(12)]
    );
    assert_eq!(map.tombstones(), 0);
    // Removing `k[1]` moves `k[2]` home (slot 10), and `next` into the hole that leaves at
    // slot 11, its own home.
    assert_eq!(map.remove(k[1]), Some(1));
    assert_eq!(
        [k[2], next].map(|key| map.slot_of(key)),
        [Some(10), Some(11)]
    );
    assert_eq!(map.get(next), Some(&3));
    assert_eq!(map.remove(k[2]), Some(2));
    // The hole is now slot 10, before `next`'s home: `next` stays.
    assert_eq!(map.slot_of(next), Some(11));
    assert_eq!(map.remove(next), Some(3));
    assert!(map.is_empty());
    map.assert_invariants();
}

#[test]
fn churn_keeps_probes_short_without_compaction() {
    let n = if cfg!(miri) { 64 } else { 4096 };
    let mut map = IntMap::with_capacity(n);
    let mut rng = SplitMix(11);
    let mut live: Vec<u64> = (0..map.capacity()).map(|_| rng.next()).collect();
    for &k in &live {
        map.insert(k, 0).unwrap();
    }
    let fresh = map.stats();
    // Churn at full capacity: with tombstones, this turned most free slots into tombstones and
    // misses walked to the probe bound; with backward shifts the table stays like a fresh one.
    for round in 0..8 * n {
        let k = live.swap_remove(rng.below(live.len() as u64) as usize);
        assert!(map.remove(k).is_some());
        let k = rng.next();
        map.insert(k, round).unwrap();
        live.push(k);
    }
    let churned = map.stats();
    assert_eq!((churned.tombstones, churned.len), (0, n));
    assert!(
        churned.mean_probe() < 2.0 * fresh.mean_probe().max(0.25),
        "fresh: {fresh}\nchurned: {churned}"
    );
    assert!(churned.max_probe < 64, "{churned}");
    let (_, allocs, deallocs) = count_allocs(|| map.compact());
    assert_eq!((allocs, deallocs), (0, 0));
    assert_eq!(map.stats(), churned, "compact changes nothing");
    for &k in &live {
        assert!(map.contains_key(k));
    }
    map.assert_invariants();
}

#[test]
fn key_zero_lives_in_the_side_slot_and_counts_like_any_other() {
    let mut map = IntMap::with_capacity(2);
    // The side slot is numbered after every slot of the table, home slots and tail.
    let slots = map.home_slot(0);
    assert!(slots > map.stats().slots);
    assert_eq!(map.slot_of(0), None);
    assert_eq!(map.get(0), None);
    assert_eq!(map.remove(0), None);
    assert_eq!(map.insert(0, 'a'), Ok(None));
    assert_eq!(map.insert(0, 'b'), Ok(Some('a')));
    assert_eq!(
        (map.len(), map.slot_of(0), map.get(0)),
        (1, Some(slots), Some(&'b'))
    );
    *map.get_mut(0).unwrap() = 'c';
    map.insert(5, 'd').unwrap();
    // At capacity: a new key is refused whether it is 0 or not.
    assert_eq!(
        map.insert(6, 'e').unwrap_err().reason,
        FullReason::AtCapacity
    );
    assert_eq!(map.remove(0), Some('c'));
    assert_eq!(map.insert(6, 'e'), Ok(None));
    assert_eq!(
        map.insert(0, 'f').unwrap_err().reason,
        FullReason::AtCapacity
    );
    assert_eq!(map.remove(6), Some('e'));
    assert_eq!(map.insert(0, 'f'), Ok(None));
    assert_eq!(map.iter().collect::<Vec<_>>(), [(0, &'f'), (5, &'d')]);
    let stats = map.stats();
    assert_eq!((stats.len, stats.probe_lengths[0] >= 1), (2, true));
    assert_eq!(
        map.clone().into_iter().collect::<Vec<_>>(),
        [(0, 'f'), (5, 'd')]
    );
    map.retain(|k, _| k != 0);
    assert_eq!((map.len(), map.get(0), map.get(5)), (1, None, Some(&'d')));
    map.insert(0, 'g').unwrap();
    map.clear();
    assert_eq!((map.len(), map.get(0)), (0, None));
    map.assert_invariants();
}

fn sorted<V: Clone + Ord>(map: &IntMap<V>) -> Vec<(u64, V)> {
    let mut v: Vec<_> = map.iter().map(|(k, v)| (k, v.clone())).collect();
    v.sort();
    v
}

// ---------------------------------------------------------------------------------------------
// API odds and ends

#[test]
fn iterators_stats_and_formatting() {
    let mut map = IntMap::with_capacity(16);
    for k in 0..10u64 {
        map.insert(k * 3, k).unwrap();
    }
    assert_eq!(map.iter().len(), 10);
    let mut seen: Vec<_> = (&map).into_iter().map(|(k, &v)| (k, v)).collect();
    seen.sort();
    assert_eq!(seen, (0..10).map(|k| (k * 3, k)).collect::<Vec<_>>());
    for (k, v) in &mut map {
        *v += k;
    }
    assert_eq!(map.get(27), Some(&36));
    let stats = map.stats();
    assert_eq!(stats.probe_lengths.iter().sum::<usize>(), 10);
    let max = map
        .iter()
        .map(|(k, _)| map.slot_of(k).unwrap().wrapping_sub(map.home_slot(k)) % 32)
        .max();
    assert_eq!(Some(stats.max_probe), max);
    let text = stats.to_string();
    assert!(
        text.starts_with("IntMap: 10 of 16 entries in 32 slots"),
        "{text}"
    );
    assert!(format!("{map:?}").contains("27: 36"));
    let mut owned: Vec<_> = map.clone().into_iter().collect();
    owned.sort();
    assert_eq!(owned.len(), 10);
    assert_eq!(sorted(&map), owned);
}

#[test]
fn maps_and_iterators_are_send_and_sync_like_their_values() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<IntMap<String>>();
    send_sync::<glassmap::IntMapIter<'_, String>>();
    send_sync::<glassmap::IntMapIterMut<'_, String>>();
    send_sync::<glassmap::IntMapIntoIter<String>>();
}

#[test]
fn full_is_a_std_error_for_any_value_type() {
    struct NoDebug;
    fn insert_all(map: &mut IntMap<NoDebug>) -> Result<(), Box<dyn std::error::Error>> {
        for k in 0..3 {
            map.insert(k, NoDebug)?;
        }
        Ok(())
    }
    let mut map = IntMap::with_capacity(2);
    let err = insert_all(&mut map).unwrap_err();
    assert_eq!(
        err.to_string(),
        "IntMap is full: key 2 not inserted (the map is at capacity)"
    );
    let full: Full<Vec<u8>> = IntMap::with_capacity(0).insert(9, vec![1]).unwrap_err();
    assert_eq!(
        format!("{full:?}"),
        "Full { key: 9, reason: AtCapacity, .. }"
    );
}

// ---------------------------------------------------------------------------------------------
// Differential model test against std's HashMap

#[derive(Debug, Clone)]
enum Op {
    Insert(usize, u32),
    /// Insert `count` consecutive keys of the kit, from `start`: reaches `Full` quickly.
    Fill(usize, usize),
    Remove(usize),
    Get(usize),
    GetMut(usize, u32),
    Compact,
    Retain(u8),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        40 => (any::<usize>(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (any::<usize>(), 1usize..300).prop_map(|(start, count)| Op::Fill(start, count)),
        25 => any::<usize>().prop_map(Op::Remove),
        15 => any::<usize>().prop_map(Op::Get),
        5 => (any::<usize>(), any::<u32>()).prop_map(|(k, v)| Op::GetMut(k, v)),
        6 => Just(Op::Compact),
        4 => any::<u8>().prop_map(Op::Retain),
        1 => Just(Op::Clear),
    ]
}

/// The keys a test case draws from: varied shapes, some adversarial, a few more than fit.
fn key_kit(capacity: usize, kind: u8, seed: u64) -> Vec<u64> {
    let n = (capacity + capacity / 2).max(4) as u64;
    let mut rng = SplitMix(seed);
    let mut keys: Vec<u64> = match kind {
        0 => (0..n).map(|_| rng.next()).collect(),
        1 => (0..n).map(|j| j << 20).collect(),
        2 => {
            let base = rng.next();
            (0..n).map(|j| base.wrapping_add(j)).collect()
        }
        3 => (0..n).map(|j| j << 32).collect(),
        // Colliding keys: they share one of three neighbouring home slots, so in tables larger
        // than the probe bound a run of them reaches it.
        _ => {
            let map = IntMap::<()>::with_capacity(capacity);
            let slots = map.stats().slots.max(1);
            let per_home = (n as usize).div_ceil(3);
            (0..3)
                .flat_map(|h| {
                    keys_with_home(&map, (slots / 2 + h) % slots, per_home, seed ^ h as u64)
                })
                .collect()
        }
    };
    keys.extend([0, u64::MAX]);
    keys
}

/// Mostly small maps (to reach `Full` often), some larger than the probe bound (2 * capacity
/// slots above 128, so colliding keys can hit `ProbeLimit`), and the zero-capacity map.
fn capacity() -> impl Strategy<Value = usize> {
    let large = if cfg!(miri) {
        20usize..40
    } else {
        100usize..300
    };
    prop_oneof![1 => Just(0usize), 6 => 1usize..40, 3 => large]
}

fn model_config() -> ProptestConfig {
    if cfg!(miri) {
        // Few cases, and no regression file: Miri's isolation forbids the file system.
        ProptestConfig {
            cases: 4,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    } else {
        ProptestConfig {
            cases: 256,
            ..ProptestConfig::default()
        }
    }
}

proptest! {
    #![proptest_config(model_config())]

    #[test]
    fn matches_std_hashmap(
        capacity in capacity(),
        kind in 0u8..5,
        seed in any::<u64>(),
        ops in prop::collection::vec(op(), 1..if cfg!(miri) { 40 } else { 300 }),
    ) {
        let keys = key_kit(capacity, kind, seed);
        let mut map = IntMap::with_capacity(capacity);
        let mut model: HashMap<u64, u32> = HashMap::new();
        for op in ops {
            match op {
                Op::Insert(i, v) => insert_and_check(&mut map, &mut model, keys[i % keys.len()], v)?,
                Op::Fill(start, count) => {
                    for j in start..start.saturating_add(count) {
                        insert_and_check(&mut map, &mut model, keys[j % keys.len()], j as u32)?;
                    }
                }
                Op::Remove(i) => {
                    let k = keys[i % keys.len()];
                    prop_assert_eq!(map.remove(k), model.remove(&k));
                }
                Op::Get(i) => {
                    let k = keys[i % keys.len()];
                    prop_assert_eq!(map.get(k), model.get(&k));
                    prop_assert_eq!(map.contains_key(k), model.contains_key(&k));
                }
                Op::GetMut(i, v) => {
                    let k = keys[i % keys.len()];
                    match (map.get_mut(k), model.get_mut(&k)) {
                        (Some(a), Some(b)) => { *a = v; *b = v; }
                        (None, None) => {}
                        (a, b) => prop_assert!(false, "get_mut({}): {:?} vs {:?}", k, a, b),
                    }
                }
                Op::Compact => {
                    let before = map.stats();
                    map.compact();
                    prop_assert_eq!(map.stats(), before);
                    prop_assert_eq!(map.tombstones(), 0);
                    assert_same(&map, &model)?;
                }
                Op::Retain(bits) => {
                    let keep = |k: u64| (k ^ u64::from(bits)).count_ones().is_multiple_of(2);
                    map.retain(|k, v| { *v = v.wrapping_add(1); keep(k) });
                    model.retain(|&k, _| keep(k));
                    model.values_mut().for_each(|v| *v = v.wrapping_add(1));
                }
                Op::Clear => {
                    map.clear();
                    model.clear();
                    prop_assert_eq!(map.tombstones(), 0);
                }
            }
            prop_assert_eq!(map.len(), model.len());
            map.assert_invariants();
        }
        assert_same(&map, &model)?;
    }
}

/// Inserts into both and checks the outcome: the same old value, or a `Full` whose reason the
/// model confirms (at capacity, or every slot within the probe bound taken) and no change.
fn insert_and_check(
    map: &mut IntMap<u32>,
    model: &mut HashMap<u64, u32>,
    k: u64,
    v: u32,
) -> Result<(), TestCaseError> {
    let len_before = map.len();
    let full = match map.insert(k, v) {
        Ok(old) => {
            prop_assert_eq!(old, model.insert(k, v));
            prop_assert!(model.len() <= map.capacity());
            return Ok(());
        }
        Err(full) => full,
    };
    prop_assert!(!model.contains_key(&k), "updating a present key failed");
    prop_assert_eq!((full.key, full.value), (k, v));
    prop_assert_eq!(map.len(), len_before);
    match full.reason {
        FullReason::AtCapacity => prop_assert_eq!(model.len(), map.capacity()),
        FullReason::ProbeLimit => {
            prop_assert!(model.len() < map.capacity());
            let taken: HashSet<usize> = model.keys().map(|&k| map.slot_of(k).unwrap()).collect();
            let (home, stats) = (map.home_slot(k), map.stats());
            for d in 0..stats.probe_limit {
                prop_assert!(taken.contains(&(home + d)), "slot {} is free", home + d);
            }
        }
        other => prop_assert!(false, "unknown reason {:?}", other),
    }
    assert_same(map, model)
}

fn assert_same(map: &IntMap<u32>, model: &HashMap<u64, u32>) -> Result<(), TestCaseError> {
    let seen: HashMap<u64, u32> = map.iter().map(|(k, &v)| (k, v)).collect();
    prop_assert_eq!(map.iter().count(), map.len(), "iter yields each entry once");
    prop_assert_eq!(&seen, model);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Drops

/// Hands out values that record their own drops, so a test can check each value is dropped
/// exactly once.
#[derive(Clone, Default)]
struct Ledger(Rc<RefCell<Vec<u32>>>);

struct Tracked {
    id: usize,
    ledger: Ledger,
}

impl Ledger {
    fn make(&self) -> Tracked {
        let mut drops = self.0.borrow_mut();
        drops.push(0);
        Tracked {
            id: drops.len() - 1,
            ledger: self.clone(),
        }
    }

    fn live(&self) -> usize {
        self.0.borrow().iter().filter(|&&d| d == 0).count()
    }

    fn assert_all_dropped_once(&self) {
        let drops = self.0.borrow();
        let wrong: Vec<_> = drops.iter().enumerate().filter(|&(_, &d)| d != 1).collect();
        assert!(
            wrong.is_empty(),
            "(value, drops) not dropped exactly once: {wrong:?}"
        );
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Self {
        self.ledger.make()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.ledger.0.borrow_mut()[self.id] += 1;
    }
}

#[test]
fn every_value_is_dropped_exactly_once() {
    let ledger = Ledger::default();
    {
        let mut map = IntMap::with_capacity(8);
        for k in 0..8 {
            assert!(map.insert(k, ledger.make()).unwrap().is_none());
        }
        drop(map.insert(3, ledger.make()).unwrap()); // overwrite hands back the old value
        let full = map
            .insert(100, ledger.make())
            .err()
            .expect("the map is full");
        assert_eq!(full.reason, FullReason::AtCapacity);
        drop(full); // the refused value comes back to the caller
        drop(map.remove(4));
        map.retain(|k, _| k % 2 == 0);
        assert_eq!(ledger.live(), map.len());
        map.compact();
        assert_eq!(ledger.live(), map.len());
        let copy = map.clone();
        copy.assert_invariants();
        assert_eq!(ledger.live(), 2 * map.len());
        map.clear();
        assert_eq!(ledger.live(), copy.len());
        map.insert(1, ledger.make()).unwrap();
        let mut it = copy.into_iter();
        drop(it.next()); // the rest go with the iterator
        drop(it);
        assert_eq!(ledger.live(), 1);
    } // map dropped with one entry
    ledger.assert_all_dropped_once();
}

proptest! {
    #![proptest_config(model_config())]

    #[test]
    fn random_ops_drop_every_value_exactly_once(
        capacity in 1usize..40,
        ops in prop::collection::vec(op(), 1..if cfg!(miri) { 40 } else { 200 }),
    ) {
        let ledger = Ledger::default();
        let keys = key_kit(capacity, 0, 5);
        {
            let mut map = IntMap::with_capacity(capacity);
            for op in ops {
                match op {
                    Op::Insert(i, _) | Op::GetMut(i, _) => drop(map.insert(keys[i % keys.len()], ledger.make())),
                    Op::Fill(start, count) => {
                        for j in start..start.saturating_add(count) {
                            drop(map.insert(keys[j % keys.len()], ledger.make()));
                        }
                    }
                    Op::Remove(i) | Op::Get(i) => drop(map.remove(keys[i % keys.len()])),
                    Op::Compact => map.compact(),
                    Op::Retain(bits) => map.retain(|k, _| k & u64::from(bits) == 0),
                    Op::Clear => map.clear(),
                }
                prop_assert_eq!(ledger.live(), map.len());
            }
        }
        ledger.assert_all_dropped_once();
    }
}

// ---------------------------------------------------------------------------------------------
// Panic safety

/// A value whose drop panics when armed.
struct Bomb(bool);

impl Drop for Bomb {
    fn drop(&mut self) {
        if self.0 {
            self.0 = false;
            panic!("boom");
        }
    }
}

#[test]
fn a_panicking_drop_in_clear_leaves_a_consistent_map() {
    let mut map = IntMap::with_capacity(64);
    for k in 0..40u64 {
        map.insert(k, Bomb(k == 20)).unwrap();
    }
    let result = catch_unwind(AssertUnwindSafe(|| map.clear()));
    assert!(result.is_err());
    map.assert_invariants();
    assert_eq!(map.iter().count(), map.len());
    assert!(map.len() < 40);
    let left: Vec<u64> = map.iter().map(|(k, _)| k).collect();
    for k in left {
        assert!(map.get(k).is_some());
    }
    map.clear();
    assert!(map.is_empty());
    map.assert_invariants();
}

#[test]
fn a_panicking_retain_predicate_leaves_a_consistent_map() {
    let mut map = IntMap::with_capacity(64);
    for k in 0..40u64 {
        map.insert(k, k).unwrap();
    }
    let mut calls = 0;
    let result = catch_unwind(AssertUnwindSafe(|| {
        map.retain(|_, _| {
            calls += 1;
            assert!(calls < 25, "predicate gives up");
            false
        })
    }));
    assert!(result.is_err());
    map.assert_invariants();
    assert_eq!(map.len(), 40 - 24);
    assert_eq!(map.iter().count(), map.len());
}

// ---------------------------------------------------------------------------------------------
// Survey behind the load factor and probe bound in the `IntMap` docs (slow: run on purpose with
// `cargo test --release -p glassmap --test int_map -- --ignored --nocapture probe_survey`).

/// Longest probe distance when filling a linear-probing table of `slots` slots with random keys
/// to `load`, hashed like `IntMap`; the table is simulated so loads above 1/2 can be compared.
fn longest_probe_at_load(slots: usize, load: f64, rng: &mut SplitMix) -> usize {
    let hasher = IntMap::<()>::with_capacity(slots / 2);
    let mut taken = vec![false; slots];
    let mut longest = 0;
    for _ in 0..(slots as f64 * load) as usize {
        let home = hasher.home_slot(rng.next());
        let dist = (0..).find(|d| !taken[(home + d) % slots]).unwrap();
        taken[(home + dist) % slots] = true;
        longest = longest.max(dist);
    }
    longest
}

#[test]
#[ignore = "survey, takes a minute in release mode"]
fn probe_survey() {
    let mut rng = SplitMix(2024);
    for (load, bits, runs) in [
        (0.5, 16, 2000),
        (0.5, 20, 200),
        (0.75, 16, 2000),
        (0.75, 20, 10),
        (0.875, 16, 2000),
        (0.875, 20, 3),
    ] {
        let mut longest: Vec<usize> = (0..runs)
            .map(|_| longest_probe_at_load(1 << bits, load, &mut rng))
            .collect();
        longest.sort_unstable();
        println!(
            "load {load}: 2^{bits} slots, {runs} runs: longest probe median {}, mean {:.0}, worst {}",
            longest[runs / 2],
            longest.iter().sum::<usize>() as f64 / runs as f64,
            longest[runs - 1]
        );
    }
    // Churn at full capacity on the real map: remove a random entry, insert a new random key.
    let mut map = IntMap::with_capacity(1 << 19);
    let mut live: Vec<u64> = (0..map.capacity()).map(|_| rng.next()).collect();
    for &k in &live {
        map.insert(k, ()).unwrap();
    }
    let slots = map.stats().slots;
    let mut longest = 0;
    for _ in 0..20 * slots {
        let i = rng.below(live.len() as u64) as usize;
        map.remove(live[i]).unwrap();
        live[i] = rng.next();
        map.insert(live[i], ()).unwrap();
        longest = longest.max(
            map.slot_of(live[i])
                .unwrap()
                .wrapping_sub(map.home_slot(live[i]))
                % slots,
        );
    }
    let stats = map.stats();
    println!(
        "churn: 2^20 slots at full capacity, {} rounds: longest insert probe {longest}; now max probe {}",
        20 * slots,
        stats.max_probe
    );
}
