//! Benchmark workloads and peer maps for glassmap, shared by the criterion benchmarks and the `glassmap bench`
//! command so that both measure the same thing.
//!
//! [`single`]: the single-threaded maps (glassmap, hashbrown, std, griddle, and `IntMap`) behind one trait, and the
//! keys every benchmark draws.
//!
//! [`concurrent`]: bustle's operation mixes (ReadHeavy, Exchange, RapidGrow; pre-sized and pre-filled as bustle
//! does), TrueGrow (RapidGrow's mix from an empty map with no capacity hint), and a skewed ReadHeavy (Zipf 0.99
//! reads), run on glassmap's concurrent maps and their peers (dashmap, papaya, scc, `RwLock<hashbrown>`), with
//! throughput and per-operation latency histograms.

pub mod concurrent;
pub mod single;

/// The splitmix64 finaliser: a bijection on u64 whose outputs look random, so distinct inputs give distinct,
/// random-looking keys (the benchmarking guide's key recipe). The one copy in the project's tools.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
