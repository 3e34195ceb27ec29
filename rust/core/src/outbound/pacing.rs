//! Predictive pacing: how many lines to have open.
//!
//! With answer probability `p` per line, `f` agents free now plus expected to free up within
//! the ring time, and `N` lines open in all (those already ringing included), the number of
//! people answered is `Y ~ Bin(N, p)` and the expected number abandoned `E[(Y - f)+]`. The
//! campaign's rolling rate stays under the cap in expectation when
//!
//! ```text
//! E[(Y - f)+] <= cap · E[Y] + B,     B = cap × answered in the window − abandoned in it
//! ```
//!
//! i.e. `E[(Y - f)+] / E[Y] <= cap + B / E[Y]`: the cap plus the remaining budget of the
//! window spread over the expected answers. The pacer takes the largest such `N`, never more
//! than `max_lines_per_agent × f`, and never fewer than the agents free now (lines that
//! cannot outnumber free agents cannot abandon anyone: what progressive dialing would do).
//!
//! `h(N) = E[(Bin(N, p) - f)+]` is computed incrementally: one more line adds
//! `p · E[min(1, (Y_N + 1 - f)+)] = p · (P(Y_N >= m + 1) + (1 - φ) P(Y_N = m))` with
//! `m = ⌊f⌋`, `φ = f - m`. Both terms follow `N` by recurrences (the tail gains
//! `p · P(Y_N = m)`; the point mass is multiplied by `q (N + 1) / (N + 1 - m)`), so a
//! decision costs O(N) multiplications and no binomial sums; the stretch where
//! `P(Y_N = m) < e^-40` (far below the mean, where nothing can be abandoned to 18 digits)
//! is skipped by a binary search on the closed form of that point mass, and once the point
//! mass underflows past the mode, `g` is linear and solved in closed form. The work is
//! bounded by the width of the binomial's bulk, not by the ceiling. The increment grows with `N`
//! (convexity), so the scan stops at the first infeasible `N` past which the slack shrinks.
//!
//! ## The confidence margin
//!
//! Spending `B` in full puts the window's rate *on* the cap in expectation: about every
//! other window would end above it. The campaign's `abandon_risk` `r` is the largest
//! allowed probability that the window's rate ends above the cap, and the pacer spends
//! `B_r = μ_r(cap · A) − abandoned` instead of `B`, with `A` the answers the window holds
//! and `μ_r(c)` ([`abandon_allowance`]) the largest mean `μ <= c` of a Poisson count that
//! exceeds `c` with probability at most `r`:
//!
//! ```text
//! μ_r(c) = min(c, μ*),   P(Poisson(μ*) <= ⌊c⌋) = 1 − r   (μ* the r-quantile of Gamma(⌊c⌋ + 1, 1))
//! ```
//!
//! The derivation and its assumptions:
//! 1. A window's abandonments are many rare, nearly independent events (each answered line
//!    is abandoned with a small probability, the outcome of its own decision), so their
//!    count `D` is close to Poisson: its variance is its mean (the binomial variance
//!    `Σ π(1 − π)` of small chances `π`, a little above it when lines of one decision
//!    compete for the same agents).
//! 2. The window's rate ends above the cap when `D > cap · A`, with `A` the answers it
//!    holds then. The pacer reads `A` now, as the best guess of the window it is filling
//!    (a window that grows only raises the allowance: `μ_r` rises with `c`), and plans the
//!    window's abandonments (those already counted plus the expected of the lines open)
//!    at `μ_r(cap · A)`, so that `P(D > cap · A) <= r`.
//! 3. It treats the whole window's count as random although the abandonments already
//!    counted are known: conservative, the feedback (a window over its allowance holds the
//!    pacer at the floor) corrects the past; the slack absorbs what the model ignores (the
//!    estimated answer rate, the agents expected to free up).
//! 4. Abandonments come in clusters (one shortage of agents abandons `X = (Y − f)+`
//!    people at once), so the count is compound Poisson: its variance is
//!    `φ = E[X²] / E[X]` times its mean ([`abandon_dispersion`], from the binomial model of
//!    the decision). The pacer decides once with the Poisson margin, takes `φ` at the lines
//!    so chosen, and, when `φ > 1`, decides again with the margin widened to
//!    `√φ · (cap · A − μ_r)` (the normal approximation: the margin scales with the standard
//!    deviation).
//!
//! With `z = Φ⁻¹(1 − r)` the normal approximation gives `μ* ≈ c − z √c`: the margin grows as
//! the square root of the window's answers, the rate target `cap − z √(cap / A)` approaches
//! the cap as the window fills (1.6 % below a 3 % cap at 100 answers, 0.1 % at 30,000,
//! `r` = 5 %). Early in a window (`cap · A` below a few abandonments) the allowance is
//! about nothing, and the pacer dials at its floor: the agents free now, progressive
//! dialing, which abandons nobody. The allowance is never above `cap · A`: for
//! `cap · A < −ln(1 − r)` the Poisson bound alone would allow a little more.

use crate::erlang::{ln_gamma, ln_poisson_pmf};

/// The largest number of lines the campaign may have open, in all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PacingInput {
    /// probability that a line is answered by a person, in (0, 1] (clamped up to 1e-9)
    pub answer_rate: f64,
    /// agents free now
    pub free: u32,
    /// agents expected to free up within the ring time, >= 0
    pub freeing: f64,
    /// the abandonment cap, in (0, 1)
    pub cap: f64,
    /// the window's remaining budget: `cap × answered − abandoned` (may be negative)
    pub budget: f64,
    /// hard ceiling of lines per (free now + freeing) agent, >= 1
    pub max_lines_per_agent: f64,
}

/// The number of lines to have open (ringing ones included): the largest `N` with
/// `E[(Bin(N, p) - f)+] <= cap · N p + budget`, within `[free, ⌊max_lines_per_agent · f⌋]`.
/// Inputs are assumed checked (finite, in their domains).
pub fn predictive_lines(input: &PacingInput) -> u64 {
    let p = input.answer_rate.clamp(1e-9, 1.0);
    let q = 1.0 - p;
    let f = f64::from(input.free) + input.freeing.max(0.0);
    let ceiling = (input.max_lines_per_agent * f + 1e-9).floor() as u64;
    let floor = u64::from(input.free).min(ceiling);
    let cap_p = input.cap * p;
    let budget = input.budget;
    let m = f.floor() as u64;
    let phi = f - m as f64;
    let mut best: Option<u64> = None;
    // N <= m: nobody can be abandoned (Y <= N <= f); feasible iff -cap·p·N - B <= 0, which
    // only gets easier as N grows: the largest such N is min(m, ceiling) if any.
    let low = m.min(ceiling);
    if -cap_p * low as f64 - budget <= 0.0 {
        best = Some(low);
    }
    if ceiling > m {
        // state at N = m: P(Y >= m+1) = 0, P(Y = m) = p^m, h = 0
        let mut tail = 0.0f64;
        let mut log_b = m as f64 * p.ln();
        let mut n = m;
        if log_b < NEGLIGIBLE {
            // Skip ahead to where P(Y_N = m) stops being negligible: until then h and the
            // tail stay below e^-40 per line, and only the cap term moves.
            let (start, lb) = first_relevant(m, p, ceiling);
            if -cap_p * start as f64 - budget <= 0.0 {
                best = Some(start);
            }
            n = start;
            log_b = lb;
        }
        let mut b = if log_b >= -700.0 { log_b.exp() } else { 0.0 };
        let mut h = 0.0f64;
        while n < ceiling {
            let inc = p * (tail + (1.0 - phi) * b);
            h += inc;
            tail += p * b;
            // P(Y_{N+1} = m) = P(Y_N = m) · q (N + 1) / (N + 1 - m)
            let ratio = q * (n + 1) as f64 / (n + 1 - m) as f64;
            if b > 0.0 || log_b >= -700.0 {
                b *= ratio;
            } else {
                log_b += ratio.ln();
                if log_b >= -700.0 {
                    b = log_b.exp();
                }
            }
            n += 1;
            let g = h - cap_p * n as f64 - budget;
            if g <= 0.0 {
                best = Some(n);
            } else if inc > cap_p {
                // g > 0 and growing from here on (the increment never shrinks)
                break;
            }
            if b == 0.0 && n as f64 * p > m as f64 {
                // past the mode the point mass underflowed: the tail is complete and every
                // further line adds the same p · tail, so g is linear from here
                let slope = p * tail - cap_p;
                let rest = ceiling - n;
                if slope <= 0.0 {
                    if g + rest as f64 * slope <= 0.0 {
                        best = Some(ceiling);
                    }
                } else if g <= 0.0 {
                    best = Some(n + ((-g / slope).floor() as u64).min(rest));
                }
                break;
            }
        }
    }
    best.unwrap_or(0).max(floor)
}

/// The expected abandonments a window may hold so that its count exceeds `limit` (the cap
/// times the window's answers) with probability at most `risk`, the counts being Poisson:
/// `min(limit, μ*)` with `P(Poisson(μ*) <= ⌊limit⌋) = 1 − risk` (module doc), to a relative
/// 1e-12. `limit >= 0` and `risk` in (0, 0.5] are assumed checked. The work is
/// `O(√limit)` per Newton step (a handful of steps).
pub fn abandon_allowance(limit: f64, risk: f64) -> f64 {
    poisson_mean_for(allowance_count(limit), risk).min(limit.max(0.0))
}

/// The dispersion of a decision's abandonments, `E[X²] / E[X]` with `X = (Bin(n, p) − f)+`
/// (the people answered beyond the agents): abandonments come in clusters, one per shortage,
/// so their count's variance is this times its mean (compound Poisson); 1 when no line can
/// be abandoned.
pub fn abandon_dispersion(n: u64, p: f64, f: f64) -> f64 {
    let (e1, e2) = excess_moments(n, p, f);
    if e1 > 1e-300 {
        (e2 / e1).max(1.0)
    } else {
        1.0
    }
}

/// `(E[X], E[X²])` for `X = (Bin(n, p) − f)+`, summed over the binomial's bulk (40 standard
/// deviations either side of the mean).
pub(crate) fn excess_moments(n: u64, p: f64, f: f64) -> (f64, f64) {
    let p = p.clamp(1e-12, 1.0);
    let f = f.max(0.0);
    let nf = n as f64;
    if nf <= f {
        return (0.0, 0.0);
    }
    if p >= 1.0 {
        return (nf - f, (nf - f) * (nf - f));
    }
    let q = 1.0 - p;
    let (mean, sd) = (nf * p, (nf * p * q).sqrt());
    let first = f.floor() as u64 + 1;
    let lo = first.max((mean - 40.0 * sd - 1.0).max(0.0) as u64);
    let hi = n.min((mean + 40.0 * sd + 2.0) as u64);
    if lo > hi {
        return (0.0, 0.0);
    }
    let (lf, pl) = (lo as f64, p.ln());
    let mut pk = (ln_gamma(nf + 1.0) - ln_gamma(lf + 1.0) - ln_gamma(nf - lf + 1.0)
        + lf * pl
        + (nf - lf) * (-p).ln_1p())
    .exp();
    let (mut e1, mut e2) = (0.0f64, 0.0f64);
    for k in lo..=hi {
        let x = k as f64 - f;
        e1 += x * pk;
        e2 += x * x * pk;
        pk *= (nf - k as f64) / (k as f64 + 1.0) * p / q;
    }
    (e1, e2)
}

/// The largest count at most `limit` (the count exceeds `limit` when it reaches this + 1);
/// a hair of rounding in `cap × A` does not lose a whole abandonment.
pub(crate) fn allowance_count(limit: f64) -> f64 {
    (limit.max(0.0) * (1.0 + 1e-12) + 1e-12).floor()
}

/// The mean `μ` with `P(Poisson(μ) <= k) = 1 − risk`, by Newton's method kept within a
/// bracket: the distribution function falls with `μ` at the rate `P(Poisson(μ) = k)`; it is
/// `1 > 1 − risk` at 0 and below 1/2 at `k + 1` (the median of a Poisson of integer mean is
/// its mean).
pub(crate) fn poisson_mean_for(k: f64, risk: f64) -> f64 {
    let target = 1.0 - risk.clamp(1e-300, 0.5);
    let (mut lo, mut hi) = (0.0f64, k + 1.0);
    let mut mu = hi;
    for _ in 0..200 {
        let (cdf, pmf) = poisson_cdf(k, mu);
        let f = cdf - target;
        if f >= 0.0 {
            lo = mu;
        } else {
            hi = mu;
        }
        let newton = mu + f / pmf;
        let next = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        let done = (next - mu).abs() <= 1e-13 * mu.max(1.0) || hi - lo <= 1e-13 * hi.max(1.0);
        mu = next;
        if done {
            break;
        }
    }
    // on the safe side of the last step
    (mu * (1.0 - 1e-12)).max(lo)
}

/// `(P(Poisson(mu) <= k), P(Poisson(mu) = k))` for an integer `k >= 0`, summing the point
/// masses down from `k` until they no longer count (about `k - mu + 10 √mu` terms).
fn poisson_cdf(k: f64, mu: f64) -> (f64, f64) {
    if mu <= 0.0 {
        return (1.0, if k == 0.0 { 1.0 } else { 0.0 });
    }
    let ln_top = ln_poisson_pmf(k, mu);
    if ln_top < -700.0 {
        // k lies far in a tail: below the mean, nothing is at most k; above it, everything
        return (if k < mu { 0.0 } else { 1.0 }, 0.0);
    }
    let top = ln_top.exp();
    let (mut sum, mut term, mut j) = (top, top, k);
    while j > 0.0 {
        term *= j / mu;
        j -= 1.0;
        sum += term;
        if j < mu && term < 1e-17 * sum {
            break;
        }
    }
    (sum.min(1.0), top)
}

/// ln P(Bin(N, p) = m) below which a point mass is treated as 0 (e^-40 ≈ 4e-18).
const NEGLIGIBLE: f64 = -40.0;

/// ln P(Bin(n, p) = m), for m <= n, p in (0, 1).
fn ln_point(n: u64, m: u64, p: f64) -> f64 {
    let (nf, mf) = (n as f64, m as f64);
    ln_gamma(nf + 1.0) - ln_gamma(mf + 1.0) - ln_gamma(nf - mf + 1.0)
        + mf * p.ln()
        + (nf - mf) * (-p).ln_1p()
}

/// The first `N` in `[m, ceiling]` with `ln P(Y_N = m) >= NEGLIGIBLE` (it rises with `N` up to
/// `N ≈ m / p`), and that log; `ceiling` if none before the peak.
fn first_relevant(m: u64, p: f64, ceiling: u64) -> (u64, f64) {
    let peak = ((m as f64 / p).floor() as u64).clamp(m, ceiling);
    let at_peak = ln_point(peak, m, p);
    if at_peak < NEGLIGIBLE {
        // negligible up to the peak; past it (if the ceiling is further) it only falls
        return (ceiling, ln_point(ceiling, m, p));
    }
    let (mut lo, mut hi) = (m, peak); // lo negligible, hi not
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ln_point(mid, m, p) < NEGLIGIBLE {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (hi, ln_point(hi, m, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(p: f64, free: u32, budget: f64) -> PacingInput {
        PacingInput {
            answer_rate: p,
            free,
            freeing: 0.0,
            cap: 0.03,
            budget,
            max_lines_per_agent: 3.0,
        }
    }

    #[test]
    fn no_agents_no_lines() {
        assert_eq!(predictive_lines(&input(0.3, 0, 0.0)), 0);
    }

    #[test]
    fn certain_answers_dial_one_per_agent() {
        // p = 1: every line is a person; one more line than agents abandons one for sure
        assert_eq!(predictive_lines(&input(1.0, 10, 0.0)), 10);
    }

    #[test]
    fn never_above_ceiling() {
        assert_eq!(predictive_lines(&input(0.01, 10, 1e9)), 30);
    }

    #[test]
    fn large_pools_do_not_underflow() {
        // 1000 agents at p = 0.3: about 1000/0.3 lines would answer f on average; the
        // ceiling is 3000; the answer is well above the agents and within the ceiling
        let n = predictive_lines(&input(0.3, 1000, 0.0));
        assert!(n > 2500 && n <= 3000, "{n}");
    }

    #[test]
    fn huge_pools_and_ceilings_finish() {
        let mut x = input(0.01, 1_000_000, 0.0);
        x.max_lines_per_agent = 1000.0;
        x.freeing = 1_000_000.0;
        let n = predictive_lines(&x);
        assert!((1_000_000..=2_000_000_000).contains(&n), "{n}");
        // p below the cap: every line adds less than its share of the cap: the ceiling
        let mut y = input(0.01, 1_000, 0.0);
        y.cap = 0.5;
        assert_eq!(predictive_lines(&y), 3_000);
    }
}
