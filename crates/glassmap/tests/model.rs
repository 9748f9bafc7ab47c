//! Differential tests against `std::collections::HashMap`: random operation sequences through many
//! doublings and same-size growths, with good and deliberately bad hashers, checking the map's
//! answers and engine invariants after every step.

mod common;

use std::collections::HashMap;

use common::{KINDS, Kind, TestHasher};
use glassmap::Map;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Insert(u64, u64),
    Remove(u64),
    Get(u64),
    EntryAdd(u64, u64),
    EntryRemove(u64),
    Retain(u64),
    ExtractIf(u64),
    EvacuateStep(usize),
    FinishGrowth,
    Reserve(usize),
    ShrinkToFit,
    Clear,
    DrainSome(usize),
    Iterate,
    IterMut,
    CloneCompare,
    GetBatch(Vec<u64>),
    InsertBatch(Vec<(u64, u64)>),
}

/// Keys from a small space (so removes and updates hit) or spread out as multiples of 2^20.
fn key() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..400, (0u64..400).prop_map(|k| k << 20)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        30 => (key(), any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        10 => key().prop_map(Op::Remove),
        10 => key().prop_map(Op::Get),
        6 => (key(), any::<u64>()).prop_map(|(k, v)| Op::EntryAdd(k, v)),
        4 => key().prop_map(Op::EntryRemove),
        1 => (2u64..9).prop_map(Op::Retain),
        1 => (2u64..9).prop_map(Op::ExtractIf),
        2 => (0usize..4).prop_map(Op::EvacuateStep),
        1 => Just(Op::FinishGrowth),
        1 => (0usize..300).prop_map(Op::Reserve),
        1 => Just(Op::ShrinkToFit),
        1 => Just(Op::Clear),
        1 => (0usize..20).prop_map(Op::DrainSome),
        1 => Just(Op::Iterate),
        1 => Just(Op::IterMut),
        1 => Just(Op::CloneCompare),
        2 => prop::collection::vec(key(), 0..40).prop_map(Op::GetBatch),
        2 => prop::collection::vec((key(), any::<u64>()), 0..60).prop_map(Op::InsertBatch),
    ]
}

fn check(map: &Map<u64, u64, TestHasher>, model: &HashMap<u64, u64>) {
    map.assert_invariants();
    assert_eq!(map.len(), model.len());
    for (k, v) in model {
        assert_eq!(map.get(k), Some(v), "key {k}");
    }
}

fn run(kind: Kind, ops: &[Op]) {
    let mut map = Map::with_hasher(TestHasher(kind));
    let mut model = HashMap::new();
    for op in ops {
        match *op {
            Op::Insert(k, v) => assert_eq!(map.insert(k, v), model.insert(k, v)),
            Op::Remove(k) => assert_eq!(map.remove(&k), model.remove(&k)),
            Op::Get(k) => assert_eq!(map.get(&k), model.get(&k)),
            Op::EntryAdd(k, v) => {
                let got = *map
                    .entry(k)
                    .and_modify(|x| *x = x.wrapping_add(v))
                    .or_insert(v);
                let want = *model
                    .entry(k)
                    .and_modify(|x| *x = x.wrapping_add(v))
                    .or_insert(v);
                assert_eq!(got, want);
            }
            Op::EntryRemove(k) => {
                let got = match map.entry(k) {
                    glassmap::map::Entry::Occupied(e) => Some(e.remove_entry()),
                    glassmap::map::Entry::Vacant(_) => None,
                };
                assert_eq!(got, model.remove_entry(&k));
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
            Op::ExtractIf(m) => {
                let mut got: Vec<_> = map.extract_if(|k, _| k % m == 1).collect();
                let mut want: Vec<_> = model.extract_if(|k, _| k % m == 1).collect();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want);
            }
            Op::EvacuateStep(n) => {
                let more = map.evacuate_step(n);
                assert_eq!(more, map.is_growing());
            }
            Op::FinishGrowth => {
                map.finish_growth();
                assert!(!map.is_growing());
            }
            Op::Reserve(n) => {
                map.reserve(n);
                assert!(map.capacity() >= map.len() + n);
            }
            Op::ShrinkToFit => map.shrink_to_fit(),
            Op::Clear => {
                map.clear();
                model.clear();
            }
            Op::DrainSome(n) => {
                let taken: Vec<_> = map.drain().take(n).collect();
                for (k, v) in taken {
                    assert_eq!(model.get(&k), Some(&v));
                }
                model.clear();
                assert!(map.is_empty());
            }
            Op::Iterate => {
                let mut seen: Vec<_> = map.iter().map(|(k, v)| (*k, *v)).collect();
                assert_eq!(map.iter().len(), model.len());
                seen.sort_unstable();
                let mut want: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
                want.sort_unstable();
                assert_eq!(seen, want, "every entry exactly once");
                // `fold` (internal iteration) from the start, and after a few `next` calls.
                let digest = |acc: (usize, u64), (k, v): (&u64, &u64)| {
                    (acc.0 + 1, acc.1.wrapping_add(k.wrapping_mul(31) ^ v))
                };
                let want = model.iter().fold((0, 0), digest);
                assert_eq!(map.iter().fold((0, 0), digest), want);
                for skip in [1, 3, 9] {
                    let mut iter = map.iter();
                    let head = iter.by_ref().take(skip).fold((0, 0), digest);
                    let tail = iter.fold((0, 0), digest);
                    assert_eq!((head.0 + tail.0, head.1.wrapping_add(tail.1)), want);
                }
                assert_eq!(map.keys().count(), model.len());
                assert_eq!(
                    map.values().fold(0u64, |s, v| s.wrapping_add(*v)),
                    model.values().fold(0u64, |s, v| s.wrapping_add(*v))
                );
            }
            Op::IterMut => {
                let mut iter = map.iter_mut();
                if let Some((_, v)) = iter.next() {
                    *v ^= 1;
                }
                iter.for_each(|(_, v)| *v ^= 1);
                for v in model.values_mut() {
                    *v ^= 1;
                }
            }
            Op::GetBatch(ref keys) => {
                let got: Vec<_> = map.get_batch(keys).collect();
                let want: Vec<_> = keys.iter().map(|k| model.get(k)).collect();
                assert_eq!(got, want);
                assert!(
                    map.contains_batch(keys)
                        .eq(keys.iter().map(|k| model.contains_key(k)))
                );
            }
            Op::InsertBatch(ref items) => {
                map.insert_batch(items.iter().copied());
                model.extend(items.iter().copied());
            }
            Op::CloneCompare => {
                let clone = map.clone();
                assert_eq!(clone, map);
                clone.assert_invariants();
            }
        }
        check(&map, &model);
    }
    let mut rest: Vec<_> = map.into_iter().collect();
    rest.sort_unstable();
    let mut want: Vec<_> = model.into_iter().collect();
    want.sort_unstable();
    assert_eq!(rest, want);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 64 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn agrees_with_std(kind in prop::sample::select(KINDS.to_vec()), ops in prop::collection::vec(op(), 1..if cfg!(miri) { 150 } else { 600 })) {
        run(kind, &ops);
    }
}

/// Long insert/remove churn through many doublings and same-size growths, for each hasher.
#[test]
fn churn_through_growths() {
    let n: u64 = if cfg!(miri) { 60 } else { 3000 };
    for kind in KINDS {
        let mut map = Map::with_hasher(TestHasher(kind));
        let mut model = HashMap::new();
        for i in 0..n * 4 {
            let k = (i % n) << (i % 3 * 10);
            if i % 5 == 4 {
                assert_eq!(map.remove(&k), model.remove(&k));
            } else {
                assert_eq!(map.insert(k, i), model.insert(k, i));
            }
            if i % 97 == 0 {
                check(&map, &model);
            }
        }
        check(&map, &model);
        assert!(map.stats().doublings > 0, "{kind:?}");
    }
}

/// Go's observation (spec §2.1): a map under rolling insert+delete of fresh keys keeps its B and
/// goes through same-size growths, as holes and overflow buckets pile up unevenly. At 1600 entries
/// (load 6.25, B = 8) buckets overflow often, so the threshold of 256 overflow buckets comes fast.
#[test]
fn rolling_churn_grows_in_place() {
    let window: u64 = 1600;
    let rounds: u64 = if cfg!(miri) { 2_000 } else { 300_000 };
    let mut map = Map::with_hasher(TestHasher(Kind::Good));
    for i in 0..window {
        map.insert(i, i);
    }
    let log2 = map.log2_buckets();
    assert_eq!(log2, 8, "1600 entries: B = 8 (Go grows to 9 at entry 1665)");
    for i in window..window + rounds {
        map.insert(i, i);
        assert_eq!(map.remove(&(i - window)), Some(i - window));
    }
    map.assert_invariants();
    let stats = map.stats();
    assert_eq!(stats.len, window as usize);
    assert!(cfg!(miri) || stats.same_size_growths > 0, "{stats}");
    assert_eq!(
        stats.log2_buckets, 8,
        "churn at constant size must not keep doubling: {stats}"
    );
}
