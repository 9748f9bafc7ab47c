//! The keys and hasher every single-threaded benchmark uses, so that criterion and `glassmap bench` draw the
//! same inputs.

use crate::splitmix64;

/// The hasher every map is built with unless a benchmark is about hashing: foldhash with a fixed seed, so
/// runs are repeatable and every map sees the same hashes.
pub fn hasher() -> glassmap::RandomState {
    glassmap::RandomState::with_seed(0x5eed)
}

/// `n` distinct, random-looking keys: splitmix64 of `0..n`.
pub fn keys(n: usize) -> Vec<u64> {
    (0..n as u64).map(splitmix64).collect()
}

/// `n` keys disjoint from [`keys`] (splitmix64 is a bijection, applied to another index range).
pub fn missing_keys(n: usize) -> Vec<u64> {
    (0..n as u64).map(|i| splitmix64(i + (1 << 40))).collect()
}

/// A fixed pseudo-random permutation of `keys` (Fisher-Yates), so lookups do not follow insertion order.
pub fn shuffled<T: Clone>(keys: &[T]) -> Vec<T> {
    let mut out = keys.to_vec();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for i in (1..out.len()).rev() {
        state = splitmix64(state);
        out.swap(i, (state % (i as u64 + 1)) as usize);
    }
    out
}

/// `n` keys drawn uniformly from `keys` with repeats (a fixed sequence), as a stream of lookups from users.
pub fn with_repeats(keys: &[u64], n: usize) -> Vec<u64> {
    (0..n as u64)
        .map(|i| keys[(splitmix64(i ^ 0x5eed) % keys.len() as u64) as usize])
        .collect()
}

/// `n` distinct 16-byte ASCII strings (the hex digits of [`keys`]).
pub fn string_keys(n: usize) -> Vec<String> {
    (0..n as u64)
        .map(|i| format!("{:016x}", splitmix64(i)))
        .collect()
}

/// A glassmap [`Map`](glassmap::Map) and a hashbrown map holding every key of `keys` (its value
/// the key itself), each filled from empty in `keys`' order with [`hasher`], as the criterion
/// benchmarks fill theirs: the pair the A/B examples compare.
pub fn filled_pair(
    keys: &[u64],
) -> (
    glassmap::Map<u64, u64, glassmap::RandomState>,
    hashbrown::HashMap<u64, u64, glassmap::RandomState>,
) {
    let mut glassmap = glassmap::Map::with_hasher(hasher());
    let mut hashbrown = hashbrown::HashMap::with_hasher(hasher());
    for &k in keys {
        glassmap.insert(k, k);
        hashbrown.insert(k, k);
    }
    (glassmap, hashbrown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keys_are_distinct_and_disjoint_from_missing_keys() {
        let present: HashSet<u64> = keys(10_000).into_iter().collect();
        assert_eq!(present.len(), 10_000);
        assert!(missing_keys(10_000).iter().all(|k| !present.contains(k)));
    }

    #[test]
    fn shuffled_is_a_permutation_out_of_order() {
        let k = keys(1000);
        let s = shuffled(&k);
        assert_ne!(s, k);
        let mut a = k.clone();
        let mut b = s;
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
    }

    #[test]
    fn with_repeats_draws_every_key_and_only_keys() {
        let k = keys(100);
        let drawn: HashSet<u64> = with_repeats(&k, 1000).into_iter().collect();
        assert_eq!(drawn, k.into_iter().collect());
    }
}
