//! Special functions the Erlang formulas need, accurate to a few ulps in the ranges used.
//!
//! `ln_gamma` (Stirling series after an upward shift), `stirlerr` and `bd0`
//! (Loader's saddle-point pieces) give the Poisson probability `A^x e^-A / Γ(x+1)` with
//! relative error proportional to `|log p|·ε`, never the catastrophic `x ln A - A - lnΓ(x+1)`
//! cancellation of the naive formula.

use std::f64::consts::PI;

/// ln(sqrt(2π))
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Stirling-series remainder for `x >= 15`: ln Γ(x+1) - [(x+½) ln x - x + ln √(2π)].
fn stirlerr_series(x: f64) -> f64 {
    // Coefficients B_{2k} / (2k (2k-1)) of the Stirling series, as exact fractions.
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    const S5: f64 = 691.0 / 360_360.0;
    const S6: f64 = 1.0 / 156.0;
    let xx = x * x;
    (S0 - (S1 - (S2 - (S3 - (S4 - (S5 - S6 / xx) / xx) / xx) / xx) / xx) / xx) / x
}

/// Natural log of Γ(x) for x > 0 (relative accuracy ~1e-15 in Γ for x up to ~1e15).
pub fn ln_gamma(x: f64) -> f64 {
    debug_assert!(x > 0.0);
    if x >= 15.0 {
        // ln Γ(x) = ln Γ(x+1) - ln x
        return (x - 0.5) * x.ln() - x + LN_SQRT_2PI + stirlerr_series(x);
    }
    // Shift up: Γ(x) = Γ(x+k) / (x (x+1) ... (x+k-1)).
    let mut prod = 1.0;
    let mut y = x;
    while y < 15.0 {
        prod *= y;
        y += 1.0;
    }
    (y - 0.5) * y.ln() - y + LN_SQRT_2PI + stirlerr_series(y) - prod.ln()
}

/// ln Γ(x+1) - [(x+½) ln x - x + ln √(2π)], the error of Stirling's formula for x!.
pub fn stirlerr(x: f64) -> f64 {
    if x >= 15.0 {
        stirlerr_series(x)
    } else {
        ln_gamma(x + 1.0) - (x + 0.5) * x.ln() + x - LN_SQRT_2PI
    }
}

/// Deviance term `x ln(x/m) + m - x`, computed without cancellation when x ≈ m.
///
/// The series in `v = (x-m)/(x+m)` has terms of one sign, so it is exact wherever it is
/// used; it is used up to |v| < 1/2 (about 25 terms), beyond which the direct formula
/// loses at most a few bits.
pub fn bd0(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.5 * (x + m) {
        let v = (x - m) / (x + m);
        let mut s = (x - m) * v;
        let mut ej = 2.0 * x * v;
        let v2 = v * v;
        let mut j = 1.0;
        loop {
            ej *= v2;
            let s1 = s + ej / (2.0 * j + 1.0);
            if s1 == s {
                return s1;
            }
            s = s1;
            j += 1.0;
        }
    }
    x * (x / m).ln() + m - x
}

/// Poisson "pmf" generalised to real x >= 0: `m^x e^{-m} / Γ(x+1)`, for m > 0.
pub fn poisson_pmf(x: f64, m: f64) -> f64 {
    ln_poisson_pmf(x, m).exp()
}

/// Natural log of [`poisson_pmf`].
pub fn ln_poisson_pmf(x: f64, m: f64) -> f64 {
    if x == 0.0 {
        return -m;
    }
    if x < 15.0 {
        // Small x: direct form; |x ln m| stays small enough for full accuracy.
        return x * m.ln() - m - ln_gamma(x + 1.0);
    }
    -stirlerr(x) - bd0(x, m) - 0.5 * (2.0 * PI * x).ln()
}

/// Upper incomplete gamma in the scaled form `e^m m^{-f} Γ(f+1, m)` for f in [0, 1), m > 0.
///
/// This is `1 / B(f, m)`, the inverse Erlang B of a fractional server count.
pub fn inv_erlang_b_fractional(f: f64, m: f64) -> f64 {
    if f == 0.0 {
        return 1.0;
    }
    let a = f + 1.0;
    if m < 1.0 {
        // Γ(a, m) = Γ(a) - γ(a, m), with γ by its power series; little cancellation for m < 1.
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut k = 1.0;
        loop {
            term *= m / (a + k);
            sum += term;
            if term < sum * 1e-17 {
                break;
            }
            k += 1.0;
        }
        // e^m m^{-f} Γ(a) - m Σ m^k / (a (a+1) ... (a+k))
        // 1/B(f) >= 1; for f near 0 the difference may round a hair below.
        ((m - f * m.ln() + ln_gamma(a)).exp() - m * sum).max(1.0)
    } else {
        // Legendre continued fraction, modified Lentz:
        // Γ(a, m) = e^{-m} m^a / (m+1-a- 1(1-a)/(m+3-a- 2(2-a)/(m+5-a- ...)))
        const TINY: f64 = 1e-300;
        let mut b = m + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        let mut i = 1.0;
        loop {
            let an = -i * (i - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 || i > 10_000.0 {
                break;
            }
            i += 1.0;
        }
        (m * h).max(1.0)
    }
}

/// `e^x E_1(x)` for `x > 0`: the exponential integral, scaled so it neither over- nor
/// underflows. It is `d/dn (1/B(n, x))` at `n = 0`, the slope of the continuous Erlang B.
pub fn scaled_exp_integral_e1(x: f64) -> f64 {
    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
    if x < 1.0 {
        // E_1(x) = -γ - ln x - Σ_{k>=1} (-x)^k / (k k!): terms fall at once for x < 1.
        let mut term = 1.0;
        let mut sum = 0.0;
        let mut k = 1.0;
        loop {
            term *= -x / k;
            let add = term / k;
            sum += add;
            if add.abs() < 1e-18 * sum.abs().max(1e-300) || k > 100.0 {
                break;
            }
            k += 1.0;
        }
        (-EULER_GAMMA - x.ln() - sum) * x.exp()
    } else {
        // e^x E_1(x) = 1/(x+1- 1/(x+3- 4/(x+5- 9/(x+7- ...)))), modified Lentz.
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        let mut i = 1.0;
        loop {
            let an = -i * i;
            b += 2.0;
            d = 1.0 / (an * d + b);
            c = b + an / c;
            let delta = c * d;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 || i > 10_000.0 {
                return h;
            }
            i += 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn scaled_e1_matches_reference() {
        // e^x E_1(x), mpmath at 40 digits.
        for &(x, want) in &[
            (1e-300, 690.198_312_233_312_2),
            (1e-8, 17.843_465_267_485_48),
            (0.01, 4.078_511_443_456_426),
            (0.5, 0.922_910_632_483_730_5),
            (0.999, 0.596_751_313_368_685_8),
            (1.0, 0.596_347_362_323_194_1),
            (1.5, 0.448_256_669_291_583),
            (5.0, 0.170_422_176_284_732_2),
            (30.0, 0.032_289_738_758_980_13),
            (1e3, 0.000_999_001_994_023_880_7),
            (1e8, 9.999_999_900_000_002e-9),
        ] {
            let got = scaled_exp_integral_e1(x);
            assert!(rel(got, want) < 1e-14, "x={x}: {got} vs {want}");
        }
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut fact = 1.0_f64;
        for n in 1..60 {
            fact *= n as f64;
            let err = (ln_gamma(n as f64 + 1.0) - fact.ln()).abs();
            assert!(err < 1e-14 * fact.ln().max(1.0), "n = {n}");
        }
        // Γ(1/2) = √π
        assert!(rel(ln_gamma(0.5), PI.sqrt().ln()) < 1e-14);
    }

    #[test]
    fn pmf_matches_direct_sum_for_small_means() {
        let m = 3.7_f64;
        let mut p = (-m).exp();
        for k in 0..40 {
            assert!(rel(poisson_pmf(k as f64, m), p) < 1e-13, "k = {k}");
            p *= m / (k as f64 + 1.0);
        }
    }

    #[test]
    fn fractional_inverse_b_at_zero_fraction_is_one() {
        assert_eq!(inv_erlang_b_fractional(0.0, 5.0), 1.0);
        // f → 1 approaches 1/B(1, m) = 1 + 1/m
        for m in [0.3, 2.0, 50.0] {
            assert!(rel(inv_erlang_b_fractional(1.0 - 1e-12, m), 1.0 + 1.0 / m) < 1e-9);
        }
    }
}
