//! The inbound calls a blended campaign's pacing plans for (`pacing.rs`, "Inbound calls"):
//! the point masses of `J = (I − kept)+`, `I ~ Poisson(inbound)`, the floor's reserve, and
//! the moments of the abandoned mixed over `J`.

use super::pacing::{excess_moments, ln_point};
use crate::erlang::ln_poisson_pmf;

/// The agents free now that the floor of predictive pacing (and progressive dialing) does
/// not dial for: the smallest `c` with `P((I − kept)+ > c) <= cap / 2`,
/// `I ~ Poisson(inbound)` (module doc, "Inbound calls"); 0 without inbound (or NaN); an
/// `inbound` above [`MAX_FREE_AGENTS`](super::MAX_FREE_AGENTS) (`inf` included) counts as
/// that many.
pub fn inbound_reserve(inbound: f64, kept: u32, cap: f64) -> u32 {
    Inbound::beyond_kept(inbound, kept).reserve(cap)
}

/// The point masses of `I ~ Poisson(λ)`: `P(I = j)` for `j = first..first + len`, the
/// tails left out on either side each below 1e-12 (the bulk: about `2 · 7.4 √λ` counts).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Inbound {
    first: u64,
    masses: Vec<f64>,
}

/// The Poisson's tails left out of the masses kept (below any abandonment worth counting).
const INBOUND_TAIL: f64 = 1e-12;

impl Inbound {
    /// No inbound: `P(J = 0) = 1`.
    pub(crate) fn none() -> Self {
        Self {
            first: 0,
            masses: vec![1.0],
        }
    }

    /// No inbound call: `P(J = 0) = 1`.
    pub(crate) fn is_none(&self) -> bool {
        self.first == 0 && self.masses.len() == 1
    }

    /// The smallest `c` with `P(J > c) <= cap / 2` ([`inbound_reserve`]).
    pub(crate) fn reserve(&self, cap: f64) -> u32 {
        if self.is_none() {
            return 0;
        }
        let allowed = (0.5 * cap).clamp(1e-12, 0.5);
        // P(J > c) for c from the first mass kept (below it, P(J > c) > 1 − 1e-12)
        let mut above = 1.0f64;
        for (i, &w) in self.masses.iter().enumerate() {
            above -= w;
            if above <= allowed {
                return (self.first + i as u64).min(u64::from(u32::MAX)) as u32;
            }
        }
        (self.first + self.masses.len() as u64).min(u64::from(u32::MAX)) as u32
    }

    /// The inbound calls beyond `kept` idle agents held for inbound (who take them first):
    /// `(I − kept)+` for `I ~ Poisson(lambda)`.
    pub(crate) fn beyond_kept(lambda: f64, kept: u32) -> Self {
        let Self { first, masses } = Self::new(lambda);
        let kept = u64::from(kept);
        if kept == 0 {
            return Self { first, masses };
        }
        if first > kept {
            return Self {
                first: first - kept,
                masses,
            };
        }
        // the counts up to `kept` leave the campaign's agents alone
        let at_most = ((kept - first + 1) as usize).min(masses.len());
        let none: f64 = masses[..at_most].iter().sum();
        let mut out = vec![none];
        out.extend_from_slice(&masses[at_most..]);
        Self {
            first: 0,
            masses: out,
        }
    }

    fn new(lambda: f64) -> Self {
        if lambda.is_nan() || lambda <= 0.0 {
            return Self {
                first: 0,
                masses: vec![1.0],
            };
        }
        // beyond the most agents a campaign may count, more inbound changes nothing (every
        // agent is taken either way); the cap keeps the bulk finite (`inf`, or `λ` so large
        // that `j − 1 == j`, would never end the walk below)
        let lambda = lambda.min(f64::from(super::MAX_FREE_AGENTS));
        // from the mode down and up by the ratio recurrence; each side stops once what is
        // left of it (bounded by a geometric series) is negligible
        let mode = lambda.floor();
        let top = ln_poisson_pmf(mode, lambda).exp();
        let mut below = Vec::new();
        let (mut x, mut j) = (top, mode);
        while j > 0.0 {
            x *= j / lambda;
            j -= 1.0;
            let ratio = j / lambda;
            if x / (1.0 - ratio) < INBOUND_TAIL {
                break;
            }
            below.push(x);
        }
        let first = mode as u64 - below.len() as u64;
        let mut masses: Vec<f64> = below.into_iter().rev().collect();
        masses.push(top);
        let (mut x, mut j) = (top, mode);
        loop {
            j += 1.0;
            x *= lambda / j;
            let ratio = lambda / (j + 1.0);
            if ratio < 1.0 && x / (1.0 - ratio) < INBOUND_TAIL {
                break;
            }
            masses.push(x);
        }
        Self { first, masses }
    }

    /// The masses for `j = first'..=J` with `J = min(m, the end kept)` (`first' <= J`: at
    /// least one, 0 if the bulk lies beyond `m`), `first'`, and `P(I > J)`.
    pub(super) fn up_to(&self, m: u64) -> (u64, &[f64], f64) {
        const NOTHING: [f64; 1] = [0.0];
        let last = self.first + self.masses.len() as u64 - 1;
        let big_j = m.min(last);
        if self.first > big_j {
            return (big_j, &NOTHING, self.masses.iter().sum());
        }
        let keep = (big_j - self.first + 1) as usize;
        let beyond: f64 = self.masses[keep..].iter().sum();
        (self.first, &self.masses[..keep], beyond)
    }
}

/// `(E[X], E[X²])` for the abandoned `X = (Bin(n, p) − (f − J)+)+`,
/// `J = (I − kept)+`, `I ~ Poisson(inbound)`: one pass over the binomial's bulk (30 standard
/// deviations below the mean, 40 above: starting lower, the first point mass would underflow
/// to 0 and with it every later one), the inbound's part of each outcome from suffix sums
/// of `J`'s point masses. With `k` answered and `a = k − f`: `X = (a + j)+` for `j < f`, and
/// `X = k` for `j >= f` (every agent taken).
#[cfg(test)]
pub(crate) fn excess_moments_inbound(
    n: u64,
    p: f64,
    f: f64,
    inbound: f64,
    kept: u32,
) -> (f64, f64) {
    excess_moments_mixed(n, p, f, &Inbound::beyond_kept(inbound, kept))
}

/// [`excess_moments_inbound`] with the inbound's point masses given.
pub(crate) fn excess_moments_mixed(n: u64, p: f64, f: f64, inbound: &Inbound) -> (f64, f64) {
    if inbound.is_none() {
        return excess_moments(n, p, f);
    }
    let p = p.clamp(1e-12, 1.0);
    let f = f.max(0.0);
    let nf = n as f64;
    let (first, masses) = (inbound.first, &inbound.masses);
    // j counted from c = ⌈f⌉ (j − c in [−c, 0) for j < f): the sums stay small numbers
    let c = f.ceil();
    let len = masses.len();
    let (mut s0, mut s1, mut s2) = (
        vec![0.0f64; len + 1],
        vec![0.0; len + 1],
        vec![0.0; len + 1],
    );
    for i in (0..len).rev() {
        let d = (first + i as u64) as f64 - c;
        let w = masses[i];
        s0[i] = s0[i + 1] + w;
        s1[i] = s1[i + 1] + w * d;
        s2[i] = s2[i + 1] + w * d * d;
    }
    // index of the first j >= x (clamped to the masses kept)
    let index = |x: f64| -> usize {
        if x <= first as f64 {
            0
        } else {
            ((x - first as f64).ceil() as usize).min(len)
        }
    };
    let all = index(c); // j >= c: j >= f
    let highest = (first + len as u64) as f64 - 1.0;
    // outcomes with X > 0: k > f − j for some j kept
    let k_min = (f - highest).floor().max(0.0) as u64 + u64::from(f - highest >= 0.0);
    let (lo, hi, mut pk) = if p >= 1.0 {
        (k_min.max(n), n, 1.0)
    } else {
        let q = 1.0 - p;
        let (mean, sd) = (nf * p, (nf * p * q).sqrt());
        let lo = k_min.max((mean - 30.0 * sd - 1.0).max(0.0) as u64);
        let hi = n.min((mean + 40.0 * sd + 2.0) as u64);
        if lo > hi {
            return (0.0, 0.0);
        }
        let pk = ln_point(n, lo, p).exp();
        (lo, hi, pk)
    };
    if lo > hi {
        return (0.0, 0.0);
    }
    let ratio = |k: u64| (nf - k as f64) / (k as f64 + 1.0) * p / (1.0 - p);
    let (mut e1, mut e2) = (0.0f64, 0.0f64);
    for k in lo..=hi {
        let kf = k as f64;
        // j in (f − k, f): X = a + j = (k − f + c) + (j − c)
        let a = kf - f + c;
        let from = index((f - kf).floor() + 1.0);
        let (w0, w1, w2) = if from < all {
            (s0[from] - s0[all], s1[from] - s1[all], s2[from] - s2[all])
        } else {
            (0.0, 0.0, 0.0)
        };
        let gone = s0[all];
        let x1 = a * w0 + w1 + kf * gone;
        let x2 = a * a * w0 + 2.0 * a * w1 + w2 + kf * kf * gone;
        e1 += pk * x1;
        e2 += pk * x2;
        if k < hi {
            pk *= ratio(k);
        }
    }
    (e1, e2)
}
