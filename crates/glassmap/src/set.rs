//! [`Set`]: a [`Map`] with `()` values.

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::iter::FusedIterator;

use crate::map::{self, Map};
use crate::{BucketLoads, RandomState, Stats, TryReserveError};

/// A hash set on glassmap's Go-style engine: a [`Map<T, ()>`](Map) with std's `HashSet` API.
///
/// # Examples
/// ```
/// use glassmap::Set;
///
/// let mut seen = Set::new();
/// assert!(seen.insert("gopher"));
/// assert!(!seen.insert("gopher"));
/// assert!(seen.contains("gopher"));
/// let other = Set::from(["gopher", "crab"]);
/// assert!(seen.is_subset(&other));
/// ```
pub struct Set<T, S = RandomState> {
    map: Map<T, (), S>,
}

impl<T> Set<T, RandomState> {
    /// An empty set.
    pub fn new() -> Self {
        Set { map: Map::new() }
    }

    /// An empty set for `capacity` elements (see [`Map::with_capacity`]).
    pub fn with_capacity(capacity: usize) -> Self {
        Set {
            map: Map::with_capacity(capacity),
        }
    }
}

impl<T, S> Set<T, S> {
    /// An empty set using `hash_builder`.
    pub const fn with_hasher(hash_builder: S) -> Self {
        Set {
            map: Map::with_hasher(hash_builder),
        }
    }

    /// An empty set for `capacity` elements using `hash_builder`.
    pub fn with_capacity_and_hasher(capacity: usize, hash_builder: S) -> Self {
        Set {
            map: Map::with_capacity_and_hasher(capacity, hash_builder),
        }
    }

    /// The set's hasher builder.
    pub fn hasher(&self) -> &S {
        self.map.hasher()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// See [`Map::capacity`].
    pub fn capacity(&self) -> usize {
        self.map.capacity()
    }

    /// See [`Map::stats`].
    pub fn stats(&self) -> Stats {
        self.map.stats()
    }

    /// See [`Map::bucket_loads`].
    pub fn bucket_loads(&self) -> BucketLoads<'_, T, ()> {
        self.map.bucket_loads()
    }

    /// See [`Map::is_growing`].
    pub fn is_growing(&self) -> bool {
        self.map.is_growing()
    }

    /// An iterator over the elements.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            inner: self.map.keys(),
        }
    }

    /// Removes every element, yielding them.
    pub fn drain(&mut self) -> Drain<'_, T> {
        Drain {
            inner: self.map.drain(),
        }
    }

    /// Keeps only the elements for which `keep` returns true.
    pub fn retain<F: FnMut(&T) -> bool>(&mut self, mut keep: F) {
        self.map.retain(|k, _| keep(k));
    }

    /// Removes every element, keeping the bucket array.
    pub fn clear(&mut self) {
        self.map.clear();
    }
}

impl<T: Hash + Eq, S: BuildHasher> Set<T, S> {
    /// Adds `value`; returns whether it was absent.
    pub fn insert(&mut self, value: T) -> bool {
        match self.map.entry(value) {
            map::Entry::Occupied(_) => false,
            map::Entry::Vacant(entry) => {
                entry.insert(());
                true
            }
        }
    }

    /// Adds `value`, replacing and returning an equal element already present.
    pub fn replace(&mut self, value: T) -> Option<T> {
        let old = self.map.remove_entry(&value).map(|(old, ())| old);
        self.map.insert(value, ());
        old
    }

    /// Whether `value` is in the set.
    pub fn contains<Q>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.contains_key(value)
    }

    /// The stored element equal to `value`.
    pub fn get<Q>(&self, value: &Q) -> Option<&T>
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get_key_value(value).map(|(k, _)| k)
    }

    /// Removes `value`; returns whether it was present.
    pub fn remove<Q>(&mut self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.remove(value).is_some()
    }

    /// Removes and returns the stored element equal to `value`.
    pub fn take<Q>(&mut self, value: &Q) -> Option<T>
    where
        T: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.remove_entry(value).map(|(k, ())| k)
    }

    /// See [`Map::reserve`].
    pub fn reserve(&mut self, additional: usize) {
        self.map.reserve(additional);
    }

    /// See [`Map::try_reserve`].
    ///
    /// # Errors
    /// As [`Map::try_reserve`].
    pub fn try_reserve(&mut self, additional: usize) -> Result<(), TryReserveError> {
        self.map.try_reserve(additional)
    }

    /// See [`Map::shrink_to_fit`].
    pub fn shrink_to_fit(&mut self) {
        self.map.shrink_to_fit();
    }

    /// See [`Map::shrink_to`].
    pub fn shrink_to(&mut self, min_capacity: usize) {
        self.map.shrink_to(min_capacity);
    }

    /// See [`Map::finish_growth`].
    pub fn finish_growth(&mut self) {
        self.map.finish_growth();
    }

    /// See [`Map::evacuate_step`].
    pub fn evacuate_step(&mut self, max_buckets: usize) -> bool {
        self.map.evacuate_step(max_buckets)
    }

    /// Elements in `self` but not in `other`.
    pub fn difference<'a>(&'a self, other: &'a Self) -> impl Iterator<Item = &'a T> + 'a {
        self.iter().filter(move |v| !other.contains(*v))
    }

    /// Elements in exactly one of the two sets.
    pub fn symmetric_difference<'a>(&'a self, other: &'a Self) -> impl Iterator<Item = &'a T> + 'a {
        self.difference(other).chain(other.difference(self))
    }

    /// Elements in both sets.
    pub fn intersection<'a>(&'a self, other: &'a Self) -> impl Iterator<Item = &'a T> + 'a {
        let (small, large) = if self.len() <= other.len() {
            (self, other)
        } else {
            (other, self)
        };
        small.iter().filter(move |v| large.contains(*v))
    }

    /// Elements in either set, each once.
    pub fn union<'a>(&'a self, other: &'a Self) -> impl Iterator<Item = &'a T> + 'a {
        self.iter().chain(other.difference(self))
    }

    /// Whether the sets share no element.
    pub fn is_disjoint(&self, other: &Self) -> bool {
        self.intersection(other).next().is_none()
    }

    /// Whether every element of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.len() <= other.len() && self.iter().all(|v| other.contains(v))
    }

    /// Whether every element of `other` is in `self`.
    pub fn is_superset(&self, other: &Self) -> bool {
        other.is_subset(self)
    }
}

/// Iterator over a set's elements.
pub struct Iter<'a, T> {
    inner: map::Keys<'a, T, ()>,
}

/// Owning iterator over a set's elements.
pub struct IntoIter<T> {
    inner: map::IntoKeys<T, ()>,
}

/// Draining iterator over a set's elements.
pub struct Drain<'a, T> {
    inner: map::Drain<'a, T, ()>,
}

impl<T> Clone for Iter<'_, T> {
    fn clone(&self) -> Self {
        Iter {
            inner: self.inner.clone(),
        }
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;
    fn next(&mut self) -> Option<&'a T> {
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
    fn fold<B, F: FnMut(B, &'a T) -> B>(self, init: B, f: F) -> B {
        self.inner.fold(init, f)
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T> Iterator for Drain<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.inner.next().map(|(k, ())| k)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}
impl<T> ExactSizeIterator for IntoIter<T> {}
impl<T> ExactSizeIterator for Drain<'_, T> {}
impl<T> FusedIterator for Iter<'_, T> {}
impl<T> FusedIterator for IntoIter<T> {}
impl<T> FusedIterator for Drain<'_, T> {}

impl<T: fmt::Debug> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}
impl<T: fmt::Debug> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
impl<T: fmt::Debug> fmt::Debug for Drain<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Drain").finish_non_exhaustive()
    }
}

impl<T: fmt::Debug, S> fmt::Debug for Set<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl<T, S: Default> Default for Set<T, S> {
    fn default() -> Self {
        Set::with_hasher(S::default())
    }
}

impl<T: Clone, S: Clone> Clone for Set<T, S> {
    fn clone(&self) -> Self {
        Set {
            map: self.map.clone(),
        }
    }
}

impl<T: Hash + Eq, S: BuildHasher> PartialEq for Set<T, S> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.is_subset(other)
    }
}

impl<T: Hash + Eq, S: BuildHasher> Eq for Set<T, S> {}

impl<T: Hash + Eq, S: BuildHasher> Extend<T> for Set<T, S> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        self.map.extend(iter.into_iter().map(|v| (v, ())));
    }
}

impl<'a, T: Hash + Eq + Copy + 'a, S: BuildHasher> Extend<&'a T> for Set<T, S> {
    fn extend<I: IntoIterator<Item = &'a T>>(&mut self, iter: I) {
        self.extend(iter.into_iter().copied());
    }
}

impl<T: Hash + Eq, S: BuildHasher + Default> FromIterator<T> for Set<T, S> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = Set::with_hasher(S::default());
        set.extend(iter);
        set
    }
}

impl<T: Hash + Eq, const N: usize> From<[T; N]> for Set<T, RandomState> {
    fn from(values: [T; N]) -> Self {
        values.into_iter().collect()
    }
}

impl<T, S> IntoIterator for Set<T, S> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter {
            inner: self.map.into_keys(),
        }
    }
}

impl<'a, T, S> IntoIterator for &'a Set<T, S> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}
