//! The growth tracker: turns the O(1) probe read after every write into growth events.

/// Kind of a growth, as the trace reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Twice the buckets (load factor above 6.5).
    Doubling,
    /// Same number of buckets, rebuilt to shed overflow buckets.
    SameSize,
    /// Any other size (explicit reserve or shrink).
    Resize,
}

impl Kind {
    /// Name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Doubling => "doubling",
            Kind::SameSize => "same-size",
            Kind::Resize => "resize",
        }
    }
}

/// The growth in progress, as `Map::growth()` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase {
    /// Kind of growth.
    pub kind: Kind,
    /// Buckets in the old array.
    pub old_buckets: usize,
    /// Old buckets evacuated so far.
    pub evacuated: usize,
}

/// What the O(1) probes say after a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// `log2_buckets()`: B of the current (new) array.
    pub log2_buckets: u8,
    /// `growth()`.
    pub growth: Option<Phase>,
}

/// One growth, from the write that started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GrowthEvent {
    /// Write number that started it (1-based; inserts and removes both count).
    pub write: u64,
    /// Insert number that started it, or the inserts done so far if a remove did.
    pub insert: u64,
    /// B before the write.
    pub b_before: u8,
    /// B after it.
    pub b_after: u8,
    /// Kind.
    pub kind: Kind,
    /// Write number that finished the evacuation, if it finished.
    pub finished_at: Option<u64>,
}

impl GrowthEvent {
    /// Writes from start to finish, both included.
    pub fn writes_to_finish(&self) -> Option<u64> {
        self.finished_at.map(|end| end - self.write + 1)
    }
}

/// Turns the probe after each write into growth events.
#[derive(Clone, Debug)]
pub struct Tracker {
    last: Probe,
    writes: u64,
    inserts: u64,
    open: Option<usize>,
    /// Growths seen so far, in order.
    pub events: Vec<GrowthEvent>,
}

impl Tracker {
    /// A tracker for a map currently in state `initial`.
    pub fn new(initial: Probe) -> Self {
        Tracker {
            last: initial,
            writes: 0,
            inserts: 0,
            open: None,
            events: Vec::new(),
        }
    }

    /// Writes observed so far (inserts and removes).
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// Records one write (`insert` false for a remove) and the probe after it.
    pub fn observe(&mut self, insert: bool, now: Probe) {
        self.writes += 1;
        self.inserts += u64::from(insert);
        let before = self.last;
        let b_changed = now.log2_buckets != before.log2_buckets;
        let started = match (before.growth, now.growth) {
            // Not growing afterwards: a growth happened only if B moved (started and finished in this write).
            (_, None) => b_changed,
            (None, Some(_)) => true,
            // A different growth than before: the old one finished and a new one started in this write.
            (Some(a), Some(b)) => {
                b_changed
                    || a.kind != b.kind
                    || a.old_buckets != b.old_buckets
                    || b.evacuated < a.evacuated
            }
        };
        if let Some(i) = self.open
            && (now.growth.is_none() || started)
        {
            self.events[i].finished_at = Some(self.writes);
            self.open = None;
        }
        if started {
            let kind = match now.growth {
                Some(phase) => phase.kind,
                None if now.log2_buckets == before.log2_buckets + 1 => Kind::Doubling,
                None => Kind::Resize,
            };
            self.events.push(GrowthEvent {
                write: self.writes,
                insert: self.inserts,
                b_before: before.log2_buckets,
                b_after: now.log2_buckets,
                kind,
                finished_at: if now.growth.is_none() {
                    Some(self.writes)
                } else {
                    None
                },
            });
            if now.growth.is_some() {
                self.open = Some(self.events.len() - 1);
            }
        }
        self.last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle(b: u8) -> Probe {
        Probe {
            log2_buckets: b,
            growth: None,
        }
    }

    fn growing(b: u8, kind: Kind, old: usize, evacuated: usize) -> Probe {
        Probe {
            log2_buckets: b,
            growth: Some(Phase {
                kind,
                old_buckets: old,
                evacuated,
            }),
        }
    }

    #[test]
    fn a_growth_finished_within_its_first_write() {
        let mut t = Tracker::new(idle(0));
        for _ in 0..8 {
            t.observe(true, idle(0));
        }
        t.observe(true, idle(1));
        assert_eq!(t.events.len(), 1);
        let e = t.events[0];
        assert_eq!(
            (e.insert, e.b_before, e.b_after, e.kind),
            (9, 0, 1, Kind::Doubling)
        );
        assert_eq!(e.writes_to_finish(), Some(1));
    }

    #[test]
    fn a_growth_over_several_writes() {
        let mut t = Tracker::new(idle(3));
        t.observe(true, growing(4, Kind::Doubling, 8, 2));
        t.observe(true, growing(4, Kind::Doubling, 8, 4));
        t.observe(false, growing(4, Kind::Doubling, 8, 6));
        t.observe(true, idle(4));
        assert_eq!(t.events.len(), 1);
        assert_eq!(t.events[0].writes_to_finish(), Some(4));
        assert_eq!(t.events[0].b_before, 3);
    }

    #[test]
    fn back_to_back_growths_are_two_events() {
        let mut t = Tracker::new(idle(4));
        t.observe(true, growing(4, Kind::SameSize, 16, 14));
        // Finishes the same-size growth and starts another one in the same write.
        t.observe(true, growing(4, Kind::SameSize, 16, 2));
        t.observe(true, growing(4, Kind::SameSize, 16, 16));
        t.observe(true, idle(4));
        assert_eq!(t.events.len(), 2);
        assert_eq!(t.events[0].finished_at, Some(2));
        assert_eq!(t.events[1].write, 2);
        assert_eq!(t.events[1].finished_at, Some(4));
        assert_eq!(t.events[1].kind, Kind::SameSize);
    }

    #[test]
    fn an_unfinished_growth_stays_open() {
        let mut t = Tracker::new(idle(5));
        t.observe(true, growing(6, Kind::Doubling, 32, 2));
        assert_eq!(t.events[0].writes_to_finish(), None);
    }
}
