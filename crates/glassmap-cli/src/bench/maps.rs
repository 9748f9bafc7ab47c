//! The registry of maps under test. Adding a map is one `MapKind` impl and one line in [`MAPS`].

use std::hash::BuildHasher;
use std::marker::PhantomData;

use super::input::Input;
use super::workloads::{Outcome, Workload, get_each};
use crate::error::Error;
use crate::hashers::{HasherChoice, HasherVisitor};

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

/// How every sample of a run is taken.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Hasher for every map.
    pub hasher: HasherChoice,
    /// Seed for the default hasher.
    pub seed: u64,
    /// Minimum operations per throughput sample.
    pub min_ops: usize,
}

/// A registered map, without its type: what the harness iterates over.
pub trait MapEntry: Sync {
    /// Name on the command line and in reports.
    fn name(&self) -> &'static str;
    /// One line for `--help` and reports.
    fn about(&self) -> &'static str;
    /// Runs one sample of `workload` on `input`.
    fn run(&self, workload: Workload, input: &Input, settings: &Settings)
    -> Result<Outcome, Error>;
}

impl std::fmt::Debug for dyn MapEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The [`MapEntry`] for map kind `K`.
struct Entry<K>(PhantomData<K>);

impl<K: MapKind + Sync> MapEntry for Entry<K> {
    fn name(&self) -> &'static str {
        K::NAME
    }

    fn about(&self) -> &'static str {
        K::ABOUT
    }

    fn run(
        &self,
        workload: Workload,
        input: &Input,
        settings: &Settings,
    ) -> Result<Outcome, Error> {
        struct Run<'a, K> {
            workload: Workload,
            input: &'a Input,
            min_ops: usize,
            kind: PhantomData<K>,
        }
        impl<K: MapKind> HasherVisitor for Run<'_, K> {
            type Output = Result<Outcome, Error>;
            fn visit<S: BuildHasher + Clone>(self, s: S) -> Self::Output {
                self.workload.run::<K, S>(self.input, &s, self.min_ops)
            }
        }
        let run = Run::<K> {
            workload,
            input,
            min_ops: settings.min_ops,
            kind: PhantomData,
        };
        settings.hasher.visit(settings.seed, run)
    }
}

/// Every map `bench` knows, in report order. The first is drawn on top in pictures; ratios are to `hashbrown`.
pub static MAPS: &[&dyn MapEntry] = &[
    &Entry::<Glassmap>(PhantomData),
    &Entry::<Hashbrown>(PhantomData),
    &Entry::<Std>(PhantomData),
    &Entry::<Griddle>(PhantomData),
];

/// The map ratios are given against.
pub const REFERENCE: &str = Hashbrown::NAME;

/// The registered map called `name`.
pub fn find(name: &str) -> Option<&'static dyn MapEntry> {
    MAPS.iter().copied().find(|m| m.name() == name)
}

/// Names of all registered maps, comma-separated (for messages).
pub fn names() -> String {
    MAPS.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
}
