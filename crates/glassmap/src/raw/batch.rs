//! The engine side of `Map::get_batch`: a pipeline of lookups by precomputed hash, through a view
//! of the table taken once per batch.
//!
//! A batch borrows the table immutably, so nothing it reads can change while it runs: whether the
//! table is growing, where the current array's buckets start and its mask are read once, when the
//! view is taken, instead of once per key as [`RawTable::get`] does. While the table grows every
//! stage goes through the table's general path (a key may then be in either array, invariant 1).
//!
//! Each key passes three stages, [`WINDOW`] and [`STAGE_TWO`] keys apart:
//! 1. [`Stages::prefetch_tophash`]: the line of the key's tophash word.
//! 2. [`Stages::inspect`], once that word has arrived: it reads the word and prefetches the line of
//!    the first slot whose tophash matches (for a miss nothing new: the word's own line again,
//!    already cached), so a hit has two lines in flight and a miss one. It leaves a hint for
//!    stage three: that slot, or "absent" (no match and the chain ends in this bucket), or
//!    "search".
//! 3. [`Stages::get_hinted`]: the lookup itself, which now finds both lines cached. With a slot
//!    hint it compares that slot's key and is done; only a tophash collision, an overflow chain
//!    or a growing table search the chain as [`RawTable::get`] does.
//!
//! Invariant of [`Pipeline`] (cited as "pipeline invariant"): `hints[j]` is [`SEARCH`] or what
//! `stages.inspect(hashes[j])` returned; both arrays are private and written only by
//! [`Pipeline::stage_one`] (a new hash, with `SEARCH`) and [`Pipeline::stage_two`].

use core::marker::PhantomData;

use super::bucket::{Bucket, Cell, Slots, Tophash};
use super::growth_policy::BUCKET_SLOTS;
use super::tophash::Needle;
use super::{RawTable, prefetch, search_chain};

/// Tables of at most this many bytes (tophash words plus slot blocks, both arrays while growing)
/// are looked up without prefetching: they fit in half the L2 cache of the reference machine
/// (1 MiB per core), where a lookup does not wait long enough for prefetching to pay for its own
/// instructions. Sizes between this and the L3 were not measured. Under Miri every allocated table
/// prefetches, so the small test maps exercise the prefetching path.
const CACHED_TABLE_BYTES: usize = if cfg!(miri) { 0 } else { 512 << 10 };

/// How many keys ahead of its lookup a key is hashed and its tophash word prefetched.
pub(crate) const WINDOW: usize = 32;

/// How many keys ahead of its lookup a key's tophash word is read and the matching slot's line
/// prefetched: the word has had `WINDOW - STAGE_TWO` keys' time to arrive, the entry
/// `STAGE_TWO` keys' time.
pub(crate) const STAGE_TWO: usize = 12;

/// Stage two's hint that the key is absent: no slot of its bucket matches and the chain ends
/// there (an `EMPTY_REST`, or no `CHAINED` mark: table invariants 4 and 8). (Hints below 8 are
/// slots.)
const ABSENT: u8 = 8;

/// Stage two's hint that stage three has to search the chain (or that stage two has not run).
const SEARCH: u8 = 9;

/// The three stages of a lookup by precomputed hash (see the module docs), plus the plain lookup.
/// Implemented by [`Steady`] (a table that is not growing), by the table itself (its general
/// path, for a growing table) and by [`BatchLookup`], which picks one of the two per call; a
/// batch's inner loop is generic over this trait so that it runs one of the first two without a
/// per-key dispatch.
pub(crate) trait Stages<'a, K: 'a, V: 'a>: Copy {
    /// Stage 1: starts loading the line of `hash`'s tophash word.
    fn prefetch_tophash(self, hash: u64);

    /// Stage 2, once the tophash word has arrived: starts loading the line of the entry it points
    /// to, and returns the hint for stage three.
    fn inspect(self, hash: u64) -> u8;

    /// Stage 3: as [`Stages::get`], helped by stage two's `hint`.
    ///
    /// # Safety
    /// `hint` is [`SEARCH`] or what `self.inspect(hash)` returned.
    unsafe fn get_hinted(
        self,
        hash: u64,
        hint: u8,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<(&'a K, &'a V)>;

    /// The key whose hash is `hash` and for which `eq` holds, and its value.
    fn get(self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<(&'a K, &'a V)>;
}

/// The stages for a table that is not growing: its current array's buckets and mask, read once
/// (a mask of 0 on an unallocated array, whose one bucket is the static all-`EMPTY_REST` word).
pub(crate) struct Steady<'a, K, V> {
    /// Primary bucket 0 of the current array.
    first: Bucket<K, V>,
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
        unsafe { self.first.primary_after(hash as usize & self.mask) }
    }
}

impl<'a, K: 'a, V: 'a> Stages<'a, K, V> for Steady<'a, K, V> {
    #[inline]
    fn prefetch_tophash(self, hash: u64) {
        prefetch::prefetch_read(self.head(hash).tophash_address());
    }

    /// Prefetches the line of the first slot whose tophash matches; without a match the word's
    /// own line is asked for again (it is cached): one prefetch either way, chosen without a
    /// branch, since hits and misses may mix unpredictably.
    #[inline]
    fn inspect(self, hash: u64) -> u8 {
        let head = self.head(hash);
        // SAFETY: `head` is a live bucket of the current array or the static word of an
        // unallocated one: its tophash bytes may be read.
        let group = unsafe { head.group() };
        let (address, hint) = match group.matching(Needle::of(hash)).lowest() {
            Some(slot) => (Cell::new(head, slot).address(), slot as u8),
            None if !group.chain_goes_on() => (head.tophash_address(), ABSENT),
            None => (head.tophash_address(), SEARCH),
        };
        prefetch::prefetch_read(address);
        hint
    }

    #[inline]
    unsafe fn get_hinted(
        self,
        hash: u64,
        hint: u8,
        mut eq: impl FnMut(&K) -> bool,
    ) -> Option<(&'a K, &'a V)> {
        if usize::from(hint) < BUCKET_SLOTS {
            let cell = Cell::new(self.head(hash), usize::from(hint));
            // SAFETY: `hint` is a slot of `hash`'s bucket whose tophash matched (caller), so it is
            // full (see `Group::matching`) in a table that has not changed since (the borrow
            // `'a`), which also covers the references.
            let (key, value) = unsafe { (&*cell.key(), &*cell.value()) };
            if eq(key) {
                return Some((key, value));
            }
            // A tophash collision: another slot of the chain may hold the key.
        } else if hint == ABSENT {
            return None;
        }
        self.get(hash, eq)
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
    fn inspect(self, hash: u64) -> u8 {
        RawTable::prefetch_match(self, hash);
        SEARCH
    }

    #[inline]
    unsafe fn get_hinted(
        self,
        hash: u64,
        _hint: u8,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<(&'a K, &'a V)> {
        RawTable::get(self, hash, eq)
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
    fn inspect(self, hash: u64) -> u8 {
        match self {
            BatchLookup::Steady(steady) => steady.inspect(hash),
            BatchLookup::Growing(table) => table.inspect(hash),
        }
    }

    #[inline]
    unsafe fn get_hinted(
        self,
        hash: u64,
        hint: u8,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<(&'a K, &'a V)> {
        // SAFETY: `self.inspect` is the same variant's `inspect` (caller's contract passes on).
        unsafe {
            match self {
                BatchLookup::Steady(steady) => steady.get_hinted(hash, hint, eq),
                BatchLookup::Growing(table) => table.get_hinted(hash, hint, eq),
            }
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
                first: self.current.first(),
                mask: self.current.mask(),
                _table: PhantomData,
            })
        };
        (lookup, prefetching)
    }
}

/// The ring of keys between stage one and stage three: key `i`'s hash and stage two's hint in
/// slot `i % WINDOW` (see the pipeline invariant in the module docs). The caller runs, for each
/// key `i` in order, stage one `WINDOW` keys ahead, stage two `STAGE_TWO` keys ahead and stage
/// three last; run out of order, the answers stay memory-safe but may be wrong.
pub(crate) struct Pipeline<P> {
    stages: P,
    hashes: [u64; WINDOW],
    hints: [u8; WINDOW],
}

/// A batch's pipeline, by kind of table, for loops that should not choose per key.
pub(crate) enum Specialized<'a, K, V> {
    Steady(Pipeline<Steady<'a, K, V>>),
    Growing(Pipeline<&'a RawTable<K, V>>),
}

impl<P: Copy> Pipeline<P> {
    /// An empty pipeline over `stages`.
    pub(crate) fn new(stages: P) -> Self {
        Pipeline {
            stages,
            hashes: [0; WINDOW],
            hints: [SEARCH; WINDOW],
        }
    }

    /// Stage one of key `i`, whose hash is `hash`.
    #[inline(always)]
    pub(crate) fn stage_one<'a, K: 'a, V: 'a>(&mut self, i: usize, hash: u64)
    where
        P: Stages<'a, K, V>,
    {
        let slot = i % WINDOW;
        self.hashes[slot] = hash;
        self.hints[slot] = SEARCH;
        self.stages.prefetch_tophash(hash);
    }

    /// Stage two of key `i`.
    #[inline(always)]
    pub(crate) fn stage_two<'a, K: 'a, V: 'a>(&mut self, i: usize)
    where
        P: Stages<'a, K, V>,
    {
        let slot = i % WINDOW;
        self.hints[slot] = self.stages.inspect(self.hashes[slot]);
    }

    /// Stage three of key `i`: the key for which `eq` holds, and its value.
    #[inline(always)]
    pub(crate) fn stage_three<'a, K: 'a, V: 'a>(
        &self,
        i: usize,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<(&'a K, &'a V)>
    where
        P: Stages<'a, K, V>,
    {
        let slot = i % WINDOW;
        // SAFETY: the pipeline invariant: the hint is SEARCH or stage two's for this hash.
        unsafe {
            self.stages
                .get_hinted(self.hashes[slot], self.hints[slot], eq)
        }
    }
}

impl<'a, K, V> Pipeline<BatchLookup<'a, K, V>> {
    /// The same pipeline with stages of one kind of table.
    #[inline]
    pub(crate) fn specialize(self) -> Specialized<'a, K, V> {
        let Pipeline {
            stages,
            hashes,
            hints,
        } = self;
        match stages {
            BatchLookup::Steady(stages) => Specialized::Steady(Pipeline {
                stages,
                hashes,
                hints,
            }),
            BatchLookup::Growing(stages) => Specialized::Growing(Pipeline {
                stages,
                hashes,
                hints,
            }),
        }
    }
}
