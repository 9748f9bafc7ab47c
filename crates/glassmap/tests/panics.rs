//! Panic safety: a `Hash` or `Eq` that panics at a chosen call, including in the middle of an
//! evacuation, leaves the map valid, unchanged by the panicking operation, and agreeing with a model.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};

use glassmap::{Map, RandomState};
use proptest::prelude::*;

thread_local! {
    /// Calls of `hash` or `eq` left before one panics; negative means never.
    static FUSE: Cell<i64> = const { Cell::new(-1) };
}

fn tick() {
    FUSE.with(|f| {
        let left = f.get();
        if left == 0 {
            f.set(-1);
            panic!("boom");
        }
        if left > 0 {
            f.set(left - 1);
        }
    });
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Bomb(u64);

impl Hash for Bomb {
    fn hash<H: Hasher>(&self, state: &mut H) {
        tick();
        self.0.hash(state);
    }
}

// Eq is derived for the model; the map calls `==` through this wrapper type's impl below.
#[derive(Clone, Copy, Debug)]
struct Key(Bomb);

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        tick();
        self.0 == other.0
    }
}
impl Eq for Key {}
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u64),
    Remove(u64),
    Get(u64),
    Entry(u64),
    Step,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u64..3000).prop_map(Op::Insert),
        2 => (0u64..3000).prop_map(Op::Remove),
        1 => (0u64..3000).prop_map(Op::Get),
        1 => (0u64..3000).prop_map(Op::Entry),
        1 => Just(Op::Step),
    ]
}

fn apply(map: &mut Map<Key, u64>, op: &Op) -> Option<u64> {
    match *op {
        Op::Insert(k) => map.insert(Key(Bomb(k)), k),
        Op::Remove(k) => map.remove(&Key(Bomb(k))),
        Op::Get(k) => map.get(&Key(Bomb(k))).copied(),
        Op::Entry(k) => Some(*map.entry(Key(Bomb(k))).or_insert(k)),
        Op::Step => {
            map.evacuate_step(1);
            None
        }
    }
}

fn apply_model(model: &mut HashMap<u64, u64>, op: &Op) -> Option<u64> {
    match *op {
        Op::Insert(k) => model.insert(k, k),
        Op::Remove(k) => model.remove(&k),
        Op::Get(k) => model.get(&k).copied(),
        Op::Entry(k) => Some(*model.entry(k).or_insert(k)),
        Op::Step => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: if cfg!(miri) { 2 } else { 48 }, ..ProptestConfig::default() })]

    #[test]
    fn panicking_hash_or_eq_keeps_the_map_valid(
        ops in prop::collection::vec(op(), 1..if cfg!(miri) { 100 } else { 800 }),
        fuses in prop::collection::vec((0usize..800, 0i64..40), 1..30),
    ) {
        let mut map = Map::with_hasher(RandomState::with_seed(4));
        let mut model = HashMap::new();
        for (i, op) in ops.iter().enumerate() {
            let fuse = fuses.iter().find(|(at, _)| *at == i).map_or(-1, |(_, f)| *f);
            FUSE.with(|f| f.set(fuse));
            // A panicking operation changes nothing the model can see, so the model skips it.
            if let Ok(got) = catch_unwind(AssertUnwindSafe(|| apply(&mut map, op))) {
                assert_eq!(got, apply_model(&mut model, op), "{op:?}");
            }
            FUSE.with(|f| f.set(-1));
            map.assert_invariants();
            assert_eq!(map.len(), model.len());
        }
        for (k, v) in &model {
            assert_eq!(map.get(&Key(Bomb(*k))), Some(v));
        }
    }
}

/// A panic during evacuation specifically: the map is growing and the first hash of the chain
/// being moved panics; nothing moves, and the next write completes the work.
#[test]
fn panic_inside_evacuation() {
    // The last insert starts a doubling with 256 old buckets (8 under Miri).
    let n: u64 = if cfg!(miri) { 53 } else { 1665 };
    let mut map = Map::with_hasher(RandomState::with_seed(8));
    for k in 0..n {
        map.insert(Key(Bomb(k)), k);
    }
    assert!(map.is_growing());
    let before = map.growth().unwrap().evacuated;
    // The insert's own key is hashed first (1 call), then evacuation hashes old entries.
    FUSE.with(|f| f.set(1));
    let result = catch_unwind(AssertUnwindSafe(|| map.insert(Key(Bomb(5000)), 5000)));
    assert!(result.is_err(), "the evacuation's first hash panics");
    FUSE.with(|f| f.set(-1));
    map.assert_invariants();
    assert_eq!(map.len(), n as usize);
    assert_eq!(map.growth().unwrap().evacuated, before);
    assert_eq!(map.insert(Key(Bomb(5000)), 5000), None);
    map.finish_growth();
    for k in 0..n {
        assert_eq!(map.get(&Key(Bomb(k))), Some(&k));
    }
}
