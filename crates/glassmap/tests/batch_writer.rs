//! `BatchWriter` against its documented contract: buffered writes are invisible until a flush
//! (by capacity, `flush()` or drop), later writes to a key win, a writer dropped while panicking
//! discards its buffer, and concurrent writers neither lose writes nor deadlock.

use std::sync::mpsc;
use std::time::Duration;

use glassmap::RandomState;
use glassmap::sync::ShardedMap;

fn map(shards: usize) -> ShardedMap<u64, u64> {
    ShardedMap::with_shards_capacity_and_hasher(shards, 0, RandomState::with_seed(11))
}

#[test]
fn writes_are_invisible_until_flushed_by_capacity_flush_or_drop() {
    let map = map(4);
    let mut writer = map.batch_writer_with_capacity(3);
    assert_eq!(writer.capacity(), 3);
    writer.insert(1, 10);
    writer.insert(2, 20);
    writer.insert(3, 30);
    assert_eq!(
        (map.len(), writer.pending()),
        (0, 3),
        "a full buffer is not flushed yet"
    );
    assert_eq!(map.get(&1), None);
    writer.insert(4, 40); // the buffer was full: the first three are flushed first
    assert_eq!((map.len(), writer.pending()), (3, 1));
    assert_eq!(map.get(&3), Some(30));
    assert_eq!(map.get(&4), None);
    writer.flush();
    assert_eq!((map.len(), writer.pending()), (4, 0));
    writer.remove(1);
    assert_eq!(map.get(&1), Some(10), "a buffered remove is invisible too");
    drop(writer);
    assert_eq!(map.get(&1), None, "dropping the writer flushed it");
    assert_eq!(map.len(), 3);
    map.assert_invariants();
}

#[test]
fn later_writes_to_a_key_win_within_a_buffer() {
    let map = map(8);
    map.insert(7, 0);
    let mut writer = map.batch_writer();
    writer.remove(7);
    writer.insert(7, 1);
    writer.insert(7, 2);
    writer.insert(8, 1);
    writer.remove(8);
    writer.remove(9);
    writer.insert(9, 3);
    writer.flush();
    assert_eq!(map.get(&7), Some(2));
    assert_eq!(map.get(&8), None);
    assert_eq!(map.get(&9), Some(3));
    assert_eq!(map.len(), 2);
}

#[test]
fn a_writer_dropped_while_panicking_discards_its_buffer() {
    let map = map(4);
    let result = std::thread::scope(|s| {
        s.spawn(|| {
            let mut writer = map.batch_writer();
            writer.insert(1, 1);
            panic!("planted");
        })
        .join()
    });
    assert!(result.is_err());
    assert!(map.is_empty());
    map.insert(2, 2); // the map is untouched and usable
    assert_eq!(map.len(), 1);
}

#[test]
fn a_flush_from_inside_a_closure_of_the_map_panics() {
    let map = map(4);
    map.insert(1, 1);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut writer = map.batch_writer();
        writer.insert(2, 2);
        map.update(&1, |_| writer.flush());
    }));
    let payload = result.expect_err("re-entrant flush");
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(message.contains("ShardedMap::insert_batch was called from inside the closure passed to ShardedMap::update"), "{message}");
}

/// Threads with writers over overlapping keys, each ending with a known last write per key:
/// nothing is lost, each key ends with one thread's last write, and flushes that all cover every
/// shard never deadlock (they lock shards in index order).
#[test]
fn concurrent_writers_lose_nothing_and_never_deadlock() {
    let threads: u64 = 4;
    let keys: u64 = if cfg!(miri) { 16 } else { 20_000 };
    let map = map(8);
    let (done, finished) = mpsc::channel();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (map, done) = (&map, done.clone());
            s.spawn(move || {
                let mut writer = map.batch_writer_with_capacity(if cfg!(miri) { 8 } else { 512 });
                for k in 0..keys {
                    writer.insert(k, t);
                    writer.insert(keys + t * keys + k, k); // this thread's own keys
                }
                drop(writer);
                done.send(()).unwrap();
            });
        }
        for _ in 0..threads {
            finished
                .recv_timeout(Duration::from_secs(if cfg!(miri) { 600 } else { 60 }))
                .expect("writers deadlocked");
        }
    });
    assert_eq!(map.len() as u64, keys + threads * keys);
    for k in 0..keys {
        let owner = map.get(&k).unwrap();
        assert!(owner < threads);
        for t in 0..threads {
            assert_eq!(map.get(&(keys + t * keys + k)), Some(k));
        }
    }
    map.assert_invariants();
}

#[test]
fn debug_shows_the_buffer() {
    let map = map(2);
    let mut writer = map.batch_writer_with_capacity(0);
    assert_eq!(writer.capacity(), 1, "capacity is at least 1");
    writer.insert(1, 1);
    assert_eq!(
        format!("{writer:?}"),
        "BatchWriter { pending: 1, capacity: 1, shards: 2 }"
    );
}
