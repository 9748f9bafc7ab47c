//! Batched lookups and inserts that overlap memory latency with software prefetch.
//!
//! A lookup in a table far bigger than the caches waits for memory twice (the tophash word, then
//! the entry's line), and a loop of independent lookups overlaps only as many of those misses as
//! the core's out-of-order window holds. `get_batch` runs each key through three stages (see
//! `raw/batch.rs`): [`WINDOW`] keys ahead of its lookup the key is hashed and its tophash word
//! prefetched (one line); [`STAGE_TWO`] keys ahead the word has arrived, and only the line of the
//! matching slot is prefetched (none for a miss); then the lookup finds both lines cached.
//! Prefetching the whole bucket instead (3-4 lines per key) asked for more lines than the core's
//! fill buffers hold. Tables small enough to stay in cache skip the prefetching: there it costs
//! more than it hides. Either way the table's state is read once per batch, not once per key.
//! Results come back in key order; no heap memory is used.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::iter::FusedIterator;

use super::Map;
use crate::raw::batch::{BatchLookup, Stages};

/// How many keys ahead of its lookup `get_batch` hashes a key and prefetches its tophash word.
pub(crate) const WINDOW: usize = 32;

/// How many entries ahead of its insert `insert_batch` hashes an entry and prefetches its whole
/// bucket (3-4 lines each, so fewer than `get_batch`'s one-line first stage).
const INSERT_WINDOW: usize = 16;

/// How many keys ahead of its lookup `get_batch` reads a key's tophash word and prefetches the
/// matching slot's line: the word has had `WINDOW - STAGE_TWO` keys' time to arrive, the entry
/// `STAGE_TWO` keys' time.
pub(crate) const STAGE_TWO: usize = 12;

/// Results of [`Map::get_batch`], in the order of the keys.
pub struct GetBatch<'a, 'k, K, V, S, Q> {
    hasher: &'a S,
    lookup: BatchLookup<'a, K, V>,
    /// Whether the table is too big for the cache, so that the batch prefetches.
    prefetching: bool,
    keys: &'k [Q],
    /// While prefetching: the hash of key `i` in `hashes[i % WINDOW]`, for the keys
    /// `next .. next + WINDOW`.
    hashes: [u64; WINDOW],
    next: usize,
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
        let (lookup, prefetching) = self.table.batch_lookup();
        let mut batch = GetBatch {
            hasher: self.hasher(),
            lookup,
            prefetching,
            keys,
            hashes: [0; WINDOW],
            next: 0,
        };
        if prefetching {
            for (i, key) in keys.iter().take(WINDOW).enumerate() {
                batch.hashes[i] = batch.hash_and_prefetch(lookup, key);
            }
            for &hash in batch.hashes.iter().take(STAGE_TWO.min(keys.len())) {
                batch.lookup.prefetch_match(hash);
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
    #[inline(always)]
    fn hash_and_prefetch(&self, stages: impl Stages<'a, K, V>, key: &Q) -> u64 {
        let hash = self.hasher.hash_one(key);
        stages.prefetch_tophash(hash);
        hash
    }

    /// A lookup without prefetching (a table that fits in the cache).
    #[inline(always)]
    fn lookup(&self, stages: impl Stages<'a, K, V>, key: &Q) -> Option<&'a V> {
        let hash = self.hasher.hash_one(key);
        stages
            .get(hash, |stored| stored.borrow() == key)
            .map(|(_, v)| v)
    }

    /// The lookup of key `i` (`key`) while prefetching: first stage two for key `i + STAGE_TWO`
    /// if `stage_two`, and stage one for `ahead`, key `i + WINDOW`, whose hash takes key `i`'s
    /// place in the ring.
    #[inline(always)]
    fn pipelined(
        &mut self,
        stages: impl Stages<'a, K, V>,
        i: usize,
        key: &Q,
        ahead: Option<&Q>,
        stage_two: bool,
    ) -> Option<&'a V> {
        let slot = i % WINDOW;
        let hash = self.hashes[slot];
        if stage_two {
            stages.prefetch_match(self.hashes[(i + STAGE_TWO) % WINDOW]);
        }
        if let Some(ahead) = ahead {
            self.hashes[slot] = self.hash_and_prefetch(stages, ahead);
        }
        stages
            .get(hash, |stored| stored.borrow() == key)
            .map(|(_, v)| v)
    }

    /// The lookup of key `i` while prefetching, with the look-ahead's bounds checked.
    #[inline(always)]
    fn pipelined_checked(&mut self, stages: impl Stages<'a, K, V>, i: usize) -> Option<&'a V> {
        let keys = self.keys;
        let stage_two = i + STAGE_TWO < keys.len();
        self.pipelined(stages, i, &keys[i], keys.get(i + WINDOW), stage_two)
    }

    /// `fold` over the keys left, without prefetching.
    #[inline(always)]
    fn fold_plain<B>(
        self,
        stages: impl Stages<'a, K, V>,
        init: B,
        mut f: impl FnMut(B, Option<&'a V>) -> B,
    ) -> B {
        self.keys[self.next..]
            .iter()
            .fold(init, |acc, key| f(acc, self.lookup(stages, key)))
    }

    /// `fold` over the keys left, prefetching: the keys that have a key `WINDOW` places after
    /// them run without the look-ahead's bounds checks, the last `WINDOW` after.
    #[inline(always)]
    fn fold_pipelined<B>(
        mut self,
        stages: impl Stages<'a, K, V>,
        init: B,
        mut f: impl FnMut(B, Option<&'a V>) -> B,
    ) -> B {
        let keys = self.keys;
        let mut acc = init;
        let start = self.next;
        let split = keys.len().saturating_sub(WINDOW).max(start);
        if split > start {
            let pairs = keys[start..split].iter().zip(&keys[start + WINDOW..]);
            for (i, (key, ahead)) in (start..).zip(pairs) {
                acc = f(acc, self.pipelined(stages, i, key, Some(ahead), true));
            }
        }
        for i in split..keys.len() {
            acc = f(acc, self.pipelined_checked(stages, i));
        }
        acc
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
        let i = self.next;
        let key = self.keys.get(i)?;
        self.next += 1;
        Some(if self.prefetching {
            self.pipelined_checked(self.lookup, i)
        } else {
            self.lookup(self.lookup, key)
        })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.keys.len() - self.next;
        (left, Some(left))
    }

    /// Internal iteration (`for_each`, `sum`, `count`, `fold`...): one loop per kind of table
    /// (steady or growing), so the loop makes no per-key choice between them.
    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, f: F) -> B {
        match (self.lookup, self.prefetching) {
            (BatchLookup::Steady(steady), true) => self.fold_pipelined(steady, init, f),
            (BatchLookup::Growing(table), true) => self.fold_pipelined(table, init, f),
            (BatchLookup::Steady(steady), false) => self.fold_plain(steady, init, f),
            (BatchLookup::Growing(table), false) => self.fold_plain(table, init, f),
        }
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
