//! Re-entrancy detection (sharded invariant 4): while a thread runs user code under a shard lock
//! of a map, a thread-local record names that map and the method; any call on the same map from
//! that thread panics before it locks, instead of deadlocking.
//!
//! The record is only written around user closures, so the common path costs one read of a
//! thread-local counter. It uses no atomics (only thread-local state), so there is nothing for
//! loom to model.

use core::cell::{Cell, RefCell};

thread_local! {
    /// How many entries `HELD` has: read on every call, so kept in a plain `Cell`.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// (map identity, method) for every closure this thread is running under a map's lock.
    static HELD: RefCell<Vec<(usize, &'static str)>> = const { RefCell::new(Vec::new()) };
}

/// Panics if this thread is inside a closure run by `method`'s map (identified by `map`).
#[inline]
pub(super) fn check(map: usize, method: &'static str) {
    if DEPTH.get() == 0 {
        return;
    }
    let outer = HELD.with_borrow(|held| {
        held.iter()
            .rev()
            .find(|(held_map, _)| *held_map == map)
            .map(|&(_, outer)| outer)
    });
    if let Some(outer) = outer {
        panic!(
            "glassmap::ShardedMap::{method} was called from inside the closure passed to \
             ShardedMap::{outer} on the same map; a closure must not call back into the map \
             that runs it (it would deadlock on a shard lock)"
        );
    }
}

/// Marks the current thread as running user code under a lock of `map`, until dropped (also
/// when the user code panics).
pub(super) struct ClosureScope(());

impl ClosureScope {
    #[inline]
    pub(super) fn enter(map: usize, method: &'static str) -> Self {
        HELD.with_borrow_mut(|held| held.push((map, method)));
        DEPTH.set(DEPTH.get() + 1);
        ClosureScope(())
    }
}

impl Drop for ClosureScope {
    #[inline]
    fn drop(&mut self) {
        HELD.with_borrow_mut(|held| held.pop());
        DEPTH.set(DEPTH.get() - 1);
    }
}
