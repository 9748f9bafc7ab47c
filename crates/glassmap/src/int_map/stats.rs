//! [`IntMapStats`]: a snapshot of an [`IntMap`](super::IntMap)'s table.

use core::fmt;

use super::MAX_PROBE;

/// A snapshot of an [`IntMap`](super::IntMap)'s table, from
/// [`IntMap::stats`](super::IntMap::stats).
///
/// The *probe distance* of an entry is how many slots past its home slot it is stored: 0 means
/// in its home slot, and a lookup of that key examines `distance + 1` slots. Every entry's
/// distance is below [`probe_limit`](Self::probe_limit).
///
/// `Display` prints a short report: one summary line and the non-empty histogram buckets.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntMapStats {
    /// Number of entries.
    pub len: usize,
    /// Maximum number of entries ([`IntMap::capacity`](super::IntMap::capacity)): `slots / 2`.
    pub capacity: usize,
    /// Number of home slots in the table: 0 or a power of two. The table has `probe_limit - 1`
    /// more after them (its tail), so that probes never wrap around.
    pub slots: usize,
    /// Slots holding a tombstone: always 0, since removal shifts entries back instead (see
    /// [`IntMap::compact`](super::IntMap::compact)); kept for code written against the earlier
    /// tombstone design.
    pub tombstones: usize,
    /// The probe bound of this table: `min(IntMap::MAX_PROBE, slots)`. A lookup examines at most
    /// this many slots; an insert that would have to go further is refused.
    pub probe_limit: usize,
    /// The largest probe distance among the current entries (0 when empty).
    pub max_probe: usize,
    /// `probe_lengths[d]` is the number of entries stored `d` slots past their home slot.
    pub probe_lengths: [usize; MAX_PROBE],
}

impl IntMapStats {
    /// Entries per slot, `len / slots`: at most 0.5 (0.0 for a zero-capacity map).
    pub fn load_factor(&self) -> f64 {
        if self.slots == 0 {
            0.0
        } else {
            self.len as f64 / self.slots as f64
        }
    }

    /// Mean probe distance of the current entries (0.0 when empty). A successful lookup
    /// examines `mean_probe() + 1` slots on average.
    pub fn mean_probe(&self) -> f64 {
        if self.len == 0 {
            return 0.0;
        }
        let total: usize = self
            .probe_lengths
            .iter()
            .enumerate()
            .map(|(d, n)| d * n)
            .sum();
        total as f64 / self.len as f64
    }
}

impl fmt::Display for IntMapStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "IntMap: {} of {} entries in {} slots (load {:.3}), {} tombstones, probe limit {}",
            self.len,
            self.capacity,
            self.slots,
            self.load_factor(),
            self.tombstones,
            self.probe_limit,
        )?;
        if self.len == 0 {
            return writeln!(f, "probe distance: no entries");
        }
        writeln!(
            f,
            "probe distance: max {}, mean {:.3}; entries at distance d:",
            self.max_probe,
            self.mean_probe()
        )?;
        for (d, &n) in self
            .probe_lengths
            .iter()
            .enumerate()
            .filter(|&(_, &n)| n > 0)
        {
            writeln!(f, "{d:>5}: {n}")?;
        }
        Ok(())
    }
}
