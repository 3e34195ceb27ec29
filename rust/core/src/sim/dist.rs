//! Random streams and the distributions of handle time, patience, ring and wrap-up time.

use std::convert::Infallible;

use rand_distr::{Distribution, Exp1, StandardNormal};
use serde::{Deserialize, Serialize};

use super::SimError;
use crate::acd::keys::Rng;

/// The largest mean, value or observed value a duration distribution may have, seconds
/// (about 31.7 years): far beyond any call, and small enough that no draw added to any time
/// of a run can leave the engine's range of microseconds.
pub const MAX_DURATION: f64 = 1e9;

/// The largest coefficient of variation of a lognormal or gamma distribution.
pub const MAX_CV: f64 = 100.0;

/// Below this coefficient of variation a gamma draw is taken from its normal limit (the
/// shape 1/cv² is then over 10^12, where Marsaglia and Tsang's test cancels to nothing, and
/// at cv² = 0 never accepts).
const GAMMA_NORMAL_CV: f64 = 1e-6;

/// The draws the distributions need, on any source of random bits.
pub trait Draw: rand_core::Rng + Sized {
    /// Uniform on (0, 1].
    #[inline]
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Exponential with mean 1 (ziggurat: one draw and a table lookup nearly always, where
    /// -ln U costs a logarithm; the simulator draws two or three per call).
    #[inline]
    fn exp1(&mut self) -> f64 {
        Exp1.sample(self)
    }

    /// Standard normal (ziggurat).
    #[inline]
    fn normal(&mut self) -> f64 {
        StandardNormal.sample(self)
    }

    /// Gamma with shape `k` and scale 1 (Marsaglia and Tsang), for `k` finite and > 0.
    fn gamma(&mut self, k: f64) -> f64 {
        let boost = if k < 1.0 {
            self.unit().powf(1.0 / k)
        } else {
            1.0
        };
        let k = if k < 1.0 { k + 1.0 } else { k };
        let d = k - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.unit();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v * boost;
            }
        }
    }

    /// Uniform index below `n` (n > 0).
    #[inline]
    fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

/// SplitMix64's finalizer: a bijection of 64 bits that mixes every bit into every other.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64's increment (the golden ratio in 64 bits).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// xoshiro256++ seeded through SplitMix64: one independent stream per (seed, replication,
/// purpose), so a run is reproducible on any machine and the streams of one purpose (say,
/// arrivals) stay in step when another (say, routing) changes: common random numbers.
#[derive(Clone, Debug)]
pub struct Stream {
    s: [u64; 4],
}

impl Stream {
    /// The stream for `seed`, `replication` and `purpose`.
    pub fn new(seed: u64, replication: u64, purpose: u64) -> Self {
        // SplitMix64 (the engine's own generator) seeds xoshiro, as its authors advise
        let a = Rng(seed).next_u64();
        let b = Rng(a ^ replication.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64();
        let mut x = Rng(b ^ purpose.wrapping_mul(0xAEF1_7502_108E_F2D9));
        let s = [x.next_u64(), x.next_u64(), x.next_u64(), x.next_u64()];
        Self { s }
    }

    /// Next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

impl Draw for Stream {}

/// The stream as a `rand` generator, for `rand_distr`'s samplers.
impl rand_core::TryRng for Stream {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((Stream::next_u64(self) >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(Stream::next_u64(self))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        fill(dst, || Stream::next_u64(self));
        Ok(())
    }
}

fn fill(dst: &mut [u8], mut next: impl FnMut() -> u64) {
    for chunk in dst.chunks_mut(8) {
        let bytes = next().to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

/// A counter-based stream of one call's draws for one purpose (SplitMix64 from a key hashed
/// from the replication's key, the caller, its attempt and the purpose): made on the spot
/// from those coordinates, with no state kept between uses and nothing allocated, so each
/// caller draws the same handle time, patience, wrap-up... whatever the routing did to the
/// callers before it (common random numbers across variants of a model).
#[derive(Clone, Copy, Debug)]
pub struct CallStream {
    state: u64,
}

impl CallStream {
    /// The key of replication `replication` of `seed`, from which its calls' streams are made.
    pub fn key(seed: u64, replication: u64) -> u64 {
        mix64(mix64(seed ^ 0x6A09_E667_F3BC_C908).wrapping_add(replication.wrapping_mul(GOLDEN)))
    }

    /// The stream of `purpose` (with `n`, say the offer number, when a purpose draws more
    /// than once in a call's life) of attempt `attempt` of caller `caller`.
    #[inline]
    pub fn new(key: u64, caller: u64, attempt: u32, purpose: u8, n: u32) -> Self {
        let call = mix64(key ^ caller.wrapping_mul(0xD1B5_4A32_D192_ED03));
        let tag = (u64::from(n) << 32) | (u64::from(attempt) << 8) | u64::from(purpose);
        // (attempts beyond 2^24 share their tag with smaller ones: harmless)
        Self {
            state: mix64(call ^ tag.wrapping_mul(0xAEF1_7502_108E_F2D9)),
        }
    }

    /// Next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix64(self.state)
    }
}

impl Draw for CallStream {}

impl rand_core::TryRng for CallStream {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((CallStream::next_u64(self) >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(CallStream::next_u64(self))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        fill(dst, || CallStream::next_u64(self));
        Ok(())
    }
}

/// A distribution of a duration in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Dist {
    /// exponential with this mean
    Exponential {
        /// mean, seconds
        mean: f64,
    },
    /// lognormal with this mean and coefficient of variation
    Lognormal {
        /// mean, seconds
        mean: f64,
        /// standard deviation over mean
        cv: f64,
    },
    /// gamma with this mean and coefficient of variation
    Gamma {
        /// mean, seconds
        mean: f64,
        /// standard deviation over mean
        cv: f64,
    },
    /// always this value
    Deterministic {
        /// seconds
        value: f64,
    },
    /// uniform draws from observed values
    Empirical {
        /// observed values, seconds
        values: Vec<f64>,
    },
    /// never happens (a patience that never runs out)
    Never,
}

impl Dist {
    /// Check the parameters; `what` names the field for the message. Means and values are
    /// at most [`MAX_DURATION`], coefficients of variation at most [`MAX_CV`].
    pub fn validate(&self, what: &str) -> Result<(), SimError> {
        let duration = |name: &str, v: f64, zero: bool| {
            let low = if zero { v >= 0.0 } else { v > 0.0 };
            if v.is_finite() && low && v <= MAX_DURATION {
                Ok(())
            } else {
                let op = if zero { ">=" } else { ">" };
                Err(SimError(format!(
                    "{what}.{name} must be finite, {op} 0 and at most {MAX_DURATION:e} \
                     seconds, got {v}"
                )))
            }
        };
        let cv = |v: f64| {
            if v.is_finite() && v > 0.0 && v <= MAX_CV {
                Ok(())
            } else {
                Err(SimError(format!(
                    "{what}.cv must be finite, > 0 and at most {MAX_CV}, got {v}"
                )))
            }
        };
        match self {
            Dist::Exponential { mean } => duration("mean", *mean, false),
            Dist::Lognormal { mean, cv: c } | Dist::Gamma { mean, cv: c } => {
                duration("mean", *mean, false)?;
                cv(*c)
            }
            Dist::Deterministic { value } => duration("value", *value, true),
            Dist::Empirical { values } => {
                if values.is_empty() {
                    return Err(SimError(format!("{what}.values must not be empty")));
                }
                for (i, v) in values.iter().enumerate() {
                    duration(&format!("values[{i}]"), *v, true)?;
                }
                Ok(())
            }
            Dist::Never => Ok(()),
        }
    }

    /// Whether a draw can be 0 (or round to less than a microsecond) with a probability
    /// that does not shrink with the mean: a deterministic 0, an observed 0.
    pub fn can_be_zero(&self) -> bool {
        match self {
            Dist::Deterministic { value } => *value < 0.5e-6,
            Dist::Empirical { values } => values.iter().any(|v| *v < 0.5e-6),
            Dist::Exponential { mean }
            | Dist::Lognormal { mean, .. }
            | Dist::Gamma { mean, .. } => *mean < 1e-3,
            Dist::Never => false,
        }
    }

    /// One draw, seconds (infinite for `Never`; finite and >= 0 otherwise, for parameters
    /// that [`Dist::validate`] accepts).
    pub fn sample<R: Draw>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Exponential { mean } => mean * rng.exp1(),
            Dist::Lognormal { mean, cv } => {
                // (ln_1p: exact for small cv, where 1 + cv² would round to 1)
                let s2 = (cv * cv).ln_1p();
                let mu = mean.ln() - 0.5 * s2;
                (mu + s2.sqrt() * rng.normal()).exp()
            }
            Dist::Gamma { mean, cv } => {
                if *cv < GAMMA_NORMAL_CV {
                    // shape over 10^12: the gamma is its normal limit to within 2 cv of skew
                    return (mean * (1.0 + cv * rng.normal())).max(0.0);
                }
                let k = 1.0 / (cv * cv);
                rng.gamma(k) * mean / k
            }
            Dist::Deterministic { value } => *value,
            Dist::Empirical { values } => values[rng.below(values.len())],
            Dist::Never => f64::INFINITY,
        }
    }

    /// The mean (infinite for `Never`).
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Exponential { mean }
            | Dist::Lognormal { mean, .. }
            | Dist::Gamma { mean, .. } => *mean,
            Dist::Deterministic { value } => *value,
            Dist::Empirical { values } => values.iter().sum::<f64>() / values.len() as f64,
            Dist::Never => f64::INFINITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(d: &Dist, n: usize) -> (f64, f64) {
        let mut rng = Stream::new(7, 0, 0);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
        (m, v.sqrt() / m)
    }

    #[test]
    fn distributions_have_their_moments() {
        let n = 400_000;
        for (d, cv) in [
            (Dist::Exponential { mean: 180.0 }, 1.0),
            (
                Dist::Lognormal {
                    mean: 180.0,
                    cv: 1.23,
                },
                1.23,
            ),
            (
                Dist::Gamma {
                    mean: 180.0,
                    cv: 0.5,
                },
                0.5,
            ),
            (
                Dist::Gamma {
                    mean: 180.0,
                    cv: 2.0,
                },
                2.0,
            ),
        ] {
            let (m, c) = moments(&d, n);
            assert!((m / 180.0 - 1.0).abs() < 0.02, "{d:?}: mean {m}");
            assert!((c / cv - 1.0).abs() < 0.05, "{d:?}: cv {c}");
        }
    }

    #[test]
    fn streams_differ_by_every_coordinate() {
        let a = Stream::new(1, 0, 0).next_u64();
        assert_ne!(a, Stream::new(2, 0, 0).next_u64());
        assert_ne!(a, Stream::new(1, 1, 0).next_u64());
        assert_ne!(a, Stream::new(1, 0, 1).next_u64());
        assert_eq!(a, Stream::new(1, 0, 0).next_u64());
    }
}
