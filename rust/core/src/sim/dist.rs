//! Random streams and the distributions of handle time, patience, ring and wrap-up time.

use std::convert::Infallible;

use rand_distr::{Distribution, Exp1, StandardNormal};
use serde::{Deserialize, Serialize};

use super::SimError;
use crate::acd::keys::Rng;

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

    /// Uniform on (0, 1].
    #[inline]
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Exponential with mean 1 (ziggurat: one draw and a table lookup nearly always, where
    /// -ln U costs a logarithm; the simulator draws two or three per call).
    #[inline]
    pub fn exp1(&mut self) -> f64 {
        Exp1.sample(self)
    }

    /// Standard normal (ziggurat).
    #[inline]
    pub fn normal(&mut self) -> f64 {
        StandardNormal.sample(self)
    }

    /// Gamma with shape `k` and scale 1 (Marsaglia and Tsang).
    pub fn gamma(&mut self, k: f64) -> f64 {
        if k < 1.0 {
            let boost = self.unit().powf(1.0 / k);
            return self.gamma(k + 1.0) * boost;
        }
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
                return d * v;
            }
        }
    }

    /// Uniform index below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

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
        for chunk in dst.chunks_mut(8) {
            let bytes = Stream::next_u64(self).to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
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
    /// Check the parameters; `what` names the field for the message.
    pub fn validate(&self, what: &str) -> Result<(), SimError> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(SimError(format!(
                    "{what}.{name} must be finite and > 0, got {v}"
                )))
            }
        };
        match self {
            Dist::Exponential { mean } => positive("mean", *mean),
            Dist::Lognormal { mean, cv } | Dist::Gamma { mean, cv } => {
                positive("mean", *mean)?;
                positive("cv", *cv)
            }
            Dist::Deterministic { value } => {
                if value.is_finite() && *value >= 0.0 {
                    Ok(())
                } else {
                    Err(SimError(format!(
                        "{what}.value must be finite and >= 0, got {value}"
                    )))
                }
            }
            Dist::Empirical { values } => {
                if values.is_empty() {
                    return Err(SimError(format!("{what}.values must not be empty")));
                }
                match values.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                    Some(i) => Err(SimError(format!(
                        "{what}.values[{i}] must be finite and >= 0, got {}",
                        values[i]
                    ))),
                    None => Ok(()),
                }
            }
            Dist::Never => Ok(()),
        }
    }

    /// One draw, seconds (infinite for `Never`).
    pub fn sample(&self, rng: &mut Stream) -> f64 {
        match self {
            Dist::Exponential { mean } => mean * rng.exp1(),
            Dist::Lognormal { mean, cv } => {
                let s2 = (1.0 + cv * cv).ln();
                let mu = mean.ln() - 0.5 * s2;
                (mu + s2.sqrt() * rng.normal()).exp()
            }
            Dist::Gamma { mean, cv } => {
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
