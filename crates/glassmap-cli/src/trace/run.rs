//! The traced run: the writes (inserts, and removes under churn) on a map with the chosen hasher.

use std::hash::Hash;

use glassmap::Map;

use super::sample::{Timeline, point, probe};
use super::tracker::{GrowthEvent, Tracker};
use crate::hashers::HasherVisitor;
use crate::keys::Rng;
use crate::plot::TimelinePoint;
use glassmap_workloads::concurrent::maps::SharedHasher;

/// What a trace produced; independent of key and hasher types.
pub struct Trace {
    /// Growths, in order.
    pub events: Vec<GrowthEvent>,
    /// Writes done (inserts and removes).
    pub writes: u64,
    /// Points of the timeline picture.
    pub timeline: Vec<TimelinePoint>,
    /// (write, overflow buckets per bucket) samples, with `--churn --plot`.
    pub overflow: Vec<(u64, f64)>,
    /// Entries at the end.
    pub len: usize,
    /// B at the end.
    pub log2_buckets: u8,
    /// Load factor at the end.
    pub load_factor: f64,
    /// Doublings counted by `Stats`.
    pub doublings: u64,
    /// Same-size growths counted by `Stats`.
    pub same_size_growths: u64,
}

/// Runs the writes with the chosen hasher.
pub struct Run<K> {
    /// Keys, inserted in order.
    pub keys: Vec<K>,
    /// Capacity hint.
    pub capacity: Option<usize>,
    /// Entries kept during churn.
    pub live: Option<usize>,
    /// Seed for the choice of keys to remove under churn.
    pub seed: u64,
    /// Sample overflow buckets per bucket for the picture (`stats()` every `writes / 2000` writes, not per write).
    pub sample_overflow: bool,
}

impl<K: Hash + Eq + Clone> HasherVisitor for Run<K> {
    type Output = Trace;

    fn visit<S: SharedHasher>(self, s: S) -> Trace {
        let mut map = match self.capacity {
            Some(h) => Map::with_capacity_and_hasher(h, s),
            None => Map::with_hasher(s),
        };
        let expected_writes = self.keys.len() as u64 * if self.live.is_some() { 2 } else { 1 };
        let mut tracker = Tracker::new(probe(&map));
        let mut timeline = Timeline::new(expected_writes);
        let overflow_stride = (expected_writes / 2000).max(1);
        let mut overflow = Vec::new();
        let mut live_keys: Vec<K> = Vec::new();
        let mut rng = Rng::new(self.seed ^ 0xc4a2);
        for k in self.keys {
            if let Some(limit) = self.live {
                if live_keys.len() >= limit {
                    let victim = live_keys.swap_remove(rng.below(live_keys.len()));
                    map.remove(&victim);
                    tracker.observe(false, probe(&map));
                    timeline.record(point(tracker.writes(), &map));
                }
                live_keys.push(k.clone());
            }
            map.insert(k, ());
            tracker.observe(true, probe(&map));
            timeline.record(point(tracker.writes(), &map));
            if self.sample_overflow && tracker.writes() % overflow_stride < 2 {
                let stats = map.stats();
                overflow.push((
                    tracker.writes(),
                    stats.overflow_buckets as f64 / stats.buckets as f64,
                ));
            }
        }
        let stats = map.stats();
        Trace {
            writes: tracker.writes(),
            events: tracker.events,
            timeline: timeline.finish(),
            overflow,
            len: stats.len,
            log2_buckets: stats.log2_buckets,
            load_factor: stats.load_factor,
            doublings: stats.doublings,
            same_size_growths: stats.same_size_growths,
        }
    }
}

/// The default number of entries kept during churn: the largest doubling threshold (8 for B = 0, else
/// 13 * 2^(B-1)) at or below n/64, so the table sits exactly at Go's maximum load and the live set turns over
/// about 60 times: overflow buckets pile up until there are as many as primary buckets, Go's trigger for a
/// same-size growth (one every 10 to 20 turnovers).
pub fn default_live(n: usize) -> usize {
    let mut live = 8;
    loop {
        let next = if live == 8 { 13 } else { live * 2 };
        if next > n / 64 {
            return live;
        }
        live = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_live_sits_at_a_doubling_threshold() {
        assert_eq!(default_live(10), 8);
        assert_eq!(default_live(1000), 13);
        assert_eq!(default_live(100_000), 13 << 6);
    }
}
