//! The test oracle: [`RawTable::assert_invariants`] checks the numbered invariants of the module
//! docs (`raw/mod.rs`) over every slot of both arrays.

use super::RawTable;
use super::bucket::Cell;
use super::growth_policy::BUCKET_SLOTS;
use super::tophash::{EMPTY_REST, MIN_TOPHASH, is_evacuated, tophash};

impl<K, V> RawTable<K, V> {
    /// Test support: checks invariants 1, 2, 4 and 5 of the module docs (3 and 6 are about
    /// order, which a snapshot cannot show), panicking on the first violation.
    #[doc(hidden)]
    pub(crate) fn assert_invariants(&self, hasher: impl Fn(&K) -> u64) {
        let mut counted = 0;
        // SAFETY: read-only walk of live chains; slots are read only when full.
        unsafe {
            if let Some(ev) = &self.evacuation {
                assert!(ev.nevacuate <= ev.old.buckets());
                for index in ev.nevacuate..ev.old.buckets() {
                    let head = ev.old.head(index);
                    let evacuated = is_evacuated(head.tophash(0));
                    let mut bucket = Some(head);
                    while let Some(b) = bucket {
                        for slot in 0..BUCKET_SLOTS {
                            let top = b.tophash(slot);
                            assert_eq!(
                                is_evacuated(top),
                                evacuated,
                                "bucket {index} half-evacuated"
                            );
                            if top >= MIN_TOPHASH {
                                let hash = hasher(&*Cell::new(b, slot).key());
                                assert_eq!(
                                    hash as usize & ev.old.mask(),
                                    index,
                                    "key in wrong old bucket"
                                );
                                assert_eq!(tophash(hash), top, "stale tophash");
                                counted += 1;
                            }
                        }
                        bucket = b.overflow();
                    }
                }
            }
            for index in 0..self.current.buckets() {
                let head = self.current.head(index);
                let mut bucket = Some(head);
                let mut rest = false;
                while let Some(b) = bucket {
                    for slot in 0..BUCKET_SLOTS {
                        let top = b.tophash(slot);
                        assert!(!is_evacuated(top), "evacuated mark in the current array");
                        assert!(
                            !rest || top == EMPTY_REST,
                            "slot after EMPTY_REST is not EMPTY_REST"
                        );
                        rest |= top == EMPTY_REST;
                        if top >= MIN_TOPHASH {
                            let hash = hasher(&*Cell::new(b, slot).key());
                            assert_eq!(
                                hash as usize & self.current.mask(),
                                index,
                                "key in wrong bucket"
                            );
                            assert_eq!(tophash(hash), top, "stale tophash");
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
                    }
                    bucket = b.overflow();
                }
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
