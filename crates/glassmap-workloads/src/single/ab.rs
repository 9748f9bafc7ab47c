//! Timing passes for the interleaved A/B examples (`intmap_ab`, `memory_floor`): short passes of
//! independent operations on random keys, each result used, timed one pass at a time so that two
//! contenders can alternate on a machine shared with other jobs, and summarised by median and
//! minimum.

use std::hint::black_box;
use std::time::Instant;

/// Lookups per timed pass of [`lookup_pass`]: long enough to hide the clock's cost, short enough
/// that two contenders alternate many times a second.
pub const PASS: usize = 1 << 16;

/// Nanoseconds per lookup of one pass of `keys` through `lookup`: the values found summed (a miss
/// counts 1), or, with `count`, only the number found. Each iteration is independent of the
/// others, so the core overlaps as many of them as its out-of-order window holds.
pub fn lookup_pass(keys: &[u64], count: bool, lookup: impl Fn(u64) -> Option<u64>) -> f64 {
    let start = Instant::now();
    let mut acc = 0u64;
    if count {
        acc = keys.iter().filter(|&&k| lookup(k).is_some()).count() as u64;
    } else {
        for &k in keys {
            acc = acc.wrapping_add(lookup(k).unwrap_or(1));
        }
    }
    black_box(acc);
    per_op(start, keys.len())
}

/// Nanoseconds per call of one pass of `keys` through `insert`.
pub fn insert_pass(keys: &[u64], mut insert: impl FnMut(u64)) -> f64 {
    let start = Instant::now();
    for &k in keys {
        insert(k);
    }
    per_op(start, keys.len())
}

/// Nanoseconds since `start` per one of `ops` operations.
fn per_op(start: Instant, ops: usize) -> f64 {
    start.elapsed().as_nanos() as f64 / ops.max(1) as f64
}

/// The median and minimum of a series of per-operation times (nanoseconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// The median time.
    pub median: f64,
    /// The fastest time.
    pub min: f64,
}

impl Summary {
    /// Summarises `times`.
    ///
    /// # Panics
    ///
    /// If `times` is empty.
    pub fn of(mut times: Vec<f64>) -> Self {
        assert!(!times.is_empty(), "Summary::of an empty series");
        times.sort_by(f64::total_cmp);
        Summary {
            median: times[times.len() / 2],
            min: times[0],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_takes_the_middle_and_the_fastest() {
        let s = Summary::of(vec![5.0, 1.0, 3.0, 9.0, 2.0]);
        assert_eq!(
            s,
            Summary {
                median: 3.0,
                min: 1.0
            }
        );
    }

    #[test]
    fn passes_report_a_time_per_operation() {
        let keys: Vec<u64> = (1..=1000).collect();
        assert!(lookup_pass(&keys, false, Some) >= 0.0);
        let mut seen = 0;
        assert!(insert_pass(&keys, |_| seen += 1) >= 0.0);
        assert_eq!(seen, keys.len());
    }
}
