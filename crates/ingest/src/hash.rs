//! A fast keyed hasher for the in-memory maps of the cross-row checks
//! (millions of lookups per file). Keyed per map from the standard
//! library's random state so that colliding keys cannot be prepared in a
//! file in advance; the standard SipHash costs noticeably more per row.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

/// Builds [`FastHasher`]s with a random key.
#[derive(Debug, Clone)]
pub(crate) struct FastState {
    key: u64,
}

impl Default for FastState {
    fn default() -> Self {
        FastState {
            key: RandomState::new().hash_one(0x6a69_616e_6675u64),
        }
    }
}

impl BuildHasher for FastState {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher { state: self.key }
    }
}

/// Multiply-rotate mixing per word, a full avalanche at the end.
pub(crate) struct FastHasher {
    state: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // splitmix64 finaliser.
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A hash map with [`FastState`].
pub(crate) type FastMap<K, V> = HashMap<K, V, FastState>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_work_and_spread() {
        let mut m: FastMap<u64, u32> = FastMap::default();
        for i in 0..10_000u64 {
            m.insert(i * 11, i as u32);
        }
        assert_eq!(m.len(), 10_000);
        assert_eq!(m.get(&(5_000 * 11)), Some(&5_000));
        let s = FastState::default();
        let a = s.hash_one("130624100200001");
        let b = s.hash_one("130624100200002");
        assert_ne!(a, b);
        assert!((a ^ b).count_ones() > 10, "small changes spread");
    }
}
