//! The growth mechanism: starting a growth (Go's `hashGrow`), the work each write owes
//! (`growWork`), moving one old bucket's chain (`evacuate`), the evacuation mark
//! (`advanceEvacuationMark`), and resizing to any B (`reserve`, `shrink_to`). When to grow is
//! `growth_policy.rs`; the invariants cited here are the numbered list of the module docs
//! (`raw/mod.rs`).

use core::mem;

use super::array::BucketArray;
use super::bucket::{Bucket, Cell, Cursor};
use super::growth_policy::{BUCKET_SLOTS, log2_buckets_for, over_load_factor};
use super::tophash::{EMPTY_ONE, EVACUATED_EMPTY, EVACUATED_X, EVACUATED_Y, is_evacuated};
use super::{RawTable, prefetch_bucket};
use crate::TryReserveError;
use crate::stats::GrowthKind;

/// How many buckets ahead of `nevacuate` a write prefetches (tuned with the insert-from-empty
/// benchmark: far enough for DRAM latency, near enough that the lines are still cached).
const EVACUATION_PREFETCH_DISTANCE: usize = 4;

/// Go's `advanceEvacuationMark` looks at most this many buckets ahead, keeping each write O(1).
const EVACUATION_MARK_WINDOW: usize = 1024;

/// A growth in progress: the array being emptied into `RawTable::current`.
pub(super) struct Evacuation<K, V> {
    pub(super) old: BucketArray<K, V>,
    /// Go's `nevacuate`: every old bucket below it is evacuated (invariant 2).
    pub(super) nevacuate: usize,
    /// Old buckets evacuated so far (in any order), for `growth()` in O(1).
    pub(super) evacuated: usize,
    pub(super) kind: GrowthKind,
}

impl<K, V> RawTable<K, V> {
    /// Go's `hashGrow` for an insert of a new key, then the `growWork` the insert owes.
    #[cold]
    #[inline(never)]
    pub(super) fn start_growth_for(&mut self, hash: u64, hasher: &impl Fn(&K) -> u64) {
        self.start_growth();
        self.grow_work(hash, hasher);
    }

    /// Starts Go's `hashGrow`: a doubling if the load factor asks for it, else a same-size growth.
    #[cold]
    #[inline(never)]
    fn start_growth(&mut self) {
        let log2 = self.current.log2();
        let (new_log2, kind) = if over_load_factor(self.len + 1, log2) {
            self.doublings += 1;
            (log2 + 1, GrowthKind::Doubling)
        } else {
            self.same_size_growths += 1;
            (log2, GrowthKind::SameSize)
        };
        self.begin_evacuation(BucketArray::new(new_log2), kind);
    }

    fn begin_evacuation(&mut self, new: BucketArray<K, V>, kind: GrowthKind) {
        debug_assert!(self.evacuation.is_none());
        let old = mem::replace(&mut self.current, new);
        #[cfg(feature = "tracing")]
        tracing::debug!(
            target: "glassmap",
            kind = ?kind,
            log2_before = old.log2(),
            log2_after = self.current.log2(),
            len = self.len,
            "growth started"
        );
        self.evacuation = Some(Evacuation {
            old,
            nevacuate: 0,
            evacuated: 0,
            kind,
        });
    }

    /// Go's `growWork`: the old bucket feeding `hash`'s bucket, then one more at `nevacuate`.
    ///
    /// The fed bucket and its X/Y destinations are prefetched before anything is touched (the
    /// addresses follow from the index alone), so their misses overlap; the sequential side is
    /// prefetched a few writes ahead.
    #[inline]
    pub(super) fn grow_work(&mut self, hash: u64, hasher: &impl Fn(&K) -> u64) {
        let Some(ev) = &self.evacuation else { return };
        let fed = hash as usize & ev.old.mask();
        let ahead = ev.nevacuate + EVACUATION_PREFETCH_DISTANCE;
        self.prefetch_evacuation(fed);
        // `nevacuate` moves forward one bucket per write most of the time, so the bucket a few
        // writes from now is known: fetching it now hides its misses completely.
        self.prefetch_evacuation(ahead);
        self.evacuate(fed, hasher);
        if let Some(ev) = &self.evacuation {
            self.evacuate(ev.nevacuate, hasher);
        }
    }

    /// Prefetches old bucket `old_index` (unless known evacuated) and, for a doubling or same-size
    /// growth, the heads of its X and Y destinations.
    #[inline]
    fn prefetch_evacuation(&self, old_index: usize) {
        let Some(ev) = &self.evacuation else { return };
        if old_index < ev.nevacuate || old_index >= ev.old.buckets() {
            return;
        }
        prefetch_bucket(ev.old.head(old_index));
        match self.current.log2().checked_sub(ev.old.log2()) {
            Some(0) => prefetch_bucket(self.current.head(old_index)),
            Some(1) => {
                prefetch_bucket(self.current.head(old_index));
                prefetch_bucket(self.current.head(old_index + ev.old.buckets()));
            }
            // Resizes spread a bucket over many destinations (or gather many into one).
            _ => {}
        }
    }

    /// Evacuates up to `max_buckets` old buckets; true while the growth still has work left.
    pub(crate) fn evacuate_step(&mut self, max_buckets: usize, hasher: impl Fn(&K) -> u64) -> bool {
        for _ in 0..max_buckets {
            match &self.evacuation {
                Some(ev) => self.evacuate(ev.nevacuate, &hasher),
                None => break,
            }
        }
        self.evacuation.is_some()
    }

    /// Completes the growth in progress, if any.
    pub(crate) fn finish_growth(&mut self, hasher: impl Fn(&K) -> u64) {
        while let Some(ev) = &self.evacuation {
            self.evacuate(ev.nevacuate, &hasher);
        }
    }

    /// Go's `evacuate`: moves the chain of old bucket `old_index` into the current array.
    fn evacuate(&mut self, old_index: usize, hasher: &impl Fn(&K) -> u64) {
        let Some(ev) = &mut self.evacuation else {
            return;
        };
        let old_head = ev.old.head(old_index);
        // SAFETY: indices at or above `nevacuate` of the live old array are readable (invariant 2).
        if old_index >= ev.nevacuate && !is_evacuated(unsafe { old_head.tophash(0) }) {
            // SAFETY: `old_head` heads an unevacuated chain of the live old array; the current
            // array is the growth's destination and exclusively borrowed.
            unsafe {
                move_chain(
                    old_head,
                    old_index,
                    ev.old.log2(),
                    &mut self.current,
                    &mut self.scratch,
                    hasher,
                );
            }
            ev.evacuated += 1;
        }
        if ev.nevacuate == old_index {
            self.advance_evacuation_mark();
        }
    }

    /// Go's `advanceEvacuationMark`, ending the growth when every old bucket is evacuated.
    fn advance_evacuation_mark(&mut self) {
        let Some(ev) = &mut self.evacuation else {
            return;
        };
        ev.nevacuate += 1;
        let stop = ev.old.buckets().min(ev.nevacuate + EVACUATION_MARK_WINDOW);
        while ev.nevacuate < stop
            // SAFETY: `nevacuate < buckets` of the live old array, not yet released.
            && is_evacuated(unsafe { ev.old.head(ev.nevacuate).tophash(0) })
        {
            ev.nevacuate += 1;
        }
        ev.old.release_below(ev.nevacuate);
        if ev.nevacuate == ev.old.buckets() {
            // Every slot of the old array is in an evacuated state: it holds no entry to drop.
            let finished = self.evacuation.take();
            #[cfg(feature = "tracing")]
            if let Some(ev) = &finished {
                tracing::debug!(
                    target: "glassmap",
                    kind = ?ev.kind,
                    log2_buckets = self.current.log2(),
                    len = self.len,
                    "growth finished"
                );
            }
            drop(finished);
        }
    }

    /// Makes the table hold at least `capacity` entries before its next doubling. Finishes a
    /// growth in progress first; the move to the bigger array is then incremental like any other.
    pub(crate) fn try_reserve_total(
        &mut self,
        capacity: usize,
        hasher: impl Fn(&K) -> u64,
    ) -> Result<(), TryReserveError> {
        let log2 = log2_buckets_for(capacity);
        if self.current.is_allocated() && log2 <= self.current.log2() {
            return Ok(());
        }
        self.resize(log2, GrowthKind::Resize, hasher)
    }

    /// Shrinks to the smallest B that holds `max(len, capacity)`, evacuating everything now.
    pub(crate) fn shrink_to(&mut self, capacity: usize, hasher: impl Fn(&K) -> u64) {
        let wanted = capacity.max(self.len);
        if !self.current.is_allocated() {
            return;
        }
        if wanted == 0 {
            self.finish_growth(&hasher);
            // Empty (len == 0 after the growth): drop the array, keep the history counters.
            self.current = BucketArray::unallocated();
            return;
        }
        let log2 = log2_buckets_for(wanted);
        if log2 < self.current.log2() {
            self.resize(log2, GrowthKind::Resize, &hasher)
                .expect("a smaller array always has a valid layout");
            self.finish_growth(&hasher);
        }
    }

    pub(super) fn resize(
        &mut self,
        log2: u8,
        kind: GrowthKind,
        hasher: impl Fn(&K) -> u64,
    ) -> Result<(), TryReserveError> {
        self.finish_growth(&hasher);
        let new = BucketArray::try_new(log2)?;
        if self.len == 0 {
            self.current = new;
        } else {
            self.begin_evacuation(new, kind);
        }
        Ok(())
    }
}

/// Moves every entry of the old chain at `old_head` into `current` and marks its slots evacuated.
///
/// The whole chain is hashed first, into `hashes`: a panicking `Hash` then leaves the bucket
/// untouched (invariant 6; `hashes` is cleared before use, so a half-filled buffer is harmless).
///
/// # Safety
/// `old_head` heads a live, unevacuated chain: bucket `old_index` of the growth's old array, of
/// 2^`old_log2` buckets;
/// `current` is the growth's destination array, exclusively borrowed.
unsafe fn move_chain<K, V>(
    old_head: Bucket<K, V>,
    old_index: usize,
    old_log2: u8,
    current: &mut BucketArray<K, V>,
    hashes: &mut Vec<u64>,
    hasher: &impl Fn(&K) -> u64,
) {
    let doubling_bit = 1usize << old_log2;
    let grows = current.log2() > old_log2;
    // Doubling and same-size growths have at most two destinations, X and Y, and both are empty
    // now (only this old bucket feeds them, and writes to them wait for it, invariant 3): entries
    // are appended at a cursor, as Go's `evacDst` does. A resize by several steps spreads entries
    // wider, and a shrink gathers several old buckets into one new bucket: those look for each
    // entry's empty slot instead.
    let cursors = matches!(current.log2().checked_sub(old_log2), Some(0 | 1));
    // SAFETY: live chain (caller).
    if cursors && unsafe { old_head.overflow() }.is_none() {
        // SAFETY: as the caller's; the chain is one bucket and its destinations are empty.
        unsafe { move_bucket(old_head, old_index, doubling_bit, grows, current, hasher) };
        return;
    }
    hashes.clear();
    let mut bucket = Some(old_head);
    while let Some(b) = bucket {
        // SAFETY: live chain (caller); `full()` slots hold initialised keys.
        unsafe {
            for slot in b.group().full() {
                hashes.push(hasher(&*Cell::new(b, slot).key()));
            }
            bucket = b.overflow();
        }
    }
    let mut destinations = [
        Cursor::new(current.head(old_index)),
        Cursor::new(current.head(old_index + doubling_bit)),
    ];
    let mut hashes_left = hashes.iter();
    let mut bucket = Some(old_head);
    while let Some(b) = bucket {
        // No user code runs from here on, so the bucket's marks are written in one store.
        let mut marks = [EVACUATED_EMPTY; BUCKET_SLOTS];
        // SAFETY: live chain of the old array, exclusive access (caller).
        for slot in unsafe { b.group() }.full() {
            let cell = Cell::new(b, slot);
            let hash = *hashes_left.next().expect("one hash per full slot");
            let y = grows && hash as usize & doubling_bit != 0;
            let destination = if cursors {
                let cursor = &mut destinations[usize::from(y)];
                match cursor.claim() {
                    Ok(cell) => cell,
                    Err(full) => {
                        // SAFETY: a cursor's bucket is the last of its destination chain.
                        let fresh = unsafe { current.attach_overflow(full) };
                        cursor.restart(fresh);
                        fresh
                    }
                }
            } else {
                // SAFETY: `hash`'s primary bucket of the current array heads a live chain.
                unsafe { vacant_in_chain(current, current.head(hash as usize)) }
            };
            // SAFETY: `cell` is full; `destination` is an empty slot of the current array (a
            // fresh cursor position or a vacant slot); the old slot is marked evacuated below
            // before anything reads it, so the entry is owned once (invariant 1).
            unsafe {
                debug_assert!(destination.tophash() <= EMPTY_ONE);
                let top = cell.tophash();
                let (key, value) = cell.read();
                destination.write(top, key, value);
            }
            marks[slot] = if y { EVACUATED_Y } else { EVACUATED_X };
        }
        // SAFETY: live chain, exclusive access.
        unsafe {
            b.set_group(marks);
            bucket = b.overflow();
        }
    }
}

/// [`move_chain`] for the usual chain, one bucket, in a doubling or same-size growth: its at most
/// eight entries fit in the empty primary buckets X and Y, so no overflow bucket is ever needed,
/// and each destination's tophash word and the old bucket's marks are built in registers and
/// stored once.
///
/// # Safety
/// `old_head` is old bucket `old_index`, live, unevacuated and without overflow bucket; `current`
/// is the destination of a doubling (`grows`, old bucket count `doubling_bit`) or same-size growth,
/// exclusively borrowed.
#[inline]
unsafe fn move_bucket<K, V>(
    old_head: Bucket<K, V>,
    old_index: usize,
    doubling_bit: usize,
    grows: bool,
    current: &mut BucketArray<K, V>,
    hasher: &impl Fn(&K) -> u64,
) {
    // SAFETY: live bucket (caller).
    let (full, tops) = unsafe { (old_head.group().full(), old_head.tophash_bytes()) };
    // User code first (invariant 6): a panicking `Hash` leaves the bucket untouched.
    let mut y_slots = 0u32;
    for slot in full {
        // SAFETY: full slots hold initialised keys.
        let hash = hasher(unsafe { &*Cell::new(old_head, slot).key() });
        y_slots |= u32::from(grows && hash as usize & doubling_bit != 0) << slot;
    }
    let destinations = [
        current.head(old_index),
        current.head(old_index + doubling_bit),
    ];
    let mut words = [0u64; 2];
    let mut next = [0usize; 2];
    let mut marks = u64::from_le_bytes([EVACUATED_EMPTY; BUCKET_SLOTS]);
    for slot in full {
        let y = (y_slots >> slot) & 1;
        let side = y as usize;
        let position = next[side];
        next[side] = position + 1;
        // SAFETY: `slot` is full; the destination slot is empty: its bucket was empty (caller)
        // and receives at most the eight entries of this bucket, in order, so `position < 8`.
        // The old slot is marked evacuated below before anything reads it (invariant 1).
        unsafe { Cell::new(old_head, slot).move_to(Cell::new(destinations[side], position)) };
        words[side] |= u64::from(tops[slot]) << (8 * position);
        // EVACUATED_EMPTY ^ EVACUATED_X (or _Y, one more) turns the slot's mark into X (or Y).
        let mark = u64::from(EVACUATED_EMPTY ^ (EVACUATED_X + y as u8));
        marks ^= mark << (8 * slot);
    }
    // SAFETY: live buckets, exclusive access (caller). The destinations were all `EMPTY_REST`
    // (zero), which the words keep after their last entry. In a same-size growth both
    // destinations are one bucket, and every entry went to X.
    unsafe {
        debug_assert_eq!(
            u64::from_le_bytes(destinations[0].tophash_bytes()) & words[0],
            0
        );
        destinations[0].set_group(words[0].to_le_bytes());
        if grows {
            destinations[1].set_group(words[1].to_le_bytes());
        }
        old_head.set_group(marks.to_le_bytes());
    }
}

const _: () = assert!(
    EVACUATED_Y == EVACUATED_X + 1,
    "move_bucket derives Y's mark from X's"
);

/// The first empty slot of the chain at `head` in `array`, attaching an overflow bucket if the
/// chain is full.
///
/// # Safety
/// `head` heads a live chain of `array`, which is not being evacuated.
unsafe fn vacant_in_chain<K, V>(array: &mut BucketArray<K, V>, head: Bucket<K, V>) -> Cell<K, V> {
    let mut bucket = head;
    loop {
        // SAFETY: live chain of `array` (caller), whose slots hold no evacuated states.
        unsafe {
            if let Some(slot) = bucket.group().empty().lowest() {
                return Cell::new(bucket, slot);
            }
            match bucket.overflow() {
                Some(next) => bucket = next,
                None => return array.attach_overflow(bucket),
            }
        }
    }
}
