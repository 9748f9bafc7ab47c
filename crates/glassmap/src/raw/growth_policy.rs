//! When the table grows, and by how much: Go's policy, constant for constant (spec §1.7).

/// Slots per bucket (Go's `bucketCnt`).
pub(crate) const BUCKET_SLOTS: usize = 8;

/// Doubling starts when the average bucket would hold more than 13/2 = 6.5 entries
/// (`loadFactorNum / loadFactorDen` in Go ≥ 1.22 and ≤ 1.20).
const LOAD_FACTOR_NUM: usize = 13;
const LOAD_FACTOR_DEN: usize = 2;

/// Go's `noverflow` is a `u16`; past B = 15 it counts overflow buckets probabilistically.
const OVERFLOW_COUNT_CAP_LOG2: u8 = 15;

/// Go's `overLoadFactor(count, B)`: `count > 8 && count > 13 * (2^B / 2)`, integer division included
/// (so for B = 0 the rule is just `count > 8`).
#[inline]
pub(crate) fn over_load_factor(count: usize, log2_buckets: u8) -> bool {
    count > BUCKET_SLOTS && count > max_entries_over_eight(log2_buckets)
}

/// `13 * (2^B / 2)`, saturating instead of wrapping for absurd B.
#[inline]
fn max_entries_over_eight(log2_buckets: u8) -> usize {
    let buckets = 1usize
        .checked_shl(u32::from(log2_buckets))
        .unwrap_or(usize::MAX);
    LOAD_FACTOR_NUM.saturating_mul(buckets / LOAD_FACTOR_DEN)
}

/// Go's `tooManyOverflowBuckets(noverflow, B)` is `noverflow >= overflow_limit(B)`: about as
/// many overflow buckets as primary ones, 2^min(B, 15).
#[inline]
pub(crate) fn overflow_limit(log2_buckets: u8) -> u16 {
    1u16 << log2_buckets.min(OVERFLOW_COUNT_CAP_LOG2)
}

/// Go's `incrnoverflow`: exact below B = 16, then an increment with probability 1 / 2^(B-15) so the
/// `u16` counter reaches 2^15 at roughly 2^B overflow buckets. `random` is any well-mixed value.
#[inline]
pub(crate) fn count_overflow(noverflow: &mut u16, log2_buckets: u8, random: u64) {
    if log2_buckets <= OVERFLOW_COUNT_CAP_LOG2 {
        *noverflow = noverflow.saturating_add(1);
    } else {
        let mask = (1u64 << (log2_buckets - OVERFLOW_COUNT_CAP_LOG2)) - 1;
        if random & mask == 0 {
            *noverflow = noverflow.saturating_add(1);
        }
    }
}

/// Go's `makemap`: the smallest B whose load factor admits `count` entries.
pub(crate) fn log2_buckets_for(count: usize) -> u8 {
    let mut log2 = 0;
    while over_load_factor(count, log2) {
        log2 += 1;
    }
    log2
}

/// How many entries a table of 2^B buckets holds before inserting one more starts a doubling.
#[inline]
pub(crate) fn capacity_of(log2_buckets: u8) -> usize {
    BUCKET_SLOTS.max(max_entries_over_eight(log2_buckets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_points_are_gos() {
        // Spec §2.1: the insert that makes the map hold n entries grows B -> B+1 at these n.
        let expected = [
            9usize, 14, 27, 53, 105, 209, 417, 833, 1665, 3329, 6657, 13313,
        ];
        for (log2, &n) in expected.iter().enumerate() {
            let log2 = log2 as u8;
            assert!(!over_load_factor(n - 1, log2), "B={log2} n={n}");
            assert!(over_load_factor(n, log2), "B={log2} n={n}");
            assert_eq!(capacity_of(log2), n - 1);
        }
    }

    #[test]
    fn makemap_hints_are_gos() {
        // Spec §1.6 table and the go1.19.8 measurements of §2.1.
        let cases = [
            (0, 0),
            (8, 0),
            (9, 1),
            (13, 1),
            (14, 2),
            (26, 2),
            (27, 3),
            (52, 3),
            (53, 4),
            (104, 4),
            (105, 5),
            (1000, 8),
            (1664, 8),
            (1665, 9),
            (3328, 9),
        ];
        for (hint, log2) in cases {
            assert_eq!(log2_buckets_for(hint), log2, "hint {hint}");
        }
    }

    #[test]
    fn overflow_threshold_caps_at_2_pow_15() {
        assert_eq!(overflow_limit(0), 1);
        assert_eq!(overflow_limit(8), 256);
        assert_eq!(overflow_limit(15), 32768);
        assert_eq!(overflow_limit(20), 32768);
    }

    /// The arrays precompute `capacity_of(B)` and test `count > capacity_of(B)`: the same rule.
    #[test]
    fn capacity_is_the_last_count_before_overload() {
        for log2 in 0..40 {
            let cap = capacity_of(log2);
            for count in cap.saturating_sub(3)..cap + 3 {
                assert_eq!(
                    over_load_factor(count, log2),
                    count > cap,
                    "B={log2} count={count}"
                );
            }
        }
    }

    #[test]
    fn overflow_counting_is_exact_then_sampled() {
        let mut n = 0;
        count_overflow(&mut n, 15, 1);
        assert_eq!(n, 1);
        count_overflow(&mut n, 17, 1); // mask 0b11: 1 & 3 != 0, not counted
        assert_eq!(n, 1);
        count_overflow(&mut n, 17, 4);
        assert_eq!(n, 2);
    }

    #[test]
    fn absurd_sizes_saturate() {
        assert!(!over_load_factor(usize::MAX, 70));
        assert_eq!(capacity_of(70), usize::MAX);
    }
}
