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
