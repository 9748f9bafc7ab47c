//! The map's iterators: thin wrappers over the engine's, named as in std.

use core::fmt;
use core::iter::FusedIterator;

use crate::raw;

macro_rules! forward_iterator {
    ($name:ident <$($lt:lifetime,)? $($param:ident),*>, $item:ty, |$it:ident| $map:expr) => {
        impl<$($lt,)? $($param),*> Iterator for $name<$($lt,)? $($param),*> {
            type Item = $item;

            #[inline]
            fn next(&mut self) -> Option<$item> {
                let $it = self.inner.next()?;
                Some($map)
            }

            #[inline]
            fn size_hint(&self) -> (usize, Option<usize>) {
                self.inner.size_hint()
            }

            #[inline]
            fn fold<Acc, Fold: FnMut(Acc, $item) -> Acc>(self, init: Acc, mut f: Fold) -> Acc {
                self.inner.fold(init, |acc, $it| f(acc, $map))
            }
        }

        impl<$($lt,)? $($param),*> ExactSizeIterator for $name<$($lt,)? $($param),*> {}
        impl<$($lt,)? $($param),*> FusedIterator for $name<$($lt,)? $($param),*> {}
    };
}

/// Iterator over `(&K, &V)`, from [`Map::iter`](crate::Map::iter).
pub struct Iter<'a, K, V> {
    inner: raw::Iter<'a, K, V>,
}

impl<'a, K, V> Iter<'a, K, V> {
    pub(super) fn new(inner: raw::Iter<'a, K, V>) -> Self {
        Iter { inner }
    }
}

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Iter {
            inner: self.inner.clone(),
        }
    }
}

forward_iterator!(Iter<'a, K, V>, (&'a K, &'a V), |entry| entry);

/// Iterator over `(&K, &mut V)`, from [`Map::iter_mut`](crate::Map::iter_mut).
pub struct IterMut<'a, K, V> {
    inner: raw::IterMut<'a, K, V>,
}

impl<'a, K, V> IterMut<'a, K, V> {
    pub(super) fn new(inner: raw::IterMut<'a, K, V>) -> Self {
        IterMut { inner }
    }
}

forward_iterator!(IterMut<'a, K, V>, (&'a K, &'a mut V), |entry| entry);

/// Owning iterator over `(K, V)`, from `Map::into_iter`.
pub struct IntoIter<K, V> {
    inner: raw::IntoIter<K, V>,
}

impl<K, V> IntoIter<K, V> {
    pub(super) fn new(inner: raw::IntoIter<K, V>) -> Self {
        IntoIter { inner }
    }
}

forward_iterator!(IntoIter<K, V>, (K, V), |entry| entry);

/// Draining iterator over `(K, V)`, from [`Map::drain`](crate::Map::drain).
pub struct Drain<'a, K, V> {
    inner: raw::Drain<'a, K, V>,
}

impl<'a, K, V> Drain<'a, K, V> {
    pub(super) fn new(inner: raw::Drain<'a, K, V>) -> Self {
        Drain { inner }
    }
}

forward_iterator!(Drain<'a, K, V>, (K, V), |entry| entry);

/// Iterator over the keys, from [`Map::keys`](crate::Map::keys).
pub struct Keys<'a, K, V> {
    inner: Iter<'a, K, V>,
}

/// Iterator over the values, from [`Map::values`](crate::Map::values).
pub struct Values<'a, K, V> {
    inner: Iter<'a, K, V>,
}

/// Iterator over mutable values, from [`Map::values_mut`](crate::Map::values_mut).
pub struct ValuesMut<'a, K, V> {
    inner: IterMut<'a, K, V>,
}

/// Owning iterator over the keys, from [`Map::into_keys`](crate::Map::into_keys).
pub struct IntoKeys<K, V> {
    inner: IntoIter<K, V>,
}

/// Owning iterator over the values, from [`Map::into_values`](crate::Map::into_values).
pub struct IntoValues<K, V> {
    inner: IntoIter<K, V>,
}

impl<'a, K, V> Keys<'a, K, V> {
    pub(super) fn new(inner: Iter<'a, K, V>) -> Self {
        Keys { inner }
    }
}
impl<'a, K, V> Values<'a, K, V> {
    pub(super) fn new(inner: Iter<'a, K, V>) -> Self {
        Values { inner }
    }
}
impl<'a, K, V> ValuesMut<'a, K, V> {
    pub(super) fn new(inner: IterMut<'a, K, V>) -> Self {
        ValuesMut { inner }
    }
}
impl<K, V> IntoKeys<K, V> {
    pub(super) fn new(inner: IntoIter<K, V>) -> Self {
        IntoKeys { inner }
    }
}
impl<K, V> IntoValues<K, V> {
    pub(super) fn new(inner: IntoIter<K, V>) -> Self {
        IntoValues { inner }
    }
}
impl<K, V> Clone for Keys<'_, K, V> {
    fn clone(&self) -> Self {
        Keys {
            inner: self.inner.clone(),
        }
    }
}
impl<K, V> Clone for Values<'_, K, V> {
    fn clone(&self) -> Self {
        Values {
            inner: self.inner.clone(),
        }
    }
}

forward_iterator!(Keys<'a, K, V>, &'a K, |entry| entry.0);
forward_iterator!(Values<'a, K, V>, &'a V, |entry| entry.1);
forward_iterator!(ValuesMut<'a, K, V>, &'a mut V, |entry| entry.1);
forward_iterator!(IntoKeys<K, V>, K, |entry| entry.0);
forward_iterator!(IntoValues<K, V>, V, |entry| entry.1);

/// Iterator removing the entries a predicate selects, from
/// [`Map::extract_if`](crate::Map::extract_if).
pub struct ExtractIf<'a, K, V, F> {
    inner: raw::ExtractIf<'a, K, V, F>,
}

impl<'a, K, V, F: FnMut(&K, &mut V) -> bool> ExtractIf<'a, K, V, F> {
    pub(super) fn new(inner: raw::ExtractIf<'a, K, V, F>) -> Self {
        ExtractIf { inner }
    }
}

impl<K, V, F: FnMut(&K, &mut V) -> bool> Iterator for ExtractIf<'_, K, V, F> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        self.inner.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<K, V, F: FnMut(&K, &mut V) -> bool> FusedIterator for ExtractIf<'_, K, V, F> {}

// Debug shows the entries not yet yielded, as std's iterators do.
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Iter<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for IterMut<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.inner.rest()).finish()
    }
}
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for IntoIter<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.inner.rest()).finish()
    }
}
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Drain<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.inner.rest()).finish()
    }
}
impl<K: fmt::Debug, V> fmt::Debug for Keys<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}
impl<K, V: fmt::Debug> fmt::Debug for Values<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}
impl<K, V: fmt::Debug> fmt::Debug for ValuesMut<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.inner.inner.rest().map(|(_, v)| v))
            .finish()
    }
}
impl<K: fmt::Debug, V> fmt::Debug for IntoKeys<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.inner.inner.rest().map(|(k, _)| k))
            .finish()
    }
}
impl<K, V: fmt::Debug> fmt::Debug for IntoValues<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.inner.inner.rest().map(|(_, v)| v))
            .finish()
    }
}
impl<K, V, F> fmt::Debug for ExtractIf<'_, K, V, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtractIf").finish_non_exhaustive()
    }
}
