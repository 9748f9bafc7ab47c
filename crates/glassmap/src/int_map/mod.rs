//! [`IntMap`]: a fixed-capacity, allocation-free open-addressing map from `u64` keys.
//!
//! # Layout
//!
//! One allocation, made by [`IntMap::try_with_capacity`] and never resized, holding two arrays
//! side by side (the storage, with all the `unsafe`, is `crate::raw::int_table`):
//!
//! ```text
//!   slot:      0        1          2          3        4        5     ...  slots-1
//!   entries: [ 0, -  ][ k, v    ][ k, v    ][ k', - ][ k, v   ][ 0, -  ] ... [ 0, -  ]
//!   states:  [Empty  ][Full tag ][Full tag ][Tomb   ][Full tag][Empty  ] ... [Empty  ]
//!                     ^ home(k) = mix(k) & (slots - 1); probing walks right and wraps around
//! ```
//!
//! An entry is a `u64` key and a possibly uninitialised value (16 bytes for `u64` values); a state
//! is one byte: Empty, Tombstone, or for a Full slot `0x80 | h7`, with `h7` the top 7 bits of the
//! key's mixed hash (like a SwissTable control byte). The slot state lives in its own byte, not in
//! a reserved key, so every `u64` is a valid key. Keys are always initialised (0 in slots never
//! used), so a lookup can load a slot's state byte and its key at the same time: neither address
//! depends on the other, and the two cache misses overlap. The key comparison only counts when
//! the state is the key's tag.
//!
//! `slots` is 0 or a power of two, and `capacity == slots / 2` (the maximum load; the reasons
//! are in the [`IntMap`] docs).
//!
//! # Invariants (checked by [`IntMap::assert_invariants`])
//!
//! 1. *Counts:* `len` is the number of `Full` slots and is at most `capacity`; `tombstones` is the
//!    number of `Tombstone` slots. `Moving` slots exist only inside [`IntMap::compact`].
//! 2. *Probe bound:* an entry whose key has home slot `h` is stored at `h + d (mod slots)` with
//!    `d < probe_limit`, where `probe_limit = min(MAX_PROBE, slots)`.
//! 3. *Reachability:* every slot from `h` up to (not including) the entry's slot is non-Empty.
//! 4. Keys are unique.
//! 5. *Tags:* a Full slot's state byte is its key's tag.
//!
//! # Why a lookup may stop where it stops
//!
//! A lookup walks from the home slot and stops at the key, at an `Empty` slot, or after
//! `probe_limit` slots.
//! - *At `Empty`:* by invariant 3 the key cannot be stored past an Empty slot. This holds because
//!   an insert takes the first free slot it meets, and a slot becomes Empty again only when
//!   nothing can be reached through it (see removal below) or when the whole table is rebuilt.
//! - *Not at `Tombstone`:* a tombstone marks an entry that was removed *after* later keys may
//!   have probed past it and settled further on. Treating it as Empty would lose those keys.
//! - *At the probe bound:* by invariant 2 no key is stored `probe_limit` or more slots past its
//!   home. A miss therefore costs at most `probe_limit` slots even when tombstones have replaced
//!   every Empty slot on its path, which is what bounds the worst case.
//!
//! # Why tombstones
//!
//! Removing an entry by emptying its slot would break invariant 3 for keys that probed past it.
//! The alternative, backward-shift deletion (Knuth's Algorithm R), moves later entries back and
//! rehashes each; tombstones keep removal to one write, never move an entry during `remove` or
//! `retain` (so `retain` can scan the table once), and their cost, longer misses, is capped by
//! the probe bound and paid back by [`IntMap::compact`]. Two things keep them rare:
//! - `remove` writes `Empty` instead of a tombstone when the next slot is Empty (no probe can
//!   pass through the slot, since it would have to continue into that Empty slot), and then turns
//!   the run of tombstones just before it back into Empty slots for the same reason;
//! - `insert` reuses the first tombstone on the key's path once it has confirmed, within the
//!   bound, that the key is absent.
//!
//! # Compaction
//!
//! [`IntMap::compact`] rebuilds the table in place without allocating: it turns tombstones into
//! Empty slots and every entry into a `Moving` slot, then re-places the moving entries one by one
//! with Robin Hood insertion (an entry takes over a slot whose occupant is closer to its own home
//! and carries the occupant on), treating `Moving` slots as free: landing on one swaps the two
//! entries and continues with the displaced one from its home. Each step either places an entry
//! for good or moves the walk forward, and there is always an Empty slot (`len <= slots / 2`),
//! so it terminates. Placed entries only ever sit on runs of placed entries, so invariant 3 holds
//! for them throughout, and the final layout is the Robin Hood one: within every run, entries are
//! in order of home slot. That order minimises the largest probe distance over all layouts of the
//! same keys (it is earliest-deadline-first scheduling with equal windows), and the layout before
//! compaction was one such layout within the bound, so compaction never increases
//! [`IntMapStats::max_probe`] and invariant 2 keeps holding.

mod error;
mod iter;
mod stats;

use core::{fmt, mem};

pub use error::{CapacityError, Full, FullReason};
pub use iter::{IntMapIntoIter, IntMapIter, IntMapIterMut};
pub use stats::IntMapStats;

use crate::raw::int_table::{EMPTY, GROUP, IntTable, TOMBSTONE, TableError};
// The top bit of each zero byte of a word, and no other bit (exact).
use crate::raw::tophash::swar::zero_bytes;

/// Upper bound on the number of slots a lookup examines (see the [`IntMap`] docs for the choice).
const MAX_PROBE: usize = 128;

// Slot states, one byte each in the table's state array. `EMPTY` and `TOMBSTONE` come from the
// table (which only tells them from the others: a slot holds a value exactly when its state is
// neither).
//
// - `EMPTY` (0): never used since the last rebuild: lookups stop here.
// - `TOMBSTONE` (1): held an entry that was removed: lookups walk past it, inserts may reuse it.
// - `MOVING`: an entry waiting to be re-placed; exists only during [`IntMap::compact`].
// - Full: an entry, state `0x80 | h7` where `h7` is 7 bits of the key's hash (its [`tag`]).

/// State of an entry waiting to be re-placed by [`IntMap::compact`].
const MOVING: u8 = 2;

/// The state byte of a Full slot holding a key with hash `hash`: the top bit set and the top 7
/// bits of the hash below it. The home slot uses the low bits, so the two are independent, and a
/// probe that meets another key's entry rejects it from the state byte alone 127 times in 128.
#[inline]
fn tag(hash: u64) -> u8 {
    0x80 | (hash >> 57) as u8
}

/// The low bit of every byte of a word.
const LSB: u64 = 0x0101_0101_0101_0101;

/// Whether state byte `s` is a Full slot's.
#[inline]
fn is_full(s: u8) -> bool {
    s & 0x80 != 0
}

/// Scrambles a key into a 64-bit hash whose low bits pick the home slot.
///
/// This is the SplitMix64 output finaliser: constants and shifts are David Stafford's "Mix13"
/// (2011, found by searching for the best avalanche over variants of MurmurHash3's `fmix64`),
/// as used by Steele, Lea and Flood, "Fast Splittable Pseudorandom Number Generators" (OOPSLA
/// 2014) and Java's `SplittableRandom`. Every step is invertible, so distinct keys get distinct
/// hashes, and every input bit affects every output bit, so strided keys (multiples of 2^20,
/// `k << 32`, sequential runs) spread like random ones instead of sharing low bits.
#[inline]
fn mix(key: u64) -> u64 {
    let mut z = key;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A fixed-capacity hash map from `u64` keys to `V` that never allocates after it is built.
///
/// [`with_capacity`](Self::with_capacity) makes the one allocation the map will ever make (a table
/// of `2 * capacity` slots); from then on `insert`, `get`, `remove`, `retain`, `clear`, `compact`,
/// iteration and [`stats`](Self::stats) only read and write that table. When the table has no
/// room, [`insert`](Self::insert) returns [`Full`] with the value instead of growing.
///
/// # Examples
///
/// ```
/// use glassmap::{FullReason, IntMap};
///
/// let mut ages = IntMap::with_capacity(100);
/// assert!(ages.capacity() >= 100);
///
/// assert_eq!(ages.insert(7, "seven"), Ok(None));
/// assert_eq!(ages.insert(7, "SEVEN"), Ok(Some("seven"))); // updating always succeeds
/// assert_eq!(ages.get(7), Some(&"SEVEN"));
/// assert_eq!(ages.insert(u64::MAX, "max"), Ok(None)); // every u64 is a valid key
/// assert_eq!(ages.remove(7), Some("SEVEN"));
/// assert_eq!(ages.len(), 1);
///
/// // A full map refuses new keys and hands the value back.
/// let mut tiny = IntMap::with_capacity(1);
/// tiny.insert(1, String::from("one")).unwrap();
/// let err = tiny.insert(2, String::from("two")).unwrap_err();
/// assert_eq!(err.reason, FullReason::AtCapacity);
/// assert_eq!(err.into_value(), "two");
/// assert_eq!(tiny.len(), 1);
/// ```
///
/// # Design
///
/// - **Open addressing with linear probing** over one allocation holding a state byte per slot
///   (Empty, Tombstone, or Full with 7 bits of the key's hash) and a `(key, value)` entry per
///   slot: every `u64` is a valid key. The storage is a small engine type in `raw`, where the
///   crate's `unsafe` code lives; the map itself is safe Rust on top of it. Keys are scrambled by the SplitMix64 finaliser (two multiplies) before their low bits
///   choose the home slot, so strided keys do not cluster.
/// - **Maximum load 1/2:** [`capacity`](Self::capacity) is `n` rounded up to a power of two and
///   the table has twice that many slots. Linear probing clusters, and clusters grow fast with
///   load: a miss examines about `(1 + 1/(1-a)^2) / 2` slots at load `a`, which is 2.5 at 1/2,
///   8.5 at 3/4 and 32.5 at 7/8. More to the point here, the *longest* probe at full load must
///   stay well under the probe bound, or inserts of ordinary keys would be refused early. The
///   longest probe distance when filling a table with random keys to the given load (test
///   `probe_survey` in `tests/int_map.rs`):
///
///   | load | slots | runs | median | worst run |
///   |------|-------|------|--------|-----------|
///   | 1/2  | 2^16  | 2000 | 25     | 53        |
///   | 1/2  | 2^20  | 200  | 35     | 52        |
///   | 3/4  | 2^16  | 2000 | 106    | 244       |
///   | 3/4  | 2^20  | 10   | 174    | 239       |
///   | 7/8  | 2^16  | 2000 | 377    | 1089      |
///   | 7/8  | 2^20  | 3    | 640    | 683       |
///
///   Load 1/2 is the only one of these whose worst runs stay far below a bound small enough to be
///   a useful worst case. It costs memory: 2 to 4 slots per requested entry, a slot taking
///   `size_of::<(u64, V)>() + 1` bytes (17 for `u64` values).
/// - **Probe bound [`MAX_PROBE`](Self::MAX_PROBE) = 128 slots** (or the whole table, if smaller).
///   No entry is stored 128 or more slots past its home, so every lookup examines at most 128
///   slots, whatever the tombstones. An insert that finds no free slot within the bound returns
///   [`Full`] with [`FullReason::ProbeLimit`]; for random keys at full load the longest distance
///   measured was 53 (above), so this takes keys picked to collide. Under insert/remove churn at
///   full capacity (2^20 slots, 2^20 x 20 rounds) the longest insert probe measured was 63.
/// - **Removal leaves a tombstone** (unless the next slot is Empty), which lookups walk past and
///   inserts reuse. Under sustained churn Empty slots turn into tombstones, and misses (including
///   the absence check of every insert of a new key) approach the full probe bound; call
///   [`compact`](Self::compact) when [`tombstones`](Self::tombstones) grows (for instance beyond
///   `len / 2`) to rebuild the table in place, without allocating.
///
/// - **Speed:** the point of `IntMap` is predictability (no allocation, bounded probes), not beating
///   hashbrown. For `u64` values its table is the size of hashbrown's (16-byte entries plus one
///   state byte per slot, at the same load of about 1/2 for 1M entries), and its state bytes, like
///   hashbrown's control bytes, are a dense array small enough to stay cached, so most misses are
///   answered from them. A hit at its home slot loads the state byte and the key independently,
///   where hashbrown's bucket load waits for its control-byte match; measured, this does not make
///   hits faster than hashbrown's at 1M entries (0.7 to 1.1 times its throughput in repeated
///   runs, the spread mostly hashbrown's: in a stream of independent lookups both overlap many
///   cache misses anyway). `benches/int_map.rs` has the
///   figures.
///
/// Time: `get`, `insert`, `remove` and `contains_key` examine at most `MAX_PROBE` slots;
/// `clear`, `retain`, `compact`, `stats`, iteration and `Clone` are O(slots).
pub struct IntMap<V> {
    table: IntTable<V>,
    len: usize,
    tombstones: usize,
}

impl<V> IntMap<V> {
    /// The probe bound: no lookup examines more than this many slots (fewer in tables with fewer
    /// slots). See the type docs for why 128.
    pub const MAX_PROBE: usize = MAX_PROBE;

    /// Creates a map that holds at least `n` entries, making the only allocation the map will
    /// ever make.
    ///
    /// The capacity is `n` rounded up to a power of two, over twice as many slots; `n == 0` gives a
    /// map of capacity 0 that does not allocate and refuses every insert. Every slot is written
    /// here, so later operations do not page-fault on untouched memory. This takes O(capacity).
    ///
    /// # Panics
    ///
    /// If the table would exceed `isize::MAX` bytes or the allocator fails: see
    /// [`try_with_capacity`](Self::try_with_capacity) for the same without panicking.
    ///
    /// # Examples
    ///
    /// ```
    /// let map = glassmap::IntMap::<u64>::with_capacity(1000);
    /// assert_eq!(map.capacity(), 1024);
    /// assert_eq!(map.stats().slots, 2048);
    /// ```
    pub fn with_capacity(n: usize) -> Self {
        match Self::try_with_capacity(n) {
            Ok(map) => map,
            Err(e) => panic!("IntMap::with_capacity({n}): {e}"),
        }
    }

    /// Creates a map that holds at least `n` entries, like [`with_capacity`](Self::with_capacity),
    /// but reports an impossible size or a failed allocation instead of panicking or aborting.
    ///
    /// # Errors
    ///
    /// [`CapacityError::TooLarge`] if the table for `n` entries would exceed `isize::MAX` bytes,
    /// [`CapacityError::AllocFailed`] if the allocator refuses it.
    ///
    /// # Examples
    ///
    /// ```
    /// use glassmap::{CapacityError, IntMap};
    ///
    /// assert_eq!(IntMap::<u8>::try_with_capacity(0).unwrap().capacity(), 0);
    /// assert_eq!(
    ///     IntMap::<u8>::try_with_capacity(usize::MAX).unwrap_err(),
    ///     CapacityError::TooLarge { requested: usize::MAX }
    /// );
    /// ```
    pub fn try_with_capacity(n: usize) -> Result<Self, CapacityError> {
        let too_large = CapacityError::TooLarge { requested: n };
        let slots = match n {
            0 => 0,
            _ => n
                .checked_next_power_of_two()
                .and_then(|c| c.checked_mul(2))
                .ok_or(too_large)?,
        };
        let table = IntTable::try_new(slots).map_err(|e| match e {
            TableError::TooLarge => too_large,
            TableError::AllocFailed { bytes } => CapacityError::AllocFailed {
                requested: n,
                bytes,
            },
        })?;
        Ok(IntMap {
            table,
            len: 0,
            tombstones: 0,
        })
    }

    /// The number of entries the map can hold: a power of two (or 0), half the slot count.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.table.slots() / 2
    }

    /// The number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the map holds no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of tombstones: slots of removed entries that lookups still walk past until
    /// [`compact`](Self::compact) or [`clear`](Self::clear).
    #[inline]
    pub fn tombstones(&self) -> usize {
        self.tombstones
    }

    /// `slots - 1`: reduces a hash or a slot index modulo the (power of two) slot count.
    #[inline]
    fn mask(&self) -> usize {
        self.table.slots().wrapping_sub(1)
    }

    /// How many slots a probe sequence may cover.
    #[inline]
    fn probe_limit(&self) -> usize {
        self.table.slots().min(MAX_PROBE)
    }

    /// The slot where the probe sequence for `key` starts (0 for a zero-capacity map). It depends
    /// only on the key and the number of slots.
    #[inline]
    pub fn home_slot(&self, key: u64) -> usize {
        // Truncating the hash on 32-bit targets is fine: only its low bits are used.
        mix(key) as usize & self.table.slots().saturating_sub(1)
    }

    /// The index of the slot that holds `key`, if present: its probe distance is
    /// `slot_of(key) - home_slot(key)` modulo the slot count.
    #[inline]
    pub fn slot_of(&self, key: u64) -> Option<usize> {
        self.find(key)
    }

    /// Returns a reference to the value of `key`.
    #[inline]
    pub fn get(&self, key: u64) -> Option<&V> {
        self.table.value(self.find(key)?)
    }

    /// The lookup: the slot index of `key`, walking from its home slot until the key, an Empty
    /// slot or the probe bound (see the module docs for why each may end it).
    ///
    /// The home slot first: its state byte and its key are loaded independently (keys are always
    /// initialised, so any slot's key may be read), so the two cache misses overlap, and a key
    /// found at home (most hits) costs one round trip. Otherwise the rest of the first [`GROUP`]
    /// slots are checked at once from the word of state bytes already loaded: SWAR matching for
    /// the key's tag and for Empty, then a key comparison at each tag match before the first
    /// Empty slot. Lookups the first group does not decide (no Empty slot in it and no match)
    /// continue slot by slot.
    #[inline]
    fn find(&self, key: u64) -> Option<usize> {
        let slots = self.table.slots();
        let mask = self.mask();
        let hash = mix(key);
        let tag = tag(hash);
        let home = hash as usize & mask;
        let mut start = 0;
        if slots >= GROUP {
            let states = self.table.state_group(home);
            if states as u8 == tag && self.table.key(home) == key {
                return Some(home);
            }
            let empty = zero_bytes(states);
            // Bits of the bytes before the first Empty one (all of them if there is none).
            let before_empty = (empty & empty.wrapping_neg()).wrapping_sub(1);
            // Byte 0, the home slot, was checked above.
            let mut candidates = zero_bytes(states ^ (u64::from(tag) * LSB)) & before_empty & !0xff;
            while candidates != 0 {
                let i = (home + candidates.trailing_zeros() as usize / 8) & mask;
                if self.table.key(i) == key {
                    return Some(i);
                }
                candidates &= candidates - 1;
            }
            if empty != 0 {
                return None;
            }
            start = GROUP;
        }
        let mut i = (home + start) & mask;
        for _ in start..self.probe_limit() {
            let state = self.table.state(i);
            if state == tag && self.table.key(i) == key {
                return Some(i);
            }
            if state == EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
        None
    }

    /// Returns a mutable reference to the value of `key`.
    #[inline]
    pub fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        let i = self.find(key)?;
        self.table.value_mut(i)
    }

    /// Whether the map holds `key`.
    #[inline]
    pub fn contains_key(&self, key: u64) -> bool {
        self.find(key).is_some()
    }

    /// Inserts `value` under `key`, returning the value it replaces.
    ///
    /// Replacing the value of a key already present always succeeds. A new key goes into the
    /// first tombstone or Empty slot on its probe sequence, once the sequence has shown the key
    /// is absent (it ends at an Empty slot or at the probe bound).
    ///
    /// # Errors
    ///
    /// For a new key, [`Full`] (holding `key` and `value`) when the map already holds
    /// [`capacity`](Self::capacity) entries ([`FullReason::AtCapacity`]) or when none of the
    /// [`MAX_PROBE`](Self::MAX_PROBE) slots from its home slot is free
    /// ([`FullReason::ProbeLimit`]). The map is unchanged.
    #[inline]
    pub fn insert(&mut self, key: u64, value: V) -> Result<Option<V>, Full<V>> {
        let mask = self.mask();
        let hash = mix(key);
        let tag = tag(hash);
        let mut i = hash as usize & mask;
        let mut free = None;
        for _ in 0..self.probe_limit() {
            let state = self.table.state(i);
            if (state == tag) & (self.table.key(i) == key)
                && let Some(v) = self.table.value_mut(i)
            {
                return Ok(Some(mem::replace(v, value)));
            }
            if state == EMPTY {
                free = free.or(Some(i));
                break;
            }
            if state == TOMBSTONE {
                free = free.or(Some(i));
            }
            i = (i + 1) & mask;
        }
        if self.len == self.capacity() {
            return Err(Full::new(key, value, FullReason::AtCapacity));
        }
        let Some(i) = free else {
            return Err(Full::new(key, value, FullReason::ProbeLimit));
        };
        if self.table.state(i) == TOMBSTONE {
            self.tombstones -= 1;
        }
        self.table.put(i, tag, key, value);
        self.len += 1;
        Ok(None)
    }

    /// Removes `key`, returning its value.
    #[inline]
    pub fn remove(&mut self, key: u64) -> Option<V> {
        let i = self.find(key)?;
        Some(self.take(i))
    }

    /// Removes the entry in slot `i`, which must be Full, leaving a tombstone, or an Empty slot
    /// when no probe can pass through it (see the module docs).
    fn take(&mut self, i: usize) -> V {
        let mask = self.mask();
        let next_is_empty = self.table.state((i + 1) & mask) == EMPTY;
        let left = if next_is_empty { EMPTY } else { TOMBSTONE };
        let Some((_, value)) = self.table.take(i, left) else {
            unreachable!("IntMap::take({i}) on a slot that holds no entry");
        };
        self.len -= 1;
        if next_is_empty {
            // Slot i is Empty now, so no probe can pass through the tombstones right before it
            // either. The walk stops at slot i at the latest.
            let mut j = i.wrapping_sub(1) & mask;
            while self.table.state(j) == TOMBSTONE {
                self.table.set_state(j, EMPTY);
                self.tombstones -= 1;
                j = j.wrapping_sub(1) & mask;
            }
        } else {
            self.tombstones += 1;
        }
        value
    }

    /// Removes every entry, dropping the values. Keeps the table (no allocation or deallocation).
    ///
    /// O(slots), or O(1) when the map has neither entries nor tombstones. If a value's `Drop`
    /// panics, the entries not yet dropped stay in the map, which remains consistent.
    pub fn clear(&mut self) {
        if self.len == 0 && self.tombstones == 0 {
            return;
        }
        if mem::needs_drop::<V>() {
            // Each value is removed as by `remove` before it is dropped, so a panicking drop
            // leaves a valid map behind.
            for i in 0..self.table.slots() {
                if let Some(entry) = self.table.take(i, TOMBSTONE) {
                    self.len -= 1;
                    self.tombstones += 1;
                    drop(entry);
                }
            }
        }
        // No values left to drop (or none whose drop does anything): this cannot panic, and only
        // the state bytes are written.
        self.table.reset_states();
        self.len = 0;
        self.tombstones = 0;
    }

    /// Keeps only the entries for which `keep(key, &mut value)` returns `true`, dropping the
    /// others. O(slots).
    ///
    /// Removed entries leave tombstones as with [`remove`](Self::remove). If `keep` or a value's
    /// `Drop` panics, the map stays consistent, with the entries not yet visited kept.
    pub fn retain<F: FnMut(u64, &mut V) -> bool>(&mut self, mut keep: F) {
        // Backwards, so that when slot i is removed, slot i + 1 has had its turn and, if it was
        // removed too, is already Empty: fewer tombstones.
        for i in (0..self.table.slots()).rev() {
            let k = self.table.key(i);
            if let Some(v) = self.table.value_mut(i)
                && !keep(k, v)
            {
                drop(self.take(i));
            }
        }
    }

    /// Rebuilds the table in place, turning every tombstone back into an Empty slot, without
    /// allocating. Does nothing when there are no tombstones.
    ///
    /// The entries end up in Robin Hood order (see the module source for the algorithm), so
    /// [`IntMapStats::max_probe`] never increases and usually drops. O(slots); runs no user code.
    pub fn compact(&mut self) {
        if self.tombstones == 0 {
            return;
        }
        for i in 0..self.table.slots() {
            match self.table.state(i) {
                TOMBSTONE => self.table.set_state(i, EMPTY),
                EMPTY => {}
                _ => self.table.set_state(i, MOVING),
            }
        }
        self.tombstones = 0;
        for i in 0..self.table.slots() {
            if self.table.state(i) == MOVING {
                let Some((k, v)) = self.table.take(i, EMPTY) else {
                    unreachable!()
                };
                self.place(k, v);
            }
        }
        debug_assert_eq!(self.invariants(), Ok(()));
    }

    /// Places an entry during [`compact`](Self::compact): Robin Hood insertion that treats
    /// `MOVING` slots as free. Landing on one swaps in the carried entry and carries the moving
    /// one from its own home; an occupant closer to its home than the carried entry is to its own
    /// is swapped out and carried on. Ends at an Empty slot, and one always exists because
    /// `len <= slots / 2`.
    fn place(&mut self, mut key: u64, mut value: V) {
        let mask = self.mask();
        let mut i = self.home_slot(key);
        let mut dist = 0;
        loop {
            match self.table.state(i) {
                EMPTY => {
                    self.table.put(i, tag(mix(key)), key, value);
                    return;
                }
                MOVING => {
                    let Some((k, v)) = self.table.put(i, tag(mix(key)), key, value) else {
                        unreachable!()
                    };
                    (key, value) = (k, v);
                    i = self.home_slot(key);
                    dist = 0;
                    continue;
                }
                TOMBSTONE => unreachable!("IntMap::compact: tombstone left in the table"),
                _ => {
                    let their_dist = i.wrapping_sub(self.home_slot(self.table.key(i))) & mask;
                    if their_dist < dist {
                        let Some((k, v)) = self.table.put(i, tag(mix(key)), key, value) else {
                            unreachable!()
                        };
                        (key, value) = (k, v);
                        dist = their_dist;
                    }
                }
            }
            i = (i + 1) & mask;
            dist += 1;
        }
    }

    /// Checks the invariants listed in the module docs, without allocating unless one is broken.
    /// O(slots + total probe distance).
    fn invariants(&self) -> Result<(), String> {
        let slots = self.table.slots();
        if slots != 0 && !slots.is_power_of_two() {
            return Err(format!("{slots} slots is not a power of two"));
        }
        let (mask, limit) = (self.mask(), self.probe_limit());
        let (mut full, mut tombstones) = (0, 0);
        for i in 0..slots {
            let (state, k) = (self.table.state(i), self.table.key(i));
            match state {
                EMPTY => continue,
                TOMBSTONE => {
                    tombstones += 1;
                    continue;
                }
                MOVING => return Err(format!("slot {i}: key {k} left Moving")),
                _ if state != tag(mix(k)) => {
                    return Err(format!("slot {i}: state {state:#x} is not key {k}'s tag"));
                }
                _ => {}
            }
            full += 1;
            let home = self.home_slot(k);
            let dist = i.wrapping_sub(home) & mask;
            if dist >= limit {
                return Err(format!(
                    "slot {i}: key {k} is {dist} past home {home}, limit {limit}"
                ));
            }
            let path = (0..dist).map(|d| (home + d) & mask);
            if let Some(gap) = path.clone().find(|&j| self.table.state(j) == EMPTY) {
                return Err(format!(
                    "slot {i}: key {k} unreachable, slot {gap} is Empty"
                ));
            }
            if let Some(dup) = path
                .clone()
                .find(|&j| is_full(self.table.state(j)) && self.table.key(j) == k)
            {
                return Err(format!("slot {i}: key {k} is also in slot {dup}"));
            }
        }
        if full != self.len || tombstones != self.tombstones || self.len > self.capacity() {
            return Err(format!(
                "counts: len {} (counted {full}), tombstones {} (counted {tombstones}), capacity {}",
                self.len,
                self.tombstones,
                self.capacity()
            ));
        }
        Ok(())
    }

    /// Panics with a description if the table breaks one of its invariants: a testing hook, not
    /// part of the stable API. O(slots + total probe distance); allocates only to report a
    /// broken invariant.
    #[doc(hidden)]
    pub fn assert_invariants(&self) {
        if let Err(e) = self.invariants() {
            panic!("IntMap invariant broken: {e}");
        }
    }
}

impl<V> IntMap<V> {
    /// An iterator over `(key, &value)` in slot order (which depends on the keys and the history
    /// of the table, not on insertion order alone).
    pub fn iter(&self) -> IntMapIter<'_, V> {
        IntMapIter::new(self.table.iter(), self.len)
    }

    /// An iterator over `(key, &mut value)` in slot order.
    pub fn iter_mut(&mut self) -> IntMapIterMut<'_, V> {
        IntMapIterMut::new(self.table.iter_mut(), self.len)
    }

    /// A snapshot of the table: counts, the probe bound and a histogram of the entries' probe
    /// distances. O(slots); does not allocate.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut map = glassmap::IntMap::with_capacity(8);
    /// for k in 0..8 {
    ///     map.insert(k, ()).unwrap();
    /// }
    /// let stats = map.stats();
    /// assert_eq!((stats.len, stats.capacity, stats.slots), (8, 8, 16));
    /// assert_eq!(stats.probe_lengths.iter().sum::<usize>(), 8);
    /// println!("{stats}");
    /// ```
    pub fn stats(&self) -> IntMapStats {
        let mask = self.mask();
        let mut probe_lengths = [0; MAX_PROBE];
        let mut max_probe = 0;
        for i in 0..self.table.slots() {
            if is_full(self.table.state(i)) {
                let dist = i.wrapping_sub(self.home_slot(self.table.key(i))) & mask;
                max_probe = max_probe.max(dist);
                probe_lengths[dist.min(MAX_PROBE - 1)] += 1;
            }
        }
        IntMapStats {
            len: self.len,
            capacity: self.capacity(),
            slots: self.table.slots(),
            tombstones: self.tombstones,
            probe_limit: self.probe_limit(),
            max_probe,
            probe_lengths,
        }
    }
}

/// Clones the table as it is, tombstones included: one allocation, like
/// [`with_capacity`](IntMap::with_capacity).
impl<V: Clone> Clone for IntMap<V> {
    fn clone(&self) -> Self {
        IntMap {
            table: self.table.clone(),
            len: self.len,
            tombstones: self.tombstones,
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for IntMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a, V> IntoIterator for &'a IntMap<V> {
    type Item = (u64, &'a V);
    type IntoIter = IntMapIter<'a, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, V> IntoIterator for &'a mut IntMap<V> {
    type Item = (u64, &'a mut V);
    type IntoIter = IntMapIterMut<'a, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// Consumes the map, yielding `(key, value)` in slot order; the table is freed when the iterator
/// is dropped.
impl<V> IntoIterator for IntMap<V> {
    type Item = (u64, V);
    type IntoIter = IntMapIntoIter<V>;

    fn into_iter(self) -> Self::IntoIter {
        IntMapIntoIter::new(self.table, self.len)
    }
}
