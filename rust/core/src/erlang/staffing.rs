//! Staffing searches: the fewest agents (or servers) that meet every constraint.
//!
//! Erlang B/C searches start from a square-root-staffing guess `A + β√A` (β from the
//! Halfin–Whitt approximation) and then walk the exact Erlang B recursion one agent at a
//! time, up or down, so each step costs O(1) instead of a fresh evaluation. Erlang A
//! searches bisect over whole agents between bounds that are known to fail and succeed.
//!
//! With `fractional`, the answer is the real agent count where the binding constraint is
//! met exactly, using the continuous extension of Erlang B (useful for blending queues).

use super::abandon::{erlang_a, ServiceLevelDefinition};
use super::blocking::{erlang_b_parts, step_down, step_up, Blocking};
use super::delay::{delay_from_blocking, service_level_from};
use super::error::{check, ErlangError};

/// Upper bound on any agent count a search will consider.
const MAX_AGENTS: f64 = 1e9;

/// Standard normal CDF, accurate to ~1e-7: enough for a starting guess, never for an answer.
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x);
    let poly = -x * x - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if z >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Halfin–Whitt P(wait) for `n = A + β√A`.
fn halfin_whitt_wait(beta: f64) -> f64 {
    1.0 / (1.0 + beta * normal_cdf(beta) / normal_pdf(beta))
}

/// Bisection of a decreasing function of β on [lo, hi] for the value `want` (guesses only).
fn solve_beta(lo: f64, hi: f64, want: f64, f: impl Fn(f64) -> f64) -> f64 {
    let (mut lo, mut hi) = (lo, hi);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if f(mid) > want {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Smallest integer `n >= lo` with `meets(n, B(n))`, for a predicate monotone in `n`,
/// walking the Erlang B recursion from `guess`.
fn walk(
    traffic: f64,
    lo: f64,
    guess: f64,
    meets: impl Fn(f64, Blocking) -> bool,
) -> Result<f64, ErlangError> {
    let mut n = guess.max(lo).floor().min(MAX_AGENTS);
    let mut b = erlang_b_parts(traffic, n);
    if meets(n, b) {
        while n > lo {
            let below = step_down(traffic, n, b);
            if !meets(n - 1.0, below) {
                break;
            }
            n -= 1.0;
            b = below;
        }
        return Ok(n);
    }
    loop {
        b = step_up(traffic, n, b);
        n += 1.0;
        if meets(n, b) {
            return Ok(n);
        }
        if n >= MAX_AGENTS {
            return Err(ErlangError::Unreachable(format!(
                "no staffing up to {MAX_AGENTS:e} agents meets the target"
            )));
        }
    }
}

/// The real `x` in `(lo, hi]` where a monotone predicate switches from false to true.
fn bisect_fractional(lo: f64, hi: f64, mut meets: impl FnMut(f64) -> bool) -> f64 {
    let (mut lo, mut hi) = (lo, hi);
    while hi - lo > 4.0 * f64::EPSILON * hi.max(1.0) {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if meets(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Fewest agents for occupancy `A/n <= cap`, exact in floating point (8/0.8 is 10, not 11).
fn agents_for_occupancy(traffic: f64, cap: f64) -> Result<f64, ErlangError> {
    let mut n = (traffic / cap).ceil();
    if n > MAX_AGENTS {
        return Err(ErlangError::Unreachable(format!(
            "max_occupancy {cap:e} needs more than {MAX_AGENTS:e} agents for {traffic} Erlangs"
        )));
    }
    // The quotient is off by at most an ulp, so at most one step either way is ever due.
    if n > 1.0 && traffic / (n - 1.0) <= cap {
        n -= 1.0;
    } else if traffic / n > cap {
        n += 1.0;
    }
    Ok(n)
}

fn check_cap(max_occupancy: Option<f64>) -> Result<f64, ErlangError> {
    match max_occupancy {
        Some(c) => check::occupancy_cap("max_occupancy", c).map(|()| c),
        None => Ok(1.0),
    }
}

/// Shared shape of the Erlang C searches: `meets(n, B(n))` for a stable `n > A`.
fn erlang_c_search(
    traffic: f64,
    cap: f64,
    guess_beta: f64,
    fractional: bool,
    meets: impl Fn(f64, Blocking) -> bool,
) -> Result<f64, ErlangError> {
    if traffic == 0.0 {
        return Ok(0.0);
    }
    let stable = traffic.floor() + 1.0;
    let guess = traffic + guess_beta * traffic.sqrt();
    let by_service = walk(traffic, stable, guess, &meets)?;
    let by_occupancy = agents_for_occupancy(traffic, cap)?;
    let n = by_service.max(by_occupancy);
    if !fractional {
        return Ok(n);
    }
    let lower = (n - 1.0).max(traffic);
    Ok(bisect_fractional(lower, n, |x| {
        x > traffic && traffic / x <= cap && meets(x, erlang_b_parts(traffic, x))
    }))
}

/// Fewest agents so that at least `level` of calls are answered within `target`, with
/// occupancy at most `max_occupancy` (Erlang C).
pub fn agents_for_service_level(
    traffic: f64,
    aht: f64,
    target: f64,
    level: f64,
    max_occupancy: Option<f64>,
    fractional: bool,
) -> Result<f64, ErlangError> {
    check::traffic(traffic)?;
    check::positive("aht", aht)?;
    check::non_negative("target", target)?;
    check::open_unit_interval("level", level)?;
    let cap = check_cap(max_occupancy)?;
    let root_a = traffic.sqrt();
    // Service level rises with β: bisect its negative, which falls.
    let beta = solve_beta(0.0, 12.0, -level, |b| {
        halfin_whitt_wait(b) * (-b * root_a * target / aht).exp() - 1.0
    });
    erlang_c_search(traffic, cap, beta, fractional, |n, b| {
        let d = delay_from_blocking(traffic, n, b);
        service_level_from(d, traffic, n, aht, target) >= level
    })
}

/// Fewest agents so that the average speed of answer is at most `asa` (Erlang C).
pub fn agents_for_asa(
    traffic: f64,
    aht: f64,
    asa: f64,
    max_occupancy: Option<f64>,
    fractional: bool,
) -> Result<f64, ErlangError> {
    check::traffic(traffic)?;
    check::positive("aht", aht)?;
    check::positive("asa", asa)?;
    let cap = check_cap(max_occupancy)?;
    let root_a = traffic.sqrt().max(f64::MIN_POSITIVE);
    let beta = solve_beta(1e-9, 50.0, asa, |b| {
        halfin_whitt_wait(b) * aht / (b * root_a)
    });
    erlang_c_search(traffic, cap, beta, fractional, |n, b| {
        let d = delay_from_blocking(traffic, n, b);
        d.c * aht / (n - traffic) <= asa
    })
}

/// Fewest servers (trunks) with Erlang B blocking at most `blocking`.
pub fn servers_for_blocking(traffic: f64, blocking: f64) -> Result<f64, ErlangError> {
    check::traffic(traffic)?;
    check::open_unit_interval("blocking", blocking)?;
    if traffic == 0.0 {
        return Ok(0.0);
    }
    // B(A + β√A) ≈ φ(β) / (√A Φ(β)) near the square-root regime.
    let root_a = traffic.sqrt();
    let beta = solve_beta(-5.0, 12.0, blocking, |b| {
        normal_pdf(b) / (root_a * normal_cdf(b))
    });
    // Far below the square-root regime, B(n) ≈ 1 - n/A.
    let guess = if beta > -4.9 {
        traffic + beta * root_a
    } else {
        traffic * (1.0 - blocking) + 1.0
    };
    walk(traffic, 0.0, guess, |_, b| b.b <= blocking)
}

/// The constraints of an Erlang A staffing question; at least one must be given.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ErlangATargets {
    /// service-level time threshold (seconds), with `level`
    pub target: Option<f64>,
    /// required service level under `definition`, with `target`
    pub level: Option<f64>,
    /// highest acceptable abandonment probability
    pub max_abandon: Option<f64>,
    /// highest acceptable occupancy
    pub max_occupancy: Option<f64>,
    /// how the service level is defined
    pub definition: ServiceLevelDefinition,
}

/// Fewest agents meeting every given constraint under Erlang A (M/M/n+M).
pub fn agents_for_erlang_a(
    traffic: f64,
    aht: f64,
    patience: f64,
    targets: ErlangATargets,
    fractional: bool,
) -> Result<f64, ErlangError> {
    check::traffic(traffic)?;
    check::positive("aht", aht)?;
    check::positive("patience", patience)?;
    let sl = match (targets.target, targets.level) {
        (Some(t), Some(l)) => {
            check::non_negative("target", t)?;
            check::open_unit_interval("level", l)?;
            Some((t, l))
        }
        (None, None) => None,
        (Some(_), None) => {
            return Err(ErlangError::Usage(
                "target needs a level (e.g. level=0.8)".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(ErlangError::Usage(
                "level needs a target time (e.g. target=20)".into(),
            ))
        }
    };
    if let Some(m) = targets.max_abandon {
        check::open_unit_interval("max_abandon", m)?;
    }
    if let Some(c) = targets.max_occupancy {
        check::occupancy_cap("max_occupancy", c)?;
    }
    if sl.is_none() && targets.max_abandon.is_none() && targets.max_occupancy.is_none() {
        return Err(ErlangError::Usage(
            "give at least one constraint: target and level, max_abandon or max_occupancy".into(),
        ));
    }
    if traffic == 0.0 {
        return Ok(0.0);
    }
    let meets = |n: f64| -> Result<bool, ErlangError> {
        if n <= 0.0 {
            return Ok(false);
        }
        let r = erlang_a(
            traffic,
            n,
            aht,
            patience,
            sl.map(|s| s.0),
            targets.definition,
        )?;
        Ok(
            sl.is_none_or(|(_, level)| r.service_level.is_some_and(|v| v >= level))
                && targets.max_abandon.is_none_or(|m| r.p_abandon <= m)
                && targets.max_occupancy.is_none_or(|c| r.occupancy <= c),
        )
    };
    // Bracket: `lo` fails, `hi` meets; start `hi` at the stable Erlang C-like region.
    let mut lo = 0.0;
    let mut hi = (traffic + traffic.sqrt()).ceil().max(1.0);
    while !meets(hi)? {
        lo = hi;
        hi *= 2.0;
        if hi > MAX_AGENTS {
            return Err(ErlangError::Unreachable(format!(
                "no staffing up to {MAX_AGENTS:e} agents meets the Erlang A targets"
            )));
        }
    }
    while hi - lo > 1.0 {
        let mid = (0.5 * (lo + hi)).floor();
        if meets(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    if !fractional {
        return Ok(hi);
    }
    let mut error = None;
    let x = bisect_fractional(hi - 1.0, hi, |x| match meets(x) {
        Ok(v) => v,
        Err(e) => {
            error = Some(e);
            true
        }
    });
    error.map_or(Ok(x), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erlang::{erlang_b, service_level};

    #[test]
    fn service_level_search_is_minimal() {
        for &a in &[0.5, 3.0, 10.0, 95.0, 1000.0, 10_000.0] {
            let n = agents_for_service_level(a, 180.0, 20.0, 0.8, None, false).unwrap();
            assert!(service_level(a, n, 180.0, 20.0).unwrap() >= 0.8, "A={a}");
            if n - 1.0 > a {
                assert!(
                    service_level(a, n - 1.0, 180.0, 20.0).unwrap() < 0.8,
                    "A={a}"
                );
            }
        }
    }

    #[test]
    fn occupancy_cap_is_exact() {
        assert_eq!(agents_for_occupancy(8.0, 0.8).unwrap(), 10.0);
        assert!(agents_for_occupancy(10.0, 1e-200).is_err());
        let n = agents_for_service_level(8.0, 180.0, 20.0, 0.01, Some(0.8), false).unwrap();
        assert_eq!(n, 10.0);
    }

    #[test]
    fn blocking_search_is_minimal() {
        for &a in &[0.01, 1.0, 17.5, 400.0, 10_000.0] {
            for &target in &[0.5, 0.01, 1e-6] {
                let n = servers_for_blocking(a, target).unwrap();
                assert!(erlang_b(a, n).unwrap() <= target, "A={a} t={target} n={n}");
                if n >= 1.0 {
                    assert!(erlang_b(a, n - 1.0).unwrap() > target, "A={a} t={target}");
                }
            }
        }
    }

    #[test]
    fn fractional_lies_below_integer() {
        let n = agents_for_service_level(10.0, 180.0, 20.0, 0.8, None, false).unwrap();
        let x = agents_for_service_level(10.0, 180.0, 20.0, 0.8, None, true).unwrap();
        assert!(x > n - 1.0 && x <= n, "{x} {n}");
    }
}
