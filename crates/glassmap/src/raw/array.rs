//! A bucket array: 2^B primary buckets in one zeroed allocation (the dense tophash words, then the
//! slot blocks), plus the overflow buckets chained from them, carved from zeroed chunks.
//!
//! Invariants:
//! - When `buckets > 0`, `heads` points into one `alloc_zeroed` allocation of `buckets` tophash
//!   words followed by `buckets` slot blocks; an unallocated array (`buckets == 0`) has dangling
//!   heads that are never dereferenced.
//! - Every overflow bucket reachable from a primary bucket lives in one of `pool.chunks`, which this
//!   array owns; overflow buckets are never freed one by one (as in Go), only with the array.
//! - The array never drops entries: the table decides which slots are live (an evacuated array holds
//!   none) and drops them before the array is freed.
//! - The leading `released` bytes of each region have been handed back to the OS (Linux) and are never read again: the
//!   table only releases buckets below its `nevacuate` mark, which it never reads (table invariant 2).
//!
//! Why release: freeing a 150 MiB array costs ~11 ms on the reference machine (the kernel unmaps
//! every page at once). Handing the evacuated prefix back a few pages per write spreads that cost
//! over the growth, so the final free is cheap and no insert stalls. Overflow chunks are kept small
//! (at most [`MAX_CHUNK_BYTES`]) for the same reason.

use core::alloc::Layout;
use core::ptr::{self, NonNull};
use std::alloc::{alloc_zeroed, dealloc, handle_alloc_error};

use super::bucket::{Bucket, Overflow, Slots, Tophash};
use crate::TryReserveError;

pub(crate) struct BucketArray<K, V> {
    heads: Heads<K, V>,
    log2: u8,
    buckets: usize,
    /// Bytes at the start of the tophash and slot regions already released to the OS.
    released: [usize; 2],
    pool: OverflowPool<K, V>,
}

/// Where the primary buckets start: bucket `i` is tophash word `i` and slot block `i`.
pub(crate) struct Heads<K, V> {
    tophash: NonNull<Tophash>,
    slots: NonNull<Slots<K, V>>,
}

impl<K, V> Clone for Heads<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K, V> Copy for Heads<K, V> {}

impl<K, V> Heads<K, V> {
    const fn dangling() -> Self {
        Heads {
            tophash: NonNull::dangling(),
            slots: NonNull::dangling(),
        }
    }

    /// Primary bucket `index`.
    ///
    /// # Safety
    /// `index` is below the array's bucket count (or 0 for an unallocated array, whose result is
    /// never dereferenced).
    #[inline]
    pub(crate) unsafe fn at(self, index: usize) -> Bucket<K, V> {
        // SAFETY: in bounds of both regions (caller).
        unsafe { Bucket::new(self.tophash.add(index), self.slots.add(index)) }
    }
}

/// Overflow units, handed out in order from chunks of `chunk_len` zeroed units. Go pre-allocates
/// 2^(B-4) of them behind the array; here the first chunk is allocated on first need, so a table
/// whose chains never overflow pays nothing.
struct OverflowPool<K, V> {
    chunks: Vec<NonNull<Overflow<K, V>>>,
    chunk_len: usize,
    next: usize,
}

/// Largest overflow chunk: small enough that freeing it never unmaps a large region at once.
const MAX_CHUNK_BYTES: usize = 32 << 10;

/// Most bytes one call of [`BucketArray::release_below`] hands back per region: 64 pages of 4 KiB,
/// about 20 µs of kernel work on the reference machine. Each write moves `nevacuate` by at most
/// 1025 buckets (Go's 1024-bucket look-ahead), which is less than this for slot blocks up to 255
/// bytes, so the released prefix keeps pace with evacuation.
const MAX_RELEASE_BYTES: usize = 64 * PAGE;
const PAGE: usize = 4096;

impl<K, V> BucketArray<K, V> {
    pub(crate) const fn unallocated() -> Self {
        BucketArray {
            heads: Heads::dangling(),
            log2: 0,
            buckets: 0,
            released: [0; 2],
            pool: OverflowPool {
                chunks: Vec::new(),
                chunk_len: 0,
                next: 0,
            },
        }
    }

    /// A zeroed array of 2^log2 buckets: every slot `EMPTY_REST`, no overflow.
    pub(crate) fn try_new(log2: u8) -> Result<Self, TryReserveError> {
        let buckets = 1usize
            .checked_shl(u32::from(log2))
            .ok_or(TryReserveError::CapacityOverflow)?;
        let (layout, slots_offset) = primary_layout::<K, V>(buckets)?;
        // SAFETY: the layout has non-zero size (`buckets >= 1` tophash words).
        let base = NonNull::new(unsafe { alloc_zeroed(layout) })
            .ok_or(TryReserveError::AllocError { layout })?;
        let max_chunk = (MAX_CHUNK_BYTES / size_of::<Overflow<K, V>>()).max(4);
        Ok(BucketArray {
            heads: Heads {
                tophash: base.cast(),
                // SAFETY: `slots_offset` is inside the allocation (from `Layout::extend`).
                slots: unsafe { base.add(slots_offset) }.cast(),
            },
            log2,
            buckets,
            released: [0; 2],
            pool: OverflowPool {
                chunks: Vec::new(),
                chunk_len: (buckets / 16).clamp(4, max_chunk),
                next: 0,
            },
        })
    }

    /// As [`BucketArray::try_new`], failing like `Vec` does (panic on overflow, abort on OOM).
    pub(crate) fn new(log2: u8) -> Self {
        Self::try_new(log2).unwrap_or_else(|err| err.fail())
    }

    #[inline]
    pub(crate) fn is_allocated(&self) -> bool {
        self.buckets != 0
    }

    #[inline]
    pub(crate) fn log2(&self) -> u8 {
        self.log2
    }

    /// Number of primary buckets (0 while unallocated).
    #[inline]
    pub(crate) fn buckets(&self) -> usize {
        self.buckets
    }

    #[inline]
    pub(crate) fn mask(&self) -> usize {
        self.buckets.wrapping_sub(1)
    }

    #[inline]
    pub(crate) fn heads(&self) -> Heads<K, V> {
        self.heads
    }

    /// The primary bucket for `index` (taken modulo the bucket count).
    ///
    /// The array must be allocated for the result to be dereferenced.
    #[inline]
    pub(crate) fn head(&self, index: usize) -> Bucket<K, V> {
        // SAFETY: `index & mask` < `buckets` (or 0 on an unallocated array).
        unsafe { self.heads.at(index & self.mask()) }
    }

    /// A fresh, empty overflow unit owned by this array.
    #[cold]
    pub(crate) fn new_overflow(&mut self) -> NonNull<Overflow<K, V>> {
        let pool = &mut self.pool;
        if pool.chunks.is_empty() || pool.next == pool.chunk_len {
            let chunk = allocate_overflow_chunk::<K, V>(pool.chunk_len.max(1))
                .unwrap_or_else(|err| err.fail());
            pool.chunks.push(chunk);
            pool.next = 0;
        }
        let chunk = *pool.chunks.last().expect("a chunk was just ensured");
        // SAFETY: `next < chunk_len`, the chunk's length.
        let unit = unsafe { chunk.add(pool.next) };
        pool.next += 1;
        unit
    }

    /// Overflow buckets handed out so far.
    pub(crate) fn overflow_buckets(&self) -> usize {
        match self.pool.chunks.len() {
            0 => 0,
            n => (n - 1) * self.pool.chunk_len + self.pool.next,
        }
    }

    /// Heap bytes held: the primary allocation and every overflow chunk.
    pub(crate) fn heap_bytes(&self) -> usize {
        let primary = match self.buckets {
            0 => 0,
            n => primary_layout::<K, V>(n).map_or(0, |(layout, _)| layout.size()),
        };
        primary + self.pool.chunks.len() * self.pool.chunk_len * size_of::<Overflow<K, V>>()
    }

    /// Hands the whole pages of the buckets below `index` back to the OS, at most
    /// [`MAX_RELEASE_BYTES`] per region and call. The caller promises never to read those buckets
    /// again.
    pub(crate) fn release_below(&mut self, index: usize) {
        let index = index.min(self.buckets);
        let heads = self.heads;
        release_prefix(
            heads.tophash.cast(),
            index * size_of::<Tophash>(),
            &mut self.released[0],
        );
        release_prefix(
            heads.slots.cast(),
            index * size_of::<Slots<K, V>>(),
            &mut self.released[1],
        );
    }

    /// Forgets every entry without dropping it: zeroes the primary buckets and frees the overflow
    /// chunks. O(buckets), like Go's `mapclear`.
    pub(crate) fn clear_no_drop(&mut self) {
        debug_assert_eq!(self.released, [0; 2], "only a current array is cleared");
        if let Ok((layout, _)) = primary_layout::<K, V>(self.buckets)
            && self.is_allocated()
        {
            // SAFETY: the allocation is `layout.size()` bytes from the tophash head; all-zero is a
            // valid empty bucket.
            unsafe { ptr::write_bytes(self.heads.tophash.as_ptr().cast::<u8>(), 0, layout.size()) };
        }
        self.pool.free();
    }
}

/// One allocation: `buckets` tophash words, then `buckets` slot blocks. Returns the layout and the
/// offset of the slot blocks.
fn primary_layout<K, V>(buckets: usize) -> Result<(Layout, usize), TryReserveError> {
    let tophash =
        Layout::array::<Tophash>(buckets).map_err(|_| TryReserveError::CapacityOverflow)?;
    let slots =
        Layout::array::<Slots<K, V>>(buckets).map_err(|_| TryReserveError::CapacityOverflow)?;
    let (layout, offset) = tophash
        .extend(slots)
        .map_err(|_| TryReserveError::CapacityOverflow)?;
    Ok((layout.pad_to_align(), offset))
}

impl<K, V> OverflowPool<K, V> {
    fn free(&mut self) {
        for chunk in self.chunks.drain(..) {
            let layout = Layout::array::<Overflow<K, V>>(self.chunk_len.max(1))
                .expect("layout was valid at allocation");
            // SAFETY: every chunk was allocated by `allocate_overflow_chunk` with this layout.
            unsafe { dealloc(chunk.as_ptr().cast(), layout) };
        }
        self.next = 0;
    }
}

impl<K, V> Drop for BucketArray<K, V> {
    fn drop(&mut self) {
        self.pool.free();
        if self.is_allocated() {
            let (layout, _) = primary_layout::<K, V>(self.buckets).expect("valid at allocation");
            // SAFETY: allocated by `try_new` with this layout, starting at the tophash head.
            unsafe { dealloc(self.heads.tophash.as_ptr().cast(), layout) };
        }
    }
}

fn allocate_overflow_chunk<K, V>(units: usize) -> Result<NonNull<Overflow<K, V>>, TryReserveError> {
    let layout =
        Layout::array::<Overflow<K, V>>(units).map_err(|_| TryReserveError::CapacityOverflow)?;
    // SAFETY: non-zero size: an overflow unit always holds its tophash bytes and link.
    let ptr = unsafe { alloc_zeroed(layout) };
    NonNull::new(ptr.cast()).ok_or(TryReserveError::AllocError { layout })
}

/// Releases whole pages of `[region, region + upto)` not yet released, at most
/// [`MAX_RELEASE_BYTES`] per call, advancing `released`.
#[cfg(all(target_os = "linux", not(miri)))]
fn release_prefix(region: NonNull<u8>, upto: usize, released: &mut usize) {
    let base = region.as_ptr().addr();
    let end = (base + upto) & !(PAGE - 1);
    let start = (base + *released).next_multiple_of(PAGE);
    if end <= start {
        return;
    }
    let len = (end - start).min(MAX_RELEASE_BYTES);
    // SAFETY: `[start, start + len)` is page-aligned and inside the array's allocation, which stays
    // allocated until `drop`. The buckets there are below the table's `nevacuate` and are never read
    // or written again (table invariant 2), so replacing their pages with zero-fill pages changes
    // nothing observable; the allocator's metadata lies outside the range. If the call fails (an
    // allocator whose mapping refuses it), the memory simply stays until the free.
    unsafe {
        libc::madvise(
            region.as_ptr().with_addr(start).cast(),
            len,
            libc::MADV_DONTNEED,
        );
    }
    *released = start + len - base;
}

/// Without `madvise` the memory is returned when the array is freed.
#[cfg(not(all(target_os = "linux", not(miri))))]
fn release_prefix(_region: NonNull<u8>, _upto: usize, _released: &mut usize) {}

impl TryReserveError {
    /// What the infallible APIs do with an error: the same as `Vec`.
    pub(crate) fn fail(self) -> ! {
        match self {
            TryReserveError::CapacityOverflow => panic!("capacity overflow"),
            TryReserveError::AllocError { layout } => handle_alloc_error(layout),
        }
    }
}
