//! One shard: a glassmap [`Map`] behind a reader-writer lock, with a length counter readable
//! without the lock, alone on its cache lines.
//!
//! The lock is std's `RwLock` (futex-based on Linux); see ARCHITECTURE.md, "concurrent layer",
//! for the measurement against parking_lot. A lock poisoned by a panic in user code (a closure, a
//! `Hash`/`Eq`/`Clone`) is recovered on the next acquisition: the engine is panic-safe, so the
//! map behind it is consistent (sharded invariant 3).

use core::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::Map;

/// The map of a shard. It has no hasher of its own: the [`ShardedMap`](super::ShardedMap)'s
/// single hasher is passed to every call that may move entries (sharded invariant 1).
pub(super) type ShardMap<K, V> = Map<K, V, ()>;

/// A shard, aligned to 128 bytes so that two shards never share a cache line or an
/// adjacent-line prefetch pair (the padding crossbeam's `CachePadded` uses on x86-64).
#[repr(align(128))]
pub(super) struct Shard<K, V> {
    map: RwLock<ShardMap<K, V>>,
    /// `map.len()` as of the last write guard's release (sharded invariant 2).
    len: AtomicUsize,
}

impl<K, V> Shard<K, V> {
    pub(super) fn new(map: ShardMap<K, V>) -> Self {
        Shard {
            len: AtomicUsize::new(map.len()),
            map: RwLock::new(map),
        }
    }

    /// The shard's length as of the last completed write.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Read-locks the shard, recovering the lock if a panic poisoned it.
    #[inline]
    pub(super) fn read(&self) -> RwLockReadGuard<'_, ShardMap<K, V>> {
        self.map.read().unwrap_or_else(|poisoned| {
            self.map.clear_poison();
            poisoned.into_inner()
        })
    }

    /// Write-locks the shard, recovering the lock if a panic poisoned it.
    #[inline]
    pub(super) fn write(&self) -> ShardWrite<'_, K, V> {
        let guard = self.map.write().unwrap_or_else(|poisoned| {
            self.map.clear_poison();
            poisoned.into_inner()
        });
        ShardWrite {
            guard,
            len: &self.len,
        }
    }

    /// The map, consuming the shard.
    pub(super) fn into_inner(self) -> ShardMap<K, V> {
        self.map
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// A write guard that publishes the shard's length when released, also when unwinding.
pub(super) struct ShardWrite<'a, K, V> {
    guard: RwLockWriteGuard<'a, ShardMap<K, V>>,
    len: &'a AtomicUsize,
}

impl<K, V> Deref for ShardWrite<'_, K, V> {
    type Target = ShardMap<K, V>;

    #[inline]
    fn deref(&self) -> &ShardMap<K, V> {
        &self.guard
    }
}

impl<K, V> DerefMut for ShardWrite<'_, K, V> {
    #[inline]
    fn deref_mut(&mut self) -> &mut ShardMap<K, V> {
        &mut self.guard
    }
}

impl<K, V> Drop for ShardWrite<'_, K, V> {
    #[inline]
    fn drop(&mut self) {
        self.len.store(self.guard.len(), Ordering::Relaxed);
    }
}
