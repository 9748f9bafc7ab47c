//! Crate-internal entry points that take a key's hash already computed, for containers that hash
//! once and route the key themselves (the shards of [`ShardedMap`](crate::sync::ShardedMap)).
//!
//! The maps they are called on may carry no hasher of their own (`S = ()`): every method that can
//! move entries (growth work, shrinking) takes the `hasher` that produced `hash` and every stored
//! key's hash. Passing a different hasher is a logic error: keys would be evacuated into buckets
//! where later lookups do not look (unspecified results, never undefined behaviour).

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};

use super::{Entry, Map};
use crate::TryReserveError;
use crate::raw::RawTable;

/// The function growth work rehashes stored keys with: `hasher` applied to a key. Every method
/// that can move entries passes one, built here.
#[inline]
pub(super) fn rehash<K: Hash, H: BuildHasher>(hasher: &H) -> impl Fn(&K) -> u64 + '_ {
    move |key| hasher.hash_one(key)
}

/// Inserts `value` under `key` (hash `hash`) into `table`, returning the previous value; growth
/// work rehashes moved keys with `hasher`. The one insert routine of [`Map::insert`] and the
/// shards of a [`ShardedMap`](crate::sync::ShardedMap).
#[inline]
pub(super) fn insert_into<K: Hash + Eq, V, H: BuildHasher>(
    table: &mut RawTable<K, V>,
    hash: u64,
    key: K,
    value: V,
    hasher: &H,
) -> Option<V> {
    table.insert(hash, key, value, rehash(hasher))
}

impl<K, V, S> Map<K, V, S> {
    /// An empty map for `capacity` entries, or the error [`Map::with_capacity_and_hasher`] would
    /// panic with.
    pub(crate) fn try_with_capacity_and_hasher(
        capacity: usize,
        hash_builder: S,
    ) -> Result<Self, TryReserveError> {
        Ok(Map {
            table: RawTable::try_with_capacity(capacity)?,
            hash_builder,
        })
    }

    /// Starts loading the bucket(s) a key with hash `hash` lives in, for a lookup or insert a few
    /// steps later (as [`Map::insert_batch`] does).
    #[inline]
    pub(crate) fn prefetch_hashed(&self, hash: u64) {
        self.table.prefetch(hash);
    }

    /// The stored key and value for `key`, whose hash is `hash`.
    #[inline]
    pub(crate) fn get_hashed<Q>(&self, hash: u64, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.table.get(hash, |stored| stored.borrow() == key)
    }

    /// The stored key and a mutable reference to the value for `key`, whose hash is `hash`.
    #[inline]
    pub(crate) fn get_mut_hashed<Q>(&mut self, hash: u64, key: &Q) -> Option<(&K, &mut V)>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        self.table.get_mut(hash, |stored| stored.borrow() == key)
    }

    /// Inserts `value` under `key`, whose hash is `hash`, returning the previous value; growth
    /// work rehashes moved keys with `hasher`.
    #[inline]
    pub(crate) fn insert_hashed_by<H: BuildHasher>(
        &mut self,
        hash: u64,
        key: K,
        value: V,
        hasher: &H,
    ) -> Option<V>
    where
        K: Hash + Eq,
    {
        insert_into(&mut self.table, hash, key, value, hasher)
    }

    /// Removes `key`, whose hash is `hash`; growth work rehashes moved keys with `hasher`.
    #[inline]
    pub(crate) fn remove_hashed<Q, H>(&mut self, hash: u64, key: &Q, hasher: &H) -> Option<(K, V)>
    where
        K: Borrow<Q> + Hash,
        Q: Eq + ?Sized,
        H: BuildHasher,
    {
        self.table
            .remove(hash, |stored| stored.borrow() == key, rehash(hasher))
    }

    /// The entry for `key`, whose hash is `hash`; growth work rehashes moved keys with `hasher`.
    #[inline]
    pub(crate) fn entry_hashed<H: BuildHasher>(
        &mut self,
        hash: u64,
        key: K,
        hasher: &H,
    ) -> Entry<'_, K, V>
    where
        K: Hash + Eq,
    {
        let raw = self
            .table
            .entry(hash, |stored| *stored == key, rehash(hasher));
        Entry::new(raw, key)
    }

    /// [`Map::shrink_to`] with the keys rehashed by `hasher`.
    pub(crate) fn shrink_to_hashed<H: BuildHasher>(&mut self, min_capacity: usize, hasher: &H)
    where
        K: Hash,
    {
        self.table.shrink_to(min_capacity, rehash(hasher));
    }
}

impl<K: Hash, V, S> Map<K, V, S> {
    /// [`Map::assert_invariants`] with the keys hashed by `hasher`.
    pub(crate) fn assert_invariants_hashed<H: BuildHasher>(&self, hasher: &H) {
        self.table.assert_invariants(rehash(hasher));
    }
}
