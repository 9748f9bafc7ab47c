//! Errors of the fallible [`ShardedMap`](super::ShardedMap) constructors.

use core::fmt;

use crate::TryReserveError;

/// Why a [`ShardedMap`](super::ShardedMap) could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShardedMapError {
    /// The shard count was zero.
    ZeroShards,
    /// The shard count was not a power of two.
    NotPowerOfTwo {
        /// The count asked for.
        shards: usize,
    },
    /// More shards than [`ShardedMap::MAX_SHARDS`](super::ShardedMap::MAX_SHARDS) (65 536).
    TooManyShards {
        /// The count asked for.
        shards: usize,
    },
    /// The capacity does not fit in memory.
    Capacity(TryReserveError),
}

impl fmt::Display for ShardedMapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardedMapError::ZeroShards => f.write_str("a ShardedMap needs at least one shard"),
            ShardedMapError::NotPowerOfTwo { shards } => {
                write!(f, "the shard count must be a power of two, not {shards}")
            }
            ShardedMapError::TooManyShards { shards } => write!(
                f,
                "{shards} shards is more than the maximum of {}",
                super::MAX_SHARDS
            ),
            ShardedMapError::Capacity(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for ShardedMapError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ShardedMapError::Capacity(err) => Some(err),
            _ => None,
        }
    }
}

impl From<TryReserveError> for ShardedMapError {
    fn from(err: TryReserveError) -> Self {
        ShardedMapError::Capacity(err)
    }
}
