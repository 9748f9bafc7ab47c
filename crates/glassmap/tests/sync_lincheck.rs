//! Linearizability of `SyncMap` and `SnapshotMap`: concurrent histories recorded with
//! `glassmap-lincheck`'s ticket clock and checked key by key against a register. The `SyncMap`
//! runs are long enough to go through many promotions and dirty-map rebuilds (asserted via
//! `stats`), so the fast paths, the locked paths and the expunged state all race.

use std::sync::Barrier;
use std::thread;

use glassmap::sync::{SnapshotMap, SyncMap};
use glassmap::{Map, RandomState};
use glassmap_lincheck::{Clock, Event, Register, RegisterOp, check};

/// Operations per thread and rounds; small under Miri.
const OPS: u64 = if cfg!(miri) { 60 } else { 10_000 };
const ROUNDS: u64 = if cfg!(miri) { 1 } else { 6 };

/// A small xorshift generator per thread (reproducible from the seed).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

type History = Vec<Event<u64, RegisterOp<u64>>>;

/// Operations after which the window of keys moves on by one key.
const WINDOW_STEP: u64 = 200;

/// One thread's run on a `SyncMap`: a random mix of every register-shaped operation on a small
/// window of keys that slowly moves (so new keys keep arriving and deleted ones get expunged and
/// dropped: the promotion cycle keeps turning), values unique in the whole run, compare-and-swaps
/// expecting the value this thread saw last. Thread 0 also clears the map now and then; a clear
/// is recorded as a `CLEAR` event and later expanded into a delete of every key of the history
/// within the call's interval (see [`expand_clears`]).
fn sync_map_worker(map: &SyncMap<u64, u64>, clock: &Clock, thread: usize, keys: u64) -> History {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((thread as u64 + 1) * 0x1234_5678));
    let mut seen = std::collections::HashMap::new();
    let mut events = Vec::with_capacity(OPS as usize);
    for i in 0..OPS {
        let r = rng.next();
        let base = i / WINDOW_STEP;
        if thread == 0 && r.is_multiple_of(1000) {
            let invoke = clock.tick();
            map.clear();
            let response = clock.tick();
            events.push(Event {
                thread,
                key: CLEAR,
                op: RegisterOp::Write {
                    value: None,
                    returned: None,
                },
                invoke,
                response,
            });
            continue;
        }
        let key = base + r % keys;
        let value = (thread as u64 + 1) << 40 | i;
        let last = seen.get(&key).copied().unwrap_or(0);
        let event = clock.record(thread, key, || match (r >> 16) % 10 {
            0..=2 => RegisterOp::Read {
                returned: map.load(&key).map(|v| *v),
            },
            3 => RegisterOp::Write {
                value: Some(value),
                returned: Some(map.swap(key, value).map(|v| *v)),
            },
            4 => {
                map.store(key, value);
                RegisterOp::Write {
                    value: Some(value),
                    returned: None,
                }
            }
            5 => RegisterOp::Write {
                value: None,
                returned: Some(map.load_and_delete(&key).map(|v| *v)),
            },
            6 => {
                let (v, loaded) = map.load_or_store(key, value);
                RegisterOp::InsertIfAbsent {
                    value,
                    returned: loaded.then_some(*v),
                }
            }
            7 => {
                let (v, loaded) = map.load_or_store_with(key, || value);
                RegisterOp::InsertIfAbsent {
                    value,
                    returned: loaded.then_some(*v),
                }
            }
            8 => RegisterOp::CompareAndSet {
                expected: Some(last),
                new: Some(value),
                succeeded: map.compare_and_swap(&key, &last, value),
            },
            _ => RegisterOp::CompareAndSet {
                expected: Some(last),
                new: None,
                succeeded: map.compare_and_delete(&key, &last),
            },
        });
        if let Some(v) = observed(&event.op) {
            seen.insert(key, v);
        }
        events.push(event);
    }
    events
}

/// The key of a recorded `clear`, before [`expand_clears`].
const CLEAR: u64 = u64::MAX;

/// Replaces each `CLEAR` event by a delete of every key of the history, in the same interval:
/// per key, `clear` must behave as a delete that took effect during the call (it is not atomic
/// across keys, and does not claim to be).
fn expand_clears(events: History) -> History {
    let (clears, mut events): (History, History) = events.into_iter().partition(|e| e.key == CLEAR);
    let keys: std::collections::BTreeSet<u64> = events.iter().map(|e| e.key).collect();
    for clear in &clears {
        for &key in &keys {
            events.push(Event {
                key,
                ..clear.clone()
            });
        }
    }
    events
}

/// A value the operation saw or wrote, to aim the next compare-and-swap at.
fn observed(op: &RegisterOp<u64>) -> Option<u64> {
    match op {
        RegisterOp::Read { returned } => *returned,
        RegisterOp::Write { value, returned } => value.or(returned.flatten()),
        RegisterOp::InsertIfAbsent { value, returned } => Some(returned.unwrap_or(*value)),
        RegisterOp::CompareAndSet { new, .. } => *new,
        RegisterOp::UpdateIfPresent { new, .. } => Some(*new),
    }
}

#[test]
fn sync_map_histories_are_linearizable_across_promotions() {
    let mut promotions = 0;
    let mut dirty_builds = 0;
    for round in 0..ROUNDS {
        let threads = 2 + (round % 3) as usize; // 2, 3, 4 threads
        let keys = 3 + round % 4;
        let map = SyncMap::with_hasher(RandomState::with_seed(round));
        let clock = Clock::new();
        let start = Barrier::new(threads);
        let events: History = thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (map, clock, start) = (&map, &clock, &start);
                    scope.spawn(move || {
                        start.wait();
                        sync_map_worker(map, clock, t, keys)
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let clears = events.iter().filter(|e| e.key == CLEAR).count();
        let events = expand_clears(events);
        match check(&Register::new(), &events) {
            Ok(summary) => assert!(summary.operations >= threads * OPS as usize - clears),
            Err(violation) => panic!("round {round}: {violation}"),
        }
        let stats = map.stats();
        promotions += stats.promotions;
        dirty_builds += stats.dirty_builds;
    }
    eprintln!("{promotions} promotions, {dirty_builds} dirty builds");
    let least = if cfg!(miri) { 1 } else { 50 };
    assert!(
        promotions >= least && dirty_builds >= least,
        "the runs must exercise promotion: {promotions} promotions, {dirty_builds} dirty builds"
    );
}

#[test]
fn snapshot_map_histories_are_linearizable() {
    for round in 0..ROUNDS {
        let threads = 2 + (round % 3) as usize;
        let map: SnapshotMap<u64, u64> = SnapshotMap::new(Map::with_hasher(RandomState::new()));
        let clock = Clock::new();
        let events: History = thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (map, clock) = (&map, &clock);
                    scope.spawn(move || {
                        let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ ((t as u64 + 1) * 0x9876_5431));
                        (0..OPS / 3)
                            .map(|i| {
                                let r = rng.next();
                                let key = r % 4;
                                let value = (t as u64 + 1) << 40 | i;
                                clock.record(t, key, || match (r >> 16) % 4 {
                                    0 => RegisterOp::Write {
                                        value: Some(value),
                                        returned: Some(map.update(|m| m.insert(key, value))),
                                    },
                                    1 => RegisterOp::Write {
                                        value: None,
                                        returned: Some(map.update(|m| m.remove(&key))),
                                    },
                                    2 => RegisterOp::Read {
                                        returned: map.load().get(&key).copied(),
                                    },
                                    _ => RegisterOp::Read {
                                        returned: map.get(&key),
                                    },
                                })
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        if let Err(violation) = check(&Register::new(), &events) {
            panic!("round {round}: {violation}");
        }
    }
}
