//! Single-threaded workloads' maps and keys: what a workload needs from a map ([`BenchMap`]), how to build one
//! of each kind for any key, value and hasher ([`MapKind`]), and the keys every benchmark draws ([`keys`]).
//!
//! The criterion benchmarks (`crates/glassmap/benches`) and `glassmap bench` both measure through these, so a
//! map added here is compared the same way everywhere. Adding a map is one [`MapKind`] impl (and a
//! [`BenchMap`] impl if its methods are not named like std's); `glassmap bench` also lists it in its registry.

pub mod ab;
pub mod keys;

use std::hash::{BuildHasher, Hash};

/// What a workload needs from a map: the single-threaded operations, with std's meaning.
pub trait BenchMap<K, V> {
    /// Inserts or replaces; returns the old value.
    fn insert(&mut self, k: K, v: V) -> Option<V>;
    /// The value for `k`.
    fn get(&self, k: &K) -> Option<&V>;
    /// Removes `k`; returns its value.
    fn remove(&mut self, k: &K) -> Option<V>;
    /// Number of entries.
    fn len(&self) -> usize;
    /// Whether the map is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Removes every entry, keeping the allocation where the map can.
    fn clear(&mut self);
    /// Wrapping sum of all values, by iterating over the map.
    fn sum_values(&self) -> u64
    where
        V: Copy + Into<u64>;
    /// Wrapping sum of the values found for `keys` (1 for a missing key), through the map's batched lookup if
    /// it has one; by default one `get` after another ([`get_each`]).
    fn get_many(&self, keys: &[K]) -> u64
    where
        V: Copy + Into<u64>,
    {
        get_each(self, keys)
    }
    /// Inserts every entry through the map's bulk insert (`Extend`; glassmap's is `insert_batch`).
    fn insert_many(&mut self, entries: impl IntoIterator<Item = (K, V)>)
    where
        Self: Sized;
}

/// Wrapping sum of the values found for `keys` (1 for a missing key), one `get` after another.
pub fn get_each<K, V: Copy + Into<u64>, M: BenchMap<K, V> + ?Sized>(map: &M, keys: &[K]) -> u64 {
    keys.iter().fold(0u64, |sum, k| {
        sum.wrapping_add(map.get(k).map_or(1, |v| (*v).into()))
    })
}

/// What a batched-lookup benchmark does with the results: counts the present ones (`sum == false`), or adds up
/// their values (`sum == true`, so every value is read).
#[inline]
pub fn consume<'a>(found: impl Iterator<Item = Option<&'a u64>>, sum: bool) -> u64 {
    if sum {
        found.fold(0u64, |acc, v| acc.wrapping_add(v.copied().unwrap_or(0)))
    } else {
        found.filter(Option::is_some).count() as u64
    }
}

/// One kind of hashed map, for any key, value and hasher.
pub trait MapKind {
    /// Name in benchmark ids, on the command line and in reports.
    const NAME: &'static str;
    /// One line for `--help` and reports.
    const ABOUT: &'static str;
    /// The map type for keys `K`, values `V` and hasher builder `S`.
    type Map<K: Hash + Eq, V, S: BuildHasher + Clone>: BenchMap<K, V>;
    /// An empty map with room for `n` entries (`n = 0`: no hint).
    fn with_capacity_and_hasher<K: Hash + Eq, V, S: BuildHasher + Clone>(
        n: usize,
        s: S,
    ) -> Self::Map<K, V, S>;
}

/// An empty map of kind `M` with room for `n` entries (`n = 0`: no hint) and the benchmarks' fixed hasher
/// ([`keys::hasher`]).
pub fn with_capacity<M: MapKind, K: Hash + Eq, V>(n: usize) -> M::Map<K, V, glassmap::RandomState> {
    M::with_capacity_and_hasher(n, keys::hasher())
}

/// Implements [`BenchMap`] for a map type whose methods are named like std's.
macro_rules! bench_map_like_std {
    ($map:ident $(, { $($extra:item)* })?) => {
        impl<K: Hash + Eq, V, S: BuildHasher> BenchMap<K, V> for $map<K, V, S> {
            #[inline]
            fn insert(&mut self, k: K, v: V) -> Option<V> {
                $map::insert(self, k, v)
            }
            #[inline]
            fn get(&self, k: &K) -> Option<&V> {
                $map::get(self, k)
            }
            #[inline]
            fn remove(&mut self, k: &K) -> Option<V> {
                $map::remove(self, k)
            }
            #[inline]
            fn len(&self) -> usize {
                $map::len(self)
            }
            fn clear(&mut self) {
                $map::clear(self)
            }
            fn sum_values(&self) -> u64
            where
                V: Copy + Into<u64>,
            {
                self.values().fold(0u64, |sum, v| sum.wrapping_add((*v).into()))
            }
            fn insert_many(&mut self, entries: impl IntoIterator<Item = (K, V)>) {
                self.extend(entries);
            }
            $($($extra)*)?
        }
    };
}

/// Defines a [`MapKind`] for a map type with std's `with_capacity_and_hasher`.
macro_rules! map_kind {
    ($(#[$doc:meta])* $kind:ident = $map:ident, $name:literal, $about:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $kind;

        impl MapKind for $kind {
            const NAME: &'static str = $name;
            const ABOUT: &'static str = $about;
            type Map<K: Hash + Eq, V, S: BuildHasher + Clone> = $map<K, V, S>;
            fn with_capacity_and_hasher<K: Hash + Eq, V, S: BuildHasher + Clone>(
                n: usize,
                s: S,
            ) -> Self::Map<K, V, S> {
                $map::with_capacity_and_hasher(n, s)
            }
        }
    };
}

use glassmap::Map as GlassmapMap;
use griddle::HashMap as GriddleMap;
use hashbrown::HashMap as HashbrownMap;
use std::collections::HashMap as StdMap;

// glassmap's `Extend` is `insert_batch`; its batched lookup is `get_batch`.
bench_map_like_std!(GlassmapMap, {
    fn get_many(&self, keys: &[K]) -> u64
    where
        V: Copy + Into<u64>,
    {
        self.get_batch(keys).fold(0u64, |sum, v| {
            sum.wrapping_add(v.map_or(1, |v| (*v).into()))
        })
    }
});
bench_map_like_std!(HashbrownMap);
bench_map_like_std!(StdMap);
bench_map_like_std!(GriddleMap);

map_kind!(
    /// glassmap's `Map`: Go's classic buckets with incremental evacuation.
    Glassmap = GlassmapMap, "glassmap", "glassmap::Map (Go's classic buckets, incremental evacuation)"
);
map_kind!(
    /// hashbrown's `HashMap`: SwissTable, whole-table rehash on growth.
    Hashbrown = HashbrownMap, "hashbrown", "hashbrown::HashMap (SwissTable, whole-table rehash)"
);
map_kind!(
    /// std's `HashMap` (hashbrown inside), here with the run's hasher.
    Std = StdMap, "std", "std::collections::HashMap (hashbrown inside)"
);
map_kind!(
    /// griddle's `HashMap`: a hashbrown fork that moves a few items per insert after a grow.
    Griddle = GriddleMap, "griddle", "griddle::HashMap (hashbrown fork, incremental resize)"
);

/// glassmap's fixed-capacity `u64` map. Not a [`MapKind`]: it has no hasher and only `u64` keys. `insert` panics
/// when the map is full, so benchmarks size it for every key they insert.
impl<V> BenchMap<u64, V> for glassmap::IntMap<V> {
    // `inline(always)`: LLVM otherwise keeps this wrapper out of the benchmarks' loops (hashbrown's
    // insert it inlines), and an insert called out of line loses the overlap of its cache misses
    // that IntMap's occupancy bitmap gives it (1M inserts 35-39 ms against 21 ms inlined;
    // ARCHITECTURE.md, IntMap).
    #[inline(always)]
    fn insert(&mut self, k: u64, v: V) -> Option<V> {
        match glassmap::IntMap::insert(self, k, v) {
            Ok(old) => old,
            Err(_) => panic!("IntMap sized for every key a benchmark inserts is full"),
        }
    }
    #[inline]
    fn get(&self, k: &u64) -> Option<&V> {
        glassmap::IntMap::get(self, *k)
    }
    #[inline]
    fn remove(&mut self, k: &u64) -> Option<V> {
        glassmap::IntMap::remove(self, *k)
    }
    #[inline]
    fn len(&self) -> usize {
        glassmap::IntMap::len(self)
    }
    fn clear(&mut self) {
        glassmap::IntMap::clear(self)
    }
    fn sum_values(&self) -> u64
    where
        V: Copy + Into<u64>,
    {
        self.iter()
            .fold(0u64, |sum, (_, v)| sum.wrapping_add((*v).into()))
    }
    fn insert_many(&mut self, entries: impl IntoIterator<Item = (u64, V)>) {
        for (k, v) in entries {
            BenchMap::insert(self, k, v);
        }
    }
}
