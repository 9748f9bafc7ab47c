//! The concurrent maps `bench` compares, type-erased so the harness can iterate over them. Adding a map is a
//! `ConcurrentKind` in `glassmap-workloads` and one line in [`MAPS`].

use std::marker::PhantomData;

use glassmap_workloads::concurrent::maps::{
    ConcurrentKind, Dashmap, LockedHashbrown, Papaya, Scc, SharedHasher,
};
use glassmap_workloads::concurrent::{Config, Measurement, Mix, run};

use crate::hashers::{HasherChoice, HasherVisitor};

/// A registered concurrent map, without its type.
pub trait ConcurrentEntry: Sync {
    /// Name on the command line and in reports.
    fn name(&self) -> &'static str;
    /// One line for help and reports.
    fn about(&self) -> &'static str;
    /// Why the map is not run on `mix`, if it is not.
    fn unsuited(&self, mix: Mix) -> Option<&'static str>;
    /// One run of `config` on a fresh map with the chosen hasher.
    fn run(&self, config: &Config, hasher: HasherChoice, seed: u64) -> Measurement;
}

impl std::fmt::Debug for dyn ConcurrentEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

struct Entry<K>(PhantomData<K>);

impl<K: ConcurrentKind + Sync> ConcurrentEntry for Entry<K> {
    fn name(&self) -> &'static str {
        K::NAME
    }

    fn about(&self) -> &'static str {
        K::ABOUT
    }

    fn unsuited(&self, mix: Mix) -> Option<&'static str> {
        K::unsuited(mix)
    }

    fn run(&self, config: &Config, hasher: HasherChoice, seed: u64) -> Measurement {
        struct Run<'a, K> {
            config: &'a Config,
            kind: PhantomData<K>,
        }
        impl<K: ConcurrentKind> HasherVisitor for Run<'_, K> {
            type Output = Measurement;
            fn visit<S: SharedHasher>(self, s: S) -> Measurement {
                run::<K, S>(self.config, s)
            }
        }
        hasher.visit(
            seed,
            Run::<K> {
                config,
                kind: PhantomData,
            },
        )
    }
}

/// Every concurrent map `bench` knows, in report order; ratios are to [`REFERENCE`].
pub static MAPS: &[&dyn ConcurrentEntry] = &[
    &Entry::<Dashmap>(PhantomData),
    &Entry::<Papaya>(PhantomData),
    &Entry::<Scc>(PhantomData),
    &Entry::<LockedHashbrown>(PhantomData),
];

/// The map concurrent ratios are given against.
pub const REFERENCE: &str = Dashmap::NAME;

/// The registered concurrent map called `name`.
pub fn find(name: &str) -> Option<&'static dyn ConcurrentEntry> {
    MAPS.iter().copied().find(|m| m.name() == name)
}

/// Names of all registered concurrent maps, comma-separated (for messages and help).
pub fn names() -> String {
    MAPS.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ")
}
