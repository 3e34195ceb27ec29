//! Ordered keys of the availability and waiting indices, time conversion, and the seeded RNG.

use serde::{Deserialize, Serialize};

use super::config::MAX_SECONDS;
use super::error::EngineError;

/// Engine time: integer microseconds.
pub type Us = i64;

/// Largest time (µs) any input can give: `to_us` refuses more.
pub(crate) const MAX_US: Us = (MAX_SECONDS * 1e6) as Us;

/// Seconds (float, any monotonic clock) to microseconds, refusing NaN and absurd values.
pub fn to_us(name: &str, seconds: f64) -> Result<Us, EngineError> {
    if !seconds.is_finite() || seconds.abs() > MAX_SECONDS {
        return Err(EngineError::BadTime(format!(
            "{name} must be a finite time within ±{MAX_SECONDS:e} seconds, got {seconds}"
        )));
    }
    Ok(us(seconds))
}

/// Seconds already checked (finite, within range) to microseconds, to the nearest.
#[inline]
pub(crate) fn us(seconds: f64) -> Us {
    round(seconds * 1e6)
}

/// `x.round() as i64` (half away from zero, saturating) without the libm call.
#[inline]
pub(crate) fn round(x: f64) -> i64 {
    let t = x as i64; // toward zero, saturating
    let frac = x - t as f64; // exact
                             // without branches: the fraction of a random time is a coin toss for a predictor
    t.saturating_add(i64::from(frac >= 0.5) - i64::from(frac <= -0.5))
}

/// Microseconds to seconds.
pub fn secs(us: Us) -> f64 {
    us as f64 * 1e-6
}

/// Effective priorities are exact integers in units of 10⁻¹² point: a priority of `p` points
/// is `p × PRIORITY_SCALE`, and aging (micro-points per second, [`aging_rate`]) times
/// integer µs is in the same unit. Their extremes (2³¹ points; 10¹² micro-points per second
/// for 10¹⁸ µs) stay far inside i128.
pub(crate) const PRIORITY_SCALE: i128 = 1_000_000_000_000;

/// A queue's aging (points per second, validated finite within [0, 1e6]) as an integer of
/// micro-points per second: exact for any rate of up to six decimals, others to the nearest.
#[inline]
pub(crate) fn aging_rate(aging: f64) -> i128 {
    i128::from(round(aging * 1e6))
}

/// A total order on f64 as i64 (larger float, larger integer).
pub fn ord_f64(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    if bits < 0 {
        bits ^ i64::MAX
    } else {
        bits
    }
}

/// Position of a free agent in a queue step's availability index: least first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AvailKey {
    /// tasks of the queue's media the agent already holds (fill the least loaded first)
    pub load: u32,
    /// the strategy's primary key
    pub a: i64,
    /// the strategy's secondary key
    pub b: i64,
    /// the agent's order of addition: the final tie-break
    pub order: u32,
    /// agent index
    pub agent: u32,
}

/// An i128 kept as its two 64-bit halves: 8-byte aligned where an i128 takes 16, so a call
/// key stays 40 bytes. Orders as the i128.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rank {
    hi: i64,
    lo: u64,
}

impl Rank {
    /// The i128.
    #[inline]
    pub fn get(self) -> i128 {
        (i128::from(self.hi) << 64) | i128::from(self.lo)
    }
}

impl From<i128> for Rank {
    #[inline]
    fn from(x: i128) -> Self {
        Self {
            hi: (x >> 64) as i64,
            lo: x as u64,
        }
    }
}

/// Position of a waiting call in its queue: least first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallKey {
    /// `-(priority × PRIORITY_SCALE - aging_rate × arrival)`, exact: higher aged priority first
    pub rank: Rank,
    /// original arrival time: older first
    pub arrival: Us,
    /// arrival sequence number: the final tie-break
    pub seq: u64,
    /// call slot
    pub call: u32,
}

/// A signed integer mapped to an unsigned one in the same order.
#[inline]
fn unsigned(x: i64) -> u128 {
    u128::from((x as u64) ^ (1 << 63))
}

/// The same for i128.
#[inline]
fn unsigned128(x: i128) -> u128 {
    (x as u128) ^ (1 << 127)
}

/// The keys order as their fields do, in declaration order; compared as two 128-bit
/// integers (what the index trees spend most of their time on; three for `CallKey`), which
/// is the same order.
macro_rules! packed_order {
    ($key:ty, $packed_ty:ty, |$k:ident| $packed:expr) => {
        impl $key {
            #[inline]
            fn packed(&self) -> $packed_ty {
                let $k = self;
                $packed
            }
        }

        impl Ord for $key {
            #[inline]
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.packed().cmp(&other.packed())
            }
        }

        impl PartialOrd for $key {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
    };
}

packed_order!(AvailKey, (u128, u128), |k| (
    (u128::from(k.load) << 64) | unsigned(k.a),
    (unsigned(k.b) << 64) | (u128::from(k.order) << 32) | u128::from(k.agent),
));

packed_order!(CallKey, (u128, u128, u32), |k| (
    unsigned128(k.rank.get()),
    (unsigned(k.arrival) << 64) | u128::from(k.seq),
    k.call,
));

/// SplitMix64: small, fast, and its whole state is one integer (snapshots carry it).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Rng(pub u64);

impl Rng {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on (0, 1].
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_keys_order_as_their_fields() {
        let vals = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        let small = [0u32, 1, u32::MAX];
        let mut avail = Vec::new();
        let mut calls = Vec::new();
        for &a in &vals {
            for &b in &vals[1..4] {
                for &n in &small {
                    avail.push(AvailKey {
                        load: n,
                        a,
                        b,
                        order: n ^ 1,
                        agent: n,
                    });
                    let seq = (b as u64).wrapping_mul(3);
                    calls.push(CallKey {
                        // (the high half: ranks beyond i64 compare too)
                        rank: ((i128::from(a) << 64) | i128::from(n)).into(),
                        arrival: b,
                        seq,
                        call: n,
                    });
                }
            }
        }
        let fields = |k: &AvailKey| (k.load, k.a, k.b, k.order, k.agent);
        for x in &avail {
            for y in &avail {
                assert_eq!(x.cmp(y), fields(x).cmp(&fields(y)), "{x:?} {y:?}");
            }
        }
        let fields = |k: &CallKey| (k.rank.get(), k.arrival, k.seq, k.call);
        for x in &calls {
            for y in &calls {
                assert_eq!(x.cmp(y), fields(x).cmp(&fields(y)), "{x:?} {y:?}");
            }
        }
    }

    #[test]
    fn ord_f64_is_monotone() {
        let xs = [
            -1e300, -2.5, -1.0, -1e-300, -0.0, 0.0, 1e-300, 1.0, 2.5, 1e300,
        ];
        for w in xs.windows(2) {
            assert!(ord_f64(w[0]) <= ord_f64(w[1]), "{} {}", w[0], w[1]);
        }
    }

    #[test]
    fn ranks_keep_their_value() {
        for x in [
            i128::MIN,
            -(1 << 64),
            -1,
            0,
            1,
            1 << 64,
            i128::MAX,
            -12_345 << 70,
        ] {
            assert_eq!(Rank::from(x).get(), x);
        }
    }

    #[test]
    fn aging_counts_exactly_to_the_millionth() {
        assert_eq!(aging_rate(0.05), 50_000);
        assert_eq!(aging_rate(0.2), 200_000);
        assert_eq!(aging_rate(0.123456), 123_456);
        assert_eq!(aging_rate(1e6), 1_000_000_000_000);
        assert_eq!(aging_rate(0.0000004), 0);
        assert_eq!(aging_rate(0.0000006), 1);
        // 0.2 × (40.5 s − 30.5 s) is exactly 2 points
        let aged = aging_rate(0.2) * i128::from(us(40.5) - us(30.5));
        assert_eq!(aged, 2 * PRIORITY_SCALE);
    }

    #[test]
    fn times_round_to_microseconds() {
        assert_eq!(to_us("now", 1.5).unwrap(), 1_500_000);
        assert!(to_us("now", f64::NAN).is_err());
        assert!(to_us("now", 1e13).is_err());
    }

    #[test]
    fn round_matches_std() {
        let xs = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            -4503599627370495.5,
            9.3e18,
            -9.3e18,
            1e300,
            -1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut rng = Rng(7);
        let random = (0..100_000).map(|_| f64::from_bits(rng.next_u64()));
        let halves = (0..100_000).map(|i| f64::from(i - 50_000) * 0.5 + 1e-3 * f64::from(i % 3));
        for x in xs.into_iter().chain(random).chain(halves) {
            assert_eq!(round(x), x.round() as i64, "{x:e}");
        }
    }
}
