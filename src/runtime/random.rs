//! The random number generator behind `seed`, `rand`, `randn` and `random`.
//!
//! Algorithm (exactly, so any tier or tool can reproduce a run):
//! - State: xoshiro256** (Blackman & Vigna, 2018), four `u64` words.
//! - Seeding with `s`: the four words are the first four outputs of splitmix64 started at
//!   `s` (`x += 0x9e3779b97f4a7c15; z = x; z = (z ^ z>>30) * 0xbf58476d1ce4e5b9;
//!   z = (z ^ z>>27) * 0x94d049bb133111eb; out = z ^ z>>31`, all wrapping). A program that
//!   never calls `seed` runs with seed 0. `seed(s)` also drops any cached normal.
//! - Uniform `f64` in [0, 1): `(next_u64() >> 11) as f64 * 2^-53` (53 random bits).
//! - Standard normal: Marsaglia's polar method. Draw `u = 2*U1 - 1`, `v = 2*U2 - 1` (two
//!   uniforms as above, in that order) until `0 < s = u*u + v*v < 1`; then
//!   `m = sqrt(-2 ln(s) / s)`, return `u*m` and keep `v*m` as the next normal.
//! - `rand(n)` / `randn(n)` fill a new array in C order by successive draws.
//!
//! Invariant: the output sequence is a pure function of the seed and the sequence of calls.

use super::array::Array;
use super::error::RtError;
use crate::vocab::Prim;

/// The default seed of a program that never calls `seed`.
pub const DEFAULT_SEED: u64 = 0;

/// xoshiro256** seeded through splitmix64, with a cached spare normal deviate.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
    spare_normal: Option<f64>,
}

impl Default for Rng {
    fn default() -> Self {
        Rng::new(DEFAULT_SEED)
    }
}

fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut r = Rng {
            s: [0; 4],
            spare_normal: None,
        };
        r.seed(seed);
        r
    }

    /// Restarts the sequence from `seed`.
    pub fn seed(&mut self, seed: u64) {
        let mut x = seed;
        for w in self.s.iter_mut() {
            *w = splitmix64(&mut x);
        }
        self.spare_normal = None;
    }

    /// The next 64 random bits (xoshiro256**).
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform `f64` in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal deviate (polar method; every second call uses the cached spare).
    pub fn next_normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.next_f64() - 1.0;
            let v = 2.0 * self.next_f64() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let m = (-2.0 * s.ln() / s).sqrt();
                self.spare_normal = Some(v * m);
                return u * m;
            }
        }
    }

    /// `rand(n)`: a new 1-D `f64` array of uniforms in [0, 1).
    #[cfg(test)]
    pub fn rand(&mut self, n: i64) -> Result<Array, RtError> {
        self.rand_shape(&[n])
    }

    /// `randn(n)`: a new 1-D `f64` array of standard normals.
    #[cfg(test)]
    pub fn randn(&mut self, n: i64) -> Result<Array, RtError> {
        self.randn_shape(&[n])
    }

    /// Uniforms in [0, 1) with any array shape, drawn in C order.
    pub fn rand_shape(&mut self, shape: &[i64]) -> Result<Array, RtError> {
        let a = Array::zeros(Prim::F64, shape)?;
        a.fill_with(|| self.next_f64().to_bits());
        Ok(a)
    }

    /// Standard normals with any array shape, drawn in C order.
    pub fn randn_shape(&mut self, shape: &[i64]) -> Result<Array, RtError> {
        let a = Array::zeros(Prim::F64, shape)?;
        a.fill_with(|| self.next_normal().to_bits());
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_xoshiro256starstar() {
        // Reference values from an independent Python transcription of splitmix64 +
        // xoshiro256** (see the module doc).
        let mut r = Rng::new(0);
        let want0 = [
            0x99ec5f36cb75f2b4u64,
            0xbf6e1f784956452a,
            0x1a5f849d4933e6e0,
            0x6aa594f1262d2d2c,
            0xbba5ad4a1f842e59,
        ];
        for w in want0 {
            assert_eq!(r.next_u64(), w);
        }
        let mut r = Rng::new(42);
        assert_eq!(r.next_u64(), 0x15780b2e0c2ec716);
        assert_eq!(r.next_u64(), 0x6104d9866d113a7e);
        let mut r = Rng::default();
        assert_eq!(r.next_f64(), 0.6012629994179048);
        assert_eq!(r.next_f64(), 0.7477740925472398);
        assert_eq!(r.next_f64(), 0.10301998939503632);
    }

    #[test]
    fn seed_restarts_the_sequence_and_drops_the_spare() {
        let mut r = Rng::new(7);
        let first: Vec<f64> = (0..3).map(|_| r.next_normal()).collect();
        r.seed(7);
        let again: Vec<f64> = (0..3).map(|_| r.next_normal()).collect();
        assert_eq!(first, again);
        let a = r.rand(5).unwrap();
        r.seed(7);
        let _ = r.next_normal(); // leaves a spare behind
        r.seed(7);
        let b = Rng::new(7).rand(5).unwrap();
        assert_eq!(r.rand(5).unwrap().to_vec_bits(), b.to_vec_bits());
        assert_eq!(a.len(), 5);
    }

    #[test]
    fn uniforms_in_range_and_normals_plausible() {
        let mut r = Rng::new(1);
        let u = r.rand(10_000).unwrap();
        let xs: Vec<f64> = u.iter_bits().map(f64::from_bits).collect();
        assert!(xs.iter().all(|&x| (0.0..1.0).contains(&x)));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
        let z = r.randn(20_000).unwrap();
        let zs: Vec<f64> = z.iter_bits().map(f64::from_bits).collect();
        let m = zs.iter().sum::<f64>() / zs.len() as f64;
        let var = zs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / zs.len() as f64;
        assert!(m.abs() < 0.03, "mean {m}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
    }

    #[test]
    fn bad_sizes_are_errors() {
        let mut r = Rng::new(0);
        assert_eq!(
            r.rand(-3).unwrap_err().msg,
            "negative dimension -3 in array shape"
        );
        assert!(r.randn(1 << 41).unwrap_err().msg.contains("out of memory"));
        assert_eq!(r.rand(0).unwrap().format(), "[]");
        assert_eq!(r.rand_shape(&[2, 3]).unwrap().shape(), &[2, 3]);
    }
}
