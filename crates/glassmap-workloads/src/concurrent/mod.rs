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
