//! Loom models of the protocols `glassmap::sync` builds on its atomic pointer: `SyncMap`'s entry
//! states (value / deleted / expunged) and promotion, and `SnapshotMap`'s publication. Under
//! `--cfg loom` the pointer is a loom `RwLock<Arc<T>>` and the mutex loom's (`src/sync/shim.rs`),
//! so loom explores every interleaving of the maps' atomic steps.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test --release -p glassmap --test loom --target-dir target/loom
//! ```
#![cfg(loom)]

use std::sync::Arc;

use glassmap::sync::{SnapshotMap, SyncMap};
use glassmap::{Map, RandomState};
use loom::thread;

fn new_map() -> SyncMap<u32, u32> {
    SyncMap::with_hasher(RandomState::with_seed(1))
}

fn value(map: &SyncMap<u32, u32>, key: u32) -> Option<u32> {
    map.load(&key).map(|v| *v)
}

/// Loads a missing key until the dirty map is promoted, then checks `key` kept its value.
fn promote(map: &SyncMap<u32, u32>) {
    let before = map.stats().promotions;
    while map.stats().promotions == before && map.stats().dirty_len.is_some() {
        map.load(&999);
    }
}

/// Race 1: a store to a key in the read map against loads that promote the dirty map (the read
/// map is replaced while the store runs on the entry both maps share). The store must not be
/// lost, and a load sees the old or the new value, nothing else.
#[test]
fn store_vs_load_across_promotion() {
    loom::model(|| {
        let map = Arc::new(new_map());
        map.store(1, 10);
        map.load(&1); // one miss = len(dirty): key 1 is promoted to the read map
        map.store(2, 20); // rebuilds the dirty map {1, 2}; read map amended
        assert_eq!(map.stats().dirty_len, Some(2));

        let writer = {
            let map = Arc::clone(&map);
            thread::spawn(move || {
                map.store(1, 11);
                assert_eq!(value(&map, 1), Some(11), "a thread reads its own write");
            })
        };
        let reader = {
            let map = Arc::clone(&map);
            thread::spawn(move || {
                let first = value(&map, 1);
                assert!(matches!(first, Some(10 | 11)), "{first:?}");
                assert_eq!(value(&map, 2), Some(20)); // miss 1
                assert_eq!(value(&map, 2), Some(20)); // miss 2: promotes
                let later = value(&map, 1);
                assert!(matches!(later, Some(10 | 11)), "{later:?}");
                assert!(first <= later, "values do not go back in time");
            })
        };
        writer.join().unwrap();
        reader.join().unwrap();
        assert_eq!(map.stats().promotions, 2);
        assert_eq!(value(&map, 1), Some(11));
        assert_eq!(value(&map, 2), Some(20));
    });
}

/// Sets up key 1 in the read map, with no dirty map.
fn map_with_promoted_key() -> SyncMap<u32, u32> {
    let map = new_map();
    map.store(1, 10);
    map.load(&1); // one miss = len(dirty): promoted
    assert_eq!(map.stats().dirty_len, None);
    map
}

/// Race 1b, the one the expunged state exists for: a lock-free store into a deleted read-map entry
/// against a new key's dirty-map rebuild, which expunges deleted entries. Either the store lands
/// first (the rebuild sees a value and copies the entry) or the rebuild does (the store sees
/// `Expunged` and takes the locked path, which puts the entry back): after the next promotion the
/// value is there in both orders.
#[test]
fn store_vs_expunge_during_dirty_rebuild() {
    loom::model(|| {
        let map = Arc::new(map_with_promoted_key());
        map.delete(&1);
        let storer = {
            let map = Arc::clone(&map);
            thread::spawn(move || map.store(1, 11))
        };
        map.store(2, 20); // new key: rebuilds the dirty map
        storer.join().unwrap();
        promote(&map);
        assert_eq!(value(&map, 1), Some(11));
        assert_eq!(value(&map, 2), Some(20));
        assert_eq!(map.len(), 2);
    });
}

/// Two lock-free writers on one read-map entry: a compare-and-swap against a delete. Each is one
/// atomic step, so exactly one of the two orders explains the results.
#[test]
fn compare_and_swap_vs_delete_on_read_entry() {
    loom::model(|| {
        let map = Arc::new(map_with_promoted_key());
        let swapper = {
            let map = Arc::clone(&map);
            thread::spawn(move || map.compare_and_swap(&1, &10, 11))
        };
        let deleted = map.load_and_delete(&1).map(|v| *v);
        let swapped = swapper.join().unwrap();
        match (swapped, deleted) {
            (true, Some(11)) | (false, Some(10)) => {}
            other => panic!("no order explains {other:?}"),
        }
        assert_eq!(value(&map, 1), None);
        assert!(map.is_empty());
    });
}

/// Sets up key 1 as an expunged entry: in the read map, deleted, left out of a rebuilt dirty map.
fn map_with_expunged_key() -> SyncMap<u32, u32> {
    let map = new_map();
    map.store(1, 10);
    map.load(&1); // promote {1}
    map.delete(&1); // deleted in place
    map.store(2, 20); // rebuild: key 1 expunged, dirty = {2}
    let stats = map.stats();
    assert_eq!((stats.expunged, stats.dirty_len), (1, Some(1)));
    map
}

/// Race 2: a delete against a store on an expunged entry. The store must un-expunge the entry into
/// the dirty map, so whichever order wins survives the next promotion.
#[test]
fn delete_vs_store_on_expunged_entry() {
    loom::model(|| {
        let map = Arc::new(map_with_expunged_key());
        let storer = {
            let map = Arc::clone(&map);
            thread::spawn(move || map.store(1, 11))
        };
        let deleted = {
            let map = Arc::clone(&map);
            thread::spawn(move || map.load_and_delete(&1).map(|v| *v))
        };
        storer.join().unwrap();
        let deleted = deleted.join().unwrap();
        // Either the delete came first (found nothing, the store stands) or second.
        let expected = match deleted {
            None => Some(11),
            Some(11) => None,
            other => panic!("deleted {other:?}"),
        };
        assert_eq!(value(&map, 1), expected);
        promote(&map);
        assert_eq!(value(&map, 1), expected, "the promotion kept the outcome");
        assert_eq!(map.len(), 1 + usize::from(expected.is_some()));
    });
}

/// Race 2b: two stores on the same expunged entry: one wins, the entry is in the dirty map once.
#[test]
fn store_vs_store_on_expunged_entry() {
    loom::model(|| {
        let map = Arc::new(map_with_expunged_key());
        let threads: Vec<_> = [11, 12]
            .into_iter()
            .map(|v| {
                let map = Arc::clone(&map);
                thread::spawn(move || map.swap(1, v).map(|p| *p))
            })
            .collect();
        let previous: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let last = value(&map, 1).unwrap();
        // The first swap saw no value, the second saw the first's.
        let first = if last == 11 { 12 } else { 11 };
        assert!(
            previous.contains(&None) && previous.contains(&Some(first)),
            "{previous:?}"
        );
        assert_eq!(map.stats().dirty_len, Some(2));
        promote(&map);
        assert_eq!(value(&map, 1), Some(last));
        assert_eq!(map.len(), 2);
    });
}

/// Race 3: a delete of a key only in the dirty map against a load-or-store of it and a miss that
/// promotes: the deleted key is gone after the promotion (golang/go#40999's shape).
#[test]
fn delete_vs_load_or_store_in_dirty_map() {
    loom::model(|| {
        let map = Arc::new(new_map());
        map.store(1, 10); // dirty only
        let deleter = {
            let map = Arc::clone(&map);
            thread::spawn(move || map.load_and_delete(&1).map(|v| *v))
        };
        let (stored, loaded) = map.load_or_store(1, 12);
        let deleted = deleter.join().unwrap();
        let now = value(&map, 1);
        match (loaded, deleted) {
            // load_or_store found 10, then the delete removed it.
            (true, Some(10)) => assert_eq!((*stored, now), (10, None)),
            // The delete went first; load_or_store stored 12.
            (false, Some(10)) => assert_eq!((*stored, now), (12, Some(12))),
            // load_or_store found 10 and the delete ran after... only as above; or the delete
            // removed the 12 stored after it... impossible: 10 was present until deleted.
            other => panic!("{other:?}"),
        }
        promote(&map);
        assert_eq!(value(&map, 1), now);
    });
}

/// Race 4: loading a version of a `SnapshotMap` while a writer replaces it: the reader's version is
/// whole (both keys of one version), and stays valid after the writer publishes.
#[test]
fn snapshot_load_while_replaced() {
    loom::model(|| {
        let map = Arc::new(SnapshotMap::new(Map::from([(1u32, 1u32), (2, 1)])));
        let writer = {
            let map = Arc::clone(&map);
            thread::spawn(move || {
                map.update(|m| {
                    m.insert(1, 2);
                    m.insert(2, 2);
                })
            })
        };
        let version = map.load();
        let (a, b) = (version.get(&1).copied(), version.get(&2).copied());
        assert_eq!(a, b, "a whole version");
        writer.join().unwrap();
        assert_eq!(version.get(&1).copied(), a, "an old version is immutable");
        drop(version);
        assert_eq!(map.get(&1), Some(2));
    });
}

/// Concurrent updates of a `SnapshotMap` serialise: none is lost.
#[test]
fn snapshot_updates_serialise() {
    loom::model(|| {
        let map: Arc<SnapshotMap<u32, u32>> = Arc::new(SnapshotMap::default());
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let map = Arc::clone(&map);
                thread::spawn(move || {
                    map.update(|m| m.insert(t, t));
                })
            })
            .collect();
        map.update(|m| m.insert(9, 9));
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(map.load().len(), 3);
    });
}
