//! The structural `Clone` of `Map` (and `Set`): same layout, same growth, same entries; only
//! `Clone` bounds; panic-safe (a panicking `clone` leaks nothing and drops nothing twice).

use std::cell::Cell;
use std::hash::{BuildHasher, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};

use glassmap::{Map, RandomState, Set};
use proptest::prelude::*;

/// Sizes shrink under Miri, which is ~1000x slower.
const SCALE: u64 = if cfg!(miri) { 1 } else { 20 };

/// Both maps hold the same entries, in the same buckets, with the same growth in progress.
fn assert_same<V: PartialEq + std::fmt::Debug>(a: &Map<u64, V>, b: &Map<u64, V>) {
    a.assert_invariants();
    b.assert_invariants();
    assert_eq!(a.len(), b.len());
    // Heap bytes may be fewer in the clone: the overflow buckets of old buckets already
    // evacuated, and empty chain tails, are not copied.
    let (stats_a, mut stats_b) = (a.stats(), b.stats());
    assert!(stats_b.bytes <= stats_a.bytes);
    stats_b.bytes = stats_a.bytes;
    assert_eq!(stats_a, stats_b);
    assert_eq!(a.growth(), b.growth());
    let pairs_a: Vec<_> = a.iter().collect();
    let pairs_b: Vec<_> = b.iter().collect();
    assert_eq!(pairs_a, pairs_b, "same slots, so the same iteration order");
}

#[test]
fn clone_copies_layout_and_growth() {
    let mut map = Map::with_hasher(RandomState::with_seed(7));
    for i in 0..(500 * SCALE) {
        map.insert(i, i.to_string());
        // Clone at many points, growing or not.
        if i % (37 * SCALE) == 0 {
            let copy = map.clone();
            assert_same(&map, &copy);
        }
    }
    // Mid-growth: both go on evacuating independently and stay equal.
    while !map.is_growing() {
        let n = map.len() as u64;
        map.insert(n, n.to_string());
    }
    let mut copy = map.clone();
    assert!(copy.is_growing());
    assert_same(&map, &copy);
    for i in 0..(50 * SCALE) {
        map.remove(&i);
        copy.remove(&i);
    }
    map.finish_growth();
    copy.finish_growth();
    assert_same(&map, &copy);
    // Independent: a change to one does not show in the other.
    copy.insert(u64::MAX, "x".into());
    assert!(!map.contains_key(&u64::MAX));
}

/// Every key lands in one bucket, so chains of overflow buckets get cloned.
#[derive(Clone, Default)]
struct OneBucket;
impl BuildHasher for OneBucket {
    type Hasher = Constant;
    fn build_hasher(&self) -> Constant {
        Constant
    }
}
struct Constant;
impl Hasher for Constant {
    fn finish(&self) -> u64 {
        0x1234_5678_9abc_def0
    }
    fn write(&mut self, _: &[u8]) {}
}

#[test]
fn clone_copies_overflow_chains() {
    let mut map = Map::with_hasher(OneBucket);
    for i in 0..(40 * SCALE) {
        map.insert(i, i);
    }
    for i in (0..(40 * SCALE)).step_by(3) {
        map.remove(&i); // holes in the chain: EMPTY_ONE states are copied too
    }
    let copy = map.clone();
    copy.assert_invariants();
    assert_eq!(map.stats(), copy.stats());
    assert!(copy.stats().overflow_buckets > 0);
    assert_eq!(
        map.iter().collect::<Vec<_>>(),
        copy.iter().collect::<Vec<_>>()
    );
}

#[test]
fn clone_needs_only_clone_bounds() {
    // No `Hash`, no `Eq`: the bounds are those of std's map.
    #[derive(Clone, Debug, PartialEq)]
    struct Opaque(u8);
    fn clone_it<K: Clone, V: Clone, S: Clone>(map: &Map<K, V, S>) -> Map<K, V, S> {
        map.clone()
    }
    let mut map = Map::new();
    map.insert(1u8, Opaque(1));
    assert_eq!(clone_it(&map).get(&1), Some(&Opaque(1)));
    let empty: Map<Opaque, Opaque> = Map::new();
    assert!(empty.clone().is_empty());
    let set: Set<u32> = (0..100).collect();
    assert_eq!(set.clone(), set);
}

thread_local! {
    /// Live `Counted` values on this thread.
    static LIVE: Cell<i64> = const { Cell::new(0) };
    /// Clones left before one panics; negative means never.
    static FUSE: Cell<i64> = const { Cell::new(-1) };
}

/// Counts its live instances and panics in `clone` when the fuse runs out.
#[derive(Debug, PartialEq)]
struct Counted(u64);
impl Counted {
    fn new(v: u64) -> Self {
        LIVE.with(|l| l.set(l.get() + 1));
        Counted(v)
    }
}
impl Clone for Counted {
    fn clone(&self) -> Self {
        FUSE.with(|f| match f.get() {
            0 => {
                f.set(-1);
                panic!("clone fuse");
            }
            n if n > 0 => f.set(n - 1),
            _ => {}
        });
        Counted::new(self.0)
    }
}
impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.with(|l| l.set(l.get() - 1));
    }
}

fn live() -> i64 {
    LIVE.with(Cell::get)
}

/// Builds a map of `n` counted entries, optionally stopped in the middle of a growth.
fn counted_map(n: u64, growing: bool) -> Map<u64, Counted> {
    let mut map = Map::with_hasher(RandomState::with_seed(3));
    for i in 0..n {
        map.insert(i, Counted::new(i));
    }
    while growing && !map.is_growing() {
        let k = map.len() as u64;
        map.insert(k, Counted::new(k));
    }
    map
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 64 }))]

    /// A panic at any clone leaves exactly the original's values alive: the partial clone's are
    /// all dropped (no leak) and none twice (the counter would go below the original's count, or
    /// Miri would report the double drop).
    #[test]
    fn panicking_clone_leaks_nothing(n in 1u64..(60 * SCALE), growing: bool, at in 0u64..1000) {
        let map = counted_map(n, growing);
        let before = live();
        prop_assert_eq!(before, map.len() as i64);
        let fuse = at % map.len() as u64;
        FUSE.with(|f| f.set(fuse as i64));
        let result = catch_unwind(AssertUnwindSafe(|| map.clone()));
        FUSE.with(|f| f.set(-1));
        prop_assert!(result.is_err(), "the fuse fires within len clones");
        prop_assert_eq!(live(), before);
        map.assert_invariants();
        let copy = map.clone();
        prop_assert_eq!(live(), 2 * before);
        drop(copy);
        prop_assert_eq!(live(), before);
    }
}
