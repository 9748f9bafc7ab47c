//! Structural `Clone` for [`RawTable`]: the clone has the same arrays, the same chains and every
//! entry in the same slot, so nothing is hashed and only `K: Clone, V: Clone` are needed.
//!
//! A table in the middle of a growth is cloned *with* its growth: the old array's unevacuated
//! buckets (those at or above `nevacuate`; the ones below are never read, table invariant 2) and
//! the current array are both copied, and the clone goes on evacuating where the original stands.
//! Finishing the growth first is not possible behind `&self`, and finishing it in the clone would
//! need `K: Hash` and the hasher (evacuation rehashes every moved key), which a structural clone
//! must not require.
//!
//! # Invariants
//! 1. The clone is a valid table whenever user code can panic: its `len` counts exactly the slots
//!    marked full, a slot is marked full only after its key and value are written (a bucket's
//!    tophash word is published once its slots are cloned, or by a guard when a `clone` panics),
//!    and every slot not yet visited is zero (`EMPTY_REST`: the arrays are allocated zeroed). So
//!    dropping a half-built clone drops exactly the entries cloned so far.
//! 2. Overflow buckets are linked into the clone's chain only when the copy reaches them, so a
//!    chain never points at memory the clone does not own.

use super::RawTable;
use super::array::BucketArray;
use super::bucket::{Bucket, Cell};
use super::evacuate::Evacuation;
use super::growth_policy::BUCKET_SLOTS;
use super::tophash::{CHAINED, MIN_TOPHASH};

impl<K: Clone, V: Clone> Clone for RawTable<K, V> {
    fn clone(&self) -> Self {
        let mut clone = RawTable {
            len: 0,
            current: BucketArray::unallocated(),
            evacuation: None,
            growing: self.growing,
            doublings: self.doublings,
            same_size_growths: self.same_size_growths,
            scratch: Vec::new(),
        };
        if let Some(ev) = &self.evacuation {
            clone.evacuation = Some(Evacuation {
                old: BucketArray::new(ev.old.log2()),
                nevacuate: ev.nevacuate,
                kind: ev.kind,
                shape: ev.shape,
            });
            let Some(target) = &mut clone.evacuation else {
                unreachable!("set just above")
            };
            copy_buckets(&ev.old, &mut target.old, ev.nevacuate, &mut clone.len);
            target.old.copy_overflow_count(&ev.old);
        }
        if self.current.is_allocated() {
            clone.current = BucketArray::new(self.current.log2());
            copy_buckets(&self.current, &mut clone.current, 0, &mut clone.len);
            clone.current.copy_overflow_count(&self.current);
        }
        debug_assert_eq!(clone.len, self.len);
        clone
    }
}

/// Copies the chains of primary buckets `from..` of `source` into the same buckets of `target`
/// (same B, freshly zeroed), adding every cloned entry to `len` as soon as its bucket is published.
///
/// A chain is followed only from buckets with the `CHAINED` mark (table invariant 8, so no link is
/// loaded to learn that a chain ends) and no `EMPTY_REST` slot: past one, the chain holds nothing
/// and nothing ever looks (table invariant 4: lookups, inserts and iteration all stop there). Such
/// empty tail buckets (left behind by removals) are not copied, and the copy of the bucket before
/// them drops its mark. A continued chain's next bucket is linked before the copy of the bucket
/// is published, so even a clone cut short by a panicking `clone` keeps invariant 8.
fn copy_buckets<K: Clone, V: Clone>(
    source: &BucketArray<K, V>,
    target: &mut BucketArray<K, V>,
    from: usize,
    len: &mut usize,
) {
    debug_assert_eq!(source.log2(), target.log2());
    for index in from..source.buckets() {
        let mut from_bucket = source.head(index);
        let mut to_bucket = target.head(index);
        loop {
            // SAFETY: both buckets are live: `from_bucket` is in a chain of `source` at or above
            // the caller's `from` (never released), `to_bucket` in the matching chain of
            // `target`, which this function owns mutably (invariant 2).
            let group = unsafe { from_bucket.group() };
            let next = if group.chain_goes_on() {
                // SAFETY: as above; the chain goes on past `from_bucket` (its `CHAINED` mark,
                // invariant 8).
                let next = unsafe { from_bucket.overflow_unchecked() };
                let unit = target.new_overflow();
                // SAFETY: as above; `unit` is a fresh empty overflow unit of `target`, which
                // holds nothing yet, so linking it keeps invariant 1.
                unsafe { to_bucket.set_overflow(unit) };
                Some((next, unit))
            } else {
                None
            };
            // SAFETY: as above; `to_bucket` is linked iff `next` is set.
            unsafe { copy_bucket(from_bucket, to_bucket, next.is_some(), len) };
            let Some((next, unit)) = next else {
                break;
            };
            from_bucket = next;
            // SAFETY: `unit` is an allocated overflow unit of `target`.
            to_bucket = unsafe { Bucket::of_overflow(unit) };
        }
    }
}

/// The tophash word of a bucket being filled, written (with the count of entries it publishes)
/// when the bucket is done *or* when a `clone` panics half-way: either way the bucket then marks
/// full exactly the slots that were written (invariant 1).
struct Publish<'a, K, V> {
    bucket: Bucket<K, V>,
    tophash: [u8; BUCKET_SLOTS],
    written: usize,
    len: &'a mut usize,
}

impl<K, V> Drop for Publish<'_, K, V> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the bucket is live and exclusively owned (`copy_bucket`'s caller), and every
        // slot marked full here had its key and value written.
        unsafe { self.bucket.set_group(self.tophash) };
        *self.len += self.written;
    }
}

/// Copies one bucket's tophash states and clones its full slots into the zeroed bucket `to`,
/// whose chain goes on (it has a link) iff `chained`; otherwise a `CHAINED` mark of `from` becomes
/// `EMPTY_REST` (it follows an `EMPTY_REST`, invariant 4).
///
/// # Safety
/// Both buckets are live, `to` is zeroed and exclusively owned by the caller, and linked iff
/// `chained`.
#[inline]
unsafe fn copy_bucket<K: Clone, V: Clone>(
    from: Bucket<K, V>,
    to: Bucket<K, V>,
    chained: bool,
    len: &mut usize,
) {
    // SAFETY: live bucket (caller).
    let group = unsafe { from.group() };
    let mut publish = Publish {
        bucket: to,
        tophash: [0; BUCKET_SLOTS],
        written: 0,
        len,
    };
    // The state bytes (empty) as they are; full slots stay zero until written.
    for (slot, state) in publish.tophash.iter_mut().enumerate() {
        // SAFETY: live bucket (caller).
        let top = unsafe { from.tophash(slot) };
        if top < MIN_TOPHASH && (top != CHAINED || chained) {
            *state = top;
        }
    }
    for slot in group.full() {
        let source = Cell::new(from, slot);
        let target = Cell::new(to, slot);
        // SAFETY: a full slot of a live bucket holds an initialised key, value and tophash; the
        // target slot is empty and exclusively owned, so writing it overwrites nothing. The slot is
        // marked full only after both writes (invariant 1).
        unsafe {
            let (key, value) = ((*source.key()).clone(), (*source.value()).clone());
            target.key().write(key);
            target.value().write(value);
            publish.tophash[slot] = source.tophash();
        }
        publish.written += 1;
    }
}
