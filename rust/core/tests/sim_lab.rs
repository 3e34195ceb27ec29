//! The routing lab's model additions (issue 15) against independent truth: balking counts
//! against the binomial law, per-type Poisson counts against their rates, shared and
//! independent busyness by the correlation they must (not) make, service and patience by
//! period of arrival against their means, handle time by level and by group, idle-first
//! logout on a hand-worked timeline, and the checks naming each new field.

mod common;
use common::group;

use callroute_core::acd::QueueConfig;
use callroute_core::sim::{
    run, run_replications, AgentGroup, Arrivals, Balking, Busyness, CallType, Dist, Model, Periods,
    Staffing,
};

fn call(name: &str, queue: &str, handle: Dist) -> CallType {
    common::call(name, queue, handle, Dist::Never)
}

fn queue(name: &str) -> QueueConfig {
    let mut q = QueueConfig::new(name, "default");
    q.offer_timeout = 60.0;
    q.max_no_answer = 0;
    q
}

fn model(groups: Vec<AgentGroup>, calls: Vec<CallType>, horizon: f64) -> Model {
    Model {
        queues: vec![queue("q")],
        groups,
        calls,
        arrivals: Some(Arrivals::Poisson { rate: 1.0 }),
        daily_multiplier: None,
        busyness: Busyness::Shared,
        periods: None,
        start: 0.0,
        horizon,
        warmup: 0.0,
        max_calls: None,
        interval: horizon,
        record_calls: true,
        drain: 86_400.0,
        max_in_system: 1_000_000,
    }
}

fn exp(mean: f64) -> Dist {
    Dist::Exponential { mean }
}

/// |x - mean| within `z` standard errors.
fn close(x: f64, mean: f64, sd: f64, z: f64, what: &str) {
    assert!(
        (x - mean).abs() <= z * sd,
        "{what}: {x} is not within {z} sd ({sd}) of {mean}"
    );
}

/// A caller who must wait balks with probability p: on a center whose one agent stays busy
/// with the first call, every later arrival must wait, so balked ~ Binomial(n, p).
#[test]
fn balking_with_a_probability_counts_p_of_those_who_must_wait() {
    let mut c = call("c", "q", Dist::Deterministic { value: 1e7 });
    c.balking = Some(Balking {
        probability: Some(0.3),
        by_expected_wait: None,
    });
    let mut m = model(vec![group("g", 1)], vec![c], 5_000.0);
    m.drain = 0.0;
    let r = run(&m, 7, 0).unwrap();
    let t = r.line_total(0);
    let n = (t.offered - 1) as f64; // (the first is answered at once)
    assert_eq!(t.answered, 1);
    assert_eq!(t.abandoned, t.balked, "a balked call is counted abandoned");
    assert_eq!(
        t.abandoned_within, t.balked,
        "with wait 0, within the threshold"
    );
    let sd = (n * 0.3 * 0.7).sqrt();
    close(t.balked as f64, 0.3 * n, sd, 4.0, "balked");
    // the rest are still waiting at the end
    assert_eq!(r.unfinished, t.offered - t.balked);
    let records = r.calls.unwrap();
    for (i, &o) in records.outcome.iter().enumerate() {
        if o == 1 {
            assert_eq!(records.wait[i], 0.0);
        }
    }
}

/// By expected wait: the engine announces position × AHT / staffed (the queue's configured
/// AHT before any call ends); with one busy agent and an AHT of 100 s, steps
/// [[550, 0], [1e9, 1]] keep the first five waiting callers (expected 100..500 s) and turn
/// every later one away.
#[test]
fn balking_by_expected_wait_follows_the_announced_wait() {
    let mut c = call("c", "q", Dist::Deterministic { value: 1e7 });
    c.balking = Some(Balking {
        probability: None,
        by_expected_wait: Some(vec![(550.0, 0.0), (1e9, 1.0)]),
    });
    let mut m = model(vec![group("g", 1)], vec![c], 2_000.0);
    m.queues[0].expected_aht = 100.0;
    m.drain = 0.0;
    let r = run(&m, 3, 0).unwrap();
    let t = r.line_total(0);
    assert!(t.offered > 100);
    assert_eq!(t.answered, 1);
    assert_eq!(t.balked, t.offered - 6);
    assert_eq!(r.unfinished, 6);
}

/// Per-type Poisson processes: each type's count over the horizon is Poisson with its rate
/// times the horizon; a type without its own process takes the model's (by share).
#[test]
fn per_type_poisson_rates_match_the_counts() {
    let mut a = call("a", "qa", exp(1.0));
    a.arrivals = Some(Arrivals::Poisson { rate: 0.2 });
    let mut b = call("b", "qb", exp(1.0));
    b.arrivals = Some(Arrivals::Piecewise {
        start: 0.0,
        interval: 10_000.0,
        rates: vec![0.05, 0.15],
    });
    let c = call("c", "qc", exp(1.0));
    let mut m = model(vec![group("g", 50)], vec![a, b, c], 20_000.0);
    m.queues = vec![queue("qa"), queue("qb"), queue("qc")];
    m.arrivals = Some(Arrivals::Poisson { rate: 0.1 });
    let r = run(&m, 11, 0).unwrap();
    for (line, expected) in [(0, 0.2 * 20_000.0), (1, 2_000.0), (2, 0.1 * 20_000.0)] {
        let n = r.line_total(line).offered as f64;
        close(n, expected, expected.sqrt(), 4.5, &format!("line {line}"));
    }
    // max_calls bounds the arrivals of every process together
    let mut capped = m.clone();
    capped.max_calls = Some(100);
    let r2 = run(&capped, 11, 0).unwrap();
    assert_eq!((0..3).map(|l| r2.line_total(l).offered).sum::<u64>(), 100);
    // the piecewise type: 500 then 1,500 in its two intervals
    let records = r.calls.unwrap();
    let late = (0..records.arrival.len())
        .filter(|&i| records.call_type[i] == 1 && records.arrival[i] >= 10_000.0)
        .count() as f64;
    close(
        late,
        1_500.0,
        1_500f64.sqrt(),
        4.5,
        "type b, second interval",
    );
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// One daily multiplier shared by the types makes their daily counts move together
/// (correlation near 1: the multiplier's variance dwarfs the Poisson noise); independent
/// ones leave them uncorrelated (|r| within 4 standard errors of 0 over 40 days).
#[test]
fn busyness_shared_or_independent() {
    for (busyness, shared) in [(Busyness::Shared, true), (Busyness::Independent, false)] {
        let mut calls = Vec::new();
        for name in ["a", "b"] {
            let mut c = call(name, name, Dist::Deterministic { value: 1.0 });
            c.arrivals = Some(Arrivals::Poisson { rate: 0.005 });
            calls.push(c);
        }
        let mut m = model(vec![group("g", 20)], calls, 86_400.0);
        m.queues = vec![queue("a"), queue("b")];
        m.arrivals = None;
        m.record_calls = false;
        m.busyness = busyness;
        m.daily_multiplier = Some(Dist::Gamma { mean: 1.0, cv: 0.5 });
        let reps = run_replications(&m, 5, 40, 2).unwrap();
        let a: Vec<f64> = reps
            .iter()
            .map(|r| r.line_total(0).offered as f64)
            .collect();
        let b: Vec<f64> = reps
            .iter()
            .map(|r| r.line_total(1).offered as f64)
            .collect();
        let rho = correlation(&a, &b);
        if shared {
            assert!(rho > 0.9, "shared busyness: correlation {rho}");
        } else {
            assert!(
                rho.abs() < 4.0 / 39f64.sqrt(),
                "independent: correlation {rho}"
            );
        }
    }
}

/// Service and patience by period of arrival: periods of 1,000 s from 500 s; arrivals
/// before 500 s take period 0's values, arrivals after the last period the last one's.
#[test]
fn period_dependent_service_and_patience_give_the_periods_means() {
    let mut c = call("c", "q", exp(1.0));
    c.handle_by_period = Some(vec![exp(10.0), exp(50.0)]);
    let mut m = model(vec![group("g", 200)], vec![c], 3_500.0);
    m.arrivals = Some(Arrivals::Poisson { rate: 1.0 });
    m.periods = Some(Periods {
        start: 500.0,
        length: 1_000.0,
    });
    let r = run(&m, 5, 0).unwrap();
    let records = r.calls.unwrap();
    let mean_of = |lo: f64, hi: f64| {
        let hs: Vec<f64> = (0..records.arrival.len())
            .filter(|&i| records.arrival[i] >= lo && records.arrival[i] < hi)
            .map(|i| records.handle[i])
            .collect();
        (hs.iter().sum::<f64>() / hs.len() as f64, hs.len() as f64)
    };
    for (lo, hi, mean) in [
        (0.0, 500.0, 10.0),
        (500.0, 1_500.0, 10.0),
        (1_500.0, 2_500.0, 50.0),
        (2_500.0, 3_500.0, 50.0),
    ] {
        let (m, n) = mean_of(lo, hi);
        close(
            m,
            mean,
            mean / n.sqrt(),
            4.5,
            &format!("handle in [{lo}, {hi})"),
        );
    }

    // patience: no agent, every caller abandons after its period's patience
    let mut c = call("c", "q", exp(1.0));
    c.patience_by_period = Some(vec![exp(20.0), exp(80.0)]);
    let mut m = model(vec![group("g", 0)], vec![c], 2_000.0);
    m.periods = Some(Periods {
        start: 0.0,
        length: 1_000.0,
    });
    let r = run(&m, 6, 0).unwrap();
    let records = r.calls.unwrap();
    for (lo, mean) in [(0.0, 20.0), (1_000.0, 80.0)] {
        let ws: Vec<f64> = (0..records.arrival.len())
            .filter(|&i| records.arrival[i] >= lo && records.arrival[i] < lo + 1_000.0)
            .map(|i| {
                assert_eq!(records.outcome[i], 1);
                records.wait[i]
            })
            .collect();
        let n = ws.len() as f64;
        close(
            ws.iter().sum::<f64>() / n,
            mean,
            mean / n.sqrt(),
            4.5,
            "patience",
        );
    }
}

/// Wrap-up by period: with one agent, calls of 10 s and a wrap-up of 90 s (period 0) then
/// 0 s (period 1), the agent's busy time is 100 s a call, then 10 s.
#[test]
fn wrapup_by_period_is_the_agents_after_call_work() {
    let mut c = call("c", "q", Dist::Deterministic { value: 10.0 });
    c.wrapup_by_period = Some(vec![
        Dist::Deterministic { value: 90.0 },
        Dist::Deterministic { value: 0.0 },
    ]);
    let mut m = model(vec![group("g", 1)], vec![c], 2_000.0);
    m.arrivals = Some(Arrivals::Trace {
        times: vec![0.0, 200.0, 1_200.0],
        types: None,
    });
    m.periods = Some(Periods {
        start: 0.0,
        length: 1_000.0,
    });
    m.interval = 1_000.0;
    let r = run(&m, 1, 0).unwrap();
    assert_eq!(r.busy[0][0], 200.0);
    assert_eq!(r.busy[0][1], 10.0);
}

/// Handle time by the agent's level: experts (level 9, ×0.5) and novices (level 1, ×1.0)
/// answer alike calls (exponential, mean 100 s); the calls experts answered average 50 s,
/// novices' 100 s. By group: a group with its own deterministic handle gives exactly it.
#[test]
fn handle_by_level_scales_the_mean_and_by_group_replaces_it() {
    let mut q = queue("q");
    q.skills = vec![("s".into(), 1)];
    let mut experts = group("experts", 30);
    experts.skills = vec![("s".into(), 9)];
    let mut novices = group("novices", 30);
    novices.skills = vec![("s".into(), 1)];
    let mut c = call("c", "q", exp(100.0));
    c.handle_by_level = Some(vec![(9, 0.5), (1, 1.0)]);
    let mut m = model(vec![experts, novices], vec![c], 20_000.0);
    m.queues = vec![q];
    m.arrivals = Some(Arrivals::Poisson { rate: 0.3 });
    let r = run(&m, 9, 0).unwrap();
    let records = r.calls.unwrap();
    for (expert, mean) in [(true, 50.0), (false, 100.0)] {
        let hs: Vec<f64> = (0..records.arrival.len())
            .filter(|&i| records.outcome[i] == 0 && (records.agent[i] < 30) == expert)
            .map(|i| records.handle[i])
            .collect();
        let n = hs.len() as f64;
        assert!(n > 500.0, "{n} calls");
        close(
            hs.iter().sum::<f64>() / n,
            mean,
            mean / n.sqrt(),
            4.5,
            "handle",
        );
    }

    let mut m = m.clone();
    m.calls[0].handle_by_level = None;
    m.calls[0].handle_by_group = Some(vec![("novices".into(), Dist::Deterministic { value: 7.0 })]);
    let r = run(&m, 9, 0).unwrap();
    let records = r.calls.unwrap();
    let novice: Vec<f64> = (0..records.arrival.len())
        .filter(|&i| records.outcome[i] == 0 && records.agent[i] >= 30)
        .map(|i| records.handle[i])
        .collect();
    assert!(!novice.is_empty());
    assert!(novice.iter().all(|&h| h == 7.0));
}

/// Idle-first logout, worked by hand. Four agents; calls at 0, 1 (10 s... 100 s talks) and
/// at 2, 3 (5,000 s talks) take one agent each; the count drops 4 → 2 at 1,000 s, 2 → 1 at
/// 2,000 s and rises 1 → 2 at 2,500 s; a fifth call arrives at 1,500 s.
/// - idle first: at 1,000 s the two idle agents leave, the two busy ones stay;
/// - at 2,000 s no one is idle: a busy agent is to leave when its call ends, and is not cut;
/// - at 2,500 s that pending logout is cancelled (no idle agent logs in instead).
///
/// So the fifth call waits for the first of the long calls to end, at 5,002 s: 3,502 s.
/// (Logging out by index would have kept two idle agents at 1,000 s: no wait; logging in an
/// idle agent at 2,500 s: a wait of 1,000 s.) The staffed time follows: 4 agents over
/// [0, 500), 2 over [1,000, 1,500).
#[test]
fn idle_first_logout_never_cuts_a_call_and_cancels_on_a_rise() {
    let mut g = group("g", 0);
    g.staffing = Staffing::Intervals {
        start: 0.0,
        interval: 500.0,
        counts: vec![4, 4, 2, 2, 1, 2],
    };
    let short = call("short", "q", Dist::Deterministic { value: 100.0 });
    let long = call("long", "q", Dist::Deterministic { value: 5_000.0 });
    let mut m = model(vec![g], vec![short, long], 6_000.0);
    m.arrivals = Some(Arrivals::Trace {
        times: vec![0.0, 1.0, 2.0, 3.0, 1_500.0],
        types: Some(vec![0, 0, 1, 1, 0]),
    });
    m.interval = 500.0;
    let r = run(&m, 1, 0).unwrap();
    let records = r.calls.unwrap();
    assert_eq!(records.outcome, vec![0; 5], "every call answered");
    assert_eq!(records.handle, vec![100.0, 100.0, 5_000.0, 5_000.0, 100.0]);
    assert!(
        (records.wait[4] - 3_502.0).abs() < 1e-3,
        "{:?}",
        records.wait
    );
    assert_eq!(r.staffed[0][0], 2_000.0);
    assert_eq!(r.staffed[0][2], 1_000.0);
}

fn error(m: &Model) -> String {
    run(m, 1, 0).unwrap_err().0
}

/// Each new key's errors name the field.
#[test]
fn the_new_keys_are_checked_by_name() {
    let base = model(vec![group("g", 1)], vec![call("c", "q", exp(10.0))], 100.0);
    let mut m = base.clone();
    m.calls[0].handle_by_period = Some(vec![exp(1.0)]);
    assert!(error(&m).starts_with("calls[0].handle_by_period: needs the model's periods"));
    m.periods = Some(Periods {
        start: 0.0,
        length: 0.0,
    });
    assert!(error(&m).starts_with("periods.length"));
    m.periods = Some(Periods {
        start: 0.0,
        length: 10.0,
    });
    m.calls[0].patience_by_period = Some(vec![exp(1.0), exp(2.0)]);
    assert!(error(&m).starts_with("calls[0].patience_by_period gives 2 periods"));
    m.calls[0].patience_by_period = Some(vec![exp(-1.0)]);
    assert!(error(&m).starts_with("calls[0].patience_by_period[0].mean"));
    m.calls[0].patience_by_period = Some(vec![]);
    assert!(error(&m).starts_with("calls[0].patience_by_period must give one value"));

    m.calls[0].handle_by_period = None;
    m.calls[0].patience_by_period = None;
    m.calls[0].handle = Dist::Never;
    assert!(error(&m).starts_with("calls[0].handle: missing"));

    let mut m = base.clone();
    m.calls[0].handle_by_group = Some(vec![("nope".into(), exp(1.0))]);
    assert!(error(&m).starts_with("calls[0].handle_by_group[0]: unknown group"));
    m.calls[0].handle_by_group = Some(vec![("g".into(), exp(1.0)), ("g".into(), exp(1.0))]);
    assert!(error(&m).starts_with("calls[0].handle_by_group[1]: group \"g\" given twice"));

    let mut m = base.clone();
    m.calls[0].handle_by_level = Some(vec![(1, 0.5)]);
    assert!(error(&m).starts_with("calls[0].handle_by_level: the call type has no skill"));
    m.queues[0].skills = vec![("s".into(), 1)];
    m.calls[0].handle_by_level = Some(vec![(1, 0.0)]);
    assert!(error(&m).starts_with("calls[0].handle_by_level[0]: the multiplier"));

    let mut m = base.clone();
    m.calls[0].balking = Some(Balking {
        probability: Some(1.5),
        by_expected_wait: None,
    });
    assert!(error(&m).starts_with("calls[0].balking.probability"));
    m.calls[0].balking = Some(Balking {
        probability: None,
        by_expected_wait: None,
    });
    assert!(error(&m).starts_with("calls[0].balking: give exactly one"));
    m.calls[0].balking = Some(Balking {
        probability: None,
        by_expected_wait: Some(vec![(10.0, 0.1), (5.0, 0.2)]),
    });
    assert!(error(&m).starts_with("calls[0].balking.by_expected_wait[1]"));

    let mut m = base.clone();
    m.calls[0].arrivals = Some(Arrivals::Poisson { rate: -1.0 });
    assert!(error(&m).starts_with("arrivals: every call type has its own"));
    m.arrivals = None;
    assert!(error(&m).starts_with("calls[0].arrivals.rate"));
    m.calls[0].arrivals = Some(Arrivals::Trace {
        times: vec![1.0],
        types: Some(vec![0]),
    });
    assert!(error(&m).starts_with("calls[0].arrivals.types"));
    m.calls[0].arrivals = None;
    assert!(error(&m).starts_with("arrivals: missing (calls[0]"));

    // and from JSON: the keys as LAB-SPEC names them
    let json = r#"{"groups": [{"name": "g", "staffing": {"fixed": {"count": 1}}}],
        "queues": [],
        "calls": [{"name": "c", "skills": [["s", 1]], "handle": {"exponential": {"mean": 5}},
                   "arrivals": {"poisson": {"rate": 0.1}},
                   "handle_by_level": [[1, 2.0]],
                   "handle_by_group": [["g", {"deterministic": {"value": 3}}]],
                   "handle_by_period": [{"exponential": {"mean": 5}}],
                   "patience_by_period": ["never"],
                   "balking": {"by_expected_wait": [[10, 0.5]]}}],
        "periods": {"start": 0, "length": 3600}, "busyness": "independent",
        "horizon": 100}"#;
    let m: Model = serde_json::from_str(json).unwrap();
    m.validate().unwrap();
}

/// The agents' time ends with the last call, not with a leftover event: a caller who waited
/// (its abandon event queued for 1,001 s) and was answered leaves no idle time behind it.
/// One agent, calls at 0 and 1 s of 10 s each: staffed and busy 20 s.
#[test]
fn agent_time_ends_with_the_last_call() {
    let mut c = call("c", "q", Dist::Deterministic { value: 10.0 });
    c.patience = Dist::Deterministic { value: 1_000.0 };
    let mut m = model(vec![group("g", 1)], vec![c], 5_000.0);
    m.arrivals = Some(Arrivals::Trace {
        times: vec![0.0, 1.0],
        types: None,
    });
    let r = run(&m, 1, 0).unwrap();
    assert_eq!(r.line_total(0).answered, 2);
    assert_eq!(r.staffed[0].iter().sum::<f64>(), 20.0);
    assert_eq!(r.busy[0].iter().sum::<f64>(), 20.0);
}
