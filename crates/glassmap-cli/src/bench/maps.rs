//! The maps under test, as types: what a workload needs from a map ([`BenchMap`]) and how to build one for any
//! hasher ([`MapKind`]). Adding a map is one `MapKind` impl here and one line in [`super::registry::MAPS`].

use std::hash::BuildHasher;

/// What a workload needs from a map: the single-threaded u64 -> u64 operations.
pub trait BenchMap {
    /// Inserts or replaces; returns the old value.
    fn insert(&mut self, k: u64, v: u64) -> Option<u64>;
    /// The value for `k`.
    fn get(&self, k: u64) -> Option<u64>;
    /// Removes `k`; returns its value.
    fn remove(&mut self, k: u64) -> Option<u64>;
    /// Sum of all values, by iterating over the map.
    fn sum_values(&self) -> u64;
    /// Number of entries.
    fn len(&self) -> usize;
    /// Sum of the values found for `keys` (1 for a missing key), through the map's batched lookup
    /// if it has one; by default one `get` after another.
    fn get_many(&self, keys: &[u64]) -> u64 {
        get_each(self, keys)
    }
    /// Inserts `(k, k)` for every key through the map's bulk insert (`Extend`).
    fn insert_many(&mut self, keys: &[u64]);
}

/// One kind of map, for any hasher.
pub trait MapKind {
    /// Name on the command line and in reports.
    const NAME: &'static str;
    /// One line for `--help` and reports.
    const ABOUT: &'static str;
    /// The map type with hasher builder `S`.
    type Map<S: BuildHasher + Clone>: BenchMap;
    /// An empty map with room for `n` entries (`n = 0`: no hint).
    fn with_capacity_and_hasher<S: BuildHasher + Clone>(n: usize, s: S) -> Self::Map<S>;
}

/// Implements [`BenchMap`] for a map type whose methods are named like std's.
macro_rules! bench_map_like_std {
    ($map:ty $(, { $($extra:item)* })?) => {
        impl<S: BuildHasher> BenchMap for $map {
            #[inline]
            fn insert(&mut self, k: u64, v: u64) -> Option<u64> {
                self.insert(k, v)
            }
            #[inline]
            fn get(&self, k: u64) -> Option<u64> {
                self.get(&k).copied()
            }
            #[inline]
            fn remove(&mut self, k: u64) -> Option<u64> {
                self.remove(&k)
            }
            #[inline]
            fn sum_values(&self) -> u64 {
                self.values().fold(0u64, |sum, v| sum.wrapping_add(*v))
            }
            #[inline]
            fn len(&self) -> usize {
                self.len()
            }
            fn insert_many(&mut self, keys: &[u64]) {
                self.extend(keys.iter().map(|&k| (k, k)));
            }
            $($($extra)*)?
        }
    };
}

// glassmap's `Extend` is `insert_batch`; lookups go through `get_batch`.
bench_map_like_std!(glassmap::Map<u64, u64, S>, {
    fn get_many(&self, keys: &[u64]) -> u64 {
        self.get_batch(keys)
            .fold(0u64, |sum, v| sum.wrapping_add(v.copied().unwrap_or(1)))
    }
});
bench_map_like_std!(hashbrown::HashMap<u64, u64, S>);
bench_map_like_std!(std::collections::HashMap<u64, u64, S>);
bench_map_like_std!(griddle::HashMap<u64, u64, S>);

/// glassmap's `Map`: Go's classic bucket layout with incremental evacuation.
#[derive(Debug)]
pub struct Glassmap;

impl MapKind for Glassmap {
    const NAME: &'static str = "glassmap";
    const ABOUT: &'static str = "glassmap::Map (Go's classic buckets, incremental evacuation)";
    type Map<S: BuildHasher + Clone> = glassmap::Map<u64, u64, S>;
    fn with_capacity_and_hasher<S: BuildHasher + Clone>(n: usize, s: S) -> Self::Map<S> {
        glassmap::Map::with_capacity_and_hasher(n, s)
    }
}

/// hashbrown's `HashMap`: SwissTable, whole-table rehash on growth.
#[derive(Debug)]
pub struct Hashbrown;

impl MapKind for Hashbrown {
    const NAME: &'static str = "hashbrown";
    const ABOUT: &'static str = "hashbrown::HashMap (SwissTable, whole-table rehash)";
    type Map<S: BuildHasher + Clone> = hashbrown::HashMap<u64, u64, S>;
    fn with_capacity_and_hasher<S: BuildHasher + Clone>(n: usize, s: S) -> Self::Map<S> {
        hashbrown::HashMap::with_capacity_and_hasher(n, s)
    }
}

/// std's `HashMap` (hashbrown inside), here with the run's hasher.
#[derive(Debug)]
pub struct Std;

impl MapKind for Std {
    const NAME: &'static str = "std";
    const ABOUT: &'static str = "std::collections::HashMap (hashbrown inside)";
    type Map<S: BuildHasher + Clone> = std::collections::HashMap<u64, u64, S>;
    fn with_capacity_and_hasher<S: BuildHasher + Clone>(n: usize, s: S) -> Self::Map<S> {
        std::collections::HashMap::with_capacity_and_hasher(n, s)
    }
}

/// griddle's `HashMap`: a hashbrown fork that moves a few items per insert after a grow.
#[derive(Debug)]
pub struct Griddle;

impl MapKind for Griddle {
    const NAME: &'static str = "griddle";
    const ABOUT: &'static str = "griddle::HashMap (hashbrown fork, incremental resize)";
    type Map<S: BuildHasher + Clone> = griddle::HashMap<u64, u64, S>;
    fn with_capacity_and_hasher<S: BuildHasher + Clone>(n: usize, s: S) -> Self::Map<S> {
        griddle::HashMap::with_capacity_and_hasher(n, s)
    }
}

/// Sum of the values found for `keys` (1 for a missing key), one `get` after another.
pub fn get_each<M: BenchMap + ?Sized>(map: &M, keys: &[u64]) -> u64 {
    keys.iter()
        .fold(0u64, |sum, &k| sum.wrapping_add(map.get(k).unwrap_or(1)))
}
