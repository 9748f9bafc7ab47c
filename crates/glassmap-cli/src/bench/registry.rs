//! The registries `bench` iterates over: every map ([`MAPS`]) as a type-erased [`MapEntry`] that runs any
//! [`Workload`] with any hasher. Imports run one way: the maps (`glassmap_workloads::single`) <- `workloads` <- `registry`. Help texts and error
//! messages are generated from [`MAPS`] and [`Workload::ALL`], so they cannot fall out of step.

use std::marker::PhantomData;

use super::input::Input;
use super::workloads::{Outcome, Workload};
use crate::error::Error;
use crate::hashers::{HasherChoice, HasherVisitor};
use glassmap_workloads::concurrent::maps::SharedHasher;
use glassmap_workloads::single::{Glassmap, Griddle, Hashbrown, MapKind, Std};

/// How every sample of a run is taken.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Hasher for every map.
    pub hasher: HasherChoice,
    /// Seed for the default hasher.
    pub seed: u64,
    /// Minimum operations per throughput sample.
    pub min_ops: usize,
    /// Timed samples per measurement (after the warm-up).
    pub reps: usize,
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
            fn visit<S: SharedHasher>(self, s: S) -> Self::Output {
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

/// `--maps` help: every registered map.
pub fn maps_help() -> String {
    format!(
        "Maps to compare, comma-separated [default: all: {}]",
        names()
    )
}

/// `--workloads` help: every workload.
pub fn workloads_help() -> String {
    let names: Vec<_> = Workload::ALL.iter().map(|w| w.name()).collect();
    format!(
        "Workloads to run, comma-separated [default: all: {}]",
        names.join(", ")
    )
}
