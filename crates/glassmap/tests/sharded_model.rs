//! Differential tests of every `ShardedMap` method against `std::collections::HashMap`,
//! single-threaded: random operation sequences over several shard counts and good and bad
//! hashers, checking every answer and the map's invariants (engine, shard placement, length
//! counters) after each step.

mod common;

use std::collections::HashMap;

use common::{KINDS, Kind, TestHasher};
use glassmap::sync::{Compute, ShardedMap};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Insert(u64, u64),
    Remove(u64),
    RemoveEntry(u64),
    ContainsKey(u64),
    Get(u64),
    Read(u64),
    Update(u64, u64),
    GetOrInsertWith(u64, u64),
    /// Upsert (add to a present value, insert if absent).
    ComputeUpsert(u64, u64),
    /// Compare-and-swap from `expected` to `new`.
    ComputeSwap(u64, u64, u64),
    /// Remove if the value is odd, else keep.
    ComputeRemoveOdd(u64),
    RemoveIf(u64, u64),
    Retain(u64),
    Clear,
    ForEach,
    Snapshot,
    ShrinkToFit,
    Stats,
    InsertBatch(Vec<(u64, u64)>),
    Extend(Vec<(u64, u64)>),
    Writer(Vec<(u64, Option<u64>)>, usize),
}

/// Keys from a small space (so removes and updates hit) or spread out as multiples of 2^20.
fn key() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..300, (0u64..300).prop_map(|k| k << 20)]
}

fn value() -> impl Strategy<Value = u64> {
    0u64..8
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        30 => (key(), any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        8 => key().prop_map(Op::Remove),
        3 => key().prop_map(Op::RemoveEntry),
        4 => key().prop_map(Op::ContainsKey),
        6 => key().prop_map(Op::Get),
        4 => key().prop_map(Op::Read),
        4 => (key(), any::<u64>()).prop_map(|(k, v)| Op::Update(k, v)),
        4 => (key(), any::<u64>()).prop_map(|(k, v)| Op::GetOrInsertWith(k, v)),
        4 => (key(), value()).prop_map(|(k, v)| Op::ComputeUpsert(k, v)),
        4 => (key(), value(), value()).prop_map(|(k, e, n)| Op::ComputeSwap(k, e, n)),
        3 => key().prop_map(Op::ComputeRemoveOdd),
        3 => (key(), value()).prop_map(|(k, v)| Op::RemoveIf(k, v)),
        1 => (2u64..9).prop_map(Op::Retain),
        1 => Just(Op::Clear),
        1 => Just(Op::ForEach),
        1 => Just(Op::Snapshot),
        1 => Just(Op::ShrinkToFit),
        1 => Just(Op::Stats),
        2 => prop::collection::vec((key(), any::<u64>()), 0..60).prop_map(Op::InsertBatch),
        1 => prop::collection::vec((key(), any::<u64>()), 0..20).prop_map(Op::Extend),
        2 => (prop::collection::vec((key(), prop::option::of(value())), 0..60), 1usize..20)
            .prop_map(|(w, c)| Op::Writer(w, c)),
    ]
}

fn sorted(map: &ShardedMap<u64, u64, TestHasher>) -> Vec<(u64, u64)> {
    let mut seen = Vec::new();
    map.for_each(|k, v| seen.push((*k, *v)));
    seen.sort_unstable();
    seen
}

fn sorted_model(model: &HashMap<u64, u64>) -> Vec<(u64, u64)> {
    let mut want: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
    want.sort_unstable();
    want
}

fn check(map: &ShardedMap<u64, u64, TestHasher>, model: &HashMap<u64, u64>) {
    map.assert_invariants();
    assert_eq!(map.len(), model.len());
    assert_eq!(map.is_empty(), model.is_empty());
}

fn run(kind: Kind, shards: usize, ops: &[Op]) {
    let mut map = ShardedMap::with_shards_capacity_and_hasher(shards, 0, TestHasher(kind));
    let mut model = HashMap::new();
    for op in ops {
        match *op {
            Op::Insert(k, v) => assert_eq!(map.insert(k, v), model.insert(k, v)),
            Op::Remove(k) => assert_eq!(map.remove(&k), model.remove(&k)),
            Op::RemoveEntry(k) => assert_eq!(map.remove_entry(&k), model.remove_entry(&k)),
            Op::ContainsKey(k) => assert_eq!(map.contains_key(&k), model.contains_key(&k)),
            Op::Get(k) => assert_eq!(map.get(&k), model.get(&k).copied()),
            Op::Read(k) => assert_eq!(
                map.read(&k, |v| v.wrapping_mul(3)),
                model.get(&k).map(|v| v.wrapping_mul(3))
            ),
            Op::Update(k, v) => {
                let got = map.update(&k, |x| std::mem::replace(x, v));
                let want = model.get_mut(&k).map(|x| std::mem::replace(x, v));
                assert_eq!(got, want);
            }
            Op::GetOrInsertWith(k, v) => {
                let mut calls = 0;
                let got = map.get_or_insert_with(k, || {
                    calls += 1;
                    v
                });
                let present = model.contains_key(&k);
                assert_eq!(got, *model.entry(k).or_insert(v));
                assert_eq!(
                    calls,
                    usize::from(!present),
                    "the closure runs only if absent"
                );
            }
            Op::ComputeUpsert(k, v) => {
                let got = map.compute(k, |x| match x {
                    Some(x) => {
                        *x = x.wrapping_add(v);
                        Compute::Keep(true)
                    }
                    None => Compute::Insert(v, false),
                });
                let present = model.contains_key(&k);
                model
                    .entry(k)
                    .and_modify(|x| *x = x.wrapping_add(v))
                    .or_insert(v);
                assert_eq!(got, present);
            }
            Op::ComputeSwap(k, expected, new) => {
                let got = map.compute(k, |x| match x {
                    Some(x) if *x == expected => Compute::Insert(new, true),
                    _ => Compute::Keep(false),
                });
                let want = model.get(&k) == Some(&expected);
                if want {
                    model.insert(k, new);
                }
                assert_eq!(got, want);
            }
            Op::ComputeRemoveOdd(k) => {
                let got = map.compute(k, |x| match x {
                    Some(x) if *x % 2 == 1 => Compute::Remove(Some(*x)),
                    _ => Compute::Keep(None),
                });
                let want = match model.get(&k) {
                    Some(&x) if x % 2 == 1 => model.remove(&k),
                    _ => None,
                };
                assert_eq!(got, want);
            }
            Op::RemoveIf(k, v) => {
                let got = map.remove_if(&k, |x| *x % 8 == v);
                let want = match model.get(&k) {
                    Some(x) if x % 8 == v => model.remove(&k),
                    _ => None,
                };
                assert_eq!(got, want);
            }
            Op::Retain(m) => {
                map.retain(|k, v| {
                    *v = v.wrapping_add(1);
                    k % m != 0
                });
                model.retain(|k, v| {
                    *v = v.wrapping_add(1);
                    k % m != 0
                });
            }
            Op::Clear => {
                map.clear();
                model.clear();
            }
            Op::ForEach => assert_eq!(sorted(&map), sorted_model(&model), "each entry once"),
            Op::Snapshot => {
                let copy = map.snapshot();
                copy.assert_invariants();
                let mut got: Vec<_> = copy.iter().map(|(k, v)| (*k, *v)).collect();
                got.sort_unstable();
                assert_eq!(got, sorted_model(&model));
            }
            Op::ShrinkToFit => map.shrink_to_fit(),
            Op::Stats => {
                let stats = map.stats();
                assert_eq!(stats.shards.len(), shards);
                assert_eq!(stats.len, model.len());
                assert!(stats.imbalance >= 1.0 - 1e-9 && stats.imbalance <= shards as f64);
                let growing = stats.shards.iter().filter(|s| s.growth.is_some()).count();
                assert_eq!(stats.growing, growing);
            }
            Op::InsertBatch(ref items) => {
                map.insert_batch(items.iter().copied());
                model.extend(items.iter().copied());
            }
            Op::Extend(ref items) => {
                map.extend(items.iter().copied());
                model.extend(items.iter().copied());
            }
            Op::Writer(ref writes, capacity) => {
                let mut writer = map.batch_writer_with_capacity(capacity);
                for (i, &(k, v)) in writes.iter().enumerate() {
                    match v {
                        Some(v) => writer.insert(k, v),
                        None => writer.remove(k),
                    }
                    // Unflushed writes are invisible: the map holds exactly the flushed prefix.
                    assert_eq!(writer.pending(), (i % capacity) + 1);
                }
                drop(writer);
                for &(k, v) in writes {
                    match v {
                        Some(v) => model.insert(k, v),
                        None => model.remove(&k),
                    };
                }
            }
        }
        check(&map, &model);
    }
    assert_eq!(sorted(&map), sorted_model(&model));
    let merged = map.into_map();
    merged.assert_invariants();
    assert_eq!(merged.len(), model.len());
    for (k, v) in &model {
        assert_eq!(merged.get(k), Some(v));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 2 } else { 64 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn agrees_with_std(
        kind in prop::sample::select(KINDS.to_vec()),
        shards in prop::sample::select(vec![1usize, 2, 4, 16]),
        ops in prop::collection::vec(op(), 1..if cfg!(miri) { 30 } else { 500 }),
    ) {
        run(kind, shards, &ops);
    }
}
