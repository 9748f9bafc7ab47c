//! Standard trait implementations for [`ShardedMap`], and serde behind the `serde` feature.

use core::fmt;
use core::hash::{BuildHasher, Hash};

use super::ShardedMap;

impl<K, V, S: Default> Default for ShardedMap<K, V, S> {
    fn default() -> Self {
        ShardedMap::with_hasher(S::default())
    }
}

/// Prints the entries one shard at a time (as [`ShardedMap::for_each`]; not a snapshot).
impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for ShardedMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries = f.debug_map();
        self.for_each(|k, v| {
            entries.entry(k, v);
        });
        entries.finish()
    }
}

/// Collects through [`ShardedMap::insert_batch`].
impl<K, V, S> FromIterator<(K, V)> for ShardedMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher + Default,
{
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let map = ShardedMap::default();
        map.insert_batch(pairs);
        map
    }
}

/// Inserts through [`ShardedMap::insert_batch`] (each shard locked once).
impl<K, V, S> Extend<(K, V)> for ShardedMap<K, V, S>
where
    K: Hash + Eq,
    S: BuildHasher,
{
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        self.insert_batch(pairs);
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use core::hash::{BuildHasher, Hash};

    use serde::de::{Deserialize, Deserializer};
    use serde::ser::{Serialize, SerializeMap, Serializer};

    use super::ShardedMap;
    use crate::Map;

    /// Serialises a consistent snapshot, as a map: every shard is read-locked together (as
    /// [`ShardedMap::snapshot`], without cloning) while the entries are written.
    impl<K: Serialize, V: Serialize, S> Serialize for ShardedMap<K, V, S> {
        fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
            self.with_all_read("serialize", |maps| {
                let len = maps.iter().map(|map| map.len()).sum();
                let mut out = serializer.serialize_map(Some(len))?;
                for map in maps {
                    for (k, v) in map.iter() {
                        out.serialize_entry(k, v)?;
                    }
                }
                out.end()
            })
        }
    }

    /// Deserialises a map (as [`Map`]'s), then distributes it over the shards.
    impl<'de, K, V, S> Deserialize<'de> for ShardedMap<K, V, S>
    where
        K: Deserialize<'de> + Hash + Eq,
        V: Deserialize<'de>,
        S: BuildHasher + Default,
    {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let map = Map::<K, V, S>::deserialize(deserializer)?;
            Ok(map.into_iter().collect())
        }
    }
}
