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
use crate::raw::RawTable;
use crate::raw::batch::{BatchLookup, Pipeline, STAGE_TWO, Specialized, Stages, Steady, WINDOW};

/// How many entries ahead of its insert `insert_batch` hashes an entry and prefetches its whole
/// bucket (3-4 lines each, so fewer than `get_batch`'s one-line first stage).
const INSERT_WINDOW: usize = 16;

/// Results of [`Map::get_batch`], in the order of the keys.
pub struct GetBatch<'a, 'k, K, V, S, Q> {
    hasher: &'a S,
    mode: Mode<'a, K, V>,
    keys: &'k [Q],
    next: usize,
}

/// How a batch looks its keys up, chosen once per call from the table's size.
#[allow(
    clippy::large_enum_variant,
    reason = "the ring lives in the iterator: a batch uses no heap memory, and the small variants \
              leave it unwritten"
)]
enum Mode<'a, K, V> {
    /// The table fits in the cache and is not growing: plain lookups, and no pipeline to set up
    /// (a call over a few keys would pay more for the pipeline's ring than it saves).
    Cached(Steady<'a, K, V>),
    /// The table fits in the cache and is growing: plain lookups through its general path.
    CachedGrowing(&'a RawTable<K, V>),
    /// The table is too big for the cache: the keys `next .. next + WINDOW` on their way through
    /// the stages.
    Prefetching(Pipeline<BatchLookup<'a, K, V>>),
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
    #[inline(always)]
    pub fn get_batch<'a, 'k, Q>(&'a self, keys: &'k [Q]) -> GetBatch<'a, 'k, K, V, S, Q>
    where
        K: Borrow<Q>,
        Q: Hash + Eq,
    {
        let (lookup, prefetching) = self.table.batch_lookup();
        let mode = if prefetching {
            let mut pipeline = Pipeline::new(lookup);
            for (i, key) in keys.iter().take(WINDOW).enumerate() {
                pipeline.stage_one(i, self.hasher().hash_one(key));
            }
            for i in 0..STAGE_TWO.min(keys.len()) {
                pipeline.stage_two(i);
            }
            Mode::Prefetching(pipeline)
        } else {
            match lookup {
                BatchLookup::Steady(steady) => Mode::Cached(steady),
                BatchLookup::Growing(table) => Mode::CachedGrowing(table),
            }
        };
        GetBatch {
            hasher: self.hasher(),
            mode,
            keys,
            next: 0,
        }
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

/// Key `i`'s turn while prefetching: stage two for key `i + STAGE_TWO` if `stage_two`, stage
/// three for key `i` (`key`), then stage one for `ahead`, key `i + WINDOW`, whose hash takes key
/// `i`'s place in the ring.
#[inline(always)]
fn pipelined<'a, K: 'a + Borrow<Q>, V: 'a, Q: Hash + Eq>(
    pipeline: &mut Pipeline<impl Stages<'a, K, V>>,
    hasher: &impl BuildHasher,
    i: usize,
    key: &Q,
    ahead: Option<&Q>,
    stage_two: bool,
) -> Option<&'a V> {
    if stage_two {
        pipeline.stage_two(i + STAGE_TWO);
    }
    let found = pipeline.stage_three(i, |stored: &K| stored.borrow() == key);
    if let Some(ahead) = ahead {
        pipeline.stage_one(i + WINDOW, hasher.hash_one(ahead));
    }
    found.map(|(_, v)| v)
}

/// Key `i`'s turn while prefetching, with the look-ahead's bounds checked.
#[inline(always)]
fn pipelined_checked<'a, K: 'a + Borrow<Q>, V: 'a, Q: Hash + Eq>(
    pipeline: &mut Pipeline<impl Stages<'a, K, V>>,
    hasher: &impl BuildHasher,
    keys: &[Q],
    i: usize,
) -> Option<&'a V> {
    let stage_two = i + STAGE_TWO < keys.len();
    pipelined(
        pipeline,
        hasher,
        i,
        &keys[i],
        keys.get(i + WINDOW),
        stage_two,
    )
}

/// A lookup without prefetching (a table that fits in the cache).
#[inline(always)]
fn plain<'a, K: 'a + Borrow<Q>, V: 'a, Q: Hash + Eq>(
    stages: impl Stages<'a, K, V>,
    hasher: &impl BuildHasher,
    key: &Q,
) -> Option<&'a V> {
    stages
        .get(hasher.hash_one(key), |stored| stored.borrow() == key)
        .map(|(_, v)| v)
}

/// `fold` over `keys` (the batch's keys not yet yielded), without prefetching.
#[inline(always)]
fn fold_plain<'a, K: 'a + Borrow<Q>, V: 'a, Q: Hash + Eq, B>(
    stages: impl Stages<'a, K, V>,
    hasher: &impl BuildHasher,
    keys: &[Q],
    init: B,
    mut f: impl FnMut(B, Option<&'a V>) -> B,
) -> B {
    keys.iter()
        .fold(init, |acc, key| f(acc, plain(stages, hasher, key)))
}

/// `fold` over the keys from `start` on, prefetching: the keys that have a key `WINDOW` places
/// after them run without the look-ahead's bounds checks, the last `WINDOW` after.
#[inline(always)]
fn fold_pipelined<'a, K: 'a + Borrow<Q>, V: 'a, Q: Hash + Eq, B>(
    mut pipeline: Pipeline<impl Stages<'a, K, V>>,
    hasher: &impl BuildHasher,
    keys: &[Q],
    start: usize,
    init: B,
    mut f: impl FnMut(B, Option<&'a V>) -> B,
) -> B {
    let mut acc = init;
    let split = keys.len().saturating_sub(WINDOW).max(start);
    if split > start {
        let pairs = keys[start..split].iter().zip(&keys[start + WINDOW..]);
        for (i, (key, ahead)) in (start..).zip(pairs) {
            acc = f(
                acc,
                pipelined(&mut pipeline, hasher, i, key, Some(ahead), true),
            );
        }
    }
    for i in split..keys.len() {
        acc = f(acc, pipelined_checked(&mut pipeline, hasher, keys, i));
    }
    acc
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
        Some(match &mut self.mode {
            Mode::Cached(steady) => plain(*steady, self.hasher, key),
            Mode::CachedGrowing(table) => plain(*table, self.hasher, key),
            Mode::Prefetching(pipeline) => pipelined_checked(pipeline, self.hasher, self.keys, i),
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
        let (hasher, keys, start) = (self.hasher, self.keys, self.next);
        match self.mode {
            Mode::Cached(steady) => fold_plain(steady, hasher, &keys[start..], init, f),
            Mode::CachedGrowing(table) => fold_plain(table, hasher, &keys[start..], init, f),
            Mode::Prefetching(pipeline) => match pipeline.specialize() {
                Specialized::Steady(p) => fold_pipelined(p, hasher, keys, start, init, f),
                Specialized::Growing(p) => fold_pipelined(p, hasher, keys, start, init, f),
            },
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

    /// Internal iteration goes through [`GetBatch`]'s `fold`, its fastest path.
    #[inline]
    fn fold<B, F: FnMut(B, bool) -> B>(self, init: B, mut f: F) -> B {
        self.inner.fold(init, |acc, found| f(acc, found.is_some()))
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

#[cfg(test)]
mod tests {
    use core::hash::{BuildHasherDefault, Hasher};

    use super::{STAGE_TWO, WINDOW};
    use crate::{Map, RandomState};

    /// A `u64` key is its own hash, so a test can place keys in chosen buckets with chosen
    /// tophashes.
    #[derive(Default)]
    struct Identity(u64);

    impl Hasher for Identity {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, _: &[u8]) {
            unreachable!("only u64 keys")
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }
    }

    type IdentityMap = Map<u64, u64, BuildHasherDefault<Identity>>;

    fn mix(i: u64) -> u64 {
        let z = (i ^ 0x5555).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z ^ (z >> 29)
    }

    /// Batch lengths around the pipeline's boundaries.
    fn lengths() -> Vec<usize> {
        let mut lengths = vec![0, 1, 2, STAGE_TWO - 1, STAGE_TWO, STAGE_TWO + 1];
        lengths.extend([
            WINDOW - 1,
            WINDOW,
            WINDOW + 1,
            WINDOW + STAGE_TWO,
            2 * WINDOW + 1,
        ]);
        lengths
    }

    /// Every batch length of [`lengths`], from every window of `probes`, through `next`, through
    /// `fold` and through `fold` after one `next`, against a loop of `get`.
    fn check_batches<S: core::hash::BuildHasher>(map: &Map<u64, u64, S>, probes: &[u64]) {
        for len in lengths() {
            let step = if cfg!(miri) { len.max(7) } else { 1 };
            for start in (0..probes.len().saturating_sub(len)).step_by(step) {
                let keys = &probes[start..start + len];
                let want: Vec<_> = keys.iter().map(|k| map.get(k)).collect();
                assert_eq!(
                    map.get_batch(keys).collect::<Vec<_>>(),
                    want,
                    "next, {len} keys"
                );
                let mut folded = Vec::new();
                map.get_batch(keys).for_each(|v| folded.push(v));
                assert_eq!(folded, want, "fold, {len} keys");
                let mut rest = map.get_batch(keys);
                let first = rest.next();
                assert_eq!(first, want.first().copied());
                let tail: Vec<_> = rest.fold(Vec::new(), |mut v, x| {
                    v.push(x);
                    v
                });
                assert_eq!(tail, want.get(1..).unwrap_or_default(), "next then fold");
                assert!(
                    map.contains_batch(keys)
                        .eq(want.iter().map(Option::is_some))
                );
                let hits = want.iter().filter(|v| v.is_some()).count();
                assert_eq!(map.contains_batch(keys).filter(|&hit| hit).count(), hits);
            }
        }
    }

    /// Hits, misses and duplicates, mixed.
    fn probes_for(present: &[u64], absent: &[u64]) -> Vec<u64> {
        let mut probes = Vec::new();
        for i in 0..present.len().max(absent.len()) {
            probes.extend(present.get(i));
            if i % 3 == 0 {
                probes.extend(absent.get(i));
            }
            if i % 5 == 0 {
                probes.extend(present.get(i / 2));
            }
        }
        probes.truncate(if cfg!(miri) { 90 } else { 400 });
        probes
    }

    /// The cached (no prefetching) path: a map far below the cache threshold (under Miri every
    /// allocated map prefetches, so this covers the pipeline there).
    #[test]
    fn small_map_batches_match_get() {
        let mut map = Map::with_hasher(RandomState::with_seed(5));
        let present: Vec<u64> = (0..100).map(mix).collect();
        for &k in &present {
            map.insert(k, k + 1);
        }
        let absent: Vec<u64> = (1000..1100).map(mix).collect();
        assert!(
            cfg!(miri) || !map.table.batch_lookup().1,
            "the cached path is tested"
        );
        check_batches(&map, &probes_for(&present, &absent));
        let empty: Map<u64, u64> = Map::new();
        check_batches(&empty, &absent[..40]);
    }

    /// The pipeline on a map above the cache threshold, with keys placed so that every hint
    /// occurs: a matching slot that holds the key, a matching slot that holds another key with
    /// the same bucket and tophash (a collision, present or absent), "absent", and "search"
    /// (buckets with overflow chains).
    #[test]
    fn prefetching_batches_match_get_on_every_hint() {
        let n: u64 = if cfg!(miri) { 120 } else { 40_000 };
        let mut map = IdentityMap::default();
        let present: Vec<u64> = (0..n).map(mix).collect();
        for &k in &present {
            map.insert(k, !k);
        }
        map.finish_growth();
        // Bit 40 is neither in the bucket index nor in the tophash: a twin shares both.
        let twin = |k: u64| k ^ (1 << 40);
        let twins: Vec<u64> = present.iter().step_by(4).map(|&k| twin(k)).collect();
        for &k in twins.iter().step_by(2) {
            map.insert(k, k);
        }
        // A crowd: keys that share one bucket but not their tophash (the top byte), more than
        // a bucket holds, so some live in its overflow bucket, and stage two finds no match and
        // no EMPTY_REST in the first bucket for them ("search").
        let crowd: Vec<u64> = (1..20u64).map(|j| 0x77 ^ (j << 57)).collect();
        for &k in &crowd[..14] {
            map.insert(k, k);
        }
        map.finish_growth();
        assert!(!map.is_growing() && map.table.batch_lookup().1);
        let absent: Vec<u64> = (n..2 * n).map(mix).collect();
        let mut probes = Vec::new();
        for i in 0..twins.len() {
            probes.extend([twins[i], present[4 * i], absent[i], present[4 * i + 1]]);
            probes.extend(crowd.get(i % 40));
        }
        probes.truncate(if cfg!(miri) { 90 } else { 400 });
        check_batches(&map, &probes);
        assert!(map.stats().overflow_buckets > 0, "no overflow chain tested");
    }

    /// The cached path on a small map in the middle of a growth (its general path, no pipeline).
    #[test]
    fn small_growing_map_batches_match_get() {
        let mut map = Map::with_hasher(RandomState::with_seed(3));
        let present: Vec<u64> = (0..200).map(mix).collect();
        let mut inserted = 0;
        for &k in &present {
            map.insert(k, k + 7);
            inserted += 1;
            if map.is_growing() && inserted > 60 {
                break;
            }
        }
        assert!(map.is_growing() && (cfg!(miri) || !map.table.batch_lookup().1));
        check_batches(&map, &probes_for(&present, &present[inserted..]));
    }

    /// The pipeline on a map in the middle of a growth (its general path).
    #[test]
    fn growing_map_batches_match_get() {
        let n: u64 = if cfg!(miri) { 200 } else { 30_000 };
        let mut map = Map::with_hasher(RandomState::with_seed(9));
        let present: Vec<u64> = (0..n).map(mix).collect();
        let mut inserted = 0;
        for &k in &present {
            map.insert(k, k);
            inserted += 1;
            if map.is_growing() && inserted > n as usize / 2 {
                break;
            }
        }
        assert!(map.is_growing() && map.table.batch_lookup().1);
        check_batches(&map, &probes_for(&present, &present[inserted..]));
    }
}
