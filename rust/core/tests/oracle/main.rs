//! The oracle: the engine and a naive reference router (`reference.rs`, written from the
//! rules of docs/engine.md) are driven with the same random events, and after every event
//! their decisions, errors and every statistic must agree.
//!
//! Many small scenarios (2-8 agents, 1-4 queues, a few hundred events each) cover every
//! deterministic strategy (`custom` with a hashing scorer), relaxation steps (skills replaced, also_queues, boosts), aging,
//! priorities, declines and lapses (retry windows, max_no_answer), skill changes, transfers,
//! callbacks, tenants, capacities and exclusive media, auto-answer, wrap-up, logouts,
//! not-ready reasons, max wait and overflow, join_empty / leave_when_empty, closed queues,
//! skills-routed calls and late timers. The random strategies are checked by their rules
//! (the engine's pick must be one the rules allow) and by their distribution (`random.rs`).
//!
//! `ORACLE_EVENTS` sets the number of events (default 1,000,000); `ORACLE_SEED` the first
//! scenario's seed; `ORACLE_FULL_EVERY` how often every statistic is compared (default
//! after every 6th event and the last of each scenario; 1: after every event);
//! `ORACLE_COVERAGE` prints how often each event and decision came up. A disagreement is shrunk to a short event sequence and printed.

mod compare;
mod gen;
mod random;
mod reference;

use callroute_core::acd::{Decision, Engine, EngineError, EngineOptions};

use compare::compare;
use gen::{Ev, Scenario};
use reference::Reference;

/// Build both routers from a scenario's configuration.
fn build(s: &Scenario) -> (Engine, Reference) {
    let mut e = Engine::new(EngineOptions {
        seed: s.seed,
        interval: s.interval,
        skill_queue: s.template.clone(),
    })
    .expect("valid options");
    e.set_scorer(Some(Box::new(reference::HashScorer)));
    let mut r = Reference::new(s.interval, s.template.clone());
    for q in &s.queues {
        e.add_queue(q.clone()).expect("valid queue");
        r.add_queue(q.clone());
    }
    for a in &s.agents {
        e.add_agent(a.clone()).expect("valid agent");
        r.add_agent(a.clone());
    }
    (e, r)
}

thread_local! {
    /// how often each event and outcome came up (printed with --nocapture)
    static SEEN: std::cell::RefCell<std::collections::BTreeMap<String, u64>> =
        std::cell::RefCell::default();
}

thread_local! {
    static COVERAGE: bool = std::env::var_os("ORACLE_COVERAGE").is_some();
}

fn seen(what: String) {
    SEEN.with(|s| *s.borrow_mut().entry(what).or_default() += 1);
}

/// Apply one event to both; `Err` describes the first disagreement. The decisions or
/// error, the clock, totals and next deadline are compared after every event; every other
/// query and statistic too with `full` (in debug builds that costs five times the event).
fn step(e: &mut Engine, r: &mut Reference, ev: &Ev, full: bool) -> Result<(), String> {
    let (got, want) = gen::apply(e, r, ev);
    if COVERAGE.with(|c| *c) {
        coverage(ev, &got);
    }
    compare::results(&got, &want)?;
    if let Some(v) = r.random_violation.take() {
        return Err(format!("random pick against the rules: {v}"));
    }
    if full {
        compare(e, r)?;
        // the engine's own invariants (a fifth of a full comparison's cost in debug)
        e.audit().map_err(|m| format!("engine audit: {m}"))
    } else {
        compare::quick(e, r)
    }
}

/// Count the event and its decisions by kind.
fn coverage(ev: &Ev, got: &Result<Vec<Decision>, EngineError>) {
    let name = format!("{ev:?}");
    let name = name.split('(').next().unwrap_or("");
    match &got {
        Ok(ds) => {
            seen(format!("event {name} ok"));
            for d in ds {
                let d = format!("{d:?}");
                let mut kind = d.split(' ').next().unwrap_or("").to_owned();
                for detail in ["reason: ", "state: ", "callback: true", "auto_answer: true"] {
                    if let Some(i) = d.find(detail) {
                        let rest = &d[i..];
                        let end = rest.find([',', ' ', '}', '(']).map_or(rest.len(), |e| {
                            rest[e..]
                                .find([',', '}', '('])
                                .map_or(rest.len(), |f| e + f)
                        });
                        kind = format!("{kind} {}", &rest[..end]);
                    }
                }
                seen(format!("decision {kind}"));
            }
        }
        Err(err) => seen(format!(
            "event {name} error {}",
            format!("{err:?}").split([' ', '(']).next().unwrap_or("")
        )),
    }
}

/// Replay a fixed event sequence; `Err((index, message))` at the first disagreement.
fn replay(s: &Scenario, events: &[Ev]) -> Result<(), (usize, String)> {
    let (mut e, mut r) = build(s);
    compare(&e, &r).map_err(|m| (0, m))?;
    for (i, ev) in events.iter().enumerate() {
        step(&mut e, &mut r, ev, true).map_err(|m| (i, m))?;
    }
    Ok(())
}

/// Drop every event the disagreement does not need (greedy, to a fixed point).
fn shrink(s: &Scenario, mut events: Vec<Ev>) -> (Vec<Ev>, String) {
    let (mut at, mut msg) = replay(s, &events).expect_err("fails");
    events.truncate(at + 1);
    loop {
        let mut changed = false;
        let mut i = events.len();
        while i > 0 {
            i -= 1;
            let mut fewer = events.clone();
            fewer.remove(i);
            if let Err((k, m)) = replay(s, &fewer) {
                fewer.truncate(k + 1);
                events = fewer;
                (at, msg) = (k, m);
                changed = true;
                i = i.min(events.len());
            }
        }
        if !changed {
            break;
        }
    }
    let _ = at;
    (events, msg)
}

/// Run one generated scenario of about `n` events; returns the events run.
fn run_scenario(seed: u64, n: usize) -> usize {
    let mut g = gen::Gen::new(seed);
    let s = g.scenario();
    let (mut e, mut r) = build(&s);
    let mut events = Vec::new();
    let every = env_u64("ORACLE_FULL_EVERY", 6).max(1) as usize;
    for i in 0..n {
        let ev = g.event(&r, e.next_deadline());
        events.push(ev.clone());
        // every statistic after some events and the last one: a difference that arises
        // unseen in between stays until then (counters only grow), and the shrunk replay
        // compares everything after every event
        let full = (i + seed as usize) % every == 0 || i + 1 == n;
        if let Err(m) = step(&mut e, &mut r, &ev, full) {
            let (small, msg) = shrink(&s, events);
            panic!(
                "oracle disagreement (scenario seed {seed}): {m}\n\nshrunk to {} events: {msg}\n\
                 scenario: {:?}\nevents:\n{}",
                small.len(),
                s,
                small
                    .iter()
                    .map(|e| format!("  {e:?}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    events.len()
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

#[test]
fn engine_agrees_with_the_reference_router() {
    let total = env_u64("ORACLE_EVENTS", 1_000_000);
    let first = env_u64("ORACLE_SEED", 1);
    // scenarios shared out over the cores (seed k, k + workers, ...)
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4)) as u64;
    let runs: Vec<(u64, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|k| {
                let share = total / workers + u64::from(k < total % workers);
                scope.spawn(move || {
                    let (mut done, mut seed, mut scenarios) = (0, first + k, 0);
                    while done < share {
                        // a few hundred events each, some scenarios short and some long
                        let n = 50 + gen::mix(seed) % 400;
                        done += run_scenario(seed, n.min(share - done) as usize) as u64;
                        seed += workers;
                        scenarios += 1;
                    }
                    SEEN.with(|s| {
                        for (k, n) in s.borrow().iter() {
                            eprintln!("  {n:>9}  {k}");
                        }
                    });
                    (done, scenarios)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let done: u64 = runs.iter().map(|r| r.0).sum();
    let scenarios: u64 = runs.iter().map(|r| r.1).sum();
    eprintln!("oracle: {done} events in {scenarios} scenarios on {workers} threads");
    assert!(done >= total);
}
