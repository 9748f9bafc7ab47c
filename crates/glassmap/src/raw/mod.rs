//! The engine: Go's classic bucket table with incremental evacuation. The map's `unsafe` lives
//! under this module (the crate's only other module allowed `unsafe` is `int_map::table`,
//! IntMap's storage); everything above them is safe code.
//!
//! Where things are: this file holds the table's state, its read path (lookups, prefetching,
//! iteration entry points) and `clear`; `write.rs` the write path (entries, insert, remove);
//! `evacuate.rs` the growth mechanism (starting a growth, the sequential growth work each write
//! owes, Go's `evacuate`, resizing); `growth_policy.rs` when to grow (Go's constants); `array.rs` one
//! bucket array and its overflow buckets; `bucket.rs` one bucket and one slot; `tophash.rs` the
//! tophash states and matching; `invariants.rs` the test oracle that checks the list below.
//!
//! # Invariants
//! 1. A key is in exactly one place: in its old bucket (`hash & old.mask()`) while that bucket is
//!    not evacuated, otherwise in its bucket of the current array. Nothing is ever written twice.
//! 2. Old buckets are evacuated in index order: an old bucket is evacuated iff its index is below
//!    `nevacuate`. Buckets below `nevacuate` are never read again (their slots still hold the
//!    moved entries' bytes: there are no evacuated marks). A current-array bucket fed by an old
//!    bucket at or above `nevacuate` is empty (a doubling's X and Y, a same-size growth's own).
//! 3. Writes (insert, remove, entry) first evacuate the next `EVACUATIONS_PER_WRITE` old buckets
//!    at `nevacuate` (Go's `growWork` takes the key's own old bucket first; not here, see
//!    `evacuate.rs`), then work in the key's chain where a read looks (`source_bucket`): its old
//!    bucket while unevacuated, which may get old-array overflow buckets, else the current array.
//!    Reads never evacuate.
//! 4. `EMPTY_REST` in a slot means that slot and every later slot of its chain are empty. Marking a
//!    slot `EMPTY_ONE` never breaks this, so bulk removals (retain, drain) may skip the
//!    normalisation that `remove` does, and `remove` itself skips it in a chain of one bucket
//!    (whose end the missing `CHAINED` mark tells, invariant 8). So a search asks whether the
//!    chain goes on past a bucket (`Group::chain_goes_on`), never whether it has an `EMPTY_REST`
//!    alone.
//! 5. `len` counts the full slots of both arrays.
//! 6. Panic safety: a panic in user code (`Hash`, `Eq`) happens before any slot is changed:
//!    evacuation hashes a whole chain before it moves anything. `clear` and `Drain` leave a valid
//!    empty table even if a `Drop` panics.
//! 7. `growing` is `evacuation.is_some()`: every assignment of `evacuation` sets it too.
//! 8. A bucket has a next bucket iff its slot 7 holds `CHAINED` (`tophash.rs`), and no other
//!    slot ever does: chaining an overflow bucket moves slot 7's entry into it
//!    (`Bucket::chain`). So a search that finds a full bucket without its key learns whether the
//!    chain goes on from the tophash word it already holds; the link, in the slot block's last
//!    cache line, is loaded only to follow it. The link is initialised and read only behind the
//!    mark (`Bucket::overflow` checks it): other buckets' links may be uninitialised, so an
//!    array needs only its tophash words zeroed (`raw/array.rs`).
//!
//! ARCHITECTURE.md lists the same invariants with the same numbers; code cites them by number.

mod array;
pub(crate) mod batch;
mod bucket;
mod clone;
mod evacuate;
pub(crate) mod growth_policy;
mod invariants;
mod iter;
mod prefetch;
pub(crate) mod tophash;
mod write;

use core::mem;

use self::array::BucketArray;
pub(crate) use self::array::HUGE_PAGE;
use self::bucket::{Bucket, Cell};
use self::evacuate::Evacuation;
use self::growth_policy::{capacity_of, log2_buckets_for};
pub use self::iter::BucketLoads;
use self::iter::RawIter;
pub(crate) use self::iter::{Drain, ExtractIf, IntoIter, Iter, IterMut};
pub(crate) use self::prefetch::prefetch_read;
use self::tophash::Needle;
pub(crate) use self::write::{RawEntry, RawOccupied, RawVacant};
use crate::TryReserveError;
use crate::stats::{Growth, Stats};

pub(crate) struct RawTable<K, V> {
    len: usize,
    current: BucketArray<K, V>,
    evacuation: Option<Evacuation<K, V>>,
    /// `evacuation.is_some()`, kept apart (invariant 7): the hot read path tests this byte
    /// instead of `Option`'s niche (a `Vec` capacity compared against `isize::MIN`).
    growing: bool,
    doublings: u64,
    same_size_growths: u64,
    /// Reused buffer of the evacuation: one word of X/Y sides per bucket of a longer chain, or
    /// the hashes of a chain being spread by a resize.
    scratch: Vec<u64>,
}

// SAFETY: the table owns its keys and values; sending it sends them.
unsafe impl<K: Send, V: Send> Send for RawTable<K, V> {}
// SAFETY: `&RawTable` only gives `&K` / `&V` and mutates nothing.
unsafe impl<K: Sync, V: Sync> Sync for RawTable<K, V> {}

impl<K, V> RawTable<K, V> {
    pub(crate) const fn new() -> Self {
        RawTable {
            len: 0,
            current: BucketArray::unallocated(),
            evacuation: None,
            growing: false,
            doublings: 0,
            same_size_growths: 0,
            scratch: Vec::new(),
        }
    }

    /// A table whose load factor admits `capacity` entries (Go's `makemap`), allocated up front
    /// when `capacity > 0`.
    pub(crate) fn try_with_capacity(capacity: usize) -> Result<Self, TryReserveError> {
        let mut table = Self::new();
        if capacity > 0 {
            table.current = BucketArray::try_new(log2_buckets_for(capacity))?;
        }
        Ok(table)
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Go's `B` for the current array.
    #[inline]
    pub(crate) fn log2_buckets(&self) -> u8 {
        self.current.log2()
    }

    /// Entries the table holds before an insert starts a doubling; 0 before the first allocation.
    pub(crate) fn capacity(&self) -> usize {
        if self.current.is_allocated() {
            capacity_of(self.current.log2())
        } else {
            0
        }
    }

    #[inline]
    pub(crate) fn is_growing(&self) -> bool {
        self.growing
    }

    pub(crate) fn growth(&self) -> Option<Growth> {
        self.evacuation.as_ref().map(|ev| Growth {
            kind: ev.kind,
            old_buckets: ev.old.buckets(),
            evacuated: ev.nevacuate,
        })
    }

    /// The bucket whose chain holds `hash`'s key, if anywhere (invariants 1 and 2).
    ///
    /// While not growing this is the current array's bucket and one predictable branch on
    /// `growing` (invariant 7). The growing case is inline rather than a call: a call in a loop
    /// clobbers the caller-saved registers, so a lookup loop spilled the current array's mask and
    /// both region pointers and reloaded them for every lookup (40.1 instructions per hit with the
    /// call and `Option`'s niche check, 38.1 without; see ARCHITECTURE.md, "Performance
    /// findings"). Lookups call it only while growing (see [`RawTable::find`]); the write path
    /// calls it always.
    #[inline]
    fn source_bucket(&self, hash: u64) -> Bucket<K, V> {
        let mut head = self.current.head(hash as usize);
        if self.growing
            && let Some(ev) = &self.evacuation
        {
            let old_index = hash as usize & ev.old.mask();
            if old_index >= ev.nevacuate {
                head = ev.old.head(old_index);
            }
        }
        head
    }

    /// The array that holds the chain [`RawTable::source_bucket`] returns for `hash`.
    fn source_array_mut(&mut self, hash: u64) -> &mut BucketArray<K, V> {
        match &mut self.evacuation {
            Some(ev) if hash as usize & ev.old.mask() >= ev.nevacuate => &mut ev.old,
            _ => &mut self.current,
        }
    }

    /// Finds the slot holding the key whose hash is `hash` and for which `eq` holds.
    ///
    /// The search is inlined twice, once per side of the `growing` test (invariant 7), so the
    /// usual side starts from the current array's bucket alone. With one search after the
    /// test (choosing its start with [`RawTable::source_bucket`], or a `let` of either bucket,
    /// which LLVM merges back into the same code), the bucket's two addresses are a merge of
    /// the current and the old array's: the old array's state stays in registers and spill
    /// slots across a loop of lookups, with the growing test inside it (hit 34.4 instructions,
    /// miss 33.7). Two calls, and LLVM hoists the test out of such a loop and keeps two loops,
    /// the usual one with no growing test and the hasher's multiplier in a register (31.4 /
    /// 30.7; hashbrown 33.5 / 34.2; ARCHITECTURE.md, "Performance findings", session 8).
    #[inline]
    fn find(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<Cell<K, V>> {
        // SAFETY: the chain's buckets are live; an unallocated array's static word is all
        // EMPTY_REST, so the search stops at its tophash bytes.
        unsafe {
            if self.growing {
                search_chain(self.source_bucket(hash), Needle::of(hash), eq)
            } else {
                search_chain(self.current.head(hash as usize), Needle::of(hash), eq)
            }
        }
    }

    /// Iterates over the full slots of both arrays.
    fn raw_iter(&self) -> RawIter<K, V> {
        let (old, nevacuate) = match &self.evacuation {
            Some(ev) => (Some(&ev.old), ev.nevacuate),
            None => (None, 0),
        };
        RawIter::new(old, nevacuate, &self.current, self.len)
    }

    /// Drops every entry and empties both arrays, keeping the current one's B (Go's `mapclear`).
    pub(crate) fn clear(&mut self) {
        struct Reset<'a, K, V>(&'a mut RawTable<K, V>);
        impl<K, V> Drop for Reset<'_, K, V> {
            fn drop(&mut self) {
                self.0.clear_no_drop();
            }
        }
        let guard = Reset(self);
        if mem::needs_drop::<(K, V)>() {
            for cell in guard.0.raw_iter() {
                // SAFETY: the iterator yields full slots; if a drop panics the guard forgets the
                // remaining entries instead of dropping anything twice.
                unsafe { cell.drop_in_place() };
            }
        }
    }

    /// Forgets every entry without dropping it.
    pub(crate) fn clear_no_drop(&mut self) {
        self.evacuation = None;
        self.growing = false;
        self.current.clear_no_drop();
        self.len = 0;
    }

    /// Heap bytes held by both arrays.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.current.heap_bytes() + self.evacuation.as_ref().map_or(0, |ev| ev.old.heap_bytes())
    }

    /// The glass case: walks the current array.
    pub(crate) fn stats(&self) -> Stats {
        let mut occupancy = [0usize; 9];
        let mut max_chain = 0;
        for load in self.bucket_loads() {
            max_chain = max_chain.max(load.chain);
            occupancy[load.primary_entries] += 1;
        }
        let buckets = self.current.buckets().max(1);
        Stats {
            len: self.len,
            log2_buckets: self.current.log2(),
            buckets,
            overflow_buckets: self.current.overflow_buckets(),
            load_factor: self.len as f64 / buckets as f64,
            growth: self.growth(),
            occupancy,
            max_chain,
            bytes: self.heap_bytes(),
            doublings: self.doublings,
            same_size_growths: self.same_size_growths,
        }
    }

    /// Backs the current array's primary buckets with huge pages (see
    /// [`BucketArray::collapse_huge_pages`]); whether the kernel did.
    pub(crate) fn collapse_huge_pages(&self) -> bool {
        self.current.collapse_huge_pages()
    }

    pub(crate) fn bucket_loads(&self) -> BucketLoads<'_, K, V> {
        BucketLoads::new(&self.current)
    }
}

impl<K, V> Drop for RawTable<K, V> {
    fn drop(&mut self) {
        if mem::needs_drop::<(K, V)>() {
            for cell in self.raw_iter() {
                // SAFETY: full slots, each visited once; the arrays are freed right after.
                unsafe { cell.drop_in_place() };
            }
        }
    }
}

/// Prefetches a bucket: its tophash word and every cache line of its slot block.
#[inline(always)]
fn prefetch_bucket<K, V>(bucket: Bucket<K, V>) {
    prefetch::prefetch_read(bucket.tophash_address());
    let slots = bucket.slots_address();
    let size = size_of::<bucket::Slots<K, V>>();
    let mut offset = 0;
    while offset < size {
        prefetch::prefetch_read(slots.wrapping_add(offset));
        offset += 64;
    }
    // The last line, which the stride above misses when the block does not start on a line.
    prefetch::prefetch_read(slots.wrapping_add(size - 1));
}

/// Prefetches the line of a bucket's overflow link (the slot block's last 16 bytes), so that a new
/// key whose bucket turns out full reads the link without a second miss after the tophash word's.
#[inline(always)]
fn prefetch_link<K, V>(bucket: Bucket<K, V>) {
    let slots = bucket.slots_address();
    prefetch::prefetch_read(slots.wrapping_add(size_of::<bucket::Slots<K, V>>() - 1));
}

/// Marks the path that calls it as rarely taken, for block placement: what
/// `core::hint::cold_path` does from Rust 1.95, for the crate's MSRV (1.89). A call to a `#[cold]`
/// function makes LLVM weight its block as unlikely; the body is empty, so inlined it costs
/// nothing.
#[cold]
#[inline(always)]
fn cold_path() {}

/// Go's lookup loop: tophash filter, key comparison, stop at `EMPTY_REST` or the chain's end
/// (a bucket without the `CHAINED` mark, invariant 8).
///
/// # Safety
/// `bucket` heads a live chain.
#[inline]
unsafe fn search_chain<K, V>(
    mut bucket: Bucket<K, V>,
    needle: Needle,
    mut eq: impl FnMut(&K) -> bool,
) -> Option<Cell<K, V>> {
    loop {
        // SAFETY: live chain (caller); matching slots are full, so their keys are initialised.
        unsafe {
            let group = bucket.group();
            let mut matches = group.matching(needle);
            while let Some(slot) = matches.lowest() {
                let cell = Cell::new(bucket, slot);
                if eq(&*cell.key()) {
                    return Some(cell);
                }
                // A tophash match whose key differs: about 1 in 250 per full slot.
                cold_path();
                matches.remove_lowest();
            }
            // The chain ends at an `EMPTY_REST` (invariant 4) or a bucket without the `CHAINED`
            // mark (invariant 8), both seen in the word at hand: the link is loaded only to be
            // followed.
            if !group.chain_goes_on() {
                return None;
            }
            bucket = bucket.overflow_unchecked();
        }
    }
}

/// Safe access for the layers above: every method here upholds the `Cell` contracts itself.
impl<K, V> RawTable<K, V> {
    /// Starts loading the bucket where a lookup or write of `hash` will look: the whole current
    /// bucket (a bucket spans up to three cache lines) and, while growing, the old bucket too unless
    /// it is known evacuated (below `nevacuate`; reading its state here would be the very miss a
    /// prefetch is meant to hide).
    #[inline]
    pub(crate) fn prefetch(&self, hash: u64) {
        if !self.current.is_allocated() {
            return;
        }
        prefetch_bucket(self.current.head(hash as usize));
        if let Some(ev) = &self.evacuation {
            let old_index = hash as usize & ev.old.mask();
            if old_index >= ev.nevacuate {
                prefetch_bucket(ev.old.head(old_index));
            }
        }
    }

    /// First stage of a two-stage lookup prefetch: the tophash word of `hash`'s bucket (one line;
    /// while growing, the old bucket's word too unless known evacuated).
    #[inline]
    pub(crate) fn prefetch_tophash(&self, hash: u64) {
        prefetch::prefetch_read(self.current.head(hash as usize).tophash_address());
        if let Some(ev) = &self.evacuation {
            let old_index = hash as usize & ev.old.mask();
            if old_index >= ev.nevacuate {
                prefetch::prefetch_read(ev.old.head(old_index).tophash_address());
            }
        }
    }

    /// Second stage, once the tophash word has arrived: only the line of the first slot whose
    /// tophash matches (for a miss usually none, so nothing). While growing, the whole buckets as
    /// [`RawTable::prefetch`] does, since the word to read may be either array's.
    #[inline]
    pub(crate) fn prefetch_match(&self, hash: u64) {
        if self.evacuation.is_some() {
            return self.prefetch(hash);
        }
        let head = self.current.head(hash as usize);
        // SAFETY: not growing, so `head` is the current array's live bucket, or an unallocated
        // array's static word, whose bytes are all EMPTY_REST and never match.
        let matched = unsafe { head.group() }.matching(Needle::of(hash)).lowest();
        if let Some(slot) = matched {
            prefetch::prefetch_read(Cell::new(head, slot).address());
        }
    }

    #[inline]
    pub(crate) fn get(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<(&K, &V)> {
        let cell = self.find(hash, eq)?;
        // SAFETY: `find` returns a full slot; the shared borrow of the table covers the result.
        unsafe { Some((&*cell.key(), &*cell.value())) }
    }

    #[inline]
    pub(crate) fn get_mut(
        &mut self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
    ) -> Option<(&K, &mut V)> {
        let cell = self.find(hash, eq)?;
        // SAFETY: a full slot; the exclusive borrow of the table makes the `&mut V` unique.
        unsafe { Some((&*cell.key(), &mut *cell.value())) }
    }

    /// Drops the entries for which `keep` is false.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        for cell in self.raw_iter() {
            // SAFETY: full slots of the exclusively borrowed table, each visited once.
            unsafe {
                if !keep(&*cell.key(), &mut *cell.value()) {
                    drop(self.take(cell));
                }
            }
        }
    }

    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        Iter::new(self)
    }

    pub(crate) fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        IterMut::new(self)
    }

    pub(crate) fn into_iter(self) -> IntoIter<K, V> {
        IntoIter::new(self)
    }

    pub(crate) fn drain(&mut self) -> Drain<'_, K, V> {
        Drain::new(self)
    }

    pub(crate) fn extract_if<F: FnMut(&K, &mut V) -> bool>(
        &mut self,
        predicate: F,
    ) -> ExtractIf<'_, K, V, F> {
        ExtractIf::new(self, predicate)
    }
}
