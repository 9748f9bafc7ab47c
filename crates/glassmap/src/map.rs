//! [`Map`]: the safe API over the engine. Hashes each key once and forwards; no `unsafe` here.

mod batch;
mod entry;
mod hashed;
mod iter;
mod traits;

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};

pub use self::batch::{ContainsBatch, GetBatch};
pub use self::entry::{Entry, OccupiedEntry, VacantEntry};
use self::hashed::rehash;
pub use self::iter::{
    Drain, ExtractIf, IntoIter, IntoKeys, IntoValues, Iter, IterMut, Keys, Values, ValuesMut,
};
pub(crate) use crate::raw::batch::WINDOW as PREFETCH_WINDOW;
use crate::raw::{BucketLoads, RawTable};
use crate::{Growth, RandomState, Stats, TryReserveError};

/// A hash map built like Go's classic runtime map: 8-slot buckets with a tophash byte per slot,
/// overflow chains, doubling above 6.5 entries per bucket, and growth that moves (evacuates) old
/// buckets a couple at a time during later writes, so no single operation rehashes the table.
///
/// The API follows [`std::collections::HashMap`]. Lookups take any `&Q` where `K: Borrow<Q>`.
/// Beyond std: [`stats`](Map::stats) and [`bucket_loads`](Map::bucket_loads) show the buckets,
/// and [`evacuate_step`](Map::evacuate_step) / [`finish_growth`](Map::finish_growth) drive a
/// growth that Go would only advance on writes.
///
/// It is a logic error for a key's hash or equality to change while it is in the map, or for
/// `Hash` and `Eq` to disagree; the behaviour is then unspecified (wrong results, panics, leaks)
/// but never undefined.
///
/// # Examples
/// ```
/// use glassmap::Map;
///
/// let mut stock = Map::new();
/// stock.insert("apples", 3);
/// stock.insert("pears", 5);
/// *stock.entry("apples").or_insert(0) += 2;
/// assert_eq!(stock.get("apples"), Some(&5));
/// assert_eq!(stock.remove("pears"), Some(5));
/// assert_eq!(stock.len(), 1);
///
/// // The glass case: look at the buckets.
/// for i in 0..100 {
///     stock.insert(["a", "b", "c", "d"][i % 4], i);
/// }
/// let stats = stock.stats();
/// assert_eq!(stats.len, 5);
/// assert_eq!(stats.log2_buckets, 0); // 5 entries fit in one bucket
/// ```
///
/// Auto traits follow the contents:
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// send(glassmap::Map::<std::rc::Rc<u8>, u8>::new());
/// ```
/// ```
/// fn send<T: Send + Sync>(_: T) {}
/// send(glassmap::Map::<String, Vec<u8>>::new());
/// ```
pub struct Map<K, V, S = RandomState> {
    pub(crate) table: RawTable<K, V>,
    hash_builder: S,
}

impl<K, V> Map<K, V, RandomState> {
    /// An empty map. Allocates nothing until the first insert.
    ///
    /// # Examples
    /// ```
    /// let map: glassmap::Map<u64, u64> = glassmap::Map::new();
    /// assert!(map.is_empty());
    /// assert_eq!(map.capacity(), 0);
    /// ```
    pub fn new() -> Self {
        Self::with_hasher(RandomState::new())
    }

    /// An empty map whose load factor admits `capacity` entries before it doubles: 2^B buckets for
    /// the smallest B with `capacity <= 6.5 * 2^B` (Go's `makemap`).
    ///
    /// # Panics
    /// If the bucket array would not fit in memory (see [`Map::try_reserve`] for a fallible path).
    ///
    /// # Examples
    /// ```
    /// let map: glassmap::Map<u64, u64> = glassmap::Map::with_capacity(1000);
    /// assert!(map.capacity() >= 1000);
    /// assert_eq!(map.stats().log2_buckets, 8); // as Go: make(map[K]V, 1000) has B = 8
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_and_hasher(capacity, RandomState::new())
    }
}

impl<K, V, S> Map<K, V, S> {
    /// An empty map using `hash_builder` to hash keys.
    ///
    /// # Examples
    /// ```
    /// use glassmap::{Map, RandomState};
    /// let mut map = Map::with_hasher(RandomState::with_seed(7));
    /// map.insert(1, "one");
    /// assert_eq!(map[&1], "one");
    /// ```
    pub const fn with_hasher(hash_builder: S) -> Self {
        Map {
            table: RawTable::new(),
            hash_builder,
        }
    }

    /// An empty map for `capacity` entries using `hash_builder`.
    ///
    /// # Panics
    /// If the bucket array would not fit in memory.
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        Map {
            table: RawTable::try_with_capacity(capacity).unwrap_or_else(|err| err.fail()),
            hash_builder,
        }
    }

    /// The map's hasher builder.
    pub fn hasher(&self) -> &S {
        &self.hash_builder
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the map holds no entry.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries the map holds before inserting one more starts a doubling (`13 * 2^(B-1)`, or 8 for
    /// B = 0); 0 before the first allocation. Unlike hashbrown, passing it does not stall: the
    /// move to the bigger array is spread over later writes.
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Go's `B`: the current bucket array has 2^B primary buckets. O(1).
    pub fn log2_buckets(&self) -> u8 {
        self.table.log2_buckets()
    }

    /// Whether a growth is in progress (an old array still holds unevacuated buckets). O(1).
    pub fn is_growing(&self) -> bool {
        self.table.is_growing()
    }

    /// The growth in progress, if any: its kind and how many old buckets are evacuated. O(1).
    pub fn growth(&self) -> Option<Growth> {
        self.table.growth()
    }

    /// A snapshot of the buckets: sizes, occupancy histogram, chains, growth, bytes.
    /// O(buckets).
    ///
    /// # Examples
    /// ```
    /// let mut map = glassmap::Map::new();
    /// for i in 0..100u32 {
    ///     map.insert(i, ());
    /// }
    /// let stats = map.stats();
    /// assert_eq!(stats.doublings, 4); // B went 0 -> 1 -> 2 -> 3 -> 4 at 9, 14, 27 and 53 entries
    /// assert_eq!(stats.occupancy.iter().sum::<usize>(), stats.buckets);
    /// ```
    pub fn stats(&self) -> Stats {
        self.table.stats()
    }

    /// The load of every primary bucket of the current array, in bucket order, without
    /// allocating: for heat maps and hash-quality checks.
    ///
    /// # Examples
    /// ```
    /// let mut map = glassmap::Map::new();
    /// map.extend((0..1000u32).map(|i| (i, i)));
    /// map.finish_growth();
    /// let total: usize = map.bucket_loads().map(|load| load.entries).sum();
    /// assert_eq!(total, 1000);
    /// ```
    pub fn bucket_loads(&self) -> BucketLoads<'_, K, V> {
        self.table.bucket_loads()
    }

    /// An iterator over `(&K, &V)` in bucket order (arbitrary but deterministic for a fixed
    /// seed). Every entry is visited exactly once, also in the middle of a growth.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter::new(self.table.iter())
    }

    /// An iterator over `(&K, &mut V)`.
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut::new(self.table.iter_mut())
    }

    /// An iterator over the keys.
    pub fn keys(&self) -> Keys<'_, K, V> {
        Keys::new(self.iter())
    }

    /// An iterator over the values.
    pub fn values(&self) -> Values<'_, K, V> {
        Values::new(self.iter())
    }

    /// An iterator over mutable values.
    pub fn values_mut(&mut self) -> ValuesMut<'_, K, V> {
        ValuesMut::new(self.iter_mut())
    }

    /// Consumes the map, yielding its keys.
    pub fn into_keys(self) -> IntoKeys<K, V> {
        IntoKeys::new(self.into_iter())
    }

    /// Consumes the map, yielding its values.
    pub fn into_values(self) -> IntoValues<K, V> {
        IntoValues::new(self.into_iter())
    }

    /// Removes every entry, yielding them; the bucket array is kept. Entries not consumed are
    /// dropped with the iterator.
    ///
    /// # Examples
    /// ```
    /// let mut map: glassmap::Map<_, _> = (0..10).map(|i| (i, i * i)).collect();
    /// let mut drained: Vec<_> = map.drain().collect();
    /// drained.sort();
    /// assert_eq!(drained[3], (3, 9));
    /// assert!(map.is_empty());
    /// ```
    pub fn drain(&mut self) -> Drain<'_, K, V> {
        Drain::new(self.table.drain())
    }

    /// Keeps only the entries for which `keep` returns true. O(buckets + len).
    ///
    /// # Examples
    /// ```
    /// let mut map: glassmap::Map<_, _> = (0..10).map(|i| (i, i)).collect();
    /// map.retain(|&k, _| k % 2 == 0);
    /// assert_eq!(map.len(), 5);
    /// ```
    pub fn retain<F: FnMut(&K, &mut V) -> bool>(&mut self, keep: F) {
        self.table.retain(keep);
    }

    /// An iterator that removes and yields the entries for which `predicate` returns true.
    /// Entries it does not reach stay in the map.
    ///
    /// # Examples
    /// ```
    /// let mut map: glassmap::Map<_, _> = (0..10).map(|i| (i, i)).collect();
    /// let mut odd: Vec<_> = map.extract_if(|k, _| k % 2 == 1).map(|(k, _)| k).collect();
    /// odd.sort();
    /// assert_eq!(odd, [1, 3, 5, 7, 9]);
    /// assert_eq!(map.len(), 5);
    /// ```
    pub fn extract_if<F: FnMut(&K, &mut V) -> bool>(
        &mut self,
        predicate: F,
    ) -> ExtractIf<'_, K, V, F> {
        ExtractIf::new(self.table.extract_if(predicate))
    }

    /// Removes every entry, keeping B (Go's `clear`). O(buckets).
    pub fn clear(&mut self) {
        self.table.clear();
    }
}

impl<K, V, S> Map<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    #[inline]
    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hash_builder.hash_one(key)
    }

    /// Inserts `value` under `key`, returning the previous value. The stored key is not replaced.
    ///
    /// While the map grows, this first evacuates the next four old buckets (Go's `growWork`, in
    /// index order).
    ///
    /// # Examples
    /// ```
    /// let mut map = glassmap::Map::new();
    /// assert_eq!(map.insert(37, "a"), None);
    /// assert_eq!(map.insert(37, "b"), Some("a"));
    /// ```
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = self.hash(&key);
        self.insert_hashed(hash, key, value)
    }

    /// [`insert`](Map::insert) with the key's hash already computed (by `self.hasher()`).
    #[inline]
    pub(crate) fn insert_hashed(&mut self, hash: u64, key: K, value: V) -> Option<V> {
        hashed::insert_into(&mut self.table, hash, key, value, &self.hash_builder)
    }

    /// The value for `key`.
    ///
    /// # Examples
    /// ```
    /// let mut map = glassmap::Map::new();
    /// map.insert(String::from("go"), 1.23);
    /// assert_eq!(map.get("go"), Some(&1.23));
    /// assert_eq!(map.get("rust"), None);
    /// ```
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_key_value(key).map(|(_, v)| v)
    }

    /// The stored key and value for `key`.
    #[inline]
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table
            .get(self.hash(key), |stored| stored.borrow() == key)
    }

    /// A mutable reference to the value for `key`.
    #[inline]
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash(key);
        self.table
            .get_mut(hash, |stored| stored.borrow() == key)
            .map(|(_, v)| v)
    }

    /// Whether the map holds `key`.
    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_key_value(key).is_some()
    }

    /// Removes `key`, returning its value. While the map grows this does growth work first, as
    /// Go's `delete` does.
    #[inline]
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Removes `key`, returning the stored key and its value.
    #[inline]
    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash(key);
        self.table.remove(
            hash,
            |stored| stored.borrow() == key,
            rehash(&self.hash_builder),
        )
    }

    /// The entry for `key`, for in-place manipulation. This is a write: it does growth work.
    ///
    /// # Examples
    /// ```
    /// let mut counts = glassmap::Map::new();
    /// for word in "a b a c a".split(' ') {
    ///     *counts.entry(word).or_insert(0) += 1;
    /// }
    /// assert_eq!(counts["a"], 3);
    /// ```
    #[inline]
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        let hash = self.hash(&key);
        let raw = self
            .table
            .entry(hash, |stored| *stored == key, rehash(&self.hash_builder));
        Entry::new(raw, key)
    }

    /// Makes room for `additional` more entries before the next doubling. If that needs a bigger
    /// array, a growth in progress is finished first and the new array is filled incrementally by
    /// later writes, like any growth.
    ///
    /// # Panics
    /// If the new capacity overflows or the allocation fails (see [`Map::try_reserve`]).
    pub fn reserve(&mut self, additional: usize) {
        self.try_reserve(additional)
            .unwrap_or_else(|err| err.fail());
    }

    /// As [`Map::reserve`], returning an error instead of panicking or aborting.
    ///
    /// # Errors
    /// [`TryReserveError::CapacityOverflow`] if `len + additional` overflows or the array would
    /// not fit in the address space; [`TryReserveError::AllocError`] if the allocator fails.
    ///
    /// # Examples
    /// ```
    /// let mut map: glassmap::Map<u64, u64> = glassmap::Map::new();
    /// assert!(map.try_reserve(usize::MAX).is_err());
    /// map.try_reserve(100).unwrap();
    /// assert!(map.capacity() >= 100);
    /// ```
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        let wanted = self
            .len()
            .checked_add(additional)
            .ok_or(TryReserveError::CapacityOverflow)?;
        self.table
            .try_reserve_total(wanted, rehash(&self.hash_builder))
    }

    /// Shrinks the bucket array as far as the load factor allows for the current length. Unlike
    /// Go (which never shrinks) this moves every entry now: O(len).
    pub fn shrink_to_fit(&mut self) {
        self.shrink_to(0);
    }

    /// Shrinks the bucket array to hold at least `max(len, min_capacity)` entries. O(len).
    ///
    /// # Examples
    /// ```
    /// let mut map: glassmap::Map<_, _> = (0..10_000).map(|i| (i, i)).collect();
    /// map.retain(|&k, _| k < 10);
    /// map.shrink_to_fit();
    /// assert_eq!(map.stats().log2_buckets, 1);
    /// assert_eq!(map.len(), 10);
    /// ```
    pub fn shrink_to(&mut self, min_capacity: usize) {
        self.table
            .shrink_to(min_capacity, rehash(&self.hash_builder));
    }

    /// Completes the growth in progress, if any. Go finishes a growth only through writes, so a
    /// read-mostly map can stay half-grown (paying an extra bucket check on lookups); this ends it.
    /// O(old buckets).
    pub fn finish_growth(&mut self) {
        self.table.finish_growth(rehash(&self.hash_builder));
    }

    /// Finishes any growth in progress and asks the kernel to back the bucket array with 2 MiB
    /// huge pages now (Linux 6.1+, `MADV_COLLAPSE`), for read-mostly maps far bigger than the
    /// CPU's TLB reach (several MiB). Each lookup in such a map otherwise pays a page-table walk,
    /// which under virtualisation (nested paging) can cost as much as the memory access itself;
    /// with huge pages the walks mostly hit the TLB (on the reference VM, `get_batch` at 8M
    /// entries got a tenth to a fifth faster). Never done on its own: the kernel copies the whole
    /// table (on the reference VM 10-95 ms at 1M entries, 0.15-1.4 s at 8M), and a map that later
    /// grows allocates its next array in ordinary pages again (call this again after a growth if
    /// wanted).
    ///
    /// Returns whether the kernel backed the array's 2 MiB-aligned part with huge pages; `false`
    /// (nothing changed, the map works as before) on other systems, older kernels, when no huge
    /// page is free, or for a map too small to hold one.
    ///
    /// # Examples
    /// ```
    /// let mut map: glassmap::Map<u64, u64> = (0..1000).map(|i| (i, i)).collect();
    /// map.collapse_to_huge_pages(); // a small map stays in ordinary pages: false
    /// assert_eq!(map.get(&7), Some(&7));
    /// ```
    pub fn collapse_to_huge_pages(&mut self) -> bool {
        self.finish_growth();
        self.table.collapse_huge_pages()
    }

    /// Evacuates up to `max_buckets` old buckets of the growth in progress. Returns `true` while
    /// work remains, so `while map.evacuate_step(64) {}` finishes in bounded slices.
    ///
    /// # Examples
    /// ```
    /// let mut map = glassmap::Map::new();
    /// for i in 0..53u32 {
    ///     map.insert(i, i); // the 53rd insert starts the doubling from 8 to 16 buckets
    /// }
    /// assert!(map.is_growing()); // it evacuated 2 of the 8 old buckets
    /// while map.evacuate_step(1) {}
    /// assert!(!map.is_growing());
    /// assert_eq!(map.len(), 53);
    /// ```
    pub fn evacuate_step(&mut self, max_buckets: usize) -> bool {
        self.table
            .evacuate_step(max_buckets, rehash(&self.hash_builder))
    }

    /// Test support: panics if any engine invariant is broken (see ARCHITECTURE.md). O(len).
    #[doc(hidden)]
    pub fn assert_invariants(&self) {
        self.table.assert_invariants(rehash(&self.hash_builder));
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for Map<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
