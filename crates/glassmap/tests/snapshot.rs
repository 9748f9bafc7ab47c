//! `SnapshotMap`: versions are whole and immutable, writers serialise, a panicking update publishes
//! nothing, and old versions are freed when their last reader goes (drop counters).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;

use glassmap::Map;
use glassmap::sync::{SnapshotMap, SnapshotOp};

const SCALE: u64 = if cfg!(miri) { 1 } else { 50 };

/// A value that counts its live instances in a shared counter.
#[derive(Debug)]
struct Tracked {
    value: u64,
    live: Arc<AtomicUsize>,
}
impl Tracked {
    fn new(value: u64, live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, SeqCst);
        Tracked {
            value,
            live: Arc::clone(live),
        }
    }
}
impl Clone for Tracked {
    fn clone(&self) -> Self {
        Tracked::new(self.value, &self.live)
    }
}
impl Drop for Tracked {
    fn drop(&mut self) {
        self.live.fetch_sub(1, SeqCst);
    }
}

#[test]
fn versions_are_whole_and_old_ones_are_freed_by_their_last_reader() {
    let live = Arc::new(AtomicUsize::new(0));
    let map: SnapshotMap<u64, Tracked> = SnapshotMap::default();
    map.update(|m| {
        for i in 0..10 {
            m.insert(i, Tracked::new(i, &live));
        }
    });
    assert_eq!(live.load(SeqCst), 10);
    let v1 = map.load();
    map.update(|m| {
        m.insert(10, Tracked::new(10, &live));
    });
    // v1 is alive (10) and the new version holds 11 clones.
    assert_eq!(live.load(SeqCst), 21);
    assert_eq!(v1.len(), 10);
    assert_eq!(map.load().len(), 11);
    drop(v1);
    assert_eq!(
        live.load(SeqCst),
        11,
        "the old version went with its last reader"
    );
    let old = map.swap(Map::new());
    assert_eq!(old.len(), 11);
    assert_eq!(live.load(SeqCst), 11);
    let owned = old.into_arc();
    drop(owned);
    assert_eq!(live.load(SeqCst), 0);
    drop(map);
}

#[test]
fn panicking_update_publishes_nothing() {
    let live = Arc::new(AtomicUsize::new(0));
    let map: SnapshotMap<u64, Tracked> =
        SnapshotMap::new((0..5).map(|i| (i, Tracked::new(i, &live))).collect());
    let result = catch_unwind(AssertUnwindSafe(|| {
        map.update(|m| {
            m.clear();
            m.insert(99, Tracked::new(99, &live));
            panic!("rejected");
        })
    }));
    assert!(result.is_err());
    assert_eq!(map.load().len(), 5);
    assert_eq!(map.get(&99).map(|t| t.value), None);
    assert_eq!(live.load(SeqCst), 5, "the panicking copy was dropped");
    // The writer lock is usable after the panic.
    map.update(|m| m.insert(7, Tracked::new(7, &live)));
    assert_eq!(map.load().len(), 6);
}

#[test]
fn apply_batch_store_and_from() {
    let map = SnapshotMap::from(Map::from([(1, "a"), (2, "b")]));
    let changed = map.apply_batch([
        SnapshotOp::Insert(3, "c"),
        SnapshotOp::Remove(1),
        SnapshotOp::Remove(42),
    ]);
    assert_eq!(changed, 2);
    let mut keys: Vec<_> = map.load().keys().copied().collect();
    keys.sort_unstable();
    assert_eq!(keys, [2, 3]);
    map.store(Map::from([(5, "e")]));
    assert_eq!(map.get(&5), Some("e"));
    assert_eq!(format!("{map:?}"), r#"SnapshotMap({5: "e"})"#);
}

/// Concurrent writers serialise (no update lost); readers always see a whole version: every
/// version the writers publish has keys 0..n for some n, so a reader seeing key n sees all below.
#[test]
fn concurrent_updates_are_all_applied_and_readers_see_whole_versions() {
    let map: Arc<SnapshotMap<u64, u64>> = Arc::new(SnapshotMap::default());
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let per_writer = 20 * SCALE;
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let (map, next) = (Arc::clone(&map), Arc::clone(&next));
            thread::spawn(move || {
                for _ in 0..per_writer {
                    // The key is chosen inside the update, so writers append in order.
                    map.update(|m| {
                        let k = m.len() as u64;
                        m.insert(k, k * 10);
                        next.fetch_add(1, SeqCst);
                    });
                }
            })
        })
        .collect();
    let reader = {
        let (map, done) = (Arc::clone(&map), Arc::clone(&done));
        thread::spawn(move || {
            let mut checks = 0u64;
            while !done.load(SeqCst) || checks == 0 {
                let version = map.load();
                let n = version.len() as u64;
                for k in 0..n {
                    assert_eq!(version.get(&k), Some(&(k * 10)), "a torn version");
                }
                checks += 1;
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, SeqCst);
    reader.join().unwrap();
    assert_eq!(map.load().len() as u64, 2 * per_writer);
}
