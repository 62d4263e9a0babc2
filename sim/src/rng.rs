//! The simulator's seeded pseudo-random numbers: the workspace's one generator
//! (`rand_xoshiro`'s xoshiro256**) plus the few distributions the simulator draws from.
//!
//! Reproducibility across crate versions matters more than speed or statistical luxury, so the
//! streams are fixed by reference algorithms and checked against their reference outputs in the
//! tests:
//!
//! - **seeding**: SplitMix64 (Steele, Lea, Flood 2014) expands a `u64` seed into the 256-bit
//!   state (`SeedableRng::seed_from_u64` of xoshiro256**); a named stream (`"lidar_top"`) is
//!   mixed in with FNV-1a so that each sensor draws from its own sequence and disabling one
//!   sensor does not change another's noise;
//! - **generator**: xoshiro256** 1.0 (Blackman and Vigna 2018);
//! - **distributions**: uniform `[0, 1)` from the top 53 bits; normal by Box-Muller (both
//!   variates used, in order); a fast approximate normal (Irwin-Hall sum of four 16-bit uniforms,
//!   rescaled) for per-pixel image noise; Poisson by Knuth's product method (normal
//!   approximation above a mean of 30).

use rand_xoshiro::Xoshiro256StarStar;
use rand_xoshiro::rand_core::{Rng, SeedableRng};

/// FNV-1a 64-bit hash of `bytes` (used to turn a stream name into seed bits and for digests).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// xoshiro256** generator with Box-Muller normals. Same seed and stream, same sequence, on
/// every platform and build.
#[derive(Debug, Clone)]
pub struct SimRng {
    core: Xoshiro256StarStar,
    spare_normal: Option<f64>,
}

impl SimRng {
    /// A generator whose state is four SplitMix64 outputs of `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            core: Xoshiro256StarStar::seed_from_u64(seed),
            spare_normal: None,
        }
    }

    /// A generator for the named stream of a run seeded with `seed`
    /// (`seed` xor FNV-1a of the name, then SplitMix64).
    pub fn for_stream(seed: u64, stream: &str) -> Self {
        Self::new(seed ^ fnv1a64(stream.as_bytes()))
    }

    /// Next 64 random bits (xoshiro256**).
    pub fn next_u64(&mut self) -> u64 {
        self.core.next_u64()
    }

    /// Uniform in `[0, 1)`, 53 bits of resolution.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// True with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p.clamp(0.0, 1.0)
    }

    /// Standard normal variate (Box-Muller; the second variate of each pair is kept for the
    /// next call).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare_normal = Some(r * s);
        r * c
    }

    /// Approximately standard normal (Irwin-Hall: four 16-bit uniforms from one draw, centred
    /// and scaled to unit variance; tails cut at ±3.46). Cheap enough for per-pixel noise.
    pub fn approx_normal(&mut self) -> f32 {
        let x = self.next_u64();
        let sum = (x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF) + (x >> 48);
        // Each term is uniform on [0, 65535]: mean 2 * 65535, variance 4 * 65536^2 / 12.
        (sum as f32 - 131_070.0) * (3.0f32.sqrt() / 65_536.0)
    }

    /// Poisson variate with mean `lambda` (0 for a non-positive or non-finite mean).
    pub fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda.is_nan() || lambda <= 0.0 || !lambda.is_finite() {
            return 0;
        }
        if lambda > 30.0 {
            return (lambda + lambda.sqrt() * self.normal()).round().max(0.0) as u32;
        }
        let limit = (-lambda).exp();
        let mut k = 0u32;
        let mut p = self.uniform();
        while p > limit {
            k += 1;
            p *= self.uniform();
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_match_the_reference_splitmix64_and_xoshiro256starstar() {
        // xoshiro256starstar.c from state [1, 2, 3, 4] (little-endian words of the seed).
        let words: [u64; 4] = [1, 2, 3, 4];
        let mut seed = [0u8; 32];
        for (chunk, w) in seed.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        let mut core = Xoshiro256StarStar::from_seed(seed);
        let got: Vec<u64> = (0..6).map(|_| core.next_u64()).collect();
        assert_eq!(
            got,
            vec![
                11_520,
                0,
                1_509_978_240,
                1_215_971_899_390_074_240,
                1_216_172_134_540_287_360,
                607_988_272_756_665_600
            ]
        );
        // Seed 1234567: the state is splitmix64.c's first four outputs (6457827717110365317,
        // 3203168211198807973, 9817491932198370423, 4593380528125082431), and these are the
        // first xoshiro256** outputs from that state (the stream every recorded run used).
        let mut r = SimRng::new(1_234_567);
        let got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            vec![
                3_504_822_795_582_309_479,
                1_819_558_768_956_484_042,
                1_250_851_346_055_027_673,
                16_940_231_675_099_994_102
            ]
        );
    }

    #[test]
    fn distributions_have_the_right_moments() {
        let mut r = SimRng::new(7);
        let n = 200_000;
        let (mut s1, mut s2, mut a1, mut a2, mut p) = (0.0, 0.0, 0.0, 0.0, 0u64);
        for _ in 0..n {
            let z = r.normal();
            s1 += z;
            s2 += z * z;
            let a = r.approx_normal() as f64;
            a1 += a;
            a2 += a * a;
            p += r.poisson(3.0) as u64;
        }
        let nf = n as f64;
        assert!((s1 / nf).abs() < 0.01 && (s2 / nf - 1.0).abs() < 0.02);
        assert!((a1 / nf).abs() < 0.01 && (a2 / nf - 1.0).abs() < 0.02);
        assert!((p as f64 / nf - 3.0).abs() < 0.03);
    }

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = SimRng::for_stream(1, "lidar");
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = SimRng::for_stream(1, "lidar");
                move |_| r.next_u64()
            })
            .collect();
        let c: Vec<u64> = (0..4)
            .map({
                let mut r = SimRng::for_stream(1, "radar");
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
