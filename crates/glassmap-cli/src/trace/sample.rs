//! What is read from the map after each write: the O(1) growth probe, and the points of the timeline picture
//! (every `stride` writes, plus both sides of every change of B).

use glassmap::{GrowthKind, Map};

use super::tracker::{Kind, Phase, Probe};
use crate::plot::TimelinePoint;

/// The O(1) probe after a write.
pub fn probe<K, V, S>(map: &Map<K, V, S>) -> Probe {
    Probe {
        log2_buckets: map.log2_buckets(),
        growth: map.growth().map(|g| Phase {
            kind: match g.kind {
                GrowthKind::Doubling => Kind::Doubling,
                GrowthKind::SameSize => Kind::SameSize,
                _ => Kind::Resize,
            },
            old_buckets: g.old_buckets,
            evacuated: g.evacuated,
        }),
    }
}

/// One timeline point: B and the load factor after write number `write`.
pub fn point<K, V, S>(write: u64, map: &Map<K, V, S>) -> TimelinePoint {
    let b = map.log2_buckets();
    TimelinePoint {
        write,
        log2_buckets: b,
        load_factor: map.len() as f64 / (1u64 << b) as f64,
    }
}

/// Samples of the map's shape for the timeline picture: every `stride` writes, plus both sides of every change of B.
#[derive(Clone, Debug)]
pub struct Timeline {
    stride: u64,
    points: Vec<TimelinePoint>,
    pending: Option<TimelinePoint>,
}

impl Timeline {
    /// A timeline for about `writes` writes.
    pub fn new(writes: u64) -> Self {
        Timeline {
            stride: (writes / 4000).max(1),
            points: Vec::new(),
            pending: None,
        }
    }

    /// Records the point after a write.
    pub fn record(&mut self, point: TimelinePoint) {
        let last_b = self.points.last().map(|p| p.log2_buckets);
        if last_b.is_some_and(|b| b != point.log2_buckets) {
            if let Some(before) = self.pending.take()
                && self.points.last() != Some(&before)
            {
                self.points.push(before);
            }
            self.points.push(point);
        } else if last_b.is_none() || point.write.is_multiple_of(self.stride) {
            self.points.push(point);
        }
        self.pending = Some(point);
    }

    /// The points to draw.
    pub fn finish(mut self) -> Vec<TimelinePoint> {
        if let Some(last) = self.pending.take()
            && self.points.last() != Some(&last)
        {
            self.points.push(last);
        }
        self.points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_keeps_both_sides_of_a_step() {
        let mut tl = Timeline::new(10_000_000);
        let p = |write, b| TimelinePoint {
            write,
            log2_buckets: b,
            load_factor: 1.0,
        };
        for w in 1..=100 {
            tl.record(p(w, if w < 50 { 3 } else { 4 }));
        }
        let points = tl.finish();
        assert_eq!(
            points.iter().map(|p| p.write).collect::<Vec<_>>(),
            [1, 49, 50, 100]
        );
    }
}
