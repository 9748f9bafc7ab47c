//! Batched lookups and inserts that overlap memory latency with software prefetch.
//!
//! A lookup in a table far bigger than the caches waits for DRAM twice (the tophash word, then
//! the entry's line), and a loop of independent lookups overlaps only as many of those misses as
//! the core's out-of-order window holds. `get_batch` prefetches in two stages: each key is hashed
//! [`WINDOW`] keys ahead of its probe and its tophash word prefetched (one line); [`STAGE_TWO`]
//! keys ahead the word has arrived, so the probe reads it and prefetches only the line of the
//! matching slot (none for most misses). Prefetching the whole bucket instead (3-4 lines per key)
//! asked for more lines than the core's fill buffers hold. Maps small enough to stay in cache
//! skip the prefetching ([`SMALL_MAP_LOG2`]): there it costs more than it hides. Results come
//! back in key order; no heap memory is used.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::iter::FusedIterator;

use super::Map;

/// How many keys ahead of the probe `get_batch` hashes a key and prefetches its tophash word.
pub(crate) const WINDOW: usize = 32;

/// How many entries ahead of its insert `insert_batch` hashes an entry and prefetches its whole
/// bucket (3-4 lines each, so fewer than `get_batch`'s one-line first stage).
const INSERT_WINDOW: usize = 16;

/// How many keys ahead of the probe `get_batch` reads a key's tophash word and prefetches the
/// matching slot's line: the word has had `WINDOW - STAGE_TWO` keys' time to arrive, the entry
/// `STAGE_TWO` keys' time.
const STAGE_TWO: usize = 12;

/// Maps of at most 2^SMALL_MAP_LOG2 buckets (about 300 KiB for `u64 -> u64`) are probed without
/// prefetching: they fit in the L2 cache of the reference machine (512 KiB), where a lookup does
/// not wait for DRAM. Under Miri every allocated map prefetches, so the small test maps exercise
/// the prefetching path.
const SMALL_MAP_LOG2: u8 = if cfg!(miri) { 0 } else { 11 };

/// Results of [`Map::get_batch`], in the order of the keys.
pub struct GetBatch<'a, 'k, K, V, S, Q> {
    map: &'a Map<K, V, S>,
    keys: &'k [Q],
    /// The hash of key `i` in slot `i % WINDOW`, for the keys `next .. next + WINDOW`.
    hashes: [u64; WINDOW],
    next: usize,
    /// False for a small map: plain lookups.
    prefetching: bool,
}

/// Results of [`Map::contains_batch`], in the order of the keys.
pub struct ContainsBatch<'a, 'k, K, V, S, Q> {
    inner: GetBatch<'a, 'k, K, V, S, Q>,
}

impl<K, V, S> Map<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    /// Looks up many keys at once, hiding memory latency: yields `get(key)` for each key, in order.
    ///
    /// Faster than a loop of [`get`](Map::get) when the map is much larger than the CPU caches;
    /// about as fast when it is small.
    ///
    /// # Examples
    /// ```
    /// let map: glassmap::Map<u64, u64> = (0..1000).map(|i| (i, i * i)).collect();
    /// let found: Vec<_> = map.get_batch(&[3, 2000, 10]).collect();
    /// assert_eq!(found, [Some(&9), None, Some(&100)]);
    /// ```
    pub fn get_batch<'a, 'k, Q>(&'a self, keys: &'k [Q]) -> GetBatch<'a, 'k, K, V, S, Q>
    where
        K: Borrow<Q>,
        Q: Hash + Eq,
    {
        let mut batch = GetBatch {
            map: self,
            keys,
            hashes: [0; WINDOW],
            next: 0,
            prefetching: self.table.log2_buckets() > SMALL_MAP_LOG2,
        };
        if batch.prefetching {
            for (i, key) in keys.iter().take(WINDOW).enumerate() {
                batch.hashes[i] = batch.hash_and_prefetch(key);
            }
            for &hash in batch.hashes.iter().take(STAGE_TWO.min(keys.len())) {
                self.table.prefetch_match(hash);
            }
        }
        batch
    }

    /// As [`get_batch`](Map::get_batch), yielding whether each key is present.
    ///
    /// # Examples
    /// ```
    /// let set: glassmap::Map<&str, ()> = [("a", ()), ("b", ())].into_iter().collect();
    /// assert!(set.contains_batch(&["a", "z", "b"]).eq([true, false, true]));
    /// ```
    pub fn contains_batch<'a, 'k, Q>(&'a self, keys: &'k [Q]) -> ContainsBatch<'a, 'k, K, V, S, Q>
    where
        K: Borrow<Q>,
        Q: Hash + Eq,
    {
        ContainsBatch {
            inner: self.get_batch(keys),
        }
    }

    /// Inserts many entries, in order (a later duplicate key overwrites an earlier one). Reserves
    /// once from the iterator's size hint, then hashes and prefetches each entry's bucket
    /// 16 entries before inserting it. Growth work per insert stays bounded as for
    /// [`insert`](Map::insert); [`Extend`] uses this.
    ///
    /// # Examples
    /// ```
    /// let mut map = glassmap::Map::new();
    /// map.insert_batch((0..10_000u64).map(|i| (i, i + 1)));
    /// assert_eq!(map.len(), 10_000);
    /// assert_eq!(map[&41], 42);
    /// ```
    pub fn insert_batch<I: IntoIterator<Item = (K, V)>>(&mut self, items: I) {
        let mut items = items.into_iter();
        // As hashbrown's `extend`: reserve for all when empty, for half otherwise (keys may repeat).
        let hint = items.size_hint().0;
        self.reserve(if self.is_empty() {
            hint
        } else {
            hint.div_ceil(2)
        });
        let mut pending: [Option<(u64, K, V)>; INSERT_WINDOW] = core::array::from_fn(|_| None);
        let mut pushed = 0usize;
        loop {
            let slot = pushed % INSERT_WINDOW;
            if let Some((hash, key, value)) = pending[slot].take() {
                self.insert_hashed(hash, key, value);
            }
            let Some((key, value)) = items.next() else {
                break;
            };
            let hash = self.hasher().hash_one(&key);
            self.table.prefetch(hash);
            pending[slot] = Some((hash, key, value));
            pushed += 1;
        }
        for i in 0..INSERT_WINDOW {
            if let Some((hash, key, value)) = pending[(pushed + i) % INSERT_WINDOW].take() {
                self.insert_hashed(hash, key, value);
            }
        }
    }
}

impl<'a, K, V, S, Q> GetBatch<'a, '_, K, V, S, Q>
where
    K: Hash + Eq + Borrow<Q>,
    Q: Hash + Eq,
    S: BuildHasher,
{
    /// Stage one: hashes `key` and prefetches its tophash word.
    #[inline]
    fn hash_and_prefetch(&self, key: &Q) -> u64 {
        let hash = self.map.hasher().hash_one(key);
        self.map.table.prefetch_tophash(hash);
        hash
    }
}

impl<'a, K, V, S, Q> Iterator for GetBatch<'a, '_, K, V, S, Q>
where
    K: Hash + Eq + Borrow<Q>,
    Q: Hash + Eq,
    S: BuildHasher,
{
    type Item = Option<&'a V>;

    #[inline]
    fn next(&mut self) -> Option<Option<&'a V>> {
        let key = self.keys.get(self.next)?;
        let map: &'a Map<K, V, S> = self.map;
        if !self.prefetching {
            self.next += 1;
            return Some(map.get(key));
        }
        let slot = self.next % WINDOW;
        let hash = self.hashes[slot];
        if self.next + STAGE_TWO < self.keys.len() {
            map.table
                .prefetch_match(self.hashes[(self.next + STAGE_TWO) % WINDOW]);
        }
        if let Some(ahead) = self.keys.get(self.next + WINDOW) {
            self.hashes[slot] = self.hash_and_prefetch(ahead);
        }
        self.next += 1;
        Some(
            map.table
                .get(hash, |stored| stored.borrow() == key)
                .map(|(_, v)| v),
        )
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.keys.len() - self.next;
        (left, Some(left))
    }

    /// Internal iteration (`for_each`, `sum`, `count`, `collect`...): for a small map, a plain
    /// loop of lookups that keeps no window state.
    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(mut self, init: B, mut f: F) -> B {
        if self.prefetching {
            let mut acc = init;
            for found in self.by_ref() {
                acc = f(acc, found);
            }
            return acc;
        }
        let map: &'a Map<K, V, S> = self.map;
        self.keys[self.next..]
            .iter()
            .fold(init, |acc, key| f(acc, map.get(key)))
    }
}

impl<K, V, S, Q> Iterator for ContainsBatch<'_, '_, K, V, S, Q>
where
    K: Hash + Eq + Borrow<Q>,
    Q: Hash + Eq,
    S: BuildHasher,
{
    type Item = bool;

    #[inline]
    fn next(&mut self) -> Option<bool> {
        self.inner.next().map(|found| found.is_some())
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<K: Hash + Eq + Borrow<Q>, V, S: BuildHasher, Q: Hash + Eq> ExactSizeIterator
    for GetBatch<'_, '_, K, V, S, Q>
{
}
impl<K: Hash + Eq + Borrow<Q>, V, S: BuildHasher, Q: Hash + Eq> FusedIterator
    for GetBatch<'_, '_, K, V, S, Q>
{
}
impl<K: Hash + Eq + Borrow<Q>, V, S: BuildHasher, Q: Hash + Eq> ExactSizeIterator
    for ContainsBatch<'_, '_, K, V, S, Q>
{
}
impl<K: Hash + Eq + Borrow<Q>, V, S: BuildHasher, Q: Hash + Eq> FusedIterator
    for ContainsBatch<'_, '_, K, V, S, Q>
{
}

impl<K, V, S, Q> fmt::Debug for GetBatch<'_, '_, K, V, S, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetBatch")
            .field("remaining", &(self.keys.len() - self.next))
            .finish()
    }
}

impl<K, V, S, Q> fmt::Debug for ContainsBatch<'_, '_, K, V, S, Q> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
