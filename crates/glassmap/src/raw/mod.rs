//! The engine: Go's classic bucket table with incremental evacuation. All of the crate's `unsafe`
//! lives under this module; everything above it is safe code.
//!
//! # Invariants
//! 1. A key is in exactly one place: in its old bucket (`hash & old.mask()`) while that bucket is
//!    not evacuated, otherwise in its bucket of the current array. Nothing is ever written twice.
//! 2. An old bucket is evacuated iff its index is below `nevacuate` or its slot 0 holds one of the
//!    evacuated states; then every slot of its chain does. Buckets below `nevacuate` are never read.
//! 3. Writes (insert, remove, entry) evacuate the old bucket feeding the bucket they touch, plus the
//!    one at `nevacuate`, *before* looking at the current array: so a write only ever sees the key's
//!    current bucket. Reads never evacuate.
//! 4. `EMPTY_REST` in a slot means that slot and every later slot of its chain are empty. Marking a
//!    slot `EMPTY_ONE` never breaks this, so bulk removals (retain, drain) may skip the
//!    normalisation that `remove` does.
//! 5. `len` counts the full slots of both arrays.
//! 6. Panic safety: a panic in user code (`Hash`, `Eq`) happens before any slot is changed:
//!    evacuation hashes a whole chain before it moves anything. `clear` and `Drain` leave a valid
//!    empty table even if a `Drop` panics.
//!
//! ARCHITECTURE.md lists the same invariants with the same numbers; code cites them by number.

mod array;
pub(crate) mod batch;
mod bucket;
mod clone;
mod entry;
pub(crate) mod growth;
pub(crate) mod int_table;
mod iter;
mod prefetch;
pub(crate) mod tophash;

use core::mem;

use self::array::BucketArray;
use self::bucket::{Bucket, Cell, Cursor};
pub(crate) use self::entry::{RawEntry, RawOccupied, RawVacant};
use self::growth::{capacity_of, count_overflow, log2_buckets_for, over_load_factor};
pub use self::iter::BucketLoads;
use self::iter::RawIter;
pub(crate) use self::iter::{Drain, ExtractIf, IntoIter, Iter, IterMut};
use self::tophash::{
    EMPTY_ONE, EMPTY_REST, EVACUATED_EMPTY, EVACUATED_X, EVACUATED_Y, MIN_TOPHASH, Needle,
    is_evacuated, tophash,
};
use crate::TryReserveError;
use crate::stats::{Growth, GrowthKind, Stats};

/// How many buckets ahead of `nevacuate` a write prefetches (tuned with the insert-from-empty
/// benchmark: far enough for DRAM latency, near enough that the lines are still cached).
const EVACUATION_PREFETCH_DISTANCE: usize = 4;

/// Go's `advanceEvacuationMark` looks at most this many buckets ahead, keeping each write O(1).
const EVACUATION_MARK_WINDOW: usize = 1024;

pub(crate) struct RawTable<K, V> {
    len: usize,
    current: BucketArray<K, V>,
    evacuation: Option<Evacuation<K, V>>,
    /// Go's `noverflow`: overflow buckets of the current array, sampled above B = 15.
    noverflow: u16,
    /// xorshift state for the sampling of `noverflow` (Go uses its `rand()`).
    random: u64,
    doublings: u64,
    same_size_growths: u64,
    /// Reused buffer for the hashes of the chain being evacuated.
    scratch: Vec<u64>,
}

/// A growth in progress: the array being emptied into `RawTable::current`.
struct Evacuation<K, V> {
    old: BucketArray<K, V>,
    nevacuate: usize,
    /// Old buckets evacuated so far (in any order), for `growth()` in O(1).
    evacuated: usize,
    kind: GrowthKind,
}

/// Where a write lands: the slot holding the key, or an empty slot prepared for it.
enum Found<K, V> {
    Occupied(Cell<K, V>),
    Vacant(Cell<K, V>),
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
            noverflow: 0,
            random: 0x9e37_79b9_7f4a_7c15,
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
        self.evacuation.is_some()
    }

    pub(crate) fn growth(&self) -> Option<Growth> {
        self.evacuation.as_ref().map(|ev| Growth {
            kind: ev.kind,
            old_buckets: ev.old.buckets(),
            evacuated: ev.evacuated,
        })
    }

    /// The bucket whose chain holds `hash`'s key, if anywhere (invariants 1 and 2).
    ///
    /// While not growing this is the current array's bucket: one predictable branch. The growing
    /// case is out of line, so the lookup loop keeps no evacuation state in registers.
    #[inline]
    fn source_bucket(&self, hash: u64) -> Bucket<K, V> {
        if self.evacuation.is_some()
            && let Some(old) = self.unevacuated_old_bucket(hash)
        {
            return old;
        }
        self.current.head(hash as usize)
    }

    /// While growing: `hash`'s old bucket if it has not been evacuated yet.
    #[inline(never)]
    fn unevacuated_old_bucket(&self, hash: u64) -> Option<Bucket<K, V>> {
        let ev = self.evacuation.as_ref()?;
        let old_index = hash as usize & ev.old.mask();
        if old_index < ev.nevacuate {
            return None;
        }
        let old = ev.old.head(old_index);
        // SAFETY: the old array is live and `old_index >= nevacuate` was never released.
        (!is_evacuated(unsafe { old.tophash(0) })).then_some(old)
    }

    /// Finds the slot holding the key whose hash is `hash` and for which `eq` holds.
    #[inline]
    fn find(&self, hash: u64, eq: impl FnMut(&K) -> bool) -> Option<Cell<K, V>> {
        // SAFETY: the chain's buckets are live; an unallocated array's static word is all
        // EMPTY_REST, so the search stops at its tophash bytes.
        unsafe { search_chain(self.source_bucket(hash), Needle::of(hash), eq) }
    }

    /// The write path of insert and entry: evacuate (invariant 3), then find the key or the first
    /// empty slot of its chain, starting a growth first if the key is absent and Go would grow.
    ///
    /// Kept small enough to inline into a caller's loop: allocation, growth work and starting a
    /// growth are out of line, and so is everything past a chain's first bucket.
    #[inline]
    fn find_or_vacant(
        &mut self,
        hash: u64,
        mut eq: impl FnMut(&K) -> bool,
        hasher: impl Fn(&K) -> u64,
    ) -> Found<K, V> {
        if !self.current.is_allocated() || self.evacuation.is_some() {
            self.prepare_write(hash, &hasher);
        }
        let needle = Needle::of(hash);
        loop {
            let head = self.current.head(hash as usize);
            // SAFETY: the current array is allocated (`prepare_write`); `head` is live.
            let group = unsafe { head.group() };
            for slot in group.matching(needle) {
                let cell = Cell::new(head, slot);
                // SAFETY: matching slots of a searched chain are full (see `Group::matching`).
                if eq(unsafe { &*cell.key() }) {
                    return Found::Occupied(cell);
                }
            }
            // The usual case: the chain ends in its first bucket (an `EMPTY_REST` there), whose
            // first empty slot takes the key. Otherwise the search goes on out of line.
            let vacant = match group.empty().lowest() {
                Some(slot) if group.has_empty_rest() => Ok(Cell::new(head, slot)),
                // SAFETY: `head` heads a live chain of the current array, which is not being
                // evacuated (the old array is the one being emptied).
                first_empty => match unsafe { search_overflow(head, needle, &mut eq) } {
                    ChainEnd::Occupied(cell) => return Found::Occupied(cell),
                    ChainEnd::Vacant(cell) => Ok(first_empty.map_or(cell, |s| Cell::new(head, s))),
                    ChainEnd::Full(last) => match first_empty {
                        Some(slot) => Ok(Cell::new(head, slot)),
                        None => Err(last),
                    },
                },
            };
            if self.evacuation.is_none() && self.wants_growth() {
                self.start_growth_for(hash, &hasher);
                continue;
            }
            // A new key: help fault in the array ahead of the writes (see `populate_some`).
            self.current.populate_some();
            return Found::Vacant(match vacant {
                Ok(cell) => cell,
                Err(last) => self.attach_overflow(last),
            });
        }
    }

    /// Before a write: allocates the first array, or does Go's `growWork` while growing.
    #[inline(never)]
    fn prepare_write(&mut self, hash: u64, hasher: &impl Fn(&K) -> u64) {
        if !self.current.is_allocated() {
            self.current = BucketArray::new(0);
        }
        if self.evacuation.is_some() {
            self.grow_work(hash, hasher);
        }
    }

    /// Go's `hashGrow` for an insert of a new key, then the `growWork` the insert owes.
    #[cold]
    #[inline(never)]
    fn start_growth_for(&mut self, hash: u64, hasher: &impl Fn(&K) -> u64) {
        self.start_growth();
        self.grow_work(hash, hasher);
    }

    /// Go's growth trigger, checked for an insert of a new key while not growing.
    #[inline]
    fn wants_growth(&self) -> bool {
        self.current.over_load_factor(self.len + 1)
            || self.current.too_many_overflow_buckets(self.noverflow)
    }

    /// Fills a vacant slot returned by [`RawTable::find_or_vacant`].
    ///
    /// # Safety
    /// `cell` came from `find_or_vacant(hash, ..)` on this table with no mutation in between.
    #[inline]
    unsafe fn insert_in(&mut self, cell: Cell<K, V>, hash: u64, key: K, value: V) {
        // SAFETY: the slot is empty and live (caller).
        unsafe { cell.write(tophash(hash), key, value) };
        self.len += 1;
    }

    /// Removes the key, doing growth work first as Go's `mapdelete` does.
    pub(crate) fn remove(
        &mut self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
        hasher: impl Fn(&K) -> u64,
    ) -> Option<(K, V)> {
        if self.len == 0 {
            return None;
        }
        if self.evacuation.is_some() {
            self.grow_work(hash, &hasher);
        }
        let head = self.current.head(hash as usize);
        // SAFETY: `len > 0`: allocated; after `grow_work` the key can only be in the current array.
        unsafe {
            let cell = search_chain(head, Needle::of(hash), eq)?;
            Some(self.remove_at(hash, cell))
        }
    }

    /// Removes the entry in `cell`, a slot of the current array in `hash`'s chain, and restores
    /// `EMPTY_REST` where it now holds (Go's trailing-empty normalisation).
    ///
    /// # Safety
    /// `cell` is a full slot of the current array in the chain of `hash` (as returned by
    /// `find_or_vacant` or by `search_chain` on the current array).
    pub(crate) unsafe fn remove_at(&mut self, hash: u64, cell: Cell<K, V>) -> (K, V) {
        let head = self.current.head(hash as usize);
        // SAFETY: full, live slot (caller).
        let entry = unsafe { self.take(cell) };
        // SAFETY: `cell` is in `head`'s chain (caller).
        unsafe { normalise_empty_rest(head, cell) };
        entry
    }

    /// Moves the entry out of a full slot of either array, marking it `EMPTY_ONE` (invariant 4).
    ///
    /// # Safety
    /// `cell` is a full slot of this table.
    #[inline]
    unsafe fn take(&mut self, cell: Cell<K, V>) -> (K, V) {
        // SAFETY: full and live (caller); the tophash is updated before anything can observe it.
        let entry = unsafe { cell.read() };
        // SAFETY: as above.
        unsafe { cell.set_tophash(EMPTY_ONE) };
        self.len -= 1;
        entry
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
        self.current.clear_no_drop();
        self.len = 0;
        self.noverflow = 0;
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
        self.noverflow = 0;
    }

    /// Go's `growWork`: the old bucket feeding `hash`'s bucket, then one more at `nevacuate`.
    ///
    /// The fed bucket and its X/Y destinations are prefetched before anything is touched (the
    /// addresses follow from the index alone), so their misses overlap; the sequential side is
    /// prefetched a few writes ahead.
    #[inline]
    fn grow_work(&mut self, hash: u64, hasher: &impl Fn(&K) -> u64) {
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
        let Some(ev) = &self.evacuation else { return };
        let old_head = ev.old.head(old_index);
        let doubling_bit = ev.old.buckets();
        let old_log2 = ev.old.log2();
        let grows = self.current.log2() > old_log2;
        // SAFETY: indices at or above `nevacuate` of the live old array are readable.
        if old_index >= ev.nevacuate && !is_evacuated(unsafe { old_head.tophash(0) }) {
            // Hash the whole chain first: a panicking `Hash` then leaves the bucket untouched
            // (invariant 6). The buffer is lost if that happens, which only costs a reallocation.
            let mut hashes = mem::take(&mut self.scratch);
            hashes.clear();
            let mut bucket = Some(old_head);
            while let Some(b) = bucket {
                // SAFETY: live chain; `full()` slots hold initialised keys.
                unsafe {
                    for slot in b.group().full() {
                        hashes.push(hasher(&*Cell::new(b, slot).key()));
                    }
                    bucket = b.overflow();
                }
            }
            // Doubling and same-size growths have at most two destinations, X and Y, and both are
            // empty now (only this old bucket feeds them, and writes to them wait for it): entries
            // are appended at a cursor, as Go's `evacDst` does. A resize by several steps spreads
            // entries wider, and a shrink gathers several old buckets into one new bucket: those
            // look for each entry's empty slot instead.
            let cursors = matches!(self.current.log2().checked_sub(old_log2), Some(0 | 1));
            let mut destinations = [
                Cursor::new(self.current.head(old_index)),
                Cursor::new(self.current.head(old_index + doubling_bit)),
            ];
            let mut hashes_left = hashes.iter();
            let mut bucket = Some(old_head);
            while let Some(b) = bucket {
                // No user code runs from here on, so the bucket's marks are written in one store.
                let mut marks = [EVACUATED_EMPTY; growth::BUCKET_SLOTS];
                // SAFETY: live chain of the old array, exclusive access (`&mut self`).
                for slot in unsafe { b.group() }.full() {
                    let cell = Cell::new(b, slot);
                    let hash = *hashes_left.next().expect("one hash per full slot");
                    let y = grows && hash as usize & doubling_bit != 0;
                    let destination = if cursors {
                        let cursor = &mut destinations[usize::from(y)];
                        match cursor.claim() {
                            Ok(cell) => cell,
                            Err(full) => {
                                let fresh = self.attach_overflow(full);
                                cursor.restart(fresh);
                                fresh
                            }
                        }
                    } else {
                        self.vacant_in_chain(self.current.head(hash as usize))
                    };
                    // SAFETY: `cell` is full; `destination` is an empty slot of the current array
                    // (a fresh cursor position or a vacant slot); the old slot is marked evacuated
                    // below before anything reads it, so the entry is owned once.
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
            self.scratch = hashes;
            if let Some(ev) = &mut self.evacuation {
                ev.evacuated += 1;
            }
        }
        if self
            .evacuation
            .as_ref()
            .is_some_and(|ev| ev.nevacuate == old_index)
        {
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

    /// The first empty slot of the chain at `head` in the current array, attaching an overflow
    /// bucket if the chain is full.
    fn vacant_in_chain(&mut self, head: Bucket<K, V>) -> Cell<K, V> {
        let mut bucket = head;
        loop {
            // SAFETY: live chain of the current array.
            unsafe {
                if let Some(slot) = bucket.group().empty().lowest() {
                    return Cell::new(bucket, slot);
                }
                match bucket.overflow() {
                    Some(next) => bucket = next,
                    None => return self.attach_overflow(bucket),
                }
            }
        }
    }

    /// Go's `newoverflow`: chains a fresh bucket after `last` and returns its slot 0.
    #[cold]
    fn attach_overflow(&mut self, last: Bucket<K, V>) -> Cell<K, V> {
        let next = self.current.new_overflow();
        // SAFETY: `last` ends a live chain of the current array; `next` is fresh and empty.
        unsafe { last.set_overflow(next) };
        // xorshift64 (Marsaglia 2003), only to sample the overflow count like Go's `fastrand`.
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        count_overflow(&mut self.noverflow, self.current.log2(), self.random);
        // SAFETY: `next` is an allocated overflow unit.
        Cell::new(unsafe { Bucket::of_overflow(next) }, 0)
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
            self.noverflow = 0;
            return;
        }
        let log2 = log2_buckets_for(wanted);
        if log2 < self.current.log2() {
            self.resize(log2, GrowthKind::Resize, &hasher)
                .expect("a smaller array always has a valid layout");
            self.finish_growth(&hasher);
        }
    }

    fn resize(
        &mut self,
        log2: u8,
        kind: GrowthKind,
        hasher: impl Fn(&K) -> u64,
    ) -> Result<(), TryReserveError> {
        self.finish_growth(&hasher);
        let new = BucketArray::try_new(log2)?;
        if self.len == 0 {
            self.current = new;
            self.noverflow = 0;
        } else {
            self.begin_evacuation(new, kind);
        }
        Ok(())
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

    pub(crate) fn bucket_loads(&self) -> BucketLoads<'_, K, V> {
        BucketLoads::new(&self.current)
    }

    /// Test support: checks every invariant of the module docs, panicking on the first violation.
    #[doc(hidden)]
    pub(crate) fn assert_invariants(&self, hasher: impl Fn(&K) -> u64) {
        let mut counted = 0;
        // SAFETY: read-only walk of live chains; slots are read only when full.
        unsafe {
            if let Some(ev) = &self.evacuation {
                assert!(ev.nevacuate <= ev.old.buckets());
                for index in ev.nevacuate..ev.old.buckets() {
                    let head = ev.old.head(index);
                    let evacuated = is_evacuated(head.tophash(0));
                    let mut bucket = Some(head);
                    while let Some(b) = bucket {
                        for slot in 0..growth::BUCKET_SLOTS {
                            let top = b.tophash(slot);
                            assert_eq!(
                                is_evacuated(top),
                                evacuated,
                                "bucket {index} half-evacuated"
                            );
                            if top >= MIN_TOPHASH {
                                let hash = hasher(&*Cell::new(b, slot).key());
                                assert_eq!(
                                    hash as usize & ev.old.mask(),
                                    index,
                                    "key in wrong old bucket"
                                );
                                assert_eq!(tophash(hash), top, "stale tophash");
                                counted += 1;
                            }
                        }
                        bucket = b.overflow();
                    }
                }
            }
            for index in 0..self.current.buckets() {
                let head = self.current.head(index);
                let mut bucket = Some(head);
                let mut rest = false;
                while let Some(b) = bucket {
                    for slot in 0..growth::BUCKET_SLOTS {
                        let top = b.tophash(slot);
                        assert!(!is_evacuated(top), "evacuated mark in the current array");
                        assert!(
                            !rest || top == EMPTY_REST,
                            "slot after EMPTY_REST is not EMPTY_REST"
                        );
                        rest |= top == EMPTY_REST;
                        if top >= MIN_TOPHASH {
                            let hash = hasher(&*Cell::new(b, slot).key());
                            assert_eq!(
                                hash as usize & self.current.mask(),
                                index,
                                "key in wrong bucket"
                            );
                            assert_eq!(tophash(hash), top, "stale tophash");
                            if let Some(ev) = &self.evacuation {
                                let old_index = hash as usize & ev.old.mask();
                                let source_evacuated = old_index < ev.nevacuate
                                    || is_evacuated(ev.old.head(old_index).tophash(0));
                                assert!(
                                    source_evacuated,
                                    "key in the new array before its old bucket moved"
                                );
                            }
                            counted += 1;
                        }
                    }
                    bucket = b.overflow();
                }
            }
        }
        assert_eq!(counted, self.len, "len does not match the full slots");
        if let Some(ev) = &self.evacuation {
            let evacuated = ev.nevacuate
                + (ev.nevacuate..ev.old.buckets())
                    // SAFETY: indices at or above `nevacuate` of the live old array are readable.
                    .filter(|&i| is_evacuated(unsafe { ev.old.head(i).tophash(0) }))
                    .count();
            assert_eq!(ev.evacuated, evacuated, "evacuation counter out of step");
        }
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

/// Go's lookup loop: tophash filter, key comparison, stop at `EMPTY_REST` or the chain's end.
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
            for slot in group.matching(needle) {
                let cell = Cell::new(bucket, slot);
                if eq(&*cell.key()) {
                    return Some(cell);
                }
            }
            if group.has_empty_rest() {
                return None;
            }
            bucket = bucket.overflow()?;
        }
    }
}

/// How a write's search past a chain's first bucket ended.
enum ChainEnd<K, V> {
    /// The key, found.
    Occupied(Cell<K, V>),
    /// The key is absent; the first empty slot after the first bucket.
    Vacant(Cell<K, V>),
    /// The key is absent and no bucket after the first has an empty slot: the chain's last bucket.
    Full(Bucket<K, V>),
}

/// The rest of a write's search, after `head` (searched already) had no `EMPTY_REST`: the key in
/// the overflow buckets, or the first empty slot after `head`.
///
/// # Safety
/// `head` heads a live chain of an array that is not being evacuated.
#[inline(never)]
unsafe fn search_overflow<K, V>(
    head: Bucket<K, V>,
    needle: Needle,
    eq: &mut impl FnMut(&K) -> bool,
) -> ChainEnd<K, V> {
    let mut vacant = None;
    let mut bucket = head;
    // SAFETY: every bucket reached is in the live chain (caller); matching slots are full.
    unsafe {
        while let Some(next) = bucket.overflow() {
            bucket = next;
            let group = bucket.group();
            for slot in group.matching(needle) {
                let cell = Cell::new(bucket, slot);
                if eq(&*cell.key()) {
                    return ChainEnd::Occupied(cell);
                }
            }
            if vacant.is_none() {
                vacant = group.empty().lowest().map(|slot| Cell::new(bucket, slot));
            }
            if group.has_empty_rest() {
                break;
            }
        }
    }
    match vacant {
        Some(cell) => ChainEnd::Vacant(cell),
        None => ChainEnd::Full(bucket),
    }
}

/// After `cell` was emptied: if nothing full follows it in the chain, turn it and the `EMPTY_ONE`
/// slots before it into `EMPTY_REST`, walking back through the chain (Go's `mapdelete`).
///
/// # Safety
/// `cell` is a slot of the live chain that starts at `head`, and the table is exclusively borrowed.
unsafe fn normalise_empty_rest<K, V>(head: Bucket<K, V>, cell: Cell<K, V>) {
    let last = growth::BUCKET_SLOTS - 1;
    let (mut bucket, mut slot) = cell.position();
    // SAFETY: every bucket touched is in the live chain of `head` (caller).
    unsafe {
        let next_is_rest = if slot == last {
            bucket
                .overflow()
                .is_none_or(|next| next.tophash(0) == EMPTY_REST)
        } else {
            bucket.tophash(slot + 1) == EMPTY_REST
        };
        if !next_is_rest {
            return;
        }
        loop {
            bucket.set_tophash(slot, EMPTY_REST);
            if slot == 0 {
                if bucket == head {
                    return;
                }
                let mut previous = head;
                while let Some(next) = previous.overflow() {
                    if next == bucket {
                        break;
                    }
                    previous = next;
                }
                bucket = previous;
                slot = last;
            } else {
                slot -= 1;
            }
            if bucket.tophash(slot) != EMPTY_ONE {
                return;
            }
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
