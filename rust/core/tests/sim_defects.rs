//! The simulator's defects of issue 11 and its hostile runs: occupancy against its exact
//! value, common random numbers across routing variants, times far from zero, and models
//! that used to hang, overflow, wrap the clock or fill the memory (each now a result or an
//! error naming the field).

mod common;
use common::{call, group};

use callroute_core::acd::{QueueConfig, Strategy};
use callroute_core::sim::{
    run, run_indices, run_replications, AgentGroup, Arrivals, CallType, CallbackOffer, Dist, Model,
    Replication, Retrial, SimError, Staffing,
};

fn model(queues: Vec<QueueConfig>, groups: Vec<AgentGroup>, calls: Vec<CallType>) -> Model {
    Model {
        queues,
        groups,
        calls,
        arrivals: Some(Arrivals::Poisson { rate: 1.0 }),
        daily_multiplier: None,
        busyness: Default::default(),
        periods: None,
        start: 0.0,
        horizon: 1000.0,
        warmup: 0.0,
        max_calls: None,
        interval: 1800.0,
        record_calls: false,
        drain: 86_400.0,
        max_in_system: 1_000_000,
    }
}

/// One queue `q`, one group of `n` agents, one call type.
fn single(n: u32, handle: Dist, patience: Dist) -> Model {
    model(
        vec![QueueConfig::new("q", "default")],
        vec![group("g", n)],
        vec![call("c", "q", handle, patience)],
    )
}

fn error(r: Result<Replication, SimError>) -> String {
    match r {
        Ok(_) => panic!("the model ran"),
        Err(e) => e.0,
    }
}

/// Student t quantile at 0.995 for 19 degrees of freedom.
const T995_19: f64 = 2.861;

// ------------------------------------------------------------------- defect 6: occupancy

/// In a stable M/M/n queue without abandonment the mean number of busy agents is λ/μ
/// exactly (Little's law on the agents), so the occupancy is λ/(nμ). The callers are very
/// patient (10^5 s, against waits of seconds): none abandons, but every answered call used
/// to leave a patience timer behind that pushed the end of the run — and the staffed time —
/// up to a day past the last call, and the warm-up and the drain were counted too.
#[test]
fn occupancy_is_offered_load_over_agents() {
    let (rate, aht, n) = (0.08, 100.0, 10u32); // 8 Erlangs on 10 agents
    let mut m = single(
        n,
        Dist::Exponential { mean: aht },
        Dist::Deterministic { value: 1e5 },
    );
    m.arrivals = Some(Arrivals::Poisson { rate });
    m.horizon = 23_000.0;
    m.warmup = 3_000.0; // 30 handle times: the empty start is forgotten
    m.interval = 1_000.0;
    let reps = run_replications(&m, 21, 20, 2).unwrap();
    let occ: Vec<f64> = reps
        .iter()
        .map(|r| {
            let busy: f64 = r.busy[0].iter().sum();
            let staffed: f64 = r.staffed[0].iter().sum();
            // staffed time is the agents over the counted window, warm-up and drain out
            assert!(
                (staffed - f64::from(n) * (m.horizon - m.warmup)).abs() < 1e-3,
                "staffed {staffed}"
            );
            busy / staffed
        })
        .collect();
    let k = occ.len() as f64;
    let mean = occ.iter().sum::<f64>() / k;
    let var = occ.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (k - 1.0);
    let half = T995_19 * (var / k).sqrt();
    let truth = rate * aht / f64::from(n);
    assert!(
        (mean - truth).abs() <= half,
        "occupancy {mean:.4} ± {half:.4} (99 %) misses λ/(nμ) = {truth}"
    );
    // the agents' time per interval is kept where the calls are: none in the warm-up, none
    // after the horizon
    let r = &reps[0];
    assert_eq!(r.staffed[0][..3].iter().sum::<f64>(), 0.0);
    assert!(r.staffed[0][3..23]
        .iter()
        .all(|&s| (s - 10_000.0).abs() < 1e-3));
    assert!(r.staffed[0][23..].iter().all(|&s| s == 0.0));
}

/// A run that stops early (its arrivals end) counts agent time until its last event, not
/// until the patience timers of the calls it answered.
#[test]
fn occupancy_ends_with_the_last_call() {
    let mut m = single(
        1,
        Dist::Deterministic { value: 10.0 },
        Dist::Deterministic { value: 5_000.0 },
    );
    m.arrivals = Some(Arrivals::Trace {
        times: vec![0.0, 20.0],
        types: None,
    });
    let r = run(&m, 1, 0).unwrap();
    // busy 0-10 and 20-30, staffed until the last call ends at 30
    assert_eq!(r.busy[0].iter().sum::<f64>(), 20.0);
    assert_eq!(r.staffed[0].iter().sum::<f64>(), 30.0);
}

// --------------------------------------------------- defect 7: common random numbers

/// Two variants that differ only in routing (which of two call types an agent takes first)
/// see the same callers: the same arrivals, and each caller the same handle time and
/// patience, whatever the routing did to the callers before. Wrap-up draws, callback
/// acceptances and retrial draws used to come from the same stream as the callers' handle
/// times and patience, in an order the routing decides.
#[test]
fn routing_variants_see_the_same_callers() {
    let variant = |first: i32, strategy: Strategy| {
        let mut a = QueueConfig::new("a", "default");
        a.weight = first;
        a.strategy = strategy;
        a.max_no_answer = 0;
        let mut b = QueueConfig::new("b", "default");
        b.weight = 1 - first;
        b.strategy = strategy;
        b.max_no_answer = 0;
        let patience = Dist::Exponential { mean: 60.0 };
        let mut ca = call(
            "ca",
            "a",
            Dist::Exponential { mean: 50.0 },
            patience.clone(),
        );
        ca.wrapup = Some(Dist::Exponential { mean: 5.0 });
        ca.callback = Some(CallbackOffer {
            after: 20.0,
            accept: 0.3,
        });
        ca.retrial = Some(Retrial {
            probability: 0.5,
            delay: Dist::Exponential { mean: 30.0 },
        });
        let mut cb = call(
            "cb",
            "b",
            Dist::Lognormal {
                mean: 40.0,
                cv: 1.2,
            },
            patience,
        );
        cb.wrapup = Some(Dist::Gamma { mean: 4.0, cv: 0.5 });
        let mut g = group("g", 5);
        g.ring = Dist::Exponential { mean: 2.0 };
        g.no_answer = 0.1;
        let mut m = model(vec![a, b], vec![g], vec![ca, cb]);
        m.arrivals = Some(Arrivals::Poisson { rate: 0.11 });
        m.horizon = 20_000.0;
        m.record_calls = true;
        m
    };
    let x = run(&variant(1, Strategy::LongestIdle), 4, 2).unwrap();
    let y = run(&variant(0, Strategy::RoundRobin), 4, 2).unwrap();
    let (cx, cy) = (x.calls.unwrap(), y.calls.unwrap());
    // the first attempts, in arrival order (retrials come when the routing lets them)
    let firsts = |c: &callroute_core::sim::CallRecords| -> Vec<usize> {
        (0..c.arrival.len())
            .filter(|&i| c.retrial[i] == 0)
            .collect()
    };
    let (fx, fy) = (firsts(&cx), firsts(&cy));
    assert_eq!(fx.len(), fy.len());
    assert!(fx.len() > 1_500);
    let (mut both_answered, mut both_abandoned, mut differ) = (0, 0, 0);
    for (&i, &j) in fx.iter().zip(&fy) {
        assert_eq!(cx.arrival[i], cy.arrival[j]);
        assert_eq!(cx.call_type[i], cy.call_type[j]);
        let (ox, oy) = (cx.outcome[i], cy.outcome[j]);
        differ += usize::from(ox != oy || (cx.wait[i] - cy.wait[j]).abs() > 1e-9);
        match (ox, oy) {
            // the same handle time drawn (recorded when the call ended)
            (0, 0) if cx.handle[i] > 0.0 && cy.handle[j] > 0.0 => {
                both_answered += 1;
                assert_eq!(cx.handle[i], cy.handle[j], "handle of caller {i}");
            }
            // the same patience: the wait of an abandoned call is its patience
            (1, 1) => {
                both_abandoned += 1;
                assert!(
                    (cx.wait[i] - cy.wait[j]).abs() < 1e-6,
                    "patience of caller {i}"
                );
            }
            // answered in one before the patience the other ran out of (unless it took a
            // callback first, after 20 s: a call-back caller does not hang up)
            (1, 0) if cy.call_type[j] == 1 || cy.wait[j] < 20.0 => {
                assert!(cy.wait[j] <= cx.wait[i] + 1e-6);
            }
            (0, 1) if cx.call_type[i] == 1 || cx.wait[i] < 20.0 => {
                assert!(cx.wait[i] <= cy.wait[j] + 1e-6);
            }
            _ => {}
        }
    }
    // the routing did change what happened to the callers, often
    assert!(differ > 300, "only {differ} callers fared differently");
    assert!(both_answered > 500 && both_abandoned > 30);
}

// ----------------------------------------------------- defect 5: times far from zero

/// Staffing changes at 9.9e10 s, where a time in µs turned into float seconds and back
/// comes out a few microseconds early: the agent logs out at the very µs the engine's
/// wrap-up timer of its last call fired, which used to read as time going backwards and
/// abort the run.
#[test]
fn presence_changes_far_from_zero() {
    let s0 = 99_000_000_000.125_f64;
    let mut q = QueueConfig::new("q", "default");
    q.wrapup = 1.000_007;
    let mut g = group("g", 1);
    g.staffing = Staffing::Intervals {
        start: s0,
        interval: 2.000_007,
        counts: vec![1, 0, 1],
    };
    let mut m = model(
        vec![q],
        vec![g],
        vec![call(
            "c",
            "q",
            Dist::Deterministic { value: 1.0 },
            Dist::Never,
        )],
    );
    m.start = s0;
    m.horizon = 10.0;
    m.drain = 10.0;
    // the call arrives with the first staffing, ends 1 s later; its wrap-up ends at
    // s0 + 2.000007 s, with the agent's logout
    m.arrivals = Some(Arrivals::Trace {
        times: vec![s0, s0 + 4.5],
        types: None,
    });
    m.record_calls = true;
    // (the case is the one described: the float round trip of that µs lands before it)
    let t = (s0 * 1e6).round() as i64 + 1_000_000 + 1_000_007;
    assert!(((((t as f64) * 1e-6) * 1e6).round() as i64) < t);
    let r = run(&m, 1, 0).unwrap();
    let c = r.calls.unwrap();
    assert_eq!(c.outcome, vec![0, 0]);
    assert_eq!(r.unfinished, 0);
}

// ------------------------------------- defect 1: overflow between differently timed wrap-ups

/// Calls of `a` (no agent has its skill) overflow after 1 s to `b` and are answered there.
/// Who times the wrap-up used to be decided from the call's first queue, while the engine
/// took the answering queue's: with the call type's own wrap-up on `b`'s other calls only,
/// the agent sat in a wrap-up of 10^9 s after the first call; with it on the overflowing
/// calls only, the engine ended `b`'s wrap-up first and the simulator's later end of it
/// aborted the run. The call type's wrap-up now goes with the call to whichever queue
/// answers it, and the answering queue's applies otherwise.
#[test]
fn overflow_between_queues_with_differently_timed_wrapups() {
    let build = |own_on_overflowing: bool| {
        let mut a = QueueConfig::new("a", "default");
        a.skills = vec![("x".into(), 1)];
        a.max_wait = Some(1.0);
        a.overflow = Some("b".into());
        let mut b = QueueConfig::new("b", "default");
        b.wrapup = 3.0;
        let mut ca = call("ca", "a", Dist::Deterministic { value: 1.0 }, Dist::Never);
        let mut cb = call("cb", "b", Dist::Deterministic { value: 1.0 }, Dist::Never);
        if own_on_overflowing {
            ca.wrapup = Some(Dist::Deterministic { value: 10.0 });
        } else {
            cb.wrapup = Some(Dist::Deterministic { value: 10.0 });
        }
        let mut m = model(vec![b, a], vec![group("g", 1)], vec![ca, cb]);
        m.arrivals = Some(Arrivals::Trace {
            times: (0..10).map(|k| 100.0 * f64::from(k)).collect(),
            types: Some(vec![0; 10]), // every call is an overflowing one
        });
        m.record_calls = true;
        m
    };
    for (own, wrapup) in [(false, 3.0), (true, 10.0)] {
        let r = run(&build(own), 1, 0).unwrap();
        let c = r.calls.as_ref().unwrap();
        assert_eq!(
            c.outcome,
            vec![0; 10],
            "own wrap-up on the overflowing calls: {own}"
        );
        assert!(c.wait.iter().all(|&w| (w - 1.0).abs() < 1e-9));
        // each call: 1 s of talk, then the wrap-up of its type, else of the queue `b`
        let busy: f64 = r.busy[0].iter().sum();
        assert!((busy - 10.0 * (1.0 + wrapup)).abs() < 1e-6, "busy {busy}");
    }
}

// ------------------------------------------------- defect 8 and the hostile runs

#[test]
fn distribution_parameters_are_bounded() {
    let cases: Vec<(Dist, &str)> = vec![
        (Dist::Deterministic { value: 1e13 }, "calls[0].handle.value"),
        (Dist::Exponential { mean: 2e9 }, "calls[0].handle.mean"),
        (Dist::Exponential { mean: f64::NAN }, "calls[0].handle.mean"),
        (
            Dist::Lognormal {
                mean: 100.0,
                cv: 1e300,
            },
            "calls[0].handle.cv",
        ),
        (
            Dist::Gamma {
                mean: 100.0,
                cv: 1e300,
            },
            "calls[0].handle.cv",
        ),
        (
            Dist::Gamma {
                mean: 1e10,
                cv: 1.0,
            },
            "calls[0].handle.mean",
        ),
        (
            Dist::Empirical {
                values: vec![1.0, 1e12],
            },
            "calls[0].handle.values[1]",
        ),
    ];
    for (d, field) in cases {
        let m = single(1, d.clone(), Dist::Never);
        let e = error(run(&m, 1, 0));
        assert!(e.starts_with(field), "{d:?}: {e}");
    }
    let mut m = single(1, Dist::Exponential { mean: 1.0 }, Dist::Never);
    m.calls[0].retrial = Some(Retrial {
        probability: 0.5,
        delay: Dist::Deterministic { value: 1e13 },
    });
    assert!(error(run(&m, 1, 0)).starts_with("calls[0].retrial.delay.value"));
    m.calls[0].retrial = None;
    m.interval = 1e300;
    assert!(error(run(&m, 1, 0)).starts_with("interval"));
    m.interval = 1800.0;
    m.arrivals = Some(Arrivals::Trace {
        times: vec![0.0, 1e15],
        types: None,
    });
    assert!(error(run(&m, 1, 0)).starts_with("arrivals.times[1]"));
}

/// A handle time or retrial delay too long for any run (here 5·10^8 s, inside the bounds)
/// is a call that does not end, or a retrial that never comes, within the run: never one
/// answered or retried at once by a wrapped clock.
#[test]
fn long_durations_stay_long() {
    let mut m = single(1, Dist::Deterministic { value: 5e8 }, Dist::Never);
    m.arrivals = Some(Arrivals::Trace {
        times: vec![0.0, 1.0],
        types: None,
    });
    m.record_calls = true;
    let r = run(&m, 1, 0).unwrap();
    let c = r.calls.unwrap();
    assert_eq!(c.outcome, vec![0, 3]); // the second still waits when the run stops
    assert_eq!(r.unfinished, 2);

    let mut m = single(
        1,
        Dist::Exponential { mean: 1.0 },
        Dist::Deterministic { value: 0.0 },
    );
    m.groups[0].staffing = Staffing::Fixed { count: 0 };
    m.calls[0].retrial = Some(Retrial {
        probability: 1.0,
        delay: Dist::Deterministic { value: 5e8 },
    });
    m.arrivals = Some(Arrivals::Poisson { rate: 0.01 });
    let r = run(&m, 1, 0).unwrap();
    let total = r.line_total(0);
    // about 10 callers, each abandoning once: their retrials fall after the drain
    assert_eq!(total.offered, r.arrivals);
    assert!(r.arrivals < 40, "{} arrivals", r.arrivals);
}

/// Extreme coefficients of variation inside the bounds give finite durations with the
/// right mean; a gamma with cv² below the smallest float used to loop forever.
#[test]
fn extreme_cvs_draw_finite_durations() {
    use callroute_core::sim::Stream;
    for d in [
        Dist::Gamma {
            mean: 100.0,
            cv: 1e-160,
        },
        Dist::Gamma {
            mean: 100.0,
            cv: 1e-7,
        },
        Dist::Lognormal {
            mean: 100.0,
            cv: 1e-160,
        },
    ] {
        d.validate("d").unwrap();
        let mut rng = Stream::new(1, 0, 0);
        for _ in 0..1000 {
            let x = d.sample(&mut rng);
            assert!((x - 100.0).abs() < 1e-3, "{d:?}: {x}");
        }
    }
    for d in [
        Dist::Gamma {
            mean: 100.0,
            cv: 100.0,
        },
        Dist::Lognormal {
            mean: 100.0,
            cv: 100.0,
        },
    ] {
        d.validate("d").unwrap();
        let mut rng = Stream::new(1, 0, 0);
        assert!((0..10_000)
            .map(|_| d.sample(&mut rng))
            .all(|x| x.is_finite() && x >= 0.0));
    }
}

/// Patience 0, retrial probability 1, delay 0: every attempt hangs up and calls again at
/// the same instant, forever. Refused, naming the delay.
#[test]
fn a_zero_delay_retrial_loop_is_refused() {
    let mut m = single(
        1,
        Dist::Exponential { mean: 1.0 },
        Dist::Deterministic { value: 0.0 },
    );
    m.groups[0].staffing = Staffing::Fixed { count: 0 };
    m.calls[0].retrial = Some(Retrial {
        probability: 1.0,
        delay: Dist::Deterministic { value: 0.0 },
    });
    let e = error(run(&m, 1, 0));
    assert!(e.starts_with("calls[0].retrial.delay"), "{e}");
    // a positive delay: the callers call again until the run ends, with the clock moving
    m.calls[0].retrial.as_mut().unwrap().delay = Dist::Deterministic { value: 100.0 };
    m.arrivals = Some(Arrivals::Poisson { rate: 0.01 });
    m.drain = 1000.0;
    let r = run(&m, 1, 0).unwrap();
    assert!(r.arrivals > 100 && r.arrivals < 1_000, "{}", r.arrivals);
}

/// 10^6 calls per second on one agent and no patience: the queue grows without end. The
/// run stops once more calls than `max_in_system` are waiting, naming the line.
#[test]
fn an_overloaded_model_stops_with_an_error() {
    let mut m = single(1, Dist::Exponential { mean: 1.0 }, Dist::Never);
    m.arrivals = Some(Arrivals::Poisson { rate: 1e6 });
    m.max_in_system = 10_000;
    let e = error(run(&m, 1, 0));
    assert!(e.contains("overloaded") && e.contains("\"q\""), "{e}");
    m.max_in_system = 0;
    assert!(error(run(&m, 1, 0)).starts_with("max_in_system"));
}

#[test]
fn replications_and_threads_are_bounded() {
    let m = single(2, Dist::Exponential { mean: 1.0 }, Dist::Never);
    let e = run_replications(&m, 1, u64::MAX, 2).unwrap_err().0;
    assert!(e.starts_with("replications"), "{e}");
    // any number of threads: as many as there is work for, at most MAX_THREADS
    let mut small = m.clone();
    small.horizon = 10.0;
    let indices: Vec<u64> = (0..5).collect();
    let a = run_indices(&small, 1, &indices, usize::MAX).unwrap();
    let b = run_indices(&small, 1, &indices, 1).unwrap();
    assert_eq!(a, b);
}

/// Five callers waiting from -10^12 s to 10^12 s: 10^19 µs of waiting in all, more than an
/// i64 holds. The total used to overflow (a panic in a debug build, a negative wait in a
/// release one); it now stops at `MAX_TOTAL_US`, and the engine's snapshot of it restores.
#[test]
fn wait_totals_do_not_overflow() {
    use callroute_core::acd::{CallSpec, Engine, EngineOptions, MAX_TOTAL_US};
    let mut e = Engine::new(EngineOptions::default()).unwrap();
    e.add_queue(QueueConfig::new("q", "default")).unwrap();
    for k in 0..5 {
        let spec = CallSpec {
            id: format!("c{k}"),
            queue: Some("q".into()),
            ..CallSpec::default()
        };
        e.call_arrived(&spec, -1e12).unwrap();
    }
    for k in 0..5 {
        e.call_abandoned(&format!("c{k}"), 1e12).unwrap();
    }
    let c = e.queue_stats("q").unwrap().counters;
    assert_eq!(c.abandoned, 5);
    assert_eq!(c.wait_abandoned_us, MAX_TOTAL_US);
    Engine::restore(&e.snapshot()).unwrap();
}
