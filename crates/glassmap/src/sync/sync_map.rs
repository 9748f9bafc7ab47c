//! [`SyncMap`]: Go's `sync.Map` (Go 1.9-1.23, `src/sync/map.go`; spec §3), on glassmap's [`Map`].
//!
//! # Invariants (Go's, numbered for the code below)
//! 1. The read map is published whole through an atomic pointer and never mutated once published;
//!    only its entries change, each through its own atomic pointer (`entry.rs`). It is replaced only
//!    with the mutex held. Its `amended` flag only goes from false to true (with the mutex held,
//!    before the first key the read map lacks enters the dirty map); a new read map starts false.
//! 2. When the dirty map exists it holds every non-expunged entry of the read map (the same
//!    `Arc<Entry>`), plus the keys the read map lacks. So promoting it is a pointer swap.
//! 3. An entry is `Expunged` only if the dirty map exists and lacks it (`entry.rs`); the lock-free
//!    paths never store into an expunged entry, and the locked paths un-expunge an entry and put it
//!    back into the dirty map in one critical section.
//! 4. `misses` counts the locked lookups since the last promotion; once it reaches the dirty map's
//!    length the dirty map becomes the read map (Go's `missLocked`).
//! 5. `live` changes by one on every successful transition between a value-holding and a value-less
//!    state, after its CAS: it is exact whenever no write is in flight.

mod entry;

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::Arc;

use self::entry::{Attempt, Entry, Tombs};
use crate::sync::shim::{AtomicArc, AtomicBool, AtomicIsize, Mutex, MutexGuard, lock};
use crate::{Map, RandomState};

/// A concurrent map after Go's `sync.Map`: lock-free reads of settled keys through an immutable,
/// atomically published read map; new keys in a mutex-guarded dirty map that is promoted to be the
/// read map once enough reads have missed.
///
/// Values are handed out as [`Arc<V>`]; no guard or borrow escapes a method.
///
/// # When to use it, and when not
/// Go's documentation names the two cases it is built for, and they hold here:
/// 1. keys written once and read many times (caches that only grow), and
/// 2. threads reading, writing and overwriting the values of **disjoint** key sets.
///
/// There, loads of keys in the read map take no lock, write no shared cache line (the returned
/// `Arc`'s count aside; [`load_with`](SyncMap::load_with) touches no count at all) and scale with
/// the cores. Stores to keys already in the read map take no lock either. Everything else (a new
/// key, a key deleted and stored again after a rebuild, reads of keys not yet promoted) takes the
/// mutex, and the first new key after a promotion copies the whole read map into a fresh dirty map:
/// a workload that keeps adding and deleting keys pays an O(n) copy per promotion cycle. For such
/// mixed workloads use a sharded map (`glassmap::sync::ShardedMap`) or a `RwLock<Map>`.
///
/// Measured (README, `benches/sync_map.rs`, a 2-core VM): a read-map hit costs about 2.3x a plain
/// [`Map::get`] with `load_with` (two arc-swap loads, about 9 ns each) and 3.2x with `load`; a store
/// to a settled key about 200 ns. In those runs `RwLock<Map>` and dashmap were faster in every
/// workload, including Go's LoadMostlyHits at two threads: prefer them unless you need `SyncMap`'s
/// API or its behaviour under heavy write contention on the lock.
///
/// # Consistency
/// Every single-key method is linearizable (tested with a linearizability checker over recorded
/// histories). [`range`](SyncMap::range) is not a snapshot: each key is visited at most once, and
/// the value seen for it may be from any moment during the call. [`len`](SyncMap::len) is exact
/// while no write is in flight; see its documentation.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use std::thread;
/// use glassmap::sync::SyncMap;
///
/// let cache: Arc<SyncMap<u64, String>> = Arc::new(SyncMap::new());
/// for i in 0..4 {
///     cache.store(i, format!("value {i}"));
/// }
/// let readers: Vec<_> = (0..2)
///     .map(|_| {
///         let cache = Arc::clone(&cache);
///         thread::spawn(move || (0..4).filter(|k| cache.load_with(k, |v| v.len()).is_some()).count())
///     })
///     .collect();
/// for reader in readers {
///     assert_eq!(reader.join().unwrap(), 4);
/// }
/// assert_eq!(cache.load_or_store(9, "nine".into()), (Arc::new("nine".to_string()), false));
/// assert!(cache.compare_and_swap(&9, &"nine".into(), "NINE".into()));
/// assert_eq!(cache.load_and_delete(&9).as_deref().map(String::as_str), Some("NINE"));
/// assert_eq!(cache.len(), 4);
/// println!("{:?}", cache.stats()); // misses, promotions, read/dirty lengths, expunged entries
/// ```
pub struct SyncMap<K, V, S = RandomState> {
    /// The read map (invariant 1).
    read: AtomicArc<ReadOnly<K, V, S>>,
    /// The dirty map and miss counter, guarded (Go's `mu`, `dirty`, `misses`).
    locked: Mutex<Dirty<K, V, S>>,
    /// Values present (invariant 5); may dip below zero while writes race.
    live: AtomicIsize,
    tombs: Tombs<V>,
    hash_builder: S,
}

/// A map from key to shared entry.
type Entries<K, V, S> = Map<K, Arc<Entry<V>>, S>;

/// Go's `readOnly`.
struct ReadOnly<K, V, S> {
    map: Entries<K, V, S>,
    /// True when the dirty map holds a key `map` lacks (invariant 1).
    amended: AtomicBool,
}

/// What the mutex guards.
struct Dirty<K, V, S> {
    /// Go's `dirty`; `None` is Go's `nil` ("not built since the last promotion").
    map: Option<Entries<K, V, S>>,
    misses: usize,
    promotions: u64,
    dirty_builds: u64,
}

/// A look inside a [`SyncMap`] (the glass case Go never exposed), from [`SyncMap::stats`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncMapStats {
    /// [`SyncMap::len`] at the time of the call.
    pub len: usize,
    /// Keys in the read map, including entries whose value was deleted or expunged.
    pub read_len: usize,
    /// Keys in the dirty map, or `None` when it has not been built since the last promotion.
    pub dirty_len: Option<usize>,
    /// Whether the dirty map holds keys the read map lacks (Go's `amended`).
    pub amended: bool,
    /// Locked lookups since the last promotion (Go's `misses`).
    pub misses: usize,
    /// Times the dirty map became the read map (by misses or by `range`).
    pub promotions: u64,
    /// Times the dirty map was rebuilt by copying the read map (Go's `dirtyLocked`).
    pub dirty_builds: u64,
    /// Read-map entries in the expunged state: deleted keys that will disappear at the next
    /// promotion. Counting them walks the read map (O(n)).
    pub expunged: usize,
}

impl<K, V, S> ReadOnly<K, V, S> {
    fn new(map: Entries<K, V, S>) -> Self {
        ReadOnly {
            map,
            amended: AtomicBool::new(false),
        }
    }

    fn amended(&self) -> bool {
        self.amended.load(Acquire)
    }
}

impl<K, V> SyncMap<K, V, RandomState> {
    /// An empty map.
    pub fn new() -> Self {
        Self::with_hasher(RandomState::new())
    }
}

impl<K, V, S: Default + Clone> Default for SyncMap<K, V, S> {
    fn default() -> Self {
        Self::with_hasher(S::default())
    }
}

impl<K, V, S: Clone> SyncMap<K, V, S> {
    /// An empty map whose read and dirty maps hash with clones of `hash_builder`.
    pub fn with_hasher(hash_builder: S) -> Self {
        SyncMap {
            read: AtomicArc::new(Arc::new(ReadOnly::new(Map::with_hasher(
                hash_builder.clone(),
            )))),
            locked: Mutex::new(Dirty {
                map: None,
                misses: 0,
                promotions: 0,
                dirty_builds: 0,
            }),
            live: AtomicIsize::new(0),
            tombs: Tombs::new(),
            hash_builder,
        }
    }

    /// The number of keys with a value.
    ///
    /// Go's `sync.Map` has no length; this one keeps a counter that every write changing whether
    /// a key has a value adjusts right after its atomic step (invariant 5). With no write in
    /// flight it is exact. While writes run it may lag each in-flight write by one (so it is within
    /// the number of concurrent writers of some exact count), and it is never negative. It counts
    /// values, not keys in the read or dirty maps (see [`stats`](SyncMap::stats) for those).
    pub fn len(&self) -> usize {
        usize::try_from(self.live.load(Relaxed)).unwrap_or(0)
    }

    /// Whether [`len`](SyncMap::len) is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Dirty<K, V, S>> {
        lock(&self.locked)
    }
}

impl<K, V, S> SyncMap<K, V, S>
where
    K: Hash + Eq + Clone,
    S: BuildHasher + Clone,
{
    /// The value for `key`, if any. No lock when the key is in the read map.
    pub fn load<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(key, false, |entry| entry.with_value(Arc::clone))
            .flatten()
    }

    /// Calls `f` with the value for `key`, if any, and returns its result. When the key is in the
    /// read map this takes no lock and writes no shared memory at all (no reference count).
    pub fn load_with<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(key, false, |entry| entry.with_value(|v| f(&**v)))
            .flatten()
    }

    /// Sets the value for `key`.
    pub fn store(&self, key: K, value: V) {
        drop(self.swap(key, value));
    }

    /// Sets the value for `key`, returning the previous one. No lock when the key is in the read
    /// map and not expunged.
    pub fn swap(&self, key: K, value: V) -> Option<Arc<V>> {
        let value = Arc::new(value);
        {
            let read = self.read.load();
            if let Some(entry) = read.map.get(&key)
                && let Attempt::Done(previous) = entry.try_swap(&value, &self.live)
            {
                return previous;
            }
        }
        let mut locked = self.lock();
        let read = self.read.load();
        if let Some(entry) = read.map.get(&key) {
            self.unexpunge_locked(&mut locked, &key, entry);
            entry.swap_locked(&value, &self.live)
        } else if let Some(entry) = locked.map.as_ref().and_then(|dirty| dirty.get(&key)) {
            entry.swap_locked(&value, &self.live)
        } else {
            self.insert_new_locked(&mut locked, &read, key, value);
            None
        }
    }

    /// The existing value for `key` and `true`, or stores `value` and returns it with `false`.
    pub fn load_or_store(&self, key: K, value: V) -> (Arc<V>, bool) {
        let value = Arc::new(value);
        self.load_or_store_inner(key, &mut || Arc::clone(&value))
    }

    /// As [`load_or_store`](SyncMap::load_or_store), building the value only if the key has none
    /// (Go lacks this form). `make` runs at most once, and not at all when a value is found; it
    /// may run even if another thread's value wins the race, which is then returned instead.
    pub fn load_or_store_with(&self, key: K, make: impl FnOnce() -> V) -> (Arc<V>, bool) {
        let mut make = Some(make);
        let mut made: Option<Arc<V>> = None;
        self.load_or_store_inner(key, &mut || {
            Arc::clone(made.get_or_insert_with(|| {
                Arc::new(make.take().expect("memoised after the first call")())
            }))
        })
    }

    fn load_or_store_inner(&self, key: K, make: &mut dyn FnMut() -> Arc<V>) -> (Arc<V>, bool) {
        {
            let read = self.read.load();
            if let Some(entry) = read.map.get(&key)
                && let Attempt::Done(result) = entry.try_load_or_store(make, &self.live)
            {
                return result;
            }
        }
        let mut locked = self.lock();
        let read = self.read.load();
        if let Some(entry) = read.map.get(&key) {
            self.unexpunge_locked(&mut locked, &key, entry);
            match entry.try_load_or_store(make, &self.live) {
                Attempt::Done(result) => result,
                Attempt::Expunged => unreachable!("un-expunged above, with the mutex held"),
            }
        } else if let Some(entry) = locked.map.as_ref().and_then(|dirty| dirty.get(&key)) {
            let result = match entry.try_load_or_store(make, &self.live) {
                Attempt::Done(result) => result,
                Attempt::Expunged => unreachable!("dirty entries are never expunged (invariant 3)"),
            };
            self.miss_locked(&mut locked);
            result
        } else {
            let value = make();
            self.insert_new_locked(&mut locked, &read, key, Arc::clone(&value));
            (value, false)
        }
    }

    /// Removes the value for `key`, returning it.
    pub fn load_and_delete<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(key, true, |entry| entry.delete(&self.tombs, &self.live))
            .flatten()
    }

    /// Removes the value for `key`.
    pub fn delete<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        drop(self.load_and_delete(key));
    }

    /// Replaces the value for `key` with `new` if it equals `expected`. False when the key has no
    /// value (as Go since golang/go#51972).
    pub fn compare_and_swap<Q>(&self, key: &Q, expected: &V, new: V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        let new = Arc::new(new);
        {
            let read = self.read.load();
            if let Some(entry) = read.map.get(key) {
                return entry.compare_and_swap(expected, &new, &self.live);
            }
            if !read.amended() {
                return false;
            }
        }
        let mut locked = self.lock();
        let read = self.read.load();
        if let Some(entry) = read.map.get(key) {
            entry.compare_and_swap(expected, &new, &self.live)
        } else if let Some(entry) = locked.map.as_ref().and_then(|dirty| dirty.get(key)) {
            let swapped = entry.compare_and_swap(expected, &new, &self.live);
            self.miss_locked(&mut locked);
            swapped
        } else {
            false
        }
    }

    /// Removes the value for `key` if it equals `expected`. False when the key has no value.
    pub fn compare_and_delete<Q>(&self, key: &Q, expected: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        self.find(key, false, |entry| {
            entry.compare_and_delete(expected, &self.tombs, &self.live)
        })
        .unwrap_or(false)
    }

    /// Calls `f` on each key and value until it returns `false`.
    ///
    /// Not a snapshot: each key is visited at most once, and the value seen for it may be from any
    /// moment during the call; keys stored during the call may or may not be visited. The mutex is
    /// never held while `f` runs, so `f` may call any method of the map. If the dirty map holds keys
    /// the read map lacks, it is promoted first (Go does the same: the walk is O(n) anyway).
    pub fn range(&self, mut f: impl FnMut(&K, &V) -> bool) {
        let mut read = self.read.load().into_arc();
        if read.amended() {
            let mut locked = self.lock();
            read = self.read.load().into_arc();
            if read.amended() {
                self.promote_locked(&mut locked);
                read = self.read.load().into_arc();
            }
        }
        for (key, entry) in &read.map {
            if entry.with_value(|value| f(key, &**value)) == Some(false) {
                break;
            }
        }
    }

    /// Removes every value.
    ///
    /// Entries that other threads still hold (from a read map they loaded earlier) are retired to
    /// the expunged state, so a write racing with `clear` either lands before it (and is cleared)
    /// or after it (in the new, empty map): none is lost into a map no longer reachable.
    pub fn clear(&self) {
        {
            let read = self.read.load();
            if read.map.is_empty() && !read.amended() {
                return;
            }
        }
        let mut locked = self.lock();
        let read = self.read.load();
        for entry in read.map.values() {
            entry.retire_locked(&self.tombs, &self.live);
        }
        if let Some(dirty) = &mut locked.map {
            for entry in dirty.values() {
                entry.retire_locked(&self.tombs, &self.live);
            }
            dirty.clear();
        }
        self.read.store(Arc::new(ReadOnly::new(Map::with_hasher(
            self.hash_builder.clone(),
        ))));
        locked.misses = 0;
    }

    /// Counters and sizes of the read and dirty maps. Takes the mutex and walks the read map.
    pub fn stats(&self) -> SyncMapStats {
        let locked = self.lock();
        let read = self.read.load();
        SyncMapStats {
            len: self.len(),
            read_len: read.map.len(),
            dirty_len: locked.map.as_ref().map(Map::len),
            amended: read.amended(),
            misses: locked.misses,
            promotions: locked.promotions,
            dirty_builds: locked.dirty_builds,
            expunged: read.map.values().filter(|e| e.is_expunged()).count(),
        }
    }

    /// Go's lookup shared by `Load`, `LoadAndDelete` and `CompareAndDelete`: the read map without
    /// a lock; on a miss, if the dirty map has more keys, the dirty map under the mutex, counting a
    /// miss (and removing the key from the dirty map when `remove`). `f` runs without the mutex.
    fn find<Q, R>(&self, key: &Q, remove: bool, f: impl FnOnce(&Entry<V>) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entry = {
            let read = self.read.load();
            if let Some(entry) = read.map.get(key) {
                return Some(f(entry));
            }
            if !read.amended() {
                return None;
            }
            let mut locked = self.lock();
            // Re-load: a promotion may have happened while this thread waited (avoids a
            // spurious miss, as Go).
            let read = self.read.load();
            match read.map.get(key) {
                Some(entry) => Arc::clone(entry),
                None if read.amended() => {
                    let dirty = locked.map.as_mut();
                    let found = if remove {
                        dirty.and_then(|dirty| dirty.remove(key))
                    } else {
                        dirty.and_then(|dirty| dirty.get(key).cloned())
                    };
                    self.miss_locked(&mut locked);
                    found?
                }
                None => return None,
            }
        };
        Some(f(&entry))
    }

    /// Go's `missLocked` (invariant 4).
    fn miss_locked(&self, locked: &mut Dirty<K, V, S>) {
        locked.misses += 1;
        if locked.misses >= locked.map.as_ref().map_or(0, Map::len) {
            self.promote_locked(locked);
        }
    }

    /// Publishes the dirty map as the read map (invariants 1 and 2 make this a pointer swap).
    fn promote_locked(&self, locked: &mut Dirty<K, V, S>) {
        let Some(dirty) = locked.map.take() else {
            // No dirty map means nothing beyond the read map: nothing to promote.
            return;
        };
        self.read.store(Arc::new(ReadOnly::new(dirty)));
        locked.misses = 0;
        locked.promotions += 1;
    }

    /// Puts an expunged read-map entry back into the dirty map before a value is stored into it
    /// (Go's `unexpungeLocked` and `m.dirty[key] = e`; invariant 3).
    fn unexpunge_locked(&self, locked: &mut Dirty<K, V, S>, key: &K, entry: &Arc<Entry<V>>) {
        if entry.unexpunge_locked(&self.tombs, &self.live) {
            locked
                .map
                .as_mut()
                .expect("an expunged entry implies a dirty map (invariant 3)")
                .insert(key.clone(), Arc::clone(entry));
        }
    }

    /// A key neither map holds: build the dirty map if needed, mark the read map amended, insert.
    fn insert_new_locked(
        &self,
        locked: &mut Dirty<K, V, S>,
        read: &ReadOnly<K, V, S>,
        key: K,
        value: Arc<V>,
    ) {
        if !read.amended() {
            self.build_dirty_locked(locked, read);
            read.amended.store(true, Release);
        }
        let entry = Arc::new(Entry::new(value, &self.live));
        locked
            .map
            .as_mut()
            .expect("built above or already amended")
            .insert(key, entry);
    }

    /// Go's `dirtyLocked`: copy the read map's entries into a new dirty map, expunging the
    /// deleted ones so they are left behind (invariants 2 and 3).
    fn build_dirty_locked(&self, locked: &mut Dirty<K, V, S>, read: &ReadOnly<K, V, S>) {
        if locked.map.is_some() {
            return;
        }
        let mut dirty = Map::with_capacity_and_hasher(read.map.len(), self.hash_builder.clone());
        for (key, entry) in &read.map {
            if !entry.try_expunge_locked(&self.tombs, &self.live) {
                dirty.insert(key.clone(), Arc::clone(entry));
            }
        }
        locked.map = Some(dirty);
        locked.dirty_builds += 1;
    }
}

impl<K, V, S> fmt::Debug for SyncMap<K, V, S>
where
    K: Hash + Eq + Clone + fmt::Debug,
    V: fmt::Debug,
    S: BuildHasher + Clone,
{
    /// The entries as a map, gathered with [`range`](SyncMap::range) (so not a snapshot).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        self.range(|k, v| {
            map.entry(k, v);
            true
        });
        map.finish()
    }
}
