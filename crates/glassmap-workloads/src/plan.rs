//! Workload definitions and the per-thread operation lists generated from them.

/// Percentages of each operation kind; they sum to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    /// Lookups.
    pub read: u8,
    /// Inserts of a new key.
    pub insert: u8,
    /// Removes of a present key (the thread's oldest).
    pub remove: u8,
    /// Read-modify-writes (add one to the value if present).
    pub update: u8,
}

/// A named workload: a mix, whether the map gets a capacity hint, and the prefill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// 98 % reads, 1 % insert, 1 % remove; presized and 75 % prefilled.
    ReadHeavy,
    /// 10 % reads, 40 % insert, 40 % remove, 10 % update; presized and 75 % prefilled.
    Exchange,
    /// 5 % reads, 80 % insert, 5 % remove, 10 % update; presized, empty.
    RapidGrow,
    /// RapidGrow's mix on a map built without a capacity hint, so it really grows.
    TrueGrow,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 4] = [
        Workload::ReadHeavy,
        Workload::Exchange,
        Workload::RapidGrow,
        Workload::TrueGrow,
    ];

    /// The name in reports and filters.
    pub fn name(self) -> &'static str {
        match self {
            Workload::ReadHeavy => "ReadHeavy",
            Workload::Exchange => "Exchange",
            Workload::RapidGrow => "RapidGrow",
            Workload::TrueGrow => "TrueGrow",
        }
    }

    /// The operation mix.
    pub fn mix(self) -> Mix {
        match self {
            Workload::ReadHeavy => Mix {
                read: 98,
                insert: 1,
                remove: 1,
                update: 0,
            },
            Workload::Exchange => Mix {
                read: 10,
                insert: 40,
                remove: 40,
                update: 10,
            },
            Workload::RapidGrow | Workload::TrueGrow => Mix {
                read: 5,
                insert: 80,
                remove: 5,
                update: 10,
            },
        }
    }

    /// Whether the map is built with a capacity hint (bustle presizes every map).
    pub fn presized(self) -> bool {
        self != Workload::TrueGrow
    }

    /// The fraction of the capacity inserted before timing starts, in percent.
    pub fn prefill_percent(self) -> usize {
        match self {
            Workload::ReadHeavy | Workload::Exchange => 75,
            Workload::RapidGrow | Workload::TrueGrow => 0,
        }
    }
}

/// One operation of a thread's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Look the key up.
    Read(u64),
    /// Insert the key (new to the map) with a value.
    Insert(u64),
    /// Remove the key.
    Remove(u64),
    /// Add one to the key's value if present.
    Update(u64),
}

/// Everything a run needs, generated before timing: the capacity hint, and per thread the keys to
/// prefill and the operations to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The workload.
    pub workload: Workload,
    /// The capacity hint for the map's constructor (0: none).
    pub capacity: usize,
    /// Per thread: keys inserted before timing.
    pub prefill: Vec<Vec<u64>>,
    /// Per thread: the timed operations.
    pub ops: Vec<Vec<Op>>,
}

impl Plan {
    /// A plan for `threads` threads running `total_ops` operations in all. `capacity` is the
    /// capacity hint of presized workloads (and the base of the prefill); TrueGrow ignores it.
    ///
    /// # Panics
    /// If `threads` is zero.
    pub fn new(
        workload: Workload,
        threads: usize,
        capacity: usize,
        total_ops: usize,
        seed: u64,
    ) -> Plan {
        assert!(threads > 0, "a plan needs at least one thread");
        let prefill_per_thread = capacity * workload.prefill_percent() / 100 / threads;
        let ops_per_thread = total_ops / threads;
        let mut prefill = Vec::with_capacity(threads);
        let mut ops = Vec::with_capacity(threads);
        for thread in 0..threads {
            let (keys, list) = thread_ops(
                workload.mix(),
                thread,
                prefill_per_thread,
                ops_per_thread,
                seed,
            );
            prefill.push(keys);
            ops.push(list);
        }
        Plan {
            workload,
            capacity: if workload.presized() { capacity } else { 0 },
            prefill,
            ops,
        }
    }

    /// Operations in all threads.
    pub fn total_ops(&self) -> usize {
        self.ops.iter().map(Vec::len).sum()
    }

    /// Threads.
    pub fn threads(&self) -> usize {
        self.ops.len()
    }
}

/// splitmix64: random-looking keys from counters.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One thread's prefill keys and operation list. Its key `i` is `splitmix64(seed, thread, i)`.
fn thread_ops(
    mix: Mix,
    thread: usize,
    prefill: usize,
    ops: usize,
    seed: u64,
) -> (Vec<u64>, Vec<Op>) {
    let key = |i: usize| splitmix64(seed ^ ((thread as u64) << 48) ^ i as u64);
    let mut rng = seed ^ 0xdead_beef ^ ((thread as u64) << 32);
    let mut random = move || {
        rng = rng.wrapping_add(1);
        splitmix64(rng)
    };
    let (read, insert, remove) = (mix.read as u64, mix.insert as u64, mix.remove as u64);
    let mut next_insert = prefill; // keys [0, next_insert) have been inserted
    let mut next_remove = 0; // keys [0, next_remove) have been removed again
    let mut list = Vec::with_capacity(ops);
    for _ in 0..ops {
        let roll = random() % 100;
        let op = if roll < read {
            Op::Read(key((random() % (next_insert as u64 + 1)) as usize))
        } else if roll < read + insert {
            next_insert += 1;
            Op::Insert(key(next_insert - 1))
        } else if roll < read + insert + remove {
            if next_remove < next_insert {
                next_remove += 1;
                Op::Remove(key(next_remove - 1))
            } else {
                Op::Remove(key(next_insert)) // nothing left: a miss
            }
        } else {
            Op::Update(key((random() % (next_insert as u64 + 1)) as usize))
        };
        list.push(op);
    }
    ((0..prefill).map(key).collect(), list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_follow_their_mix() {
        let plan = Plan::new(Workload::Exchange, 2, 1000, 20_000, 7);
        assert_eq!(plan.total_ops(), 20_000);
        assert_eq!(plan.prefill[0].len(), 375);
        let inserts = plan.ops[0]
            .iter()
            .filter(|op| matches!(op, Op::Insert(_)))
            .count();
        assert!((3_600..4_400).contains(&inserts), "{inserts}");
        let grow = Plan::new(Workload::TrueGrow, 1, 1000, 100, 7);
        assert_eq!((grow.capacity, grow.prefill[0].len()), (0, 0));
    }

    #[test]
    fn threads_own_distinct_keys() {
        let plan = Plan::new(Workload::RapidGrow, 2, 0, 10_000, 1);
        let keys = |t: usize| -> std::collections::HashSet<u64> {
            plan.ops[t]
                .iter()
                .filter_map(|op| match op {
                    Op::Insert(k) => Some(*k),
                    _ => None,
                })
                .collect()
        };
        assert!(keys(0).is_disjoint(&keys(1)));
    }
}
