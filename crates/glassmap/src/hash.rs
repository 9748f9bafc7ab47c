//! The default hasher: foldhash with a seed per map, like Go's per-map `hash0`.

use core::fmt;
use core::hash::BuildHasher;

use foldhash::fast::FixedState;

/// The default [`BuildHasher`] of [`Map`](crate::Map) and [`Set`](crate::Set): foldhash (fast,
/// good enough statistical quality for hash tables, not a cryptographic hash) with a random seed
/// drawn for every instance, as Go draws `hash0` for every map.
///
/// [`RandomState::with_seed`] makes a map reproducible: the same keys inserted in the same order
/// give the same bucket layout and iteration order, run after run.
///
/// # Examples
/// ```
/// use glassmap::{Map, RandomState};
///
/// let build = || {
///     let mut map = Map::with_hasher(RandomState::with_seed(42));
///     map.extend((0..100u32).map(|i| (i, i)));
///     map.keys().copied().collect::<Vec<_>>()
/// };
/// assert_eq!(build(), build());
/// ```
#[derive(Clone)]
pub struct RandomState {
    inner: FixedState,
}

impl RandomState {
    /// A hasher builder with a fresh random seed.
    pub fn new() -> Self {
        // std's `RandomState` draws its keys from the OS once per thread and varies them per
        // instance; hashing a constant with it yields a fresh well-mixed seed without a new
        // dependency.
        let seed =
            std::collections::hash_map::RandomState::new().hash_one(0x676c_6173_736d_6170u64);
        Self::with_seed(seed)
    }

    /// A hasher builder with a fixed seed, for reproducible layouts and experiments.
    pub fn with_seed(seed: u64) -> Self {
        RandomState {
            inner: FixedState::with_seed(seed),
        }
    }
}

impl Default for RandomState {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for RandomState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RandomState").finish_non_exhaustive()
    }
}

impl BuildHasher for RandomState {
    type Hasher = foldhash::fast::FoldHasher<'static>;

    #[inline]
    fn build_hasher(&self) -> Self::Hasher {
        self.inner.build_hasher()
    }
}
