//! Hashers and key types shared by the integration tests.
#![allow(dead_code)]

use std::hash::{BuildHasher, Hasher};

/// Which hash function a test map uses. The bad ones force long chains and same-size growth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// glassmap's default (foldhash) with a fixed seed.
    Good,
    /// Every key hashes to the same value: one bucket, one long chain.
    Constant,
    /// Only the low 3 bits of a good hash survive: at most 8 buckets in use.
    FewBits,
    /// The key itself: multiples of 2^20 all land in bucket 0 until B > 20.
    Identity,
}

pub const KINDS: [Kind; 4] = [Kind::Good, Kind::Constant, Kind::FewBits, Kind::Identity];

#[derive(Clone, Copy, Debug)]
pub struct TestHasher(pub Kind);

pub struct TestHashState {
    kind: Kind,
    inner: foldhash::fast::FoldHasher<'static>,
    last: u64,
}

impl BuildHasher for TestHasher {
    type Hasher = TestHashState;
    fn build_hasher(&self) -> TestHashState {
        TestHashState {
            kind: self.0,
            inner: glassmap::RandomState::with_seed(1).build_hasher(),
            last: 0,
        }
    }
}

impl Hasher for TestHashState {
    fn finish(&self) -> u64 {
        match self.kind {
            Kind::Good => self.inner.finish(),
            Kind::Constant => 0x5a5a_5a5a_5a5a_5a5a,
            Kind::FewBits => self.inner.finish() & 0b111,
            Kind::Identity => self.last,
        }
    }
    fn write(&mut self, bytes: &[u8]) {
        self.inner.write(bytes);
        for &b in bytes {
            self.last = self.last.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.inner.write_u64(n);
        self.last = n;
    }
}

/// SplitMix64: a tiny allocation-free deterministic generator (the finaliser is the project's one
/// copy, `glassmap_workloads::splitmix64`).
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        let z = glassmap_workloads::splitmix64(self.0);
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
