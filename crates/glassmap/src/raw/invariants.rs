//! The test oracle: [`RawTable::assert_invariants`] checks the numbered invariants of the module
//! docs (`raw/mod.rs`) over every slot of both arrays.

use super::RawTable;
use super::bucket::{Bucket, Cell};
use super::growth_policy::BUCKET_SLOTS;
use super::tophash::{CHAINED, CHAINED_SLOT, EMPTY_ONE, EMPTY_REST, MIN_TOPHASH, tophash};

impl<K, V> RawTable<K, V> {
    /// Test support: checks invariants 1, 2, 4, 5, 7 and 8 of the module docs (3 and 6 are about
    /// order, which a snapshot cannot show), panicking on the first violation.
    #[doc(hidden)]
    pub(crate) fn assert_invariants(&self, hasher: impl Fn(&K) -> u64) {
        assert_eq!(
            self.growing,
            self.evacuation.is_some(),
            "`growing` disagrees with the evacuation state"
        );
        let mut counted = 0;
        // SAFETY: read-only walk of live chains (old buckets from `nevacuate` on, invariant 2).
        unsafe {
            if let Some(ev) = &self.evacuation {
                assert!(
                    ev.nevacuate < ev.old.buckets(),
                    "a finished growth still open"
                );
                for index in ev.nevacuate..ev.old.buckets() {
                    check_chain(ev.old.head(index), |cell, top| {
                        check_key(cell, top, ev.old.mask(), index, &hasher);
                        counted += 1;
                    });
                }
            }
            for index in 0..self.current.buckets() {
                check_chain(self.current.head(index), |cell, top| {
                    let hash = check_key(cell, top, self.current.mask(), index, &hasher);
                    if let Some(ev) = &self.evacuation {
                        assert!(
                            hash as usize & ev.old.mask() < ev.nevacuate,
                            "key in the new array before its old bucket moved"
                        );
                    }
                    counted += 1;
                });
            }
        }
        assert_eq!(counted, self.len, "len does not match the full slots");
    }
}

/// Checks the slot states of the chain at `head` (only `EMPTY_REST`, `EMPTY_ONE` and tophashes,
/// invariant 2; nothing but `EMPTY_REST` after an `EMPTY_REST`, invariant 4; `CHAINED` only in
/// slot 7 and only with a link, invariant 8: the chain goes on exactly past the marked buckets)
/// and calls `full` with every full slot and its tophash.
///
/// # Safety
/// `head` heads a live chain.
unsafe fn check_chain<K, V>(head: Bucket<K, V>, mut full: impl FnMut(Cell<K, V>, u8)) {
    let mut rest = false;
    // SAFETY: live chain (caller).
    unsafe {
        for_each_slot(head, |cell, top| {
            let (bucket, slot) = cell.position();
            if slot == CHAINED_SLOT && top == CHAINED {
                assert!(bucket.overflow().is_some(), "a CHAINED bucket has no link");
                return;
            }
            assert!(
                top <= EMPTY_ONE || top >= MIN_TOPHASH,
                "slot state {top} in slot {slot} (CHAINED belongs in slot {CHAINED_SLOT} only)"
            );
            assert!(
                !rest || top == EMPTY_REST,
                "slot after EMPTY_REST is not EMPTY_REST"
            );
            rest |= top == EMPTY_REST;
            if top >= MIN_TOPHASH {
                full(cell, top);
            }
        });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The tophash bytes of the chain at current bucket `index`, bucket by bucket.
    fn chain_bytes<K, V>(table: &RawTable<K, V>, index: usize) -> Vec<[u8; BUCKET_SLOTS]> {
        let mut bytes = Vec::new();
        let mut bucket = Some(table.current.head(index));
        while let Some(b) = bucket {
            // SAFETY: a live chain of the current array, read only.
            unsafe {
                bytes.push(core::array::from_fn(|slot| b.tophash(slot)));
                bucket = b.overflow();
            }
        }
        bytes
    }

    /// Every key in bucket 0 with one tophash.
    fn bucket_zero(k: &u64) -> u64 {
        0xab00_0000_0000_0000 | (k << 16)
    }

    /// Keys `0..n` inserted into a 16-entry table, all in bucket 0 (`bucket_zero`).
    fn one_chain(n: u64) -> RawTable<u64, u64> {
        let mut table = RawTable::try_with_capacity(16).expect("small table");
        for k in 0..n {
            table.insert(bucket_zero(&k), k, k, bucket_zero);
        }
        table
    }

    /// A remove that empties a chain's overflow bucket makes the `EMPTY_ONE` slots before it,
    /// back to the last full one, `EMPTY_REST` (Go's `mapdelete` walking back the chain, past the
    /// primary bucket's `CHAINED` mark, invariant 8), so a later miss stops in the primary
    /// bucket; and one that leaves a full slot after it does not.
    #[test]
    fn emptying_an_overflow_bucket_walks_back_the_chain() {
        // Ten keys make a chain of two buckets, the primary bucket's slot 7 the mark and its
        // entry (key 7) moved to the overflow bucket.
        let hash = bucket_zero;
        let mut table = one_chain(10);
        assert!(!table.is_growing());
        let top = tophash(hash(&0));
        let primary = [top, top, top, top, top, top, top, CHAINED];
        let overflow = [top, top, top, 0, 0, 0, 0, 0];
        assert_eq!(chain_bytes(&table, 0), [primary, overflow]);
        table.assert_invariants(hash);
        // Slots 4 to 6 of the primary bucket emptied: EMPTY_ONE, entries follow in the chain.
        for k in 4..7u64 {
            table.remove(hash(&k), |stored| *stored == k, hash);
        }
        let head = [top, top, top, top, EMPTY_ONE, EMPTY_ONE, EMPTY_ONE, CHAINED];
        assert_eq!(chain_bytes(&table, 0), [head, overflow]);
        // The overflow bucket's first two entries: its third still follows, nothing changes
        // before.
        for k in 7..9u64 {
            table.remove(hash(&k), |stored| *stored == k, hash);
        }
        assert_eq!(
            chain_bytes(&table, 0),
            [head, [EMPTY_ONE, EMPTY_ONE, top, 0, 0, 0, 0, 0]]
        );
        // Its last: the overflow bucket is all EMPTY_REST, and so are slots 4 to 6 before it.
        table.remove(hash(&9), |stored| *stored == 9, hash);
        let rest = [
            top, top, top, top, EMPTY_REST, EMPTY_REST, EMPTY_REST, CHAINED,
        ];
        assert_eq!(chain_bytes(&table, 0), [rest, [EMPTY_REST; BUCKET_SLOTS]]);
        // A miss now stops in the primary bucket; the keys left are found.
        for k in 0..10u64 {
            assert_eq!(table.get(hash(&k), |stored| *stored == k).is_some(), k < 4);
        }
        table.assert_invariants(hash);
    }

    /// In a chain of one bucket a remove leaves `EMPTY_ONE` even after the last full slot (the
    /// missing `CHAINED` mark ends every search, invariant 4), and the emptied slots serve
    /// inserts and misses as `EMPTY_REST` would: a new key takes the first of them, a miss stops
    /// in the bucket, and the bucket fills up and chains as before.
    #[test]
    fn a_one_bucket_chain_keeps_empty_one_after_its_last_entry() {
        let hash = bucket_zero;
        let mut table = one_chain(5);
        let top = tophash(hash(&0));
        assert_eq!(chain_bytes(&table, 0), [[top, top, top, top, top, 0, 0, 0]]);
        for k in [4u64, 2, 3] {
            assert_eq!(table.remove(hash(&k), |s| *s == k, hash), Some((k, k)));
        }
        let emptied = [top, top, EMPTY_ONE, EMPTY_ONE, EMPTY_ONE, 0, 0, 0];
        assert_eq!(chain_bytes(&table, 0), [emptied]);
        table.assert_invariants(hash);
        for k in 0..10u64 {
            assert_eq!(table.get(hash(&k), |s| *s == k).is_some(), k < 2);
        }
        // New keys take the first empty slots, then the EMPTY_REST ones, then chain.
        for k in 10..16u64 {
            assert_eq!(table.insert(hash(&k), k, k, hash), None);
        }
        assert_eq!(chain_bytes(&table, 0), [[top; BUCKET_SLOTS]]);
        table.insert(hash(&16), 16, 16, hash);
        let chained = [top, top, top, top, top, top, top, CHAINED];
        assert_eq!(chain_bytes(&table, 0)[0], chained);
        table.assert_invariants(hash);
        for k in 0..20u64 {
            assert_eq!(
                table.get(hash(&k), |s| *s == k).is_some(),
                k < 2 || (10..17).contains(&k)
            );
        }
    }

    /// A clone copies a chain's mark and link while the chain goes on, and drops both where the
    /// chain's tail is empty (invariants 4 and 8), also when the mark follows an `EMPTY_REST`.
    #[test]
    fn clone_keeps_the_chained_mark_only_with_its_link() {
        let hash = bucket_zero;
        let mut table = one_chain(10);
        let copy = table.clone();
        copy.assert_invariants(hash);
        assert_eq!(chain_bytes(&copy, 0), chain_bytes(&table, 0));
        // Empty the overflow bucket and the primary bucket's slots 4 to 6.
        for k in 4..10u64 {
            table.remove(hash(&k), |stored| *stored == k, hash);
        }
        let top = tophash(hash(&0));
        let rest = [top, top, top, top, EMPTY_REST, EMPTY_REST, EMPTY_REST];
        assert_eq!(chain_bytes(&table, 0)[0][..7], rest);
        assert_eq!(chain_bytes(&table, 0)[0][7], CHAINED);
        let copy = table.clone();
        copy.assert_invariants(hash);
        assert_eq!(
            chain_bytes(&copy, 0),
            [[
                top, top, top, top, EMPTY_REST, EMPTY_REST, EMPTY_REST, EMPTY_REST
            ]]
        );
    }
}
