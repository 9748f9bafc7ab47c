//! The checker must reject the classic non-linearizable histories and accept linearizable ones
//! with overlapping operations. Histories are written by hand on one key with explicit tickets.

use std::collections::HashMap;
use std::sync::Mutex;

use glassmap_lincheck::{Clock, Event, Register, RegisterOp, check};

type Op = RegisterOp<u32>;

fn event(thread: usize, invoke: u64, response: u64, op: Op) -> Event<u8, Op> {
    Event {
        thread,
        key: 0,
        op,
        invoke,
        response,
    }
}

fn write(value: u32) -> Op {
    RegisterOp::Write {
        value: Some(value),
        returned: None,
    }
}

fn write_seeing(value: u32, previous: Option<u32>) -> Op {
    RegisterOp::Write {
        value: Some(value),
        returned: Some(previous),
    }
}

fn read(returned: Option<u32>) -> Op {
    RegisterOp::Read { returned }
}

fn insert_if_absent(value: u32, returned: Option<u32>) -> Op {
    RegisterOp::InsertIfAbsent { value, returned }
}

fn cas(expected: Option<u32>, new: Option<u32>, succeeded: bool) -> Op {
    RegisterOp::CompareAndSet {
        expected,
        new,
        succeeded,
    }
}

fn update_if_present(new: u32, returned: Option<u32>) -> Op {
    RegisterOp::UpdateIfPresent { new, returned }
}

fn verdict(history: &[Event<u8, Op>]) -> bool {
    check(&Register::new(), history).is_ok()
}

#[test]
fn sequential_history_is_accepted() {
    let history = [
        event(0, 0, 1, read(None)),
        event(0, 2, 3, write_seeing(1, None)),
        event(1, 4, 5, read(Some(1))),
        event(
            1,
            6,
            7,
            RegisterOp::Write {
                value: None,
                returned: Some(Some(1)),
            },
        ),
        event(0, 8, 9, read(None)),
    ];
    assert!(verdict(&history));
}

#[test]
fn stale_read_after_a_completed_write_is_rejected() {
    let history = [
        event(0, 0, 1, write(1)),
        event(0, 2, 3, write(2)),
        event(1, 4, 5, read(Some(1))),
    ];
    let violation = check(&Register::new(), &history).unwrap_err();
    assert_eq!(violation.failed_at, 2);
    assert_eq!(violation.failing_keys, 1);
}

#[test]
fn lost_update_is_rejected() {
    // Both overlapping writers claim to have replaced 1: one of them must have seen the other.
    let history = [
        event(0, 0, 1, write(1)),
        event(0, 2, 5, write_seeing(2, Some(1))),
        event(1, 3, 6, write_seeing(3, Some(1))),
    ];
    assert!(!verdict(&history));
    // The same with one of them seeing the other is fine.
    let history = [
        event(0, 0, 1, write(1)),
        event(0, 2, 5, write_seeing(2, Some(1))),
        event(1, 3, 6, write_seeing(3, Some(2))),
    ];
    assert!(verdict(&history));
}

#[test]
fn value_read_before_its_write_was_invoked_is_rejected() {
    let history = [event(0, 0, 1, read(Some(7))), event(1, 2, 3, write(7))];
    assert!(!verdict(&history));
    // Overlapping the write, the same read is fine.
    let history = [event(0, 0, 3, read(Some(7))), event(1, 1, 2, write(7))];
    assert!(verdict(&history));
}

#[test]
fn new_then_old_inversion_is_rejected() {
    // A write overlapping two reads: once a read has seen the new value, a later read cannot see
    // the old one (a "ghost read" after the growth of a Go map looks like this).
    let history = [
        event(0, 0, 10, write(1)),
        event(1, 1, 2, read(Some(1))),
        event(1, 3, 4, read(None)),
    ];
    assert!(!verdict(&history));
    let history = [
        event(0, 0, 10, write(1)),
        event(1, 1, 2, read(None)),
        event(1, 3, 4, read(Some(1))),
    ];
    assert!(verdict(&history));
}

#[test]
fn overlapping_writes_may_take_effect_in_either_order() {
    let accepted = [
        event(0, 0, 10, write(1)),
        event(1, 1, 11, write(2)),
        event(2, 2, 3, read(Some(2))),
        event(2, 4, 5, read(Some(1))),
    ];
    assert!(verdict(&accepted));
    let mut rejected = accepted.to_vec();
    rejected.push(event(2, 6, 7, read(Some(2))));
    assert!(!verdict(&rejected));
}

#[test]
fn insert_if_absent_stores_once() {
    let both_stored = [
        event(0, 0, 3, insert_if_absent(1, None)),
        event(1, 1, 4, insert_if_absent(2, None)),
    ];
    assert!(!verdict(&both_stored));
    let one_loaded = [
        event(0, 0, 3, insert_if_absent(1, None)),
        event(1, 1, 4, insert_if_absent(2, Some(1))),
    ];
    assert!(verdict(&one_loaded));
}

#[test]
fn compare_and_set_and_update_if_present() {
    let history = [
        event(0, 0, 1, write(1)),
        event(0, 2, 5, cas(Some(1), Some(2), true)),
        event(1, 3, 6, cas(Some(1), Some(3), false)),
        event(1, 7, 8, update_if_present(4, Some(2))),
        event(0, 9, 10, cas(Some(4), None, true)),
        event(0, 11, 12, update_if_present(5, None)),
        event(1, 13, 14, read(None)),
    ];
    assert!(verdict(&history));
    // Both compare-and-sets from 1 succeeding is a lost update.
    let history = [
        event(0, 0, 1, write(1)),
        event(0, 2, 5, cas(Some(1), Some(2), true)),
        event(1, 3, 6, cas(Some(1), Some(3), true)),
    ];
    assert!(!verdict(&history));
    // Updating an absent key changes nothing.
    let history = [
        event(0, 0, 1, update_if_present(5, None)),
        event(0, 2, 3, read(Some(5))),
    ];
    assert!(!verdict(&history));
}

#[test]
fn keys_are_checked_separately_and_the_smallest_failure_is_reported() {
    let mut history: Vec<Event<u8, Op>> = Vec::new();
    let mut push = |key: u8, thread, invoke, response, op| {
        history.push(Event {
            thread,
            key,
            op,
            invoke,
            response,
        })
    };
    // Key 1: fine. Key 2: a stale read among four operations. Key 3: a stale read among three.
    push(1, 0, 0, 1, write(10));
    push(1, 0, 2, 3, read(Some(10)));
    push(2, 1, 4, 5, write(20));
    push(2, 1, 6, 7, write(21));
    push(2, 1, 8, 9, write(22));
    push(2, 0, 10, 11, read(Some(21)));
    push(3, 0, 12, 13, write(30));
    push(3, 0, 14, 15, write(31));
    push(3, 1, 16, 17, read(Some(30)));
    let violation = check(&Register::new(), &history).unwrap_err();
    assert_eq!(violation.key, 3);
    assert_eq!(violation.failing_keys, 2);
    let report = violation.to_string();
    assert!(report.contains("key 3, 3 calls"), "{report}");
    assert!(
        report.contains("<- no order explains this result"),
        "{report}"
    );
    assert_eq!(report.lines().count(), 2 + 3, "{report}");
}

#[test]
fn the_report_stops_at_the_failing_call() {
    let history = [
        event(0, 0, 1, write(1)),
        event(0, 2, 3, write(2)),
        event(1, 4, 7, read(Some(1))),
        event(0, 5, 6, write(3)),
        event(0, 8, 9, write(4)),
    ];
    let violation = check(&Register::new(), &history).unwrap_err();
    assert_eq!(
        violation.relevant().len(),
        4,
        "the write invoked before the read returned stays"
    );
    let report = violation.to_string();
    assert!(
        report.ends_with("(1 later calls on this key not shown)\n"),
        "{report}"
    );
}

#[test]
#[should_panic(expected = "share a ticket")]
fn events_from_different_clocks_are_refused() {
    let history = [event(0, 0, 1, write(1)), event(1, 1, 2, write(2))];
    let _ = verdict(&history);
}

/// Records `threads` threads each doing `rounds` rounds of a write of a unique value then a read, of the key
/// `key(thread, round)`, through `write` and `read`.
fn record_run(
    threads: u64,
    rounds: u64,
    key: &(dyn Fn(u64, u64) -> u64 + Sync),
    write: &(dyn Fn(u64, u64) -> Option<u64> + Sync),
    read: &(dyn Fn(u64) -> Option<u64> + Sync),
) -> Vec<Event<u64, RegisterOp<u64>>> {
    let clock = Clock::new();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                let clock = &clock;
                scope.spawn(move || {
                    let mut events = Vec::new();
                    for i in 0..rounds {
                        let key = key(thread, i);
                        let value = thread << 32 | i;
                        events.push(clock.record(thread as usize, key, || RegisterOp::Write {
                            value: Some(value),
                            returned: Some(write(key, value)),
                        }));
                        events.push(clock.record(thread as usize, key, || RegisterOp::Read {
                            returned: read(key),
                        }));
                    }
                    events
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

#[test]
fn a_locked_map_is_linearizable_and_a_stale_copy_is_not() {
    let map = Mutex::new(HashMap::new());
    let events = record_run(
        2,
        300,
        &|thread, i| (i * 7 + thread) % 5,
        &|k, v| map.lock().unwrap().insert(k, v),
        &|k| map.lock().unwrap().get(&k).copied(),
    );
    let summary = check(&Register::new(), &events).unwrap();
    assert_eq!((summary.keys, summary.operations), (5, 1200));

    // Reads served from a copy refreshed every 16 writes: a thread soon reads its own write back
    // as something older.
    let stale = Mutex::new((HashMap::new(), HashMap::new(), 0u32));
    let events = record_run(
        2,
        300,
        &|thread, i| (i * 7 + thread) % 5,
        &|k, v| {
            let mut guard = stale.lock().unwrap();
            let (live, copy, writes) = &mut *guard;
            let previous = live.insert(k, v);
            *writes += 1;
            if *writes % 16 == 0 {
                *copy = live.clone();
            }
            previous
        },
        &|k| stale.lock().unwrap().1.get(&k).copied(),
    );
    assert!(check(&Register::new(), &events).is_err());
}

/// Scale check (run on purpose: `cargo test --release -p glassmap-lincheck -- --ignored`): four
/// threads, a million operations on 64 keys.
#[test]
#[ignore]
fn checks_a_million_operations() {
    let map = Mutex::new(HashMap::new());
    let events = record_run(
        4,
        125_000,
        &|_, i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58,
        &|k, v| map.lock().unwrap().insert(k, v),
        &|k| map.lock().unwrap().get(&k).copied(),
    );
    let started = std::time::Instant::now();
    let summary = check(&Register::new(), &events).unwrap();
    eprintln!("{summary:?} checked in {:?}", started.elapsed());
    assert_eq!(summary.operations, 1_000_000);
}
