//! One bucket: eight tophash bytes, an overflow pointer, eight key/value slots; and `Cell`, the
//! address of one slot.
//!
//! A bucket is a pair of addresses, because its parts live apart:
//!
//! ```text
//! primary bucket i:   tophash words  [ t0 | t1 | t2 | ... ]      8 bytes per bucket, dense
//!                     slot blocks    [ S0 | S1 | S2 | ... ]      S = 8 × (K, V), then the overflow link
//! overflow bucket:    [ tophash | 8 × (K, V) | overflow link ]   one allocation unit
//! ```
//!
//! Go keeps each bucket's tophash bytes inside the bucket. Here the primary buckets' tophash words
//! form their own array, as dense as hashbrown's control bytes (8 bytes per 8 slots): a lookup miss
//! reads only that array, which stays in cache for tables far bigger than the cache, and a hit reads
//! one more line for the key and value. Overflow buckets are rare and keep everything together.
//! Keys and values are interleaved by default so a hit reads both from one line; Go's split layout
//! (8 keys, then 8 values) is kept behind `--cfg glassmap_split_layout` for comparison.
//!
//! Everything here works on raw pointers: the map hands out `&mut V` into slots while other slots of
//! the same bucket are read, so no reference to a whole bucket is ever created.

use core::mem::MaybeUninit;
use core::ptr::NonNull;

use super::growth_policy::BUCKET_SLOTS;
use super::tophash::{CHAINED, CHAINED_SLOT, Group, Run, RunBytes};

/// A bucket's eight tophash bytes.
pub(crate) type Tophash = [u8; BUCKET_SLOTS];

/// The slots of a bucket and the link to the next bucket of its chain.
///
/// Entries come first and the block is 16-byte aligned, so a 16-byte `(u64, u64)` entry never
/// straddles two cache lines (with the link first, a quarter of the entries in every other block
/// did, and a hit then waited for two lines). The link is read only when a bucket is full.
#[repr(C, align(16))]
pub(crate) struct Slots<K, V> {
    #[cfg(not(glassmap_split_layout))]
    entries: [MaybeUninit<(K, V)>; BUCKET_SLOTS],
    #[cfg(glassmap_split_layout)]
    keys: [MaybeUninit<K>; BUCKET_SLOTS],
    #[cfg(glassmap_split_layout)]
    values: [MaybeUninit<V>; BUCKET_SLOTS],
    overflow: *mut Overflow<K, V>,
}

/// An overflow bucket: tophash bytes and slots in one unit.
#[repr(C)]
pub(crate) struct Overflow<K, V> {
    tophash: Tophash,
    slots: Slots<K, V>,
}

impl<K, V> Overflow<K, V> {
    /// Makes an allocated, uninitialised unit an empty bucket: tophash all `EMPTY_REST`, so no
    /// `CHAINED` mark and no next bucket. The slots and the link stay uninitialised (invariant 8
    /// of `raw/mod.rs`: a link is read only behind the mark).
    ///
    /// # Safety
    /// `unit` points to an allocated unit that nothing else uses.
    #[inline]
    pub(crate) unsafe fn init_empty(unit: NonNull<Self>) {
        let unit = unit.as_ptr();
        // SAFETY: field projection of an allocated, unused unit (caller).
        unsafe { (&raw mut (*unit).tophash).write([0; BUCKET_SLOTS]) }
    }

    /// Makes a unit no chain reaches any more an empty bucket linked, through its link, to
    /// `next` in a free list of units. Being empty (no `CHAINED` mark), it is not a chain's
    /// bucket: only [`Overflow::next_free`] reads that link.
    ///
    /// # Safety
    /// `unit` points to an allocated unit that nothing else uses.
    #[inline]
    pub(crate) unsafe fn init_free(unit: NonNull<Self>, next: Option<NonNull<Self>>) {
        let next = next.map_or(core::ptr::null_mut(), NonNull::as_ptr);
        // SAFETY: field projections of an allocated, unused unit (caller).
        unsafe {
            Self::init_empty(unit);
            (&raw mut (*unit.as_ptr()).slots.overflow).write(next);
        }
    }

    /// The unit after `unit` in its free list.
    ///
    /// # Safety
    /// `unit` was made a free-list unit by [`Overflow::init_free`] and not handed out since.
    #[inline]
    pub(crate) unsafe fn next_free(unit: NonNull<Self>) -> Option<NonNull<Self>> {
        // SAFETY: `init_free` initialised the link (caller).
        NonNull::new(unsafe { (&raw const (*unit.as_ptr()).slots.overflow).read() })
    }
}

/// The address of a bucket: its tophash bytes and its slots. Two buckets are the same bucket when
/// their tophash addresses are equal.
pub(crate) struct Bucket<K, V> {
    tophash: NonNull<Tophash>,
    slots: NonNull<Slots<K, V>>,
}

impl<K, V> Clone for Bucket<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K, V> Copy for Bucket<K, V> {}
impl<K, V> PartialEq for Bucket<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.tophash == other.tophash
    }
}

/// The address of one slot: a bucket and an index below 8.
///
/// A `Cell` is only an address; every access is `unsafe` and requires that the bucket is live (its
/// array not freed) and, for key/value access, that the slot is full.
pub(crate) struct Cell<K, V> {
    bucket: Bucket<K, V>,
    /// Below 8: `Cell::parts` relies on it.
    slot: usize,
}

/// Go's `evacDst`: where the next entry evacuated into one destination chain goes. Its position
/// runs from 0 to 8 (8: the bucket is full, the next entry needs an overflow bucket), which is why
/// it is not a [`Cell`], whose slot is always below 8.
pub(crate) struct Cursor<K, V> {
    bucket: Bucket<K, V>,
    next: usize,
}

impl<K, V> Clone for Cursor<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K, V> Copy for Cursor<K, V> {}

impl<K, V> Cursor<K, V> {
    /// A cursor at slot 0 of `bucket`.
    #[inline]
    pub(crate) fn new(bucket: Bucket<K, V>) -> Self {
        Cursor { bucket, next: 0 }
    }

    /// A cursor at `cell`: its bucket is empty from that slot on.
    #[inline]
    pub(crate) fn at(cell: Cell<K, V>) -> Self {
        Cursor {
            bucket: cell.bucket,
            next: cell.slot,
        }
    }

    /// The bucket being filled.
    #[inline]
    pub(crate) fn bucket(&self) -> Bucket<K, V> {
        self.bucket
    }

    /// Whether all eight slots are taken: the next entry needs an overflow bucket.
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.next == BUCKET_SLOTS
    }

    /// Moves the entry of `from`, with its tophash byte, into the next slot.
    ///
    /// # Safety
    /// The cursor is not full; both buckets are live, the table exclusively borrowed, `from` full
    /// and the cursor's slot empty.
    #[inline]
    pub(crate) unsafe fn push(&mut self, from: Cell<K, V>) {
        let to = Cell::new(self.bucket, self.next);
        // SAFETY: forwarded (caller); `next < 8` because the cursor is not full.
        unsafe {
            to.set_tophash(from.tophash());
            from.move_to(to);
        }
        self.next += 1;
    }
}

impl<K, V> Clone for Cell<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K, V> Copy for Cell<K, V> {}

// SAFETY: a `Cell` is a plain address; all access through it is `unsafe` and the safe wrappers
// (iterators, entries) carry the lifetimes and `Send`/`Sync` bounds of the data they expose.
unsafe impl<K, V> Send for Cell<K, V> {}
// SAFETY: as for `Send`.
unsafe impl<K, V> Sync for Cell<K, V> {}

// The accessors below share one precondition: the bucket is live, i.e. its array (or overflow
// chunk) is allocated and not released, with its tophash bytes initialised (an array's tophash
// words are zeroed when it is allocated, an overflow unit's by `Overflow::init_empty` when it is
// handed out) and written only through this module. A bucket's link is initialised whenever its
// slot 7 holds `CHAINED` (invariant 8 of `raw/mod.rs`) and read only then: the links and slots of
// other buckets may be uninitialised. Setters additionally require exclusive access to the table.
impl<K, V> Bucket<K, V> {
    #[inline]
    pub(crate) fn new(tophash: NonNull<Tophash>, slots: NonNull<Slots<K, V>>) -> Self {
        Bucket { tophash, slots }
    }

    /// The primary bucket `index` places after this one (`self` is usually primary bucket 0,
    /// [`BucketArray::first`](super::array::BucketArray::first)).
    ///
    /// # Safety
    /// `self` is a primary bucket and the one `index` places after it is in bounds of both
    /// regions of its array, or one past the array's last bucket (an address only, never read:
    /// it stays inside the allocation or one past its end), or `index` is 0.
    #[inline]
    pub(crate) unsafe fn primary_after(self, index: usize) -> Self {
        // SAFETY: in bounds of both regions or one past their last bucket (caller); both are
        // inside the array's allocation or one past its end, as `add` requires.
        unsafe { Bucket::new(self.tophash.add(index), self.slots.add(index)) }
    }

    /// The bucket stored in an overflow unit.
    ///
    /// # Safety
    /// `unit` points to an allocated `Overflow<K, V>`.
    #[inline]
    pub(crate) unsafe fn of_overflow(unit: NonNull<Overflow<K, V>>) -> Self {
        let unit = unit.as_ptr();
        // SAFETY: field projections of an allocated unit (caller); never null.
        unsafe {
            Bucket {
                tophash: NonNull::new_unchecked(&raw mut (*unit).tophash),
                slots: NonNull::new_unchecked(&raw mut (*unit).slots),
            }
        }
    }

    /// The overflow unit this overflow bucket lives in (the inverse of [`Bucket::of_overflow`]).
    ///
    /// # Safety
    /// The bucket is an overflow bucket, not a primary one.
    #[inline]
    pub(crate) unsafe fn overflow_unit(self) -> NonNull<Overflow<K, V>> {
        // `Overflow` is `repr(C)` with the tophash bytes first: the unit starts at them.
        self.tophash.cast()
    }

    /// Start of the slot block, for prefetching.
    #[inline]
    pub(crate) fn slots_address(self) -> *const u8 {
        self.slots.as_ptr().cast()
    }

    /// Start of the tophash word, for prefetching.
    #[inline]
    pub(crate) fn tophash_address(self) -> *const u8 {
        self.tophash.as_ptr().cast()
    }

    /// The tophash bytes as a group.
    ///
    /// # Safety
    /// The bucket is live.
    #[inline]
    pub(crate) unsafe fn group(self) -> Group {
        // SAFETY: live bucket (caller): the tophash bytes are initialised.
        Group::new(unsafe { self.tophash.read() })
    }

    /// The tophash words of this primary bucket and the
    /// [`RUN_BUCKETS`](super::tophash::RUN_BUCKETS) - 1 after it.
    ///
    /// # Safety
    /// The bucket is a primary bucket, and it and the `RUN_BUCKETS - 1` primary buckets after it
    /// are live buckets of one array.
    #[inline]
    pub(crate) unsafe fn run(self) -> Run {
        // SAFETY: the array's tophash words are contiguous and initialised, and the caller
        // promises all `RUN_BUCKETS` of them are in bounds.
        Run::new(unsafe { self.tophash.cast::<RunBytes>().read() })
    }

    /// # Safety
    /// The bucket is live.
    #[inline]
    pub(crate) unsafe fn tophash(self, slot: usize) -> u8 {
        debug_assert!(slot < BUCKET_SLOTS);
        // SAFETY: live bucket (caller); `slot < 8` keeps the read inside the tophash bytes.
        unsafe { self.tophash.cast::<u8>().add(slot).read() }
    }

    /// # Safety
    /// The bucket is live and the table exclusively borrowed.
    #[inline]
    pub(crate) unsafe fn set_tophash(self, slot: usize, top: u8) {
        debug_assert!(slot < BUCKET_SLOTS);
        // SAFETY: live bucket, exclusive access (caller); `slot < 8`.
        unsafe { self.tophash.cast::<u8>().add(slot).write(top) }
    }

    /// Replaces all eight tophash bytes.
    ///
    /// # Safety
    /// The bucket is live and the table exclusively borrowed.
    #[inline]
    pub(crate) unsafe fn set_group(self, tophash: Tophash) {
        // SAFETY: live bucket, exclusive access (caller).
        unsafe { self.tophash.write(tophash) }
    }

    /// The next bucket of the chain: the one the link points to if slot 7 holds `CHAINED`
    /// (invariant 8), none otherwise, without reading the link.
    ///
    /// # Safety
    /// The bucket is live.
    #[inline]
    pub(crate) unsafe fn overflow(self) -> Option<Self> {
        // SAFETY: live bucket (caller): its tophash bytes are initialised; with the mark, its link
        // is initialised and points to an allocated overflow unit of the same array (invariant 8).
        unsafe {
            if self.tophash(CHAINED_SLOT) != CHAINED {
                return None;
            }
            let next = (&raw const (*self.slots.as_ptr()).overflow).read();
            NonNull::new(next).map(|unit| Self::of_overflow(unit))
        }
    }

    /// The next bucket of a chain the caller has seen go on, without testing the mark again
    /// (the search loops test it in the tophash word they hold: `Group::chain_goes_on`).
    ///
    /// # Safety
    /// The bucket is live and its slot 7 holds `CHAINED`.
    #[inline]
    pub(crate) unsafe fn overflow_unchecked(self) -> Self {
        // SAFETY: the bucket is live (caller), so its tophash bytes may be read.
        debug_assert_eq!(unsafe { self.tophash(CHAINED_SLOT) }, CHAINED);
        // SAFETY: with the mark, the link is initialised and points to an allocated overflow unit
        // of the same array (invariant 8).
        unsafe {
            let next = (&raw const (*self.slots.as_ptr()).overflow).read();
            Self::of_overflow(NonNull::new_unchecked(next))
        }
    }

    /// # Safety
    /// The bucket is live, the table exclusively borrowed, and `next` an empty overflow unit owned
    /// by the same array.
    #[inline]
    pub(crate) unsafe fn set_overflow(self, next: NonNull<Overflow<K, V>>) {
        // SAFETY: live bucket, exclusive access (caller).
        unsafe { (&raw mut (*self.slots.as_ptr()).overflow).write(next.as_ptr()) }
    }

    /// Go's `newoverflow`, the bucket's side: chains the fresh overflow bucket `unit` after this
    /// full bucket, which ends its chain, and returns the new bucket's first free slot. Slot 7's
    /// entry moves to the new bucket's slot 0 and slot 7 becomes the `CHAINED` mark (invariant 8
    /// of `raw/mod.rs`), so the chain keeps every entry and gains one free slot less than Go's.
    ///
    /// # Safety
    /// The bucket is live and all eight of its slots are full (so it ends its chain); `unit` is an
    /// allocated overflow unit of the same array, initialised empty (`Overflow::init_empty`) and
    /// used by nothing else; the table is exclusively borrowed.
    #[inline]
    pub(crate) unsafe fn chain(self, unit: NonNull<Overflow<K, V>>) -> Cell<K, V> {
        // SAFETY: (caller) slot 7 is full and live, the unit empty, so a cursor at its slot 0 is
        // not full; no user code runs, so the entry is owned once at every point a panic could
        // observe.
        unsafe {
            let next = Bucket::of_overflow(unit);
            let moved = Cell::new(self, CHAINED_SLOT);
            Cursor::new(next).push(moved);
            moved.set_tophash(CHAINED);
            self.set_overflow(unit);
            Cell::new(next, 1)
        }
    }
}

impl<K, V> Cell<K, V> {
    /// # Panics
    /// In debug builds, if `slot >= 8`.
    #[inline]
    pub(crate) fn new(bucket: Bucket<K, V>, slot: usize) -> Self {
        debug_assert!(slot < BUCKET_SLOTS);
        Cell { bucket, slot }
    }

    /// The bucket and the slot index (below 8).
    #[inline]
    pub(crate) fn position(self) -> (Bucket<K, V>, usize) {
        (self.bucket, self.slot)
    }

    /// The addresses of the slot's key and value.
    ///
    /// # Safety
    /// The bucket is live.
    #[inline]
    unsafe fn parts(self) -> (*mut K, *mut V) {
        let slots = self.bucket.slots.as_ptr();
        // SAFETY: live bucket (caller) and `slot < 8` (constructor): the projections stay in
        // bounds and read nothing.
        unsafe {
            #[cfg(not(glassmap_split_layout))]
            let parts = {
                let entry = (&raw mut (*slots).entries).cast::<(K, V)>().add(self.slot);
                (&raw mut (*entry).0, &raw mut (*entry).1)
            };
            #[cfg(glassmap_split_layout)]
            let parts = (
                (&raw mut (*slots).keys).cast::<K>().add(self.slot),
                (&raw mut (*slots).values).cast::<V>().add(self.slot),
            );
            parts
        }
    }

    /// The slot's address, for prefetching: computed without reading anything, so any bucket
    /// address will do (a prefetch never faults).
    #[inline]
    pub(crate) fn address(self) -> *const u8 {
        let slots = self.bucket.slots_address();
        #[cfg(not(glassmap_split_layout))]
        let offset = self.slot * size_of::<(K, V)>();
        #[cfg(glassmap_split_layout)]
        let offset = self.slot * size_of::<K>();
        slots.wrapping_add(offset)
    }

    /// # Safety
    /// The bucket is live.
    #[inline]
    pub(crate) unsafe fn key(self) -> *mut K {
        // SAFETY: forwarded.
        unsafe { self.parts().0 }
    }

    /// # Safety
    /// The bucket is live.
    #[inline]
    pub(crate) unsafe fn value(self) -> *mut V {
        // SAFETY: forwarded.
        unsafe { self.parts().1 }
    }

    /// # Safety
    /// The bucket is live.
    #[inline]
    pub(crate) unsafe fn tophash(self) -> u8 {
        // SAFETY: forwarded.
        unsafe { self.bucket.tophash(self.slot) }
    }

    /// # Safety
    /// The bucket is live and the table is exclusively borrowed.
    #[inline]
    pub(crate) unsafe fn set_tophash(self, top: u8) {
        // SAFETY: forwarded.
        unsafe { self.bucket.set_tophash(self.slot, top) }
    }

    /// Writes an entry into an empty slot.
    ///
    /// # Safety
    /// The bucket is live, the table exclusively borrowed, the slot empty.
    #[inline]
    pub(crate) unsafe fn write(self, top: u8, key: K, value: V) {
        // SAFETY: forwarded; the slot is empty so nothing is overwritten without a drop.
        unsafe {
            self.key().write(key);
            self.value().write(value);
            self.set_tophash(top);
        }
    }

    /// Moves the entry into the empty slot `to`, leaving this slot logically uninitialised. Neither
    /// tophash byte is touched: the caller writes both buckets' words.
    ///
    /// # Safety
    /// Both buckets are live, the table exclusively borrowed, this slot full and `to` empty.
    #[inline]
    pub(crate) unsafe fn move_to(self, to: Self) {
        // SAFETY: forwarded; `to` is empty, so nothing is overwritten without a drop.
        unsafe {
            to.key().write(self.key().read());
            to.value().write(self.value().read());
        }
    }

    /// Moves the entry out, leaving the slot logically uninitialised (the caller fixes the tophash).
    ///
    /// # Safety
    /// The bucket is live, the table exclusively borrowed, the slot full.
    #[inline]
    pub(crate) unsafe fn read(self) -> (K, V) {
        // SAFETY: forwarded; the slot is full so both fields are initialised.
        unsafe { (self.key().read(), self.value().read()) }
    }

    /// Drops the entry in place.
    ///
    /// # Safety
    /// As [`Cell::read`].
    #[inline]
    pub(crate) unsafe fn drop_in_place(self) {
        // Dropped as a pair, so a panicking key drop still drops the value.
        // SAFETY: forwarded.
        drop(unsafe { self.read() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout the module docs and ARCHITECTURE.md describe for `u64 → u64`: a slot block
    /// pads 8 × 16 bytes of entries plus the 8-byte link to 144, so every block (and with it every
    /// 16-byte entry) starts 16-byte aligned and no entry straddles two cache lines.
    #[test]
    #[cfg(not(glassmap_split_layout))]
    fn u64_slot_blocks_keep_entries_inside_one_line() {
        assert_eq!(size_of::<Slots<u64, u64>>(), 144);
        assert_eq!(align_of::<Slots<u64, u64>>(), 16);
        assert_eq!(core::mem::offset_of!(Slots<u64, u64>, overflow), 128);
        for block in 0..4usize {
            for slot in 0..BUCKET_SLOTS {
                let start = block * size_of::<Slots<u64, u64>>() + slot * 16;
                assert_eq!(
                    start / 64,
                    (start + 15) / 64,
                    "block {block} slot {slot} straddles"
                );
            }
        }
    }
}
