//! The maps `stress` knows, each adapted to [`Subject`]: its calls mapped onto the register operations
//! the checker understands. Adding a map is an adapter here and a line in [`TARGETS`].

use std::sync::Mutex;

use glassmap::sync::{Compute, ShardedMap, SnapshotMap, SyncMap};
use glassmap::{Map, RandomState, Stats};
use glassmap_lincheck::{Clock, Event, RegisterOp};

use super::history::{Counters, Log, Plan, Subject, draws, drive};

/// A map `stress` can run, as named on the command line.
pub struct Target {
    /// Name for `--map`.
    pub name: &'static str,
    /// One line for help and output.
    pub about: &'static str,
    /// True for the deliberately broken control, which the checker is expected to catch.
    pub control: bool,
    /// A fresh, empty map for one history.
    pub fresh: fn(seed: u64) -> Box<dyn Subject>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every target, in output order; the control comes last.
pub static TARGETS: &[Target] = &[
    Target {
        name: "sharded",
        about: "glassmap::sync::ShardedMap: get, insert, remove, get_or_insert_with, compute, \
                remove_if, update, insert_batch",
        control: false,
        fresh: |seed| {
            Box::new(Sharded {
                map: ShardedMap::with_hasher(hasher(seed)),
            })
        },
    },
    Target {
        name: "sync",
        about: "glassmap::sync::SyncMap: load, store, swap, load_and_delete, delete, load_or_store, \
                compare_and_swap, compare_and_delete",
        control: false,
        fresh: |seed| {
            Box::new(SyncSubject {
                map: SyncMap::with_hasher(hasher(seed)),
            })
        },
    },
    Target {
        name: "snapshot",
        about: "glassmap::sync::SnapshotMap: update (insert, remove) against load().get and get",
        control: false,
        fresh: |seed| {
            Box::new(SnapshotSubject {
                map: SnapshotMap::new(Map::with_hasher(hasher(seed))),
            })
        },
    },
    Target {
        name: "batch",
        about: "glassmap::sync::BatchWriter over a ShardedMap, against its contract: a buffered write \
                takes effect between its call and the end of its flush",
        control: false,
        fresh: |seed| {
            Box::new(Batch {
                map: ShardedMap::with_hasher(hasher(seed)),
            })
        },
    },
    Target {
        name: "stale",
        about: "CONTROL, deliberately broken: reads come from a copy refreshed every 8 writes \
                (ghost reads)",
        control: true,
        fresh: |seed| Box::new(Stale::new(seed)),
    },
];

fn hasher(seed: u64) -> RandomState {
    RandomState::with_seed(seed)
}

/// Growths a map has started, from its statistics.
fn growths(stats: &Stats) -> u64 {
    stats.doublings + stats.same_size_growths
}

/// How often the stale control refreshes the copy its reads come from.
const STALE_REFRESH: u32 = 8;

/// The control: a correct map for writes, but reads are served from a copy taken every
/// [`STALE_REFRESH`] writes: what a reader of a Go map sees when it reads a bucket that is being
/// evacuated, or a cache that is refreshed lazily.
struct Stale {
    state: Mutex<StaleState>,
}

struct StaleState {
    live: Map<u64, u64>,
    copy: Map<u64, u64>,
    writes: u32,
}

impl Stale {
    fn new(seed: u64) -> Self {
        let map = || Map::with_hasher(hasher(seed));
        Stale {
            state: Mutex::new(StaleState {
                live: map(),
                copy: map(),
                writes: 0,
            }),
        }
    }
}

impl Subject for Stale {
    fn run_thread(&self, thread: usize, plan: &Plan, clock: &Clock) -> Log {
        drive(thread, plan, clock, |draw| {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if draw.die < 50 {
                RegisterOp::Read {
                    returned: state.copy.get(&draw.key).copied(),
                }
            } else {
                let previous = state.live.insert(draw.key, draw.value);
                state.writes += 1;
                if state.writes.is_multiple_of(STALE_REFRESH) {
                    state.copy = state.live.clone();
                }
                RegisterOp::Write {
                    value: Some(draw.value),
                    returned: Some(previous),
                }
            }
        })
    }

    fn counters(&self) -> Counters {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Counters {
            growths: growths(&state.live.stats()),
            promotions: 0,
        }
    }
}

/// `ShardedMap`, through every call whose result the register model can judge.
struct Sharded {
    map: ShardedMap<u64, u64>,
}

impl Subject for Sharded {
    fn run_thread(&self, thread: usize, plan: &Plan, clock: &Clock) -> Log {
        let map = &self.map;
        // The last value this thread saw for each key: the expected value of its conditional calls.
        let mut seen: Map<u64, u64> = Map::new();
        drive(thread, plan, clock, |draw| {
            let (key, value) = (draw.key, draw.value);
            let expected = seen.get(&key).copied();
            let op = match draw.die {
                0..30 => RegisterOp::Read {
                    returned: map.get(&key),
                },
                30..45 => RegisterOp::Write {
                    value: Some(value),
                    returned: Some(map.insert(key, value)),
                },
                45..55 => RegisterOp::Write {
                    value: None,
                    returned: Some(map.remove(&key)),
                },
                55..65 => {
                    let mut stored = false;
                    let now = map.get_or_insert_with(key, || {
                        stored = true;
                        value
                    });
                    RegisterOp::InsertIfAbsent {
                        value,
                        returned: (!stored).then_some(now),
                    }
                }
                65..75 => {
                    // An upsert through compute: replaces a present value, inserts an absent one.
                    let previous = map.compute(key, |current| {
                        let previous = current.map(|v| *v);
                        Compute::Insert(value, previous)
                    });
                    RegisterOp::Write {
                        value: Some(value),
                        returned: Some(previous),
                    }
                }
                75..83 => match expected {
                    Some(e) => RegisterOp::CompareAndSet {
                        expected: Some(e),
                        new: None,
                        succeeded: map.remove_if(&key, |v| *v == e).is_some(),
                    },
                    None => RegisterOp::Read {
                        returned: map.read(&key, |v| *v),
                    },
                },
                83..92 => RegisterOp::UpdateIfPresent {
                    new: value,
                    returned: map.update(&key, |v| std::mem::replace(v, value)),
                },
                _ => {
                    map.insert_batch([(key, value)]);
                    RegisterOp::Write {
                        value: Some(value),
                        returned: None,
                    }
                }
            };
            remember(&mut seen, key, &op);
            op
        })
    }

    fn counters(&self) -> Counters {
        Counters {
            growths: shard_growths(&self.map),
            promotions: 0,
        }
    }
}

/// Growths started in all shards of `map`.
fn shard_growths(map: &ShardedMap<u64, u64>) -> u64 {
    map.stats().shards.iter().map(growths).sum()
}

/// Keeps the value a call saw or wrote, for the next conditional call on the key.
fn remember(seen: &mut Map<u64, u64>, key: u64, op: &RegisterOp<u64>) {
    let now = match op {
        RegisterOp::Read { returned } => *returned,
        RegisterOp::Write { value, .. } => *value,
        RegisterOp::InsertIfAbsent { value, returned } => Some(returned.unwrap_or(*value)),
        RegisterOp::CompareAndSet {
            new,
            succeeded: true,
            ..
        } => *new,
        RegisterOp::CompareAndSet { .. } => return,
        RegisterOp::UpdateIfPresent { new, returned } => returned.map(|_| *new),
    };
    match now {
        Some(value) => {
            seen.insert(key, value);
        }
        None => {
            seen.remove(&key);
        }
    }
}

/// `SyncMap`, through Go's calls.
struct SyncSubject {
    map: SyncMap<u64, u64>,
}

impl Subject for SyncSubject {
    fn run_thread(&self, thread: usize, plan: &Plan, clock: &Clock) -> Log {
        let map = &self.map;
        let mut seen: Map<u64, u64> = Map::new();
        drive(thread, plan, clock, |draw| {
            let (key, value) = (draw.key, draw.value);
            let arc = |v: Option<std::sync::Arc<u64>>| v.map(|v| *v);
            let op = match draw.die {
                0..35 => RegisterOp::Read {
                    returned: arc(map.load(&key)),
                },
                35..45 => {
                    map.store(key, value);
                    RegisterOp::Write {
                        value: Some(value),
                        returned: None,
                    }
                }
                45..55 => RegisterOp::Write {
                    value: Some(value),
                    returned: Some(arc(map.swap(key, value))),
                },
                55..65 => RegisterOp::Write {
                    value: None,
                    returned: Some(arc(map.load_and_delete(&key))),
                },
                65..70 => {
                    map.delete(&key);
                    RegisterOp::Write {
                        value: None,
                        returned: None,
                    }
                }
                70..82 => {
                    let (now, loaded) = map.load_or_store(key, value);
                    RegisterOp::InsertIfAbsent {
                        value,
                        returned: loaded.then_some(*now),
                    }
                }
                82..92 => {
                    let expected = seen.get(&key).copied().unwrap_or(value ^ 1);
                    RegisterOp::CompareAndSet {
                        expected: Some(expected),
                        new: Some(value),
                        succeeded: map.compare_and_swap(&key, &expected, value),
                    }
                }
                _ => {
                    let expected = seen.get(&key).copied().unwrap_or(value ^ 1);
                    RegisterOp::CompareAndSet {
                        expected: Some(expected),
                        new: None,
                        succeeded: map.compare_and_delete(&key, &expected),
                    }
                }
            };
            remember(&mut seen, key, &op);
            op
        })
    }

    fn counters(&self) -> Counters {
        Counters {
            growths: 0,
            promotions: self.map.stats().promotions,
        }
    }
}

/// `SnapshotMap`: writers copy and publish, readers load a version.
struct SnapshotSubject {
    map: SnapshotMap<u64, u64>,
}

impl Subject for SnapshotSubject {
    fn run_thread(&self, thread: usize, plan: &Plan, clock: &Clock) -> Log {
        let map = &self.map;
        drive(thread, plan, clock, |draw| {
            let (key, value) = (draw.key, draw.value);
            match draw.die {
                0..40 => RegisterOp::Read {
                    returned: map.load().get(&key).copied(),
                },
                40..60 => RegisterOp::Read {
                    returned: map.get(&key),
                },
                60..85 => RegisterOp::Write {
                    value: Some(value),
                    returned: Some(map.update(|m| m.insert(key, value))),
                },
                _ => RegisterOp::Write {
                    value: None,
                    returned: Some(map.update(|m| m.remove(&key))),
                },
            }
        })
    }

    fn counters(&self) -> Counters {
        let stats = self.map.load().stats();
        Counters {
            growths: growths(&stats),
            promotions: 0,
        }
    }
}

/// `BatchWriter`, checked against its own contract: a buffered insert or remove takes effect at some moment
/// between the call that buffered it and the end of the flush that applied it; reads through the map are
/// ordinary calls. (Later writes to a key in one writer winning is tested in the library's own tests.)
struct Batch {
    map: ShardedMap<u64, u64>,
}

/// A buffered write whose die is a multiple of this flushes the writer: about one write in fifteen,
/// so a flush applies a handful of writes to different shards.
const BATCH_FLUSH_EVERY: u64 = 16;

impl Subject for Batch {
    fn run_thread(&self, thread: usize, plan: &Plan, clock: &Clock) -> Log {
        // Capacity above the calls of a history: only the explicit flushes below apply writes.
        let mut writer = self.map.batch_writer_with_capacity(plan.ops_per_thread + 1);
        let mut log: Log = Vec::with_capacity(plan.ops_per_thread);
        let mut buffered: Log = Vec::new();
        let flush = |writer: &mut glassmap::sync::BatchWriter<'_, u64, u64, RandomState>,
                     buffered: &mut Log,
                     log: &mut Log| {
            writer.flush();
            // Each write gets its own response ticket, all taken after the flush returned: the
            // interval still ends after the write was applied, and tickets stay unique per key.
            log.extend(buffered.drain(..).map(|event| Event {
                response: clock.tick(),
                ..event
            }));
        };
        for draw in draws(thread, plan) {
            let (key, value) = (draw.key, draw.value);
            if draw.die < 40 {
                log.push(clock.record(thread, key, || RegisterOp::Read {
                    returned: self.map.get(&key),
                }));
                continue;
            }
            let invoke = clock.tick();
            let op = if draw.die < 75 {
                writer.insert(key, value);
                RegisterOp::Write {
                    value: Some(value),
                    returned: None,
                }
            } else {
                writer.remove(key);
                RegisterOp::Write {
                    value: None,
                    returned: None,
                }
            };
            // The response ticket is the flush's; a placeholder until then.
            buffered.push(Event {
                thread,
                key,
                op,
                invoke,
                response: invoke,
            });
            if u64::from(draw.die) % BATCH_FLUSH_EVERY == 0 {
                flush(&mut writer, &mut buffered, &mut log);
            }
        }
        flush(&mut writer, &mut buffered, &mut log);
        log
    }

    fn counters(&self) -> Counters {
        Counters {
            growths: shard_growths(&self.map),
            promotions: 0,
        }
    }
}
