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

use crate::erlang::ln_gamma;

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
