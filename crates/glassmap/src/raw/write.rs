//! The write path: the entry API (`entry`, with the key's slot or an empty one prepared for it),
//! insert into a vacant slot, and remove with Go's trailing-empty normalisation. Growth work runs
//! first, then the write works in the chain a read would search: the key's old bucket while that
//! is unevacuated, else its current bucket (invariant 3 of the module docs, `raw/mod.rs`); the
//! growth mechanism is `evacuate.rs`.

use super::RawTable;
use super::array::BucketArray;
use super::bucket::{Bucket, Cell};
use super::growth_policy::BUCKET_SLOTS;
use super::search_chain;
use super::tophash::{CHAINED, CHAINED_SLOT, EMPTY_ONE, EMPTY_REST, Needle};

/// The key's slot, or an empty slot of its chain ready for one insert, with the table borrowed for
/// the entry's life. The chain is the one [`RawTable::source_bucket`] gives (invariant 3).
pub(crate) enum RawEntry<'a, K, V> {
    Occupied(RawOccupied<'a, K, V>),
    Vacant(RawVacant<'a, K, V>),
}

/// A full slot of the key's chain.
pub(crate) struct RawOccupied<'a, K, V> {
    table: &'a mut RawTable<K, V>,
    cell: Cell<K, V>,
    /// The head of the chain holding `cell`.
    head: Bucket<K, V>,
}

/// An empty slot in the chain of a key's hash, ready for one insert of that key.
pub(crate) struct RawVacant<'a, K, V> {
    table: &'a mut RawTable<K, V>,
    cell: Cell<K, V>,
    /// The key's tophash, written with it.
    top: u8,
}

/// What [`RawTable::write_fast`] found: a cell and nothing borrowed, so the caller can fall back
/// to the general path on the same table.
enum FastWrite<K, V> {
    /// The key's slot, in the chain at `head`.
    Occupied {
        cell: Cell<K, V>,
        head: Bucket<K, V>,
    },
    /// An empty slot for the new key, which needs nothing else first (no growth, no populating),
    /// and the key's tophash.
    Vacant { cell: Cell<K, V>, top: u8 },
    /// Anything else: take [`RawTable::entry`]'s general path.
    Slow,
}

impl<K, V> RawTable<K, V> {
    /// The usual write, small enough to inline into a caller's loop without spilling: the table
    /// allocated and not growing, and the key's chain decided in its first bucket (the key is
    /// there, or the bucket has an `EMPTY_REST` and the new key needs no growth and no
    /// populating). It calls nothing, so a caller that sends every other case to one out-of-line
    /// function keeps no value alive across a call. A `Vacant` cell is valid until the table
    /// changes: fill it (`insert_in`) or forget it before then.
    #[inline]
    fn write_fast(&mut self, hash: u64, mut eq: impl FnMut(&K) -> bool) -> FastWrite<K, V> {
        if !self.current.is_allocated() || self.growing {
            return FastWrite::Slow;
        }
        let head = self.current.head(hash as usize);
        super::prefetch_link(head);
        let needle = Needle::of(hash);
        // SAFETY: allocated and not growing, so `head` heads a live chain of the current array.
        let group = unsafe { head.group() };
        for slot in group.matching(needle) {
            let cell = Cell::new(head, slot);
            // SAFETY: a matching slot is full (as in `entry`), so its key is initialised.
            if eq(unsafe { &*cell.key() }) {
                return FastWrite::Occupied { cell, head };
            }
        }
        match group.empty().lowest() {
            Some(slot)
                if !group.chain_goes_on()
                    && !self.wants_growth()
                    && !self.current.is_populating() =>
            {
                FastWrite::Vacant {
                    cell: Cell::new(head, slot),
                    top: needle.tophash(),
                }
            }
            _ => FastWrite::Slow,
        }
    }

    /// Inserts `value` under `key` (hash `hash`), returning the previous value; growth work
    /// rehashes moved keys with `hasher`. [`RawTable::write_fast`] inline, every other case in
    /// one out-of-line call that keeps nothing of the caller's alive across it.
    #[inline]
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        key: K,
        value: V,
        hasher: impl Fn(&K) -> u64,
    ) -> Option<V>
    where
        K: Eq,
    {
        match self.write_fast(hash, |stored| *stored == key) {
            FastWrite::Occupied { cell, .. } => {
                // SAFETY: the key's full slot, found by `write_fast` on this table just now; the
                // exclusive borrow makes the reference unique.
                let slot = unsafe { &mut *cell.value() };
                Some(core::mem::replace(slot, value))
            }
            FastWrite::Vacant { cell, top } => {
                // SAFETY: the vacant slot `write_fast(hash, ..)` found on this table just now,
                // with the key's tophash.
                unsafe { self.insert_in(cell, top, key, value) };
                None
            }
            FastWrite::Slow => self.insert_slow(hash, key, value, hasher),
        }
    }

    /// [`RawTable::insert`]'s general path.
    #[inline(never)]
    fn insert_slow(&mut self, hash: u64, key: K, value: V, hasher: impl Fn(&K) -> u64) -> Option<V>
    where
        K: Eq,
    {
        match self.entry_slow(hash, |stored| *stored == key, hasher) {
            RawEntry::Occupied(mut slot) => Some(core::mem::replace(slot.get_mut(), value)),
            RawEntry::Vacant(slot) => {
                slot.insert(key, value);
                None
            }
        }
    }

    /// The write path of insert and the entry API: growth work (invariant 3), then find the key or
    /// the first empty slot of its chain, starting a growth first if the key is absent and Go
    /// would grow. [`RawTable::write_fast`] first, then the general path out of line.
    #[inline]
    pub(crate) fn entry(
        &mut self,
        hash: u64,
        mut eq: impl FnMut(&K) -> bool,
        hasher: impl Fn(&K) -> u64,
    ) -> RawEntry<'_, K, V> {
        match self.write_fast(hash, &mut eq) {
            FastWrite::Occupied { cell, head } => self.occupied(cell, head),
            FastWrite::Vacant { cell, top } => RawEntry::Vacant(RawVacant {
                table: self,
                cell,
                top,
            }),
            FastWrite::Slow => self.entry_slow(hash, eq, hasher),
        }
    }

    /// [`RawTable::entry`] in every case: allocation, growth work and starting a growth are out
    /// of line, and so is everything past a chain's first bucket.
    #[inline(never)]
    fn entry_slow(
        &mut self,
        hash: u64,
        mut eq: impl FnMut(&K) -> bool,
        hasher: impl Fn(&K) -> u64,
    ) -> RawEntry<'_, K, V> {
        // Not growing (the usual case), the key's chain is in the current array: no second look at
        // the evacuation state.
        let mut head = if !self.current.is_allocated() || self.growing {
            self.prepare_write(hash, &hasher)
        } else {
            self.current.head(hash as usize)
        };
        let needle = Needle::of(hash);
        loop {
            // SAFETY: the current array is allocated (`prepare_write`), so `head` heads a live
            // chain: of the current array, or an unevacuated old bucket (invariant 2).
            let group = unsafe { head.group() };
            for slot in group.matching(needle) {
                let cell = Cell::new(head, slot);
                // SAFETY: a matching slot holds the needle's tophash (>= MIN_TOPHASH, so a full
                // slot) or, for SWAR's rare extra, `needle ^ 1`: a live tophash or 4, a value no
                // slot ever holds (states are 0, 1 and tophashes >= 5). So the slot is full: its
                // key is initialised (see `Group::matching`).
                if eq(unsafe { &*cell.key() }) {
                    return self.occupied(cell, head);
                }
            }
            // The usual case: the chain ends in its first bucket (no `CHAINED` mark, or an
            // `EMPTY_REST` there), whose first empty slot takes the key. Otherwise the search goes
            // on out of line.
            let vacant = match group.empty().lowest() {
                Some(slot) if !group.chain_goes_on() => Ok(Cell::new(head, slot)),
                first_empty => {
                    let end = if group.chained() {
                        // SAFETY: `head` heads a live chain (as above).
                        unsafe { search_overflow(head, needle, &mut eq) }
                    } else {
                        // No overflow bucket (invariant 8), known without the link.
                        ChainEnd::Full(head)
                    };
                    match end {
                        ChainEnd::Occupied(cell) => return self.occupied(cell, head),
                        ChainEnd::Vacant(cell) => {
                            Ok(first_empty.map_or(cell, |s| Cell::new(head, s)))
                        }
                        ChainEnd::Full(last) => match first_empty {
                            Some(slot) => Ok(Cell::new(head, slot)),
                            None => Err(last),
                        },
                    }
                }
            };
            if !self.growing && self.wants_growth() {
                self.start_growth_for(&hasher);
                head = self.source_bucket(hash);
                continue;
            }
            // A new key: help fault in the array ahead of the writes (see `populate_some`).
            self.current.populate_some();
            let cell = match vacant {
                Ok(cell) => cell,
                // SAFETY: `last` ends the key's live chain, in the array `source_array_mut`
                // names for `hash` (nothing moved since `source_bucket`), and no slot of the
                // chain is empty, so its eight slots are full (invariant 8: a last bucket has
                // no `CHAINED` mark).
                Err(last) => unsafe { self.source_array_mut(hash).attach_overflow(last) },
            };
            return RawEntry::Vacant(RawVacant {
                table: self,
                cell,
                top: needle.tophash(),
            });
        }
    }

    #[inline]
    fn occupied(&mut self, cell: Cell<K, V>, head: Bucket<K, V>) -> RawEntry<'_, K, V> {
        RawEntry::Occupied(RawOccupied {
            table: self,
            cell,
            head,
        })
    }

    /// Before a write: allocates the first array, or does the growth work while growing; then
    /// the head of the chain the write works in (invariant 3).
    #[inline(never)]
    fn prepare_write(&mut self, hash: u64, hasher: &impl Fn(&K) -> u64) -> Bucket<K, V> {
        if !self.current.is_allocated() {
            self.current = BucketArray::new(0);
        }
        // The key's chain is a random bucket, often a cache miss: start loading it now, so the
        // miss overlaps the growth work (whose buckets are prefetched ahead of time). The growth
        // work moves only the old buckets at `nevacuate`, so the chain is almost always still
        // where it is now.
        super::prefetch_bucket(self.source_bucket(hash));
        self.grow_work(hasher);
        self.source_bucket(hash)
    }

    /// Go's growth trigger, checked for an insert of a new key while not growing.
    #[inline]
    fn wants_growth(&self) -> bool {
        self.current.over_load_factor(self.len + 1) || self.current.too_many_overflow_buckets()
    }

    /// Fills a vacant slot with a new key whose tophash is `top`.
    ///
    /// # Safety
    /// `cell` is the vacant slot `entry(hash, ..)` or `write_fast(hash, ..)` found on this table,
    /// with no mutation in between, and `top == tophash(hash)`.
    #[inline]
    unsafe fn insert_in(&mut self, cell: Cell<K, V>, top: u8, key: K, value: V) {
        // SAFETY: the slot is empty and live (caller).
        unsafe { cell.write(top, key, value) };
        self.len += 1;
    }

    /// Removes the key, doing growth work first as Go's `mapdelete` does.
    pub(crate) fn remove(
        &mut self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
        hasher: impl Fn(&K) -> u64,
    ) -> Option<(K, V)> {
        if self.len == 0 {
            return None;
        }
        // The bucket is chosen on the growing test's own sides, so the usual side takes the
        // current array's without a second test (`source_bucket` after `grow_work` tested
        // `growing` again, since the call may end the growth: 61.2 instructions, 58.2 now).
        let head = if self.growing {
            self.grow_work(&hasher);
            self.source_bucket(hash)
        } else {
            self.current.head(hash as usize)
        };
        // SAFETY: `len > 0`: allocated, so the key's chain is live (invariants 1 and 2).
        unsafe {
            let cell = search_chain(head, Needle::of(hash), eq)?;
            Some(self.remove_at(head, cell))
        }
    }

    /// Removes the entry in `cell`, a slot of the chain at `head`, and restores `EMPTY_REST` where
    /// it now holds (Go's trailing-empty normalisation).
    ///
    /// # Safety
    /// `cell` is a full slot of the live chain at `head` (a key's chain as
    /// [`RawTable::source_bucket`] gives it, unchanged since).
    unsafe fn remove_at(&mut self, head: Bucket<K, V>, cell: Cell<K, V>) -> (K, V) {
        // SAFETY: full, live slot (caller).
        let entry = unsafe { self.take(cell) };
        // SAFETY: `cell` is in `head`'s chain (caller).
        unsafe { normalise_empty_rest(head, cell) };
        entry
    }

    /// Moves the entry out of a full slot of either array, marking it `EMPTY_ONE` (invariant 4).
    ///
    /// # Safety
    /// `cell` is a full slot of this table.
    #[inline]
    pub(super) unsafe fn take(&mut self, cell: Cell<K, V>) -> (K, V) {
        // SAFETY: full and live (caller); the tophash is updated before anything can observe it.
        let entry = unsafe { cell.read() };
        // SAFETY: as above.
        unsafe { cell.set_tophash(EMPTY_ONE) };
        self.len -= 1;
        entry
    }
}

/// How a write's search past a chain's first bucket ended.
enum ChainEnd<K, V> {
    /// The key, found.
    Occupied(Cell<K, V>),
    /// The key is absent; the first empty slot after the first bucket.
    Vacant(Cell<K, V>),
    /// The key is absent and no bucket after the first has an empty slot: the chain's last bucket.
    Full(Bucket<K, V>),
}

/// The rest of a write's search, after `head` (searched already) had no `EMPTY_REST`: the key in
/// the overflow buckets, or the first empty slot after `head`.
///
/// # Safety
/// `head` heads a live chain (of the current array or an unevacuated old bucket).
#[inline(never)]
unsafe fn search_overflow<K, V>(
    head: Bucket<K, V>,
    needle: Needle,
    eq: &mut impl FnMut(&K) -> bool,
) -> ChainEnd<K, V> {
    let mut vacant = None;
    let mut bucket = head;
    // SAFETY: every bucket reached is in the live chain (caller); matching slots are full.
    unsafe {
        while let Some(next) = bucket.overflow() {
            bucket = next;
            let group = bucket.group();
            for slot in group.matching(needle) {
                let cell = Cell::new(bucket, slot);
                if eq(&*cell.key()) {
                    return ChainEnd::Occupied(cell);
                }
            }
            if vacant.is_none() {
                vacant = group.empty().lowest().map(|slot| Cell::new(bucket, slot));
            }
            if group.has_empty_rest() {
                break;
            }
        }
    }
    match vacant {
        Some(cell) => ChainEnd::Vacant(cell),
        None => ChainEnd::Full(bucket),
    }
}

/// After `cell` was emptied: if nothing full follows it in the chain, turn it and the `EMPTY_ONE`
/// slots before it into `EMPTY_REST`, walking back through the chain (Go's `mapdelete`). A bucket's
/// entries end at slot 7, or at slot 6 before a `CHAINED` mark (invariant 8), after which the chain
/// goes on at the next bucket's slot 0.
///
/// Except in a chain of one bucket, the usual chain: there the missing `CHAINED` mark already
/// ends every search (invariant 8), so an `EMPTY_REST` would tell none anything, and the slot
/// stays `EMPTY_ONE` (invariant 4 allows it). Go needs the normalisation everywhere because its
/// searches test slot by slot and stop at the first `emptyRest`; here it pays only where a chain
/// goes on, letting a search stop in a bucket whose overflow buckets have emptied. Skipping it
/// takes the next slot's test and the walk back, whose branches went the wrong way about once per
/// call in random-order removal (ARCHITECTURE.md, session 6), off the usual path.
///
/// # Safety
/// `cell` is a slot of the live chain that starts at `head`, and the table is exclusively borrowed.
unsafe fn normalise_empty_rest<K, V>(head: Bucket<K, V>, cell: Cell<K, V>) {
    let (mut bucket, mut slot) = cell.position();
    // SAFETY: every bucket touched is in the live chain of `head` (caller).
    unsafe {
        // No mark on the head: the chain is the head alone (invariant 8), `cell` is in it.
        if head.tophash(CHAINED_SLOT) != CHAINED {
            return;
        }
        // A full slot 7 ends its chain (invariant 8); before slot 6 comes slot 7's byte, a state
        // or the mark that the chain goes on at the next bucket's slot 0.
        let next_is_rest = slot == BUCKET_SLOTS - 1
            || match bucket.tophash(slot + 1) {
                CHAINED => bucket.overflow_unchecked().tophash(0) == EMPTY_REST,
                next => next == EMPTY_REST,
            };
        if !next_is_rest {
            return;
        }
        loop {
            bucket.set_tophash(slot, EMPTY_REST);
            if slot == 0 {
                if bucket == head {
                    return;
                }
                let mut previous = head;
                while let Some(next) = previous.overflow() {
                    if next == bucket {
                        break;
                    }
                    previous = next;
                }
                // A bucket with a next one in its chain carries the mark (invariant 8): its
                // entries end at slot 6.
                bucket = previous;
                slot = CHAINED_SLOT - 1;
            } else {
                slot -= 1;
            }
            if bucket.tophash(slot) != EMPTY_ONE {
                return;
            }
        }
    }
}

// All methods below rely on the same invariant: `cell` came from `entry(hash, ..)` on
// `table`, which stays exclusively borrowed, so the slot is unchanged: full for an occupied entry,
// empty for a vacant one.
impl<'a, K, V> RawOccupied<'a, K, V> {
    #[inline]
    pub(crate) fn key(&self) -> &K {
        // SAFETY: see the block comment above.
        unsafe { &*self.cell.key() }
    }

    #[inline]
    pub(crate) fn get(&self) -> &V {
        // SAFETY: see the block comment above.
        unsafe { &*self.cell.value() }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self) -> &mut V {
        // SAFETY: see the block comment above; `&mut self` makes the reference unique.
        unsafe { &mut *self.cell.value() }
    }

    #[inline]
    pub(crate) fn into_mut(self) -> &'a mut V {
        // SAFETY: see the block comment above; the entry is consumed, the table borrow moves on.
        unsafe { &mut *self.cell.value() }
    }

    pub(crate) fn remove_entry(self) -> (K, V) {
        // SAFETY: see the block comment above; the slot is in the chain at `head`.
        unsafe { self.table.remove_at(self.head, self.cell) }
    }
}

impl<'a, K, V> RawVacant<'a, K, V> {
    #[inline]
    pub(crate) fn insert(self, key: K, value: V) -> &'a mut V {
        // SAFETY: see the block comment above.
        unsafe {
            self.table.insert_in(self.cell, self.top, key, value);
            &mut *self.cell.value()
        }
    }
}
