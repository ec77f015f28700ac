//! A fast hasher for the kernel-assigned integer keys of the sensor's tables (pids, cgroup ids):
//! the default SipHash costs more than the rest of an insert, and these keys are not chosen by
//! an attacker.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-fold hashing of integers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IntHasher(u64);

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(K);
        self.0 = x ^ (x >> 32);
    }
}

/// A map keyed by kernel-assigned integers.
pub(crate) type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_keys_spread_over_buckets() {
        // the low bits pick the bucket: consecutive pids must not collide in them
        let lows: std::collections::HashSet<u64> = (1000u32..2024)
            .map(|pid| {
                let mut h = IntHasher::default();
                h.write_u32(pid);
                h.finish() & 1023
            })
            .collect();
        assert!(lows.len() > 600, "{} distinct of 1024", lows.len());
        let mut m: IntMap<u32, u32> = IntMap::default();
        m.insert(7, 1);
        assert_eq!(m.get(&7), Some(&1));
    }
}
