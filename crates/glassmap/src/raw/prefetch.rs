//! Software prefetch: a hint that the line holding an address will be read soon. A no-op on
//! targets without one and under Miri. Prefetching never faults, whatever the address.

/// Asks the CPU to start loading the cache line of `address` into all cache levels.
#[inline(always)]
pub(crate) fn prefetch_read<T>(address: *const T) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    #[allow(unused_unsafe)] // `_mm_prefetch` became a safe fn in later toolchains
    // SAFETY: PREFETCHT0 is a hint; it never faults and does not read memory architecturally, so
    // any address is allowed. SSE, which provides it, is part of the x86-64 baseline.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(address.cast());
    }
    #[cfg(all(target_arch = "aarch64", not(miri)))]
    // SAFETY: PRFM is a hint that never faults and has no architectural effect on memory.
    unsafe {
        core::arch::asm!("prfm pldl1keep, [{0}]", in(reg) address, options(nostack, readonly, preserves_flags));
    }
    #[cfg(any(miri, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
    let _ = address;
}

/// As [`prefetch_read`], for a line that is read once and then not again soon: it is brought into
/// the first-level cache with a hint not to keep it in the outer levels, so that it does not evict
/// lines that are (a big table's dense tophash words, from the last-level cache).
#[inline(always)]
pub(crate) fn prefetch_read_once<T>(address: *const T) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    #[allow(unused_unsafe)] // `_mm_prefetch` became a safe fn in later toolchains
    // SAFETY: PREFETCHNTA is a hint like PREFETCHT0 (see `prefetch_read`).
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_NTA }>(address.cast());
    }
    #[cfg(all(target_arch = "aarch64", not(miri)))]
    // SAFETY: PRFM is a hint that never faults and has no architectural effect on memory.
    unsafe {
        core::arch::asm!("prfm pldl1strm, [{0}]", in(reg) address, options(nostack, readonly, preserves_flags));
    }
    #[cfg(any(miri, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
    let _ = address;
}
