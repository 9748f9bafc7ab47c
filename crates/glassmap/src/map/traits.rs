//! Standard trait implementations for [`Map`].

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};
use core::ops::Index;

use super::{IntoIter, Iter, IterMut, Map};
use crate::RandomState;

impl<K, V, S: Default> Default for Map<K, V, S> {
    fn default() -> Self {
        Map::with_hasher(S::default())
    }
}

/// A structural clone: the same buckets, chains and slots (also in the middle of a growth, which
/// the clone then continues), so nothing is rehashed and only `Clone` is required, as for std's
/// map. If a `clone` of a key or value panics, the entries cloned so far are dropped.
impl<K: Clone, V: Clone, S: Clone> Clone for Map<K, V, S> {
    fn clone(&self) -> Self {
        Map {
            table: self.table.clone(),
            hash_builder: self.hash_builder.clone(),
        }
    }
}

impl<K, V, S> PartialEq for Map<K, V, S>
where
    K: Hash + Eq,
    V: PartialEq,
    S: BuildHasher,
{
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl<K: Hash + Eq, V: Eq, S: BuildHasher> Eq for Map<K, V, S> {}

impl<K, Q, V, S> Index<&Q> for Map<K, V, S>
where
    K: Hash + Eq + Borrow<Q>,
    Q: Hash + Eq + ?Sized,
    S: BuildHasher,
{
    type Output = V;

    /// # Panics
    /// If the key is not in the map.
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("key not found in glassmap::Map")
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> Extend<(K, V)> for Map<K, V, S> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        let iter = iter.into_iter();
        // As hashbrown: reserve for all when empty, for half otherwise (some keys may repeat).
        let hint = iter.size_hint().0;
        self.reserve(if self.is_empty() {
            hint
        } else {
            hint.div_ceil(2)
        });
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a, K, V, S> Extend<(&'a K, &'a V)> for Map<K, V, S>
where
    K: Hash + Eq + Copy,
    V: Copy,
    S: BuildHasher,
{
    fn extend<I: IntoIterator<Item = (&'a K, &'a V)>>(&mut self, iter: I) {
        self.extend(iter.into_iter().map(|(&k, &v)| (k, v)));
    }
}

impl<K: Hash + Eq, V, S: BuildHasher + Default> FromIterator<(K, V)> for Map<K, V, S> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Map::with_hasher(S::default());
        map.extend(iter);
        map
    }
}

impl<K: Hash + Eq, V, const N: usize> From<[(K, V); N]> for Map<K, V, RandomState> {
    /// # Examples
    /// ```
    /// let map = glassmap::Map::from([(1, "a"), (2, "b")]);
    /// assert_eq!(map[&2], "b");
    /// ```
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<K, V, S> IntoIterator for Map<K, V, S> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    fn into_iter(self) -> IntoIter<K, V> {
        IntoIter::new(self.table.into_iter())
    }
}

impl<'a, K, V, S> IntoIterator for &'a Map<K, V, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

impl<'a, K, V, S> IntoIterator for &'a mut Map<K, V, S> {
    type Item = (&'a K, &'a mut V);
    type IntoIter = IterMut<'a, K, V>;

    fn into_iter(self) -> IterMut<'a, K, V> {
        self.iter_mut()
    }
}
