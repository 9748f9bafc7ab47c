//! The hashers a user can pick with `--hasher`, and a visitor that runs generic code with the chosen one.
//!
//! Each choice is a different `BuildHasher` type, so the maps are monomorphised per hasher: choosing costs nothing
//! per operation.

use std::hash::{BuildHasherDefault, DefaultHasher, Hasher};

use glassmap_workloads::concurrent::maps::SharedHasher;
use serde::Serialize;

/// A hasher for every map in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HasherChoice {
    /// `glassmap::RandomState`: foldhash, seeded with `--seed` (the same seed for every map).
    Default,
    /// SipHash-1-3, std's default algorithm (fixed keys, so runs are reproducible).
    Sip,
    /// FxHash (rustc-hash): one multiply; fast but weak in the low bits for some key patterns.
    Fx,
    /// The integer key itself (a string key: its last 8 bytes). Shows what no hashing does to the buckets.
    Identity,
}

impl HasherChoice {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            HasherChoice::Default => "default",
            HasherChoice::Sip => "sip",
            HasherChoice::Fx => "fx",
            HasherChoice::Identity => "identity",
        }
    }

    /// A short description for reports: `default (foldhash, seed 0x...)`.
    pub fn describe(self, seed: u64) -> String {
        match self {
            HasherChoice::Default => {
                format!("default (glassmap::RandomState = foldhash, seed {seed:#x})")
            }
            HasherChoice::Sip => "sip (SipHash-1-3, std's algorithm)".to_owned(),
            HasherChoice::Fx => "fx (rustc-hash FxHasher)".to_owned(),
            HasherChoice::Identity => "identity (hash = the integer key)".to_owned(),
        }
    }

    /// Calls `visitor` with a fresh instance of the chosen hasher builder.
    pub fn visit<V: HasherVisitor>(self, seed: u64, visitor: V) -> V::Output {
        match self {
            HasherChoice::Default => visitor.visit(glassmap::RandomState::with_seed(seed)),
            HasherChoice::Sip => visitor.visit(BuildHasherDefault::<DefaultHasher>::default()),
            HasherChoice::Fx => visitor.visit(rustc_hash::FxBuildHasher),
            HasherChoice::Identity => {
                visitor.visit(BuildHasherDefault::<IdentityHasher>::default())
            }
        }
    }
}

/// Generic code that runs with whichever hasher was chosen (see [`HasherChoice::visit`]).
pub trait HasherVisitor {
    /// What the visit returns.
    type Output;
    /// Runs with hasher builder `s`; clone it to give several maps the same hasher (or share it across
    /// threads).
    fn visit<S: SharedHasher>(self, s: S) -> Self::Output;
}

/// A "hasher" that returns the key: `write_u64(k)` makes the hash `k`.
///
/// Byte input (string keys) is shifted in, so a string hashes to its last 8 bytes read big-endian. The one-byte
/// end marker `str` appends (`write_u8(0xff)`) is ignored: kept, it would put every string in the same bucket
/// class, which says nothing about the keys.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u8(&mut self, _end_marker: u8) {}

    fn write_u64(&mut self, k: u64) {
        self.0 = k;
    }

    fn write_usize(&mut self, k: usize) {
        self.0 = k as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn identity_returns_the_key() {
        let s = BuildHasherDefault::<IdentityHasher>::default();
        assert_eq!(s.hash_one(12345u64), 12345);
        assert_eq!(s.hash_one("ab"), 0x6162);
        assert_eq!(
            s.hash_one("key-0000000001"),
            u64::from_be_bytes(*b"00000001")
        );
    }

    struct Hash42;
    impl HasherVisitor for Hash42 {
        type Output = u64;
        fn visit<S: SharedHasher>(self, s: S) -> u64 {
            s.hash_one(42u64)
        }
    }

    #[test]
    fn every_choice_is_reproducible() {
        use clap::ValueEnum;
        for &choice in HasherChoice::value_variants() {
            assert_eq!(
                choice.visit(7, Hash42),
                choice.visit(7, Hash42),
                "{}",
                choice.name()
            );
        }
        assert_eq!(HasherChoice::Identity.visit(0, Hash42), 42);
    }
}
