//! [`SnapshotMap`]: a whole [`Map`] replaced atomically on every change (copy-on-write), the Rust
//! form of Go's "map in an `atomic.Value`" pattern.
//!
//! # Invariants
//! 1. The published map is never mutated: writers clone it (structural clone, no rehash), change
//!    the clone and publish it with one atomic pointer swap. So every reader sees one whole version.
//! 2. Writers are serialised by a mutex (held while copying, applying and publishing), so no
//!    update is lost; readers never take it.
//! 3. A version lives while a [`Snapshot`] of it exists or it is the current one, and is dropped
//!    by whichever of those goes last (reference counting through the publication pointer).

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::ops::Deref;
use std::sync::Arc;

use crate::sync::shim::{AtomicArc, CachedArc, Loaded, Mutex, lock};
use crate::{Map, RandomState};

/// A map read without locks and changed by publishing a new version: every reader sees one
/// whole, consistent [`Map`]; a writer copies the current map, changes the copy and publishes it
/// atomically.
///
/// # When to use it, and when not
/// For data read everywhere and changed rarely (configuration, routing tables, feature flags): a
/// read is a [`Map`] lookup through an atomic pointer, never waits for a writer and never sees
/// half an update. Every change copies the whole map (O(n) in its size, made cheap by `Map`'s
/// structural [`Clone`]; use [`apply_batch`](SnapshotMap::apply_batch) or one
/// [`update`](SnapshotMap::update) for many changes at once). For maps written often, use a
/// sharded map or [`SyncMap`](super::SyncMap).
///
/// Measured (README, a 2-core VM): [`SnapshotMap::reader`] reads at 1.0-1.3x the cost of
/// [`Map::get`] on the same map, `load().get()` at about 2x; a reader thread made no voluntary
/// context switch in 5M reads while a version was published every millisecond; `update` on 256K
/// entries takes about 5 ms.
///
/// # Examples
/// ```
/// use glassmap::Map;
/// use glassmap::sync::SnapshotMap;
///
/// let routes = SnapshotMap::new(Map::from([("/", "index"), ("/about", "about")]));
/// let before = routes.load(); // a whole version, kept alive by this handle
/// routes.update(|map| {
///     map.insert("/blog", "blog");
///     map.remove("/about");
/// });
/// assert_eq!(before.len(), 2); // the old version is unchanged
/// assert_eq!(routes.get("/blog"), Some("blog"));
/// assert_eq!(routes.load().get("/about"), None);
///
/// // A panicking update publishes nothing.
/// let result = std::panic::catch_unwind(|| routes.update(|map| {
///     map.clear();
///     panic!("validation failed");
/// }));
/// assert!(result.is_err());
/// assert_eq!(routes.load().len(), 2);
/// ```
pub struct SnapshotMap<K, V, S = RandomState> {
    current: AtomicArc<Map<K, V, S>>,
    /// Serialises writers (invariant 2).
    writer: Mutex<()>,
}

/// One version of a [`SnapshotMap`]: dereferences to the whole [`Map`] and keeps it alive.
///
/// Cheap to take and meant to be short-lived (the first few per thread take no reference count;
/// [`Snapshot::into_arc`] gives an owned `Arc` for long-lived use).
pub struct Snapshot<K, V, S = RandomState> {
    version: Loaded<Map<K, V, S>>,
}

impl<K, V, S> Deref for Snapshot<K, V, S> {
    type Target = Map<K, V, S>;
    #[inline]
    fn deref(&self) -> &Map<K, V, S> {
        &self.version
    }
}

impl<K, V, S> Snapshot<K, V, S> {
    /// The version as an owned `Arc`.
    pub fn into_arc(self) -> Arc<Map<K, V, S>> {
        self.version.into_arc()
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for Snapshot<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A reader's handle on a [`SnapshotMap`] (from [`SnapshotMap::reader`]) for hot read loops: it
/// keeps the version it last saw and checks it is still current with one atomic load, so a read
/// writes no shared memory at all ([`SnapshotMap::load`] writes a thread-local slot per call).
///
/// The version it saw last stays alive until the next [`load`](SnapshotReader::load) after a
/// newer one is published, or until the reader is dropped.
///
/// ```
/// use glassmap::Map;
/// use glassmap::sync::SnapshotMap;
///
/// let config = SnapshotMap::new(Map::from([("retries", 3)]));
/// let mut reader = config.reader();
/// assert_eq!(reader.load().get("retries"), Some(&3));
/// config.update(|m| m.insert("retries", 5));
/// assert_eq!(reader.load().get("retries"), Some(&5));
/// ```
pub struct SnapshotReader<'a, K, V, S = RandomState> {
    cache: CachedArc<'a, Map<K, V, S>>,
}

impl<K, V, S> SnapshotReader<'_, K, V, S> {
    /// The current version.
    #[inline]
    pub fn load(&mut self) -> &Map<K, V, S> {
        self.cache.load()
    }
}

impl<K, V, S> fmt::Debug for SnapshotReader<'_, K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SnapshotReader").finish_non_exhaustive()
    }
}

/// One change for [`SnapshotMap::apply_batch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotOp<K, V> {
    /// Insert or replace the value for a key.
    Insert(K, V),
    /// Remove a key.
    Remove(K),
}

impl<K, V, S> SnapshotMap<K, V, S> {
    /// A map whose first version is `map`.
    pub fn new(map: Map<K, V, S>) -> Self {
        SnapshotMap {
            current: AtomicArc::new(Arc::new(map)),
            writer: Mutex::new(()),
        }
    }

    /// The current version. Takes no lock and never waits for a writer.
    #[inline]
    pub fn load(&self) -> Snapshot<K, V, S> {
        Snapshot {
            version: self.current.load(),
        }
    }

    /// A handle for a reader that loads often: see [`SnapshotReader`].
    pub fn reader(&self) -> SnapshotReader<'_, K, V, S> {
        SnapshotReader {
            cache: self.current.cached(),
        }
    }

    /// Publishes `map` as the new version.
    pub fn store(&self, map: Map<K, V, S>) {
        drop(self.swap(map));
    }

    /// Publishes `map` as the new version and returns the previous one.
    pub fn swap(&self, map: Map<K, V, S>) -> Snapshot<K, V, S> {
        let _writer = lock(&self.writer);
        Snapshot {
            version: Loaded::from_arc(self.current.swap(Arc::new(map))),
        }
    }
}

impl<K, V, S> SnapshotMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    /// A clone of the value for `key` in the current version.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.current.load().get(key).cloned()
    }
}

impl<K: Clone, V: Clone, S: Clone> SnapshotMap<K, V, S> {
    /// Copies the current version, applies `f` to the copy and publishes it; returns `f`'s result.
    ///
    /// Writers are serialised, so concurrent updates all apply, one after another. If `f` panics
    /// nothing is published (the copy is dropped) and the panic continues. O(n): the copy is a
    /// structural clone of the whole map.
    pub fn update<R>(&self, f: impl FnOnce(&mut Map<K, V, S>) -> R) -> R {
        let _writer = lock(&self.writer);
        let mut next = Map::clone(&self.current.load());
        let result = f(&mut next);
        self.current.store(Arc::new(next));
        result
    }
}

impl<K, V, S> SnapshotMap<K, V, S>
where
    K: Clone + Hash + Eq,
    V: Clone,
    S: Clone + BuildHasher,
{
    /// Applies many changes with one copy and one publication; returns how many changed the map
    /// (an insert always does; a remove does when the key was present).
    pub fn apply_batch(&self, ops: impl IntoIterator<Item = SnapshotOp<K, V>>) -> usize {
        self.update(|map| {
            let mut changed = 0;
            for op in ops {
                changed += usize::from(match op {
                    SnapshotOp::Insert(k, v) => {
                        map.insert(k, v);
                        true
                    }
                    SnapshotOp::Remove(k) => map.remove(&k).is_some(),
                });
            }
            changed
        })
    }
}

impl<K, V, S: Default> Default for SnapshotMap<K, V, S> {
    fn default() -> Self {
        Self::new(Map::default())
    }
}

impl<K, V, S> From<Map<K, V, S>> for SnapshotMap<K, V, S> {
    fn from(map: Map<K, V, S>) -> Self {
        Self::new(map)
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for SnapshotMap<K, V, S> {
    /// The current version.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SnapshotMap").field(&self.load()).finish()
    }
}
