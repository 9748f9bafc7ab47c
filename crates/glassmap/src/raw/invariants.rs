//! The test oracle: [`RawTable::assert_invariants`] checks the numbered invariants of the module
//! docs (`raw/mod.rs`) over every slot of both arrays.

use super::RawTable;
use super::bucket::{Bucket, Cell};
use super::growth_policy::BUCKET_SLOTS;
use super::tophash::{EMPTY_REST, MIN_TOPHASH, is_evacuated, tophash};

impl<K, V> RawTable<K, V> {
    /// Test support: checks invariants 1, 2, 4 and 5 of the module docs (3 and 6 are about
    /// order, which a snapshot cannot show), panicking on the first violation.
    #[doc(hidden)]
    pub(crate) fn assert_invariants(&self, hasher: impl Fn(&K) -> u64) {
        let mut counted = 0;
        // SAFETY: read-only walk of live chains (old buckets from `nevacuate` on, invariant 2).
        unsafe {
            if let Some(ev) = &self.evacuation {
                assert!(ev.nevacuate <= ev.old.buckets());
                for index in ev.nevacuate..ev.old.buckets() {
                    let head = ev.old.head(index);
                    let evacuated = is_evacuated(head.tophash(0));
                    for_each_slot(head, |cell, top| {
                        assert_eq!(
                            is_evacuated(top),
                            evacuated,
                            "bucket {index} half-evacuated"
                        );
                        if top >= MIN_TOPHASH {
                            check_key(cell, top, ev.old.mask(), index, &hasher);
                            counted += 1;
                        }
                    });
                }
            }
            for index in 0..self.current.buckets() {
                let mut rest = false;
                for_each_slot(self.current.head(index), |cell, top| {
                    assert!(!is_evacuated(top), "evacuated mark in the current array");
                    assert!(
                        !rest || top == EMPTY_REST,
                        "slot after EMPTY_REST is not EMPTY_REST"
                    );
                    rest |= top == EMPTY_REST;
                    if top >= MIN_TOPHASH {
                        let hash = check_key(cell, top, self.current.mask(), index, &hasher);
                        if let Some(ev) = &self.evacuation {
                            let old_index = hash as usize & ev.old.mask();
                            let source_evacuated = old_index < ev.nevacuate
                                || is_evacuated(ev.old.head(old_index).tophash(0));
                            assert!(
                                source_evacuated,
                                "key in the new array before its old bucket moved"
                            );
                        }
                        counted += 1;
                    }
                });
            }
        }
        assert_eq!(counted, self.len, "len does not match the full slots");
        if let Some(ev) = &self.evacuation {
            let evacuated = ev.nevacuate
                + (ev.nevacuate..ev.old.buckets())
                    // SAFETY: indices at or above `nevacuate` of the live old array are readable.
                    .filter(|&i| is_evacuated(unsafe { ev.old.head(i).tophash(0) }))
                    .count();
            assert_eq!(ev.evacuated, evacuated, "evacuation counter out of step");
        }
    }
}

/// Calls `visit` with every slot of the chain at `head` and its tophash byte, in chain order.
///
/// # Safety
/// `head` heads a live chain.
unsafe fn for_each_slot<K, V>(head: Bucket<K, V>, mut visit: impl FnMut(Cell<K, V>, u8)) {
    let mut bucket = Some(head);
    while let Some(b) = bucket {
        // SAFETY: every bucket reached is in the live chain (caller).
        unsafe {
            for slot in 0..BUCKET_SLOTS {
                visit(Cell::new(b, slot), b.tophash(slot));
            }
            bucket = b.overflow();
        }
    }
}

/// Checks that the key in the full slot `cell` (tophash `top`) belongs in bucket `index` of an
/// array with `mask`, and that `top` is its tophash; returns its hash.
///
/// # Safety
/// `cell` is a full slot of a live bucket.
unsafe fn check_key<K, V>(
    cell: Cell<K, V>,
    top: u8,
    mask: usize,
    index: usize,
    hasher: &impl Fn(&K) -> u64,
) -> u64 {
    // SAFETY: a full slot's key is initialised (caller).
    let hash = hasher(unsafe { &*cell.key() });
    assert_eq!(hash as usize & mask, index, "key in the wrong bucket");
    assert_eq!(tophash(hash), top, "stale tophash");
    hash
}
