//! The keys every map gets for one size: identical across maps, so ratios compare like with like.

use crate::keys::{Rng, splitmix64};

/// Keys for one size `n`.
#[derive(Clone, Debug)]
pub struct Input {
    /// Entries in the map.
    pub n: usize,
    /// The keys inserted, in insertion order: splitmix64 of `seed + i` for `i < n` (random-looking, distinct).
    pub keys: Vec<u64>,
    /// The same keys in a random order, for lookups and removals.
    pub shuffled: Vec<u64>,
    /// `n` keys that are never inserted (splitmix64 of `seed + n + i`), for misses.
    pub missing: Vec<u64>,
}

impl Input {
    /// Builds the keys for `n` entries.
    pub fn new(n: usize, seed: u64) -> Self {
        let key = |i: usize| splitmix64(seed.wrapping_add(i as u64));
        let keys: Vec<u64> = (0..n).map(key).collect();
        let mut shuffled = keys.clone();
        Rng::new(seed ^ 0x5eed).shuffle(&mut shuffled);
        let missing = (n..2 * n).map(key).collect();
        Input {
            n,
            keys,
            shuffled,
            missing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn hits_are_a_permutation_and_misses_are_disjoint() {
        let input = Input::new(1000, 3);
        let keys: HashSet<_> = input.keys.iter().collect();
        assert_eq!(keys.len(), 1000);
        assert_eq!(input.shuffled.iter().collect::<HashSet<_>>(), keys);
        assert_ne!(input.shuffled, input.keys);
        assert!(input.missing.iter().all(|k| !keys.contains(k)));
    }
}
