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
use super::growth_policy::BUCKET_SLOTS;
use super::growth_policy::{log2_buckets_for, over_load_factor};
use super::tophash::EMPTY_ONE;
use super::{RawTable, prefetch_bucket};
use crate::TryReserveError;
use crate::stats::GrowthKind;

/// How many writes ahead a write prefetches the old buckets that write will evacuate:
/// [`EVACUATIONS_PER_WRITE`] times as many buckets past `nevacuate` (the distance was tuned with
/// the insert-from-empty benchmark: far enough for DRAM latency, near enough that the lines are
/// still cached).
const EVACUATION_PREFETCH_DISTANCE: usize = 4;

/// Old buckets each write evacuates: twice what Go's `growWork` does at most (the fed bucket plus
/// the one at `nevacuate`), so a doubling of 2^B old buckets ends after 2^(B-2) writes, long before
/// the new array reaches its load factor (6.5 * 2^B entries at the start, 13 * 2^B allowed). With
/// two, the growth lasted twice as many writes, and twice as many new keys went into unevacuated
/// old buckets (the fullest chains, 6.5-7 entries per bucket: more searches past a full bucket,
/// more old-array overflow buckets, and a second move for each such key); four cost fewer
/// instructions per insert from empty (153.2 -> 144.9) and less time (session 9,
/// ARCHITECTURE.md). The write that does the work moves four buckets, about a microsecond.
pub(super) const EVACUATIONS_PER_WRITE: usize = 4;

/// A growth in progress: the array being emptied into `RawTable::current`.
pub(super) struct Evacuation<K, V> {
    pub(super) old: BucketArray<K, V>,
    /// Go's `nevacuate`: the old buckets below it are evacuated, the others not (invariant 2).
    pub(super) nevacuate: usize,
    pub(super) kind: GrowthKind,
    /// Where an old bucket's entries go, from the two arrays' sizes.
    pub(super) shape: Shape,
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
        let shape = Shape::of(self.current.log2(), new.log2());
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
            shape,
        });
    }

    /// The growth work a write owes: the next [`EVACUATIONS_PER_WRITE`] old buckets at
    /// `nevacuate` (invariant 3). Unlike Go's `growWork`, never the bucket the write's key maps
    /// to, so evacuation is a stream: the old bucket a few writes ahead (and, nearer, the overflow
    /// bucket of its chain) is prefetched now, and is cached by the time the mark reaches it.
    #[inline]
    pub(super) fn grow_work(&mut self, hasher: &impl Fn(&K) -> u64) {
        self.evacuate_some(EVACUATIONS_PER_WRITE, hasher);
    }

    /// Evacuates up to `max_buckets` old buckets; true while the growth still has work left.
    pub(crate) fn evacuate_step(&mut self, max_buckets: usize, hasher: impl Fn(&K) -> u64) -> bool {
        self.evacuate_some(max_buckets, &hasher);
        self.evacuation.is_some()
    }

    /// Completes the growth in progress, if any.
    pub(crate) fn finish_growth(&mut self, hasher: impl Fn(&K) -> u64) {
        self.evacuate_some(usize::MAX, &hasher);
    }

    /// Go's `evacuate` for the next `count` old buckets at `nevacuate` (fewer if the growth ends
    /// first), the mark moving past each as soon as it is moved (the evacuation order is the index
    /// order, invariant 2), handing the evacuated prefix back to the OS and ending the growth after
    /// the last bucket. The growth's shape (which [`Destinations`] it has) is read once per call.
    #[inline(never)]
    fn evacuate_some(&mut self, count: usize, hasher: &impl Fn(&K) -> u64) {
        let Some(ev) = &mut self.evacuation else {
            return;
        };
        let old_buckets = ev.old.buckets();
        let end = ev.nevacuate.saturating_add(count).min(old_buckets);
        let old_log2 = ev.old.log2();
        let shape = ev.shape;
        while ev.nevacuate < end {
            let old_index = ev.nevacuate;
            prefetch_old_bucket(&ev.old, old_index + PREFETCH_AHEAD);
            if old_index + CHAIN_PREFETCH_AHEAD < old_buckets {
                // SAFETY: the bucket is below the old bucket count and above `nevacuate`: it
                // heads an unevacuated, live chain of the old array (invariant 2).
                unsafe { prefetch_overflow(ev.old.head(old_index + CHAIN_PREFETCH_AHEAD)) };
            }
            let old_head = ev.old.head(old_index);
            // SAFETY: `old_index` is below `nevacuate`'s end, the old bucket count: it heads an
            // unevacuated chain of the live old array (invariant 2); the current array is the
            // growth's destination and exclusively borrowed. Once moved, the chain is never read
            // again (the mark moves past it right below), so its overflow buckets can be reused by
            // the writes that still go into the old array's unevacuated chains.
            unsafe {
                move_chain(
                    old_head,
                    old_index,
                    old_log2,
                    shape,
                    &mut self.current,
                    &mut self.scratch,
                    hasher,
                );
                ev.old.recycle_overflow(old_head);
            }
            // Before the next bucket's user code runs: a panicking `Hash` there must find this
            // bucket evacuated (invariant 6), or its entries would be owned twice.
            ev.nevacuate = old_index + 1;
            ev.old.release_below(ev.nevacuate);
        }
        if ev.nevacuate == old_buckets {
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

/// How the entries of one old bucket spread over the current array, known once per growth.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// A same-size growth: old bucket `i` goes to bucket `i` (X).
    SameSize,
    /// A doubling: old bucket `i` goes to `i` (X) or `i + 2^B_old` (Y), by the hash bit above the
    /// old mask.
    Doubling,
    /// A resize by several steps, or a shrink: each entry goes to `hash & new_mask`.
    Resize,
}

impl Shape {
    fn of(old_log2: u8, new_log2: u8) -> Self {
        match new_log2.checked_sub(old_log2) {
            Some(0) => Shape::SameSize,
            Some(1) => Shape::Doubling,
            _ => Shape::Resize,
        }
    }
}

/// How far ahead of `nevacuate` the evacuation prefetches: [`EVACUATION_PREFETCH_DISTANCE`]
/// writes' worth of buckets.
const PREFETCH_AHEAD: usize = EVACUATION_PREFETCH_DISTANCE * EVACUATIONS_PER_WRITE;

/// How far ahead of `nevacuate` the evacuation asks for the first overflow bucket of an old chain:
/// half of [`PREFETCH_AHEAD`], so the chain's head (its tophash word and the link at the end of its
/// slot block), asked for [`PREFETCH_AHEAD`] buckets ahead, is cached when its link is read.
const CHAIN_PREFETCH_AHEAD: usize = PREFETCH_AHEAD / 2;

/// Prefetches the overflow bucket after `head`, if its chain goes on. An overflow bucket is a unit
/// of a chunk, at no predictable address: without this, sorting a chain of two buckets (a quarter
/// of the old chains in a doubling) waited for its overflow bucket's tophash word and keys.
///
/// # Safety
/// `head` is live.
#[inline]
unsafe fn prefetch_overflow<K, V>(head: Bucket<K, V>) {
    // SAFETY: live bucket (caller); `overflow` reads the link only behind the mark (invariant 8).
    if let Some(next) = unsafe { head.overflow() } {
        prefetch_bucket(next);
    }
}

/// Prefetches old bucket `old_index` (taken modulo the old bucket count, so past the end it
/// touches a cached bucket again rather than a wrong address). Its X and Y destinations are not
/// asked for: they are only written (no load waits for them) and each side is a sequential stream
/// the hardware prefetcher follows; asking for their 8 lines per bucket as well cost 4
/// instructions per insert from empty and no time (session 9, ARCHITECTURE.md).
#[inline]
fn prefetch_old_bucket<K, V>(old: &BucketArray<K, V>, old_index: usize) {
    prefetch_bucket(old.head(old_index));
}

/// Moves every entry of the old chain at `old_head` into `current`. The old slots are left as
/// they are: the caller moves `nevacuate` past the bucket, after which nothing reads it
/// (invariant 2), so no evacuated marks are needed.
///
/// The whole chain is hashed before any entry moves, so a panicking `Hash` leaves the bucket
/// untouched (invariant 6).
///
/// # Safety
/// `old_head` heads a live, unevacuated chain: bucket `old_index` of the growth's old array, of
/// 2^`old_log2` buckets; `current` is the growth's destination array, of the `shape` the two
/// sizes give, exclusively borrowed; the caller moves `nevacuate` past `old_index` before anything
/// reads the old chain again.
#[inline]
unsafe fn move_chain<K, V>(
    old_head: Bucket<K, V>,
    old_index: usize,
    old_log2: u8,
    shape: Shape,
    current: &mut BucketArray<K, V>,
    scratch: &mut Vec<u64>,
    hasher: &impl Fn(&K) -> u64,
) {
    let doubling_bit = 1usize << old_log2;
    let y_bit = match shape {
        Shape::SameSize => 0,
        Shape::Doubling => doubling_bit,
        Shape::Resize => {
            // SAFETY: as the caller's.
            unsafe { spread_chain(old_head, current, scratch, hasher) };
            return;
        }
    };
    // Doubling and same-size growths have at most two destinations, X and Y, and both are empty
    // now: only this old bucket feeds them, and writes reach them only once it is evacuated
    // (invariants 1 and 3). A longer chain's entries are appended at two cursors, as Go's
    // `evacDst` does. In a same-size growth `head` masks Y's index back onto X's bucket; no entry
    // goes there (`y_bit == 0`, so every sides word has its Y half empty).
    let (x, y) = (
        current.head(old_index),
        current.head(old_index + doubling_bit),
    );
    // SAFETY: live chain (caller).
    if unsafe { old_head.overflow() }.is_none() {
        // The usual chain, one bucket: its sides stay in a register, and each side, at most eight
        // entries, fills its empty destination from slot 0 without needing an overflow bucket.
        // SAFETY: live bucket of the old array, exclusive access, empty destinations (caller);
        // the bucket is sorted (its user code run) before any entry moves (invariant 6).
        unsafe {
            let sides = sort_bucket(old_head, y_bit, hasher);
            fill_empty(x, old_head, sides & 0xff);
            fill_empty(y, old_head, sides >> BUCKET_SLOTS);
        }
        return;
    }
    let mut destinations = Destinations {
        x: Cursor::new(x),
        y: Cursor::new(y),
    };
    // A longer chain: every bucket sorted before any entry moves (invariant 6), one sides word
    // per bucket in `scratch` (cleared first, so words left by a panicking `Hash` are harmless).
    scratch.clear();
    let mut bucket = Some(old_head);
    while let Some(b) = bucket {
        // SAFETY: live chain of the old array (caller): each link leads to a live bucket.
        unsafe {
            scratch.push(sort_bucket(b, y_bit, hasher));
            bucket = b.overflow();
        }
    }
    // No user code runs from here on.
    let mut bucket = Some(old_head);
    for &sides in scratch.iter() {
        let b = bucket.expect("one sides word per bucket of the chain");
        // SAFETY: live chain of the old array, exclusive access, empty destinations (caller);
        // `sides` is `b`'s sorting, pushed in chain order above.
        unsafe {
            destinations.take(b, sides, current);
            bucket = b.overflow();
        }
    }
}

/// Hashes the full slots of `bucket` (user code) into its sides: bit `slot` set for an entry that
/// stays in X, bit `8 + slot` for one that goes to Y (its hash has `y_bit` set).
///
/// # Safety
/// `bucket` is live.
#[inline]
unsafe fn sort_bucket<K, V>(
    bucket: Bucket<K, V>,
    y_bit: usize,
    hasher: &impl Fn(&K) -> u64,
) -> u64 {
    let mut sides = 0u64;
    // SAFETY: live bucket (caller).
    for slot in unsafe { bucket.group() }.full() {
        // SAFETY: a full slot of a live bucket holds an initialised key.
        let hash = hasher(unsafe { &*Cell::new(bucket, slot).key() });
        let side = usize::from(hash as usize & y_bit != 0);
        sides |= 1 << (slot + BUCKET_SLOTS * side);
    }
    sides
}

/// The X and Y destination chains of one old chain in a doubling or same-size growth.
struct Destinations<K, V> {
    x: Cursor<K, V>,
    y: Cursor<K, V>,
}

impl<K, V> Destinations<K, V> {
    /// Moves the entries of `bucket` to the sides [`sort_bucket`] gave them: X's first, then Y's,
    /// so each loop keeps one cursor in registers.
    ///
    /// # Safety
    /// `bucket` is live, in a chain being evacuated into this destination pair, and `sides` is its
    /// sorting; the destinations are live buckets of `current`, exclusively borrowed.
    #[inline]
    unsafe fn take(&mut self, bucket: Bucket<K, V>, sides: u64, current: &mut BucketArray<K, V>) {
        // SAFETY: forwarded (caller).
        unsafe {
            self.x = append(self.x, bucket, sides & 0xff, current);
            self.y = append(self.y, bucket, sides >> BUCKET_SLOTS, current);
        }
    }
}

/// Moves the entries of `bucket` in `slots` (bit `slot` per entry) into `destination`, an empty
/// bucket, from its slot 0: [`append`] without the test for a full cursor, since one bucket holds
/// at most eight entries.
///
/// # Safety
/// `bucket` is live and the slots in `slots` are full; `destination` is a live, empty bucket of
/// the table, exclusively borrowed; `bucket` is never read again once the caller moves
/// `nevacuate` past it.
#[inline]
unsafe fn fill_empty<K, V>(destination: Bucket<K, V>, bucket: Bucket<K, V>, mut slots: u64) {
    let mut cursor = Cursor::new(destination);
    while slots != 0 {
        let slot = slots.trailing_zeros() as usize;
        slots &= slots - 1;
        debug_assert!(!cursor.is_full());
        // SAFETY: `slot` is full (caller) and below 8 (a bucket's slot mask), so the cursor has
        // taken fewer than eight entries: its slot is empty (the destination is, caller). The old
        // bucket is never read again (caller), so the entry is owned once (invariant 1).
        unsafe { cursor.push(Cell::new(bucket, slot)) };
    }
}

/// Appends the entries of `bucket` in `slots` (bit `slot` per entry) at `cursor`, chaining an
/// overflow bucket after the cursor's bucket when it is full (which moves that bucket's slot 7
/// into the new one, invariant 8, so the cursor goes on at the new bucket's slot 1). Takes and
/// returns the cursor by value, so it stays in registers (by `&mut`, with the overflow attachment
/// out of line, LLVM kept it in memory).
///
/// # Safety
/// As [`Destinations::take`]'s; the slots in `slots` are full.
#[inline]
unsafe fn append<K, V>(
    mut cursor: Cursor<K, V>,
    bucket: Bucket<K, V>,
    mut slots: u64,
    current: &mut BucketArray<K, V>,
) -> Cursor<K, V> {
    while slots != 0 {
        let slot = slots.trailing_zeros() as usize;
        slots &= slots - 1;
        if cursor.is_full() {
            // SAFETY: the cursor's bucket is the last of its destination chain, a live chain of
            // `current`; it was empty when the cursor reached it (caller) and the cursor has
            // filled all eight of its slots since.
            cursor = Cursor::at(unsafe { current.attach_overflow(cursor.bucket()) });
        }
        // SAFETY: `slot` is full (caller); the cursor is not full, its bucket empty from its
        // position on; the old bucket is never read again once the caller moves `nevacuate` past
        // it, so the entry is owned once (invariant 1).
        unsafe { cursor.push(Cell::new(bucket, slot)) };
    }
    cursor
}

/// [`move_chain`] for a resize by several steps or a shrink: each entry goes to the first empty
/// slot of its chain in `current` (`hash & new_mask`), which may already hold entries of other
/// old buckets. The chain is hashed first, into `hashes` (cleared before use, so a half-filled
/// buffer left by a panicking `Hash` is harmless).
///
/// # Safety
/// As [`move_chain`]'s.
#[inline(never)]
unsafe fn spread_chain<K, V>(
    old_head: Bucket<K, V>,
    current: &mut BucketArray<K, V>,
    hashes: &mut Vec<u64>,
    hasher: &impl Fn(&K) -> u64,
) {
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
    let mut hashes_left = hashes.iter();
    let mut bucket = Some(old_head);
    while let Some(b) = bucket {
        // SAFETY: live chain of the old array, exclusive access (caller).
        for slot in unsafe { b.group() }.full() {
            let cell = Cell::new(b, slot);
            let hash = *hashes_left.next().expect("one hash per full slot");
            // SAFETY: `hash`'s primary bucket of the current array heads a live chain; `cell` is
            // full; the old chain is never read again once the caller moves `nevacuate` past it,
            // so the entry is owned once (invariant 1).
            unsafe {
                let destination = vacant_in_chain(current, hash as usize);
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

/// The first empty slot of the chain at primary bucket `index & mask` in `array`, attaching an
/// overflow bucket if the chain is full.
///
/// # Safety
/// `array` is allocated and not being evacuated.
unsafe fn vacant_in_chain<K, V>(array: &mut BucketArray<K, V>, index: usize) -> Cell<K, V> {
    let mut bucket = array.head(index);
    loop {
        // SAFETY: `array` is allocated (caller), so every bucket reached from `index`'s primary
        // bucket is in its live chain; a last bucket without an empty slot is full (invariant 8:
        // it has no `CHAINED` mark), as `attach_overflow` needs.
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
