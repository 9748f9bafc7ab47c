//! Errors of [`IntMap`](super::IntMap): a refused insert ([`Full`]) and a refused table size
//! ([`CapacityError`]).

use core::fmt;

/// Why [`IntMap::insert`](super::IntMap::insert) refused a new key.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FullReason {
    /// The map already holds [`capacity()`](super::IntMap::capacity) entries.
    AtCapacity,
    /// The map has room, but every slot the key may occupy (the
    /// [`probe_limit`](super::IntMapStats::probe_limit) slots starting at its home slot) holds
    /// another entry. Random keys essentially never hit this (see the [`IntMap`](super::IntMap)
    /// docs); keys chosen to collide do.
    ProbeLimit,
}

impl fmt::Display for FullReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FullReason::AtCapacity => "the map is at capacity",
            FullReason::ProbeLimit => "every slot within the probe limit of its home slot is taken",
        })
    }
}

/// A new key that [`IntMap::insert`](super::IntMap::insert) could not place.
///
/// The map is unchanged; the value comes back in [`value`](Self::value) (or
/// [`into_value`](Self::into_value)). Like `std::sync::mpsc::TrySendError`, `Debug` and
/// [`Error`](std::error::Error) do not require `V: Debug`, so `?` works for any value type; the
/// `Debug` output leaves the value out.
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub struct Full<V> {
    /// The key that was not inserted.
    pub key: u64,
    /// The value that was not inserted, handed back to the caller.
    pub value: V,
    /// Why there was no room.
    pub reason: FullReason,
}

impl<V> Full<V> {
    pub(super) fn new(key: u64, value: V, reason: FullReason) -> Self {
        Full { key, value, reason }
    }

    /// Returns the value that was not inserted.
    pub fn into_value(self) -> V {
        self.value
    }
}

impl<V> fmt::Debug for Full<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Full")
            .field("key", &self.key)
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl<V> fmt::Display for Full<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IntMap is full: key {} not inserted ({})",
            self.key, self.reason
        )
    }
}

impl<V> std::error::Error for Full<V> {}

/// [`IntMap::try_with_capacity`](super::IntMap::try_with_capacity) could not build a table of the
/// requested capacity.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CapacityError {
    /// The slot table for `requested` entries would be larger than `isize::MAX` bytes (or its slot
    /// count would overflow `usize`).
    TooLarge {
        /// The capacity that was asked for.
        requested: usize,
    },
    /// The allocator could not provide the table.
    AllocFailed {
        /// The capacity that was asked for.
        requested: usize,
        /// The size of the allocation that failed, in bytes.
        bytes: usize,
    },
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            CapacityError::TooLarge { requested } => write!(
                f,
                "IntMap capacity {requested} is too large: the slot table would exceed isize::MAX bytes"
            ),
            CapacityError::AllocFailed { requested, bytes } => write!(
                f,
                "IntMap capacity {requested}: allocating the {bytes}-byte slot table failed"
            ),
        }
    }
}

impl std::error::Error for CapacityError {}
