//! Erlang A: the M/M/n+M queue (Poisson arrivals, exponential service, exponential patience).
//!
//! Exact, with no truncation of the state space and no underflow. The stationary
//! distribution is a birth-death chain: below `n` the weights are Erlang B's (their sum
//! relative to state `n` is `1/B(n, A)`); above it, `t_j = Π_{i=1..j} λ / (nμ + iθ)`.
//! The tail is summed term by term from `j = 0` until the remainder is provably below
//! double precision, carrying a running scale so that neither a huge peak (overload with
//! long patience) nor tiny early terms leave the double range.
//!
//! A call that arrives with `j` calls ahead of it waits an offered time `V` made of `j+1`
//! exponential stages of rates `nμ + iθ`; its own patience `τ ~ Exp(θ)` is independent.
//! Writing `β = nμ/θ`, `e^{-θV}` is Beta(β, j+1) distributed, which gives, with `x = e^{-θt}`:
//! - P(served | j) = β / (β + j + 1)
//! - E[V · 1{served} | j] = β/(β+j+1) · Σ_{i=1..j+1} 1/(θ(β+i))
//! - P(served within t | j) = β/(β+j+1) · (1 - I_x(β+1, j+1))
//! - P(wait ended, served or abandoned, by t | j) = 1 - x · I_x(β, j+1)
//!
//! where `I_x(a, j+1) = Σ_{k<=j} Γ(a+k)/(Γ(a) k!) x^a (1-x)^k` is accumulated along `j`.
//! The term `x^a = e^{-nμt}` is carried in log form: it underflows as soon as `nμt > 745`,
//! which is exactly where naive implementations go wrong.

use super::blocking::erlang_b_parts;
use super::error::{check, ErlangError};
use super::special::scaled_exp_integral_e1;

/// How "answered within target" is turned into a service level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ServiceLevelDefinition {
    /// answered within target / offered
    #[default]
    Offered,
    /// answered within target / answered
    Answered,
    /// answered within target / (offered - abandoned before target)
    OfferedMinusEarlyAbandons,
}

/// Steady-state measures of an M/M/n+M queue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErlangA {
    /// probability that an arriving call waits (all agents busy)
    pub p_wait: f64,
    /// probability that a call abandons
    pub p_abandon: f64,
    /// mean wait of answered calls; with zero agents, its limit as agents fall to zero
    pub asa: f64,
    /// mean wait over all calls (answered or abandoned)
    pub mean_wait: f64,
    /// fraction of agent time busy
    pub occupancy: f64,
    /// mean number of calls waiting
    pub queue_length: f64,
    /// service level under the requested definition, when a target was given
    pub service_level: Option<f64>,
}

/// Above this many tail states the exact sum would take seconds: refuse rather than hang.
const MAX_TAIL_STATES: u64 = 20_000_000;
const RESCALE_AT: f64 = 1e250;
const RESCALE_BY: f64 = 1e-250;
const LN_RESCALE: f64 = 575.646_273_248_511_4; // 250 ln 10

/// Erlang A measures for `traffic` Erlangs, `agents` (real >= 0), handle time `aht` and
/// mean patience `patience`; with `target`, the service level under `definition`.
pub fn erlang_a(
    traffic: f64,
    agents: f64,
    aht: f64,
    patience: f64,
    target: Option<f64>,
    definition: ServiceLevelDefinition,
) -> Result<ErlangA, ErlangError> {
    check::traffic(traffic)?;
    check::servers("agents", agents)?;
    check::positive("aht", aht)?;
    check::positive("patience", patience)?;
    if let Some(t) = target {
        check::non_negative("target", t)?;
    }
    if traffic == 0.0 {
        return Ok(ErlangA {
            p_wait: 0.0,
            p_abandon: 0.0,
            asa: 0.0,
            mean_wait: 0.0,
            occupancy: 0.0,
            queue_length: 0.0,
            service_level: target.map(|_| 1.0),
        });
    }
    // Rates in units of θ: state n+j leaves the queue at rate θ(β + j).
    let beta = agents * patience / aht; // nμ/θ
    let load = traffic * patience / aht; // λ/θ
    if !(beta.is_finite() && load.is_finite()) {
        return Err(ErlangError::Usage(format!(
            "patience / aht = {:e} is out of range for {agents} agents and {traffic} Erlangs",
            patience / aht
        )));
    }
    let mut tail = Tail::sum(beta, load, target.map(|t| t / patience))?;

    // Weight of the states below n relative to state n: 1/B - 1 = (1-B)/B, in tail scale.
    // Normalise by the larger side so that neither overflows (B underflows when n >> A).
    let blocking = erlang_b_parts(traffic, agents);
    let ln_low = blocking.one_minus_b.ln() - blocking.b.ln() - tail.ln_scale;
    let low = if ln_low > 0.0 {
        tail.scale_by((-ln_low).exp());
        1.0
    } else {
        ln_low.exp()
    };
    let total = low + tail.mass;
    let served = low + beta * tail.served_rel;
    let within = low + beta * tail.served_within_rel;
    let p_abandon = tail.abandoned / total;
    // Ratios over answered calls. At zero agents nobody is answered and they are 0/0: report
    // their limit as agents fall to 0 along the continuous extension, where the states below
    // n weigh (1/B - 1) ≈ n e^A E_1(A), i.e. β · e^A E_1(A) · aht / patience.
    let (answered_mass, served_wait, served_within) = if agents == 0.0 {
        let low_per_beta =
            scaled_exp_integral_e1(traffic) * aht / patience * (-tail.ln_scale).exp();
        (
            low_per_beta + tail.served_rel,
            tail.served_wait_rel,
            low_per_beta + tail.served_within_rel,
        )
    } else {
        (served, beta * tail.served_wait_rel, within)
    };
    let service_level = target.map(|_| {
        let level = match definition {
            ServiceLevelDefinition::Offered => within / total,
            ServiceLevelDefinition::Answered => served_within / answered_mass,
            ServiceLevelDefinition::OfferedMinusEarlyAbandons => {
                let served_within = beta * tail.served_within_rel;
                let early_abandons = (tail.ended_within - served_within).max(0.0);
                within / (total - early_abandons)
            }
        };
        level.min(1.0)
    });
    Ok(ErlangA {
        p_wait: tail.mass / total,
        p_abandon,
        asa: served_wait / answered_mass * patience,
        // P(abandon) = θ E[W] for exponential patience.
        mean_wait: p_abandon * patience,
        occupancy: if agents > 0.0 {
            traffic * (served / total) / agents
        } else {
            traffic * patience / aht * answered_mass / total
        }
        .min(1.0),
        queue_length: tail.queued / total,
        service_level,
    })
}

/// Sums over the states at and above `n`, all relative to state `n` times `e^{ln_scale}`.
#[derive(Debug, Default)]
struct Tail {
    ln_scale: f64,
    /// Σ t_j
    mass: f64,
    /// Σ j t_j
    queued: f64,
    /// Σ t_j P(served | j) / β
    served_rel: f64,
    /// Σ t_j P(abandon | j)
    abandoned: f64,
    /// Σ t_j E[V 1{served} | j] θ / β
    served_wait_rel: f64,
    /// Σ t_j P(served within t | j) / β
    served_within_rel: f64,
    /// Σ t_j P(served or abandoned within t | j)
    ended_within: f64,
}

/// Running `I_x(a, j+1)` with its terms in scaled form: term = `scaled · factor`.
struct BetaCdf {
    a: f64,
    one_minus_x: f64,
    scaled: f64,
    ln_factor: f64,
    factor: f64,
    cdf: f64,
    /// the last term added, `P(K = j)` for the negative binomial `K` behind `I_x(a, ·)`
    term: f64,
}

impl BetaCdf {
    fn new(a: f64, theta_t: f64) -> Self {
        // First term x^a = e^{-a θ t}, kept as 1 · e^{-aθt}.
        let ln_factor = -a * theta_t;
        let factor = ln_factor.exp();
        Self {
            a,
            one_minus_x: -(-theta_t).exp_m1(),
            scaled: 1.0,
            ln_factor,
            factor,
            cdf: factor.min(1.0),
            term: factor,
        }
    }

    /// Move from `I_x(a, j)` to `I_x(a, j+1)`.
    #[inline]
    fn advance(&mut self, j: f64) {
        self.scaled *= (self.a + j - 1.0) / j * self.one_minus_x;
        if self.scaled > RESCALE_AT {
            self.scaled *= RESCALE_BY;
            self.ln_factor += LN_RESCALE;
            self.factor = self.ln_factor.exp();
        }
        self.term = self.scaled * self.factor;
        self.cdf = (self.cdf + self.term).min(1.0);
    }

    /// `1 - I_x(a, j+1)` beyond the last term: the negative-binomial tail `Σ_{k>j} P(K = k)`,
    /// summed onward (only used past the median, where the terms soon fall).
    fn upper_tail(mut self, j: f64) -> f64 {
        let mut sum = 0.0;
        let mut k = j + 1.0;
        loop {
            self.advance(k);
            sum += self.term;
            let ratio = (self.a + k) / (k + 1.0) * self.one_minus_x;
            if ratio < 1.0 && self.term * ratio / (1.0 - ratio) <= 1e-18 * sum {
                return sum;
            }
            if self.term == 0.0 && ratio < 1.0 {
                return sum;
            }
            k += 1.0;
        }
    }
}

/// One tail state's share of the "served within target" sum, kept until the upper tails
/// `1 - I_x(β+1, j+1)` can be summed backward (exact even where they are tiny).
struct WithinRow {
    weight: f64,
    ln_scale: f64,
    cdf: f64,
    term: f64,
}

/// `Σ_j t_j P(served | j) / β · (1 - I_x(β+1, j+1))` in the final scale. Where `I` is below ½ the
/// complement is exact as it stands; above, it is the upper tail, summed from the far end.
fn served_within(rows: &[WithinRow], c1: BetaCdf, last_j: f64, ln_scale: f64) -> f64 {
    let mut upper = match rows.last() {
        Some(r) if r.cdf > 0.5 => c1.upper_tail(last_j),
        _ => 0.0,
    };
    let mut sum = 0.0;
    for r in rows.iter().rev() {
        let complement = if r.cdf > 0.5 { upper } else { 1.0 - r.cdf };
        sum += r.weight * (r.ln_scale - ln_scale).exp() * complement;
        upper += r.term;
    }
    sum
}

impl Tail {
    fn sum(beta: f64, load: f64, theta_t: Option<f64>) -> Result<Self, ErlangError> {
        let mut s = Tail::default();
        // Beta CDFs for the within-target measures: I_x(β, j+1) and I_x(β+1, j+1).
        let mut cdfs = theta_t.map(|tt| (BetaCdf::new(beta, tt), BetaCdf::new(beta + 1.0, tt)));
        let mut rows: Vec<WithinRow> = Vec::new();
        let x = theta_t.map_or(1.0, |tt| (-tt).exp());
        let one_minus_x = theta_t.map_or(0.0, |tt| -(-tt).exp_m1());
        let mut t = 1.0; // t_j in scale
        let mut harmonic = 0.0; // Σ_{i=1..j+1} 1/(β+i)
        let mut j: u64 = 0;
        loop {
            let jf = j as f64;
            let next_rate = beta + jf + 1.0;
            let served_rel = 1.0 / next_rate; // P(served | j) / β
            harmonic += 1.0 / next_rate;
            s.mass += t;
            s.queued += jf * t;
            s.served_rel += t * served_rel;
            s.abandoned += t * ((jf + 1.0) / next_rate);
            s.served_wait_rel += t * served_rel * harmonic;
            if let Some((c0, c1)) = cdfs.as_mut() {
                if j > 0 {
                    c0.advance(jf);
                    c1.advance(jf);
                }
                rows.push(WithinRow {
                    weight: t * served_rel,
                    ln_scale: s.ln_scale,
                    cdf: c1.cdf,
                    term: c1.term,
                });
                s.ended_within += t * (one_minus_x + x * (1.0 - c0.cdf));
            }
            // Next term, and a stop once the rest cannot matter: past the mode the ratios
            // fall, so the remainder is below a geometric series with the current ratio.
            let ratio = load / next_rate;
            if ratio < 1.0 {
                let geometric = ratio / (1.0 - ratio);
                let bound = t * geometric * (jf + 2.0 + 1.0 / (1.0 - ratio)) * (1.0 + harmonic);
                if bound <= 1e-18 * (s.mass + s.queued + beta * s.served_wait_rel) {
                    break;
                }
            }
            t *= ratio;
            if t > RESCALE_AT {
                t *= RESCALE_BY;
                s.rescale();
            }
            j += 1;
            if j > MAX_TAIL_STATES {
                return Err(ErlangError::Unreachable(format!(
                    "Erlang A needs more than {MAX_TAIL_STATES} queue states here \
                     (arrival rate x patience = {load:.3e}); shorten patience or add agents"
                )));
            }
        }
        if let Some((_, c1)) = cdfs {
            s.served_within_rel = served_within(&rows, c1, j as f64, s.ln_scale);
        }
        Ok(s)
    }

    fn rescale(&mut self) {
        self.ln_scale += LN_RESCALE;
        self.scale_by(RESCALE_BY);
    }

    fn scale_by(&mut self, k: f64) {
        for v in [
            &mut self.mass,
            &mut self.queued,
            &mut self.served_rel,
            &mut self.abandoned,
            &mut self.served_wait_rel,
            &mut self.served_within_rel,
            &mut self.ended_within,
        ] {
            *v *= k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    /// With patience equal to the handle time, the number in system is Poisson(A).
    #[test]
    fn patience_equal_to_aht_gives_poisson() {
        for &(a, n) in &[(5.0, 3.0), (10.0, 14.0), (300.0, 290.0), (1000.0, 1030.0)] {
            let r = erlang_a(a, n, 180.0, 180.0, None, ServiceLevelDefinition::Offered).unwrap();
            // P(X >= n) and E[(X - n)+] for X ~ Poisson(A), by direct summation.
            let mut tail = 0.0;
            let mut excess = 0.0;
            let mut ln_p = -a;
            for k in 0..((a + 40.0 * a.sqrt() + 50.0) as u32) {
                if k > 0 {
                    ln_p += (a / k as f64).ln();
                }
                let p = ln_p.exp();
                if k as f64 >= n {
                    tail += p;
                    excess += (k as f64 - n) * p;
                }
            }
            assert!(
                rel(r.p_wait, tail) < 1e-9,
                "A={a} n={n}: {} vs {tail}",
                r.p_wait
            );
            assert!(rel(r.queue_length, excess) < 1e-9, "A={a} n={n}");
        }
    }

    #[test]
    fn little_and_consistency() {
        let (a, n, h, pat) = (95.0, 100.0, 240.0, 120.0);
        let r = erlang_a(a, n, h, pat, Some(20.0), ServiceLevelDefinition::Offered).unwrap();
        let lambda = a / h;
        assert!(rel(r.mean_wait, r.queue_length / lambda) < 1e-12);
        assert!(r.service_level.unwrap() > 0.0 && r.service_level.unwrap() < 1.0);
        assert!(r.p_abandon < r.p_wait);
    }

    #[test]
    fn target_zero_counts_only_immediate_answers() {
        let r = erlang_a(
            50.0,
            52.0,
            100.0,
            300.0,
            Some(0.0),
            ServiceLevelDefinition::Offered,
        )
        .unwrap();
        assert!(rel(r.service_level.unwrap(), 1.0 - r.p_wait) < 1e-12);
    }

    #[test]
    fn huge_service_rate_times_target_does_not_underflow() {
        // n μ t = 1000 * 60 / 60 = 1000 > 745.
        let r = erlang_a(
            990.0,
            1000.0,
            60.0,
            300.0,
            Some(60.0),
            ServiceLevelDefinition::Offered,
        )
        .unwrap();
        let sl = r.service_level.unwrap();
        assert!(sl > 0.99 && sl <= 1.0, "{sl}");
    }
}
