//! One bucket: eight tophash bytes, the overflow pointer, eight key/value slots.
//!
//! ```text
//! offset 0   tophash [u8; 8]       slot states and hash filters, loaded as one u64
//! offset 8   overflow *mut Bucket  next bucket of the chain, null at the end
//! offset 16  slots                 8 × (K, V) interleaved (default), or 8 × K then 8 × V
//! ```
//!
//! Go puts the overflow pointer last; here it sits next to the tophash bytes so that a miss, which
//! reads both, touches one cache line. Keys and values are interleaved by default: a hit then reads
//! the key and the value from the same line. Go's split layout (all keys, then all values) avoids
//! padding for pairs like `u64 → u8`; it is kept behind `--cfg glassmap_split_layout` so the two can
//! be benchmarked against each other (see ARCHITECTURE.md for the measurement).
//!
//! Everything here works on raw pointers: the map hands out `&mut V` into slots while other slots of
//! the same bucket are read, so no reference to a whole bucket is ever created.

use core::mem::MaybeUninit;
use core::ptr::NonNull;

use super::growth::BUCKET_SLOTS;
use super::tophash::Group;

#[repr(C)]
pub(crate) struct Bucket<K, V> {
    tophash: [u8; BUCKET_SLOTS],
    overflow: *mut Bucket<K, V>,
    #[cfg(not(glassmap_split_layout))]
    slots: [MaybeUninit<(K, V)>; BUCKET_SLOTS],
    #[cfg(glassmap_split_layout)]
    keys: [MaybeUninit<K>; BUCKET_SLOTS],
    #[cfg(glassmap_split_layout)]
    values: [MaybeUninit<V>; BUCKET_SLOTS],
}

/// The address of one slot: a bucket and an index below 8.
///
/// A `Cell` is only an address; every access is `unsafe` and requires that the bucket is live (its
/// array not freed) and, for key/value access, that the slot is full.
pub(crate) struct Cell<K, V> {
    pub(crate) bucket: NonNull<Bucket<K, V>>,
    pub(crate) slot: usize,
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

impl<K, V> Bucket<K, V> {
    /// The tophash bytes as a group.
    ///
    /// # Safety
    /// `bucket` points into a live bucket array (zeroed or written only through this module).
    #[inline]
    pub(crate) unsafe fn group(bucket: NonNull<Self>) -> Group {
        // SAFETY: the caller guarantees the bucket is live; tophash bytes are always initialised
        // (the arrays are allocated zeroed).
        Group::new(unsafe { (&raw const (*bucket.as_ptr()).tophash).read() })
    }

    /// # Safety
    /// As [`Bucket::group`].
    #[inline]
    pub(crate) unsafe fn tophash(bucket: NonNull<Self>, slot: usize) -> u8 {
        debug_assert!(slot < BUCKET_SLOTS);
        // SAFETY: live bucket (caller); `slot < 8` keeps the read inside the tophash array.
        unsafe {
            (&raw const (*bucket.as_ptr()).tophash)
                .cast::<u8>()
                .add(slot)
                .read()
        }
    }

    /// # Safety
    /// As [`Bucket::group`], and the caller has exclusive access to the table.
    #[inline]
    pub(crate) unsafe fn set_tophash(bucket: NonNull<Self>, slot: usize, top: u8) {
        debug_assert!(slot < BUCKET_SLOTS);
        // SAFETY: live bucket, exclusive access (caller); `slot < 8`.
        unsafe {
            (&raw mut (*bucket.as_ptr()).tophash)
                .cast::<u8>()
                .add(slot)
                .write(top)
        }
    }

    /// The next bucket of the chain.
    ///
    /// # Safety
    /// As [`Bucket::group`].
    #[inline]
    pub(crate) unsafe fn overflow(bucket: NonNull<Self>) -> Option<NonNull<Self>> {
        // SAFETY: live bucket (caller); the field is initialised (zero = null, or written by
        // `set_overflow`).
        NonNull::new(unsafe { (&raw const (*bucket.as_ptr()).overflow).read() })
    }

    /// # Safety
    /// As [`Bucket::set_tophash`]; `next` is a live, empty bucket owned by the same array.
    #[inline]
    pub(crate) unsafe fn set_overflow(bucket: NonNull<Self>, next: NonNull<Self>) {
        // SAFETY: live bucket, exclusive access (caller).
        unsafe { (&raw mut (*bucket.as_ptr()).overflow).write(next.as_ptr()) }
    }
}

impl<K, V> Cell<K, V> {
    #[inline]
    pub(crate) fn new(bucket: NonNull<Bucket<K, V>>, slot: usize) -> Self {
        debug_assert!(slot < BUCKET_SLOTS);
        Cell { bucket, slot }
    }

    /// # Safety
    /// The bucket is live.
    #[inline]
    pub(crate) unsafe fn key(self) -> *mut K {
        let b = self.bucket.as_ptr();
        // SAFETY: live bucket (caller) and `slot < 8` (constructor): the projection stays in bounds.
        unsafe {
            #[cfg(not(glassmap_split_layout))]
            let key = (&raw mut (*b).slots)
                .cast::<(K, V)>()
                .add(self.slot)
                .cast::<u8>();
            #[cfg(not(glassmap_split_layout))]
            let key = key.add(core::mem::offset_of!((K, V), 0)).cast::<K>();
            #[cfg(glassmap_split_layout)]
            let key = (&raw mut (*b).keys).cast::<K>().add(self.slot);
            key
        }
    }

    /// # Safety
    /// The bucket is live.
    #[inline]
    pub(crate) unsafe fn value(self) -> *mut V {
        let b = self.bucket.as_ptr();
        // SAFETY: as in `key`.
        unsafe {
            #[cfg(not(glassmap_split_layout))]
            let value = (&raw mut (*b).slots)
                .cast::<(K, V)>()
                .add(self.slot)
                .cast::<u8>();
            #[cfg(not(glassmap_split_layout))]
            let value = value.add(core::mem::offset_of!((K, V), 1)).cast::<V>();
            #[cfg(glassmap_split_layout)]
            let value = (&raw mut (*b).values).cast::<V>().add(self.slot);
            value
        }
    }

    /// # Safety
    /// The bucket is live.
    #[inline]
    pub(crate) unsafe fn tophash(self) -> u8 {
        // SAFETY: forwarded.
        unsafe { Bucket::tophash(self.bucket, self.slot) }
    }

    /// # Safety
    /// The bucket is live and the table is exclusively borrowed.
    #[inline]
    pub(crate) unsafe fn set_tophash(self, top: u8) {
        // SAFETY: forwarded.
        unsafe { Bucket::set_tophash(self.bucket, self.slot, top) }
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
