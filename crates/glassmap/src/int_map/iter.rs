//! Iterators over an [`IntMap`](super::IntMap), in slot order. Each one knows how many entries are
//! left, so it is exact-size and stops without scanning the empty tail of the table.

use core::iter::FusedIterator;
use core::{fmt, slice};
use std::vec;

use super::Slot;

/// The next Full slot's item, skipping the others; `left` counts the Full slots not yet yielded,
/// so the scan stops as soon as the last one has been seen.
#[inline]
fn next_full<S, T>(
    slots: &mut impl Iterator<Item = S>,
    left: &mut usize,
    full: impl FnMut(S) -> Option<T>,
) -> Option<T> {
    if *left == 0 {
        return None;
    }
    let item = slots.find_map(full)?;
    *left -= 1;
    Some(item)
}

/// Iterator over `(key, &value)`, from [`IntMap::iter`](super::IntMap::iter).
pub struct IntMapIter<'a, V> {
    slots: slice::Iter<'a, Slot<V>>,
    left: usize,
}

impl<'a, V> IntMapIter<'a, V> {
    pub(super) fn new(slots: &'a [Slot<V>], len: usize) -> Self {
        IntMapIter {
            slots: slots.iter(),
            left: len,
        }
    }
}

impl<'a, V> Iterator for IntMapIter<'a, V> {
    type Item = (u64, &'a V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        next_full(&mut self.slots, &mut self.left, |slot| match slot {
            Slot::Full(k, v) => Some((*k, v)),
            _ => None,
        })
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
            slots: self.slots.clone(),
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
    slots: slice::IterMut<'a, Slot<V>>,
    left: usize,
}

impl<'a, V> IntMapIterMut<'a, V> {
    pub(super) fn new(slots: &'a mut [Slot<V>], len: usize) -> Self {
        IntMapIterMut {
            slots: slots.iter_mut(),
            left: len,
        }
    }
}

impl<'a, V> Iterator for IntMapIterMut<'a, V> {
    type Item = (u64, &'a mut V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        next_full(&mut self.slots, &mut self.left, |slot| match slot {
            Slot::Full(k, v) => Some((*k, v)),
            _ => None,
        })
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
    slots: vec::IntoIter<Slot<V>>,
    left: usize,
}

impl<V> IntMapIntoIter<V> {
    pub(super) fn new(slots: Box<[Slot<V>]>, len: usize) -> Self {
        // `into_vec` reuses the boxed slice's allocation.
        IntMapIntoIter {
            slots: slots.into_vec().into_iter(),
            left: len,
        }
    }
}

impl<V> Iterator for IntMapIntoIter<V> {
    type Item = (u64, V);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        next_full(&mut self.slots, &mut self.left, |slot| match slot {
            Slot::Full(k, v) => Some((k, v)),
            _ => None,
        })
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
