//! Every key and value is dropped exactly once, whatever path it leaves the map by.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use glassmap::Map;

thread_local! {
    /// Live count per id: +1 on creation, -1 on drop. A double drop shows as -1.
    static LIVE: RefCell<HashMap<(char, u64), i64>> = RefCell::new(HashMap::new());
}

#[derive(Debug)]
struct Tracked(char, u64);

impl Tracked {
    fn new(tag: char, id: u64) -> Self {
        LIVE.with(|l| *l.borrow_mut().entry((tag, id)).or_default() += 1);
        Tracked(tag, id)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        LIVE.with(|l| {
            let mut live = l.borrow_mut();
            let count = live.entry((self.0, self.1)).or_default();
            *count -= 1;
            assert!(*count >= 0, "{:?} dropped twice", (self.0, self.1));
        });
    }
}

impl PartialEq for Tracked {
    fn eq(&self, other: &Self) -> bool {
        self.1 == other.1
    }
}
impl Eq for Tracked {}
impl Hash for Tracked {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.1.hash(state);
    }
}

fn live() -> i64 {
    LIVE.with(|l| l.borrow().values().sum())
}

fn assert_all_dropped() {
    LIVE.with(|l| {
        let live = l.borrow();
        let leaked: Vec<_> = live.iter().filter(|(_, c)| **c != 0).collect();
        assert!(leaked.is_empty(), "not dropped exactly once: {leaked:?}");
    });
    LIVE.with(|l| l.borrow_mut().clear());
}

/// Entries that leave a map in the middle of a growth: the 1665th insert starts the doubling from
/// 256 to 512 buckets (the 53rd, from 8 to 16, under Miri, where everything is slower).
const GROWING: u64 = if cfg!(miri) { 53 } else { 1665 };

/// A map of `n` entries.
fn growing_map(n: u64) -> Map<Tracked, Tracked> {
    let mut map = Map::new();
    for i in 0..n {
        map.insert(Tracked::new('k', i), Tracked::new('v', i));
    }
    map
}

#[test]
fn insert_overwrite_remove_drop() {
    let mut map = growing_map(GROWING);
    assert!(map.is_growing());
    // Overwrite: the old value comes back to the caller, the new key is dropped (std keeps the old key).
    let old = map.insert(Tracked::new('k', 3), Tracked::new('w', 3));
    assert_eq!(old.map(|v| v.0), Some('v'));
    assert_eq!(map.remove(&Tracked::new('q', 4)).map(|v| v.1), Some(4));
    assert!(map.remove_entry(&Tracked::new('q', 99_999)).is_none());
    assert_eq!(live(), 2 * (GROWING as i64 - 1));
    drop(map);
    assert_all_dropped();
}

#[test]
fn clear_and_retain_and_entry() {
    let mut map = growing_map(GROWING);
    map.retain(|k, _| k.1 % 3 != 0);
    *map.entry(Tracked::new('k', 3))
        .or_insert(Tracked::new('v', 3)) = Tracked::new('x', 3);
    if let glassmap::map::Entry::Occupied(e) = map.entry(Tracked::new('k', 5)) {
        drop(e.remove_entry());
    }
    map.clear();
    assert_eq!(live(), 0);
    map.insert(Tracked::new('k', 1), Tracked::new('v', 1));
    drop(map);
    assert_all_dropped();
}

#[test]
fn drain_fully_and_half_way() {
    let mut map = growing_map(GROWING);
    assert_eq!(map.drain().count(), GROWING as usize);
    assert_eq!(live(), 0);
    let mut map = growing_map(GROWING);
    let half: Vec<_> = map.drain().take(GROWING as usize / 2).collect();
    assert_eq!(half.len(), GROWING as usize / 2);
    assert!(map.is_empty());
    drop(half);
    assert_eq!(live(), 0);
    map.insert(Tracked::new('k', 1), Tracked::new('v', 1));
    drop(map);
    assert_all_dropped();
}

#[test]
#[cfg_attr(
    miri,
    ignore = "leaks on purpose (mem::forget), which Miri reports as an error"
)]
fn leaked_drain_leaves_an_empty_map() {
    let mut map = growing_map(100);
    std::mem::forget(map.drain());
    assert!(map.is_empty());
    map.insert(Tracked::new('k', 1), Tracked::new('v', 1));
    assert_eq!(map.len(), 1);
    drop(map);
    LIVE.with(|l| l.borrow_mut().clear()); // the forgotten entries are leaked by design
}

#[test]
fn into_iter_dropped_early_and_extract_if() {
    let map = growing_map(GROWING);
    let mut iter = map.into_iter();
    let first: Vec<_> = iter.by_ref().take(10).collect();
    drop(iter);
    drop(first);
    assert_eq!(live(), 0);
    let mut map = growing_map(GROWING);
    let some: Vec<_> = map.extract_if(|k, _| k.1 % 2 == 0).take(20).collect();
    assert_eq!(some.len(), 20);
    drop(some);
    assert_eq!(map.len(), GROWING as usize - 20);
    drop(map);
    assert_all_dropped();
}

#[test]
fn drop_mid_growth_and_after_resizes() {
    let sizes: &[u64] = if cfg!(miri) {
        &[0, 1, 9, 53]
    } else {
        &[0, 1, 9, 53, 1665, 3329]
    };
    for &n in sizes {
        let mut map = growing_map(n);
        map.evacuate_step(7);
        drop(map);
        assert_all_dropped();
    }
    let mut map = growing_map(if cfg!(miri) { 60 } else { 3000 });
    map.reserve(if cfg!(miri) { 500 } else { 50_000 });
    map.insert(Tracked::new('k', 1_000_000), Tracked::new('v', 0));
    map.retain(|k, _| k.1 < 20);
    map.shrink_to_fit();
    assert_eq!(map.len(), 20);
    drop(map);
    assert_all_dropped();
}
