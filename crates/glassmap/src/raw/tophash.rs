//! Tophash bytes and matching the eight of one bucket at once.
//!
//! Each slot of a bucket has a tophash byte. Values below [`MIN_TOPHASH`] are the states Go reserves
//! (`src/runtime/map.go`, spec §1.1); a live slot holds the top 8 bits of its key's hash, bumped above
//! them. The eight bytes of a bucket are loaded as one little-endian `u64` ([`Group`]) and compared with
//! SWAR arithmetic, so a lookup tests all eight slots with a handful of integer instructions.

/// Slot empty, and so is every later slot of this bucket and of its overflow chain.
/// Zero on purpose: a zeroed allocation is a valid empty bucket array.
pub(crate) const EMPTY_REST: u8 = 0;
/// Slot empty; later slots may be full.
pub(crate) const EMPTY_ONE: u8 = 1;
/// Old-array slot whose entry moved to the X half (same index) of the new array.
pub(crate) const EVACUATED_X: u8 = 2;
/// Old-array slot whose entry moved to the Y half (index + old bucket count) of the new array.
pub(crate) const EVACUATED_Y: u8 = 3;
/// Old-array slot that was empty when its bucket was evacuated.
pub(crate) const EVACUATED_EMPTY: u8 = 4;
/// Smallest tophash of a live slot.
pub(crate) const MIN_TOPHASH: u8 = 5;

/// The tophash of a hash: its top byte, moved out of the reserved range as Go does (`top += 5`).
#[inline]
pub(crate) fn tophash(hash: u64) -> u8 {
    let top = (hash >> 56) as u8;
    if top < MIN_TOPHASH {
        top + MIN_TOPHASH
    } else {
        top
    }
}

/// Whether a bucket whose slot 0 holds `first` has been evacuated (Go's `evacuated(b)`).
#[inline]
pub(crate) fn is_evacuated(first: u8) -> bool {
    first > EMPTY_ONE && first < MIN_TOPHASH
}

const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

#[inline]
const fn repeat(byte: u8) -> u64 {
    0x0101_0101_0101_0101 * byte as u64
}

/// High bit set in exactly the bytes of `x` that are zero (no false positives, unlike the cheaper
/// `(x - 0x01..) & !x` trick, so "first empty slot" can be taken from the lowest bit directly).
#[inline]
const fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The eight tophash bytes of one bucket, slot 0 in the lowest byte.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Group(u64);

impl Group {
    #[inline]
    pub(crate) fn new(bytes: [u8; 8]) -> Self {
        Group(u64::from_le_bytes(bytes))
    }

    /// Slots whose tophash equals `top`.
    #[inline]
    pub(crate) fn matching(self, top: u8) -> BitMask {
        BitMask(zero_bytes(self.0 ^ repeat(top)))
    }

    /// Slots that are empty (`EMPTY_ONE` or `EMPTY_REST`); valid only in an array that is not being
    /// evacuated, where the evacuated states cannot occur.
    #[inline]
    pub(crate) fn empty(self) -> BitMask {
        BitMask(zero_bytes(self.0 & repeat(!EMPTY_ONE)))
    }

    /// Whether some slot is `EMPTY_REST`, which ends the chain for every search.
    #[inline]
    pub(crate) fn has_empty_rest(self) -> bool {
        zero_bytes(self.0) != 0
    }

    /// Slots holding a live entry (tophash >= `MIN_TOPHASH`). Adding `0x80 - 5` to the low seven bits
    /// sets a byte's high bit exactly when those bits are >= 5; bytes >= 0x80 already have it.
    #[inline]
    pub(crate) fn full(self) -> BitMask {
        BitMask((((self.0 & LOW7) + repeat(0x80 - MIN_TOPHASH)) | self.0) & HIGH)
    }
}

/// A set of slot indices, one high bit per byte.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BitMask(u64);

impl BitMask {
    #[inline]
    pub(crate) fn lowest(self) -> Option<usize> {
        if self.0 == 0 {
            None
        } else {
            Some(self.0.trailing_zeros() as usize / 8)
        }
    }

    #[inline]
    pub(crate) fn count(self) -> usize {
        self.0.count_ones() as usize
    }
}

impl Iterator for BitMask {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let slot = self.lowest()?;
        self.0 &= self.0 - 1;
        Some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(mask: BitMask) -> Vec<usize> {
        mask.collect()
    }

    #[test]
    fn tophash_skips_reserved_values_as_go() {
        for top in 0u8..=255 {
            let t = tophash((top as u64) << 56 | 0xdead_beef);
            assert!(t >= MIN_TOPHASH);
            assert_eq!(t, if top < 5 { top + 5 } else { top });
        }
    }

    #[test]
    fn matching_is_exact_for_every_byte_pattern() {
        // Every value at every position, with neighbours that provoke borrows in the cheap trick.
        // Under Miri a sample of values keeps the run short; natively all 256.
        let step = if cfg!(miri) { 17 } else { 1 };
        for value in (0u8..=255).step_by(step) {
            for pos in 0..8 {
                let mut bytes = [value.wrapping_add(1); 8];
                bytes[pos] = value;
                bytes[(pos + 1) % 8] = value ^ 0x80;
                let group = Group::new(bytes);
                let expected: Vec<usize> = (0..8).filter(|&i| bytes[i] == value).collect();
                assert_eq!(slots(group.matching(value)), expected, "{bytes:?} {value}");
                let full: Vec<usize> = (0..8).filter(|&i| bytes[i] >= MIN_TOPHASH).collect();
                assert_eq!(slots(group.full()), full, "{bytes:?}");
                let empty: Vec<usize> = (0..8).filter(|&i| bytes[i] <= EMPTY_ONE).collect();
                assert_eq!(slots(group.empty()), empty, "{bytes:?}");
                assert_eq!(group.has_empty_rest(), bytes.contains(&EMPTY_REST));
            }
        }
    }

    #[test]
    fn evacuated_states() {
        assert!(!is_evacuated(EMPTY_REST));
        assert!(!is_evacuated(EMPTY_ONE));
        assert!(is_evacuated(EVACUATED_X));
        assert!(is_evacuated(EVACUATED_Y));
        assert!(is_evacuated(EVACUATED_EMPTY));
        assert!(!is_evacuated(MIN_TOPHASH));
        assert_eq!(EVACUATED_Y, EVACUATED_X + 1);
    }
}
