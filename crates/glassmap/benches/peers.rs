//! The maps under comparison, behind one trait so every workload runs the same code on each.
#![allow(dead_code, missing_docs)]

/// Every map is built with this hasher (foldhash, fixed seed) unless a benchmark is about hashing.
pub fn hasher() -> glassmap::RandomState {
    glassmap::RandomState::with_seed(0x5eed)
}

pub trait BenchMap<K, V> {
    const NAME: &'static str;
    fn with_capacity(n: usize) -> Self;
    fn insert(&mut self, k: K, v: V);
    fn get(&self, k: &K) -> Option<&V>;
    fn remove(&mut self, k: &K) -> Option<V>;
    fn sum_values(&self) -> usize;
}

macro_rules! peer {
    ($ty:ident, $name:literal, $ctor:expr) => {
        impl<K: std::hash::Hash + Eq, V: Copy + Into<u64>> BenchMap<K, V>
            for $ty<K, V, glassmap::RandomState>
        {
            const NAME: &'static str = $name;
            fn with_capacity(n: usize) -> Self {
                $ctor(n, hasher())
            }
            #[inline]
            fn insert(&mut self, k: K, v: V) {
                $ty::insert(self, k, v);
            }
            #[inline]
            fn get(&self, k: &K) -> Option<&V> {
                $ty::get(self, k)
            }
            #[inline]
            fn remove(&mut self, k: &K) -> Option<V> {
                $ty::remove(self, k)
            }
            fn sum_values(&self) -> usize {
                self.iter().map(|(_, v)| (*v).into() as usize).sum()
            }
        }
    };
}

use glassmap::Map as Glassmap;
use griddle::HashMap as Griddle;
use hashbrown::HashMap as Hashbrown;
use std::collections::HashMap as StdHashMap;

peer!(Glassmap, "glassmap", Glassmap::with_capacity_and_hasher);
peer!(Hashbrown, "hashbrown", Hashbrown::with_capacity_and_hasher);
peer!(StdHashMap, "std", StdHashMap::with_capacity_and_hasher);
peer!(Griddle, "griddle", Griddle::with_capacity_and_hasher);

pub type G<K, V> = Glassmap<K, V, glassmap::RandomState>;
pub type H<K, V> = Hashbrown<K, V, glassmap::RandomState>;
pub type S<K, V> = StdHashMap<K, V, glassmap::RandomState>;
pub type D<K, V> = Griddle<K, V, glassmap::RandomState>;

/// splitmix64: random-looking, distinct keys (the benchmarking guide's key recipe; one copy, in
/// `glassmap-workloads`, for the benchmarks and the command).
pub use glassmap_workloads::splitmix64 as splitmix;

pub fn keys(n: usize) -> Vec<u64> {
    (0..n as u64).map(splitmix).collect()
}

/// Keys never inserted (from a disjoint index range).
pub fn missing_keys(n: usize) -> Vec<u64> {
    (0..n as u64).map(|i| splitmix(i + (1 << 40))).collect()
}

/// A fixed pseudo-random permutation of `keys`, so lookups do not follow insertion order.
pub fn shuffled(keys: &[u64]) -> Vec<u64> {
    let mut out = keys.to_vec();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in (1..out.len()).rev() {
        state = splitmix(state);
        out.swap(i, (state % (i as u64 + 1)) as usize);
    }
    out
}

/// 16-byte random ASCII strings.
pub fn string_keys(n: usize) -> Vec<String> {
    (0..n as u64)
        .map(|i| format!("{:016x}", splitmix(i)))
        .collect()
}

/// `n` keys drawn uniformly from `keys`, with repeats (some keys probed twice, some never).
pub fn with_repeats(keys: &[u64], n: usize) -> Vec<u64> {
    (0..n as u64)
        .map(|i| keys[(splitmix(i ^ 0x5eed) % keys.len() as u64) as usize])
        .collect()
}

/// Counts the present results, or adds up their values.
#[inline]
pub fn consume<'a>(found: impl Iterator<Item = Option<&'a u64>>, sum: bool) -> u64 {
    if sum {
        found.fold(0u64, |acc, v| acc.wrapping_add(v.copied().unwrap_or(0)))
    } else {
        found.filter(Option::is_some).count() as u64
    }
}
