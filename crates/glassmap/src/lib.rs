//! glassmap: Go's classic runtime hash map in Rust (work in progress).

mod int_map;
#[allow(unsafe_code)]
mod raw;
pub use int_map::{
    CapacityError, Full, FullReason, IntMap, IntMapIntoIter, IntMapIter, IntMapIterMut, IntMapStats,
};
