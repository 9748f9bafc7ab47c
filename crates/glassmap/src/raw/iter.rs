//! Walking the arrays: every full slot (for the map's iterators) and every chain's load (for the
//! glass case).

use core::marker::PhantomData;

use super::RawTable;
use super::array::BucketArray;
use super::bucket::{Bucket, Cell, Slots};
use super::prefetch::prefetch_read;
use super::tophash::{GroupMask, RUN_BUCKETS, Run};
use crate::stats::BucketLoad;

/// `(primary bucket 0, next index, end index)` of an array.
type Range<K, V> = (Bucket<K, V>, usize, usize);

/// Ranges of at least this many buckets are folded by runs (see [`fold_range`]). In smaller
/// arrays the branch predictor learns the per-bucket exits (a 1K-entry map iterated at 0.86-1.07
/// ns per entry, less than one mispredicted exit per bucket would cost), so runs only added
/// instructions there (14.0 → 14.8 per entry). Measured at 256 and 2^18 buckets only: the
/// threshold between is not tuned. Under Miri every range of a run or more takes runs, so the
/// small test maps exercise them.
const RUN_MIN_BUCKETS: usize = if cfg!(miri) { RUN_BUCKETS } else { 4096 };

/// Ranges whose slot blocks span at least this many bytes (8 MiB: 2^16 buckets of `u64 -> u64`)
/// are folded with software prefetching (see [`fold_runs`] and [`prefetch_ahead`]). Measured with
/// `u64 -> u64` on the 2-core EPYC VM (1 MiB L2 per core, 32 MiB L3): at 2^13 and 2^15 buckets
/// (in cache) the prefetching loop cost a fifth to a third more time, at 2^16 to 2^19 buckets it
/// saved 15-40% (the more, the more chains).
const PREFETCH_MIN_BYTES: usize = 8 << 20;

/// How many runs ahead of the walk [`prefetch_ahead`] asks for the slot blocks' lines
/// (13.5 KiB of `u64 -> u64` blocks). At 1M entries, with the chains at half the distance: 10-16
/// runs 1.12-1.18x hashbrown's time, 6 runs 1.18-1.31x, 2-4 runs (chains 1 ahead) 1.28x. Small
/// under Miri so that its small maps reach the prefetching code.
const STREAM_AHEAD_RUNS: usize = if cfg!(miri) { 2 } else { 12 };

/// How many runs ahead of the walk [`prefetch_ahead`] reads the overflow links and asks
/// for the overflow buckets they point to: half the stream's distance, so the links are read from
/// lines asked for six runs earlier. Read ahead of the stream they stalled the walk (4 runs ahead
/// without the stream: 44% of the loop's samples on that load); 8 runs with the stream at 10
/// measured 1.26x against 1.15x at 4.
const CHAIN_AHEAD_RUNS: usize = if cfg!(miri) { 1 } else { 6 };

/// Whether a range of `buckets` primary buckets is folded with prefetching: its slot blocks span
/// [`PREFETCH_MIN_BYTES`] or more. Under Miri, ranges of two runs or more, so that the small test
/// maps exercise both run loops.
#[inline(always)]
fn prefetches<K, V>(buckets: usize) -> bool {
    if cfg!(miri) {
        buckets >= 2 * RUN_BUCKETS
    } else {
        buckets.saturating_mul(core::mem::size_of::<Slots<K, V>>()) >= PREFETCH_MIN_BYTES
    }
}

/// Full slots of the unevacuated old buckets, then of the current array. By invariant 1 this yields
/// every entry exactly once, also in the middle of a growth.
///
/// A `RawIter` holds addresses only: it is valid while the table is neither mutated nor dropped,
/// except through the cells it has already yielded (taking an entry out marks its slot empty, which
/// the iterator does not look at again).
pub(crate) struct RawIter<K, V> {
    /// The primary buckets being walked: `(primary bucket 0, next index, end index)`, first of
    /// the old array's live range, then of the current array. (Two fields rather than an array
    /// indexed by a counter, so the iterator's state can live in registers.)
    range: Range<K, V>,
    /// The current array's range, until `range` moves on to it (when not growing, `range` starts
    /// as an empty range).
    then: Option<Range<K, V>>,
    /// The bucket `slots` belongs to; before the first bucket is read, the current array's bucket
    /// 0 as a placeholder, never read (`slots` is empty and `chain_continues` false).
    bucket: Bucket<K, V>,
    /// Full slots of `bucket` not yielded yet.
    slots: GroupMask,
    /// Whether the chain goes on past `bucket`: its `CHAINED` mark and no `EMPTY_REST` slot
    /// (table invariants 4 and 8), known without reading the overflow link, a separate cache
    /// line.
    chain_continues: bool,
    remaining: usize,
}

// SAFETY: addresses only; the safe iterators wrapping a `RawIter` carry the `Send`/`Sync` bounds of
// the references they yield through `PhantomData`.
unsafe impl<K, V> Send for RawIter<K, V> {}
// SAFETY: as for `Send`.
unsafe impl<K, V> Sync for RawIter<K, V> {}

impl<K, V> Clone for RawIter<K, V> {
    fn clone(&self) -> Self {
        RawIter { ..*self }
    }
}

impl<K, V> RawIter<K, V> {
    pub(super) fn new(
        old: Option<&BucketArray<K, V>>,
        nevacuate: usize,
        current: &BucketArray<K, V>,
        len: usize,
    ) -> Self {
        let old_range = match old {
            Some(old) => (old.first(), nevacuate, old.buckets()),
            None => (current.first(), 0, 0),
        };
        RawIter {
            range: old_range,
            then: Some((current.first(), 0, current.buckets())),
            bucket: current.first(),
            slots: GroupMask::default(),
            chain_continues: false,
            remaining: len,
        }
    }
}

impl<K, V> RawIter<K, V> {
    /// `next`'s slow path: moves on to the next bucket holding a full slot (along the chain while
    /// it goes on, else to the next primary bucket of the ranges) and yields its first full slot.
    fn next_bucket(&mut self) -> Option<Cell<K, V>> {
        loop {
            if self.remaining == 0 {
                return None;
            }
            let overflow = if self.chain_continues {
                // SAFETY: `chain_continues` is true only after `bucket` was read, so it is a live
                // bucket (the iterator's contract).
                unsafe { self.bucket.overflow() }
            } else {
                None
            };
            let next = match overflow {
                Some(next) => next,
                None => {
                    let (first, index, end) = &mut self.range;
                    if *index == *end {
                        self.chain_continues = false;
                        match self.then.take() {
                            Some(range) => self.range = range,
                            // Only reachable if `len` disagreed with the slots; end cleanly.
                            None => self.remaining = 0,
                        }
                        continue;
                    }
                    // SAFETY: `index < end` = the array's bucket count.
                    let head = unsafe { first.primary_after(*index) };
                    *index += 1;
                    head
                }
            };
            self.bucket = next;
            // SAFETY: live bucket.
            let group = unsafe { next.group() };
            self.chain_continues = group.chain_goes_on();
            self.slots = group.full();
            if let Some(slot) = self.slots.next() {
                self.remaining -= 1;
                return Some(Cell::new(next, slot));
            }
        }
    }
}

impl<K, V> Iterator for RawIter<K, V> {
    type Item = Cell<K, V>;

    /// The next full slot of the bucket at hand (one bit test and clear), else the first one of
    /// the next bucket that has any.
    #[inline]
    fn next(&mut self) -> Option<Cell<K, V>> {
        if let Some(slot) = self.slots.next() {
            self.remaining -= 1;
            return Some(Cell::new(self.bucket, slot));
        }
        self.next_bucket()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    /// Internal iteration as plain nested loops (bucket, chain, slot): what `for_each`, `sum`,
    /// `collect` and `extend` use, without `next`'s resumable state.
    #[inline]
    fn fold<B, F: FnMut(B, Cell<K, V>) -> B>(mut self, mut acc: B, mut f: F) -> B {
        // Finish the bucket `next` stopped in, then its chain.
        let bucket = self.bucket;
        for slot in self.slots {
            acc = f(acc, Cell::new(bucket, slot));
            self.remaining -= 1;
        }
        if self.chain_continues {
            // SAFETY: live chain (the iterator's contract).
            if let Some(next) = unsafe { bucket.overflow() } {
                acc = fold_chain(next, acc, &mut f, &mut self.remaining);
            }
        }
        acc = fold_range(self.range, acc, &mut f, &mut self.remaining);
        match self.then {
            Some(range) => fold_range(range, acc, &mut f, &mut self.remaining),
            None => acc,
        }
    }
}

/// Folds the chains of the primary buckets `index..end` of `range`'s array, stopping early once
/// `remaining` is 0.
///
/// Ranges of [`RUN_MIN_BUCKETS`] or more go by runs of [`RUN_BUCKETS`] (see [`fold_runs`], which
/// also prefetches in ranges too big for the caches): the full slots of a run are walked as
/// masks, so the loop is left about once per run instead of once per bucket (that exit, whose
/// trip count is the bucket's entry count, was mispredicted about once per bucket). The order is
/// unchanged: bit `8 * bucket + slot` of a mask is bucket-major. The buckets past the last whole
/// run, and smaller ranges, go bucket by bucket.
#[inline(always)]
fn fold_range<K, V, B>(
    (first, index, end): Range<K, V>,
    mut acc: B,
    f: &mut impl FnMut(B, Cell<K, V>) -> B,
    remaining: &mut usize,
) -> B {
    if index == end {
        return acc;
    }
    // The heads are walked by pointer steps rather than recomputed from the index, which spares
    // three address instructions per bucket.
    // SAFETY: `index < end` = the array's bucket count.
    let mut head = unsafe { first.primary_after(index) };
    let mut left = end - index;
    if left >= RUN_MIN_BUCKETS {
        // SAFETY: `head` and the `left - 1` buckets after it are live primary buckets of one
        // array (`index + left = end`, the bucket count).
        acc = unsafe {
            if prefetches::<K, V>(left) {
                fold_runs::<true, _, _, _>(&mut head, &mut left, acc, f, remaining)
            } else {
                fold_runs::<false, _, _, _>(&mut head, &mut left, acc, f, remaining)
            }
        };
    }
    for _ in 0..left {
        if *remaining == 0 {
            return acc;
        }
        acc = fold_chain(head, acc, f, remaining);
        // SAFETY: at most one past the array's last bucket, never read then (the loop ends).
        head = unsafe { head.primary_after(1) };
    }
    acc
}

/// Folds the whole runs at the start of the `left` buckets from `head`, moving both past them
/// (fewer than [`RUN_BUCKETS`] are left), or stops early once `remaining` is 0.
///
/// Without `PREFETCH`, a run whose chains all end in their primary buckets (no `CHAINED` mark:
/// at 3.8 entries per bucket about 1.7% of buckets are chained, so most runs) is one mask, and
/// any other run goes bucket by bucket. With
/// `PREFETCH`, for ranges bigger than the caches, where the walk waits for memory, each run
/// first asks for what the walk will read later ([`prefetch_ahead`]), and every run is walked as
/// masks ([`fold_run_cut`]): bucket by bucket, the loop exits mispredicted once memory no longer
/// hid them.
///
/// # Safety
/// `head` and the `left - 1` buckets after it are live primary buckets of one array.
#[inline(always)]
unsafe fn fold_runs<const PREFETCH: bool, K, V, B>(
    head: &mut Bucket<K, V>,
    left: &mut usize,
    mut acc: B,
    f: &mut impl FnMut(B, Cell<K, V>) -> B,
    remaining: &mut usize,
) -> B {
    while *left >= RUN_BUCKETS {
        if *remaining == 0 {
            return acc;
        }
        if PREFETCH {
            // SAFETY: `head` and the `left - 1` buckets after it are live (caller).
            unsafe { prefetch_ahead(*head, *left) };
        }
        // SAFETY: `head` and the `RUN_BUCKETS - 1` buckets after it are live (caller).
        let run = unsafe { head.run() };
        if PREFETCH {
            // SAFETY: as above.
            acc = unsafe { fold_run_cut(*head, run, acc, f, remaining) };
        } else if run.chains_going_on() == 0 {
            // SAFETY: as above.
            acc = unsafe { fold_mask(*head, run.full(), acc, f, remaining) };
        } else {
            for bucket in 0..RUN_BUCKETS {
                // SAFETY: `bucket < RUN_BUCKETS`: a live bucket of the run.
                acc = fold_chain(unsafe { head.primary_after(bucket) }, acc, f, remaining);
            }
        }
        // SAFETY: at most one past the array's last bucket (`left >= RUN_BUCKETS`).
        *head = unsafe { head.primary_after(RUN_BUCKETS) };
        *left -= RUN_BUCKETS;
    }
    acc
}

/// Folds the run starting at `head` (whose tophash words are `run`) and its chains as masks: the
/// run is cut after each bucket whose chain goes on, and that chain is folded there, so the order
/// stays bucket order.
///
/// # Safety
/// `head` and the `RUN_BUCKETS - 1` buckets after it are live primary buckets of one array.
#[inline(always)]
unsafe fn fold_run_cut<K, V, B>(
    head: Bucket<K, V>,
    run: Run,
    mut acc: B,
    f: &mut impl FnMut(B, Cell<K, V>) -> B,
    remaining: &mut usize,
) -> B {
    let mut full = run.full();
    // The buckets whose chain goes on (their `CHAINED` mark, invariant 8), known from the
    // tophash words: a link is loaded only to be followed.
    let mut going_on = run.chains_going_on();
    while going_on != 0 {
        let high = going_on.trailing_zeros();
        going_on &= going_on - 1;
        // The slots of the buckets up to this one (bit `high` is its slot 7).
        let upto = u64::MAX >> (63 - high);
        // SAFETY: `head` and the run's buckets are live (caller).
        acc = unsafe { fold_mask(head, full & upto, acc, f, remaining) };
        full &= !upto;
        // SAFETY: `high / 8 < RUN_BUCKETS`: a live bucket of the run, whose chain goes on.
        let next = unsafe { head.primary_after(high as usize / 8).overflow_unchecked() };
        acc = fold_chain(next, acc, f, remaining);
    }
    // SAFETY: as above.
    unsafe { fold_mask(head, full, acc, f, remaining) }
}

/// Folds the full slots of a run that `mask` names (bit `8 * bucket + slot`), in bit order,
/// without their chains.
///
/// # Safety
/// `head` and the `RUN_BUCKETS - 1` buckets after it are live primary buckets of one array, and
/// the slots named are full.
#[inline(always)]
unsafe fn fold_mask<K, V, B>(
    head: Bucket<K, V>,
    mut mask: u64,
    mut acc: B,
    f: &mut impl FnMut(B, Cell<K, V>) -> B,
    remaining: &mut usize,
) -> B {
    while mask != 0 {
        let bit = mask.trailing_zeros() as usize;
        // SAFETY: `bit / 8 < RUN_BUCKETS`: a bucket of the run (caller).
        let bucket = unsafe { head.primary_after(bit / 8) };
        acc = f(acc, Cell::new(bucket, bit % 8));
        *remaining -= 1;
        mask &= mask - 1;
    }
    acc
}

/// Asks for what the walk will read [`STREAM_AHEAD_RUNS`] and [`CHAIN_AHEAD_RUNS`] runs after
/// the run starting at `head`, as far as the `left` buckets from `head` reach: every line of the
/// slot blocks and the tophash words of the first (the hardware prefetcher alone kept the walk
/// waiting on them), and the first overflow bucket of every chain of the second (overflow buckets
/// are handed out in the order chains got them, so each one is a random access).
///
/// # Safety
/// `head` and the `left - 1` buckets after it are live primary buckets of one array.
#[inline(always)]
unsafe fn prefetch_ahead<K, V>(head: Bucket<K, V>, left: usize) {
    /// A cache line.
    const LINE: usize = 64;
    if left >= (STREAM_AHEAD_RUNS + 1) * RUN_BUCKETS {
        // SAFETY: that run lies below the range's end (caller).
        let ahead = unsafe { head.primary_after(STREAM_AHEAD_RUNS * RUN_BUCKETS) };
        let blocks = ahead.slots_address();
        let bytes = RUN_BUCKETS * core::mem::size_of::<Slots<K, V>>();
        for line in (0..bytes).step_by(LINE) {
            prefetch_read(blocks.wrapping_add(line));
        }
        prefetch_read(ahead.tophash_address());
    }
    if left >= (CHAIN_AHEAD_RUNS + 1) * RUN_BUCKETS {
        // SAFETY: that run lies below the range's end (caller).
        unsafe { prefetch_chains(head.primary_after(CHAIN_AHEAD_RUNS * RUN_BUCKETS)) };
    }
}

/// Asks for the first overflow bucket of each chain of the run starting at `head`: the line of its
/// tophash word, which also holds its first slots.
///
/// # Safety
/// `head` and the `RUN_BUCKETS - 1` buckets after it are live primary buckets of one array.
#[inline(always)]
unsafe fn prefetch_chains<K, V>(head: Bucket<K, V>) {
    // SAFETY: forwarded (caller).
    let mut going_on = unsafe { head.run() }.chains_going_on();
    while going_on != 0 {
        let bucket = going_on.trailing_zeros() as usize / 8;
        going_on &= going_on - 1;
        // SAFETY: `bucket < RUN_BUCKETS`: a live bucket of the run (caller), whose chain goes on.
        let next = unsafe { head.primary_after(bucket).overflow_unchecked() };
        prefetch_read(next.tophash_address());
    }
}

/// Folds the full slots of the chain starting at `bucket`, counting them off `remaining`.
///
/// The count goes down by one per slot: counting a bucket's set at once would be a population
/// count, which the x86-64 baseline has no instruction for (its software version cost 13
/// instructions per bucket).
#[inline(always)]
fn fold_chain<K, V, B>(
    mut bucket: Bucket<K, V>,
    mut acc: B,
    f: &mut impl FnMut(B, Cell<K, V>) -> B,
    remaining: &mut usize,
) -> B {
    loop {
        // SAFETY: live chain (the iterator's contract).
        let group = unsafe { bucket.group() };
        for slot in group.full() {
            acc = f(acc, Cell::new(bucket, slot));
            *remaining -= 1;
        }
        if !group.chain_goes_on() {
            return acc;
        }
        // SAFETY: live chain, which goes on past `bucket`.
        bucket = unsafe { bucket.overflow_unchecked() };
    }
}

/// The load of each primary bucket of a map's current array, in bucket order.
///
/// Created by [`Map::bucket_loads`](crate::Map::bucket_loads). While a growth is in progress the
/// entries still in unevacuated old buckets are not counted (finish the growth first for a
/// complete picture).
pub struct BucketLoads<'a, K, V> {
    first: Bucket<K, V>,
    index: usize,
    end: usize,
    marker: PhantomData<&'a (K, V)>,
}

impl<K, V> core::fmt::Debug for BucketLoads<'_, K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BucketLoads")
            .field("remaining", &(self.end - self.index))
            .finish()
    }
}

// SAFETY: reads tophash bytes and overflow pointers only, never keys or values.
unsafe impl<K, V> Send for BucketLoads<'_, K, V> {}
// SAFETY: as for `Send`.
unsafe impl<K, V> Sync for BucketLoads<'_, K, V> {}

impl<'a, K, V> BucketLoads<'a, K, V> {
    pub(super) fn new(array: &'a BucketArray<K, V>) -> Self {
        BucketLoads {
            first: array.first(),
            index: 0,
            end: array.buckets(),
            marker: PhantomData,
        }
    }
}

impl<K, V> Iterator for BucketLoads<'_, K, V> {
    type Item = BucketLoad;

    fn next(&mut self) -> Option<BucketLoad> {
        if self.index == self.end {
            return None;
        }
        // SAFETY: `index < end`, the live array's bucket count; the borrow of the map keeps it live.
        let head = unsafe { self.first.primary_after(self.index) };
        self.index += 1;
        // SAFETY: live chain.
        let primary_entries = unsafe { head.group() }.full().count();
        let mut load = BucketLoad {
            entries: primary_entries,
            chain: 1,
            primary_entries,
        };
        let mut bucket = head;
        // SAFETY: live chain.
        while let Some(next) = unsafe { bucket.overflow() } {
            load.chain += 1;
            // SAFETY: live chain.
            load.entries += unsafe { next.group() }.full().count();
            bucket = next;
        }
        Some(load)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.index;
        (n, Some(n))
    }
}

impl<K, V> ExactSizeIterator for BucketLoads<'_, K, V> {}

/// Shared iterator over a table's entries.
pub(crate) struct Iter<'a, K, V> {
    raw: RawIter<K, V>,
    marker: PhantomData<&'a (K, V)>,
}

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Iter {
            raw: self.raw.clone(),
            marker: PhantomData,
        }
    }
}

impl<'a, K, V> Iter<'a, K, V> {
    pub(super) fn new(table: &'a RawTable<K, V>) -> Self {
        Iter {
            raw: table.raw_iter(),
            marker: PhantomData,
        }
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    #[inline]
    fn next(&mut self) -> Option<(&'a K, &'a V)> {
        let cell = self.raw.next()?;
        // SAFETY: a full slot of a table borrowed shared for 'a.
        unsafe { Some((&*cell.key(), &*cell.value())) }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.raw.size_hint()
    }

    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
        // SAFETY: as in `next`.
        self.raw.fold(init, |acc, cell| unsafe {
            f(acc, (&*cell.key(), &*cell.value()))
        })
    }
}

/// Iterator over a table's entries with mutable values.
pub(crate) struct IterMut<'a, K, V> {
    raw: RawIter<K, V>,
    marker: PhantomData<(&'a K, &'a mut V)>,
}

impl<'a, K, V> IterMut<'a, K, V> {
    pub(super) fn new(table: &'a mut RawTable<K, V>) -> Self {
        IterMut {
            raw: table.raw_iter(),
            marker: PhantomData,
        }
    }

    /// A shared view of the entries not yet yielded.
    pub(crate) fn rest(&self) -> Iter<'_, K, V> {
        Iter {
            raw: self.raw.clone(),
            marker: PhantomData,
        }
    }
}

impl<'a, K, V> Iterator for IterMut<'a, K, V> {
    type Item = (&'a K, &'a mut V);

    #[inline]
    fn next(&mut self) -> Option<(&'a K, &'a mut V)> {
        let cell = self.raw.next()?;
        // SAFETY: a full slot of a table borrowed exclusively for 'a; each slot is yielded once,
        // so the `&mut V` never aliases.
        unsafe { Some((&*cell.key(), &mut *cell.value())) }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.raw.size_hint()
    }

    #[inline]
    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
        // SAFETY: as in `next`.
        self.raw.fold(init, |acc, cell| unsafe {
            f(acc, (&*cell.key(), &mut *cell.value()))
        })
    }
}

/// Owning iterator: moves entries out; the table drops whatever is left.
pub(crate) struct IntoIter<K, V> {
    raw: RawIter<K, V>,
    table: RawTable<K, V>,
}

impl<K, V> IntoIter<K, V> {
    pub(super) fn new(table: RawTable<K, V>) -> Self {
        IntoIter {
            raw: table.raw_iter(),
            table,
        }
    }

    /// A shared view of the entries not yet yielded.
    pub(crate) fn rest(&self) -> Iter<'_, K, V> {
        Iter {
            raw: self.raw.clone(),
            marker: PhantomData,
        }
    }
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        let cell = self.raw.next()?;
        // SAFETY: a full slot of the owned table, yielded once; `take` marks it empty so the
        // table's drop skips it.
        Some(unsafe { self.table.take(cell) })
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.raw.size_hint()
    }
}

/// Draining iterator: the table is moved out while the drain lives and put back, cleared but with
/// its bucket array, when it is dropped. A leaked drain leaves the map empty.
pub(crate) struct Drain<'a, K, V> {
    inner: IntoIter<K, V>,
    home: &'a mut RawTable<K, V>,
}

impl<'a, K, V> Drain<'a, K, V> {
    pub(super) fn new(home: &'a mut RawTable<K, V>) -> Self {
        let table = core::mem::replace(home, RawTable::new());
        Drain {
            inner: IntoIter::new(table),
            home,
        }
    }

    pub(crate) fn rest(&self) -> Iter<'_, K, V> {
        self.inner.rest()
    }
}

impl<K, V> Iterator for Drain<'_, K, V> {
    type Item = (K, V);

    #[inline]
    fn next(&mut self) -> Option<(K, V)> {
        self.inner.next()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<K, V> Drop for Drain<'_, K, V> {
    fn drop(&mut self) {
        // Put the table back first: if dropping a remaining entry panics, the map is still whole.
        core::mem::swap(self.home, &mut self.inner.table);
        self.inner.raw = RawIter::new(None, 0, &BucketArray::unallocated(), 0);
        self.home.clear();
    }
}

/// Removes and yields the entries for which the predicate holds.
pub(crate) struct ExtractIf<'a, K, V, F> {
    raw: RawIter<K, V>,
    table: &'a mut RawTable<K, V>,
    predicate: F,
}

impl<'a, K, V, F: FnMut(&K, &mut V) -> bool> ExtractIf<'a, K, V, F> {
    pub(super) fn new(table: &'a mut RawTable<K, V>, predicate: F) -> Self {
        ExtractIf {
            raw: table.raw_iter(),
            table,
            predicate,
        }
    }
}

impl<K, V, F: FnMut(&K, &mut V) -> bool> Iterator for ExtractIf<'_, K, V, F> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        for cell in self.raw.by_ref() {
            // SAFETY: a full slot of the exclusively borrowed table, visited once.
            let (key, value) = unsafe { (&*cell.key(), &mut *cell.value()) };
            if (self.predicate)(key, value) {
                // SAFETY: still full (the predicate cannot reach the table).
                return Some(unsafe { self.table.take(cell) });
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, self.raw.size_hint().1)
    }
}
