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
//! 1. The clone is a valid table at every step: its `len` counts exactly the slots it has filled,
//!    and every slot not yet visited is zero (`EMPTY_REST`, the arrays are allocated zeroed). A
//!    slot's tophash is written only after its key and value (`Cell::write`). So if a `K::clone`
//!    or `V::clone` panics, dropping the half-built clone drops exactly the entries cloned so far:
//!    its iterator stops at the first `EMPTY_REST` of a chain, and every full slot precedes it.
//! 2. Overflow buckets are linked into the clone's chain only when the copy reaches them, so a
//!    chain never points at memory the clone does not own.

use super::array::BucketArray;
use super::bucket::{Bucket, Cell};
use super::growth::BUCKET_SLOTS;
use super::tophash::MIN_TOPHASH;
use super::{Evacuation, RawTable};

impl<K: Clone, V: Clone> Clone for RawTable<K, V> {
    fn clone(&self) -> Self {
        let mut clone = RawTable {
            len: 0,
            current: BucketArray::unallocated(),
            evacuation: None,
            noverflow: self.noverflow,
            random: self.random,
            doublings: self.doublings,
            same_size_growths: self.same_size_growths,
            scratch: Vec::new(),
        };
        if let Some(ev) = &self.evacuation {
            clone.evacuation = Some(Evacuation {
                old: BucketArray::new(ev.old.log2()),
                nevacuate: ev.nevacuate,
                evacuated: ev.evacuated,
                kind: ev.kind,
            });
            let Some(target) = &mut clone.evacuation else {
                unreachable!("set just above")
            };
            copy_buckets(&ev.old, &mut target.old, ev.nevacuate, &mut clone.len);
        }
        if self.current.is_allocated() {
            clone.current = BucketArray::new(self.current.log2());
            copy_buckets(&self.current, &mut clone.current, 0, &mut clone.len);
        }
        debug_assert_eq!(clone.len, self.len);
        clone
    }
}

/// Copies the chains of primary buckets `from..` of `source` into the same buckets of `target`
/// (same B, freshly zeroed), adding every cloned entry to `len` as soon as it is written.
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
            // the caller's `from` (never released), `to_bucket` in the matching chain of `target`,
            // which this function owns mutably (invariant 2).
            unsafe { copy_bucket(from_bucket, to_bucket, len) };
            // SAFETY: as above.
            let Some(next) = (unsafe { from_bucket.overflow() }) else {
                break;
            };
            let unit = target.new_overflow();
            // SAFETY: `to_bucket` is live, `target` exclusively borrowed, `unit` a fresh empty
            // overflow unit of `target`; it holds nothing yet, so linking it keeps invariant 1.
            unsafe {
                to_bucket.set_overflow(unit);
                to_bucket = Bucket::of_overflow(unit);
            }
            from_bucket = next;
        }
    }
}

/// Copies one bucket's tophash states and clones its full slots into the zeroed bucket `to`.
///
/// # Safety
/// Both buckets are live, `to` is zeroed and exclusively owned by the caller.
#[inline]
unsafe fn copy_bucket<K: Clone, V: Clone>(from: Bucket<K, V>, to: Bucket<K, V>, len: &mut usize) {
    // The state bytes (empty, evacuated) first, with every full slot left zero (invariant 1).
    let mut states = [0u8; BUCKET_SLOTS];
    for (slot, state) in states.iter_mut().enumerate() {
        // SAFETY: live bucket (caller).
        let top = unsafe { from.tophash(slot) };
        if top < MIN_TOPHASH {
            *state = top;
        }
    }
    // SAFETY: live, zeroed and exclusively owned (caller): nothing is overwritten.
    unsafe { to.set_group(states) };
    // SAFETY: live bucket (caller).
    for slot in unsafe { from.group() }.full() {
        let source = Cell::new(from, slot);
        // SAFETY: a full slot of a live bucket holds an initialised key, value and tophash.
        let (top, key, value) = unsafe {
            (
                source.tophash(),
                (*source.key()).clone(),
                (*source.value()).clone(),
            )
        };
        // SAFETY: the target slot is empty and exclusively owned; `write` sets the tophash last
        // (invariant 1).
        unsafe { Cell::new(to, slot).write(top, key, value) };
        *len += 1;
    }
}
