//! `SyncMap`: the API against a `Mutex<HashMap>` reference, the protocol's counters, memory
//! reclamation (drop counters), and Go's own `sync.Map` regression tests rewritten in Rust
//! (`src/sync/map_test.go`, `map_reference_test.go`), each naming its Go origin.

use std::collections::HashMap;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use glassmap::RandomState;
use glassmap::sync::SyncMap;
use proptest::prelude::*;

const SCALE: usize = if cfg!(miri) { 1 } else { 50 };

#[test]
fn api_follows_go() {
    let m: SyncMap<&str, i32> = SyncMap::new();
    assert!(m.is_empty());
    assert_eq!(m.load("a"), None);
    m.store("a", 1);
    assert_eq!(m.load("a").as_deref(), Some(&1));
    assert_eq!(m.load_with("a", |v| v + 1), Some(2));
    assert_eq!(m.swap("a", 2).as_deref(), Some(&1));
    assert_eq!(m.swap("b", 3), None);
    let (v, loaded) = m.load_or_store("b", 4);
    assert_eq!((*v, loaded), (3, true));
    let (v, loaded) = m.load_or_store("c", 5);
    assert_eq!((*v, loaded), (5, false));
    assert!(!m.compare_and_swap("a", &1, 10));
    assert!(m.compare_and_swap("a", &2, 10));
    assert!(!m.compare_and_delete("a", &2));
    assert!(m.compare_and_delete("a", &10));
    assert_eq!(m.load("a"), None);
    assert_eq!(m.len(), 2);
    assert_eq!(m.load_and_delete("b").as_deref(), Some(&3));
    assert_eq!(m.load_and_delete("b"), None);
    m.delete("c");
    assert!(m.is_empty());
    m.store("d", 6);
    assert_eq!(format!("{m:?}"), r#"{"d": 6}"#);
    m.clear();
    assert!(m.is_empty());
    assert_eq!(m.load("d"), None);
    let mut seen = 0;
    m.range(|_, _| {
        seen += 1;
        true
    });
    assert_eq!(seen, 0);
}

#[test]
fn lazy_load_or_store_runs_its_closure_at_most_once() {
    let m: SyncMap<u32, String> = SyncMap::default();
    let calls = AtomicUsize::new(0);
    let make = || {
        calls.fetch_add(1, SeqCst);
        "made".to_string()
    };
    assert!(!m.load_or_store_with(1, make).1);
    assert!(m.load_or_store_with(1, make).1);
    assert_eq!(calls.load(SeqCst), 1, "not called when a value exists");
    // A deleted entry still in the read map: the lock-free path installs the value.
    for _ in 0..3 {
        m.load(&1); // promote
    }
    m.delete(&1);
    assert_eq!(*m.load_or_store_with(1, make).0, "made");
    assert_eq!(calls.load(SeqCst), 2);
}

/// Misses promote the dirty map once they reach its length; a new key after a promotion rebuilds
/// the dirty map, expunging deleted entries, which the next promotion drops.
#[test]
fn stats_show_misses_promotion_and_expunging() {
    let m: SyncMap<u32, u32> = SyncMap::with_hasher(RandomState::with_seed(1));
    for k in 0..4 {
        m.store(k, k);
    }
    let s = m.stats();
    assert_eq!((s.read_len, s.dirty_len, s.amended), (0, Some(4), true));
    assert_eq!((s.misses, s.promotions, s.dirty_builds), (0, 0, 1));
    for k in 0..3 {
        m.load(&k);
    }
    assert_eq!(m.stats().misses, 3);
    m.load(&3); // the fourth miss reaches len(dirty) = 4
    let s = m.stats();
    assert_eq!((s.read_len, s.dirty_len, s.amended), (4, None, false));
    assert_eq!((s.misses, s.promotions), (0, 1));
    // Loads of promoted keys take the lock-free path: no more misses.
    for k in 0..4 {
        assert_eq!(m.load(&k).as_deref(), Some(&k));
    }
    assert_eq!(m.stats().misses, 0);
    m.delete(&0); // deleted in place (read map entry)
    m.store(9, 9); // new key: rebuild dirty, expunging key 0's entry
    let s = m.stats();
    assert_eq!((s.expunged, s.dirty_len, s.dirty_builds), (1, Some(4), 2));
    // Storing into the expunged entry un-expunges it into the dirty map (invariant 3).
    m.store(0, 100);
    assert_eq!(m.stats().dirty_len, Some(5));
    for _ in 0..5 {
        m.load(&42);
    }
    let s = m.stats();
    assert_eq!((s.read_len, s.promotions, s.expunged, s.len), (5, 2, 0, 5));
    assert_eq!(m.load(&0).as_deref(), Some(&100));
}

#[derive(Clone, Debug)]
enum Op {
    Load(u8),
    Store(u8, u16),
    Swap(u8, u16),
    LoadOrStore(u8, u16),
    LoadAndDelete(u8),
    CompareAndSwap(u8, u16, u16),
    CompareAndDelete(u8, u16),
    Range,
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..12;
    let value = 0u16..4;
    prop_oneof![
        8 => key.clone().prop_map(Op::Load),
        3 => (key.clone(), value.clone()).prop_map(|(k, v)| Op::Store(k, v)),
        3 => (key.clone(), value.clone()).prop_map(|(k, v)| Op::Swap(k, v)),
        3 => (key.clone(), value.clone()).prop_map(|(k, v)| Op::LoadOrStore(k, v)),
        3 => key.clone().prop_map(Op::LoadAndDelete),
        2 => (key.clone(), value.clone(), value.clone()).prop_map(|(k, a, b)| Op::CompareAndSwap(k, a, b)),
        2 => (key, value).prop_map(|(k, v)| Op::CompareAndDelete(k, v)),
        1 => Just(Op::Range),
        1 => Just(Op::Clear),
    ]
}

/// What an operation returned, comparable between the map and the reference.
#[derive(Debug, PartialEq)]
enum Out {
    Value(Option<u16>),
    Pair(u16, bool),
    Flag(bool),
    All(Vec<(u8, u16)>),
    Nothing,
}

fn apply_map(m: &SyncMap<u8, u16>, op: &Op) -> Out {
    match *op {
        Op::Load(k) => Out::Value(m.load(&k).map(|v| *v)),
        Op::Store(k, v) => {
            m.store(k, v);
            Out::Nothing
        }
        Op::Swap(k, v) => Out::Value(m.swap(k, v).map(|v| *v)),
        Op::LoadOrStore(k, v) => {
            let (v, loaded) = m.load_or_store(k, v);
            Out::Pair(*v, loaded)
        }
        Op::LoadAndDelete(k) => Out::Value(m.load_and_delete(&k).map(|v| *v)),
        Op::CompareAndSwap(k, a, b) => Out::Flag(m.compare_and_swap(&k, &a, b)),
        Op::CompareAndDelete(k, a) => Out::Flag(m.compare_and_delete(&k, &a)),
        Op::Range => {
            let mut all = Vec::new();
            m.range(|k, v| {
                all.push((*k, *v));
                true
            });
            all.sort_unstable();
            Out::All(all)
        }
        Op::Clear => {
            m.clear();
            Out::Nothing
        }
    }
}

fn apply_reference(r: &Mutex<HashMap<u8, u16>>, op: &Op) -> Out {
    let mut r = r.lock().unwrap();
    match *op {
        Op::Load(k) => Out::Value(r.get(&k).copied()),
        Op::Store(k, v) => {
            r.insert(k, v);
            Out::Nothing
        }
        Op::Swap(k, v) => Out::Value(r.insert(k, v)),
        Op::LoadOrStore(k, v) => match r.get(&k) {
            Some(&old) => Out::Pair(old, true),
            None => {
                r.insert(k, v);
                Out::Pair(v, false)
            }
        },
        Op::LoadAndDelete(k) => Out::Value(r.remove(&k)),
        Op::CompareAndSwap(k, a, b) => Out::Flag(match r.get_mut(&k) {
            Some(v) if *v == a => {
                *v = b;
                true
            }
            _ => false,
        }),
        Op::CompareAndDelete(k, a) => Out::Flag(if r.get(&k) == Some(&a) {
            r.remove(&k);
            true
        } else {
            false
        }),
        Op::Range => {
            let mut all: Vec<_> = r.iter().map(|(k, v)| (*k, *v)).collect();
            all.sort_unstable();
            Out::All(all)
        }
        Op::Clear => {
            r.clear();
            Out::Nothing
        }
    }
}

/// Longest random operation sequence (short under Miri).
const MAX_OPS: usize = if cfg!(miri) { 40 } else { 200 };

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 3 } else { 256 }))]

    /// Go's `TestMapMatchesRWMutex`/`TestMapMatchesDeepCopy` (map_test.go): random operation
    /// sequences give the same results as a mutex-guarded `HashMap`, and `len` agrees throughout.
    #[test]
    #[cfg_attr(miri, ignore = "slow under Miri; the concurrent tests run the same paths there")]
    fn matches_mutex_hashmap(ops in proptest::collection::vec(op(), 1..MAX_OPS)) {
        let m = SyncMap::with_hasher(RandomState::with_seed(5));
        let r = Mutex::new(HashMap::new());
        for op in &ops {
            prop_assert_eq!(apply_map(&m, op), apply_reference(&r, op), "{:?}", op);
            prop_assert_eq!(m.len(), r.lock().unwrap().len());
        }
    }
}

/// The same differential with threads on disjoint key sets (Go's second intended use): each
/// thread's results must match the shared reference exactly, since no other thread touches its
/// keys; promotions and dirty rebuilds caused by the other threads run underneath.
#[test]
fn matches_mutex_hashmap_on_disjoint_keys_concurrently() {
    let m: Arc<SyncMap<u8, u16>> = Arc::new(SyncMap::new());
    let r = Arc::new(Mutex::new(HashMap::new()));
    let threads: Vec<_> = (0..3u8)
        .map(|t| {
            let (m, r) = (Arc::clone(&m), Arc::clone(&r));
            thread::spawn(move || {
                let mut rng = 0x2545_f491_4f6c_dd1du64 ^ u64::from(t);
                for _ in 0..(40 * SCALE) {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let k = t * 4 + (rng % 4) as u8; // keys t*4 .. t*4+3
                    let v = (rng >> 8) as u16 % 3;
                    let op = match (rng >> 20) % 7 {
                        0 | 1 => Op::Load(k),
                        2 => Op::Store(k, v),
                        3 => Op::Swap(k, v),
                        4 => Op::LoadOrStore(k, v),
                        5 => Op::LoadAndDelete(k),
                        _ => Op::CompareAndSwap(k, v, v + 1),
                    };
                    assert_eq!(apply_map(&m, &op), apply_reference(&r, &op), "{op:?}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(m.len(), r.lock().unwrap().len());
}

/// golang/go#40999 (`TestIssue40999`): deleting keys that were only ever in the dirty map must
/// free them; before the fix, `Delete` kept such keys until a promotion that never came. Here the
/// keys count themselves: after many store/delete rounds of fresh keys, almost none are alive.
#[test]
fn go_issue_40999_deleted_keys_are_not_kept() {
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    #[derive(PartialEq, Eq, Debug)]
    struct Key(u64);
    impl Hash for Key {
        fn hash<H: Hasher>(&self, h: &mut H) {
            self.0.hash(h);
        }
    }
    impl Clone for Key {
        fn clone(&self) -> Self {
            LIVE.fetch_add(1, SeqCst);
            Key(self.0)
        }
    }
    impl Drop for Key {
        fn drop(&mut self) {
            LIVE.fetch_sub(1, SeqCst);
        }
    }
    let new_key = |k| {
        LIVE.fetch_add(1, SeqCst);
        Key(k)
    };
    let m: SyncMap<Key, ()> = SyncMap::new();
    // Go stores a `nil` key first "to bias len(m.dirty) above the miss count".
    m.store(new_key(u64::MAX), ());
    for i in 0..(20 * SCALE as u64) {
        m.store(new_key(i), ());
        let probe = new_key(i);
        m.delete(&probe);
    }
    let live = LIVE.load(SeqCst);
    assert!(
        live <= 4,
        "{live} keys alive after deleting them all but one"
    );
    assert_eq!(m.len(), 1);
}

/// golang/go#46399 (`TestMapRangeNestedCall`): `range` whose closure calls `range`, `load`,
/// `load_or_store`, `store`, `load_and_delete` and `delete` on the same map neither deadlocks
/// nor sees keys it should not.
#[test]
fn go_issue_46399_range_with_nested_calls() {
    let m: SyncMap<i32, String> = SyncMap::new();
    for (i, v) in ["hello", "world", "Go"].into_iter().enumerate() {
        m.store(i as i32, v.to_string());
    }
    m.range(|key, _| {
        m.range(|key, value| {
            assert_eq!(m.load(key).as_deref(), Some(value), "nested range loads");
            assert!(!m.load_or_store(42, "dummy".into()).1, "42 was never kept");
            m.store(42, "sync.Map".into());
            assert_eq!(
                m.load_and_delete(&42).as_deref().map(String::as_str),
                Some("sync.Map")
            );
            true
        });
        m.delete(key);
        true
    });
    let mut length = 0;
    m.range(|_, _| {
        length += 1;
        true
    });
    assert_eq!(length, 0);
    assert!(m.is_empty());
}

/// golang/go#51972 (`TestCompareAndSwap_NonExistingKey`): compare-and-swap and compare-and-delete
/// on a missing key report false and store nothing, in every state of the read/dirty maps.
#[test]
fn go_issue_51972_compare_on_missing_key() {
    let m: SyncMap<u32, u32> = SyncMap::new();
    assert!(!m.compare_and_swap(&1, &0, 42));
    assert!(!m.compare_and_delete(&1, &0));
    m.store(2, 2); // amended: the missing key is looked up in the dirty map too
    assert!(!m.compare_and_swap(&1, &0, 42));
    assert!(!m.compare_and_delete(&1, &0));
    assert_eq!(m.load(&1), None);
    m.delete(&2);
    assert!(
        !m.compare_and_swap(&2, &2, 42),
        "deleted: no value to compare"
    );
    assert_eq!(m.load(&2), None);
    assert!(m.is_empty());
}

/// Go's `TestConcurrentRange`: while writers keep overwriting every key, each `range` visits every
/// key (all present throughout) exactly once.
#[test]
fn go_concurrent_range() {
    let keys = 8 * SCALE as u64;
    let m: Arc<SyncMap<u64, u64>> = Arc::new(SyncMap::new());
    for k in 1..=keys {
        m.store(k, k * 1000);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2u64)
        .map(|w| {
            let (m, stop) = (Arc::clone(&m), Arc::clone(&stop));
            thread::spawn(move || {
                let mut n = w;
                while !stop.load(SeqCst) {
                    for k in 1..=keys {
                        m.store(k, k * 1000 + n % 1000);
                    }
                    n += 2;
                }
            })
        })
        .collect();
    for _ in 0..(SCALE / 5).max(2) {
        let mut seen = HashSet::new();
        m.range(|k, v| {
            assert_eq!(v / 1000, *k, "a value of another key");
            assert!(seen.insert(*k), "key {k} visited twice");
            true
        });
        assert_eq!(
            seen.len() as u64,
            keys,
            "every key present throughout is seen"
        );
    }
    stop.store(true, SeqCst);
    for w in writers {
        w.join().unwrap();
    }
}

/// Go's `TestConcurrentClear`: `clear` racing with stores, loads and deletes leaves a usable map;
/// nothing stored before a `clear` that the storing thread sees complete survives it.
#[test]
fn go_concurrent_clear() {
    let m: Arc<SyncMap<u64, u64>> = Arc::new(SyncMap::new());
    let barrier = Arc::new(Barrier::new(3));
    let workers: Vec<_> = (0..2u64)
        .map(|t| {
            let (m, barrier) = (Arc::clone(&m), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                for i in 0..(20 * SCALE as u64) {
                    let k = t * 1_000_000 + i % 16;
                    m.store(k, i);
                    m.load(&k);
                    if i % 3 == 0 {
                        m.delete(&k);
                    }
                }
            })
        })
        .collect();
    barrier.wait();
    for _ in 0..(SCALE / 2).max(2) {
        m.clear();
        thread::yield_now();
    }
    for w in workers {
        w.join().unwrap();
    }
    let mut counted = 0;
    m.range(|_, _| {
        counted += 1;
        true
    });
    assert_eq!(m.len(), counted, "len agrees with range at quiescence");
    m.clear();
    assert!(m.is_empty());
    assert_eq!(m.stats().read_len, 0);
    m.store(1, 1);
    assert_eq!(m.load(&1).as_deref(), Some(&1));
}

/// Memory is reclaimed: replaced and deleted values are freed once no reader holds them, under
/// churn of new keys, overwrites and deletes from several threads.
#[test]
fn replaced_and_deleted_values_are_freed() {
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    #[derive(Debug, PartialEq)]
    struct Value(u64);
    impl Value {
        fn new(v: u64) -> Self {
            LIVE.fetch_add(1, SeqCst);
            Value(v)
        }
    }
    impl Drop for Value {
        fn drop(&mut self) {
            LIVE.fetch_sub(1, SeqCst);
        }
    }
    let m: Arc<SyncMap<u64, Value>> = Arc::new(SyncMap::new());
    let held = m.load_or_store(1000, Value::new(7)).0;
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                for i in 0..(50 * SCALE as u64) {
                    let k = t * 100 + i % 32;
                    m.store(k, Value::new(i));
                    if i % 5 == 0 {
                        m.delete(&(t * 100 + (i + 7) % 32));
                    }
                    if i % 7 == 0 {
                        m.swap(k, Value::new(i + 1));
                    }
                    m.load(&k);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let len = m.len();
    assert!(len <= 64 + 1);
    assert_eq!(
        LIVE.load(SeqCst),
        len,
        "exactly the present values are alive"
    );
    m.clear();
    assert_eq!(LIVE.load(SeqCst), 1, "only the value this test still holds");
    assert_eq!(held.0, 7);
    drop(held);
    assert_eq!(LIVE.load(SeqCst), 0);
}
