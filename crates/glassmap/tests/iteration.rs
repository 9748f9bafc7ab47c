//! `fold` (internal iteration: `sum`, `for_each`, `collect`...) and `next` (a `for` loop) visit
//! the same entries in the same order, on maps big enough for `fold`'s runs of eight buckets
//! (natively from 4096 buckets; under Miri from eight) and for its prefetching run loop (natively
//! from 8 MiB of slot blocks, 2^16 buckets here; under Miri from sixteen buckets), with overflow
//! chains, removals and a growth stopped half-way.

mod common;

use common::{Kind, TestHasher};
use glassmap::Map;

type Entries = Vec<(u64, u64)>;

/// The entries as `fold` yields them, and as `next` does (a `for` loop).
fn both_ways(map: &Map<u64, u64, TestHasher>) -> (Entries, Entries) {
    let folded = map.iter().fold(Vec::new(), |mut all, (&k, &v)| {
        all.push((k, v));
        all
    });
    let mut stepped = Vec::new();
    for (&k, &v) in map.iter() {
        stepped.push((k, v));
    }
    (folded, stepped)
}

fn check(map: &Map<u64, u64, TestHasher>, expected: &mut Vec<u64>) {
    let (folded, stepped) = both_ways(map);
    let first_difference = folded.iter().zip(&stepped).position(|(a, b)| a != b);
    assert!(
        folded.len() == stepped.len() && first_difference.is_none(),
        "fold and next disagree: {} and {} entries, first difference at {first_difference:?}",
        folded.len(),
        stepped.len()
    );
    let mut keys: Vec<u64> = folded.iter().map(|&(k, _)| k).collect();
    keys.sort_unstable();
    expected.sort_unstable();
    assert_eq!(&keys, expected);
    assert!(folded.iter().all(|&(k, v)| v == k ^ 0x5a));
    // `fold` after a few `next` steps finishes the bucket `next` stopped in.
    let mut iter = map.iter();
    let head: Vec<u64> = iter.by_ref().take(3).map(|(&k, _)| k).collect();
    let rest = iter.fold(head, |mut all, (&k, _)| {
        all.push(k);
        all
    });
    assert_eq!(rest, folded.iter().map(|&(k, _)| k).collect::<Vec<_>>());
}

#[test]
fn fold_and_next_agree_on_large_maps() {
    // 2^13 buckets natively (a doubling from 2^12 under way below), 2^6 under Miri.
    let n: u64 = if cfg!(miri) { 300 } else { 40_000 };
    // `FewBits` keeps 8 buckets in use, with long overflow chains; `Identity` chains multiples of
    // 2^20 into bucket 0; `Good` spreads keys so most runs take the one-mask path.
    for kind in [Kind::Good, Kind::Identity, Kind::FewBits] {
        let n = if matches!(kind, Kind::FewBits) {
            n / 20
        } else {
            n
        };
        fold_and_next_agree(kind, n);
    }
}

/// The prefetching run loop, natively (under Miri the test above reaches it).
#[test]
#[cfg_attr(miri, ignore = "the test above covers it under Miri")]
fn fold_and_next_agree_on_maps_bigger_than_the_caches() {
    // 2^16 buckets of 144 bytes (9 MiB), then a doubling to 2^17 stopped half-way: the old
    // array's unevacuated half (4.5 MiB) takes the plain run loop, the current array the
    // prefetching one. (Only `Good`: `Identity` would put 43K keys in one chain, whose inserts
    // take quadratic time; the test above covers long chains.)
    fold_and_next_agree(Kind::Good, 300_000);
}

/// Fills a map with `n` keys hashed by `kind`, then checks [`check`] on it, after removing a third
/// of the keys, and in the middle of a doubling.
fn fold_and_next_agree(kind: Kind, n: u64) {
    let mut map = Map::with_hasher(TestHasher(kind));
    let mut expected = Vec::new();
    for i in 0..n {
        let key = if i % 7 == 0 { i << 20 } else { i };
        map.insert(key, key ^ 0x5a);
        expected.push(key);
    }
    check(&map, &mut expected);
    // Removals leave EMPTY_ONE slots inside runs and chains.
    for i in (0..n).step_by(3) {
        let key = if i % 7 == 0 { i << 20 } else { i };
        map.remove(&key);
    }
    expected.retain(|k| {
        let i = if k >> 20 != 0 && (k >> 20) % 7 == 0 {
            k >> 20
        } else {
            *k
        };
        i % 3 != 0
    });
    check(&map, &mut expected);
    // Insert until a doubling starts, and stop it half-way: runs over the old array's
    // unevacuated range, then over the current array.
    let mut next = n;
    while !map.is_growing() {
        map.insert(next, next ^ 0x5a);
        expected.push(next);
        next += 1;
    }
    let growth = map.growth().expect("growing");
    map.evacuate_step((growth.old_buckets - growth.evacuated) / 2);
    assert!(map.is_growing());
    check(&map, &mut expected);
    map.assert_invariants();
}
