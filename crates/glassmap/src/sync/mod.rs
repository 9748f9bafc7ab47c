//! Concurrent maps built on glassmap's [`Map`](crate::Map).
//!
//! # Which map should I use?
//!
//! | type | shared how | reads | writes | best for |
//! |---|---|---|---|---|
//! | [`Map`](crate::Map) | `&mut`, or your own lock | `&V` | in place | one thread, or a map you lock as a whole |
//! | [`ShardedMap`] | `&self` from any thread | clone ([`get`](ShardedMap::get)) or closure ([`read`](ShardedMap::read)) under a shard read lock | under a shard write lock; [`compute`](ShardedMap::compute) for read-modify-write | general concurrent use, read- or write-heavy |
//! | [`BatchWriter`] | one per thread, over a `ShardedMap` | through the map; sees writes only after they are flushed | buffered without locks, flushed grouped by shard | bulk loads and write-heavy streams that can tolerate delayed visibility |
//!
//! None of these hands out a guard or a reference that outlives a call, so none can deadlock
//! through a forgotten guard, and all can be used across `.await` points.
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

pub use self::batch_writer::BatchWriter;
pub use self::sharded::{Compute, ShardedMap, ShardedMapError, ShardedStats};
