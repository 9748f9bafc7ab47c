//! `ShardedMap` behaviour beyond the differential model: bad construction input, re-entrant calls
//! from closures (a panic, never a hang), panic safety of closures and of `Hash`/`Eq`, and the
//! standard traits.

use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use glassmap::RandomState;
use glassmap::sync::{Compute, ShardedMap, ShardedMapError};

fn build(shards: usize, capacity: usize) -> Result<ShardedMap<u64, u64>, ShardedMapError> {
    ShardedMap::try_with_shards_capacity_and_hasher(shards, capacity, RandomState::with_seed(1))
}

#[test]
fn bad_shard_counts_and_capacities_are_typed_errors() {
    assert_eq!(build(0, 0).unwrap_err(), ShardedMapError::ZeroShards);
    assert_eq!(
        build(12, 0).unwrap_err(),
        ShardedMapError::NotPowerOfTwo { shards: 12 }
    );
    let too_many = ShardedMap::<u64, u64>::MAX_SHARDS * 2;
    assert_eq!(
        build(too_many, 0).unwrap_err(),
        ShardedMapError::TooManyShards { shards: too_many }
    );
    assert!(matches!(
        build(4, usize::MAX),
        Err(ShardedMapError::Capacity(_))
    ));
    assert!(build(1, 0).is_ok());
    if !cfg!(miri) {
        assert!(build(ShardedMap::<u64, u64>::MAX_SHARDS, 0).is_ok());
    }
    let map = build(8, 1000).unwrap();
    assert_eq!(map.shards(), 8);
    assert!(
        map.stats().shards.iter().all(|s| s.log2_buckets > 0),
        "presized"
    );
    assert!(
        build(12, 0)
            .unwrap_err()
            .to_string()
            .contains("power of two")
    );
}

#[test]
#[should_panic(expected = "the shard count must be a power of two, not 3")]
fn with_shards_panics_on_a_bad_count() {
    let _ = ShardedMap::<u64, u64>::with_shards(3);
}

#[test]
#[should_panic(expected = "a ShardedMap needs at least one shard")]
fn with_shards_panics_on_zero() {
    let _ = ShardedMap::<u64, u64>::with_shards(0);
}

#[test]
#[should_panic(expected = "capacity overflow")]
fn with_capacity_panics_on_overflow() {
    let _ = ShardedMap::<u64, u64>::with_capacity(usize::MAX);
}

#[test]
fn default_shards_is_a_power_of_two_of_at_least_four_per_thread() {
    let shards = ShardedMap::<u64, u64>::default_shards();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    assert!(shards.is_power_of_two());
    assert!(shards >= 4 * threads && shards >= 4);
    assert_eq!(ShardedMap::<u64, u64>::new().shards(), shards);
}

/// Runs `f` on another thread and returns its panic message; fails the test if it has not
/// finished within 20 s (600 s under Miri; a deadlock would hang here instead of panicking).
fn panic_message_within_deadline(f: impl FnOnce() + Send + 'static) -> String {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = catch_unwind(AssertUnwindSafe(f));
        let message = match outcome {
            Ok(()) => String::from("<no panic>"),
            Err(payload) => payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        };
        done.send(message).unwrap();
    });
    result
        .recv_timeout(Duration::from_secs(if cfg!(miri) { 600 } else { 20 }))
        .expect("the re-entrant call hung instead of panicking")
}

type Shared = std::sync::Arc<ShardedMap<u64, u64>>;

/// Every closure-taking method, each calling back into the map, panics naming both methods, and
/// the map works afterwards.
#[test]
fn reentrant_calls_from_closures_panic_instead_of_deadlocking() {
    type Outer = fn(&Shared, &dyn Fn());
    let outers: [(&str, Outer); 7] = [
        ("read", |m, inner| {
            m.read(&1, |_| inner());
        }),
        ("update", |m, inner| {
            m.update(&1, |_| inner());
        }),
        ("get_or_insert_with", |m, inner| {
            m.get_or_insert_with(99, || {
                inner();
                0
            });
        }),
        ("compute", |m, inner| {
            m.compute(1, |_| {
                inner();
                Compute::Keep(())
            });
        }),
        ("remove_if", |m, inner| {
            m.remove_if(&1, |_| {
                inner();
                false
            });
        }),
        ("retain", |m, inner| {
            m.retain(|_, _| {
                inner();
                true
            })
        }),
        ("for_each", |m, inner| m.for_each(|_, _| inner())),
    ];
    type Inner = fn(&Shared);
    let inners: [(&str, Inner); 5] = [
        ("get", |m| {
            m.get(&2);
        }),
        ("insert", |m| {
            m.insert(2, 2);
        }),
        ("read", |m| {
            m.read(&1, |_| ());
        }),
        ("clear", |m| m.clear()),
        ("insert_batch", |m| m.insert_batch([(5, 5)])),
    ];
    for (i, (outer_name, outer)) in outers.into_iter().enumerate() {
        // Under Miri (slow panics), one inner call per outer method, rotating.
        for (j, &(inner_name, inner)) in inners.iter().enumerate() {
            if cfg!(miri) && j != i % inners.len() {
                continue;
            }
            let map: Shared = std::sync::Arc::new((0..4).map(|i| (i, i)).collect());
            let for_thread = map.clone();
            let message = panic_message_within_deadline(move || {
                let map = &for_thread;
                outer(map, &|| inner(map));
            });
            assert!(
                message.contains(&format!("ShardedMap::{inner_name} was called from inside"))
                    && message.contains(&format!(
                        "passed to ShardedMap::{outer_name} on the same map"
                    )),
                "{outer_name} -> {inner_name}: {message}"
            );
            // Usable afterwards: locks released (or recovered), invariants hold.
            map.assert_invariants();
            map.insert(7, 7);
            assert_eq!(map.get(&7), Some(7));
            map.for_each(|_, _| {});
        }
    }
}

#[test]
fn closures_may_use_other_maps_and_nest_over_them() {
    let a: ShardedMap<u64, u64> = (0..10).map(|i| (i, i)).collect();
    let b: ShardedMap<u64, u64> = ShardedMap::new();
    a.for_each(|k, v| {
        b.insert(*k, *v * 2);
        b.update(k, |x| *x += a_len_hint());
    });
    assert_eq!(b.len(), 10);
    assert_eq!(b.get(&3), Some(7));
    // After the nested scopes end, the same thread can use `a` freely again.
    a.insert(100, 100);
    assert_eq!(a.len(), 11);

    fn a_len_hint() -> u64 {
        1
    }
}

#[test]
fn panicking_closures_leave_the_map_usable() {
    let map: Shared = std::sync::Arc::new((0..200).map(|i| (i, i)).collect());
    let attempts: [&dyn Fn(&Shared); 6] = [
        &|m| {
            m.update(&4, |v| {
                *v = 1000;
                panic!("update")
            });
        },
        &|m| {
            m.compute(2, |_| -> Compute<u64, ()> { panic!("compute") });
        },
        &|m| {
            m.get_or_insert_with(500, || panic!("get_or_insert_with"));
        },
        &|m| {
            m.retain(|k, _| {
                if *k == 150 {
                    panic!("retain")
                } else {
                    k % 2 == 0
                }
            })
        },
        &|m| m.for_each(|_, _| panic!("for_each")),
        &|m| {
            m.read(&0, |_| panic!("read"));
        },
    ];
    for attempt in attempts {
        assert!(catch_unwind(AssertUnwindSafe(|| attempt(&map))).is_err());
        // Write-lock every shard first (a read could clear a poisoned flag and hide it).
        for k in 0..200 {
            map.update(&k, |_| ());
        }
        map.assert_invariants();
        map.insert(10_000, 1);
        assert_eq!(map.remove(&10_000), Some(1));
    }
    assert_eq!(
        map.get(&4),
        Some(1000),
        "a change made before the panic stays"
    );
    assert_eq!(
        map.get(&500),
        None,
        "a panicking get_or_insert_with inserts nothing"
    );
    assert_eq!(map.get(&2), Some(2));
    let len = map.len();
    let mut counted = 0;
    map.for_each(|_, _| counted += 1);
    assert_eq!(len, counted, "the length counters survived the panics");
}

thread_local! {
    /// When non-zero, counts down on each `Hash`/`Eq` call of `Touchy` and panics at zero.
    static FUSE: Cell<u32> = const { Cell::new(0) };
}

fn burn() {
    let left = FUSE.get();
    if left == 1 {
        FUSE.set(0);
        panic!("Touchy: planted panic");
    }
    FUSE.set(left.saturating_sub(1));
}

/// A key whose `Hash` and `Eq` panic when the fuse runs out.
#[derive(Clone, Debug)]
struct Touchy(u64);

impl Hash for Touchy {
    fn hash<H: Hasher>(&self, state: &mut H) {
        burn();
        self.0.hash(state);
    }
}

impl PartialEq for Touchy {
    fn eq(&self, other: &Self) -> bool {
        burn();
        self.0 == other.0
    }
}

impl Eq for Touchy {}

/// Panics in `Hash`/`Eq` at every point of inserts that make shards grow (including during
/// evacuation, which rehashes keys): the map stays consistent and usable.
#[test]
fn panicking_hash_and_eq_leave_the_map_usable() {
    let n: u64 = if cfg!(miri) { 40 } else { 600 };
    let map: ShardedMap<Touchy, u64> =
        ShardedMap::with_shards_capacity_and_hasher(2, 0, RandomState::with_seed(3));
    let mut present = std::collections::HashSet::new();
    for i in 0..n {
        FUSE.set(1 + (i as u32 % 7));
        let key = Touchy(i % (n / 2));
        let result = catch_unwind(AssertUnwindSafe(|| {
            if i % 3 == 2 {
                map.remove(&key);
                false
            } else {
                map.insert(key.clone(), i);
                true
            }
        }));
        FUSE.set(0);
        match result {
            Ok(true) => {
                present.insert(key.0);
            }
            Ok(false) => {
                present.remove(&key.0);
            }
            Err(_) => {
                // The operation may or may not have taken effect; ask the map (with a write
                // lock: a read could clear a poisoned flag and hide it).
                if map.update(&key, |_| ()).is_some() {
                    present.insert(key.0);
                } else {
                    present.remove(&key.0);
                }
            }
        }
        map.assert_invariants();
        assert_eq!(map.len(), present.len());
    }
    // With the fuse out, every shard accepts writes again (no lock stays poisoned).
    for k in 0..n / 2 {
        map.insert(Touchy(k), k);
    }
    assert_eq!(map.len() as u64, n / 2);
}

#[test]
fn debug_default_from_iterator_and_extend() {
    let mut map: ShardedMap<u32, &str> = ShardedMap::default();
    assert_eq!(format!("{map:?}"), "{}");
    map.extend([(1, "one")]);
    assert_eq!(format!("{map:?}"), r#"{1: "one"}"#);
    let collected: ShardedMap<u32, u32> = (0..100).map(|i| (i % 10, i)).collect();
    assert_eq!(collected.len(), 10);
    assert_eq!(collected.get(&9), Some(99), "later pairs win");
}

#[test]
fn shards_are_balanced_with_a_good_hasher() {
    let map: ShardedMap<u64, u64> =
        ShardedMap::with_shards_capacity_and_hasher(16, 0, RandomState::with_seed(9));
    map.insert_batch((0..if cfg!(miri) { 400 } else { 100_000 }).map(|i| (i, i)));
    let stats = map.stats();
    assert!(
        stats.imbalance < if cfg!(miri) { 2.5 } else { 1.1 },
        "{}",
        stats.imbalance
    );
    assert!(stats.shards.iter().all(|s| s.len > 0));
}

#[cfg(feature = "serde")]
#[test]
fn serde_round_trip() {
    let map: ShardedMap<u32, String> = (0..20).map(|i| (i, i.to_string())).collect();
    let json = serde_json::to_string(&map).unwrap();
    let back: ShardedMap<u32, String> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.len(), 20);
    assert_eq!(back.get(&13).as_deref(), Some("13"));
    let as_map: glassmap::Map<u32, String> = serde_json::from_str(&json).unwrap();
    assert_eq!(as_map, map.snapshot());
}
