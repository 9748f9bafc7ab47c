//! A bucket array: 2^B primary buckets in one zeroed allocation, plus the overflow buckets chained
//! from them, carved from zeroed chunks.
//!
//! Invariants:
//! - `base` points to `1 << log2` buckets allocated with `alloc_zeroed` when `buckets > 0`; an
//!   unallocated array (`buckets == 0`) has a dangling `base` and is never dereferenced.
//! - Every overflow bucket reachable from a primary bucket lives in one of `pool.chunks`, which this
//!   array owns; overflow buckets are never freed one by one (as in Go), only with the array.
//! - The array never drops entries: the table decides which slots are live (an evacuated array holds
//!   none) and drops them before the array is freed.
//! - Bytes below `released` have been handed back to the OS (Linux) and are never read again: the
//!   table only releases buckets below its `nevacuate` mark, which it never reads (table invariant 2).
//!
//! Why release: freeing a 150 MiB array costs ~11 ms on the reference machine (the kernel unmaps
//! every page at once). Handing the evacuated prefix back a few pages per write spreads that cost
//! over the growth, so the final free is cheap and no insert stalls. Overflow chunks are kept small
//! (at most [`MAX_CHUNK_BYTES`]) for the same reason.

use core::alloc::Layout;
use core::ptr::{self, NonNull};
use std::alloc::{alloc_zeroed, dealloc, handle_alloc_error};

use super::bucket::Bucket;
use crate::TryReserveError;

pub(crate) struct BucketArray<K, V> {
    base: NonNull<Bucket<K, V>>,
    log2: u8,
    buckets: usize,
    /// Bytes from `base` already released to the OS (0 where releasing is not supported).
    released: usize,
    pool: OverflowPool<K, V>,
}

/// Largest overflow chunk: small enough that freeing it never unmaps a large region at once.
const MAX_CHUNK_BYTES: usize = 32 << 10;

/// Most bytes one call of [`BucketArray::release_below`] hands back: 64 pages of 4 KiB, about
/// 20 µs of kernel work on the reference machine. Each write moves `nevacuate` by at most 1025
/// buckets (Go's 1024-bucket look-ahead), which is less than this for any bucket size up to 255
/// bytes, so the released prefix keeps pace with evacuation.
const MAX_RELEASE_BYTES: usize = 64 * PAGE;
const PAGE: usize = 4096;

/// Overflow buckets, handed out in order from chunks of `chunk_len` zeroed buckets. Go pre-allocates
/// 2^(B-4) of them behind the array; here the first chunk of that size is allocated on first need,
/// so a table whose chains never overflow pays nothing.
struct OverflowPool<K, V> {
    chunks: Vec<NonNull<Bucket<K, V>>>,
    chunk_len: usize,
    next: usize,
}

impl<K, V> BucketArray<K, V> {
    pub(crate) const fn unallocated() -> Self {
        BucketArray {
            base: NonNull::dangling(),
            log2: 0,
            buckets: 0,
            released: 0,
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
        let base = allocate_zeroed::<K, V>(buckets)?;
        let max_chunk = (MAX_CHUNK_BYTES / size_of::<Bucket<K, V>>()).max(4);
        Ok(BucketArray {
            base,
            log2,
            buckets,
            released: 0,
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

    /// The primary bucket for `index` (taken modulo the bucket count).
    ///
    /// The array must be allocated for the result to be dereferenced.
    #[inline]
    pub(crate) fn head(&self, index: usize) -> NonNull<Bucket<K, V>> {
        // SAFETY: `index & mask` < `buckets`, so the offset stays inside the allocation (or is 0 on
        // the dangling pointer of an unallocated array, which is allowed and never dereferenced).
        unsafe { self.base.add(index & self.mask()) }
    }

    /// A fresh, empty overflow bucket owned by this array.
    #[cold]
    pub(crate) fn new_overflow(&mut self) -> NonNull<Bucket<K, V>> {
        let pool = &mut self.pool;
        if pool.chunks.is_empty() || pool.next == pool.chunk_len {
            let chunk =
                allocate_zeroed::<K, V>(pool.chunk_len.max(1)).unwrap_or_else(|err| err.fail());
            pool.chunks.push(chunk);
            pool.next = 0;
        }
        let chunk = *pool.chunks.last().expect("a chunk was just ensured");
        // SAFETY: `next < chunk_len`, the chunk's length.
        let bucket = unsafe { chunk.add(pool.next) };
        pool.next += 1;
        bucket
    }

    /// Overflow buckets handed out so far.
    pub(crate) fn overflow_buckets(&self) -> usize {
        match self.pool.chunks.len() {
            0 => 0,
            n => (n - 1) * self.pool.chunk_len + self.pool.next,
        }
    }

    /// Heap bytes held: the primary array and every overflow chunk.
    pub(crate) fn heap_bytes(&self) -> usize {
        let chunks = self.pool.chunks.len() * self.pool.chunk_len;
        (self.buckets + chunks) * size_of::<Bucket<K, V>>()
    }

    /// Hands the whole pages of the buckets below `index` back to the OS, at most
    /// [`MAX_RELEASE_BYTES`] per call. The caller promises never to read those buckets again.
    #[cfg(all(target_os = "linux", not(miri)))]
    pub(crate) fn release_below(&mut self, index: usize) {
        let base = self.base.as_ptr().addr();
        let end = (base + index.min(self.buckets) * size_of::<Bucket<K, V>>()) & !(PAGE - 1);
        let start = (base + self.released).next_multiple_of(PAGE);
        if end <= start {
            return;
        }
        let len = (end - start).min(MAX_RELEASE_BYTES);
        // SAFETY: `[start, start + len)` is page-aligned and inside this array's allocation, which
        // stays allocated until `drop`. The buckets there are below the caller's `nevacuate` and are
        // never read or written again (table invariant 2), so replacing their pages with zero-fill
        // pages changes nothing observable; the allocator's own metadata lies outside the range.
        // Failure (e.g. an allocator using a mapping that refuses it) only leaves memory in place.
        unsafe {
            let ptr = self.base.as_ptr().cast::<u8>().with_addr(start);
            libc::madvise(ptr.cast(), len, libc::MADV_DONTNEED);
        }
        self.released = start + len - base;
    }

    /// Without `madvise` the memory is returned when the array is freed.
    #[cfg(not(all(target_os = "linux", not(miri))))]
    pub(crate) fn release_below(&mut self, _index: usize) {}

    /// Forgets every entry without dropping it: zeroes the primary buckets and frees the overflow
    /// chunks. O(buckets), like Go's `mapclear`.
    pub(crate) fn clear_no_drop(&mut self) {
        if self.is_allocated() {
            // SAFETY: `base` is valid for `buckets` buckets; all-zero is a valid empty bucket.
            unsafe { ptr::write_bytes(self.base.as_ptr(), 0, self.buckets) };
        }
        self.pool.free();
    }
}

impl<K, V> OverflowPool<K, V> {
    fn free(&mut self) {
        for chunk in self.chunks.drain(..) {
            // SAFETY: every chunk was allocated by `allocate_zeroed` with `chunk_len.max(1)` buckets.
            unsafe { deallocate(chunk, self.chunk_len.max(1)) };
        }
        self.next = 0;
    }
}

impl<K, V> Drop for BucketArray<K, V> {
    fn drop(&mut self) {
        self.pool.free();
        if self.is_allocated() {
            // SAFETY: allocated by `allocate_zeroed` with `buckets` buckets.
            unsafe { deallocate(self.base, self.buckets) };
        }
    }
}

fn allocate_zeroed<K, V>(buckets: usize) -> Result<NonNull<Bucket<K, V>>, TryReserveError> {
    let layout =
        Layout::array::<Bucket<K, V>>(buckets).map_err(|_| TryReserveError::CapacityOverflow)?;
    // SAFETY: the layout has non-zero size: a bucket always holds its tophash bytes and overflow
    // pointer, and `buckets >= 1`.
    let ptr = unsafe { alloc_zeroed(layout) };
    NonNull::new(ptr.cast()).ok_or(TryReserveError::AllocError { layout })
}

/// # Safety
/// `ptr` came from `allocate_zeroed::<K, V>(buckets)` and is not used afterwards.
unsafe fn deallocate<K, V>(ptr: NonNull<Bucket<K, V>>, buckets: usize) {
    let layout = Layout::array::<Bucket<K, V>>(buckets).expect("layout was valid at allocation");
    // SAFETY: same pointer and layout as the allocation (caller).
    unsafe { dealloc(ptr.as_ptr().cast(), layout) }
}

impl TryReserveError {
    /// What the infallible APIs do with an error: the same as `Vec`.
    pub(crate) fn fail(self) -> ! {
        match self {
            TryReserveError::CapacityOverflow => panic!("capacity overflow"),
            TryReserveError::AllocError { layout } => handle_alloc_error(layout),
        }
    }
}
