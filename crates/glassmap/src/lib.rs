//! glassmap: Go's classic runtime hash map, rebuilt as a Rust collection you can look inside.
//!
//! # The design, in Go's words
//!
//! A [`Map`] has 2^**B** primary **buckets** of 8 slots. Each slot has a **tophash** byte, the top 8
//! bits of its key's 64-bit hash (bumped above the 5 values Go reserves for slot states), so a lookup
//! tests a whole bucket with one 8-byte load and a few integer operations before comparing any key.
//! A key's bucket is the low B bits of its hash. A full bucket chains **overflow** buckets.
//!
//! ```text
//!  primary bucket i:  tophash words [ t0 | t1 | ... ]        8 bytes each, one dense array
//!                     slot blocks   [ S0 | S1 | ... ]        S = (key, value) ×8, overflow link
//!                                                                              └──> overflow bucket ──> ...
//! ```
//!
//! (Go keeps the tophash bytes inside each bucket; here the primary buckets' tophash words form
//! their own array so that a lookup miss reads only memory that stays in cache. And a bucket
//! whose chain goes on gives its slot 7 to a mark, one of Go's reserved tophash values, so that
//! a search learns that from the tophash word instead of loading the overflow link.)
//!
//! When inserting a new key would put more than 6.5 entries per bucket on average, the map
//! **doubles**: it allocates a zeroed array of 2^(B+1) buckets and from then on every write first
//! **evacuates** the next four old buckets at the **nevacuate** mark (Go evacuates the bucket the
//! write's key maps to first; here old buckets move strictly in order, and a write goes where a
//! read looks: the key's old bucket while that is not evacuated). An old bucket's entries split
//! into the **X** half (same index) and the **Y** half (index + 2^B) by the hash bit above the old
//! mask. With about as many overflow buckets as
//! primary ones the map grows to the **same size** instead, which compacts the chains.
//!
//! ```text
//!  old array (2^B):   [evacuated][evacuated][  live  ][  live  ] ...
//!                                           ^ nevacuate
//!  new array (2^B+1): [ X of 0 ][ X of 1 ][        ][        ] ... [ Y of 0 ][ Y of 1 ] ...
//! ```
//!
//! A key is always in exactly one place: its old bucket while that is not evacuated, else the new
//! array. So no operation ever rehashes the whole table; the slowest insert moves four buckets.
//!
//! # The glass case
//!
//! [`Map::stats`] returns a [`Stats`]: B, bucket and overflow counts, the load factor (Go's
//! entries-per-bucket), the growth in progress, an occupancy histogram, the longest chain, heap
//! bytes, and how often the map doubled or grew in place. [`Map::bucket_loads`] walks the buckets
//! one by one for heat maps and hash-quality tests. [`Map::evacuate_step`] and
//! [`Map::finish_growth`] drive a growth that Go would only advance on writes.
//!
//! # Hashing
//!
//! [`RandomState`] (foldhash with a per-map random seed) is the default; `RandomState::with_seed`
//! makes layouts reproducible. Any [`BuildHasher`](core::hash::BuildHasher) works.
//!
//! # Also in the family
//!
//! [`IntMap`]: a fixed-capacity `u64`-keyed map with open addressing, for hot paths that must not
//! allocate or resize after construction. Batched lookups and inserts on [`Map`]
//! ([`Map::get_batch`], [`Map::insert_batch`]) hide memory latency with software prefetch.
//!
//! # Concurrent maps
//!
//! [`sync`]: [`ShardedMap`], 2^k glassmap maps behind their own locks, with no
//! guards in its API (so no deadlock through it) and atomic read-modify-write through
//! [`compute`](sync::ShardedMap::compute); [`BatchWriter`] buffers a thread's writes and applies
//! them grouped by shard. [`SyncMap`] is Go's `sync.Map` (lock-free reads of a published read-only
//! map, a locked dirty map, promotion after enough misses), and [`SnapshotMap`] publishes a whole
//! copied [`Map`] per change. The module doc has a "which map should I use" table.
//!
//! # Features
//!
//! - `serde`: `Serialize`/`Deserialize` for [`Map`] and [`Set`].
//! - `tracing`: growth start and finish as `tracing` debug events (target `glassmap`) with B,
//!   kind and len.

mod error;
mod hash;
mod int_map;
pub mod map;
#[allow(unsafe_code)]
mod raw;
#[cfg(feature = "serde")]
mod serde;
pub mod set;
mod stats;
pub mod sync;

pub use crate::error::TryReserveError;
pub use crate::hash::RandomState;
pub use crate::int_map::{
    CapacityError, Full, FullReason, IntMap, IntMapIntoIter, IntMapIter, IntMapIterMut, IntMapStats,
};
pub use crate::map::Map;
pub use crate::raw::BucketLoads;
pub use crate::set::Set;
pub use crate::stats::{BucketLoad, Growth, GrowthKind, Stats};
pub use crate::sync::{BatchWriter, Compute, ShardedMap, SnapshotMap, SyncMap};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
