//! The recipe's seeded random numbers (augmentation, data order, initial weights of benchmark
//! graphs): the workspace's generator crate, `rand_xoshiro`, in its SplitMix64 stream, so that
//! the shipped students' training (`kestrel-distill recipe`) replays the exact data order and
//! augmentations they were trained with, on every platform.

use rand_xoshiro::SplitMix64;
use rand_xoshiro::rand_core::{Rng, SeedableRng};

/// Seeded generator with the few draws the recipe needs.
#[derive(Debug, Clone)]
pub struct SeededRng(SplitMix64);

impl SeededRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(SplitMix64::seed_from_u64(seed))
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * u
    }

    /// Uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f32) -> bool {
        self.uniform(0.0, 1.0) < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_is_splitmix64() {
        // splitmix64.c, seed 1234567: the stream the shipped students were trained with.
        let mut r = SeededRng::new(1_234_567);
        let got: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            vec![
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn same_seed_same_stream_and_range() {
        let (mut a, mut b) = (SeededRng::new(7), SeededRng::new(7));
        for _ in 0..100 {
            let x = a.uniform(2.0, 3.0);
            assert_eq!(x, b.uniform(2.0, 3.0));
            assert!((2.0..3.0).contains(&x));
        }
    }
}
