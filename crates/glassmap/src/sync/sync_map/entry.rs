//! One key's cell in a [`SyncMap`](super::SyncMap): an atomic pointer to its state, shared by the
//! read map and the dirty map (Go's `entry`).
//!
//! States (Go's `p`), numbered as cited in `sync_map.rs`:
//! - `Value(v)`: live. In the read map (if the key is there) and, when the dirty map exists, in it.
//! - `Deleted` (Go's `nil`): no value; either no dirty map exists, or the dirty map holds this
//!   same entry.
//! - `Expunged`: no value, a dirty map exists, and it does *not* hold this entry. Only
//!   `Deleted -> Expunged` (under the mutex, while building the dirty map) and
//!   `Expunged -> Deleted` (under the mutex, just before the entry is put back into the dirty map)
//!   lead into or out of it, so a value is never stored into an entry the dirty map lacks: the
//!   lock-free paths give up on `Expunged` and take the locked path.
//!
//! Every transition is one compare-and-swap of the pointer, so each operation on an entry is
//! atomic; the CAS loops retry only when another thread changed the state in between.

use std::sync::Arc;

use crate::sync::shim::{AtomicArc, AtomicIsize, Loaded};

/// The state an entry points to.
pub(crate) enum Slot<V> {
    Value(Arc<V>),
    Deleted,
    Expunged,
}

/// The two value-less states, allocated once per map and shared by all its entries, so deleting
/// allocates nothing. States are compared by variant, never by address.
pub(crate) struct Tombs<V> {
    pub(crate) deleted: Arc<Slot<V>>,
    pub(crate) expunged: Arc<Slot<V>>,
}

impl<V> Tombs<V> {
    pub(crate) fn new() -> Self {
        Tombs {
            deleted: Arc::new(Slot::Deleted),
            expunged: Arc::new(Slot::Expunged),
        }
    }
}

/// Go's `entry`.
pub(crate) struct Entry<V> {
    slot: AtomicArc<Slot<V>>,
}

/// What a lock-free attempt did: `Done` with a result, or `Expunged` (take the locked path).
pub(crate) enum Attempt<T> {
    Done(T),
    Expunged,
}

/// Adjusts the map's live-value count for a transition from a state that held a value or not to
/// one that does or not.
fn count(live: &AtomicIsize, had_value: bool, has_value: bool) {
    use core::sync::atomic::Ordering::Relaxed;
    match (had_value, has_value) {
        (false, true) => {
            live.fetch_add(1, Relaxed);
        }
        (true, false) => {
            live.fetch_sub(1, Relaxed);
        }
        _ => {}
    }
}

impl<V> Entry<V> {
    /// A live entry holding `value`.
    pub(crate) fn new(value: Arc<V>, live: &AtomicIsize) -> Self {
        count(live, false, true);
        Entry {
            slot: AtomicArc::new(Arc::new(Slot::Value(value))),
        }
    }

    /// The current state (no lock, no reference count written).
    #[inline]
    pub(crate) fn state(&self) -> Loaded<Slot<V>> {
        self.slot.load()
    }

    /// Go's `entry.load`: the value, if live.
    #[inline]
    pub(crate) fn with_value<R>(&self, f: impl FnOnce(&Arc<V>) -> R) -> Option<R> {
        match &**self.state() {
            Slot::Value(v) => Some(f(v)),
            Slot::Deleted | Slot::Expunged => None,
        }
    }

    /// The CAS loop every transition shares: `next` decides, from the current state, the state to
    /// install and the result (or `Err(result)` to leave the entry as it is).
    fn transition<R>(
        &self,
        live: &AtomicIsize,
        mut next: impl FnMut(&Arc<Slot<V>>) -> Result<(Arc<Slot<V>>, R), R>,
    ) -> R {
        let mut current = self.state();
        loop {
            let (new, result) = match next(&current) {
                Ok(change) => change,
                Err(result) => return result,
            };
            let had = matches!(**current, Slot::Value(_));
            let has = matches!(*new, Slot::Value(_));
            match self.slot.compare_and_swap(&current, new) {
                Ok(()) => {
                    count(live, had, has);
                    return result;
                }
                Err(found) => current = found,
            }
        }
    }

    /// Go's `trySwap`: installs `value` unless expunged; the previous value if there was one.
    pub(crate) fn try_swap(&self, value: &Arc<V>, live: &AtomicIsize) -> Attempt<Option<Arc<V>>> {
        self.transition(live, |state| match &**state {
            Slot::Expunged => Err(Attempt::Expunged),
            Slot::Value(old) => Ok((value_slot(value), Attempt::Done(Some(Arc::clone(old))))),
            Slot::Deleted => Ok((value_slot(value), Attempt::Done(None))),
        })
    }

    /// Go's `swapLocked`: installs `value` unconditionally (the caller made sure the entry is not
    /// expunged, under the mutex).
    pub(crate) fn swap_locked(&self, value: &Arc<V>, live: &AtomicIsize) -> Option<Arc<V>> {
        self.transition(live, |state| match &**state {
            Slot::Value(old) => Ok((value_slot(value), Some(Arc::clone(old)))),
            Slot::Deleted | Slot::Expunged => Ok((value_slot(value), None)),
        })
    }

    /// Go's `tryLoadOrStore`: the existing value (`Done((v, true))`), or installs `make()` into a
    /// deleted entry (`Done((new, false))`); `Expunged` leaves it alone. The caller memoises
    /// `make`, which may be called again when a CAS is retried.
    pub(crate) fn try_load_or_store(
        &self,
        make: &mut dyn FnMut() -> Arc<V>,
        live: &AtomicIsize,
    ) -> Attempt<(Arc<V>, bool)> {
        self.transition(live, |state| match &**state {
            Slot::Expunged => Err(Attempt::Expunged),
            Slot::Value(v) => Err(Attempt::Done((Arc::clone(v), true))),
            Slot::Deleted => {
                let value = make();
                Ok((value_slot(&value), Attempt::Done((value, false))))
            }
        })
    }

    /// Go's `delete`: removes the value, returning it (`Deleted` and `Expunged` stay as they are).
    pub(crate) fn delete(&self, tombs: &Tombs<V>, live: &AtomicIsize) -> Option<Arc<V>> {
        self.transition(live, |state| match &**state {
            Slot::Value(v) => Ok((Arc::clone(&tombs.deleted), Some(Arc::clone(v)))),
            Slot::Deleted | Slot::Expunged => Err(None),
        })
    }

    /// Go's `tryExpungeLocked` (mutex held): `Deleted -> Expunged`; whether the entry is now
    /// expunged (false when it holds a value).
    pub(crate) fn try_expunge_locked(&self, tombs: &Tombs<V>, live: &AtomicIsize) -> bool {
        self.transition(live, |state| match &**state {
            Slot::Deleted => Ok((Arc::clone(&tombs.expunged), true)),
            Slot::Expunged => Err(true),
            Slot::Value(_) => Err(false),
        })
    }

    /// Go's `unexpungeLocked` (mutex held): `Expunged -> Deleted`; whether it was expunged (then
    /// the caller must put the entry back into the dirty map before releasing the mutex).
    pub(crate) fn unexpunge_locked(&self, tombs: &Tombs<V>, live: &AtomicIsize) -> bool {
        self.transition(live, |state| match &**state {
            Slot::Expunged => Ok((Arc::clone(&tombs.deleted), true)),
            Slot::Deleted | Slot::Value(_) => Err(false),
        })
    }

    /// Retires the entry for `clear` (mutex held): whatever it held, it becomes `Expunged`, so a
    /// thread still holding it from an old read map takes the locked path and finds the key gone.
    pub(crate) fn retire_locked(&self, tombs: &Tombs<V>, live: &AtomicIsize) {
        self.transition(live, |state| match &**state {
            Slot::Expunged => Err(()),
            Slot::Value(_) | Slot::Deleted => Ok((Arc::clone(&tombs.expunged), ())),
        });
    }

    /// Whether the entry is expunged (for `stats`).
    pub(crate) fn is_expunged(&self) -> bool {
        matches!(**self.state(), Slot::Expunged)
    }
}

impl<V: PartialEq> Entry<V> {
    /// Go's `tryCompareAndSwap`: installs `new` if the value equals `expected`; false when the
    /// value differs or there is none.
    pub(crate) fn compare_and_swap(&self, expected: &V, new: &Arc<V>, live: &AtomicIsize) -> bool {
        self.transition(live, |state| match &**state {
            Slot::Value(v) if **v == *expected => Ok((value_slot(new), true)),
            _ => Err(false),
        })
    }

    /// Go's `CompareAndDelete` loop: removes the value if it equals `expected`.
    pub(crate) fn compare_and_delete(
        &self,
        expected: &V,
        tombs: &Tombs<V>,
        live: &AtomicIsize,
    ) -> bool {
        self.transition(live, |state| match &**state {
            Slot::Value(v) if **v == *expected => Ok((Arc::clone(&tombs.deleted), true)),
            _ => Err(false),
        })
    }
}

fn value_slot<V>(value: &Arc<V>) -> Arc<Slot<V>> {
    Arc::new(Slot::Value(Arc::clone(value)))
}
