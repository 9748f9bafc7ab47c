//! Errors of the fallible APIs.

use core::alloc::Layout;
use core::fmt;

/// Why [`Map::try_reserve`](crate::Map::try_reserve) failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TryReserveError {
    /// The requested capacity does not fit in a bucket array the address space can hold.
    CapacityOverflow,
    /// The allocator refused a bucket array of this layout.
    AllocError {
        /// The layout that was asked for.
        layout: Layout,
    },
}

impl fmt::Display for TryReserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryReserveError::CapacityOverflow => {
                f.write_str("capacity overflow: the bucket array would not fit in memory")
            }
            TryReserveError::AllocError { layout } => write!(
                f,
                "memory allocation of {} bytes for a bucket array failed",
                layout.size()
            ),
        }
    }
}

impl std::error::Error for TryReserveError {}
