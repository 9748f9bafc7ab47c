//! The synchronisation primitives of `glassmap::sync`, switched to loom's under `--cfg loom` so the
//! protocols built on them can be model-checked (`tests/loom.rs`).
//!
//! [`AtomicArc`] is the one atomic pointer the concurrent maps use: an `Arc<T>` that can be
//! loaded without a lock, replaced, and compared-and-swapped. In normal builds it is
//! [`arc_swap::ArcSwap`] (whose loads take no lock and write only a thread-local debt slot, never
//! the `Arc`'s shared count); under loom it is a `loom::sync::RwLock<Arc<T>>`, which makes every
//! operation one atomic step that loom interleaves with the others. The models therefore check the
//! protocols built *on* the pointer (entry states, promotion, publication); arc-swap's own memory
//! reclamation is checked by its authors and by this crate's Miri runs (`scripts/miri.sh`).

use core::ops::Deref;
use std::sync::Arc;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicIsize};
#[cfg(loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicIsize};
#[cfg(not(loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, ignoring poison: every critical section in `glassmap::sync` leaves its data
/// consistent before it can run user code that might panic (the maps never publish half a change).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An atomically replaceable `Arc<T>` (see the module docs).
pub(crate) struct AtomicArc<T> {
    #[cfg(not(loom))]
    inner: arc_swap::ArcSwap<T>,
    #[cfg(loom)]
    inner: loom::sync::RwLock<Arc<T>>,
}

/// A loaded value: keeps it alive and dereferences to its `Arc`. Meant to be short-lived (arc-swap
/// serves a few per thread from thread-local slots, then falls back to the reference count).
pub(crate) struct Loaded<T> {
    #[cfg(not(loom))]
    inner: arc_swap::Guard<Arc<T>>,
    #[cfg(loom)]
    inner: Arc<T>,
}

impl<T> Deref for Loaded<T> {
    type Target = Arc<T>;
    #[inline]
    fn deref(&self) -> &Arc<T> {
        &self.inner
    }
}

impl<T> Loaded<T> {
    /// Wraps an owned `Arc`.
    pub(crate) fn from_arc(arc: Arc<T>) -> Self {
        #[cfg(not(loom))]
        let inner = arc_swap::Guard::from_inner(arc);
        #[cfg(loom)]
        let inner = arc;
        Loaded { inner }
    }

    /// The `Arc` itself (one reference-count increment at most).
    pub(crate) fn into_arc(self) -> Arc<T> {
        #[cfg(not(loom))]
        return arc_swap::Guard::into_inner(self.inner);
        #[cfg(loom)]
        return self.inner;
    }
}

impl<T> AtomicArc<T> {
    pub(crate) fn new(value: Arc<T>) -> Self {
        #[cfg(not(loom))]
        let inner = arc_swap::ArcSwap::new(value);
        #[cfg(loom)]
        let inner = loom::sync::RwLock::new(value);
        AtomicArc { inner }
    }

    /// The current value. No lock in normal builds.
    #[inline]
    pub(crate) fn load(&self) -> Loaded<T> {
        #[cfg(not(loom))]
        let inner = self.inner.load();
        #[cfg(loom)]
        let inner = Arc::clone(&self.inner.read().unwrap());
        Loaded { inner }
    }

    /// Replaces the value, returning the previous one.
    pub(crate) fn swap(&self, new: Arc<T>) -> Arc<T> {
        #[cfg(not(loom))]
        return self.inner.swap(new);
        #[cfg(loom)]
        return core::mem::replace(&mut *self.inner.write().unwrap(), new);
    }

    /// Replaces the value.
    pub(crate) fn store(&self, new: Arc<T>) {
        drop(self.swap(new));
    }

    /// Replaces the value with `new` if it is still `current` (the same allocation). On failure
    /// returns the value found instead, and `new` is dropped.
    pub(crate) fn compare_and_swap(&self, current: &Arc<T>, new: Arc<T>) -> Result<(), Loaded<T>> {
        #[cfg(not(loom))]
        {
            let found = self.inner.compare_and_swap(current, new);
            if Arc::ptr_eq(&found, current) {
                Ok(())
            } else {
                Err(Loaded { inner: found })
            }
        }
        #[cfg(loom)]
        {
            let mut slot = self.inner.write().unwrap();
            if Arc::ptr_eq(&slot, current) {
                *slot = new;
                Ok(())
            } else {
                Err(Loaded {
                    inner: Arc::clone(&slot),
                })
            }
        }
    }
}

/// A reader's private cache of an [`AtomicArc`]'s value: holds the last `Arc` it saw and checks it
/// is still current with one atomic load (arc-swap's `Cache`), so repeated loads write nothing.
pub(crate) struct CachedArc<'a, T> {
    #[cfg(not(loom))]
    inner: arc_swap::Cache<&'a arc_swap::ArcSwap<T>, Arc<T>>,
    #[cfg(loom)]
    source: &'a AtomicArc<T>,
    #[cfg(loom)]
    current: Arc<T>,
}

impl<T> AtomicArc<T> {
    /// A cache of this pointer for one reader.
    pub(crate) fn cached(&self) -> CachedArc<'_, T> {
        #[cfg(not(loom))]
        return CachedArc {
            inner: arc_swap::Cache::new(&self.inner),
        };
        #[cfg(loom)]
        return CachedArc {
            source: self,
            current: self.load().into_arc(),
        };
    }
}

impl<T> CachedArc<'_, T> {
    /// The current value (refreshing the cache if it was replaced).
    #[inline]
    pub(crate) fn load(&mut self) -> &Arc<T> {
        #[cfg(not(loom))]
        return self.inner.load();
        #[cfg(loom)]
        {
            self.current = self.source.load().into_arc();
            &self.current
        }
    }
}
