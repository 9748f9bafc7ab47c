//! Concurrent maps built on glassmap's [`Map`](crate::Map).
//!
//! # Which map should I use?
//!
//! | type | shared how | reads | writes | best for |
//! |---|---|---|---|---|
//! | [`Map`](crate::Map) | `&mut`, or your own lock | `&V` | in place | one thread, or a map you lock as a whole |
//! | [`ShardedMap`] | `&self` from any thread | clone ([`get`](ShardedMap::get)) or closure ([`read`](ShardedMap::read)) under a shard read lock | under a shard write lock; [`compute`](ShardedMap::compute) for read-modify-write | general concurrent use, read- or write-heavy |
//! | [`BatchWriter`] | one per thread, over a `ShardedMap` | through the map; sees writes only after they are flushed | buffered without locks, flushed grouped by shard | bulk loads and write-heavy streams that can tolerate delayed visibility |
//! | [`SyncMap`] | `&self` from any thread | `Arc<V>` ([`load`](SyncMap::load)) or closure ([`load_with`](SyncMap::load_with)), no lock for keys in the read map | stores to existing keys without a lock; new keys under a mutex | Go's two cases: keys written once and read many times, or threads on disjoint key sets |
//! | [`SnapshotMap`] | `&self` from any thread | a whole consistent version ([`load`](SnapshotMap::load)), no lock | copy the map, change, publish (O(n) per write) | data read everywhere and changed rarely (configuration, routing tables) |
//!
//! None of these hands out a guard or a reference that outlives a call (a [`Snapshot`] is an owned
//! version, not a lock), so none can deadlock through a forgotten guard, and all can be used across
//! `.await` points.
//!
//! # `SyncMap` and `SnapshotMap`
//!
//! - [`SyncMap`] is Go's `sync.Map` (the read/dirty design of Go 1.9-1.23): loads of keys in an
//!   immutable, atomically published read map take no lock and write no shared memory; new keys go
//!   to a mutex-guarded dirty map, promoted to be the read map once the locked lookups ("misses")
//!   reach its length; deleted keys pass through Go's expunged state.
//! - [`SnapshotMap`] publishes a whole [`Map`](crate::Map) per change (copy-on-write): readers take
//!   a consistent version without a lock, writers copy, change and publish.
//!
//! Both publish through one atomic pointer, [`arc_swap`] in normal builds; under `--cfg loom` the
//! pointer and the mutex become loom's, and `tests/loom.rs` model-checks the protocols (see
//! ARCHITECTURE.md).
//!
//! # Examples
//! ```
//! use glassmap::sync::ShardedMap;
//!
//! let map = ShardedMap::new();
//! std::thread::scope(|s| {
//!     s.spawn(|| map.insert("from a thread", 1));
//!     s.spawn(|| map.insert("from another", 2));
//! });
//! assert_eq!(map.len(), 2);
//! ```

mod batch_writer;
mod sharded;
mod shim;
mod snapshot;
mod sync_map;

pub use self::batch_writer::BatchWriter;
pub use self::sharded::{Compute, ShardedMap, ShardedMapError, ShardedStats};
pub use self::snapshot::{Snapshot, SnapshotMap, SnapshotOp, SnapshotReader};
pub use self::sync_map::{SyncMap, SyncMapStats};
