//! `Serialize`/`Deserialize` for [`Map`] and [`Set`] (feature `serde`), as maps and sequences.

use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::{Map, Set};

impl<K: Serialize, V: Serialize, S> Serialize for Map<K, V, S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        serializer.collect_map(self)
    }
}

impl<T: Serialize, S> Serialize for Set<T, S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        serializer.collect_seq(self)
    }
}

impl<'de, K, V, S> Deserialize<'de> for Map<K, V, S>
where
    K: Deserialize<'de> + Hash + Eq,
    V: Deserialize<'de>,
    S: BuildHasher + Default,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V, S>(PhantomData<Map<K, V, S>>);

        impl<'de, K, V, S> Visitor<'de> for MapVisitor<K, V, S>
        where
            K: Deserialize<'de> + Hash + Eq,
            V: Deserialize<'de>,
            S: BuildHasher + Default,
        {
            type Value = Map<K, V, S>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                // Cap the hint: it comes from the input and must not allocate unboundedly.
                let hint = access.size_hint().unwrap_or(0).min(4096);
                let mut map = Map::with_capacity_and_hasher(hint, S::default());
                while let Some((k, v)) = access.next_entry()? {
                    map.insert(k, v);
                }
                Ok(map)
            }
        }

        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

impl<'de, T, S> Deserialize<'de> for Set<T, S>
where
    T: Deserialize<'de> + Hash + Eq,
    S: BuildHasher + Default,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SetVisitor<T, S>(PhantomData<Set<T, S>>);

        impl<'de, T, S> Visitor<'de> for SetVisitor<T, S>
        where
            T: Deserialize<'de> + Hash + Eq,
            S: BuildHasher + Default,
        {
            type Value = Set<T, S>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let hint = access.size_hint().unwrap_or(0).min(4096);
                let mut set = Set::with_capacity_and_hasher(hint, S::default());
                while let Some(value) = access.next_element()? {
                    set.insert(value);
                }
                Ok(set)
            }
        }

        deserializer.deserialize_seq(SetVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Map, Set};

    #[test]
    fn round_trips_through_json() {
        let map: Map<String, Vec<u32>> = (0..50).map(|i| (format!("k{i}"), vec![i; 3])).collect();
        let json = serde_json::to_string(&map).unwrap();
        let back: Map<String, Vec<u32>> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, map);
        let set: Set<u64> = (0..100).collect();
        let back: Set<u64> = serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
        assert_eq!(back, set);
        assert!(serde_json::from_str::<Map<String, u32>>("[1, 2]").is_err());
    }
}
