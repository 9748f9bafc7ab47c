//! The entry API, over the engine's prepared slots.

use core::fmt;
use core::mem;

use crate::raw::{RawEntry, RawOccupied, RawVacant};

/// A view into one key's place in a [`Map`](crate::Map), from [`Map::entry`](crate::Map::entry).
///
/// Making the entry did the write's growth work and, for a vacant key, already chose its slot (and
/// started a growth if Go would), so inserting through it never searches again.
pub enum Entry<'a, K, V> {
    /// The key is in the map.
    Occupied(OccupiedEntry<'a, K, V>),
    /// The key is not in the map.
    Vacant(VacantEntry<'a, K, V>),
}

/// An entry whose key is in the map.
pub struct OccupiedEntry<'a, K, V> {
    raw: RawOccupied<'a, K, V>,
}

/// An entry whose key is absent, holding the key until a value is inserted.
pub struct VacantEntry<'a, K, V> {
    raw: RawVacant<'a, K, V>,
    key: K,
}

impl<'a, K, V> Entry<'a, K, V> {
    pub(super) fn new(raw: RawEntry<'a, K, V>, key: K) -> Self {
        match raw {
            RawEntry::Occupied(raw) => Entry::Occupied(OccupiedEntry { raw }),
            RawEntry::Vacant(raw) => Entry::Vacant(VacantEntry { raw, key }),
        }
    }

    /// The value, inserting `default` if the key is absent.
    pub fn or_insert(self, default: V) -> &'a mut V {
        self.or_insert_with(|| default)
    }

    /// The value, inserting `default()` if the key is absent.
    pub fn or_insert_with<F: FnOnce() -> V>(self, default: F) -> &'a mut V {
        self.or_insert_with_key(|_| default())
    }

    /// The value, inserting `default(&key)` if the key is absent.
    pub fn or_insert_with_key<F: FnOnce(&K) -> V>(self, default: F) -> &'a mut V {
        match self {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let value = default(entry.key());
                entry.insert(value)
            }
        }
    }

    /// The value, inserting `V::default()` if the key is absent.
    pub fn or_default(self) -> &'a mut V
    where
        V: Default,
    {
        self.or_insert_with(V::default)
    }

    /// Applies `f` to the value if the key is present.
    ///
    /// # Examples
    /// ```
    /// let mut map = glassmap::Map::new();
    /// map.entry("k").and_modify(|v| *v += 1).or_insert(10);
    /// map.entry("k").and_modify(|v| *v += 1).or_insert(10);
    /// assert_eq!(map["k"], 11);
    /// ```
    pub fn and_modify<F: FnOnce(&mut V)>(mut self, f: F) -> Self {
        if let Entry::Occupied(entry) = &mut self {
            f(entry.get_mut());
        }
        self
    }

    /// The entry's key: the stored one if occupied, the given one if vacant.
    pub fn key(&self) -> &K {
        match self {
            Entry::Occupied(entry) => entry.key(),
            Entry::Vacant(entry) => entry.key(),
        }
    }
}

impl<'a, K, V> OccupiedEntry<'a, K, V> {
    /// The stored key.
    pub fn key(&self) -> &K {
        self.raw.key()
    }

    /// The value.
    pub fn get(&self) -> &V {
        self.raw.get()
    }

    /// The value, mutably, for the entry's lifetime.
    pub fn get_mut(&mut self) -> &mut V {
        self.raw.get_mut()
    }

    /// The value, mutably, for the map's borrow.
    pub fn into_mut(self) -> &'a mut V {
        self.raw.into_mut()
    }

    /// Replaces the value, returning the old one.
    pub fn insert(&mut self, value: V) -> V {
        mem::replace(self.get_mut(), value)
    }

    /// Removes the entry, returning the value.
    pub fn remove(self) -> V {
        self.remove_entry().1
    }

    /// Removes the entry, returning the stored key and the value.
    pub fn remove_entry(self) -> (K, V) {
        self.raw.remove_entry()
    }
}

impl<'a, K, V> VacantEntry<'a, K, V> {
    /// The key that would be inserted.
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Gives the key back without inserting.
    pub fn into_key(self) -> K {
        self.key
    }

    /// Inserts the key with `value`, returning the value in place.
    pub fn insert(self, value: V) -> &'a mut V {
        self.raw.insert(self.key, value)
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Entry<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Occupied(entry) => f.debug_tuple("Entry").field(entry).finish(),
            Entry::Vacant(entry) => f.debug_tuple("Entry").field(entry).finish(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for OccupiedEntry<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OccupiedEntry")
            .field("key", self.key())
            .field("value", self.get())
            .finish()
    }
}

impl<K: fmt::Debug, V> fmt::Debug for VacantEntry<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("VacantEntry").field(self.key()).finish()
    }
}
