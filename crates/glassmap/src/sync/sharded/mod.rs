//! [`ShardedMap`]: a concurrent map of 2^k glassmap [`Map`]s, each behind its own lock.
//!
//! # Invariants (cited by number in this module)
//!
//! 1. **One hasher.** Every key is hashed once, by the map's `hash_builder`. Its shard is taken
//!    from the hash bits just below the top byte, `(hash >> (56 - k)) & (2^k - 1)`: the engine
//!    uses the low B bits for the bucket and the top 8 bits for the tophash, so keys that share
//!    a shard are still spread over its buckets. The shard maps have no hasher (`S = ()`); every
//!    call that may move entries passes the map's own.
//! 2. **Length counters.** Each shard's counter equals its map's length whenever no write guard
//!    on it is held (the write guard stores it on release, also when unwinding).
//! 3. **Panic safety.** A shard's map is consistent whenever its lock is free, also after a
//!    panic in user code under the lock (the engine is panic-safe); a poisoned lock is recovered
//!    on the next acquisition.
//! 4. **No guard escapes; no silent re-entry.** Every method releases its locks before it
//!    returns. While a thread runs a user closure under a lock of this map, any call into the
//!    same map from that thread panics before locking (see `reentry`).
//! 5. **Lock order.** Operations that hold or take several shards (`snapshot`, `insert_batch`,
//!    `BatchWriter` flushes) lock them in increasing index order, so they cannot wait in a cycle.

mod error;
pub(crate) mod grouped;
mod reentry;
mod shard;
mod stats;
mod traits;

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};

pub use self::error::ShardedMapError;
use self::grouped::{Grouped, Write};
use self::reentry::ClosureScope;
use self::shard::{Shard, ShardMap};
pub use self::stats::ShardedStats;
use crate::map::Entry;
use crate::{Map, RandomState};

/// The most shards a map may have: 2^16, so the shard bits (below the tophash byte) stay clear
/// of the bucket bits of any table that fits in memory.
pub(crate) const MAX_SHARDS: usize = 1 << 16;

/// What a [`ShardedMap::compute`] closure decides for its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compute<V, R> {
    /// Leave the entry as it is (absent stays absent; a present value keeps any change the
    /// closure made through its `&mut V`) and return `R`.
    Keep(R),
    /// Store `V` under the key (inserting or replacing) and return `R`.
    Insert(V, R),
    /// Remove the key if present and return `R`.
    Remove(R),
}

/// A concurrent hash map: 2^k shards, each a glassmap [`Map`] behind a reader-writer lock on its
/// own cache lines. Growth inside a shard is incremental (a write moves at most four old
/// buckets), so no write lock is ever held for a whole-shard rehash.
///
/// **No method returns a guard or a reference into the map**, so the API cannot deadlock through
/// a forgotten guard and every method can be called from async code. Values come out by clone
/// ([`get`](Self::get)) or are used in place under the shard's lock through a closure
/// ([`read`](Self::read), [`update`](Self::update), [`compute`](Self::compute)).
///
/// **Closures must not call back into the same map.** Doing so would deadlock on a shard lock;
/// instead the inner call panics with a message naming both methods. Calls into *other* maps
/// are fine. Keys' `Hash`/`Eq` and values' `Clone`/`Drop` run under a shard lock too and must not
/// call into the map either (that is not detected and may deadlock).
///
/// **Consistency.** Every single-key method is linearizable (the tests check recorded
/// histories). [`len`](Self::len) sums per-shard counters: exact when no write is in flight,
/// otherwise between the lengths before and after the writes in flight.
/// [`for_each`](Self::for_each) visits one shard at a time and is not a snapshot;
/// [`snapshot`](Self::snapshot) is.
///
/// A panic in a closure or in `Hash`/`Eq` leaves the map consistent and usable.
///
/// # Examples
/// ```
/// use glassmap::sync::{Compute, ShardedMap};
/// use std::thread;
///
/// let hits: ShardedMap<&str, u64> = ShardedMap::new();
/// thread::scope(|s| {
///     for _ in 0..2 {
///         s.spawn(|| {
///             for page in ["/", "/about", "/"] {
///                 // An atomic upsert: no guard, no lost update.
///                 hits.compute(page, |count| match count {
///                     Some(n) => { *n += 1; Compute::Keep(()) }
///                     None => Compute::Insert(1, ()),
///                 });
///             }
///         });
///     }
/// });
/// assert_eq!(hits.get("/"), Some(4));
/// assert_eq!(hits.read("/about", |n| *n * 10), Some(20));
/// assert_eq!(hits.len(), 2);
/// ```
///
/// Auto traits follow what sharing needs: the map is `Send` when `K`, `V` and `S` are, and `Sync`
/// when moreover `K` and `V` are `Sync` (two readers may see the same value) and `S` is `Sync`.
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// send(glassmap::sync::ShardedMap::<std::rc::Rc<u8>, u8>::new());
/// ```
/// ```compile_fail
/// fn sync<T: Sync>(_: T) {}
/// sync(glassmap::sync::ShardedMap::<u8, std::cell::Cell<u8>>::new());
/// ```
/// ```
/// fn send<T: Send>(_: T) {}
/// fn sync<T: Sync>(_: T) {}
/// send(glassmap::sync::ShardedMap::<u8, std::cell::Cell<u8>>::new());
/// sync(glassmap::sync::ShardedMap::<String, Vec<u8>>::new());
/// ```
pub struct ShardedMap<K, V, S = RandomState> {
    shards: Box<[Shard<K, V>]>,
    /// `56 - k`: the shard index is the k bits below the top byte (invariant 1).
    shift: u32,
    /// `2^k - 1`.
    mask: usize,
    hash_builder: S,
}

impl<K, V> ShardedMap<K, V, RandomState> {
    /// An empty map with the default shard count ([`ShardedMap::default_shards`]) and a random
    /// seed. Allocates the shards' locks but no buckets.
    ///
    /// # Examples
    /// ```
    /// let map: glassmap::sync::ShardedMap<u64, String> = glassmap::sync::ShardedMap::new();
    /// assert!(map.is_empty());
    /// assert!(map.shards().is_power_of_two());
    /// ```
    pub fn new() -> Self {
        Self::with_hasher(RandomState::new())
    }

    /// An empty map with `shards` shards.
    ///
    /// # Panics
    /// If `shards` is zero, not a power of two, or above [`ShardedMap::MAX_SHARDS`] (see
    /// [`ShardedMap::try_with_shards_capacity_and_hasher`] for the fallible path).
    ///
    /// # Examples
    /// ```
    /// let map: glassmap::sync::ShardedMap<u64, u64> = glassmap::sync::ShardedMap::with_shards(8);
    /// assert_eq!(map.shards(), 8);
    /// ```
    pub fn with_shards(shards: usize) -> Self {
        Self::with_shards_capacity_and_hasher(shards, 0, RandomState::new())
    }

    /// An empty map with room for `capacity` entries spread evenly over the default shards.
    ///
    /// # Panics
    /// If the bucket arrays would not fit in memory.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_capacity_and_hasher(capacity, RandomState::new())
    }
}

impl<K, V, S> ShardedMap<K, V, S> {
    /// The most shards a map may have (2^16).
    pub const MAX_SHARDS: usize = MAX_SHARDS;

    /// The default shard count: the smallest power of two at least 4 x the available
    /// parallelism (so two threads rarely want the same shard), at least 4.
    pub fn default_shards() -> usize {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        (threads.saturating_mul(4))
            .next_power_of_two()
            .clamp(4, MAX_SHARDS)
    }

    /// An empty map with the default shard count hashing with `hash_builder`.
    pub fn with_hasher(hash_builder: S) -> Self {
        Self::with_capacity_and_hasher(0, hash_builder)
    }

    /// An empty map with room for `capacity` entries over the default shard count.
    ///
    /// # Panics
    /// If the bucket arrays would not fit in memory.
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        Self::with_shards_capacity_and_hasher(Self::default_shards(), capacity, hash_builder)
    }

    /// An empty map with `shards` shards and room for `capacity` entries.
    ///
    /// # Panics
    /// As [`ShardedMap::try_with_shards_capacity_and_hasher`] fails, with its error's message.
    pub fn with_shards_capacity_and_hasher(
        shards: usize,
        capacity: usize,
        hash_builder: S,
    ) -> Self {
        Self::try_with_shards_capacity_and_hasher(shards, capacity, hash_builder)
            .unwrap_or_else(|err| panic!("glassmap::sync::ShardedMap: {err}"))
    }

    /// An empty map with `shards` shards and room for `capacity` entries (each shard presized
    /// for its even share), or why it cannot be built.
    ///
    /// # Errors
    /// [`ShardedMapError::ZeroShards`], [`ShardedMapError::NotPowerOfTwo`],
    /// [`ShardedMapError::TooManyShards`] for a bad shard count; [`ShardedMapError::Capacity`]
    /// if the bucket arrays would not fit in memory.
    ///
    /// # Examples
    /// ```
    /// use glassmap::sync::{ShardedMap, ShardedMapError};
    /// use glassmap::RandomState;
    ///
    /// let bad = ShardedMap::<u64, u64>::try_with_shards_capacity_and_hasher(6, 0, RandomState::new());
    /// assert_eq!(bad.unwrap_err(), ShardedMapError::NotPowerOfTwo { shards: 6 });
    /// let huge = ShardedMap::<u64, u64>::try_with_shards_capacity_and_hasher(4, usize::MAX, RandomState::new());
    /// assert!(matches!(huge, Err(ShardedMapError::Capacity(_))));
    /// ```
    pub fn try_with_shards_capacity_and_hasher(
        shards: usize,
        capacity: usize,
        hash_builder: S,
    ) -> Result<Self, ShardedMapError> {
        if shards == 0 {
            return Err(ShardedMapError::ZeroShards);
        }
        if !shards.is_power_of_two() {
            return Err(ShardedMapError::NotPowerOfTwo { shards });
        }
        if shards > MAX_SHARDS {
            return Err(ShardedMapError::TooManyShards { shards });
        }
        let per_shard = capacity.div_ceil(shards);
        let shards = (0..shards)
            .map(|_| {
                Ok(Shard::new(Map::try_with_capacity_and_hasher(
                    per_shard,
                    (),
                )?))
            })
            .collect::<Result<Box<[_]>, crate::TryReserveError>>()?;
        Ok(ShardedMap {
            shift: 56 - shards.len().trailing_zeros(),
            mask: shards.len() - 1,
            shards,
            hash_builder,
        })
    }

    /// The number of shards, 2^k.
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// The map's hasher builder.
    pub fn hasher(&self) -> &S {
        &self.hash_builder
    }

    /// The number of entries, summed from per-shard counters without locking. O(shards).
    ///
    /// Exact when no write is in flight; with concurrent writes it is at least the length before
    /// the writes that completed before the call and at most the length after those in flight.
    pub fn len(&self) -> usize {
        self.shards.iter().map(Shard::len).sum()
    }

    /// Whether every shard's counter is zero (see [`len`](Self::len) for concurrent writes).
    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(|shard| shard.len() == 0)
    }

    /// Removes every entry, one shard at a time (not atomic across shards). Keeps the buckets.
    pub fn clear(&self) {
        self.check_reentry("clear");
        for shard in self.shards.iter() {
            shard.write().clear();
        }
    }

    /// Keeps only the entries for which `keep` returns true, write-locking one shard at a time.
    ///
    /// # Panics
    /// If `keep` calls into this map (see the type's docs).
    ///
    /// # Examples
    /// ```
    /// let map: glassmap::sync::ShardedMap<u32, u32> = (0..100).map(|i| (i, i)).collect();
    /// map.retain(|k, v| { *v += 1; k % 2 == 0 });
    /// assert_eq!(map.len(), 50);
    /// assert_eq!(map.get(&10), Some(11));
    /// ```
    pub fn retain(&self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.check_reentry("retain");
        for shard in self.shards.iter() {
            let mut map = shard.write();
            let _scope = self.closure_scope("retain");
            map.retain(&mut keep);
        }
    }

    /// Calls `f` on every entry, read-locking one shard at a time.
    ///
    /// This is **not a snapshot**: writes to shards not yet visited are seen, writes to shards
    /// already visited are not. It visits every entry that is present for the whole call exactly
    /// once and never visits a key twice. Use [`snapshot`](Self::snapshot) for a consistent view.
    ///
    /// # Panics
    /// If `f` calls into this map (see the type's docs).
    ///
    /// # Examples
    /// ```
    /// let map: glassmap::sync::ShardedMap<u32, u32> = (1..=4).map(|i| (i, i * i)).collect();
    /// let mut sum = 0;
    /// map.for_each(|_, v| sum += v);
    /// assert_eq!(sum, 30);
    /// ```
    pub fn for_each(&self, mut f: impl FnMut(&K, &V)) {
        self.check_reentry("for_each");
        for shard in self.shards.iter() {
            let map = shard.read();
            let _scope = self.closure_scope("for_each");
            for (k, v) in map.iter() {
                f(k, v);
            }
        }
    }

    /// Per-shard [`Stats`](crate::Stats) (each taken under its shard's read lock, one at a
    /// time), with the length imbalance and how many shards are growing. O(buckets).
    pub fn stats(&self) -> ShardedStats {
        self.check_reentry("stats");
        ShardedStats::new(
            self.shards
                .iter()
                .map(|shard| shard.read().stats())
                .collect(),
        )
    }

    /// Consumes the map, merging the shards into one [`Map`] with the same hasher. Needs no
    /// `Clone` and no lock.
    pub fn into_map(self) -> Map<K, V, S>
    where
        K: Hash + Eq,
        S: BuildHasher,
    {
        let mut map = Map::with_capacity_and_hasher(self.len(), self.hash_builder);
        for shard in self.shards.into_vec() {
            for (k, v) in shard.into_inner() {
                map.insert(k, v);
            }
        }
        map
    }

    /// Read-locks every shard in index order (invariant 5) and calls `f` with their maps.
    fn with_all_read<R>(&self, method: &'static str, f: impl FnOnce(&[&ShardMap<K, V>]) -> R) -> R {
        self.check_reentry(method);
        let guards: Vec<_> = self.shards.iter().map(Shard::read).collect();
        let maps: Vec<&ShardMap<K, V>> = guards.iter().map(|guard| &**guard).collect();
        let _scope = self.closure_scope(method);
        f(&maps)
    }

    /// This map's identity for re-entrancy checks: the address of its shard array, which cannot
    /// change while a method of the map runs.
    #[inline]
    fn id(&self) -> usize {
        self.shards.as_ptr() as usize
    }

    #[inline]
    fn check_reentry(&self, method: &'static str) {
        reentry::check(self.id(), method);
    }

    #[inline]
    fn closure_scope(&self, method: &'static str) -> ClosureScope {
        ClosureScope::enter(self.id(), method)
    }
}

impl<K, V, S> ShardedMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    #[inline]
    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hash_builder.hash_one(key)
    }

    /// The shard of a key with hash `hash` (invariant 1).
    #[inline]
    fn shard_index(&self, hash: u64) -> usize {
        (hash >> self.shift) as usize & self.mask
    }

    #[inline]
    fn shard(&self, hash: u64) -> &Shard<K, V> {
        &self.shards[self.shard_index(hash)]
    }

    /// Inserts `value` under `key`, returning the previous value (dropped by the caller, outside
    /// the lock).
    ///
    /// # Examples
    /// ```
    /// let map = glassmap::sync::ShardedMap::new();
    /// assert_eq!(map.insert(1, "a"), None);
    /// assert_eq!(map.insert(1, "b"), Some("a"));
    /// ```
    #[inline]
    pub fn insert(&self, key: K, value: V) -> Option<V> {
        self.check_reentry("insert");
        let hash = self.hash(&key);
        self.shard(hash)
            .write()
            .insert_hashed_by(hash, key, value, &self.hash_builder)
    }

    /// Removes `key`, returning its value.
    #[inline]
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    /// Removes `key`, returning the stored key and its value.
    #[inline]
    pub fn remove_entry<Q>(&self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.check_reentry("remove");
        let hash = self.hash(key);
        self.shard(hash)
            .write()
            .remove_hashed(hash, key, &self.hash_builder)
    }

    /// Whether the map holds `key`.
    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.read(key, |_| ()).is_some()
    }

    /// A clone of the value for `key` (like moka's `get`; use [`read`](Self::read) to avoid the
    /// clone).
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.check_reentry("get");
        let hash = self.hash(key);
        let map = self.shard(hash).read();
        map.get_hashed(hash, key).map(|(_, v)| v.clone())
    }

    /// Calls `f` on the value for `key` under the shard's read lock, without cloning it.
    ///
    /// # Panics
    /// If `f` calls into this map (see the type's docs).
    ///
    /// # Examples
    /// ```
    /// let map = glassmap::sync::ShardedMap::new();
    /// map.insert("k", vec![1, 2, 3]);
    /// assert_eq!(map.read("k", |v| v.len()), Some(3));
    /// assert_eq!(map.read("x", |v| v.len()), None);
    /// ```
    #[inline]
    pub fn read<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.check_reentry("read");
        let hash = self.hash(key);
        let map = self.shard(hash).read();
        let (_, value) = map.get_hashed(hash, key)?;
        let _scope = self.closure_scope("read");
        Some(f(value))
    }

    /// Calls `f` on the value for `key` under the shard's write lock; `None` if absent.
    ///
    /// # Panics
    /// If `f` calls into this map (see the type's docs).
    ///
    /// # Examples
    /// ```
    /// let map = glassmap::sync::ShardedMap::new();
    /// map.insert("k", 1);
    /// assert_eq!(map.update("k", |v| { *v += 1; *v }), Some(2));
    /// assert_eq!(map.update("x", |v| *v), None);
    /// ```
    #[inline]
    pub fn update<Q, R>(&self, key: &Q, f: impl FnOnce(&mut V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.check_reentry("update");
        let hash = self.hash(key);
        let mut map = self.shard(hash).write();
        let (_, value) = map.get_mut_hashed(hash, key)?;
        let _scope = self.closure_scope("update");
        Some(f(value))
    }

    /// The value for `key` (cloned), inserting `make()` first if the key is absent. `make` runs at
    /// most once, under the shard's write lock, and only if the key is absent.
    ///
    /// # Panics
    /// If `make` calls into this map (see the type's docs).
    ///
    /// # Examples
    /// ```
    /// let map = glassmap::sync::ShardedMap::new();
    /// assert_eq!(map.get_or_insert_with("k", || 1), 1);
    /// assert_eq!(map.get_or_insert_with("k", || unreachable!()), 1);
    /// ```
    pub fn get_or_insert_with(&self, key: K, make: impl FnOnce() -> V) -> V
    where
        V: Clone,
    {
        self.check_reentry("get_or_insert_with");
        let hash = self.hash(&key);
        let mut map = self.shard(hash).write();
        match map.entry_hashed(hash, key, &self.hash_builder) {
            Entry::Occupied(slot) => slot.get().clone(),
            Entry::Vacant(slot) => {
                let value = {
                    let _scope = self.closure_scope("get_or_insert_with");
                    make()
                };
                slot.insert(value).clone()
            }
        }
    }

    /// The atomic read-modify-write: calls `f` with the value for `key` (`None` if absent) under
    /// the shard's write lock and applies its decision ([`Compute`]), returning its `R`. Upsert,
    /// get-or-insert, compare-and-swap and conditional remove are all one `compute`.
    ///
    /// # Panics
    /// If `f` calls into this map (see the type's docs).
    ///
    /// # Examples
    /// ```
    /// use glassmap::sync::{Compute, ShardedMap};
    ///
    /// let map = ShardedMap::new();
    /// map.insert("k", 1);
    /// // Compare-and-swap 1 -> 5.
    /// let swapped = map.compute("k", |v| match v {
    ///     Some(&mut 1) => Compute::Insert(5, true),
    ///     _ => Compute::Keep(false),
    /// });
    /// assert!(swapped);
    /// // Remove if 5, returning what was there.
    /// let seen = map.compute("k", |v| match v {
    ///     Some(v) if *v == 5 => Compute::Remove(Some(*v)),
    ///     v => Compute::Keep(v.map(|v| *v)),
    /// });
    /// assert_eq!(seen, Some(5));
    /// assert!(map.is_empty());
    /// ```
    pub fn compute<R>(&self, key: K, f: impl FnOnce(Option<&mut V>) -> Compute<V, R>) -> R {
        self.check_reentry("compute");
        let hash = self.hash(&key);
        let mut map = self.shard(hash).write();
        match map.entry_hashed(hash, key, &self.hash_builder) {
            Entry::Occupied(mut slot) => {
                let decision = {
                    let _scope = self.closure_scope("compute");
                    f(Some(slot.get_mut()))
                };
                match decision {
                    Compute::Keep(r) => r,
                    Compute::Insert(value, r) => {
                        slot.insert(value);
                        r
                    }
                    Compute::Remove(r) => {
                        slot.remove();
                        r
                    }
                }
            }
            Entry::Vacant(slot) => {
                let decision = {
                    let _scope = self.closure_scope("compute");
                    f(None)
                };
                match decision {
                    Compute::Keep(r) | Compute::Remove(r) => r,
                    Compute::Insert(value, r) => {
                        slot.insert(value);
                        r
                    }
                }
            }
        }
    }

    /// Removes `key` if `remove` returns true for its value, returning the removed value.
    ///
    /// # Panics
    /// If `remove` calls into this map (see the type's docs).
    ///
    /// # Examples
    /// ```
    /// let map = glassmap::sync::ShardedMap::new();
    /// map.insert("k", 3);
    /// assert_eq!(map.remove_if("k", |v| *v > 5), None);
    /// assert_eq!(map.remove_if("k", |v| *v == 3), Some(3));
    /// ```
    pub fn remove_if<Q>(&self, key: &Q, remove: impl FnOnce(&V) -> bool) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.check_reentry("remove_if");
        let hash = self.hash(key);
        let mut map = self.shard(hash).write();
        let (_, value) = map.get_hashed(hash, key)?;
        let chosen = {
            let _scope = self.closure_scope("remove_if");
            remove(value)
        };
        if !chosen {
            return None;
        }
        map.remove_hashed(hash, key, &self.hash_builder)
            .map(|(_, v)| v)
    }

    /// Inserts every pair, grouped by shard: each shard that receives pairs is write-locked once,
    /// in index order (invariant 5), so batches never deadlock with each other. Within the batch
    /// a later pair for the same key wins. The batch is not atomic: other threads may see part
    /// of it.
    ///
    /// # Examples
    /// ```
    /// let map = glassmap::sync::ShardedMap::new();
    /// map.insert_batch((0..1000u32).map(|i| (i % 10, i)));
    /// assert_eq!(map.len(), 10);
    /// assert_eq!(map.get(&3), Some(993));
    /// ```
    pub fn insert_batch(&self, pairs: impl IntoIterator<Item = (K, V)>) {
        let mut grouped = Grouped::new(self.shards());
        for (key, value) in pairs {
            self.group(&mut grouped, Write::Insert(key, value));
        }
        self.apply(&mut grouped);
    }

    /// A consistent copy of the map: every shard is read-locked at once, in index order
    /// (invariant 5), while the entries are cloned into one [`Map`] with a clone of the hasher.
    /// Writers wait for the copy; readers do not.
    ///
    /// # Panics
    /// If `K::clone` or `V::clone` calls into this map.
    ///
    /// # Examples
    /// ```
    /// let map: glassmap::sync::ShardedMap<u32, u32> = (0..10).map(|i| (i, i)).collect();
    /// let copy = map.snapshot();
    /// map.clear();
    /// assert_eq!(copy.len(), 10);
    /// assert_eq!(copy[&7], 7);
    /// ```
    pub fn snapshot(&self) -> Map<K, V, S>
    where
        K: Clone,
        V: Clone,
        S: Clone,
    {
        self.with_all_read("snapshot", |maps| {
            let len = maps.iter().map(|map| map.len()).sum();
            let mut copy = Map::with_capacity_and_hasher(len, self.hash_builder.clone());
            for map in maps {
                for (k, v) in map.iter() {
                    copy.insert(k.clone(), v.clone());
                }
            }
            copy
        })
    }

    /// Shrinks every shard's bucket array as far as its length allows, one shard at a time.
    /// O(len).
    pub fn shrink_to_fit(&self) {
        self.check_reentry("shrink_to_fit");
        for shard in self.shards.iter() {
            shard.write().shrink_to_hashed(0, &self.hash_builder);
        }
    }

    /// Test support: panics if an engine invariant of any shard is broken, a key sits in the
    /// wrong shard (invariant 1) or a counter disagrees with its shard (invariant 2). O(len).
    #[doc(hidden)]
    pub fn assert_invariants(&self) {
        for (index, shard) in self.shards.iter().enumerate() {
            let map = shard.read();
            map.assert_invariants_hashed(&self.hash_builder);
            assert_eq!(map.len(), shard.len(), "shard {index}: counter != len");
            for (k, _) in map.iter() {
                assert_eq!(
                    self.shard_index(self.hash(k)),
                    index,
                    "key in the wrong shard"
                );
            }
        }
    }
}
