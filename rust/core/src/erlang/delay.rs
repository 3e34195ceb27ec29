//! Erlang C (M/M/n delay system) and the service measures derived from it.
//!
//! Unstable load (`agents <= traffic`) is explicit: every call waits (C = 1), the queue and
//! the wait grow without bound (infinite ASA and queue length), service level is 0. No traffic
//! at all is stable whatever the staffing (even none): nobody waits.

use super::blocking::{erlang_b_parts, Blocking};
use super::error::{check, ErlangError};

/// P(wait) and its complement, from Erlang B parts, for a stable system (n > A).
///
/// `C = n B / (n - A + A B)` and `1 - C = (n - A)(1 - B) / (n - A + A B)`: both are ratios of
/// positive terms, so neither loses precision.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Delay {
    pub c: f64,
    pub one_minus_c: f64,
}

#[inline]
pub(crate) fn delay_from_blocking(traffic: f64, agents: f64, blocking: Blocking) -> Delay {
    let excess = agents - traffic;
    let den = excess + traffic * blocking.b;
    Delay {
        c: agents * blocking.b / den,
        one_minus_c: excess * blocking.one_minus_b / den,
    }
}

/// P(wait), or `None` when the load is unstable.
#[inline]
pub(crate) fn delay(traffic: f64, agents: f64) -> Option<Delay> {
    if traffic == 0.0 {
        // No calls: nobody waits, whatever the staffing (even none).
        return Some(Delay {
            c: 0.0,
            one_minus_c: 1.0,
        });
    }
    if agents <= traffic {
        None
    } else {
        Some(delay_from_blocking(
            traffic,
            agents,
            erlang_b_parts(traffic, agents),
        ))
    }
}

/// Fraction of calls answered within `target`: `1 - C e^{-(n-A) target/aht}`, written as
/// `(1 - C) - C·expm1(-x)` so that neither a small `1 - C` nor a small `x` loses digits.
#[inline]
pub(crate) fn service_level_from(
    d: Delay,
    traffic: f64,
    agents: f64,
    aht: f64,
    target: f64,
) -> f64 {
    let x = (agents - traffic) * target / aht;
    // The two terms are each exact to an ulp; their sum may round a hair above 1.
    (d.one_minus_c - d.c * (-x).exp_m1()).min(1.0)
}

/// `C · scale / (n - A)`, which is 0 (not 0/0) when nobody waits.
#[inline]
fn mean_over_excess(c: f64, scale: f64, excess: f64) -> f64 {
    if c == 0.0 {
        0.0
    } else {
        c * scale / excess
    }
}

fn check_pair(traffic: f64, agents: f64) -> Result<(), ErlangError> {
    check::traffic(traffic)?;
    check::servers("agents", agents)
}

/// Erlang C: probability that a call waits (1 when `agents <= traffic`, unless there is no
/// traffic at all: then 0).
pub fn erlang_c(traffic: f64, agents: f64) -> Result<f64, ErlangError> {
    check_pair(traffic, agents)?;
    Ok(delay(traffic, agents).map_or(1.0, |d| d.c))
}

/// Fraction of all calls answered within `target` (0 when unstable).
pub fn service_level(traffic: f64, agents: f64, aht: f64, target: f64) -> Result<f64, ErlangError> {
    check_pair(traffic, agents)?;
    check::positive("aht", aht)?;
    check::non_negative("target", target)?;
    Ok(delay(traffic, agents).map_or(0.0, |d| service_level_from(d, traffic, agents, aht, target)))
}

/// Average speed of answer over all calls: `C · aht / (n - A)` (infinite when unstable).
pub fn asa(traffic: f64, agents: f64, aht: f64) -> Result<f64, ErlangError> {
    check_pair(traffic, agents)?;
    check::positive("aht", aht)?;
    Ok(delay(traffic, agents).map_or(f64::INFINITY, |d| {
        mean_over_excess(d.c, aht, agents - traffic)
    }))
}

/// Agent occupancy `A / n`, capped at 1 (every agent busy when unstable).
pub fn occupancy(traffic: f64, agents: f64) -> Result<f64, ErlangError> {
    check_pair(traffic, agents)?;
    if agents <= traffic {
        // n == 0 with A == 0 is an idle system of no agents: nobody is busy.
        return Ok(if agents == 0.0 && traffic == 0.0 {
            0.0
        } else {
            1.0
        });
    }
    Ok(traffic / agents)
}

/// Mean number of calls waiting: `C · A / (n - A)` (infinite when unstable).
pub fn queue_length(traffic: f64, agents: f64) -> Result<f64, ErlangError> {
    check_pair(traffic, agents)?;
    Ok(delay(traffic, agents).map_or(f64::INFINITY, |d| {
        mean_over_excess(d.c, traffic, agents - traffic)
    }))
}

/// The `q`-quantile of the wait over all calls (0 when at least a fraction `q` never waits).
///
/// `P(W > t) = C e^{-(n-A) t / aht}`, so `t_q = aht / (n - A) · ln(C / (1 - q))`.
pub fn wait_quantile(traffic: f64, agents: f64, aht: f64, q: f64) -> Result<f64, ErlangError> {
    check_pair(traffic, agents)?;
    check::positive("aht", aht)?;
    check::open_unit_interval("q", q)?;
    let Some(d) = delay(traffic, agents) else {
        return Ok(f64::INFINITY);
    };
    if d.one_minus_c >= q {
        return Ok(0.0);
    }
    Ok(aht / (agents - traffic) * (d.c / (1.0 - q)).ln())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_points() {
        // 100 calls / 30 min, AHT 180 s -> 10 Erlangs; 14 agents.
        let c = erlang_c(10.0, 14.0).unwrap();
        assert!((c - 0.174_131_9).abs() < 5e-8, "{c}");
        let sl = service_level(10.0, 14.0, 180.0, 20.0).unwrap();
        assert!((sl - 0.888_35).abs() < 5e-6, "{sl}");
        // Tijms: n = 100, rho = 0.95
        let c = erlang_c(95.0, 100.0).unwrap();
        assert!((c - 0.5065).abs() < 5e-5, "{c}");
    }

    #[test]
    fn unstable_is_explicit() {
        assert_eq!(erlang_c(10.0, 10.0).unwrap(), 1.0);
        assert_eq!(service_level(10.0, 9.0, 180.0, 20.0).unwrap(), 0.0);
        assert_eq!(asa(10.0, 3.0, 180.0).unwrap(), f64::INFINITY);
        assert_eq!(occupancy(10.0, 3.0).unwrap(), 1.0);
    }

    #[test]
    fn no_traffic_means_no_wait_even_without_agents() {
        assert_eq!(erlang_c(0.0, 0.0).unwrap(), 0.0);
        assert_eq!(service_level(0.0, 0.0, 180.0, 20.0).unwrap(), 1.0);
        assert_eq!(asa(0.0, 0.0, 180.0).unwrap(), 0.0);
        assert_eq!(queue_length(0.0, 0.0).unwrap(), 0.0);
        assert_eq!(wait_quantile(0.0, 0.0, 180.0, 0.9).unwrap(), 0.0);
    }

    #[test]
    fn quantile_inverts_the_tail() {
        let (a, n, h) = (40.0, 45.0, 200.0);
        let c = erlang_c(a, n).unwrap();
        for q in [0.5, 0.8, 0.95, 0.999] {
            let t = wait_quantile(a, n, h, q).unwrap();
            if t > 0.0 {
                let tail = c * (-(n - a) * t / h).exp();
                assert!((tail - (1.0 - q)).abs() < 1e-13);
            }
        }
    }
}
