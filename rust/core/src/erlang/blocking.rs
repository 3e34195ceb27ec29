//! Erlang B (M/M/n/n loss) for integer and real server counts, exact in double precision.
//!
//! Two regimes, both sums of positive terms (no cancellation, no overflow):
//! - `n < A`: `1/B = Σ_j n(n-1)…(n-j+1)/A^j`, a series whose terms fall from the first one;
//!   it needs O(√A) terms, not O(n).
//! - `n >= A`: `B = p / (1 - p S)` with `p` the Poisson probability of `n` (Loader's
//!   saddle-point form) and `p S = P(X > n)` summed upward; again O(√A) terms at most.
//!
//! Real `n = m + f` use the recursion `1/B(x) = 1 + (x/A)/B(x-1)` down to `B(f)`, given by
//! the incomplete gamma function (the continuous extension of Jagerman).

use super::special::{inv_erlang_b_fractional, ln_poisson_pmf};

/// Relative size under which a further series term cannot change a double.
const NEGLIGIBLE: f64 = 1e-17;

/// Erlang B blocking probability and its complement, each to full relative precision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Blocking {
    /// B(n, A)
    pub b: f64,
    /// 1 - B(n, A), computed without cancellation
    pub one_minus_b: f64,
}

/// Erlang B for `traffic >= 0` and real `servers >= 0` (inputs already validated).
pub fn erlang_b_parts(traffic: f64, servers: f64) -> Blocking {
    if servers == 0.0 {
        return Blocking {
            b: 1.0,
            one_minus_b: 0.0,
        };
    }
    if traffic == 0.0 {
        return Blocking {
            b: 0.0,
            one_minus_b: 1.0,
        };
    }
    if servers < traffic {
        backward_sum(traffic, servers)
    } else {
        forward_tail(traffic, servers)
    }
}

/// `n < A`: 1/B = Σ_j r_j, r_0 = 1, r_j = r_{j-1} (n-j+1)/A. The sum minus one is 1/B - 1.
fn backward_sum(a: f64, x: f64) -> Blocking {
    let whole = x.floor();
    let frac = x - whole;
    let mut term = 1.0;
    let mut rest = 0.0; // Σ_{j>=1} r_j
    let mut k = x;
    let mut steps = 0.0;
    while steps < whole {
        term *= k / a;
        k -= 1.0;
        steps += 1.0;
        if term < NEGLIGIBLE * (1.0 + rest) {
            rest += term;
            let inv = 1.0 + rest;
            return Blocking {
                b: 1.0 / inv,
                one_minus_b: rest / inv,
            };
        }
        rest += term;
    }
    // Reached the fractional remainder: the last term carries 1/B(f) instead of 1.
    if frac > 0.0 {
        rest += term * (inv_erlang_b_fractional(frac, a) - 1.0);
    }
    let inv = 1.0 + rest;
    Blocking {
        b: 1.0 / inv,
        one_minus_b: rest / inv,
    }
}

/// `n >= A`: B = p / (1 - P(X > n)), P(X > n) = p Σ_{j>=1} A^j / ((n+1)…(n+j)).
fn forward_tail(a: f64, x: f64) -> Blocking {
    let p = ln_poisson_pmf(x, a).exp();
    let mut term = 1.0;
    let mut sum = 0.0;
    let mut k = x + 1.0;
    loop {
        term *= a / k;
        sum += term;
        if term <= NEGLIGIBLE * sum {
            break;
        }
        k += 1.0;
    }
    let upper = p * sum; // P(X > x), <= ~1/2 here
    let cdf = 1.0 - upper;
    let b = p / cdf;
    Blocking {
        b,
        one_minus_b: (cdf - p) / cdf,
    }
}

/// Step Erlang B from n to n+1 servers: B(n+1) = A B / (n+1 + A B). Stable.
#[inline]
pub fn step_up(traffic: f64, servers: f64, cur: Blocking) -> Blocking {
    let ab = traffic * cur.b;
    let den = servers + 1.0 + ab;
    Blocking {
        b: ab / den,
        one_minus_b: (servers + 1.0) / den,
    }
}

/// Step Erlang B from n to n-1 servers: `B(n-1) = n B / (A (1 - B))`.
///
/// The step multiplies relative errors by `(A/n) / (1 - B)`: below 1 where `n > A` and `B`
/// is small, but above 1 for `n < A`, where it would blow up; there it evaluates afresh.
#[inline]
pub fn step_down(traffic: f64, servers: f64, cur: Blocking) -> Blocking {
    if servers - 1.0 < traffic {
        return erlang_b_parts(traffic, servers - 1.0);
    }
    let b = servers * cur.b / (traffic * cur.one_minus_b);
    if b >= 0.5 {
        // Close to 1 the complement needs a fresh evaluation to stay exact.
        return erlang_b_parts(traffic, servers - 1.0);
    }
    Blocking {
        b,
        one_minus_b: 1.0 - b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    /// The textbook recursion, exact enough for small n.
    fn recursion(a: f64, n: u32) -> f64 {
        let mut b = 1.0;
        for k in 1..=n {
            b = a * b / (k as f64 + a * b);
        }
        b
    }

    #[test]
    fn regimes_agree_with_recursion() {
        for &a in &[0.01, 0.5, 1.0, 7.3, 20.0, 99.5, 250.0] {
            for n in 0..400u32 {
                let want = recursion(a, n);
                if want < 1e-290 {
                    continue;
                }
                let got = erlang_b_parts(a, n as f64);
                assert!(
                    rel(got.b, want) < 1e-12,
                    "A={a} n={n} got {} want {want}",
                    got.b
                );
                assert!((got.b + got.one_minus_b - 1.0).abs() < 1e-15);
            }
        }
    }

    #[test]
    fn steps_agree_with_fresh_evaluation() {
        let a = 500.0;
        let mut cur = erlang_b_parts(a, 480.0);
        for n in 480..700 {
            let next = step_up(a, n as f64, cur);
            let fresh = erlang_b_parts(a, n as f64 + 1.0);
            assert!(rel(next.b, fresh.b) < 1e-12, "n={n}");
            cur = next;
        }
        for n in (481..=700).rev() {
            let prev = step_down(a, n as f64, cur);
            let fresh = erlang_b_parts(a, n as f64 - 1.0);
            assert!(rel(prev.b, fresh.b) < 1e-12, "n={n}");
            cur = prev;
        }
    }

    #[test]
    fn fractional_servers_interpolate_monotonically() {
        for &a in &[0.2, 3.0, 40.0] {
            let mut last = 1.0;
            for i in 0..400 {
                let x = i as f64 * 0.25;
                let b = erlang_b_parts(a, x).b;
                assert!(b <= last, "A={a} x={x}");
                last = b;
                // integer points agree with the integer recursion
                if i % 4 == 0 {
                    let want = recursion(a, (i / 4) as u32);
                    if want > 1e-290 {
                        assert!(rel(b, want) < 1e-12, "A={a} x={x}");
                    }
                }
            }
        }
    }
}
