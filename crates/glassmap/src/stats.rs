//! The glass case: what a map looks like inside, as plain data.

use core::fmt;

/// A snapshot of a map's insides, from [`Map::stats`](crate::Map::stats).
///
/// Go's vocabulary: the map has 2^B primary *buckets* of 8 slots; a full bucket chains *overflow*
/// buckets; the map *doubles* when it would average more than 6.5 entries per bucket, and grows to
/// the *same size* (compacting chains) when it has about as many overflow buckets as primary ones.
///
/// # Examples
/// ```
/// let mut map = glassmap::Map::new();
/// for i in 0..1000u32 {
///     map.insert(i, i);
/// }
/// let stats = map.stats();
/// assert_eq!(stats.len, 1000);
/// assert_eq!(stats.buckets, 1 << stats.log2_buckets);
/// assert!(stats.load_factor <= 6.5);
/// println!("{stats}");
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Entries in the map.
    pub len: usize,
    /// Go's `B`: the current array has 2^B primary buckets.
    pub log2_buckets: u8,
    /// Primary buckets of the current array (2^B; 1 for a map that has not allocated yet).
    pub buckets: usize,
    /// Overflow buckets chained in the current array.
    pub overflow_buckets: usize,
    /// Entries per primary bucket, Go's measure: doubling starts above 6.5.
    pub load_factor: f64,
    /// The growth in progress, if any.
    pub growth: Option<Growth>,
    /// `occupancy[n]`: primary buckets of the current array whose own 8 slots hold `n` entries.
    pub occupancy: [usize; 9],
    /// Longest chain of the current array, in buckets (1 when nothing overflows).
    pub max_chain: usize,
    /// Heap bytes held by the bucket arrays and overflow buckets (both arrays while growing).
    pub bytes: usize,
    /// Doublings over the map's life.
    pub doublings: u64,
    /// Same-size growths over the map's life.
    pub same_size_growths: u64,
}

/// A growth in progress.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Growth {
    /// Why the map is growing.
    pub kind: GrowthKind,
    /// Primary buckets of the array being evacuated.
    pub old_buckets: usize,
    /// How many of them are evacuated already.
    pub evacuated: usize,
}

/// Why a map is moving its entries to a new bucket array.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrowthKind {
    /// The load factor passed 6.5: the new array has twice the buckets.
    Doubling,
    /// Too many overflow buckets: the new array has as many buckets, with compact chains.
    SameSize,
    /// `reserve` or `shrink_to` asked for another size (not a Go behaviour).
    Resize,
}

/// The load of one primary bucket and its overflow chain, from
/// [`Map::bucket_loads`](crate::Map::bucket_loads).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BucketLoad {
    /// Entries in the whole chain.
    pub entries: usize,
    /// Buckets in the chain (1 when nothing overflows).
    pub chain: usize,
    /// Entries in the primary bucket itself (0..=8).
    pub primary_entries: usize,
}

impl fmt::Display for GrowthKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GrowthKind::Doubling => "doubling",
            GrowthKind::SameSize => "same-size",
            GrowthKind::Resize => "resize",
        })
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "len {}  B {} ({} buckets, {} overflow)  load factor {:.2}  bytes {}",
            self.len,
            self.log2_buckets,
            self.buckets,
            self.overflow_buckets,
            self.load_factor,
            self.bytes
        )?;
        match &self.growth {
            Some(g) => writeln!(
                f,
                "growing: {} ({}/{} old buckets evacuated)",
                g.kind, g.evacuated, g.old_buckets
            )?,
            None => writeln!(f, "not growing")?,
        }
        writeln!(
            f,
            "history: {} doublings, {} same-size growths; longest chain {} buckets",
            self.doublings, self.same_size_growths, self.max_chain
        )?;
        write!(f, "primary buckets by entries:")?;
        for (entries, count) in self.occupancy.iter().enumerate() {
            write!(f, " {entries}:{count}")?;
        }
        Ok(())
    }
}
