//! [`BatchWriter`]: per-thread buffered writes to a [`ShardedMap`], flushed grouped by shard.

use core::fmt;
use core::hash::{BuildHasher, Hash};

use super::ShardedMap;
use super::sharded::grouped::{Grouped, Write};

/// A thread's write buffer for a [`ShardedMap`], from [`ShardedMap::batch_writer`].
///
/// [`insert`](Self::insert) and [`remove`](Self::remove) only hash the key and append to a
/// per-shard list, taking no lock. The buffer is flushed (applied to the map, each shard with
/// writes locked once, in shard order) when it holds [`capacity`](Self::capacity) writes, on
/// [`flush`](Self::flush), and when the writer is dropped. Within one writer, later writes to a
/// key win, exactly as if they had been applied in order.
///
/// **Reads through the map see a buffered write only after its flush.** Until then, neither
/// this thread nor any other sees it: that delay is the price of the throughput. Writes from
/// different writers (or direct writes) to the same key are ordered by their flushes.
///
/// If the writer is dropped while its thread is panicking, the buffer is discarded rather than
/// flushed (flushing runs user `Hash`/`Eq` code, and a second panic would abort).
///
/// # Examples
/// ```
/// use glassmap::sync::ShardedMap;
///
/// let map: ShardedMap<u64, u64> = ShardedMap::new();
/// std::thread::scope(|s| {
///     for t in 0..2u64 {
///         let map = &map;
///         s.spawn(move || {
///             let mut writer = map.batch_writer();
///             for i in 0..10_000 {
///                 writer.insert(t * 1_000_000 + i, i);
///             }
///             writer.remove(t * 1_000_000); // wins over the earlier insert of that key
///         }); // dropped: flushed
///     }
/// });
/// assert_eq!(map.len(), 2 * 9_999);
/// assert_eq!(map.get(&0), None);
/// ```
pub struct BatchWriter<'a, K: Hash + Eq, V, S: BuildHasher> {
    map: &'a ShardedMap<K, V, S>,
    pending: Grouped<K, V>,
    capacity: usize,
}

impl<'a, K, V, S> BatchWriter<'a, K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    /// The buffer size of [`ShardedMap::batch_writer`]: large enough that a flush takes each
    /// shard's lock for many writes, small enough to stay in L2 with 16-byte entries.
    pub const DEFAULT_CAPACITY: usize = 4096;

    fn new(map: &'a ShardedMap<K, V, S>, capacity: usize) -> Self {
        BatchWriter {
            map,
            pending: Grouped::new(map.shards()),
            capacity: capacity.max(1),
        }
    }

    /// Buffers an insert of `value` under `key`. Flushes first if the buffer is full.
    #[inline]
    pub fn insert(&mut self, key: K, value: V) {
        self.push(Write::Insert(key, value));
    }

    /// Buffers a removal of `key`. Flushes first if the buffer is full.
    #[inline]
    pub fn remove(&mut self, key: K) {
        self.push(Write::Remove(key));
    }

    #[inline]
    fn push(&mut self, write: Write<K, V>) {
        if self.pending.len() >= self.capacity {
            self.flush();
        }
        self.map.group(&mut self.pending, write);
    }

    /// Applies every buffered write to the map, locking each shard that has writes once, in
    /// shard order.
    ///
    /// # Panics
    /// If called from a closure run by the map (see [`ShardedMap`]).
    pub fn flush(&mut self) {
        if self.pending.len() > 0 {
            self.map.apply(&mut self.pending);
        }
    }

    /// Writes buffered and not yet flushed.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The number of buffered writes that triggers a flush.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> Drop for BatchWriter<'_, K, V, S> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.flush();
        }
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> fmt::Debug for BatchWriter<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchWriter")
            .field("pending", &self.pending.len())
            .field("capacity", &self.capacity)
            .field("shards", &self.map.shards())
            .finish()
    }
}

impl<K, V, S> ShardedMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    /// A write buffer for this thread holding up to [`BatchWriter::DEFAULT_CAPACITY`] writes
    /// (see [`BatchWriter`]: buffered writes are invisible until flushed).
    pub fn batch_writer(&self) -> BatchWriter<'_, K, V, S> {
        BatchWriter::new(self, BatchWriter::<K, V, S>::DEFAULT_CAPACITY)
    }

    /// A write buffer that flushes every `capacity` writes (at least 1).
    ///
    /// # Examples
    /// ```
    /// let map = glassmap::sync::ShardedMap::new();
    /// let mut writer = map.batch_writer_with_capacity(2);
    /// writer.insert(1, "a");
    /// assert_eq!(map.get(&1), None); // buffered
    /// writer.insert(2, "b");
    /// writer.insert(3, "c"); // the buffer was full: the first two are flushed
    /// assert_eq!(map.get(&1), Some("a"));
    /// writer.flush();
    /// assert_eq!(map.len(), 3);
    /// ```
    pub fn batch_writer_with_capacity(&self, capacity: usize) -> BatchWriter<'_, K, V, S> {
        BatchWriter::new(self, capacity)
    }
}
