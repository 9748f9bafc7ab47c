//! Entries: a found slot or a prepared empty one, with the table borrowed for the entry's life.

use super::bucket::Cell;
use super::{Found, RawTable};

pub(crate) enum RawEntry<'a, K, V> {
    Occupied(RawOccupied<'a, K, V>),
    Vacant(RawVacant<'a, K, V>),
}

/// A full slot of the current array.
pub(crate) struct RawOccupied<'a, K, V> {
    table: &'a mut RawTable<K, V>,
    cell: Cell<K, V>,
    hash: u64,
}

/// An empty slot of the current array in the chain of `hash`, ready for one insert.
pub(crate) struct RawVacant<'a, K, V> {
    table: &'a mut RawTable<K, V>,
    cell: Cell<K, V>,
    hash: u64,
}

impl<K, V> RawTable<K, V> {
    /// The write path of the entry API: growth work, then the key's slot or an empty one.
    #[inline]
    pub(crate) fn entry(
        &mut self,
        hash: u64,
        eq: impl FnMut(&K) -> bool,
        hasher: impl Fn(&K) -> u64,
    ) -> RawEntry<'_, K, V> {
        match self.find_or_vacant(hash, eq, hasher) {
            Found::Occupied(cell) => RawEntry::Occupied(RawOccupied {
                table: self,
                cell,
                hash,
            }),
            Found::Vacant(cell) => RawEntry::Vacant(RawVacant {
                table: self,
                cell,
                hash,
            }),
        }
    }
}

// All methods below rely on the same invariant: `cell` came from `find_or_vacant(hash, ..)` on
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
        // SAFETY: see the block comment above; the slot is in the current array's chain of `hash`.
        unsafe { self.table.remove_at(self.hash, self.cell) }
    }
}

impl<'a, K, V> RawVacant<'a, K, V> {
    #[inline]
    pub(crate) fn insert(self, key: K, value: V) -> &'a mut V {
        // SAFETY: see the block comment above.
        unsafe {
            self.table.insert_in(self.cell, self.hash, key, value);
            &mut *self.cell.value()
        }
    }
}
