//! Concurrent map workloads on `u64` keys and values, and the drivers that time them.
//!
//! The mixes are bustle's (as conc-map-bench runs them), plus **TrueGrow**:
//!
//! | workload | read | insert | remove | update | map built with | prefilled |
//! |---|---:|---:|---:|---:|---|---:|
//! | ReadHeavy | 98 | 1 | 1 | 0 | capacity hint | 75 % of it |
//! | Exchange | 10 | 40 | 40 | 10 | capacity hint | 75 % of it |
//! | RapidGrow | 5 | 80 | 5 | 10 | capacity hint | 0 |
//! | TrueGrow | 5 | 80 | 5 | 10 | no hint (empty) | 0 |
//!
//! Each thread owns its keys (random-looking `u64`s, splitmix64 of the thread and an index):
//! inserts take the thread's next unused key, removes take its oldest inserted key, reads and
//! updates pick one of its keys uniformly (a miss if it is not inserted yet or removed already).
//! Unlike bustle, whose reads mostly miss, reads here mostly hit in ReadHeavy.
//! The operation lists are generated before timing starts ([`Plan`]).
//!
//! A map takes part by implementing [`ConcurrentMap`] (construction, and a per-thread handle
//! that can hold, for example, an epoch guard for the whole run). [`run_throughput`] times the
//! whole run; [`run_latency`] times every operation into an HDR histogram.

mod plan;
mod run;

pub use crate::plan::{Mix, Op, Plan, Workload};
pub use crate::run::{ConcurrentMap, Latency, MapThread, Throughput, run_latency, run_throughput};
