//! [`IntMap`]: a fixed-capacity, allocation-free open-addressing map from `u64` keys.
//!
//! # Layout
//!
//! One allocation, made by [`IntMap::try_with_capacity`] and never resized, holding an array of
//! `(key, value)` entries (the storage and the probing, with all the `unsafe`, are in the `table`
//! submodule, `int_map/table.rs`):
//!
//! ```text
//!   slot:      0        1        2        3        4     ...  slots-1  | tail: probe_limit - 1
//!   entries: [ 0, -  ][ k, v  ][ k, v  ][ k, v  ][ 0, -  ] ... [ k, v  ] | [ k, v  ][ 0, -  ] ...
//!                     ^ home(k) = top log2(slots) bits of mix(k); probing walks right, into
//!                       the tail past the last home slot, never wrapping
//!   side slot: Option<V>, the value of key 0
//!   home filter (before the entries, same allocation): a 64-bit word per 8 home slots
//!   occupancy bitmap (between the filter and the entries): one bit per slot, set while in use
//! ```
//!
//! An entry is a `u64` key and a possibly uninitialised value (16 bytes for `u64` values). Key 0
//! marks a free slot, so a lookup reads one thing per slot, the key, and that one load both
//! detects a free slot and matches the key: one cache miss per lookup for most hits and misses
//! in a table that does not fit the cache. The real key 0 is kept beside the table in a side
//! slot (an `Option<V>` in the map), so every `u64` is still a valid key; it counts towards
//! `len` and `capacity` like any other entry, its [`home_slot`](IntMap::home_slot) and
//! [`slot_of`](IntMap::slot_of) are `slots` (one past the table) and its probe distance is 0.
//!
//! A *home filter* in front of the entries keeps a 64-bit word per 8 home slots, in which each
//! key of those home slots sets 2 bits picked by its hash (a blocked Bloom filter, kept exact
//! under removal). A lookup tests its bits first, so most misses (about 98 in 100) are answered
//! from the filter (a small, cache-resident array) without reading the entries at all. An
//! *occupancy bitmap* (a bit per slot) lets an insert of a key the filter rules out find its free
//! slot without reading the entries either, so it only writes its entry.
//!
//! `slots` is 0 or a power of two, and `capacity == slots / 2` (the maximum load; the reasons
//! are in the [`IntMap`] docs).
//!
//! # Invariants (checked by [`IntMap::assert_invariants`])
//!
//! The table's own invariants (numbered in `table.rs`) make every key reachable from its home
//! slot through slots in use and keep keys unique; on top of them the map keeps:
//!
//! 1. *Counts:* `len` (the table's entries plus the side slot) is at most `capacity`.
//! 2. *Probe bound:* an entry whose key has home slot `h` is stored at `h + d (mod slots)` with
//!    `d < probe_limit`, where `probe_limit = min(MAX_PROBE, slots)`.
//!
//! # Why a lookup may stop where it stops
//!
//! A lookup walks from the home slot and stops at the key, at a free slot, or after
//! `probe_limit` slots.
//! - *At a free slot:* the key cannot be stored past a free slot on its path (table invariant
//!   5). Inserts take the first free slot they meet, and removal moves entries back instead of
//!   leaving tombstones, so this holds at all times.
//! - *At the probe bound:* by invariant 2 no key is stored `probe_limit` or more slots past its
//!   home, so a miss costs at most `probe_limit` slots even inside a long cluster.
//!
//! # Removal without tombstones
//!
//! `remove` empties the slot and then shifts the following entries of the cluster back into the
//! hole when their home allows it (backward-shift deletion, Knuth's Algorithm R; the details are
//! in `table.rs`). A shift only moves an entry closer to its home, so invariant 2 keeps holding.
//! It costs a rehash of each entry it looks at until the next free slot, in exchange for lookups
//! and inserts that never meet a tombstone: under sustained churn misses stay as short as
//! in a freshly filled table, and no compaction is needed. (Until this change `IntMap` left
//! tombstones, kept a state byte per slot to mark them, and rebuilt the table in `compact`.)

mod error;
mod iter;
mod stats;
#[allow(unsafe_code)]
mod table;

use core::{fmt, mem};

pub use error::{CapacityError, Full, FullReason};
pub use iter::{IntMapIntoIter, IntMapIter, IntMapIterMut};
pub use stats::IntMapStats;

use self::table::{EMPTY, Hashes, IntTable, Probe, TableError};

/// Upper bound on the number of slots a lookup examines (see the [`IntMap`] docs for the choice).
const MAX_PROBE: usize = 128;

/// Scrambles a key into a 64-bit hash whose *top* bits pick the home slot: a *folded
/// multiply*, the 128-bit product of the key and an odd constant with its two halves XORed.
///
/// One multiply and one XOR (plus the table's shift), where the SplitMix64 finaliser used before
/// cost two multiplies and three shift-XORs, 12 of a hit's 33 instructions. Why the top bits
/// spread structured keys: the top bits of the product's low half are Fibonacci hashing (Knuth's
/// multiplicative method), which every bit of the key reaches through the carries and which
/// spreads arithmetic progressions (sequential keys, multiples of 2^20, `k << 32`) evenly; the
/// high half adds the key's high bits once more, which fixes Fibonacci hashing's own bad case,
/// keys that are multiples of the constant. Measured before choosing (linear probing at load
/// 1/2, 2^15 slots, mean / longest probe distance): sequential 0.00 / 0, multiples of 2^20
/// 0.66 / 2, `k << 32` 0.00 / 0, `k << 50 | 1` 0.41 / 17, multiples of the constant 0.44 / 15,
/// random 0.51 / 23 (SplitMix64: 0.48-0.53 / 18-35 on all of them). The *low* bits of the same
/// folded product clustered multiples of 2^20 (mean 3.53), and Fibonacci hashing alone clustered
/// multiples of the constant (mean 6.52): both were rejected. Keys chosen to collide can still be
/// found (as for any fixed function, SplitMix64 included); the probe bound turns that into a
/// [`FullReason::ProbeLimit`] refusal, not a slow map. `tests/int_map.rs`
/// (`strided_keys_spread_like_random_ones`) checks these patterns and more.
#[inline]
fn mix(key: u64) -> u64 {
    /// The fractional part of the golden ratio, odd (Knuth's multiplicative hashing constant).
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let product = u128::from(key) * u128::from(K);
    (product as u64) ^ ((product >> 64) as u64)
}

/// The map's hash for the table: [`mix`] (the table takes its top bits as the home slot).
struct Mixed;

impl Hashes for Mixed {
    #[inline]
    fn hash(&self, key: u64) -> u64 {
        mix(key)
    }
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
/// - **Open addressing with linear probing** over one allocation of `(key, value)` entries, in
///   which key 0 marks a free slot: a lookup reads one key per slot, and that load both matches
///   the key and detects the free slot that ends a miss. The real key 0 lives in a side slot
///   beside the table, so every `u64` is a valid key. The table and its probing, with all the
///   `unsafe`, are the `int_map/table.rs` module; the map is safe Rust on top of it. Keys are
///   hashed by a folded multiply whose top bits choose the home slot (the reasoning and the
///   measured spread of structured keys are in the source of `mix`). Probes do not wrap around
///   the end of the table: a tail of `probe_limit - 1` slots after the last home slot takes the
///   entries that run past it.
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
///   | 1/2  | 2^16  | 2000 | 24     | 54        |
///   | 1/2  | 2^20  | 200  | 36     | 59        |
///   | 3/4  | 2^16  | 2000 | 106    | 222       |
///   | 3/4  | 2^20  | 10   | 151    | 167       |
///   | 7/8  | 2^16  | 2000 | 378    | 997       |
///   | 7/8  | 2^20  | 3    | 871    | 960       |
///
///   (With the current hash; the survey simulates the table.) Load 1/2 is the only
///   one of these whose worst runs stay far below a bound small enough to be a useful worst case.
///   A smaller table does not buy speed either: sized to the capacity at load 3/4, 5/8 or 7/8
///   (home slots not a power of two, reached by a multiply-high of the hash), hits at 1M and 8M
///   entries were slower than at load 1/2 (more of them past their home slot), measured in
///   ARCHITECTURE.md.
///   It costs memory: 2 to 4 slots per requested entry, a slot taking `size_of::<(u64, V)>()`
///   bytes (16 for `u64` values), plus the tail of up to 127 slots, a filter byte per home
///   slot and an occupancy bit per slot. A table of 2 MiB or more is aligned to 2 MiB and, on Linux, asks for transparent huge
///   pages, so that lookups in a big table need no page walks.
/// - **Probe bound [`MAX_PROBE`](Self::MAX_PROBE) = 128 slots** (or the whole table, if smaller).
///   No entry is stored 128 or more slots past its home, so every lookup examines at most 128
///   slots. An insert that finds no free slot within the bound returns
///   [`Full`] with [`FullReason::ProbeLimit`]; for random keys at full load the longest distance
///   measured was 59 (above), so this takes keys picked to collide. Under insert/remove churn at
///   full capacity (2^20 slots, 2^20 x 20 rounds) the longest insert probe measured was 65.
/// - **Removal shifts the entries after the removed one back** (backward-shift deletion) instead
///   of leaving a tombstone, so lookups and inserts never walk past removed entries and sustained
///   insert/remove churn leaves the table as short-probed as a freshly filled one (test
///   `churn_keeps_probes_short_without_compaction`). [`tombstones`](Self::tombstones) is always 0
///   and [`compact`](Self::compact) does nothing; both stay for code written against the earlier
///   tombstone design.
/// - **A home filter** in front of the table, in the same allocation: a 64-bit word per 8 home
///   slots (one byte per home slot), in which each key sets 2 bits chosen by its hash. A lookup
///   tests its bits before reading any entry, so a miss with a bit clear (about 98 in 100 at full
///   load) reads only the filter, a sixteenth of the table's size for `u64` values, so much more
///   of it stays cached than of the table. Inserts OR their bits in, removals rebuild their
///   group's word from the keys left. The price: about 7 instructions and one more (parallel)
///   load per hit, a read-modify-write per insert, and a rebuild per remove (it reads and hashes
///   the keys of the group's runs, about a dozen slots: a remove takes about twice as long as
///   with a filter it need not rebuild).
/// - **An occupancy bitmap** beside the filter: one bit per slot (1/128 of the table for `u64`
///   values), set exactly while the slot is in use. An insert the filter rules out (the key is
///   new: about 98 in 100 inserts into a table at most half full) takes the first free slot the
///   bitmap shows from its home and *writes* the entry without reading it. A store that misses
///   the cache lets the next inserts run on, where a load of the entry stopped them until its
///   line arrived, which was most of an insert's time in a table beyond the cache. Lookups do not
///   read it.
/// - **Prefetches** (x86-64 and aarch64): a lookup the filter passes asks for the line of its home slot + 3
///   as it reads the home slot, so a key a few slots past its home (about 1 hit in 4) is not a
///   second miss that starts only after the first; an insert asks for its home slot's line
///   before its search, so the store of the new entry does not wait for it. One instruction
///   each; nothing else changes.
/// - **Speed:** a hit at its home slot costs one cache miss (the entry) and about 31 instructions
///   (hashbrown: 33), where hashbrown reads a control byte and then the bucket; a miss usually
///   reads only the filter. The measured ratios to hashbrown at 1M and 8M entries are in the
///   README (`examples/intmap_ab.rs`, `benches/int_map.rs`).
///
/// Time: `get`, `insert`, `remove` and `contains_key` examine at most `MAX_PROBE` slots;
/// `clear`, `retain`, `stats`, iteration and `Clone` are O(slots); `compact` is O(1).
pub struct IntMap<V> {
    table: IntTable<V>,
    /// The value of key 0, which marks free slots in the table and so cannot live there.
    zero: Option<V>,
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
        let table = IntTable::try_new(slots, MAX_PROBE).map_err(|e| match e {
            TableError::TooLarge => too_large,
            TableError::AllocFailed { bytes } => CapacityError::AllocFailed {
                requested: n,
                bytes,
            },
        })?;
        Ok(IntMap { table, zero: None })
    }

    /// The number of entries the map can hold: a power of two (or 0), half the slot count.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.table.home_slots() / 2
    }

    /// Whether the map holds [`capacity`](Self::capacity) entries, so a new key is refused.
    #[inline]
    fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }

    /// The number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.table.len() + usize::from(self.zero.is_some())
    }

    /// Whether the map holds no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of tombstones: always 0. Removal moves entries back instead of leaving
    /// tombstones (see the module docs); kept so that code written for earlier versions, which
    /// left tombstones until [`compact`](Self::compact), still compiles.
    #[inline]
    pub fn tombstones(&self) -> usize {
        0
    }

    /// The slot where the probe sequence for `key` starts: below [`IntMapStats::slots`], or for
    /// key 0 the side slot's number (one past the table's last slot), 0 for any key of a
    /// zero-capacity map. It depends only on the key and the number of slots.
    #[inline]
    pub fn home_slot(&self, key: u64) -> usize {
        if key == EMPTY {
            return self.table.slots();
        }
        if self.table.home_slots() == 0 {
            return 0;
        }
        self.table.home(mix(key))
    }

    /// The index of the slot that holds `key`, if present: its probe distance is
    /// `slot_of(key) - home_slot(key)`. Probes do not wrap around: entries whose probe runs past
    /// the last home slot are stored in a tail of `probe_limit - 1` slots after it, so the index
    /// may exceed [`IntMapStats::slots`]. Key 0 is in the side slot (see
    /// [`home_slot`](Self::home_slot)).
    #[inline]
    pub fn slot_of(&self, key: u64) -> Option<usize> {
        if key == EMPTY {
            return self.zero.as_ref().map(|_| self.table.slots());
        }
        self.table.find(key, mix(key))
    }

    /// Returns a reference to the value of `key`.
    ///
    /// Walks from the key's home slot until the key, a free slot or the probe bound (see the
    /// module docs for why each may end it), reading one key per slot; most lookups read one.
    #[inline]
    pub fn get(&self, key: u64) -> Option<&V> {
        if key == EMPTY {
            return self.zero.as_ref();
        }
        self.table.get(key, mix(key))
    }

    /// Returns a mutable reference to the value of `key`.
    #[inline]
    pub fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        if key == EMPTY {
            return self.zero.as_mut();
        }
        self.table.get_mut(key, mix(key))
    }

    /// Whether the map holds `key`.
    #[inline]
    pub fn contains_key(&self, key: u64) -> bool {
        self.get(key).is_some()
    }

    /// Inserts `value` under `key`, returning the value it replaces.
    ///
    /// Replacing the value of a key already present always succeeds. A new key goes into the
    /// first free slot on its probe sequence, which is also where the search for it ends.
    ///
    /// # Errors
    ///
    /// For a new key, [`Full`] (holding `key` and `value`) when the map already holds
    /// [`capacity`](Self::capacity) entries ([`FullReason::AtCapacity`]) or when none of the
    /// [`MAX_PROBE`](Self::MAX_PROBE) slots from its home slot is free
    /// ([`FullReason::ProbeLimit`]). The map is unchanged.
    #[inline(always)]
    pub fn insert(&mut self, key: u64, value: V) -> Result<Option<V>, Full<V>> {
        if key == EMPTY {
            if let Some(old) = &mut self.zero {
                return Ok(Some(mem::replace(old, value)));
            }
            if self.is_full() {
                return Err(Full::new(key, value, FullReason::AtCapacity));
            }
            self.zero = Some(value);
            return Ok(None);
        }
        let hash = mix(key);
        match self.table.find_or_free(key, hash) {
            Probe::Found(i) => {
                let Some(old) = self.table.value_mut(i) else {
                    unreachable!("IntMap::insert: found slot {i} holds no value");
                };
                Ok(Some(mem::replace(old, value)))
            }
            // Asked only now, after the search: computed before it, the answer was kept on the
            // stack across it, one more store per insert (session 9).
            _ if self.is_full() => Err(Full::new(key, value, FullReason::AtCapacity)),
            Probe::Free(i) => {
                self.table.insert_at(i, key, hash, value);
                Ok(None)
            }
            Probe::Exhausted => Err(Full::new(key, value, FullReason::ProbeLimit)),
        }
    }

    /// Removes `key`, returning its value.
    #[inline]
    pub fn remove(&mut self, key: u64) -> Option<V> {
        if key == EMPTY {
            return self.zero.take();
        }
        let i = self.table.find(key, mix(key))?;
        self.table.remove(i, &Mixed).map(|(_, value)| value)
    }

    /// Removes every entry, dropping the values. Keeps the table (no allocation or deallocation).
    ///
    /// O(slots), or O(1) when the map is empty. If a value's `Drop` panics, the entries not yet
    /// dropped stay in the map, which remains consistent.
    pub fn clear(&mut self) {
        drop(self.zero.take());
        self.table.clear(&Mixed);
    }

    /// Keeps only the entries for which `keep(key, &mut value)` returns `true`, dropping the
    /// others. O(slots).
    ///
    /// Each entry is visited once (key 0 first, then the table in an order that depends on its
    /// layout). If `keep` or a value's `Drop` panics, the map stays consistent, with the entries
    /// not yet visited kept.
    pub fn retain<F: FnMut(u64, &mut V) -> bool>(&mut self, mut keep: F) {
        if let Some(v) = &mut self.zero
            && !keep(EMPTY, v)
        {
            drop(self.zero.take());
        }
        self.table.retain(&Mixed, keep);
    }

    /// Does nothing: removal leaves no tombstones to clean up, so the table is always compact.
    ///
    /// Earlier versions left a tombstone per removed entry and rebuilt the table here; the method
    /// stays so that code calling it still compiles. Runs no user code and does not allocate.
    pub fn compact(&mut self) {}

    /// Checks the invariants listed in the module docs and the table's reachability, without
    /// allocating unless one is broken. O(slots + total probe distance).
    fn invariants(&self) -> Result<(), String> {
        let home_slots = self.table.home_slots();
        if home_slots != 0 && !home_slots.is_power_of_two() {
            return Err(format!("{home_slots} slots is not a power of two"));
        }
        let limit = self.table.limit();
        if limit != home_slots.min(MAX_PROBE) {
            return Err(format!("probe limit {limit} for {home_slots} slots"));
        }
        let mut full = 0;
        for i in 0..self.table.slots() {
            let k = self.table.key(i);
            if k == EMPTY {
                continue;
            }
            full += 1;
            let home = self.home_slot(k);
            let dist = i.wrapping_sub(home);
            if dist >= limit {
                return Err(format!(
                    "slot {i}: key {k} is {dist} past home {home}, limit {limit}"
                ));
            }
            if let Some(gap) = (home..i).find(|&j| self.table.key(j) == EMPTY) {
                return Err(format!("slot {i}: key {k} unreachable, slot {gap} is free"));
            }
            if let Some(dup) = (home..i).find(|&j| self.table.key(j) == k) {
                return Err(format!("slot {i}: key {k} is also in slot {dup}"));
            }
        }
        self.table.check_filter(&Mixed)?;
        self.table.check_occupancy()?;
        if full != self.table.len() || self.len() > self.capacity() {
            return Err(format!(
                "counts: table len {} (counted {full}), map len {}, capacity {}",
                self.table.len(),
                self.len(),
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
    /// An iterator over `(key, &value)`: key 0 first if present, then the table in slot order
    /// (which depends on the keys and the history of the table, not on insertion order alone).
    pub fn iter(&self) -> IntMapIter<'_, V> {
        IntMapIter::new(self.zero.as_ref(), self.table.iter(), self.len())
    }

    /// An iterator over `(key, &mut value)`, in the order of [`iter`](Self::iter).
    pub fn iter_mut(&mut self) -> IntMapIterMut<'_, V> {
        let len = self.len();
        IntMapIterMut::new(self.zero.as_mut(), self.table.iter_mut(), len)
    }

    /// A snapshot of the table: counts, the probe bound and a histogram of the entries' probe
    /// distances (key 0, in its side slot, at distance 0). O(slots); does not allocate.
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
        let mut probe_lengths = [0; MAX_PROBE];
        probe_lengths[0] = usize::from(self.zero.is_some());
        let mut max_probe = 0;
        for i in 0..self.table.slots() {
            let k = self.table.key(i);
            if k == EMPTY {
                continue;
            }
            let dist = i - self.home_slot(k);
            max_probe = max_probe.max(dist);
            probe_lengths[dist.min(MAX_PROBE - 1)] += 1;
        }
        IntMapStats {
            len: self.len(),
            capacity: self.capacity(),
            slots: self.table.home_slots(),
            tombstones: 0,
            probe_limit: self.table.limit(),
            max_probe,
            probe_lengths,
        }
    }
}

/// Clones the table as it is: one allocation, like [`with_capacity`](IntMap::with_capacity).
impl<V: Clone> Clone for IntMap<V> {
    fn clone(&self) -> Self {
        IntMap {
            table: self.table.clone(),
            zero: self.zero.clone(),
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

/// Consumes the map, yielding `(key, value)` in the order of [`IntMap::iter`]; the table is
/// freed when the iterator is dropped.
impl<V> IntoIterator for IntMap<V> {
    type Item = (u64, V);
    type IntoIter = IntMapIntoIter<V>;

    fn into_iter(self) -> Self::IntoIter {
        IntMapIntoIter::new(self.zero, self.table)
    }
}
