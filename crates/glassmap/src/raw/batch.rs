//! The engine side of `Map::get_batch`: a view of a table, taken once per batch, through which a
//! batch prefetches and looks up keys by their precomputed hashes.
//!
//! A batch borrows the table immutably, so nothing it reads can change while it runs: whether the
//! table is growing, where the current array's buckets start and its mask are read once, when the
//! view is taken, instead of once per key as [`RawTable::get`] does. While the table grows every
//! call goes through the table's general path (a key may then be in either array, invariant 1).
//!
//! The three stages of a lookup, in the order a batch runs them for one key:
//! 1. [`Stages::prefetch_tophash`]: the line of the key's tophash word.
//! 2. [`Stages::prefetch_match`], once that word has arrived: the line of the first slot whose
//!    tophash matches, or nothing new for a miss (the word's own line again, already cached), so a
//!    hit costs two lines in flight and a miss one.
//! 3. [`Stages::get`]: the lookup itself, which now finds both lines cached.

use core::marker::PhantomData;

use super::array::Heads;
use super::bucket::{Bucket, Cell, Slots, Tophash};
use super::tophash::Needle;
use super::{RawTable, prefetch, search_chain};

/// Tables of at most this many bytes (tophash words plus slot blocks, both arrays while growing)
/// are looked up without prefetching: they stay in the L2 cache of the reference machine (512 KiB),
/// where a lookup does not wait long enough for prefetching to pay for its own instructions.
/// Measured on the reference machine at 1K, 1M and 8M entries (see ARCHITECTURE.md, "Batched
/// operations"). Under Miri every allocated table prefetches, so the small test maps exercise the
/// prefetching path.
const CACHED_TABLE_BYTES: usize = if cfg!(miri) { 0 } else { 512 << 10 };

/// The three stages of a lookup by precomputed hash (see the module docs). Implemented by
/// [`Steady`] (a table that is not growing), by the table itself (its general path, for a growing
/// table) and by [`BatchLookup`], which picks one of the two per call; a batch's inner loop is
/// generic over this trait so that it runs one of the first two without a per-key dispatch.
pub(crate) trait Stages<'a, K: 'a, V: 'a>: Copy {
    /// Stage 1: starts loading the line of `hash`'s tophash word.
    fn prefetch_tophash(self, hash: u64);
    /// Stage 2, once the tophash word has arrived: starts loading the line of the entry it
    /// points to.
    fn prefetch_match(self, hash: u64);
    /// Stage 3: the key whose hash is `hash` and for which `eq` holds, and its value.
    fn get(self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<(&'a K, &'a V)>;
}

/// The stages for a table that is not growing: its current array's buckets and mask, read once
/// (a mask of 0 on an unallocated array, whose one bucket is the static all-`EMPTY_REST` word).
pub(crate) struct Steady<'a, K, V> {
    heads: Heads<K, V>,
    mask: usize,
    /// The view reads the table as the `&'a RawTable` it was taken from does.
    _table: PhantomData<&'a RawTable<K, V>>,
}

impl<K, V> Clone for Steady<'_, K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K, V> Copy for Steady<'_, K, V> {}

// SAFETY: a `Steady` only reads the table, exactly as the `&'a RawTable<K, V>` it stands for,
// which is `Send` and `Sync` when `K` and `V` are `Sync`.
unsafe impl<K: Sync, V: Sync> Send for Steady<'_, K, V> {}
// SAFETY: as for `Send`.
unsafe impl<K: Sync, V: Sync> Sync for Steady<'_, K, V> {}

impl<K, V> Steady<'_, K, V> {
    /// The current array's bucket for `hash`.
    #[inline]
    fn head(self, hash: u64) -> Bucket<K, V> {
        // SAFETY: `hash & mask` is below the current array's bucket count, or 0 on an unallocated
        // array, whose static word may be read (the first invariant of `array.rs`). The array
        // lives as long as the borrow `'a` of the table.
        unsafe { self.heads.at(hash as usize & self.mask) }
    }
}

impl<'a, K: 'a, V: 'a> Stages<'a, K, V> for Steady<'a, K, V> {
    #[inline]
    fn prefetch_tophash(self, hash: u64) {
        prefetch::prefetch_read(self.head(hash).tophash_address());
    }

    /// The line of the first slot whose tophash matches. Without a match the word's own line is
    /// asked for again (it is cached): one prefetch either way, chosen without a branch, since
    /// hits and misses may mix unpredictably.
    #[inline]
    fn prefetch_match(self, hash: u64) {
        let head = self.head(hash);
        // SAFETY: `head` is a live bucket of the current array or the static word of an
        // unallocated one: its tophash bytes may be read.
        let matched = unsafe { head.group() }.matching(Needle::of(hash)).lowest();
        let address = match matched {
            Some(slot) => Cell::new(head, slot).address(),
            None => head.tophash_address(),
        };
        prefetch::prefetch_read(address);
    }

    #[inline]
    fn get(self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<(&'a K, &'a V)> {
        // SAFETY: not growing, so the key can only be in the chain of its current bucket
        // (invariant 1), which is live for `'a`; an unallocated array's static word is all
        // EMPTY_REST, so the search stops at its tophash bytes. `search_chain` returns a full
        // slot, and the shared borrow `'a` of the table covers the references.
        unsafe {
            let cell = search_chain(self.head(hash), Needle::of(hash), eq)?;
            Some((&*cell.key(), &*cell.value()))
        }
    }
}

/// A growing table's general path: a key may be in either array (invariant 1).
impl<'a, K: 'a, V: 'a> Stages<'a, K, V> for &'a RawTable<K, V> {
    #[inline]
    fn prefetch_tophash(self, hash: u64) {
        RawTable::prefetch_tophash(self, hash);
    }

    #[inline]
    fn prefetch_match(self, hash: u64) {
        RawTable::prefetch_match(self, hash);
    }

    #[inline]
    fn get(self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<(&'a K, &'a V)> {
        RawTable::get(self, hash, eq)
    }
}

/// A table as one batch of lookups sees it: [`Steady`] unless it is growing.
pub(crate) enum BatchLookup<'a, K, V> {
    Steady(Steady<'a, K, V>),
    Growing(&'a RawTable<K, V>),
}

impl<K, V> Clone for BatchLookup<'_, K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K, V> Copy for BatchLookup<'_, K, V> {}

impl<'a, K: 'a, V: 'a> Stages<'a, K, V> for BatchLookup<'a, K, V> {
    #[inline]
    fn prefetch_tophash(self, hash: u64) {
        match self {
            BatchLookup::Steady(steady) => steady.prefetch_tophash(hash),
            BatchLookup::Growing(table) => table.prefetch_tophash(hash),
        }
    }

    #[inline]
    fn prefetch_match(self, hash: u64) {
        match self {
            BatchLookup::Steady(steady) => steady.prefetch_match(hash),
            BatchLookup::Growing(table) => table.prefetch_match(hash),
        }
    }

    #[inline]
    fn get(self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<(&'a K, &'a V)> {
        match self {
            BatchLookup::Steady(steady) => steady.get(hash, eq),
            BatchLookup::Growing(table) => Stages::get(table, hash, eq),
        }
    }
}

impl<K, V> RawTable<K, V> {
    /// The view of this table for one batch of lookups, and whether the table is too big for the
    /// cache, so that the batch should prefetch ([`CACHED_TABLE_BYTES`]).
    pub(crate) fn batch_lookup(&self) -> (BatchLookup<'_, K, V>, bool) {
        let bucket_bytes = size_of::<Tophash>() + size_of::<Slots<K, V>>();
        let old_buckets = self.evacuation.as_ref().map_or(0, |ev| ev.old.buckets());
        let bytes = (self.current.buckets() + old_buckets).saturating_mul(bucket_bytes);
        let prefetching = self.current.is_allocated() && bytes > CACHED_TABLE_BYTES;
        let lookup = if self.evacuation.is_some() {
            BatchLookup::Growing(self)
        } else {
            BatchLookup::Steady(Steady {
                heads: self.current.heads(),
                mask: self.current.mask(),
                _table: PhantomData,
            })
        };
        (lookup, prefetching)
    }
}
