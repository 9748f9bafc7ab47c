//! Concurrent maps built on [`Map`](crate::Map).
//!
//! # `SyncMap` and `SnapshotMap`
//!
//! - [`SyncMap`] is Go's `sync.Map` (the read/dirty design of Go 1.9-1.23): loads of keys in an
//!   immutable, atomically published read map take no lock and write no shared memory; new keys go
//!   to a mutex-guarded dirty map, promoted to be the read map once the locked lookups ("misses")
//!   reach its length; deleted keys pass through Go's expunged state. Use it where Go recommends
//!   `sync.Map`: keys written once and read many times, or threads working on disjoint key sets.
//! - [`SnapshotMap`] publishes a whole [`Map`](crate::Map) per change (copy-on-write): readers take
//!   a consistent version without a lock, writers copy, change and publish. Use it for data read
//!   everywhere and changed rarely.
//!
//! Both publish through one atomic pointer, [`arc_swap`] in normal builds; under `--cfg loom` the
//! pointer and the mutex become loom's, and `tests/loom.rs` model-checks the protocols (see
//! ARCHITECTURE.md).

mod shim;
mod snapshot;
mod sync_map;

pub use self::snapshot::{Snapshot, SnapshotMap, SnapshotOp, SnapshotReader};
pub use self::sync_map::{SyncMap, SyncMapStats};
