//! Writes grouped by shard: the buffer behind [`ShardedMap::insert_batch`] and
//! [`BatchWriter`](crate::sync::BatchWriter). Applying it locks each shard that has writes once,
//! in index order (so two threads applying batches never wait on each other in a cycle), and
//! applies that shard's writes in the order they were added (so a later write to a key wins),
//! prefetching each write's bucket a window ahead.

use core::hash::{BuildHasher, Hash};

use super::ShardedMap;
use super::shard::ShardMap;
use crate::map::PREFETCH_WINDOW;

/// One buffered write.
pub(crate) enum Write<K, V> {
    Insert(K, V),
    Remove(K),
}

/// Buffered writes, one list per shard, each with its key's hash.
pub(crate) struct Grouped<K, V> {
    by_shard: Vec<Vec<(u64, Write<K, V>)>>,
    len: usize,
}

impl<K, V> Grouped<K, V> {
    pub(crate) fn new(shards: usize) -> Self {
        Grouped {
            by_shard: (0..shards).map(|_| Vec::new()).collect(),
            len: 0,
        }
    }

    /// Buffered writes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> ShardedMap<K, V, S> {
    /// Buffers `write` in its key's shard list, hashing the key (the only hash it gets).
    #[inline]
    pub(crate) fn group(&self, grouped: &mut Grouped<K, V>, write: Write<K, V>) {
        let key = match &write {
            Write::Insert(key, _) | Write::Remove(key) => key,
        };
        let hash = self.hash(key);
        grouped.by_shard[self.shard_index(hash)].push((hash, write));
        grouped.len += 1;
    }

    /// Applies and empties the buffer: each shard with writes is write-locked once, in index
    /// order. The lists keep their allocations for the next round.
    pub(crate) fn apply(&self, grouped: &mut Grouped<K, V>) {
        self.check_reentry("insert_batch");
        grouped.len = 0;
        for (shard, writes) in self.shards.iter().zip(&mut grouped.by_shard) {
            if writes.is_empty() {
                continue;
            }
            let mut map = shard.write();
            // Prefetch a window ahead, as `Map::insert_batch` does: a shard's writes are
            // independent, so their buckets' cache misses can overlap.
            for &(hash, _) in writes.iter().take(PREFETCH_WINDOW) {
                map.prefetch_hashed(hash);
            }
            let mut drain = writes.drain(..);
            while let Some((hash, write)) = drain.next() {
                if let Some(&(ahead, _)) = drain.as_slice().get(PREFETCH_WINDOW - 1) {
                    map.prefetch_hashed(ahead);
                }
                apply_one(&mut map, hash, write, &self.hash_builder);
            }
        }
    }
}

#[inline]
fn apply_one<K: Hash + Eq, V, S: BuildHasher>(
    map: &mut ShardMap<K, V>,
    hash: u64,
    write: Write<K, V>,
    hasher: &S,
) {
    match write {
        Write::Insert(key, value) => {
            map.insert_hashed_by(hash, key, value, hasher);
        }
        Write::Remove(key) => {
            map.remove_hashed(hash, &key, hasher);
        }
    }
}
