//! [`IntTable`]: the storage under [`IntMap`](crate::IntMap), one allocation holding a dense array
//! of state bytes and an array of `(key, value)` entries.
//!
//! ```text
//!   entries: [ key | MaybeUninit<V> ] x slots      (16 bytes each for u64 values)
//!   states:  [ u8 ] x (slots + GROUP)              (right after the entries)
//! ```
//!
//! The [`GROUP`] state bytes after the last slot's mirror the first ones (`states[slots + i]` is
//! `states[i]` for `i < min(GROUP, slots)`), so [`IntTable::state_group`] reads the states of
//! `GROUP` consecutive slots, wrapping around the end, with one unaligned load.
//!
//! # Invariants (enforced here; nothing outside this module can break them)
//!
//! 1. Every key is initialised: the allocation is zeroed when it is made and keys are only ever
//!    overwritten with other `u64`s. Reading the key of any slot is therefore defined; whether
//!    it *means* anything depends on the state byte, which is the map's business.
//! 2. A slot's value is initialised exactly when its state byte is *occupied*, i.e. neither
//!    [`EMPTY`] nor [`TOMBSTONE`]. Every method that changes a state byte from vacant to occupied
//!    writes the value first, and every method that changes it from occupied to vacant moves the
//!    value out (or deliberately leaks it) in the same step.
//! 3. `entries` and `states` point into one live allocation of [`IntTable::layout`]`(slots)` made
//!    by [`IntTable::try_new`], or `slots == 0` and nothing was allocated.
//!
//! What the occupied bytes mean (7-bit key tags, an entry being moved by `compact`) is up to the
//! map. The table only tells occupied from vacant.

use core::alloc::Layout;
use core::iter::FusedIterator;
use core::marker::PhantomData;
use core::mem::{self, MaybeUninit};
use core::ptr::NonNull;
use core::slice;
use std::alloc;

/// State byte of a slot that has not held an entry since the table was last reset. Zero, so a
/// zeroed allocation is a table of Empty slots.
pub(crate) const EMPTY: u8 = 0;
/// State byte of a slot whose entry was removed.
pub(crate) const TOMBSTONE: u8 = 1;

/// The number of state bytes [`IntTable::state_group`] reads at once.
pub(crate) const GROUP: usize = 8;

/// Whether state byte `s` marks a slot holding a value (anything but [`EMPTY`] or [`TOMBSTONE`]).
#[inline]
pub(crate) const fn is_occupied(s: u8) -> bool {
    s > TOMBSTONE
}

/// One entry slot: the key is always initialised (invariant 1), the value only in occupied slots
/// (invariant 2).
struct Entry<V> {
    key: u64,
    value: MaybeUninit<V>,
}

/// Why [`IntTable::try_new`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TableError {
    /// The table would exceed `isize::MAX` bytes.
    TooLarge,
    /// The allocator refused a table of `bytes` bytes.
    AllocFailed { bytes: usize },
}

/// A fixed number of slots, each a state byte, a key and maybe a value. See the module docs.
pub(crate) struct IntTable<V> {
    /// Start of the allocation: `slots` entries.
    entries: NonNull<Entry<V>>,
    /// `slots + GROUP` state bytes (the last `GROUP` mirror the first), after the entries in the
    /// same allocation.
    states: NonNull<u8>,
    slots: usize,
    /// The table owns `V`s.
    _owns: PhantomData<V>,
}

// SAFETY: an `IntTable<V>` owns its values like a `Box<[V]>` does and has no shared or interior
// state; moving it to another thread moves the values.
unsafe impl<V: Send> Send for IntTable<V> {}
// SAFETY: `&IntTable<V>` only hands out `&V` and plain `u8`/`u64` copies, so sharing it is sharing
// `&V`.
unsafe impl<V: Sync> Sync for IntTable<V> {}

impl<V> IntTable<V> {
    /// The allocation for `slots` slots and the offset of the state bytes in it; `None` if it
    /// would exceed `isize::MAX` bytes.
    fn layout(slots: usize) -> Option<(Layout, usize)> {
        let entries = Layout::array::<Entry<V>>(slots).ok()?;
        entries
            .extend(Layout::array::<u8>(slots.checked_add(GROUP)?).ok()?)
            .ok()
    }

    /// A table of `slots` Empty slots, all keys 0: one allocation, or none for `slots == 0`.
    /// Every byte is written, so later operations do not fault on untouched pages.
    pub(crate) fn try_new(slots: usize) -> Result<Self, TableError> {
        if slots == 0 {
            return Ok(IntTable {
                entries: NonNull::dangling(),
                states: NonNull::dangling(),
                slots: 0,
                _owns: PhantomData,
            });
        }
        let (layout, states_at) = Self::layout(slots).ok_or(TableError::TooLarge)?;
        // SAFETY: `layout` has a non-zero size: `slots > 0` and an entry holds at least a `u64`.
        let base = unsafe { alloc::alloc(layout) };
        let Some(base) = NonNull::new(base) else {
            return Err(TableError::AllocFailed {
                bytes: layout.size(),
            });
        };
        // SAFETY: `base` is valid for writes of `layout.size()` bytes, just allocated. Zero bytes
        // make every key 0 (invariant 1) and every state EMPTY (invariant 2: no value is
        // initialised).
        unsafe { base.as_ptr().write_bytes(0, layout.size()) };
        Ok(IntTable {
            entries: base.cast(),
            // SAFETY: `states_at + slots + GROUP <= layout.size()`, so this stays in the allocation.
            states: unsafe { base.add(states_at) },
            slots,
            _owns: PhantomData,
        })
    }

    /// The number of slots.
    #[inline]
    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    /// The state byte of slot `i`.
    ///
    /// # Panics
    ///
    /// If `i >= slots` (as do all methods taking a slot index).
    #[inline]
    pub(crate) fn state(&self, i: usize) -> u8 {
        assert!(i < self.slots, "IntTable: slot {i} out of range");
        // SAFETY: `i < slots`, and state bytes are always initialised (zeroed at allocation).
        unsafe { *self.states.as_ptr().add(i) }
    }

    /// The state bytes of slots `i..i + GROUP` (wrapping around the end of the table) as one
    /// little-endian word: byte `j` is [`state`](Self::state)`((i + j) % slots)`, if the table has
    /// at least `GROUP` slots (smaller tables: bytes past the last slot are meaningless).
    #[inline]
    pub(crate) fn state_group(&self, i: usize) -> u64 {
        assert!(i < self.slots, "IntTable: slot {i} out of range");
        // SAFETY: `i + GROUP <= slots + GROUP`, the length of the state array, and every state byte
        // is initialised; `read_unaligned` has no alignment requirement.
        u64::from_le(unsafe { self.states.as_ptr().add(i).cast::<u64>().read_unaligned() })
    }

    /// Writes state byte `s` for slot `i < slots`, and its mirror.
    #[inline]
    fn write_state(&mut self, i: usize, s: u8) {
        assert!(i < self.slots, "IntTable: slot {i} out of range");
        // SAFETY: `i < slots` (checked just above), and for `i < GROUP` the mirror
        // `slots + i < slots + GROUP` is in the state array too.
        unsafe {
            *self.states.as_ptr().add(i) = s;
            if i < GROUP {
                *self.states.as_ptr().add(self.slots + i) = s;
            }
        }
    }

    /// The key of slot `i`: 0 if it never held one, the last key written if it is vacant.
    #[inline]
    pub(crate) fn key(&self, i: usize) -> u64 {
        assert!(i < self.slots, "IntTable: slot {i} out of range");
        // SAFETY: `i < slots`, and keys are always initialised (invariant 1). Only the key field
        // is read, never the value.
        unsafe { (*self.entries.as_ptr().add(i)).key }
    }

    /// The value of slot `i`, if it is occupied.
    #[inline]
    pub(crate) fn value(&self, i: usize) -> Option<&V> {
        if !is_occupied(self.state(i)) {
            return None;
        }
        // SAFETY: `i < slots` (checked by `state`) and the slot is occupied, so its value is
        // initialised (invariant 2). The borrow of `self` keeps it from being moved or dropped.
        Some(unsafe { (*self.entries.as_ptr().add(i)).value.assume_init_ref() })
    }

    /// The value of slot `i`, mutably, if it is occupied.
    #[inline]
    pub(crate) fn value_mut(&mut self, i: usize) -> Option<&mut V> {
        if !is_occupied(self.state(i)) {
            return None;
        }
        // SAFETY: as in `value`; `&mut self` makes the borrow unique.
        Some(unsafe { (*self.entries.as_ptr().add(i)).value.assume_init_mut() })
    }

    /// Writes `key` and `value` into slot `i` with occupied state `state`, returning the entry
    /// the slot held if it was occupied.
    ///
    /// # Panics
    ///
    /// If `state` is not an occupied state (then `value` is dropped and nothing changes).
    #[inline]
    pub(crate) fn put(&mut self, i: usize, state: u8, key: u64, value: V) -> Option<(u64, V)> {
        assert!(
            is_occupied(state),
            "IntTable::put with vacant state {state}"
        );
        let old_state = self.state(i);
        // SAFETY: `i < slots` (checked by `state`); the pointer is to an entry of our allocation.
        let entry = unsafe { &mut *self.entries.as_ptr().add(i) };
        let old_key = mem::replace(&mut entry.key, key);
        let old_value = mem::replace(&mut entry.value, MaybeUninit::new(value));
        // The value was written just above, so the occupied state is true (invariant 2).
        self.write_state(i, state);
        // SAFETY: an occupied old state means the old value was initialised (invariant 2), and it
        // has been moved out of the slot, so it is read exactly once.
        is_occupied(old_state).then(|| (old_key, unsafe { old_value.assume_init() }))
    }

    /// Moves the entry out of slot `i` if it is occupied, leaving vacant state `vacant`. A vacant
    /// slot is left unchanged.
    ///
    /// # Panics
    ///
    /// If `vacant` is not [`EMPTY`] or [`TOMBSTONE`].
    #[inline]
    pub(crate) fn take(&mut self, i: usize, vacant: u8) -> Option<(u64, V)> {
        assert!(
            !is_occupied(vacant),
            "IntTable::take with occupied state {vacant}"
        );
        if !is_occupied(self.state(i)) {
            return None;
        }
        // SAFETY: `i < slots` (checked by `state`).
        let entry = unsafe { &mut *self.entries.as_ptr().add(i) };
        // SAFETY: the slot is occupied, so the value is initialised (invariant 2); the state is
        // made vacant right below, so it is not read again.
        let value = unsafe { entry.value.assume_init_read() };
        // The value has been moved out, so the vacant state is true.
        self.write_state(i, vacant);
        Some((entry.key, value))
    }

    /// Changes the state byte of slot `i` to `state` of the same kind: vacant to vacant
    /// (`EMPTY`/`TOMBSTONE`) or occupied to occupied (the map's tags).
    ///
    /// # Panics
    ///
    /// If the change would turn a vacant slot into an occupied one or the reverse.
    #[inline]
    pub(crate) fn set_state(&mut self, i: usize, state: u8) {
        let old = self.state(i);
        assert_eq!(
            is_occupied(old),
            is_occupied(state),
            "IntTable::set_state({i}): {old} to {state} changes occupancy"
        );
        // `i < slots` (checked by `state`); occupancy is unchanged, so invariant 2 holds.
        self.write_state(i, state);
    }

    /// Makes every slot [`EMPTY`] in one pass over the state bytes. Values still in occupied
    /// slots are leaked, never dropped: take out first whatever must be dropped.
    pub(crate) fn reset_states(&mut self) {
        if self.slots == 0 {
            return;
        }
        // SAFETY: `states` is valid for `slots + GROUP` bytes (invariant 3). All slots and
        // mirrors become vacant and their values are forgotten, which keeps invariant 2.
        unsafe { self.states.as_ptr().write_bytes(EMPTY, self.slots + GROUP) };
    }

    /// The state bytes and entries as slices.
    fn parts(&self) -> (&[u8], &[Entry<V>]) {
        // SAFETY: both pointers are valid for `slots` initialised elements of their type
        // (invariants 1 and 3: an `Entry` is valid as soon as its key is initialised, since its
        // value is a `MaybeUninit`) and aligned (dangling is aligned when `slots == 0`). The two
        // ranges do not overlap, and `&self` keeps them from being written.
        unsafe {
            (
                slice::from_raw_parts(self.states.as_ptr(), self.slots),
                slice::from_raw_parts(self.entries.as_ptr(), self.slots),
            )
        }
    }

    /// The occupied slots' `(key, &value)`, in slot order.
    pub(crate) fn iter(&self) -> Iter<'_, V> {
        let (states, entries) = self.parts();
        Iter {
            states: states.iter(),
            entries: entries.iter(),
        }
    }

    /// The occupied slots' `(key, &mut value)`, in slot order.
    pub(crate) fn iter_mut(&mut self) -> IterMut<'_, V> {
        // SAFETY: as in `parts`; the entries slice is the only reference to the entries for its
        // lifetime, which `&mut self` bounds, and the states slice is read-only and disjoint.
        let (states, entries) = unsafe {
            (
                slice::from_raw_parts(self.states.as_ptr(), self.slots),
                slice::from_raw_parts_mut(self.entries.as_ptr(), self.slots),
            )
        };
        IterMut {
            states: states.iter(),
            entries: entries.iter_mut(),
        }
    }

    /// Drops every value, each one after its slot has been made a tombstone. If a drop panics,
    /// the remaining values are still dropped (while unwinding) before the panic continues.
    fn drop_values(&mut self) {
        /// Finishes the job if a value's drop panics.
        struct Rest<'a, V>(&'a mut IntTable<V>);
        impl<V> Drop for Rest<'_, V> {
            fn drop(&mut self) {
                self.0.drop_values();
            }
        }
        for i in 0..self.slots {
            if let Some((_, value)) = self.take(i, TOMBSTONE) {
                let rest = Rest(self);
                drop(value);
                mem::forget(rest);
            }
        }
    }
}

impl<V: Clone> Clone for IntTable<V> {
    /// One allocation; slot `i` of the copy has slot `i`'s state, key and a clone of its value.
    /// If a clone panics, the copy made so far is dropped properly.
    fn clone(&self) -> Self {
        let Ok(mut copy) = Self::try_new(self.slots) else {
            // The same size was allocated once already.
            panic!("IntTable::clone: allocating {} slots failed", self.slots);
        };
        for i in 0..self.slots {
            let (state, key) = (self.state(i), self.key(i));
            match self.value(i) {
                Some(value) => {
                    copy.put(i, state, key, value.clone());
                }
                None => copy.set_state(i, state),
            }
        }
        copy
    }
}

impl<V> Drop for IntTable<V> {
    fn drop(&mut self) {
        /// Frees the allocation last, even if a value's drop panics.
        struct Free(Option<(NonNull<u8>, Layout)>);
        impl Drop for Free {
            fn drop(&mut self) {
                if let Some((base, layout)) = self.0 {
                    // SAFETY: `base` was allocated with `layout` by `try_new` (invariant 3) and
                    // is freed only here, when the table goes away.
                    unsafe { alloc::dealloc(base.as_ptr(), layout) };
                }
            }
        }
        let _free = Free(match self.slots {
            0 => None,
            n => Self::layout(n).map(|(layout, _)| (self.entries.cast(), layout)),
        });
        if mem::needs_drop::<V>() {
            self.drop_values();
        }
    }
}

/// Iterator over the occupied slots of an [`IntTable`]: `(key, &value)`.
pub(crate) struct Iter<'a, V> {
    states: slice::Iter<'a, u8>,
    entries: slice::Iter<'a, Entry<V>>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (u64, &'a V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (&state, entry) = (self.states.next()?, self.entries.next()?);
            if is_occupied(state) {
                // SAFETY: occupied, so the value is initialised (invariant 2); the table is
                // borrowed for 'a, so it stays so.
                return Some((entry.key, unsafe { entry.value.assume_init_ref() }));
            }
        }
    }
}

impl<V> FusedIterator for Iter<'_, V> {}

impl<V> Clone for Iter<'_, V> {
    fn clone(&self) -> Self {
        Iter {
            states: self.states.clone(),
            entries: self.entries.clone(),
        }
    }
}

/// Iterator over the occupied slots of an [`IntTable`]: `(key, &mut value)`.
pub(crate) struct IterMut<'a, V> {
    states: slice::Iter<'a, u8>,
    entries: slice::IterMut<'a, Entry<V>>,
}

impl<'a, V> Iterator for IterMut<'a, V> {
    type Item = (u64, &'a mut V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (&state, entry) = (self.states.next()?, self.entries.next()?);
            if is_occupied(state) {
                // SAFETY: occupied, so the value is initialised (invariant 2); the table is
                // borrowed mutably for 'a and each entry is yielded once.
                return Some((entry.key, unsafe { entry.value.assume_init_mut() }));
            }
        }
    }
}

impl<V> FusedIterator for IterMut<'_, V> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::rc::Rc;

    /// Counts its drops; panics in `drop` or `clone` when told to.
    struct Probe {
        drops: Rc<Cell<usize>>,
        panic_on_drop: bool,
        panic_on_clone: bool,
    }

    impl Probe {
        fn new(drops: &Rc<Cell<usize>>) -> Self {
            Probe {
                drops: drops.clone(),
                panic_on_drop: false,
                panic_on_clone: false,
            }
        }
    }

    impl Clone for Probe {
        fn clone(&self) -> Self {
            assert!(!self.panic_on_clone, "clone panics");
            Probe::new(&self.drops)
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.drops.set(self.drops.get() + 1);
            if self.panic_on_drop {
                self.panic_on_drop = false;
                panic!("drop panics");
            }
        }
    }

    #[test]
    fn new_table_is_empty_with_zero_keys() {
        let t = IntTable::<u64>::try_new(8).unwrap();
        assert_eq!(t.slots(), 8);
        for i in 0..8 {
            assert_eq!((t.state(i), t.key(i), t.value(i)), (EMPTY, 0, None));
        }
        assert_eq!(size_of::<Entry<u64>>(), 16);
        assert_eq!(IntTable::<u64>::layout(8).unwrap().0.size(), 8 * 17 + GROUP);
        let empty = IntTable::<String>::try_new(0).unwrap();
        assert_eq!(empty.iter().count(), 0);
        drop(empty.clone());
    }

    #[test]
    fn put_take_and_states() {
        let mut t = IntTable::try_new(4).unwrap();
        assert_eq!(t.put(1, 0x80, 7, String::from("a")), None);
        assert_eq!(t.value(1).map(String::as_str), Some("a"));
        assert_eq!(
            t.put(1, 0x81, 8, String::from("b")),
            Some((7, String::from("a")))
        );
        t.value_mut(1).unwrap().push('!');
        assert_eq!(t.take(1, TOMBSTONE), Some((8, String::from("b!"))));
        assert_eq!((t.state(1), t.key(1), t.value(1)), (TOMBSTONE, 8, None));
        assert_eq!(t.take(1, EMPTY), None);
        t.set_state(1, EMPTY);
        t.put(3, 2, 9, String::from("c"));
        t.set_state(3, 0xff);
        assert_eq!(t.iter().collect::<Vec<_>>(), [(9, &String::from("c"))]);
        for (_, v) in t.iter_mut() {
            v.push('?');
        }
        assert_eq!(t.value(3).map(String::as_str), Some("c?"));
        let copy = t.clone();
        assert_eq!(t.take(3, TOMBSTONE), Some((9, String::from("c?"))));
        t.reset_states();
        assert_eq!((t.iter().count(), t.state(3)), (0, EMPTY));
        assert_eq!((copy.state(3), copy.key(3)), (0xff, 9));
        // Values left in occupied slots are forgotten (here: nothing to drop).
        let mut bytes = IntTable::try_new(2).unwrap();
        bytes.put(0, 0x80, 1, 7u8);
        bytes.reset_states();
        assert_eq!(bytes.value(0), None);
    }

    #[test]
    fn state_groups_wrap_around() {
        let mut t = IntTable::try_new(16).unwrap();
        for i in [0, 1, 7, 8, 14, 15] {
            t.put(i, 0x80 | i as u8, i as u64, ());
        }
        t.set_state(1, 0x90);
        assert_eq!(t.take(7, TOMBSTONE), Some((7, ())));
        for i in 0..16 {
            let word = t.state_group(i).to_le_bytes();
            for (j, &b) in word.iter().enumerate() {
                assert_eq!(b, t.state((i + j) % 16), "group at {i}, byte {j}");
            }
        }
        t.reset_states();
        assert_eq!(t.state_group(12), 0);
    }

    #[test]
    #[should_panic(expected = "changes occupancy")]
    fn set_state_refuses_to_change_occupancy() {
        IntTable::<u8>::try_new(2).unwrap().set_state(0, 0x80);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn indices_are_checked() {
        IntTable::<u8>::try_new(2).unwrap().key(2);
    }

    #[test]
    fn too_large_is_an_error() {
        assert_eq!(
            IntTable::<u64>::try_new(usize::MAX / 8).err(),
            Some(TableError::TooLarge)
        );
    }

    #[test]
    fn odd_value_types() {
        #[derive(Clone, Debug, PartialEq)]
        #[repr(align(32))]
        struct Wide(u8);
        let mut t = IntTable::try_new(3).unwrap();
        t.put(2, 0x90, 1, Wide(5));
        assert_eq!(t.value(2), Some(&Wide(5)));
        assert_eq!(t.clone().value(2), Some(&Wide(5)));
        let mut z = IntTable::<()>::try_new(3).unwrap();
        z.put(0, 0x90, u64::MAX, ());
        assert_eq!(z.iter().collect::<Vec<_>>(), [(u64::MAX, &())]);
    }

    #[test]
    fn drop_drops_every_value_once_even_if_one_panics() {
        let drops = Rc::new(Cell::new(0));
        let mut t = IntTable::try_new(8).unwrap();
        for i in 0..6 {
            let mut p = Probe::new(&drops);
            p.panic_on_drop = i == 2;
            t.put(i, 0x80, i as u64, p);
        }
        drop(t.take(5, EMPTY));
        assert_eq!(drops.get(), 1);
        assert!(catch_unwind(AssertUnwindSafe(|| drop(t))).is_err());
        assert_eq!(drops.get(), 6);
    }

    #[test]
    fn a_panicking_clone_drops_the_partial_copy() {
        let drops = Rc::new(Cell::new(0));
        let mut t = IntTable::try_new(4).unwrap();
        for i in 0..4 {
            let mut p = Probe::new(&drops);
            p.panic_on_clone = i == 2;
            t.put(i, 0x80, i as u64, p);
        }
        assert!(catch_unwind(AssertUnwindSafe(|| t.clone())).is_err());
        assert_eq!(drops.get(), 2, "the two clones made were dropped");
        drop(t);
        assert_eq!(drops.get(), 6);
    }
}
