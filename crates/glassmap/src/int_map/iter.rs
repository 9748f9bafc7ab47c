//! Iterators over an [`IntMap`](super::IntMap): key 0 (from the side slot) first, then the table
//! in slot order. Each one knows how many entries are left, so it is exact-size and stops without
//! scanning the empty tail of the table.

use core::fmt;
use core::iter::FusedIterator;

use super::table::{self, EMPTY};

/// The next item: the side slot's while it has one, then the table's; `left` counts the entries
/// not yet yielded, so the scan stops as soon as the last one has been seen.
#[inline]
fn next_entry<T>(
    zero: &mut Option<T>,
    entries: &mut impl Iterator<Item = (u64, T)>,
    left: &mut usize,
) -> Option<(u64, T)> {
    if *left == 0 {
        return None;
    }
    let item = match zero.take() {
        Some(value) => (EMPTY, value),
        None => entries.next()?,
    };
    *left -= 1;
    Some(item)
}

/// Iterator over `(key, &value)`, from [`IntMap::iter`](super::IntMap::iter).
pub struct IntMapIter<'a, V> {
    zero: Option<&'a V>,
    entries: table::Iter<'a, V>,
    left: usize,
}

impl<'a, V> IntMapIter<'a, V> {
    pub(super) fn new(zero: Option<&'a V>, entries: table::Iter<'a, V>, len: usize) -> Self {
        IntMapIter {
            zero,
            entries,
            left: len,
        }
    }
}

impl<'a, V> Iterator for IntMapIter<'a, V> {
    type Item = (u64, &'a V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        next_entry(&mut self.zero, &mut self.entries, &mut self.left)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<V> ExactSizeIterator for IntMapIter<'_, V> {}
impl<V> FusedIterator for IntMapIter<'_, V> {}

impl<V> Clone for IntMapIter<'_, V> {
    fn clone(&self) -> Self {
        IntMapIter {
            zero: self.zero,
            entries: self.entries.clone(),
            left: self.left,
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for IntMapIter<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// Iterator over `(key, &mut value)`, from [`IntMap::iter_mut`](super::IntMap::iter_mut).
pub struct IntMapIterMut<'a, V> {
    zero: Option<&'a mut V>,
    entries: table::IterMut<'a, V>,
    left: usize,
}

impl<'a, V> IntMapIterMut<'a, V> {
    pub(super) fn new(zero: Option<&'a mut V>, entries: table::IterMut<'a, V>, len: usize) -> Self {
        IntMapIterMut {
            zero,
            entries,
            left: len,
        }
    }
}

impl<'a, V> Iterator for IntMapIterMut<'a, V> {
    type Item = (u64, &'a mut V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        next_entry(&mut self.zero, &mut self.entries, &mut self.left)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<V> ExactSizeIterator for IntMapIterMut<'_, V> {}
impl<V> FusedIterator for IntMapIterMut<'_, V> {}

impl<V> fmt::Debug for IntMapIterMut<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntMapIterMut")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

/// Owning iterator over `(key, value)`, from `IntMap::into_iter`. Entries it does not yield are
/// dropped with it.
pub struct IntMapIntoIter<V> {
    zero: Option<V>,
    entries: table::IntoIter<V>,
    left: usize,
}

impl<V> IntMapIntoIter<V> {
    pub(super) fn new(zero: Option<V>, table: table::IntTable<V>) -> Self {
        let left = table.len() + usize::from(zero.is_some());
        IntMapIntoIter {
            zero,
            entries: table.into_iter(),
            left,
        }
    }
}

impl<V> Iterator for IntMapIntoIter<V> {
    type Item = (u64, V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        next_entry(&mut self.zero, &mut self.entries, &mut self.left)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<V> ExactSizeIterator for IntMapIntoIter<V> {}
impl<V> FusedIterator for IntMapIntoIter<V> {}

impl<V> fmt::Debug for IntMapIntoIter<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntMapIntoIter")
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}
