//! Tophash bytes and matching the eight of one bucket at once.
//!
//! Each slot of a bucket has a tophash byte. Values below [`MIN_TOPHASH`] are the states Go reserves
//! (`src/runtime/map.go`, spec §1.1); a live slot holds the top 8 bits of its key's hash, bumped above
//! them. Go's evacuated marks (2, 3, 4) are not needed, because old buckets are evacuated in index
//! order (`raw/evacuate.rs`); 2 is reused as [`CHAINED`], the mark in slot 7 of a bucket whose
//! chain goes on, and no slot ever holds 3 or 4. The bump stays at 5 so that tophashes equal
//! Go's. The eight bytes of a bucket are loaded as one little-endian `u64` ([`Group`]) and compared with
//! SWAR arithmetic, so a lookup tests all eight slots with a handful of integer instructions.

/// Slot empty, and so is every later slot of this bucket and of its overflow chain.
/// Zero on purpose: a zeroed allocation is a valid empty bucket array.
pub(crate) const EMPTY_REST: u8 = 0;
/// Slot empty; later slots may be full.
pub(crate) const EMPTY_ONE: u8 = 1;
/// Slot 7 of a bucket that has an overflow bucket: not an entry, the mark that the chain goes on
/// (invariant 8 of `raw/mod.rs`), so a search that finds its key absent from a full bucket learns
/// whether to follow the link from the tophash word it has already loaded, not from the link's
/// cache line. Go's `evacuatedX`, unused here.
pub(crate) const CHAINED: u8 = 2;
/// The slot that holds [`CHAINED`] in a bucket whose chain goes on.
pub(crate) const CHAINED_SLOT: usize = 7;
/// Smallest tophash of a live slot.
pub(crate) const MIN_TOPHASH: u8 = 5;

/// The tophash of a hash: its top byte, moved out of the reserved range as Go does (`top += 5`).
#[inline]
pub(crate) const fn tophash(hash: u64) -> u8 {
    let top = (hash >> 56) as u8;
    if top < MIN_TOPHASH {
        top + MIN_TOPHASH
    } else {
        top
    }
}

/// A tophash repeated in every byte: what [`Group::matching`] compares a bucket's bytes with. On
/// x86-64 sixteen bytes in a vector register ([`sse2::Needle`]), elsewhere eight in a `u64`
/// ([`swar::Needle`]).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) use self::sse2::Needle;
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) use self::swar::Needle;

/// `tophash(h)` repeated in eight bytes for each top byte `h >> 56`, then one pad entry. A needle
/// comes from here by a shift and a load where computing it costs seven instructions (shift, Go's
/// `+ 5` bump as a compare and conditional move, a multiply); the table is 2 KiB.
///
/// The pad makes every 16-byte read from an entry in bounds (the SSE2 needle reads entry `i` and
/// `i + 1`). It is never zero, like every entry (tophashes are at least [`MIN_TOPHASH`]): see
/// [`sse2::Group::matching`] for why that matters.
static NEEDLES: [u64; 257] = {
    let mut table = [repeat(MIN_TOPHASH); 257];
    let mut top = 0;
    while top < 256 {
        table[top] = repeat(tophash((top as u64) << 56));
        top += 1;
    }
    table
};

/// `byte` in all eight bytes of a `u64`.
#[inline]
const fn repeat(byte: u8) -> u64 {
    0x0101_0101_0101_0101 * byte as u64
}

/// The eight tophash bytes of one bucket, slot 0 first, with the queries a lookup, an insert and
/// an iteration ask of them. On x86-64 the queries are SSE2 byte compares (exact, one bit per
/// slot); elsewhere [`swar`] answers them with integer arithmetic on one `u64`. Both are always
/// compiled and tested against each other.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) use self::sse2::Group;
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) use self::swar::Group;

/// The tophash words of [`RUN_BUCKETS`] consecutive primary buckets, asked at once what an
/// iteration asks of each bucket's [`Group`] (see [`Run`]'s implementations).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) use self::sse2::Run;
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) use self::swar::Run;

/// Buckets in a [`Run`]: eight tophash words, 64 bytes, one bit per slot in a `u64`.
pub(crate) const RUN_BUCKETS: usize = 8;

/// The bytes a [`Run`] is made of: the tophash words of [`RUN_BUCKETS`] buckets, in bucket order.
pub(crate) type RunBytes = [u8; 8 * RUN_BUCKETS];

/// The slot sets [`Group`]'s queries return.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) type GroupMask = BitMask<0>;
/// The slot sets [`Group`]'s queries return.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) type GroupMask = BitMask<3>;

/// A set of slot indices: bit `slot << SHIFT` set for each member (`SHIFT` is 0 for the SSE2
/// group's one bit per slot, 3 for SWAR's high bit per byte).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BitMask<const SHIFT: u32>(u64);

impl<const SHIFT: u32> BitMask<SHIFT> {
    #[inline]
    pub(crate) fn lowest(self) -> Option<usize> {
        if self.0 == 0 {
            None
        } else {
            Some((self.0.trailing_zeros() >> SHIFT) as usize)
        }
    }

    /// Drops the lowest member (the one [`BitMask::lowest`] returns).
    #[inline]
    pub(crate) fn remove_lowest(&mut self) {
        self.0 &= self.0.wrapping_sub(1);
    }

    #[inline]
    pub(crate) fn count(self) -> usize {
        self.0.count_ones() as usize
    }
}

impl<const SHIFT: u32> Iterator for BitMask<SHIFT> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let slot = self.lowest()?;
        self.remove_lowest();
        Some(slot)
    }
}

/// The portable group: SWAR (SIMD within a register) over the eight bytes as one little-endian
/// `u64`. On x86-64 only its tests use it.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
pub(crate) mod swar {
    use super::{BitMask, EMPTY_ONE, MIN_TOPHASH, NEEDLES, repeat};

    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;

    /// A tophash repeated in all eight bytes of a `u64`.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Needle(u64);

    impl Needle {
        /// The needle for a tophash byte (at least `MIN_TOPHASH`); the tests' way to match any
        /// byte.
        #[cfg(test)]
        pub(crate) const fn new(top: u8) -> Self {
            Needle(repeat(top))
        }

        /// The needle for `tophash(hash)`, from the table: a shift and a load.
        #[inline]
        pub(crate) fn of(hash: u64) -> Self {
            Needle(NEEDLES[(hash >> 56) as usize])
        }

        /// The tophash byte it repeats (where [`tophash`](super::tophash) costs four
        /// instructions).
        #[inline]
        pub(crate) const fn tophash(self) -> u8 {
            self.0 as u8
        }
    }

    /// High bit set in exactly the bytes of `x` that are zero.
    #[inline]
    pub(crate) const fn zero_bytes(x: u64) -> u64 {
        !(((x & LOW7) + LOW7) | x | LOW7)
    }

    /// High bit set in every zero byte of `x`, and possibly in bytes *above* a zero byte (a
    /// borrow propagates upwards), never below the lowest one. Three operations instead of five:
    /// right for filters whose candidates are checked anyway, and for "is any byte zero".
    #[inline]
    const fn zero_bytes_or_above(x: u64) -> u64 {
        x.wrapping_sub(repeat(1)) & !x & HIGH
    }

    /// The eight tophash bytes of one bucket, slot 0 in the lowest byte.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Group(u64);

    /// The tophash words of [`RUN_BUCKETS`](super::RUN_BUCKETS) consecutive buckets, a
    /// [`Group`] each.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Run([Group; super::RUN_BUCKETS]);

    impl Group {
        #[inline]
        pub(crate) fn new(bytes: [u8; 8]) -> Self {
            Group(u64::from_le_bytes(bytes))
        }

        /// Slots whose tophash may equal `top` (`top >= MIN_TOPHASH`): every equal slot, plus
        /// rarely a slot above an equal one (see [`zero_bytes_or_above`]). Callers compare keys,
        /// which rejects the extras.
        ///
        /// An extra slot is always full: the borrow reports a byte only when it equals `top ^ 1`,
        /// and with `top >= 5` that is either a live tophash or 4, a value no slot holds (see the
        /// module docs). So its key is initialised.
        #[inline]
        pub(crate) fn matching(self, needle: Needle) -> BitMask<3> {
            BitMask(zero_bytes_or_above(self.0 ^ needle.0))
        }

        /// Slots that are empty (`EMPTY_ONE` or `EMPTY_REST`; `CHAINED` is not).
        #[inline]
        pub(crate) fn empty(self) -> BitMask<3> {
            BitMask(zero_bytes(self.0 & repeat(!EMPTY_ONE)))
        }

        /// Whether some slot is `EMPTY_REST`, which ends the chain for every search.
        #[inline]
        pub(crate) fn has_empty_rest(self) -> bool {
            zero_bytes_or_above(self.0) != 0
        }

        /// Whether the bucket's chain goes on: slot 7 holds `CHAINED`.
        #[inline]
        pub(crate) fn chained(self) -> bool {
            self.0 >> (8 * super::CHAINED_SLOT) == u64::from(super::CHAINED)
        }

        /// Whether a search that did not find its key here goes on to the next bucket: no slot
        /// is `EMPTY_REST` and slot 7 holds `CHAINED`. One test where `has_empty_rest` and
        /// `chained` are two: the word XORed with the mark has a zero top byte iff the bucket
        /// is chained, and zero lower bytes iff it has an `EMPTY_REST` (the borrow's extras only
        /// appear above a zero byte, which already answers "stop").
        #[inline]
        pub(crate) fn chain_goes_on(self) -> bool {
            let mark = u64::from(super::CHAINED) << (8 * super::CHAINED_SLOT);
            zero_bytes_or_above(self.0 ^ mark) == 0x80 << (8 * super::CHAINED_SLOT)
        }

        /// Slots holding a live entry (tophash >= `MIN_TOPHASH`). Adding `0x80 - 5` to the low
        /// seven bits sets a byte's high bit exactly when those bits are >= 5; bytes >= 0x80
        /// already have it.
        #[inline]
        pub(crate) fn full(self) -> BitMask<3> {
            BitMask((((self.0 & LOW7) + repeat(0x80 - MIN_TOPHASH)) | self.0) & HIGH)
        }
    }

    impl Run {
        #[inline]
        pub(crate) fn new(bytes: super::RunBytes) -> Self {
            Run(core::array::from_fn(|bucket| {
                let word = bytes[8 * bucket..][..8].try_into().expect("eight bytes");
                Group::new(word)
            }))
        }

        /// Bit `8 * bucket + slot` set for each full slot: each bucket's [`full`](Group::full)
        /// (the high bit of each full byte) gathered into one byte by a multiply.
        #[inline]
        pub(crate) fn full(self) -> u64 {
            let mut mask = 0;
            for (bucket, group) in self.0.into_iter().enumerate() {
                let bytes_high = group.full().0 >> 7; // bit 8 * slot
                let byte = bytes_high.wrapping_mul(0x0102_0408_1020_4080) >> 56; // bit slot
                mask |= byte << (8 * bucket);
            }
            mask
        }

        /// Bit `8 * bucket + 7` set for each bucket whose chain goes on past it
        /// ([`Group::chain_goes_on`]: the `CHAINED` mark in slot 7 and no `EMPTY_REST`).
        #[inline]
        pub(crate) fn chains_going_on(self) -> u64 {
            let mut mask = 0;
            for (bucket, group) in self.0.into_iter().enumerate() {
                mask |= u64::from(group.chain_goes_on()) << (8 * bucket + 7);
            }
            mask
        }
    }
}

/// The x86-64 group: the eight bytes in the low half of an SSE2 register (the high half zero),
/// compared byte-wise with `PCMPEQB` and reduced to one bit per slot with `PMOVMSKB`. Exact, and
/// shorter than SWAR: a match costs a compare and a mask extraction, and the slot index is the
/// bit index.
///
/// # Invariants
/// 1. This module is compiled only when SSE2 is enabled at compile time (it is part of the x86-64
///    baseline), so its intrinsics may be called; none of them reads or writes memory, except:
/// 2. [`Run::new`](sse2::Run::new) loads the four 16-byte quarters of its own 64-byte argument,
///    each in bounds (`_mm_loadu_si128` has no alignment requirement).
/// 3. [`Needle::of`](sse2::Needle::of) loads 16 bytes from entry `i <= 255` of the 257-entry
///    needle table: entries `i` and `i + 1`, in bounds.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(crate) mod sse2 {
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cvtsi64_si128, _mm_cvtsi128_si32, _mm_cvtsi128_si64,
        _mm_loadu_si128, _mm_max_epu8, _mm_min_epu8, _mm_movemask_epi8, _mm_set1_epi8,
        _mm_setzero_si128,
    };

    use super::{BitMask, EMPTY_ONE, MIN_TOPHASH, NEEDLES};

    /// A tophash repeated in the low eight bytes of a vector register, and in the high eight
    /// bytes some byte that is never zero (the next table entry, or the tophash again): so the
    /// needle never matches the zero high half of a [`Group`], and a match needs no mask.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Needle(__m128i);

    impl Needle {
        /// The needle for a tophash byte (at least `MIN_TOPHASH`, so never zero); the tests' way
        /// to match any byte.
        #[cfg(test)]
        pub(crate) fn new(top: u8) -> Self {
            // SAFETY: invariant 1.
            Needle(unsafe { _mm_set1_epi8(top as i8) })
        }

        /// The needle for `tophash(hash)`: a shift and one 16-byte load of table entries `i` and
        /// `i + 1`, whose bytes are never zero.
        #[inline]
        pub(crate) fn of(hash: u64) -> Self {
            let index = (hash >> 56) as usize;
            // SAFETY: invariants 1 and 3: `index <= 255`, so the 16 bytes from entry `index` are
            // inside the 257-entry table.
            Needle(unsafe { _mm_loadu_si128(NEEDLES.as_ptr().add(index).cast()) })
        }

        /// The tophash byte it repeats (one move out of the vector register).
        #[inline]
        pub(crate) fn tophash(self) -> u8 {
            // SAFETY: invariant 1.
            unsafe { _mm_cvtsi128_si32(self.0) as u8 }
        }
    }

    /// Bits of the eight tophash bytes in a `PMOVMSKB` result (the high half of the register is
    /// zero padding).
    const LOW_HALF: i32 = 0xff;

    /// The eight tophash bytes of one bucket in the low half of a vector register.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Group(__m128i);

    /// The tophash words of [`RUN_BUCKETS`](super::RUN_BUCKETS) consecutive buckets, two per
    /// vector register.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Run([__m128i; 4]);

    // SAFETY (for every block below): invariant 1 of the module docs: SSE2 is statically
    // enabled, and these intrinsics only compute on register values, touching no memory.
    impl Group {
        #[inline]
        pub(crate) fn new(bytes: [u8; 8]) -> Self {
            // SAFETY: invariant 1.
            Group(unsafe { _mm_cvtsi64_si128(i64::from_le_bytes(bytes)) })
        }

        /// Slots whose tophash equals the needle's, exactly.
        ///
        /// No `LOW_HALF` mask: the group's high half is zero and the needle's high bytes never
        /// are, so only the low eight bits can be set. (With a needle zero in its high half, the
        /// two halves matched and every lookup paid a `movzbl` to drop them.)
        #[inline]
        pub(crate) fn matching(self, needle: Needle) -> BitMask<0> {
            // SAFETY: invariant 1.
            let mask = unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(self.0, needle.0)) };
            BitMask(u64::from(mask as u32))
        }

        /// Slots that are empty (`EMPTY_ONE` or `EMPTY_REST`; `CHAINED` is not).
        #[inline]
        pub(crate) fn empty(self) -> BitMask<0> {
            // A byte is <= 1 iff min(byte, 1) == byte.
            // SAFETY: invariant 1.
            let mask = unsafe {
                let one = _mm_set1_epi8(EMPTY_ONE as i8);
                _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(self.0, one), self.0))
            };
            BitMask((mask & LOW_HALF) as u64)
        }

        /// Whether some slot is `EMPTY_REST`, which ends the chain for every search.
        #[inline]
        pub(crate) fn has_empty_rest(self) -> bool {
            // SAFETY: invariant 1.
            let mask = unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(self.0, _mm_setzero_si128())) };
            mask & LOW_HALF != 0
        }

        /// Whether the bucket's chain goes on: slot 7 holds `CHAINED`.
        #[inline]
        pub(crate) fn chained(self) -> bool {
            // SAFETY: invariant 1.
            let word = unsafe { _mm_cvtsi128_si64(self.0) } as u64;
            word >> (8 * super::CHAINED_SLOT) == u64::from(super::CHAINED)
        }

        /// Whether a search that did not find its key here goes on to the next bucket: no slot
        /// is `EMPTY_REST` and slot 7 holds `CHAINED`. One compare with `[0, .., 0, CHAINED]`
        /// answers both, at the cost of `has_empty_rest`'s compare with zero: the mask is
        /// exactly slot 7's bit iff the bucket is chained and no other slot is `EMPTY_REST`.
        #[inline]
        pub(crate) fn chain_goes_on(self) -> bool {
            let mark = i64::from(super::CHAINED) << (8 * super::CHAINED_SLOT);
            // SAFETY: invariant 1.
            let mask =
                unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(self.0, _mm_cvtsi64_si128(mark))) };
            mask & LOW_HALF == 1 << super::CHAINED_SLOT
        }

        /// Slots holding a live entry (tophash >= `MIN_TOPHASH`); the zero padding never counts.
        #[inline]
        pub(crate) fn full(self) -> BitMask<0> {
            // A byte is >= 5 iff max(byte, 5) == byte.
            // SAFETY: invariant 1.
            let mask = unsafe {
                let min = _mm_set1_epi8(MIN_TOPHASH as i8);
                _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(self.0, min), self.0))
            };
            BitMask(u64::from(mask as u32))
        }
    }

    impl Run {
        #[inline]
        pub(crate) fn new(bytes: super::RunBytes) -> Self {
            Run(core::array::from_fn(|quarter| {
                // SAFETY: invariants 1 and 2: `quarter < 4`, so the 16 bytes read are inside
                // `bytes`.
                unsafe { _mm_loadu_si128(bytes.as_ptr().add(16 * quarter).cast()) }
            }))
        }

        /// Bit `8 * bucket + slot` set for each full slot (tophash >= `MIN_TOPHASH`): the same
        /// compare as [`Group::full`], 16 slots per `PMOVMSKB`.
        #[inline]
        pub(crate) fn full(self) -> u64 {
            let mut mask = 0;
            for (quarter, bytes) in self.0.into_iter().enumerate() {
                // SAFETY: invariant 1.
                let bits = unsafe {
                    let min = _mm_set1_epi8(MIN_TOPHASH as i8);
                    _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(bytes, min), bytes))
                };
                mask |= u64::from(bits as u16) << (16 * quarter);
            }
            mask
        }

        /// Bit `8 * bucket + 7` set for each bucket whose chain goes on past it
        /// ([`Group::chain_goes_on`]: the `CHAINED` mark in slot 7 and no `EMPTY_REST`).
        #[inline]
        pub(crate) fn chains_going_on(self) -> u64 {
            let (mut rest, mut marked) = (0, 0);
            for (quarter, bytes) in self.0.into_iter().enumerate() {
                // SAFETY: invariant 1.
                let (zero, mark) = unsafe {
                    let zero = _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_setzero_si128()));
                    let chained = _mm_set1_epi8(super::CHAINED as i8);
                    (zero, _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, chained)))
                };
                rest |= u64::from(zero as u16) << (16 * quarter);
                marked |= u64::from(mark as u16) << (16 * quarter);
            }
            // Bit `8 * bucket + slot` per EMPTY_REST slot: a bucket's chain can go on where its
            // byte is zero, and does where its slot 7 holds the mark as well.
            super::swar::zero_bytes(rest) & marked
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots<const SHIFT: u32>(mask: BitMask<SHIFT>) -> Vec<usize> {
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

    /// The table's needles as lookups use them: `Needle::of` repeats the hash's tophash in
    /// every slot it is compared with, and nothing else matches (in particular not the zero
    /// padding of an SSE2 group's high half, which the SSE2 needle's high bytes must never equal).
    #[test]
    fn needle_of_matches_its_tophash_only() {
        for top in 0..=255u64 {
            let hash = top << 56 | 0x1234_5678;
            let needle = Needle::of(hash);
            let byte = tophash(hash);
            assert_eq!(needle.tophash(), byte);
            assert_eq!(
                slots(Group::new([byte; 8]).matching(needle)),
                (0..8).collect::<Vec<_>>()
            );
            for other in [EMPTY_REST, EMPTY_ONE, CHAINED, byte ^ 0x80] {
                let mut bytes = [other; 8];
                bytes[3] = byte;
                assert_eq!(
                    slots(Group::new(bytes).matching(needle)),
                    [3],
                    "{top} {other}"
                );
            }
        }
    }

    /// A group's answers about where its chain ends.
    struct ChainAnswers {
        has_empty_rest: bool,
        chained: bool,
        chain_goes_on: bool,
    }

    /// Checks one group implementation against the byte-wise definitions on `bytes`. `exact` says
    /// whether `matching` may report extras (SWAR may, above the lowest equal slot, and only slots
    /// holding `top ^ 1`, which the callers' key comparison rejects).
    fn check_group<const SHIFT: u32>(
        bytes: [u8; 8],
        matching: impl Fn(u8) -> BitMask<SHIFT>,
        empty: BitMask<SHIFT>,
        full: BitMask<SHIFT>,
        chain: ChainAnswers,
        exact: bool,
    ) {
        // Natively every tophash; under Miri those that occur in `bytes` or are one bit off.
        let tops: Vec<u8> = if cfg!(miri) {
            bytes
                .iter()
                .flat_map(|&b| [b, b ^ 1])
                .chain([MIN_TOPHASH, 0xff])
                .collect()
        } else {
            (MIN_TOPHASH..=255).collect()
        };
        for top in tops.into_iter().filter(|&t| t >= MIN_TOPHASH) {
            let expected: Vec<usize> = (0..8).filter(|&i| bytes[i] == top).collect();
            let matched = slots(matching(top));
            if exact {
                assert_eq!(matched, expected, "{bytes:?} {top}");
            } else {
                assert!(
                    expected.iter().all(|i| matched.contains(i)),
                    "{bytes:?} {top}"
                );
                for &i in &matched {
                    assert!(
                        expected.contains(&i)
                            || (bytes[i] == top ^ 1 && expected.first().is_some_and(|&lo| i > lo)),
                        "{bytes:?} {top}: extra slot {i}"
                    );
                }
            }
        }
        let want_full: Vec<usize> = (0..8).filter(|&i| bytes[i] >= MIN_TOPHASH).collect();
        assert_eq!(slots(full), want_full, "{bytes:?}");
        let want_empty: Vec<usize> = (0..8).filter(|&i| bytes[i] <= EMPTY_ONE).collect();
        assert_eq!(slots(empty), want_empty, "{bytes:?}");
        assert_eq!(
            chain.has_empty_rest,
            bytes.contains(&EMPTY_REST),
            "{bytes:?}"
        );
        assert_eq!(chain.chained, bytes[CHAINED_SLOT] == CHAINED, "{bytes:?}");
        assert_eq!(
            chain.chain_goes_on,
            chain.chained && !bytes.contains(&EMPTY_REST),
            "{bytes:?}"
        );
    }

    /// Byte patterns that provoke SWAR borrows (a value, its neighbours, `value ^ 0x80`, every
    /// state byte) plus pseudo-random ones; fewer under Miri.
    fn patterns() -> Vec<[u8; 8]> {
        let step = if cfg!(miri) { 37 } else { 1 };
        let mut out = Vec::new();
        for value in (0u8..=255).step_by(step) {
            for pos in 0..8 {
                let mut bytes = [value.wrapping_add(1); 8];
                bytes[pos] = value;
                bytes[(pos + 1) % 8] = value ^ 0x80;
                out.push(bytes);
                let mut low = [value ^ 1; 8];
                low[pos] = value;
                out.push(low);
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..if cfg!(miri) { 20 } else { 20_000 } {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Bytes drawn mostly from the states and a few tophash values, so equal bytes and
            // state bytes are frequent.
            let alphabet = [0u8, 1, 2, 3, 4, 5, 6, 7, 0x80, 0x81, 0xfe, 0xff];
            out.push(core::array::from_fn(|i| {
                alphabet[(state >> (i * 8)) as usize % alphabet.len()]
            }));
        }
        out
    }

    /// A test running [`check_group`] over every pattern for one `Group` implementation.
    macro_rules! group_test {
        ($(#[$attr:meta])* $name:ident, $group:path, $needle:path, exact: $exact:expr) => {
            $(#[$attr])*
            #[test]
            fn $name() {
                for bytes in patterns() {
                    let g = <$group>::new(bytes);
                    let matching = |t| g.matching(<$needle>::new(t));
                    check_group(
                        bytes,
                        matching,
                        g.empty(),
                        g.full(),
                        ChainAnswers {
                            has_empty_rest: g.has_empty_rest(),
                            chained: g.chained(),
                            chain_goes_on: g.chain_goes_on(),
                        },
                        $exact,
                    );
                }
            }
        };
    }

    /// A test checking one `Run` implementation against the byte-wise definitions, on runs of
    /// eight consecutive patterns (so runs mix full, empty and `EMPTY_REST`-free buckets).
    macro_rules! run_test {
        ($(#[$attr:meta])* $name:ident, $run:path) => {
            $(#[$attr])*
            #[test]
            fn $name() {
                let patterns = patterns();
                let mut ending = [0usize; 2];
                for words in patterns.windows(RUN_BUCKETS).step_by(3) {
                    let bytes: RunBytes = core::array::from_fn(|i| words[i / 8][i % 8]);
                    let run = <$run>::new(bytes);
                    let want_full = (0..64)
                        .filter(|&i| bytes[i] >= MIN_TOPHASH)
                        .fold(0u64, |mask, i| mask | 1 << i);
                    assert_eq!(run.full(), want_full, "{words:?}");
                    let want_going_on = (0..RUN_BUCKETS)
                        .filter(|&b| {
                            !words[b].contains(&EMPTY_REST) && words[b][CHAINED_SLOT] == CHAINED
                        })
                        .fold(0u64, |mask, b| mask | 1 << (8 * b + 7));
                    assert_eq!(run.chains_going_on(), want_going_on, "{words:?}");
                    ending[usize::from(want_going_on == 0)] += 1;
                }
                assert!(ending[0] > 0 && ending[1] > 0, "both cases seen: {ending:?}");
            }
        };
    }

    run_test!(swar_run_answers_as_defined, swar::Run);
    run_test!(
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        sse2_run_answers_as_defined,
        sse2::Run
    );

    group_test!(swar_group_answers_every_query_as_defined, swar::Group, swar::Needle, exact: false);
    group_test!(
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        sse2_group_answers_every_query_exactly,
        sse2::Group,
        sse2::Needle,
        exact: true
    );
}
