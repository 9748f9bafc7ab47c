//! The operation mixes.

/// A mix of operations, as bustle and conc-map-bench define them, plus TrueGrow and a skewed ReadHeavy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mix {
    /// 98 % reads, 1 % inserts, 1 % removes; pre-sized, pre-filled to 75 % of the capacity.
    ReadHeavy,
    /// 10 % reads, 40 % inserts, 40 % removes, 10 % updates; pre-sized, pre-filled to 75 %.
    Exchange,
    /// 5 % reads, 80 % inserts, 5 % removes, 10 % updates; pre-sized (so it barely grows), empty.
    RapidGrow,
    /// RapidGrow's mix from an empty map with no capacity hint: resizing is measured.
    TrueGrow,
    /// ReadHeavy with reads Zipf-distributed (exponent 0.99) over the thread's keys: a few hot keys.
    Skewed,
}

/// The four kinds of operation, in the order of [`Shape::percent`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Look a key up.
    Read,
    /// Insert a key not in the map.
    Insert,
    /// Remove a key (the thread's oldest present one).
    Remove,
    /// Replace the value of a present key.
    Update,
}

impl OpKind {
    /// Every kind, in [`Shape::percent`] order.
    pub const ALL: [OpKind; 4] = [OpKind::Read, OpKind::Insert, OpKind::Remove, OpKind::Update];

    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Read => "read",
            OpKind::Insert => "insert",
            OpKind::Remove => "remove",
            OpKind::Update => "update",
        }
    }
}

/// What a mix does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    /// Percent of reads, inserts, removes and updates, in [`OpKind::ALL`] order; they sum to 100.
    pub percent: [u32; 4],
    /// Fraction of the capacity inserted before the timed operations.
    pub prefill: f64,
    /// Whether the map is created with the capacity as a hint.
    pub presized: bool,
    /// Zipf exponent of the read keys, `None` for uniform reads.
    pub zipf: Option<f64>,
}

impl Mix {
    /// Every mix, in report order.
    pub const ALL: [Mix; 5] = [
        Mix::ReadHeavy,
        Mix::Skewed,
        Mix::Exchange,
        Mix::RapidGrow,
        Mix::TrueGrow,
    ];

    /// Name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mix::ReadHeavy => "read-heavy",
            Mix::Exchange => "exchange",
            Mix::RapidGrow => "rapid-grow",
            Mix::TrueGrow => "true-grow",
            Mix::Skewed => "read-heavy-zipf",
        }
    }

    /// The mix called `name`.
    pub fn find(name: &str) -> Option<Mix> {
        Mix::ALL.into_iter().find(|m| m.name() == name)
    }

    /// What the mix does.
    pub fn shape(self) -> Shape {
        let read_heavy = Shape {
            percent: [98, 1, 1, 0],
            prefill: 0.75,
            presized: true,
            zipf: None,
        };
        match self {
            Mix::ReadHeavy => read_heavy,
            Mix::Skewed => Shape {
                zipf: Some(0.99),
                ..read_heavy
            },
            Mix::Exchange => Shape {
                percent: [10, 40, 40, 10],
                ..read_heavy
            },
            Mix::RapidGrow => Shape {
                percent: [5, 80, 5, 10],
                prefill: 0.0,
                presized: true,
                zipf: None,
            },
            Mix::TrueGrow => Shape {
                presized: false,
                ..Mix::RapidGrow.shape()
            },
        }
    }

    /// True for the mixes that are nearly all reads.
    pub fn is_read_heavy(self) -> bool {
        self.shape().percent[0] >= 90
    }

    /// One line for help and reports.
    pub fn about(self) -> &'static str {
        match self {
            Mix::ReadHeavy => {
                "98% reads, 1% inserts, 1% removes; pre-sized, 75% pre-filled (bustle)"
            }
            Mix::Skewed => "as read-heavy, reads Zipf(0.99) over the keys",
            Mix::Exchange => {
                "10% reads, 40% inserts, 40% removes, 10% updates; 75% pre-filled (bustle)"
            }
            Mix::RapidGrow => {
                "5% reads, 80% inserts, 5% removes, 10% updates; pre-sized, empty (bustle)"
            }
            Mix::TrueGrow => "rapid-grow's mix from an empty map with no capacity hint",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_sum_to_100_and_names_round_trip() {
        for mix in Mix::ALL {
            assert_eq!(mix.shape().percent.iter().sum::<u32>(), 100, "{mix:?}");
            assert_eq!(Mix::find(mix.name()), Some(mix));
        }
        assert!(Mix::ReadHeavy.is_read_heavy() && Mix::Skewed.is_read_heavy());
        assert!(!Mix::Exchange.is_read_heavy());
    }
}
