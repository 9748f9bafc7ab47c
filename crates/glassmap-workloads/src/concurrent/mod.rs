//! Concurrent workloads: which operations ([`Mix`]), on which maps ([`maps`]), and the runner ([`run`]).
//!
//! Every thread owns its keys (splitmix64 of a per-thread counter): it pre-fills its share, then makes its
//! operations in a pre-drawn order: reads of a key drawn uniformly (or Zipf-distributed, for
//! [`Mix::Skewed`]) from all of its keys, inserted or not (as bustle's harness, so many reads miss), inserts of
//! its next new key, removes of its oldest present key, updates of a random present key.

pub mod maps;
mod mix;
mod run;

pub use self::mix::{Mix, OpKind, Shape};
pub use self::run::{Config, Measurement, run};

/// The splitmix64 finaliser: a bijection on u64 whose outputs look random (distinct inputs, distinct keys).
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
