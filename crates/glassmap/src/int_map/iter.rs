//! Iterators over an [`IntMap`](super::IntMap), in slot order. Each one knows how many entries are
//! left, so it is exact-size and stops without scanning the empty tail of the table.

use core::fmt;
use core::iter::FusedIterator;

use super::IntTable;
use crate::raw::int_table::{self, TOMBSTONE};

/// The next Full slot's item from `entries` (which yields Full slots only); `left` counts the
/// Full slots not yet yielded, so the scan stops as soon as the last one has been seen.
#[inline]
fn next_full<T>(entries: &mut impl Iterator<Item = T>, left: &mut usize) -> Option<T> {
    if *left == 0 {
        return None;
    }
    let item = entries.next()?;
    *left -= 1;
    Some(item)
}

/// Iterator over `(key, &value)`, from [`IntMap::iter`](super::IntMap::iter).
pub struct IntMapIter<'a, V> {
    entries: int_table::Iter<'a, V>,
    left: usize,
}

impl<'a, V> IntMapIter<'a, V> {
    pub(super) fn new(entries: int_table::Iter<'a, V>, len: usize) -> Self {
        IntMapIter { entries, left: len }
    }
}

impl<'a, V> Iterator for IntMapIter<'a, V> {
    type Item = (u64, &'a V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        next_full(&mut self.entries, &mut self.left)
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
    entries: int_table::IterMut<'a, V>,
    left: usize,
}

impl<'a, V> IntMapIterMut<'a, V> {
    pub(super) fn new(entries: int_table::IterMut<'a, V>, len: usize) -> Self {
        IntMapIterMut { entries, left: len }
    }
}

impl<'a, V> Iterator for IntMapIterMut<'a, V> {
    type Item = (u64, &'a mut V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        next_full(&mut self.entries, &mut self.left)
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
    table: IntTable<V>,
    /// The next slot to look at.
    next: usize,
    left: usize,
}

impl<V> IntMapIntoIter<V> {
    pub(super) fn new(table: IntTable<V>, len: usize) -> Self {
        IntMapIntoIter {
            table,
            next: 0,
            left: len,
        }
    }
}

impl<V> Iterator for IntMapIntoIter<V> {
    type Item = (u64, V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        // Each entry is moved out, leaving a tombstone; the table drops the ones never reached.
        while self.next < self.table.slots() {
            let i = self.next;
            self.next += 1;
            if let Some(entry) = self.table.take(i, TOMBSTONE) {
                self.left -= 1;
                return Some(entry);
            }
        }
        None
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
