//! The simulator against queueing theory: M/M/n against Erlang C and M/M/n+M against
//! Erlang A, each within a 99 % confidence interval over independent replications; a pooled
//! multi-skill center against the single queue it must equal; conservation everywhere.

mod common;
mod stats;
use common::group;
use stats::ci;

use callroute_core::acd::QueueConfig;
use callroute_core::erlang::{self, ServiceLevelDefinition};
use callroute_core::sim::{run, run_replications, Arrivals, CallType, Dist, Model, Replication};

fn call(name: &str, queue: &str, aht: f64, patience: Dist) -> CallType {
    common::call(name, queue, Dist::Exponential { mean: aht }, patience)
}

fn mmn(rate: f64, aht: f64, agents: u32, patience: Dist, horizon: f64, threshold: f64) -> Model {
    let mut q = QueueConfig::new("q", "default");
    q.sl_threshold = threshold;
    q.offer_timeout = 60.0;
    q.max_no_answer = 0;
    Model {
        queues: vec![q],
        groups: vec![group("g", agents)],
        calls: vec![call("c", "q", aht, patience)],
        arrivals: Some(Arrivals::Poisson { rate }),
        daily_multiplier: None,
        busyness: Default::default(),
        periods: None,
        start: 0.0,
        horizon,
        warmup: horizon * 0.05,
        max_calls: None,
        interval: horizon,
        record_calls: true,
        drain: 86_400.0,
        max_in_system: 1_000_000,
    }
}

fn conserved(r: &Replication) {
    let records = r.calls.as_ref().expect("records");
    assert_eq!(records.arrival.len() as u64, r.arrivals);
    assert_eq!(r.unfinished, 0, "every call finishes");
    for line in 0..r.lines.len() {
        let t = r.line_total(line);
        assert_eq!(
            t.offered,
            t.answered + t.abandoned + t.exited,
            "line {line}"
        );
    }
}

/// Per-replication P(wait), ASA, SL and P(abandon) from the call records.
fn measures(r: &Replication, warmup: f64, threshold: f64) -> [f64; 4] {
    let c = r.calls.as_ref().expect("records");
    let (mut n, mut waited, mut wait_answered, mut answered, mut within, mut abandoned) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for i in 0..c.arrival.len() {
        if c.arrival[i] < warmup {
            continue;
        }
        n += 1.0;
        if c.wait[i] > 0.0 {
            waited += 1.0;
        }
        match c.outcome[i] {
            0 => {
                answered += 1.0;
                wait_answered += c.wait[i];
                if c.wait[i] <= threshold {
                    within += 1.0;
                }
            }
            1 => abandoned += 1.0,
            o => panic!("unexpected outcome {o}"),
        }
    }
    [
        waited / n,
        wait_answered / answered,
        within / n,
        abandoned / n,
    ]
}

fn check(name: &str, values: &[f64], truth: f64) {
    let (m, half) = ci(values);
    assert!(
        (m - truth).abs() <= half,
        "{name}: simulated {m:.5} ± {half:.5} (99 %) misses the exact {truth:.5}"
    );
}

#[test]
fn mm_n_matches_erlang_c() {
    // (calls per second, aht, agents, run length in handle times, warm-up share): light,
    // moderate and large, near saturation. Near saturation the queue relaxes slowly (in about
    // 1 / (1 - sqrt(rho))^2 = 1,560 handle times at rho = 0.95) and the replications' mean
    // waits are right-skewed, so that case runs longer with a quarter of it as warm-up: over
    // 100 seeds its 99 % interval then missed 2 times (8 at a quarter of the length and a
    // 5 % warm-up, all misses low: initial bias plus skew).
    for &(rate, aht, n, length, warmup) in &[
        (4.0 / 60.0, 60.0, 6, 20_000.0, 0.05),
        (44.0 / 180.0, 180.0, 50, 4_000.0, 0.05),
        (0.95, 1.0, 1, 80_000.0, 0.25),
    ] {
        let a = rate * aht;
        let horizon = length * aht;
        let mut model = mmn(rate, aht, n, Dist::Never, horizon, aht / 9.0);
        model.warmup = horizon * warmup;
        let reps = run_replications(&model, 11, 10, 2).unwrap();
        let rows: Vec<[f64; 4]> = reps
            .iter()
            .map(|r| {
                conserved(r);
                measures(r, model.warmup, aht / 9.0)
            })
            .collect();
        let col = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<_>>();
        let nf = f64::from(n);
        let what = format!("M/M/{n} at {a:.2} Erlangs");
        check(
            &format!("{what} P(wait)"),
            &col(0),
            erlang::erlang_c(a, nf).unwrap(),
        );
        check(
            &format!("{what} ASA"),
            &col(1),
            erlang::asa(a, nf, aht).unwrap(),
        );
        check(
            &format!("{what} SL"),
            &col(2),
            erlang::service_level(a, nf, aht, aht / 9.0).unwrap(),
        );
    }
}

#[test]
fn mm_n_m_matches_erlang_a() {
    // M/M/50+M with lambda = 48, mu = 1, mean patience 2 (overloaded would be fine too)
    for &(rate, n, patience) in &[(48.0, 50u32, 2.0), (9.0, 8, 0.5), (120.0, 100, 5.0)] {
        let model = mmn(
            rate,
            1.0,
            n,
            Dist::Exponential { mean: patience },
            4000.0,
            0.1,
        );
        let reps = run_replications(&model, 7, 10, 2).unwrap();
        let rows: Vec<[f64; 4]> = reps
            .iter()
            .map(|r| {
                conserved(r);
                measures(r, model.warmup, 0.1)
            })
            .collect();
        let col = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<_>>();
        let exact = erlang::erlang_a(
            rate,
            f64::from(n),
            1.0,
            patience,
            Some(0.1),
            ServiceLevelDefinition::Offered,
        )
        .unwrap();
        let what = format!("M/M/{n}+M at {rate} Erlangs, patience {patience}");
        check(&format!("{what} P(wait)"), &col(0), exact.p_wait);
        check(&format!("{what} P(abandon)"), &col(3), exact.p_abandon);
        check(&format!("{what} ASA"), &col(1), exact.asa);
        let sl = exact.service_level.unwrap();
        if sl >= 0.01 {
            check(&format!("{what} SL"), &col(2), sl);
        } else {
            // Overloaded (120 Erlangs on 100 agents): a call is answered within 0.1 s only in
            // the rare moments the queue empties, and those come in bursts, so the count per
            // replication is heavy-tailed (over 20 seeds of this very case: 94 to 1,828 such
            // calls where 399 are expected, mean 507) and a 10-replication t-interval does
            // not cover it at 99 %. Only its order of magnitude is checked: within a factor
            // of 10 either way (a chosen tolerance, wide against the 0.24-4.6 spread of
            // single seeds above; a level of 0 or one near 1 % fails it).
            let (m, _) = ci(&col(2));
            assert!(
                m > sl / 10.0 && m < 10.0 * sl,
                "{what} SL: simulated {m:.6}, exact {sl:.6}"
            );
        }
    }
}

/// 36 Erlangs on 40 agents, patience 300 s, over 20,000 s: a small center that waits and
/// abandons now and then.
fn small_center() -> Model {
    mmn(
        0.2,
        180.0,
        40,
        Dist::Exponential { mean: 300.0 },
        20_000.0,
        20.0,
    )
}

#[test]
fn same_seed_same_result_and_replications_differ() {
    let model = small_center();
    let a = run(&model, 3, 0).unwrap();
    let b = run(&model, 3, 0).unwrap();
    assert_eq!(a, b);
    let c = run(&model, 3, 1).unwrap();
    assert_ne!(a.calls, c.calls);
    let par = run_replications(&model, 3, 3, 2).unwrap();
    assert_eq!(par[0], a);
    assert_eq!(par[1], c);
}

/// The offer path (an agent that rings, however briefly) and the auto-answer path (an agent
/// connected at once) route the same calls the same way: a ring of 0.1 µs rounds to nothing,
/// so only the path differs, and every call must meet the same agent at the same time.
#[test]
fn a_ring_that_rounds_to_nothing_routes_as_auto_answer() {
    let auto = small_center();
    let mut ringing = auto.clone();
    ringing.groups[0].ring = Dist::Deterministic { value: 1e-7 };
    let (a, r) = (run(&auto, 5, 0).unwrap(), run(&ringing, 5, 0).unwrap());
    conserved(&a);
    conserved(&r);
    assert!(a.calls.as_ref().unwrap().wait.iter().any(|&w| w > 0.0));
    assert_eq!(a.calls, r.calls);
    assert_eq!(a.counters, r.counters);
}

/// Auto-answer and ringing agents on one queue: an offer the ringing agent lets lapse goes
/// back to the queue and, in the same step, to a free auto-answer agent. Every call still
/// finishes, and the agents are all free at the end.
#[test]
fn a_lapsed_offer_taken_at_once_by_an_auto_answer_agent_finishes() {
    let mut model = small_center();
    model.queues[0].offer_timeout = 5.0;
    let mut ringing = group("ringing", 20);
    ringing.no_answer = 0.3;
    ringing.ring = Dist::Deterministic { value: 2.0 };
    model.groups = vec![group("auto", 20), ringing];
    for seed in 0..4 {
        let r = run(&model, seed, 0).unwrap();
        conserved(&r);
        let c = r.calls.as_ref().unwrap();
        // every answered call had a talk time counted: its end was not lost
        for i in 0..c.outcome.len() {
            if c.outcome[i] == 0 {
                assert!(c.handle[i] > 0.0, "call {i} answered but never ended");
            }
        }
    }
}
