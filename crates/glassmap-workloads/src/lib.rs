//! Benchmark workloads and peer maps for glassmap, shared by the criterion benchmarks and the `glassmap bench`
//! command so that both measure the same thing.
//!
//! [`concurrent`]: bustle's operation mixes (ReadHeavy, Exchange, RapidGrow; pre-sized and pre-filled as bustle
//! does), TrueGrow (RapidGrow's mix from an empty map with no capacity hint), and a skewed ReadHeavy (Zipf 0.99
//! reads), run on glassmap's concurrent maps and their peers (dashmap, papaya, scc, `RwLock<hashbrown>`), with
//! throughput and per-operation latency histograms.

pub mod concurrent;
