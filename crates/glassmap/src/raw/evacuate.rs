//! The growth mechanism: starting a growth (Go's `hashGrow`), the work each write owes (Go's
//! `growWork`, here in index order only), moving one old bucket's chain (`evacuate`), and resizing
//! to any B (`reserve`, `shrink_to`). When to grow is `growth_policy.rs`; the invariants cited here
//! are the numbered list of the module docs (`raw/mod.rs`).
//!
//! A deliberate deviation from Go: Go's `growWork` first evacuates the old bucket the write's key
//! maps to, so that writes only ever touch the new array, because a Go iterator may be walking the
//! old array while the map is written. In Rust an iterator borrows the map, so no write can happen
//! during an iteration, and a write can instead go where a read looks: into the key's old bucket
//! while that is unevacuated (invariants 1 and 3). Evacuation then only ever takes the bucket at
//! `nevacuate`: a sequential stream whose next buckets are prefetched a few writes ahead, where
//! Go's fed bucket is a random miss that cannot be hidden. "Evacuated" is just `index <
//! nevacuate`, so Go's evacuated marks (and its `advanceEvacuationMark` scan over them) are not
//! needed. The cost: a new key written into an unevacuated old bucket is moved once more.

use core::mem;

use super::array::BucketArray;
use super::bucket::{Bucket, Cell, Cursor};
use super::growth_policy::{log2_buckets_for, over_load_factor};
use super::tophash::EMPTY_ONE;
use super::{RawTable, prefetch_bucket};
use crate::TryReserveError;
use crate::stats::GrowthKind;

/// How many writes ahead a write prefetches the old buckets (and their destinations) that write
/// will evacuate: [`EVACUATIONS_PER_WRITE`] times as many buckets past `nevacuate` (the distance
/// was tuned with the insert-from-empty benchmark: far enough for DRAM latency, near enough that
/// the lines are still cached).
const EVACUATION_PREFETCH_DISTANCE: usize = 4;

/// Old buckets each write evacuates: as many as Go's `growWork` does at most (the fed bucket plus
/// the one at `nevacuate`), so a doubling of 2^B old buckets ends after 2^(B-1) writes, long before
/// the new array reaches its load factor (6.5 * 2^B entries at the start, 13 * 2^B allowed).
pub(super) const EVACUATIONS_PER_WRITE: usize = 2;

/// A growth in progress: the array being emptied into `RawTable::current`.
pub(super) struct Evacuation<K, V> {
    pub(super) old: BucketArray<K, V>,
    /// Go's `nevacuate`: the old buckets below it are evacuated, the others not (invariant 2).
    pub(super) nevacuate: usize,
    pub(super) kind: GrowthKind,
}

impl<K, V> RawTable<K, V> {
    /// Go's `hashGrow` for an insert of a new key, then the growth work the insert owes.
    #[cold]
    #[inline(never)]
    pub(super) fn start_growth_for(&mut self, hasher: &impl Fn(&K) -> u64) {
        self.start_growth();
        self.grow_work(hasher);
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
        self.growing = true;
        self.evacuation = Some(Evacuation {
            old,
            nevacuate: 0,
            kind,
        });
    }

    /// The growth work a write owes: the next [`EVACUATIONS_PER_WRITE`] old buckets at
    /// `nevacuate` (invariant 3). Unlike Go's `growWork`, never the bucket the write's key maps
    /// to, so evacuation is a stream: the old bucket a few writes ahead and its destinations are
    /// prefetched now, and are cached by the time the mark reaches them.
    #[inline]
    pub(super) fn grow_work(&mut self, hasher: &impl Fn(&K) -> u64) {
        let Some(ev) = &self.evacuation else { return };
        let ahead = ev.nevacuate + EVACUATION_PREFETCH_DISTANCE * EVACUATIONS_PER_WRITE;
        for k in 0..EVACUATIONS_PER_WRITE {
            self.prefetch_evacuation(ahead + k);
        }
        for _ in 0..EVACUATIONS_PER_WRITE {
            self.evacuate_next(hasher);
        }
    }

    /// Prefetches old bucket `old_index` (if it exists) and, for a doubling or same-size growth,
    /// the heads of its X and Y destinations.
    #[inline]
    fn prefetch_evacuation(&self, old_index: usize) {
        let Some(ev) = &self.evacuation else { return };
        if old_index >= ev.old.buckets() {
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
            if self.evacuation.is_none() {
                break;
            }
            self.evacuate_next(&hasher);
        }
        self.evacuation.is_some()
    }

    /// Completes the growth in progress, if any.
    pub(crate) fn finish_growth(&mut self, hasher: impl Fn(&K) -> u64) {
        while self.evacuation.is_some() {
            self.evacuate_next(&hasher);
        }
    }

    /// Go's `evacuate` for the old bucket at `nevacuate`, then the mark moves past it (the
    /// evacuation order is the index order, invariant 2), handing the evacuated prefix back to the
    /// OS and ending the growth after the last bucket.
    fn evacuate_next(&mut self, hasher: &impl Fn(&K) -> u64) {
        let Some(ev) = &mut self.evacuation else {
            return;
        };
        let old_index = ev.nevacuate;
        let old_head = ev.old.head(old_index);
        // SAFETY: `old_index` is `nevacuate`, below the old bucket count while the growth lasts:
        // it heads an unevacuated chain of the live old array (invariant 2); the current array is
        // the growth's destination and exclusively borrowed. Once moved, the chain is never read
        // again (the mark moves past it right below), so its overflow buckets can be reused by
        // the writes that still go into the old array's unevacuated chains.
        unsafe {
            move_chain(
                old_head,
                old_index,
                ev.old.log2(),
                &mut self.current,
                &mut self.scratch,
                hasher,
            );
            ev.old.recycle_overflow(old_head);
        }
        ev.nevacuate += 1;
        ev.old.release_below(ev.nevacuate);
        if ev.nevacuate == ev.old.buckets() {
            // Every old bucket is below the mark: the array holds no entry to drop (invariant 2).
            let finished = self.evacuation.take();
            self.growing = false;
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

/// Moves every entry of the old chain at `old_head` into `current`. The old slots are left as
/// they are: the caller moves `nevacuate` past the bucket, after which nothing reads it
/// (invariant 2), so no evacuated marks are needed.
///
/// The whole chain is hashed first, into `hashes`: a panicking `Hash` then leaves the bucket
/// untouched (invariant 6; `hashes` is cleared before use, so a half-filled buffer is harmless).
///
/// # Safety
/// `old_head` heads a live, unevacuated chain: bucket `old_index` of the growth's old array, of
/// 2^`old_log2` buckets; `current` is the growth's destination array, exclusively borrowed; the
/// caller moves `nevacuate` past `old_index` before anything reads the old chain again.
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
    // now: only this old bucket feeds them, and writes reach them only once it is evacuated
    // (invariants 1 and 3). Entries are appended at a cursor, as Go's `evacDst` does. A resize by
    // several steps spreads entries wider, and a shrink gathers several old buckets into one new
    // bucket: those look for each entry's empty slot instead.
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
    // No user code runs from here on.
    let mut destinations = [
        Cursor::new(current.head(old_index)),
        Cursor::new(current.head(old_index + doubling_bit)),
    ];
    let mut hashes_left = hashes.iter();
    let mut bucket = Some(old_head);
    while let Some(b) = bucket {
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
                        let primary = old_index + usize::from(y) * doubling_bit;
                        // SAFETY: a cursor's bucket is the last of its destination chain, whose
                        // primary bucket is X (`old_index`) or Y (`old_index + doubling_bit`).
                        let fresh = unsafe { current.attach_overflow(primary, full) };
                        cursor.restart(fresh);
                        fresh
                    }
                }
            } else {
                // SAFETY: `hash`'s primary bucket of the current array heads a live chain.
                unsafe { vacant_in_chain(current, hash as usize) }
            };
            // SAFETY: `cell` is full; `destination` is an empty slot of the current array (a
            // fresh cursor position or a vacant slot); the old chain is never read again once the
            // caller moves `nevacuate` past it, so the entry is owned once (invariant 1).
            unsafe {
                debug_assert!(destination.tophash() <= EMPTY_ONE);
                let top = cell.tophash();
                let (key, value) = cell.read();
                destination.write(top, key, value);
            }
        }
        // SAFETY: live chain.
        bucket = unsafe { b.overflow() };
    }
}

/// [`move_chain`] for the usual chain, one bucket, in a doubling or same-size growth: its at most
/// eight entries fit in the empty primary buckets X and Y, so no overflow bucket is ever needed,
/// and each destination's tophash word is built in a register and stored once.
///
/// # Safety
/// As [`move_chain`]'s, and: `old_head` has no overflow bucket; `current` is the destination of a
/// doubling (`grows`, old bucket count `doubling_bit`) or same-size growth.
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
    let mut full_slots = 0u32;
    let mut y_slots = 0u32;
    for slot in full {
        // SAFETY: full slots hold initialised keys.
        let hash = hasher(unsafe { &*Cell::new(old_head, slot).key() });
        full_slots |= 1 << slot;
        y_slots |= u32::from(grows && hash as usize & doubling_bit != 0) << slot;
    }
    let x_slots = full_slots & !y_slots;
    // One side at a time, so each side's next position and tophash word stay in registers.
    let move_side = |mut slots: u32, destination: Bucket<K, V>| {
        let mut word = 0u64;
        let mut position = 0;
        while slots != 0 {
            let slot = slots.trailing_zeros() as usize;
            slots &= slots - 1;
            // SAFETY: `slot` is full; the destination slot is empty: its bucket was empty
            // (caller) and receives at most the eight entries of this bucket, in order, so
            // `position < 8`. The old bucket is never read again once the caller moves
            // `nevacuate` past it (invariant 1).
            unsafe { Cell::new(old_head, slot).move_to(Cell::new(destination, position)) };
            word |= u64::from(tops[slot]) << (8 * position);
            position += 1;
        }
        word
    };
    let x = current.head(old_index);
    let x_word = move_side(x_slots, x);
    // SAFETY: live buckets, exclusive access (caller). The destinations were all `EMPTY_REST`
    // (zero), which the words keep after their last entry. In a same-size growth every entry
    // went to X and Y is not touched.
    unsafe {
        debug_assert_eq!(u64::from_le_bytes(x.tophash_bytes()) & x_word, 0);
        x.set_group(x_word.to_le_bytes());
    }
    if grows {
        let y = current.head(old_index + doubling_bit);
        let y_word = move_side(y_slots, y);
        // SAFETY: as for X.
        unsafe { y.set_group(y_word.to_le_bytes()) };
    }
}

/// The first empty slot of the chain at primary bucket `index & mask` in `array`, attaching an
/// overflow bucket if the chain is full.
///
/// # Safety
/// `array` is allocated and not being evacuated.
unsafe fn vacant_in_chain<K, V>(array: &mut BucketArray<K, V>, index: usize) -> Cell<K, V> {
    let mut bucket = array.head(index);
    loop {
        // SAFETY: `array` is allocated (caller), so every bucket reached from `index`'s primary
        // bucket is in its live chain, whose slots hold no evacuated states; the chain's primary
        // bucket is `index & mask`, as `attach_overflow` needs.
        unsafe {
            if let Some(slot) = bucket.group().empty().lowest() {
                return Cell::new(bucket, slot);
            }
            match bucket.overflow() {
                Some(next) => bucket = next,
                None => return array.attach_overflow(index, bucket),
            }
        }
    }
}
