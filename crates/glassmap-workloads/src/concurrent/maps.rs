//! The maps under test, as types. Adding a map is one [`ConcurrentKind`] impl and its [`Handle`].

use std::hash::BuildHasher;
use std::sync::RwLock;

use super::mix::Mix;

/// A hasher builder every map can share across threads.
pub trait SharedHasher: BuildHasher + Clone + Send + Sync + 'static {}

impl<S: BuildHasher + Clone + Send + Sync + 'static> SharedHasher for S {}

/// One thread's access to a map (for papaya, a pinned guard held for the whole run).
#[allow(clippy::len_without_is_empty)] // `len` only checks a finished run
pub trait Handle {
    /// Looks `key` up; true if found.
    fn read(&mut self, key: u64) -> bool;
    /// Inserts a key that is not in the map.
    fn insert(&mut self, key: u64, value: u64);
    /// Removes `key`; true if it was present.
    fn remove(&mut self, key: u64) -> bool;
    /// Replaces the value of `key` if present; true if it was.
    fn update(&mut self, key: u64, value: u64) -> bool;
    /// Entries in the map (read once, after a run, to check it).
    fn len(&mut self) -> usize;
}

/// One kind of concurrent map, for any hasher.
pub trait ConcurrentKind {
    /// Name on the command line and in reports.
    const NAME: &'static str;
    /// One line for help and reports.
    const ABOUT: &'static str;
    /// The map with hasher builder `S`.
    type Map<S: SharedHasher>: Sync;
    /// A thread's handle on a map.
    type Handle<'a, S: SharedHasher>: Handle;

    /// An empty map with room for `capacity` entries (`0`: no hint).
    fn with_capacity_and_hasher<S: SharedHasher>(capacity: usize, hasher: S) -> Self::Map<S>;

    /// The calling thread's handle.
    fn handle<S: SharedHasher>(map: &Self::Map<S>) -> Self::Handle<'_, S>;

    /// Inserts `keys` (mapped to themselves) before the timed run; by default one insert at a time.
    fn prefill<S: SharedHasher>(map: &Self::Map<S>, keys: &[u64]) {
        let mut handle = Self::handle(map);
        for &key in keys {
            handle.insert(key, key);
        }
    }

    /// Why this map is not run on `mix`, if it is not (for example a map that copies itself on every write,
    /// on a write-heavy mix).
    fn unsuited(mix: Mix) -> Option<&'static str> {
        let _ = mix;
        None
    }
}

/// dashmap 6: RwLock shards, each a hashbrown table rehashed whole under its write lock.
#[derive(Debug)]
pub struct Dashmap;

impl ConcurrentKind for Dashmap {
    const NAME: &'static str = "dashmap";
    const ABOUT: &'static str = "dashmap::DashMap (RwLock shards, whole-shard rehash)";
    type Map<S: SharedHasher> = dashmap::DashMap<u64, u64, S>;
    type Handle<'a, S: SharedHasher> = &'a dashmap::DashMap<u64, u64, S>;
    fn with_capacity_and_hasher<S: SharedHasher>(capacity: usize, hasher: S) -> Self::Map<S> {
        dashmap::DashMap::with_capacity_and_hasher(capacity, hasher)
    }
    fn handle<S: SharedHasher>(map: &Self::Map<S>) -> Self::Handle<'_, S> {
        map
    }
}

impl<S: SharedHasher> Handle for &dashmap::DashMap<u64, u64, S> {
    fn read(&mut self, key: u64) -> bool {
        self.get(&key).is_some()
    }
    fn insert(&mut self, key: u64, value: u64) {
        dashmap::DashMap::insert(self, key, value);
    }
    fn remove(&mut self, key: u64) -> bool {
        dashmap::DashMap::remove(self, &key).is_some()
    }
    fn update(&mut self, key: u64, value: u64) -> bool {
        self.get_mut(&key).map(|mut v| *v = value).is_some()
    }
    fn len(&mut self) -> usize {
        dashmap::DashMap::len(self)
    }
}

/// papaya 0.2: lock-free reads, incremental resize, epoch-style reclamation; one guard pinned per thread.
#[derive(Debug)]
pub struct Papaya;

impl ConcurrentKind for Papaya {
    const NAME: &'static str = "papaya";
    const ABOUT: &'static str =
        "papaya::HashMap (lock-free reads, incremental resize; guard pinned per thread)";
    type Map<S: SharedHasher> = papaya::HashMap<u64, u64, S>;
    type Handle<'a, S: SharedHasher> = papaya::HashMapRef<'a, u64, u64, S, papaya::LocalGuard<'a>>;
    fn with_capacity_and_hasher<S: SharedHasher>(capacity: usize, hasher: S) -> Self::Map<S> {
        papaya::HashMap::with_capacity_and_hasher(capacity, hasher)
    }
    fn handle<S: SharedHasher>(map: &Self::Map<S>) -> Self::Handle<'_, S> {
        map.pin()
    }
}

impl<S: SharedHasher> Handle for papaya::HashMapRef<'_, u64, u64, S, papaya::LocalGuard<'_>> {
    fn read(&mut self, key: u64) -> bool {
        self.get(&key).is_some()
    }
    fn insert(&mut self, key: u64, value: u64) {
        papaya::HashMapRef::insert(self, key, value);
    }
    fn remove(&mut self, key: u64) -> bool {
        papaya::HashMapRef::remove(self, &key).is_some()
    }
    fn update(&mut self, key: u64, value: u64) -> bool {
        papaya::HashMapRef::update(self, key, |_| value).is_some()
    }
    fn len(&mut self) -> usize {
        papaya::HashMapRef::len(self)
    }
}

/// papaya 0.2 with a guard pinned for each operation (what a caller without a long-lived guard pays).
#[derive(Debug)]
pub struct PapayaPerOp;

impl ConcurrentKind for PapayaPerOp {
    const NAME: &'static str = "papaya-op-guard";
    const ABOUT: &'static str = "papaya::HashMap with a guard pinned for each operation";
    type Map<S: SharedHasher> = papaya::HashMap<u64, u64, S>;
    type Handle<'a, S: SharedHasher> = &'a papaya::HashMap<u64, u64, S>;
    fn with_capacity_and_hasher<S: SharedHasher>(capacity: usize, hasher: S) -> Self::Map<S> {
        papaya::HashMap::with_capacity_and_hasher(capacity, hasher)
    }
    fn handle<S: SharedHasher>(map: &Self::Map<S>) -> Self::Handle<'_, S> {
        map
    }
}

impl<S: SharedHasher> Handle for &papaya::HashMap<u64, u64, S> {
    fn read(&mut self, key: u64) -> bool {
        self.pin().get(&key).is_some()
    }
    fn insert(&mut self, key: u64, value: u64) {
        self.pin().insert(key, value);
    }
    fn remove(&mut self, key: u64) -> bool {
        self.pin().remove(&key).is_some()
    }
    fn update(&mut self, key: u64, value: u64) -> bool {
        self.pin().update(key, |_| value).is_some()
    }
    fn len(&mut self) -> usize {
        papaya::HashMap::len(self)
    }
}

/// scc 3: fine-grained bucket locks, incremental resize.
#[derive(Debug)]
pub struct Scc;

impl ConcurrentKind for Scc {
    const NAME: &'static str = "scc";
    const ABOUT: &'static str = "scc::HashMap (bucket locks, incremental resize)";
    type Map<S: SharedHasher> = scc::HashMap<u64, u64, S>;
    type Handle<'a, S: SharedHasher> = &'a scc::HashMap<u64, u64, S>;
    fn with_capacity_and_hasher<S: SharedHasher>(capacity: usize, hasher: S) -> Self::Map<S> {
        scc::HashMap::with_capacity_and_hasher(capacity, hasher)
    }
    fn handle<S: SharedHasher>(map: &Self::Map<S>) -> Self::Handle<'_, S> {
        map
    }
}

impl<S: SharedHasher> Handle for &scc::HashMap<u64, u64, S> {
    fn read(&mut self, key: u64) -> bool {
        self.read_sync(&key, |_, v| *v).is_some()
    }
    fn insert(&mut self, key: u64, value: u64) {
        let _ = self.insert_sync(key, value);
    }
    fn remove(&mut self, key: u64) -> bool {
        self.remove_sync(&key).is_some()
    }
    fn update(&mut self, key: u64, value: u64) -> bool {
        self.update_sync(&key, |_, v| *v = value).is_some()
    }
    fn len(&mut self) -> usize {
        scc::HashMap::len(self)
    }
}

/// What people write first: one `RwLock` around a hashbrown map.
#[derive(Debug)]
pub struct LockedHashbrown;

impl ConcurrentKind for LockedHashbrown {
    const NAME: &'static str = "rwlock-hashbrown";
    const ABOUT: &'static str = "std RwLock<hashbrown::HashMap> (one lock, whole-table rehash)";
    type Map<S: SharedHasher> = RwLock<hashbrown::HashMap<u64, u64, S>>;
    type Handle<'a, S: SharedHasher> = &'a RwLock<hashbrown::HashMap<u64, u64, S>>;
    fn with_capacity_and_hasher<S: SharedHasher>(capacity: usize, hasher: S) -> Self::Map<S> {
        RwLock::new(hashbrown::HashMap::with_capacity_and_hasher(
            capacity, hasher,
        ))
    }
    fn handle<S: SharedHasher>(map: &Self::Map<S>) -> Self::Handle<'_, S> {
        map
    }
}

impl<S: SharedHasher> Handle for &RwLock<hashbrown::HashMap<u64, u64, S>> {
    fn read(&mut self, key: u64) -> bool {
        RwLock::read(self)
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&key)
    }
    fn insert(&mut self, key: u64, value: u64) {
        RwLock::write(self)
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, value);
    }
    fn remove(&mut self, key: u64) -> bool {
        RwLock::write(self)
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key)
            .is_some()
    }
    fn update(&mut self, key: u64, value: u64) -> bool {
        let mut map = RwLock::write(self).unwrap_or_else(|e| e.into_inner());
        map.get_mut(&key).map(|v| *v = value).is_some()
    }
    fn len(&mut self) -> usize {
        RwLock::read(self).unwrap_or_else(|e| e.into_inner()).len()
    }
}
