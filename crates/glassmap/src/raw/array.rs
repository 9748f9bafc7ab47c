//! A bucket array: 2^B primary buckets in one zeroed allocation (the dense tophash words, then the
//! slot blocks), plus the overflow buckets chained from them, carved from chunks.
//!
//! Invariants:
//! - When `buckets > 0`, `tophash` and `slots` point into one allocation of `buckets` tophash
//!   words, zeroed when allocated, followed by `buckets` slot blocks, uninitialised until written
//!   (see [`BucketArray::try_new`]); an unallocated array (`buckets == 0`) has dangling pointers
//!   that are never dereferenced.
//! - Every overflow bucket reachable from a primary bucket lives in one of `pool.chunks`, which this
//!   array owns; overflow buckets are never freed one by one (as in Go), only with the array. The
//!   overflow buckets of an evacuated old chain may be recycled: they are then reachable only from
//!   the pool's free list (and from dead chains below the table's `nevacuate`, never read).
//! - The array never drops entries: the table decides which slots are live (an evacuated array holds
//!   none) and drops them before the array is freed.
//! - The leading `released` bytes of each region have been handed back to the OS (Linux) and are never read again: the
//!   table only releases buckets below its `nevacuate` mark, which it never reads (table invariant 2).
//!
//! Why release: freeing a 150 MiB array costs ~11 ms on the reference machine (the kernel unmaps
//! every page at once). Handing the evacuated prefix back a few pages per write spreads that cost
//! over the growth, so the final free is cheap and no insert stalls. Overflow chunks are kept small
//! (at most [`MAX_CHUNK_BYTES`]) for the same reason. Arrays the allocator most likely serves from
//! memory it keeps are not released early ([`maps_afresh`]): their free is cheap, and released
//! pages would only fault again in the next array.

use core::alloc::Layout;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicUsize, Ordering};
use std::alloc::{alloc, alloc_zeroed, dealloc, handle_alloc_error};

use super::bucket::{Bucket, Cell, Overflow, Slots, Tophash};
use super::growth_policy::{capacity_of, count_overflow, overflow_limit};
use crate::TryReserveError;

pub(crate) struct BucketArray<K, V> {
    /// The tophash words, at the start of the allocation.
    tophash: NonNull<Tophash>,
    /// The slot blocks, after the tophash words. Stored rather than derived from `tophash` and the
    /// mask: the derivation (a round-up to the blocks' alignment) cost ten instructions per lookup.
    slots: NonNull<Slots<K, V>>,
    /// `buckets - 1`; 0 for an unallocated array, whose one "bucket" is the static empty word.
    mask: usize,
    log2: u8,
    buckets: usize,
    /// Bytes at the start of the tophash and slot regions already released to the OS.
    released: [usize; 2],
    /// The bucket index from which [`BucketArray::release_below`] has a step to take in some
    /// region (`usize::MAX` when it never has: an array that does not release early, or no
    /// `madvise`), so the call per evacuated bucket is one compare.
    release_at: usize,
    /// Bytes at the start of the tophash region already faulted in writable.
    populated: usize,
    /// Whether populating has work left (false for arrays below [`POPULATE_MIN_BYTES`]).
    populating: bool,
    /// Go's growth trigger for this B, precomputed: an insert that would make the map hold more
    /// than `grow_at` entries doubles it; `overflow_limit` overflow buckets make it grow in place.
    grow_at: usize,
    overflow_limit: u16,
    /// Go's `noverflow`: overflow buckets chained so far, sampled above B = 15.
    noverflow: u16,
    /// xorshift state for the sampling of `noverflow` (Go uses its `rand()`).
    random: u64,
    pool: OverflowPool<K, V>,
}

/// The tophash word of an unallocated array's only bucket: all `EMPTY_REST`, so a lookup in an
/// empty map stops at the first byte without a length check and never reaches the (dangling) slots.
/// Nothing ever writes it: writes allocate first.
static EMPTY_TOPHASH: Tophash = [0; 8];

/// Overflow units, handed out in order from chunks of `chunk_len` units. A chunk is not zeroed:
/// each unit gets its empty tophash word and null link when it is handed out (zeroing a whole
/// chunk, memory the allocator usually recycles, cost 10 instructions per insert growing from
/// empty, for slots that are written before they are read anyway). Go pre-allocates
/// 2^(B-4) of them behind the array; here the first chunk is allocated on first need, so a table
/// whose chains never overflow pays nothing.
struct OverflowPool<K, V> {
    chunks: Vec<NonNull<Overflow<K, V>>>,
    chunk_len: usize,
    next: usize,
    /// Recycled units, a free list linked through their links ([`Overflow::init_free`], see
    /// [`BucketArray::recycle_overflow`]); handed out before new ones.
    recycled: Option<NonNull<Overflow<K, V>>>,
}

/// Arrays smaller than this are not released early: freeing them costs little (tens of
/// microseconds at most), and released pages would only fault again when the memory is reused.
const LARGE_ARRAY_BYTES: usize = 1 << 20;

/// glibc's ceiling for its dynamic mmap threshold (`DEFAULT_MMAP_THRESHOLD_MAX` on 64-bit).
const MMAP_THRESHOLD_MAX: usize = 32 << 20;

/// The largest array of at most [`MMAP_THRESHOLD_MAX`] bytes this process has freed: a lower
/// bound of glibc's dynamic mmap threshold, as far as glassmap's own frees tell.
static LARGEST_FREED: AtomicUsize = AtomicUsize::new(0);

/// Whether the allocator most likely maps an array of `bytes` afresh (pages the kernel zeroes on
/// first touch) rather than serving it from memory it keeps: a large array bigger than every
/// array of at most [`MMAP_THRESHOLD_MAX`] bytes the process has freed. glibc maps every request
/// at or above its mmap threshold afresh and unmaps it on free; freeing such a chunk raises the
/// threshold to its size, up to [`MMAP_THRESHOLD_MAX`], so from then on arrays of that size come
/// from its heap, whose free is cheap and whose pages the next array reuses, already faulted in.
/// A process that sets a fixed threshold (`M_MMAP_THRESHOLD`) may get a mapped array where this
/// says heap: it is then not released early, and its free unmaps at most 32 MiB at once.
fn maps_afresh(bytes: usize) -> bool {
    bytes >= LARGE_ARRAY_BYTES && bytes > LARGEST_FREED.load(Ordering::Relaxed)
}

/// Arrays at least this big are populated ahead. glibc serves allocations below its largest
/// dynamic mmap threshold (32 MiB) from memory it may reuse, already faulted in, where populating
/// would only walk page tables for nothing (measured: 15% of a presized 64K-entry insert loop);
/// above it every array is a fresh mapping whose pages would each fault twice.
const POPULATE_MIN_BYTES: usize = 32 << 20;

/// Largest overflow chunk: small enough that freeing it never unmaps a large region at once.
const MAX_CHUNK_BYTES: usize = 32 << 10;

/// The step in which [`BucketArray::release_below`] hands pages back, per region: 16 pages of
/// 4 KiB, released together once all 16 are evacuated. One `madvise` per step rather than per
/// page: per-page release was ~10K calls per million inserts growing from empty, each paying the
/// syscall and a TLB flush. `nevacuate` moves four buckets (576 bytes of slots) per write, so the
/// released prefix keeps pace one step at a time, and what is left unreleased when the growth
/// ends (less than a step per region) goes with the array's free.
const RELEASE_STEP_BYTES: usize = 16 * PAGE;
const PAGE: usize = 4096;

/// Whether evacuated pages are handed back at all (`madvise` on Linux, not under Miri).
const RELEASES: bool = cfg!(all(target_os = "linux", not(miri)));

/// Seed of the xorshift state that samples the overflow count (any non-zero value).
const RANDOM_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

impl<K, V> BucketArray<K, V> {
    pub(crate) const fn unallocated() -> Self {
        BucketArray {
            tophash: NonNull::from_ref(&EMPTY_TOPHASH),
            slots: NonNull::dangling(),
            mask: 0,
            log2: 0,
            buckets: 0,
            released: [0; 2],
            release_at: usize::MAX,
            populated: 0,
            populating: false,
            grow_at: 0,
            overflow_limit: 0,
            noverflow: 0,
            random: RANDOM_SEED,
            pool: OverflowPool {
                chunks: Vec::new(),
                chunk_len: 0,
                next: 0,
                recycled: None,
            },
        }
    }

    /// An empty array of 2^log2 buckets: every tophash `EMPTY_REST`, no overflow.
    pub(crate) fn try_new(log2: u8) -> Result<Self, TryReserveError> {
        let buckets = 1usize
            .checked_shl(u32::from(log2))
            .ok_or(TryReserveError::CapacityOverflow)?;
        let (layout, slots_offset) = primary_layout::<K, V>(buckets)?;
        // Only the tophash words must start zeroed (slots and links are read only where the
        // tophash says so, invariant 8 of `raw/mod.rs`). A fresh mapping is zero already, and
        // `alloc_zeroed` leaves it to the kernel's first touch; memory the allocator reuses would
        // be cleared whole by `alloc_zeroed` inside one insert (about 1 ms for 20 MiB on the
        // reference VM, estimated from a profile's share, not timed alone), so it
        // gets `alloc` and a clear of its tophash words, 1/19 of it for `u64 -> u64`.
        let afresh = maps_afresh(layout.size());
        // SAFETY: the layout has non-zero size (`buckets >= 1` tophash words).
        let base = NonNull::new(unsafe {
            if afresh {
                alloc_zeroed(layout)
            } else {
                alloc(layout)
            }
        })
        .ok_or(TryReserveError::AllocError { layout })?;
        if !afresh {
            // SAFETY: the tophash words are the allocation's first `buckets` words.
            unsafe { ptr::write_bytes(base.as_ptr(), 0, buckets * size_of::<Tophash>()) };
        }
        let max_chunk = (MAX_CHUNK_BYTES / size_of::<Overflow<K, V>>()).max(4);
        let mut array = BucketArray {
            tophash: base.cast(),
            // SAFETY: `slots_offset` is inside the allocation (from `Layout::extend`).
            slots: unsafe { base.add(slots_offset) }.cast(),
            mask: buckets - 1,
            log2,
            buckets,
            released: [0; 2],
            release_at: usize::MAX,
            populated: 0,
            populating: layout.size() >= POPULATE_MIN_BYTES,
            grow_at: capacity_of(log2),
            overflow_limit: overflow_limit(log2),
            noverflow: 0,
            random: RANDOM_SEED,
            pool: OverflowPool {
                chunks: Vec::new(),
                chunk_len: (buckets / 16).clamp(4, max_chunk),
                next: 0,
                recycled: None,
            },
        };
        // Only an array the allocator maps afresh releases its evacuated pages early: its free
        // would unmap it at once. Released pages of a heap array would make a map refilled to the
        // same size every time (criterion's insert benchmarks, a per-request map) fault its whole
        // series of arrays in again on every fill.
        if RELEASES && afresh {
            array.release_at = array.next_release_at();
        }
        Ok(array)
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
        self.mask
    }

    /// Primary bucket 0, the base from which walks over all primary buckets step with
    /// [`Bucket::primary_after`].
    #[inline]
    pub(crate) fn first(&self) -> Bucket<K, V> {
        Bucket::new(self.tophash, self.slots)
    }

    /// The primary bucket for `index` (taken modulo the bucket count). On an unallocated array
    /// this is the static empty word: its tophash bytes may be read, nothing else.
    #[inline]
    pub(crate) fn head(&self, index: usize) -> Bucket<K, V> {
        // SAFETY: `index & mask` < `buckets`, or 0 on an unallocated array (the static word).
        unsafe { self.first().primary_after(index & self.mask) }
    }

    /// A fresh, empty overflow unit owned by this array.
    #[cold]
    pub(crate) fn new_overflow(&mut self) -> NonNull<Overflow<K, V>> {
        let pool = &mut self.pool;
        if let Some(unit) = pool.recycled {
            // SAFETY: a recycled unit is a free-list unit of this array (`recycle_overflow`) that
            // nothing else uses. Re-initialising it makes it fresh.
            unsafe {
                pool.recycled = Overflow::next_free(unit);
                Overflow::init_empty(unit);
            }
            return unit;
        }
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
        // SAFETY: `unit` is an allocated, unused unit of this array's chunk; making it an empty
        // bucket (all EMPTY_REST, no next bucket) initialises everything a bucket read may look
        // at: slots are read only where the tophash says they are full.
        unsafe { Overflow::init_empty(unit) };
        unit
    }

    /// Go's `newoverflow`: chains a fresh bucket after `last` and returns its first free slot
    /// ([`Bucket::chain`]: slot 1, after the entry moved out of `last`'s slot 7).
    ///
    /// # Safety
    /// `last` is the last bucket of a live chain of this array, which is exclusively borrowed, and
    /// all eight of its slots are full.
    #[cold]
    pub(crate) unsafe fn attach_overflow(&mut self, last: Bucket<K, V>) -> Cell<K, V> {
        let next = self.new_overflow();
        // SAFETY: `last` ends a live chain of this array and is full (caller); `next` is fresh
        // and empty.
        let free = unsafe { last.chain(next) };
        // xorshift64 (Marsaglia 2003), only to sample the overflow count like Go's `fastrand`.
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        count_overflow(&mut self.noverflow, self.log2, self.random);
        free
    }

    /// Gives the overflow buckets of the chain at `head` back to this array, for
    /// [`BucketArray::attach_overflow`] to reuse before it takes new units. Go never reuses them;
    /// here writes go into a growth's unevacuated old chains (table invariant 3), which would
    /// otherwise allocate new overflow chunks for the old array while the evacuated chains'
    /// units lie dead, raising the growth's peak heap.
    ///
    /// # Safety
    /// `head` heads a chain of this array that is never read again (an evacuated old bucket,
    /// table invariant 2), and the array is exclusively borrowed.
    pub(crate) unsafe fn recycle_overflow(&mut self, head: Bucket<K, V>) {
        // SAFETY: the chain's links are intact (evacuation moves entries, not links); each unit
        // is an overflow unit of this array that nothing reads again (caller), so it may be
        // emptied and linked into the free list.
        unsafe {
            let mut next = head.overflow();
            while let Some(bucket) = next {
                next = bucket.overflow();
                let unit = bucket.overflow_unit();
                Overflow::init_free(unit, self.pool.recycled);
                self.pool.recycled = Some(unit);
            }
        }
    }

    /// Takes over another array's overflow count and sampling state (a clone of it, with the
    /// same number of buckets and the same chains).
    pub(crate) fn copy_overflow_count(&mut self, from: &Self) {
        self.noverflow = from.noverflow;
        self.random = from.random;
    }

    /// Overflow units taken from the chunks so far (recycled ones count once).
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

    /// Hands the whole pages of the buckets below `index` back to the OS, one step of
    /// [`RELEASE_STEP_BYTES`] per region and call at most. The caller promises never to read those
    /// buckets again.
    #[inline]
    pub(crate) fn release_below(&mut self, index: usize) {
        if index >= self.release_at {
            self.release_step(index);
        }
    }

    #[cold]
    fn release_step(&mut self, index: usize) {
        let index = index.min(self.buckets);
        release_prefix(
            self.tophash.cast(),
            index * size_of::<Tophash>(),
            &mut self.released[0],
        );
        release_prefix(
            self.slots.cast(),
            index * size_of::<Slots<K, V>>(),
            &mut self.released[1],
        );
        self.release_at = self.next_release_at();
    }

    /// The smallest bucket index whose evacuation completes a release step in some region
    /// (see [`release_prefix`]), for an array that releases early (`release_at` stays
    /// `usize::MAX` for any other, so no step is ever taken for it).
    fn next_release_at(&self) -> usize {
        let due = |region: NonNull<u8>, released: usize, bucket_bytes: usize| {
            let base = region.as_ptr().addr();
            let step_end = (base + released).next_multiple_of(PAGE) + RELEASE_STEP_BYTES;
            (step_end - base).div_ceil(bucket_bytes)
        };
        due(self.tophash.cast(), self.released[0], size_of::<Tophash>()).min(due(
            self.slots.cast(),
            self.released[1],
            size_of::<Slots<K, V>>(),
        ))
    }

    /// Whether [`BucketArray::populate_some`] still has work to do.
    #[inline]
    pub(crate) fn is_populating(&self) -> bool {
        self.populating
    }

    /// Faults in the next few not-yet-touched pages of the tophash region, writable, at most
    /// [`POPULATE_BYTES`] per call.
    ///
    /// A zeroed allocation is mapped lazily: the first read of a page maps the shared zero page
    /// and the first write then takes a second fault that copies it and flushes the TLB. A
    /// bucket's tophash word is always read before it is written, so every page of a new array's
    /// tophash region would pay twice, at random moments. Populating it a slice per insert pays
    /// once, in order (the region has 2^B / 512 pages, a growth lasts 2^B / 4 writes, so it is
    /// populated within its first 1/256). The slot region is not populated: a slot is written
    /// before it is read (an insert, an evacuation's destination), so its pages fault once each
    /// on their own, and populating them too only added `madvise` calls (15 of every 16).
    /// Every insert of a new key takes a step until the region is populated, growing or not, so
    /// a presized map gets the same treatment.
    #[inline]
    pub(crate) fn populate_some(&mut self) {
        if self.populating {
            self.populate_more();
        }
    }

    /// Go's `overLoadFactor(count, B)` for this array's B.
    #[inline]
    pub(crate) fn over_load_factor(&self, count: usize) -> bool {
        count > self.grow_at
    }

    /// Go's `tooManyOverflowBuckets(noverflow, B)` for this array.
    #[inline]
    pub(crate) fn too_many_overflow_buckets(&self) -> bool {
        self.noverflow >= self.overflow_limit
    }

    #[cold]
    fn populate_more(&mut self) {
        let size = self.buckets * size_of::<Tophash>();
        populate_prefix(self.tophash.cast(), size, &mut self.populated);
        self.populating = self.populated < size;
    }

    /// Asks the kernel to back the primary allocation with huge pages now, copying its pages into
    /// 2 MiB ones (Linux 6.1+ `MADV_COLLAPSE`, which works whatever the system's transparent huge
    /// page setting). Only the 2 MiB-aligned part of the allocation can be collapsed; its ends stay
    /// in 4 KiB pages. Returns whether the kernel collapsed that part; on failure (an older
    /// kernel, no huge page free, another OS) the memory stays as it was. Nothing is read or
    /// written differently: a later release of this array's prefix while it is an evacuated old
    /// array splits the huge pages again, page by page.
    pub(crate) fn collapse_huge_pages(&self) -> bool {
        match primary_layout::<K, V>(self.buckets) {
            Ok((layout, _)) if self.is_allocated() => {
                collapse_range(self.tophash.cast(), layout.size())
            }
            _ => false,
        }
    }

    /// Forgets every entry without dropping it: zeroes the tophash words and frees the overflow
    /// chunks. O(buckets), like Go's `mapclear`.
    pub(crate) fn clear_no_drop(&mut self) {
        debug_assert_eq!(self.released, [0; 2], "only a current array is cleared");
        if self.is_allocated() {
            // SAFETY: the array's `buckets` tophash words are allocated; all `EMPTY_REST` is an
            // empty bucket without a mark, whose slots and link are never read (invariant 8).
            unsafe { ptr::write_bytes(self.tophash.as_ptr(), 0, self.buckets) };
        }
        self.pool.free();
        self.noverflow = 0;
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
        self.recycled = None;
    }
}

impl<K, V> Drop for BucketArray<K, V> {
    fn drop(&mut self) {
        self.pool.free();
        if self.is_allocated() {
            let (layout, _) = primary_layout::<K, V>(self.buckets).expect("valid at allocation");
            // SAFETY: allocated by `try_new` with this layout, starting at the tophash head.
            unsafe { dealloc(self.tophash.as_ptr().cast(), layout) };
            if layout.size() <= MMAP_THRESHOLD_MAX {
                LARGEST_FREED.fetch_max(layout.size(), Ordering::Relaxed);
            }
        }
    }
}

fn allocate_overflow_chunk<K, V>(units: usize) -> Result<NonNull<Overflow<K, V>>, TryReserveError> {
    let layout =
        Layout::array::<Overflow<K, V>>(units).map_err(|_| TryReserveError::CapacityOverflow)?;
    // SAFETY: non-zero size: an overflow unit always holds its tophash bytes and link. The units
    // are initialised one by one as they are handed out (`new_overflow`).
    let ptr = unsafe { alloc(layout) };
    NonNull::new(ptr.cast()).ok_or(TryReserveError::AllocError { layout })
}

/// Releases whole pages of `[region, region + upto)` not yet released, at most
/// [`RELEASE_STEP_BYTES`] per call and only a whole step, advancing `released`.
#[cfg(all(target_os = "linux", not(miri)))]
fn release_prefix(region: NonNull<u8>, upto: usize, released: &mut usize) {
    let base = region.as_ptr().addr();
    let end = (base + upto) & !(PAGE - 1);
    let start = (base + *released).next_multiple_of(PAGE);
    if end < start + RELEASE_STEP_BYTES {
        return;
    }
    let len = RELEASE_STEP_BYTES;
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

/// Pages a populate step faults in: 2 pages of the tophash region (see
/// [`BucketArray::populate_some`]).
#[cfg_attr(not(all(target_os = "linux", not(miri))), allow(dead_code))]
const POPULATE_BYTES: usize = 2 * PAGE;

/// Faults in writable the whole pages of `[region + populated, region + size)`, at most
/// [`POPULATE_BYTES`] per call, advancing `populated` (to `size` once done, or on failure).
#[cfg(all(target_os = "linux", not(miri)))]
fn populate_prefix(region: NonNull<u8>, size: usize, populated: &mut usize) {
    if *populated >= size {
        return;
    }
    let base = region.as_ptr().addr();
    let start = (base + *populated).next_multiple_of(PAGE);
    let end = ((base + size) & !(PAGE - 1)).min(start + POPULATE_BYTES);
    if end <= start {
        *populated = size;
        return;
    }
    // SAFETY: the range lies inside this array's allocation. MADV_POPULATE_WRITE only prefaults
    // page tables as a write would; it never changes the memory's contents. On kernels without it
    // (EINVAL) the pages fault on demand as before, so the whole region is marked done.
    let result = unsafe {
        libc::madvise(
            region.as_ptr().with_addr(start).cast(),
            end - start,
            libc::MADV_POPULATE_WRITE,
        )
    };
    *populated = if result == 0 { end - base } else { size };
}

#[cfg(not(all(target_os = "linux", not(miri))))]
fn populate_prefix(_region: NonNull<u8>, _size: usize, _populated: &mut usize) {}

/// Size of a transparent huge page on x86-64 and on aarch64 with 4 KiB pages: what
/// [`collapse_range`] collapses, and what `IntMap` aligns its big tables to.
pub(crate) const HUGE_PAGE: usize = 2 << 20;

/// `MADV_COLLAPSE` over the whole huge pages of `[region, region + size)`; whether it succeeded.
#[cfg(all(target_os = "linux", target_env = "gnu", not(miri)))]
fn collapse_range(region: NonNull<u8>, size: usize) -> bool {
    let base = region.as_ptr().addr();
    let start = base.next_multiple_of(HUGE_PAGE);
    let end = (base + size) & !(HUGE_PAGE - 1);
    if end <= start {
        return false;
    }
    // SAFETY: the range lies inside the allocation (`start >= base`, `end <= base + size`), which
    // stays allocated while the array is borrowed. MADV_COLLAPSE copies the range's pages into
    // huge pages under the kernel's page locks and never changes what any byte reads, so readers
    // (the borrow allows them) see the same memory; pages released before (`released`) are
    // faulted in again as zero pages, which nothing reads (invariant 4 of this module).
    unsafe {
        libc::madvise(
            region.as_ptr().with_addr(start).cast(),
            end - start,
            libc::MADV_COLLAPSE,
        ) == 0
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(miri))))]
fn collapse_range(_region: NonNull<u8>, _size: usize) -> bool {
    false
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An array of a size the process has already freed comes from the allocator's heap (glibc's
    /// dynamic threshold) and is not released early; sizes above glibc's ceiling always are.
    #[test]
    #[cfg_attr(
        not(all(target_os = "linux", not(miri))),
        ignore = "no release without madvise"
    )]
    fn only_arrays_the_allocator_maps_afresh_release_early() {
        // 2^13 buckets of 152 bytes: 1.2 MiB, between the release floor and glibc's ceiling.
        let log2 = 13;
        let first = BucketArray::<u64, u64>::new(log2);
        let bytes = primary_layout::<u64, u64>(first.buckets())
            .unwrap()
            .0
            .size();
        assert!((LARGE_ARRAY_BYTES..=MMAP_THRESHOLD_MAX).contains(&bytes));
        drop(first);
        assert!(!maps_afresh(bytes));
        assert_eq!(BucketArray::<u64, u64>::new(log2).release_at, usize::MAX);
        assert!(maps_afresh(MMAP_THRESHOLD_MAX + PAGE));
        assert!(!maps_afresh(LARGE_ARRAY_BYTES - PAGE));
    }
}
