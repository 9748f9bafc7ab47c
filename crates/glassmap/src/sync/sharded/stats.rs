//! [`ShardedStats`]: the glass case of a [`ShardedMap`](super::ShardedMap).

use crate::Stats;

/// Per-shard [`Stats`] of a [`ShardedMap`](super::ShardedMap), from
/// [`ShardedMap::stats`](super::ShardedMap::stats). Each shard's stats are consistent; the
/// shards are read one after another, so under concurrent writes they are not one instant.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ShardedStats {
    /// The stats of each shard, in shard order.
    pub shards: Vec<Stats>,
    /// The sum of the shards' lengths.
    pub len: usize,
    /// The longest shard's length divided by the mean shard length (1.0 is perfectly even;
    /// 1.0 for an empty map).
    pub imbalance: f64,
    /// How many shards have a growth (evacuation) in progress.
    pub growing: usize,
}

impl ShardedStats {
    pub(super) fn new(shards: Vec<Stats>) -> Self {
        let len: usize = shards.iter().map(|s| s.len).sum();
        let longest = shards.iter().map(|s| s.len).max().unwrap_or(0);
        let imbalance = if len == 0 {
            1.0
        } else {
            longest as f64 * shards.len() as f64 / len as f64
        };
        let growing = shards.iter().filter(|s| s.growth.is_some()).count();
        ShardedStats {
            shards,
            len,
            imbalance,
            growing,
        }
    }
}
