//! Growth behaves as Go's classic map: the same growth points, the same `makemap` sizes, and
//! iteration that sees every entry exactly once while a growth is half done.

mod common;

use common::{Kind, TestHasher};
use glassmap::{GrowthKind, Map, RandomState};

/// Spec §2.1: with no hint, the insert that makes the map hold n entries grows B -> B+1 at these n.
#[test]
#[cfg_attr(miri, ignore = "too many inserts for Miri; covered natively")]
fn growth_points_are_gos() {
    let expected = [
        9usize, 14, 27, 53, 105, 209, 417, 833, 1665, 3329, 6657, 13313, 26625,
    ];
    let mut map = Map::with_hasher(RandomState::with_seed(3));
    let mut points = Vec::new();
    let mut log2 = map.log2_buckets();
    for i in 1..=30_000u64 {
        map.insert(i, i);
        if map.log2_buckets() != log2 {
            assert_eq!(
                map.log2_buckets(),
                log2 + 1,
                "only doublings on an insert-only workload"
            );
            assert_eq!(
                map.growth().map(|g| g.kind),
                Some(GrowthKind::Doubling).filter(|_| map.is_growing())
            );
            log2 = map.log2_buckets();
            points.push(i as usize);
        }
    }
    assert_eq!(points, expected);
    assert_eq!(map.stats().doublings, expected.len() as u64);
    assert_eq!(map.stats().same_size_growths, 0);
}

/// Pure insertion always finishes a growth before the next one is due (spec §2.1), and a doubling
/// with 2^(B-1) old buckets takes exactly 2^(B-3) writes (one for fewer than four old buckets):
/// each write evacuates the next four old buckets at `nevacuate` (Go's `growWork` evacuates at
/// most two, the key's own and the one at `nevacuate`, so Go takes between 2^(B-2) and 2^(B-1)
/// writes).
#[test]
#[cfg_attr(miri, ignore = "too many inserts for Miri; covered natively")]
fn insert_only_growths_finish_in_time() {
    let mut map = Map::with_hasher(RandomState::with_seed(11));
    let mut started_at = None;
    for i in 1..=200_000u64 {
        let was_growing = map.is_growing();
        let old_buckets = map.growth().map(|g| g.old_buckets);
        map.insert(i, i);
        match (was_growing, map.is_growing()) {
            (false, true) => started_at = Some((i, map.growth().unwrap().old_buckets)),
            (true, false) => {
                let (start, old) = started_at.take().expect("a growth was running");
                let writes = (i - start + 1) as usize;
                assert_eq!(
                    writes,
                    old.div_ceil(4),
                    "{writes} writes for {old} old buckets"
                );
            }
            (true, true) => assert_eq!(old_buckets, map.growth().map(|g| g.old_buckets)),
            (false, false) => {}
        }
    }
}

/// Go's `makemap`: the smallest B whose load factor admits the hint (spec §1.6).
#[test]
#[cfg_attr(miri, ignore = "too many inserts for Miri; covered natively")]
fn with_capacity_matches_makemap() {
    let cases = [
        (1, 0),
        (8, 0),
        (9, 1),
        (13, 1),
        (14, 2),
        (26, 2),
        (27, 3),
        (52, 3),
        (53, 4),
    ];
    for (hint, log2) in cases {
        let map: Map<u64, u64> = Map::with_capacity(hint);
        assert_eq!(map.log2_buckets(), log2, "hint {hint}");
    }
    for hint in [100usize, 1000, 1664, 1665, 3328, 3329, 100_000, 1 << 20] {
        let map: Map<u64, u64> = Map::with_capacity(hint);
        let log2 = map.log2_buckets();
        assert!(map.capacity() >= hint, "hint {hint}");
        assert!(
            log2 == 0 || 13usize << (log2 - 2) < hint,
            "hint {hint}: B = {log2} is not the smallest"
        );
        // Presized: filling to the hint never grows.
        let mut map = map;
        for i in 0..hint as u64 {
            map.insert(i, i);
        }
        assert_eq!(map.log2_buckets(), log2);
        assert_eq!(map.stats().doublings, 0);
    }
}

/// Stop a growth half-way and iterate: every entry exactly once, through every iterator.
#[test]
fn iteration_mid_growth_is_exact() {
    let n = 1665u64; // the 1665th insert starts the doubling from 256 to 512 buckets
    let mut map = Map::with_hasher(RandomState::with_seed(5));
    for i in 0..n {
        map.insert(i, i * 10);
    }
    let growth = map.growth().expect("growing");
    assert_eq!(growth.old_buckets, 256);
    map.evacuate_step(100);
    let growth = map.growth().expect("still growing");
    assert!(
        growth.evacuated > 100 && growth.evacuated < 256,
        "{growth:?}"
    );

    let sorted = |mut v: Vec<u64>| {
        v.sort_unstable();
        v
    };
    let all: Vec<u64> = (0..n).collect();
    assert_eq!(sorted(map.keys().copied().collect()), all);
    assert_eq!(map.iter().len(), n as usize);
    for (k, v) in map.iter_mut() {
        *v += k;
    }
    assert_eq!(
        sorted(map.values().copied().collect()),
        all.iter().map(|k| k * 11).collect::<Vec<_>>()
    );
    let mut clone = map.clone();
    assert_eq!(clone, map);
    clone.retain(|k, _| k % 2 == 0);
    assert_eq!(clone.len(), (n as usize).div_ceil(2));
    assert!(map.is_growing(), "reads do not evacuate");
    let drained = sorted(map.drain().map(|(k, _)| k).collect());
    assert_eq!(drained, all);
    assert!(map.is_empty() && !map.is_growing());
    map.assert_invariants();
}

/// `get_batch` on maps big enough for its prefetching pipeline (natively above 512 KiB of
/// buckets; under Miri every allocated map prefetches), mid-growth and not, hits, misses and
/// repeats: the same answers as `get`, in order.
#[test]
fn get_batch_prefetching_matches_get() {
    let n: u64 = if cfg!(miri) { 220 } else { 30_000 };
    let mut map = Map::with_hasher(RandomState::with_seed(11));
    let probes: Vec<u64> = (0..n + n / 3)
        .chain((0..n / 4).map(|i| i * 7 % n))
        .collect();
    let mut checked_growing = false;
    let mut was_growing = false;
    for i in 0..n {
        map.insert(i, i ^ 0x55);
        // Right after a growth starts (both arrays in use; under Miri from the doubling to 32
        // buckets on, since a growth ends within a few dozen writes and the fixed points below
        // may all fall between growths), and at a few other points.
        let growth_started = map.is_growing() && !was_growing;
        was_growing = map.is_growing();
        let checked_from = if cfg!(miri) { 4 } else { 6 };
        if growth_started && map.log2_buckets() > checked_from || i % (n / 4) == 0 || i == n - 1 {
            checked_growing |= map.is_growing();
            for chunk in [1, 5, 64, probes.len()] {
                for keys in probes.chunks(chunk) {
                    let want: Vec<_> = keys.iter().map(|k| map.get(k)).collect();
                    assert_eq!(map.get_batch(keys).collect::<Vec<_>>(), want);
                    // Internal iteration (`fold`) too, from the start and after one `next`.
                    let mut folded = Vec::new();
                    map.get_batch(keys).for_each(|v| folded.push(v));
                    assert_eq!(folded, want);
                    let mut rest = map.get_batch(keys);
                    rest.next();
                    assert_eq!(rest.fold(0, |n, v| n + usize::from(v.is_some())), {
                        want.iter().skip(1).filter(|v| v.is_some()).count()
                    });
                    assert!(
                        map.contains_batch(keys)
                            .eq(keys.iter().map(|k| map.contains_key(k)))
                    );
                }
            }
        }
    }
    assert!(checked_growing, "no check happened mid-growth");
    assert!(map.log2_buckets() > if cfg!(miri) { 1 } else { 11 });
}

#[test]
fn finish_growth_and_steps() {
    let mut map = Map::new();
    for i in 0..3329u32 {
        map.insert(i, ());
    }
    assert!(map.is_growing());
    let before = map.growth().unwrap().evacuated;
    assert!(map.evacuate_step(3));
    assert_eq!(map.growth().unwrap().evacuated, before + 3);
    map.finish_growth();
    assert!(!map.is_growing());
    assert!(!map.evacuate_step(10));
    map.assert_invariants();
    assert_eq!(map.len(), 3329);
}

#[test]
fn reserve_and_shrink_resize_incrementally() {
    let mut map = Map::with_hasher(RandomState::with_seed(9));
    for i in 0..1000u64 {
        map.insert(i, i);
    }
    map.finish_growth();
    let extra = if cfg!(miri) { 2_000 } else { 100_000 };
    map.reserve(extra);
    assert!(map.capacity() >= 1000 + extra);
    assert_eq!(map.growth().map(|g| g.kind), Some(GrowthKind::Resize));
    let more: u64 = if cfg!(miri) { 60 } else { 1000 };
    for i in 1000..1000 + more {
        map.insert(i, i);
        map.assert_invariants();
    }
    map.retain(|&k, _| k < 10);
    map.shrink_to_fit();
    assert!(!map.is_growing());
    assert_eq!(map.log2_buckets(), 1);
    assert_eq!(map.len(), 10);
    map.assert_invariants();
    map.clear();
    map.shrink_to_fit();
    assert_eq!(map.capacity(), 0);
    assert_eq!(
        map.try_reserve(usize::MAX),
        Err(glassmap::TryReserveError::CapacityOverflow)
    );
    assert!(map.try_reserve(usize::MAX / 2).is_err());
}

#[test]
#[cfg_attr(miri, ignore = "too many inserts for Miri; covered natively")]
fn stats_describe_the_buckets() {
    let mut map = Map::with_hasher(RandomState::with_seed(1));
    for i in 0..10_000u64 {
        map.insert(i, i);
    }
    map.finish_growth();
    let stats = map.stats();
    assert_eq!(stats.len, 10_000);
    assert_eq!(stats.buckets, 1 << stats.log2_buckets);
    assert_eq!(stats.occupancy.iter().sum::<usize>(), stats.buckets);
    let loads: Vec<_> = map.bucket_loads().collect();
    assert_eq!(loads.len(), stats.buckets);
    assert_eq!(loads.iter().map(|l| l.entries).sum::<usize>(), 10_000);
    assert_eq!(
        loads.iter().map(|l| l.chain - 1).sum::<usize>(),
        stats.overflow_buckets
    );
    assert_eq!(loads.iter().map(|l| l.chain).max(), Some(stats.max_chain));
    assert!((stats.load_factor - 10_000.0 / stats.buckets as f64).abs() < 1e-9);
    assert!(stats.bytes >= stats.buckets * 16);
    let text = stats.to_string();
    assert!(
        text.contains("len 10000") && text.contains("not growing"),
        "{text}"
    );
}

#[test]
#[cfg_attr(miri, ignore = "too many inserts for Miri; covered natively")]
fn seeded_maps_are_reproducible() {
    let build = |seed| {
        let mut map = Map::with_hasher(RandomState::with_seed(seed));
        for i in 0..5000u64 {
            map.insert(i.wrapping_mul(0x9e37_79b9), i);
        }
        map.iter().map(|(k, _)| *k).collect::<Vec<_>>()
    };
    assert_eq!(build(1), build(1));
    assert_ne!(build(1), build(2));
}

/// Writes go where reads look: while a growth runs, a key whose old bucket is not evacuated yet is
/// written into that bucket (growing its chain with old-array overflow buckets when it is full),
/// removed from there, and moved with the bucket when the mark reaches it.
#[test]
fn writes_go_into_unevacuated_old_buckets() {
    let mut map = Map::with_hasher(TestHasher(Kind::Identity));
    // Identity hashes (the key itself) spread 0..3329 evenly; the 3329th insert starts the
    // doubling 512 -> 1024 and evacuates the first four old buckets.
    for key in 0..3329 {
        map.insert(key, key);
    }
    assert_eq!(
        map.growth().map(|g| (g.old_buckets, g.evacuated)),
        Some((512, 4))
    );
    // Keys for old bucket 511, far ahead of the mark: 6 there already, 40 more need several
    // overflow buckets of the old array. Bit 9 alternates, so half go to X (bucket 511), half to
    // Y (1023) of the new array.
    let aimed: Vec<u64> = (1..=40u64).map(|j| j << 20 | (j & 1) << 9 | 511).collect();
    for (n, &key) in aimed.iter().enumerate() {
        assert_eq!(map.insert(key, n as u64), None);
        if cfg!(not(miri)) {
            map.assert_invariants();
        }
    }
    map.assert_invariants();
    let growth = map.growth().expect("still growing");
    assert_eq!(
        growth.evacuated,
        4 + 4 * aimed.len(),
        "each write evacuated four"
    );
    // Updates and removals of keys in the unevacuated chain.
    for (n, &key) in aimed.iter().enumerate() {
        assert_eq!(map.insert(key, n as u64 + 100), Some(n as u64));
    }
    for (n, &key) in aimed.iter().enumerate().step_by(3) {
        assert_eq!(map.remove(&key), Some(n as u64 + 100));
    }
    map.assert_invariants();
    // 4 + 4 * (40 inserts + 40 updates + 14 removals) = 380 of 512: bucket 511 is still ahead.
    assert_eq!(map.growth().map(|g| g.evacuated), Some(380));
    map.finish_growth();
    map.assert_invariants();
    for (n, &key) in aimed.iter().enumerate() {
        let expected = (n % 3 != 0).then_some(n as u64 + 100);
        assert_eq!(map.get(&key).copied(), expected, "key {key:#x}");
    }
    assert_eq!(map.len(), 3329 + aimed.len() - aimed.len().div_ceil(3));
}

/// The overflow buckets of evacuated old chains are reused by writes into unevacuated old chains,
/// so those writes do not make the old array allocate more overflow memory during the growth.
#[test]
fn evacuated_overflow_buckets_are_reused() {
    let mut map = Map::with_hasher(TestHasher(Kind::Identity));
    // Old buckets 0..8 get 31 entries each (24 aimed, 7 of the evenly spread others: four
    // overflow buckets per chain, 32 in all, one whole chunk of 32); the 3329th insert starts the
    // doubling 512 -> 1024.
    let crowded = (0..8).flat_map(|bucket| (1..=24u64).map(move |j| j << 20 | bucket));
    for key in crowded.chain(512..512 + 3329 - 192) {
        map.insert(key, key);
    }
    assert_eq!(map.growth().map(|g| g.old_buckets), Some(512));
    // Four writes evacuate buckets 4..20, so the 32 overflow buckets of 0..8 are dead by now.
    for key in [600, 601, 602, 603] {
        map.remove(&key);
    }
    assert_eq!(map.growth().map(|g| g.evacuated), Some(20));
    let bytes = map.stats().bytes;
    // 80 keys into old bucket 500 (still unevacuated after their 320 evacuations): its chain
    // needs 12 overflow buckets and no chunk has a unit left; all recycled.
    for j in 1..=80u64 {
        map.insert(j << 20 | 500, j);
    }
    map.assert_invariants();
    assert_eq!(map.growth().map(|g| g.evacuated), Some(340));
    assert_eq!(
        map.stats().bytes,
        bytes,
        "the old array allocated overflow memory"
    );
    map.finish_growth();
    map.assert_invariants();
    assert_eq!(
        (1..=80u64).map(|j| map[&(j << 20 | 500)]).sum::<u64>(),
        3240
    );
}
