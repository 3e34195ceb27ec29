//! The blending threshold: how many idle agents of a blended group to keep for inbound.
//!
//! The policy (the issue's): with `s` agents, inbound traffic `A` Erlangs and threshold `t`,
//! outbound calls are started only while more than `t` agents are idle: a completion that
//! would leave more than `t` idle is replaced by an outbound call. With equal service rates the
//! number of busy agents plus waiting inbound calls is a birth-death chain on `k >= s - t`:
//! births at the inbound rate, deaths at `min(k, s) μ`, reflected at `s - t` (the outbound
//! call that replaces a completion there). Its stationary law is the M/M/s law restricted to
//! `k >= s - t`, so (arrivals see time averages) an inbound call waits with probability
//!
//! ```text
//! C_t = P(k >= s) / P(k >= s - t) = 1 / (1 + (s - A)/s · Σ_{j=s-t}^{s-1} π_j/π_s)
//! ```
//!
//! with `π_j/π_s = Π_{i=j+1}^{s} i/A` (M/M/s probabilities; `P(k >= s) = π_s s/(s - A)`),
//! summed as positive terms. At `t = s` this is the Erlang C `C(s, A)`, taken from the
//! crate's [`erlang_c`] (exact at any size, where the sum would saturate). A waiting call
//! waits as in M/M/s, so the service level is
//! `1 - C_t · exp(-(s - A) T / aht)`. `t = s` is plain Erlang C (no outbound), `t = 0`
//! makes every inbound call wait. The automatic threshold is the smallest `t` whose service
//! level meets the target; when even `t = s` does not (or the inbound load alone is unstable,
//! `A >= s`), it is `s`: no outbound at all.

use crate::erlang::erlang_c;

use super::config::Blending;
use super::error::{invalid, DialerError};
use super::types::InboundLoad;

fn check_load(load: &InboundLoad) -> Result<(), DialerError> {
    let bad = |field: &str, v: f64, domain: &str| {
        Err(invalid(format!(
            "inbound load: {field} must be {domain}, got {v}"
        )))
    };
    if !(load.traffic.is_finite() && load.traffic >= 0.0) {
        return bad("traffic", load.traffic, "finite and >= 0");
    }
    if !(load.aht.is_finite() && load.aht > 0.0) {
        return bad("aht", load.aht, "finite and > 0");
    }
    if !(load.answer_within.is_finite() && load.answer_within >= 0.0) {
        return bad("answer_within", load.answer_within, "finite and >= 0");
    }
    if !(load.target.is_finite() && load.target > 0.0 && load.target < 1.0) {
        return bad("target", load.target, "in (0, 1)");
    }
    Ok(())
}

/// The inbound service level of a blended group of `agents` keeping `threshold` idle for
/// inbound (see the module doc). `threshold` above `agents` counts as `agents`.
pub fn blended_service_level(
    agents: u32,
    threshold: u32,
    load: &InboundLoad,
) -> Result<f64, DialerError> {
    check_load(load)?;
    let s = f64::from(agents);
    let a = load.traffic;
    if a == 0.0 {
        return Ok(1.0);
    }
    if a >= s {
        return Ok(0.0);
    }
    let t = threshold.min(agents);
    let c_t = if t == agents {
        erlang_c(a, s).map_err(|e| invalid(format!("inbound load: {e}")))?
    } else {
        1.0 / wait_ratio(agents, t, a)
    };
    let x = (s - a) * load.answer_within / load.aht;
    Ok((1.0 - c_t * (-x).exp()).clamp(0.0, 1.0))
}

/// `P(k >= s - t) / P(k >= s)` in the M/M/s chain: `1 + (s - A)/s · Σ_{j=s-t}^{s-1} π_j/π_s`
/// (saturating near the top of the double range, where `C_t` is 0 to double precision).
fn wait_ratio(agents: u32, t: u32, a: f64) -> f64 {
    let s = f64::from(agents);
    let mut r = 1.0; // π_j/π_s at j = s
    let mut sum = 0.0;
    for j in (agents - t..agents).rev() {
        r *= f64::from(j + 1) / a;
        sum += r;
        if sum > 1e300 {
            break;
        }
    }
    1.0 + (s - a) / s * sum
}

/// The threshold to keep: `Fixed(k)` gives `min(k, agents)`; `Auto` the smallest `t` in
/// `0..=agents` with [`blended_service_level`] `>= target` (`agents` if none), and needs
/// `inbound`.
pub fn blending_threshold(
    blending: Blending,
    agents: u32,
    inbound: Option<&InboundLoad>,
) -> Result<u32, DialerError> {
    match blending {
        Blending::Fixed(k) => Ok(k.min(agents)),
        Blending::Auto => {
            let load = inbound.ok_or_else(|| {
                invalid("blending Auto needs the inbound load (traffic, aht, target)".into())
            })?;
            check_load(load)?;
            let s = f64::from(agents);
            let a = load.traffic;
            if a == 0.0 {
                return Ok(0);
            }
            if a >= s {
                return Ok(agents);
            }
            let c = erlang_c(a, s).map_err(|e| invalid(format!("inbound load: {e}")))?;
            let decay = (-(s - a) * load.answer_within / load.aht).exp();
            // C_t falls as t grows: walk t up, extending the sum one term at a time
            let mut r = 1.0;
            let mut sum = 0.0;
            for t in 0..=agents {
                if t > 0 {
                    let j = agents - t; // the term π_j/π_s joins
                    r *= f64::from(j + 1) / a;
                    sum = (sum + r).min(1e300);
                }
                let c_t = if t == agents {
                    c
                } else {
                    1.0 / (1.0 + (s - a) / s * sum)
                };
                if 1.0 - c_t * decay >= load.target {
                    return Ok(t);
                }
            }
            Ok(agents)
        }
    }
}
