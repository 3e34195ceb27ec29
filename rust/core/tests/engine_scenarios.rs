//! Deterministic scenarios with exact expected decisions.

use std::sync::Arc;

use callroute_core::acd::{
    AgentConfig, AgentState, CallSpec, Decision, Engine, EngineError, EngineOptions, ExitReason,
    QueueConfig, RevokeReason, StepConfig, Strategy,
};

fn s(x: &str) -> Arc<str> {
    Arc::from(x)
}

fn engine() -> Engine {
    Engine::new(EngineOptions::default()).unwrap()
}

fn queue(name: &str, skills: &[(&str, u8)]) -> QueueConfig {
    let mut q = QueueConfig::new(name, "acme");
    q.skills = skills.iter().map(|&(n, l)| (n.to_owned(), l)).collect();
    q
}

fn agent(name: &str, skills: &[(&str, u8)]) -> AgentConfig {
    let mut a = AgentConfig::new(name, "acme");
    a.skills = skills.iter().map(|&(n, l)| (n.to_owned(), l)).collect();
    a
}

fn call(id: &str, queue: &str, priority: i32) -> CallSpec {
    CallSpec {
        id: id.to_owned(),
        queue: Some(queue.to_owned()),
        priority,
        ..CallSpec::default()
    }
}

fn offer(call: &str, agent: &str, queue: &str, expires: f64) -> Decision {
    Decision::Offer {
        call: s(call),
        agent: s(agent),
        queue: s(queue),
        expires,
        callback: false,
        auto_answer: false,
        data: Vec::new(),
    }
}

/// An auto-answer agent's offer: connected already, `expires` is the time of the offer.
fn auto_offer(call: &str, agent: &str, queue: &str, now: f64) -> Decision {
    Decision::Offer {
        call: s(call),
        agent: s(agent),
        queue: s(queue),
        expires: now,
        callback: false,
        auto_answer: true,
        data: Vec::new(),
    }
}

fn auto_agent(name: &str, skills: &[(&str, u8)]) -> AgentConfig {
    let mut a = agent(name, skills);
    a.auto_answer = true;
    a
}

fn state(agent: &str, state: AgentState) -> Decision {
    Decision::AgentState {
        agent: s(agent),
        state,
    }
}

fn not_ready(reason: &str) -> AgentState {
    AgentState::NotReady(s(reason))
}

fn queued(call: &str, queue: &str, position: u32, expected_wait: f64) -> Decision {
    Decision::Queued {
        call: s(call),
        queue: s(queue),
        position,
        expected_wait,
    }
}

/// Ready agents and answer nothing else; checks the audit after every step.
fn ready(e: &mut Engine, agents: &[&str], t: f64) {
    for a in agents {
        assert_eq!(
            e.agent_ready(a, t).unwrap(),
            vec![state(a, AgentState::Ready)]
        );
    }
    e.audit().unwrap();
}

#[test]
fn longest_idle_agent_gets_the_call() {
    let mut e = engine();
    e.add_queue(queue("sales", &[])).unwrap();
    for a in ["a0", "a1", "a2"] {
        e.add_agent(agent(a, &[])).unwrap();
    }
    // ready in the order a1, a2, a0
    ready(&mut e, &["a1"], 1.0);
    ready(&mut e, &["a2"], 2.0);
    ready(&mut e, &["a0"], 3.0);
    let out = e.call_arrived(&call("c1", "sales", 0), 10.0).unwrap();
    assert_eq!(
        out,
        vec![
            offer("c1", "a1", "sales", 25.0),
            state("a1", AgentState::Offered)
        ]
    );
    e.offer_accepted("c1", 11.0).unwrap();
    // a1 works, a2 is now the longest idle
    let out = e.call_arrived(&call("c2", "sales", 0), 12.0).unwrap();
    assert_eq!(out[0], offer("c2", "a2", "sales", 27.0));
    e.offer_accepted("c2", 12.0).unwrap();
    // a1 finishes first, but a0 has been idle since 3.0: a0 still goes before a1
    e.call_ended("c1", 20.0).unwrap();
    let out = e.call_arrived(&call("c3", "sales", 0), 21.0).unwrap();
    assert_eq!(out[0], offer("c3", "a0", "sales", 36.0));
    let out = e.call_arrived(&call("c4", "sales", 0), 21.0).unwrap();
    assert_eq!(out[0], offer("c4", "a1", "sales", 36.0));
    e.audit().unwrap();
}

#[test]
fn freed_agent_takes_highest_priority_then_oldest() {
    let mut e = engine();
    e.add_queue(queue("sales", &[])).unwrap();
    e.add_agent(agent("a0", &[])).unwrap();
    ready(&mut e, &["a0"], 0.0);
    e.call_arrived(&call("c0", "sales", 0), 0.0).unwrap();
    e.offer_accepted("c0", 0.0).unwrap();
    for (i, p) in [(1, 0), (2, 5), (3, 5), (4, 1)] {
        let out = e
            .call_arrived(&call(&format!("c{i}"), "sales", p), f64::from(i))
            .unwrap();
        assert!(matches!(out[0], Decision::Queued { .. }));
    }
    // positions by priority, then age
    let pos = |e: &Engine, c: &str| e.call_info(c).unwrap().position.unwrap();
    assert_eq!(
        [pos(&e, "c2"), pos(&e, "c3"), pos(&e, "c4"), pos(&e, "c1")],
        [1, 2, 3, 4]
    );
    let mut order = Vec::new();
    let mut t = 10.0;
    let mut current = "c0".to_owned();
    for _ in 0..4 {
        let out = e.call_ended(&current, t).unwrap();
        let Decision::Offer { call, .. } = &out[0] else {
            panic!("expected an offer, got {out:?}");
        };
        current = call.to_string();
        order.push(current.clone());
        e.offer_accepted(&current, t).unwrap();
        t += 1.0;
    }
    assert_eq!(order, ["c2", "c3", "c4", "c1"]);
    e.audit().unwrap();
}

#[test]
fn aging_lets_an_old_call_overtake_a_higher_priority() {
    let mut e = engine();
    let mut q = queue("sales", &[]);
    q.aging = 1.0; // one priority point per second
    e.add_queue(q).unwrap();
    e.add_agent(agent("a0", &[])).unwrap();
    ready(&mut e, &["a0"], 0.0);
    e.call_arrived(&call("c0", "sales", 0), 0.0).unwrap();
    e.offer_accepted("c0", 0.0).unwrap();
    e.call_arrived(&call("old", "sales", 0), 0.0).unwrap();
    // priority 5, but 10 s younger: worth 5 - 10 = -5 against the old call's 0
    e.call_arrived(&call("vip", "sales", 5), 10.0).unwrap();
    let out = e.call_ended("c0", 20.0).unwrap();
    assert_eq!(out[0], offer("old", "a0", "sales", 35.0));
    // priority 20 would have won
    e.call_arrived(&call("vvip", "sales", 20), 21.0).unwrap();
    e.offer_accepted("old", 21.0).unwrap();
    let out = e.call_ended("old", 22.0).unwrap();
    assert_eq!(out[0], offer("vvip", "a0", "sales", 37.0));
    e.audit().unwrap();
}

#[test]
fn freed_agent_weighs_step_priority_boosts_across_queues() {
    // an agent serving two queues: a call boosted by a relaxation step outranks a call
    // of the same base priority that arrived earlier in the other queue
    let mut e = engine();
    let mut q1 = queue("q1", &[("x", 1)]);
    q1.steps = vec![StepConfig {
        after: 5.0,
        priority_boost: 10,
        ..StepConfig::default()
    }];
    e.add_queue(q1).unwrap();
    e.add_queue(queue("q2", &[("x", 1)])).unwrap();
    e.add_agent(agent("a0", &[("x", 1)])).unwrap();
    ready(&mut e, &["a0"], 0.0);
    e.call_arrived(&call("c0", "q2", 0), 0.0).unwrap();
    e.offer_accepted("c0", 0.0).unwrap();
    e.call_arrived(&call("early", "q2", 0), 1.0).unwrap();
    e.call_arrived(&call("boosted", "q1", 0), 2.0).unwrap();
    let out = e.advance(7.0).unwrap();
    assert_eq!(
        out,
        vec![Decision::Step {
            call: s("boosted"),
            queue: s("q1"),
            step: 1
        }]
    );
    assert_eq!(e.call_info("boosted").unwrap().priority, 10);
    let out = e.call_ended("c0", 8.0).unwrap();
    assert_eq!(out[0], offer("boosted", "a0", "q1", 23.0));
    e.audit().unwrap();
}

#[test]
fn relaxation_step_admits_a_lower_level_agent_exactly_at_after() {
    let mut e = engine();
    let mut q = queue("support", &[("linux", 5)]);
    q.steps = vec![StepConfig {
        after: 10.0,
        skills: Some(vec![("linux".into(), 2)]),
        ..StepConfig::default()
    }];
    e.add_queue(q).unwrap();
    e.add_agent(agent("junior", &[("linux", 3)])).unwrap();
    ready(&mut e, &["junior"], 0.0);
    let out = e.call_arrived(&call("c1", "support", 0), 1.0).unwrap();
    assert_eq!(out, vec![queued("c1", "support", 1, 180.0)]);
    assert_eq!(e.next_deadline(), Some(11.0));
    assert_eq!(e.advance(10.999_999).unwrap(), vec![]);
    let out = e.advance(11.0).unwrap();
    assert_eq!(
        out,
        vec![
            Decision::Step {
                call: s("c1"),
                queue: s("support"),
                step: 1
            },
            offer("c1", "junior", "support", 26.0),
            state("junior", AgentState::Offered),
        ]
    );
    assert_eq!(e.call_info("c1").unwrap().step, 1);
    e.audit().unwrap();
}

#[test]
fn offer_timeout_revokes_and_offers_to_the_next_agent() {
    let mut e = engine();
    let mut q = queue("sales", &[]);
    q.offer_timeout = 10.0;
    q.retry = 30.0;
    e.add_queue(q).unwrap();
    e.add_agent(agent("a0", &[])).unwrap();
    e.add_agent(agent("a1", &[])).unwrap();
    ready(&mut e, &["a0", "a1"], 0.0);
    let out = e.call_arrived(&call("c1", "sales", 0), 1.0).unwrap();
    assert_eq!(out[0], offer("c1", "a0", "sales", 11.0));
    assert_eq!(e.next_deadline(), Some(11.0));
    let out = e.advance(11.0).unwrap();
    assert_eq!(
        out,
        vec![
            Decision::Revoked {
                call: s("c1"),
                agent: s("a0"),
                reason: RevokeReason::NoAnswer
            },
            offer("c1", "a1", "sales", 21.0),
            state("a1", AgentState::Offered),
            state("a0", AgentState::Ready),
        ]
    );
    // a0 missed it: not offered c1 again before the retry delay, even with a1 gone
    let out = e.advance(21.0).unwrap();
    assert_eq!(
        out,
        vec![
            Decision::Revoked {
                call: s("c1"),
                agent: s("a1"),
                reason: RevokeReason::NoAnswer
            },
            Decision::Queued {
                call: s("c1"),
                queue: s("sales"),
                position: 1,
                expected_wait: 90.0,
            },
            state("a1", AgentState::Ready),
        ]
    );
    // the exclusion of a0 ends at 11 + 30 = 41
    assert_eq!(e.next_deadline(), Some(41.0));
    let out = e.advance(41.0).unwrap();
    assert_eq!(
        out,
        vec![
            offer("c1", "a0", "sales", 51.0),
            state("a0", AgentState::Offered)
        ]
    );
    assert_eq!(e.agent_stats("a0").unwrap().missed, 1);
    e.audit().unwrap();
}

#[test]
fn declined_call_keeps_its_place() {
    let mut e = engine();
    let mut q = queue("sales", &[]);
    q.retry = 20.0;
    e.add_queue(q).unwrap();
    e.add_agent(agent("a0", &[])).unwrap();
    e.add_agent(agent("a1", &[])).unwrap();
    ready(&mut e, &["a0"], 0.0);
    e.call_arrived(&call("c1", "sales", 0), 1.0).unwrap();
    e.call_arrived(&call("c2", "sales", 0), 2.0).unwrap();
    assert_eq!(e.call_info("c2").unwrap().position, Some(1));
    // a0 declines c1: no revoke is reported to the agent that declined; c1 goes back in
    // front of c2, and a0 (excluded for c1) is offered c2
    let out = e.offer_declined("c1", 3.0).unwrap();
    assert_eq!(
        out,
        vec![
            queued("c1", "sales", 1, 180.0),
            offer("c2", "a0", "sales", 18.0)
        ]
    );
    let info = e.call_info("c1").unwrap();
    assert_eq!((info.state, info.position), ("waiting", Some(1)));
    assert_eq!(e.agent_stats("a0").unwrap().declined, 1);
    // the next agent takes c1
    let out = e.agent_ready("a1", 4.0).unwrap();
    assert_eq!(
        out,
        vec![
            offer("c1", "a1", "sales", 19.0),
            state("a1", AgentState::Offered)
        ]
    );
    e.audit().unwrap();
}

#[test]
fn missed_offers_make_the_agent_not_ready() {
    let mut e = engine();
    let mut q = queue("sales", &[]);
    q.offer_timeout = 5.0;
    q.retry = 0.0;
    q.max_no_answer = 2;
    e.add_queue(q).unwrap();
    e.add_agent(agent("a0", &[])).unwrap();
    ready(&mut e, &["a0"], 0.0);
    e.call_arrived(&call("c1", "sales", 0), 0.0).unwrap();
    // first miss: with no retry delay the call goes straight back to a0
    let out = e.advance(5.0).unwrap();
    assert_eq!(
        out,
        vec![
            Decision::Revoked {
                call: s("c1"),
                agent: s("a0"),
                reason: RevokeReason::NoAnswer
            },
            offer("c1", "a0", "sales", 10.0),
        ]
    );
    // second miss: a0 goes not ready ("no answer") and the call waits
    let out = e.advance(10.0).unwrap();
    assert_eq!(
        out,
        vec![
            Decision::Revoked {
                call: s("c1"),
                agent: s("a0"),
                reason: RevokeReason::NoAnswer
            },
            queued("c1", "sales", 1, 180.0),
            state("a0", not_ready("no answer")),
        ]
    );
    assert_eq!(e.agent_stats("a0").unwrap().missed, 2);
    // ready again: the streak starts over
    let out = e.agent_ready("a0", 12.0).unwrap();
    assert_eq!(
        out,
        vec![
            offer("c1", "a0", "sales", 17.0),
            state("a0", AgentState::Offered)
        ]
    );
    e.audit().unwrap();
}

#[test]
fn wrapup_timer_and_early_end() {
    let mut e = engine();
    let mut q = queue("sales", &[]);
    q.wrapup = 30.0;
    e.add_queue(q).unwrap();
    e.add_agent(agent("a0", &[])).unwrap();
    ready(&mut e, &["a0"], 0.0);
    e.call_arrived(&call("c1", "sales", 0), 0.0).unwrap();
    assert_eq!(
        e.offer_accepted("c1", 1.0).unwrap(),
        vec![state("a0", AgentState::Busy)]
    );
    assert_eq!(
        e.call_ended("c1", 61.0).unwrap(),
        vec![state("a0", AgentState::WrapUp)]
    );
    assert_eq!(e.next_deadline(), Some(91.0));
    // a call arriving in wrap-up waits for it
    let out = e.call_arrived(&call("c2", "sales", 0), 70.0).unwrap();
    assert!(matches!(out[0], Decision::Queued { .. }));
    let out = e.advance(91.0).unwrap();
    assert_eq!(
        out,
        vec![
            offer("c2", "a0", "sales", 106.0),
            state("a0", AgentState::Offered)
        ]
    );
    e.offer_accepted("c2", 92.0).unwrap();
    e.call_ended("c2", 100.0).unwrap();
    assert!(e.wrapup_done("a0", 101.0).unwrap() == vec![state("a0", AgentState::Ready)]);
    let st = e.agent_stats("a0").unwrap();
    assert_eq!((st.handled, st.talk, st.wrapup), (2, 68.0, 31.0));
    let qs = e.queue_stats("sales").unwrap();
    assert_eq!(qs.counters.completed, 2);
    assert_eq!(qs.counters.aht(), (68.0 + 31.0) / 2.0);
    assert_eq!(e.next_deadline(), None);
    e.audit().unwrap();
}

#[test]
fn max_wait_exits_or_overflows() {
    let mut e = engine();
    let mut back = queue("back", &[("b", 1)]);
    back.max_wait = Some(30.0);
    e.add_queue(back).unwrap();
    let mut front = queue("front", &[("f", 1)]);
    front.max_wait = Some(20.0);
    front.overflow = Some("back".into());
    e.add_queue(front).unwrap();
    e.call_arrived(&call("c1", "front", 0), 0.0).unwrap();
    assert_eq!(e.next_deadline(), Some(20.0));
    let out = e.advance(20.0).unwrap();
    assert_eq!(
        out,
        vec![
            Decision::Overflow {
                call: s("c1"),
                from_queue: s("front"),
                to_queue: s("back")
            },
            queued("c1", "back", 1, f64::INFINITY),
        ]
    );
    // the back queue's max wait runs from entering it
    assert_eq!(e.next_deadline(), Some(50.0));
    let out = e.advance(50.0).unwrap();
    assert_eq!(
        out,
        vec![Decision::Exit {
            call: s("c1"),
            queue: s("back"),
            reason: ExitReason::MaxWait
        }]
    );
    let totals = e.totals();
    assert_eq!((totals.arrived, totals.exited, totals.active()), (1, 1, 0));
    let front = e.queue_stats("front").unwrap().counters;
    let back = e.queue_stats("back").unwrap().counters;
    assert_eq!((front.offered, front.moved_out, front.exited), (1, 1, 0));
    assert_eq!((back.offered, back.moved_out, back.exited), (1, 0, 1));
    e.audit().unwrap();
}

#[test]
fn callback_request_is_flagged_on_the_offer() {
    let mut e = engine();
    e.add_queue(queue("sales", &[])).unwrap();
    e.add_agent(agent("a0", &[])).unwrap();
    e.call_arrived(&call("c1", "sales", 0), 0.0).unwrap();
    assert_eq!(e.callback_requested("c1", 5.0).unwrap(), vec![]);
    assert!(e.call_info("c1").unwrap().callback);
    assert!(e.callback_requested("c1", 6.0).is_err());
    let out = e.agent_ready("a0", 10.0).unwrap();
    assert_eq!(
        out,
        vec![
            Decision::Offer {
                call: s("c1"),
                agent: s("a0"),
                queue: s("sales"),
                expires: 25.0,
                callback: true,
                auto_answer: false,
                data: Vec::new(),
            },
            state("a0", AgentState::Offered),
        ]
    );
    e.audit().unwrap();
}

#[test]
fn tenants_are_isolated_unless_shared() {
    let mut e = engine();
    let mut shared = QueueConfig::new("shared", "acme");
    shared.shared_with = vec!["globex".into()];
    e.add_queue(shared).unwrap();
    e.add_queue(QueueConfig::new("private", "acme")).unwrap();
    e.add_agent(AgentConfig::new("g0", "globex")).unwrap();
    ready(&mut e, &["g0"], 0.0);
    // a globex agent never sees acme's private queue ...
    let out = e.call_arrived(&call("c1", "private", 0), 1.0).unwrap();
    assert_eq!(out, vec![queued("c1", "private", 1, f64::INFINITY)]);
    // ... but takes the queue acme shares with globex
    let out = e.call_arrived(&call("c2", "shared", 0), 2.0).unwrap();
    assert_eq!(out[0], offer("c2", "g0", "shared", 17.0));
    // a call routed by skills stays within its tenant
    let spec = CallSpec {
        id: "c3".into(),
        skills: Some(vec![]),
        tenant: Some("acme".into()),
        ..CallSpec::default()
    };
    e.offer_accepted("c2", 3.0).unwrap();
    e.call_ended("c2", 4.0).unwrap();
    let out = e.call_arrived(&spec, 5.0).unwrap();
    assert!(matches!(out[0], Decision::Queued { .. }), "{out:?}");
    // a globex call naming an acme queue is refused outright
    let mut spec = call("c4", "private", 0);
    spec.tenant = Some("globex".into());
    assert!(e.call_arrived(&spec, 6.0).is_err());
    e.audit().unwrap();
}

#[test]
fn interval_statistics_count_where_the_call_entered() {
    let mut e = Engine::new(EngineOptions {
        interval: 60.0,
        ..EngineOptions::default()
    })
    .unwrap();
    let mut q = queue("sales", &[]);
    q.sl_threshold = 20.0;
    e.add_queue(q).unwrap();
    e.add_agent(agent("a0", &[])).unwrap();
    e.call_arrived(&call("c1", "sales", 0), 50.0).unwrap();
    e.call_arrived(&call("c2", "sales", 0), 55.0).unwrap();
    e.call_arrived(&call("c3", "sales", 0), 65.0).unwrap();
    e.agent_ready("a0", 70.0).unwrap();
    // c1 answered at 70 (waited 20: within SL), talked until 100
    e.offer_accepted("c1", 70.0).unwrap();
    e.call_abandoned("c2", 75.0).unwrap();
    e.call_ended("c1", 100.0).unwrap();
    e.offer_accepted("c3", 121.0).unwrap();
    let iv = e.interval_stats("sales").unwrap();
    assert_eq!(iv.len(), 2);
    let (start0, first) = &iv[0];
    let (start1, second) = &iv[1];
    assert_eq!((*start0, *start1), (0.0, 60.0));
    assert_eq!(
        (first.offered, first.answered, first.answered_within_sl),
        (2, 1, 1)
    );
    assert_eq!((first.abandoned, first.completed), (1, 1));
    assert_eq!(first.wait_answered_us, 20_000_000);
    assert_eq!(first.wait_abandoned_us, 20_000_000);
    assert_eq!(first.talk_us, 30_000_000);
    // c3 entered at 65 and was answered at 121 (56 s: outside SL), in the 60 s interval
    assert_eq!(
        (second.offered, second.answered, second.answered_within_sl),
        (1, 1, 0)
    );
    assert_eq!(second.wait_answered_us, 56_000_000);
    e.audit().unwrap();
}

#[test]
fn queued_decision_carries_the_expected_wait() {
    let mut e = engine();
    let mut q = queue("sales", &[]);
    q.expected_aht = 120.0;
    e.add_queue(q).unwrap();
    for a in ["a0", "a1", "a2"] {
        e.add_agent(agent(a, &[])).unwrap();
    }
    ready(&mut e, &["a0", "a1", "a2"], 0.0);
    for (i, c) in ["c0", "c1", "c2"].iter().enumerate() {
        let out = e.call_arrived(&call(c, "sales", 0), i as f64).unwrap();
        assert!(matches!(out[0], Decision::Offer { .. }));
        e.offer_accepted(c, i as f64).unwrap();
    }
    // position × AHT / logged-in agents: 1 × 120 / 3, then 2 × 120 / 3
    let out = e.call_arrived(&call("c3", "sales", 0), 5.0).unwrap();
    assert_eq!(out, vec![queued("c3", "sales", 1, 40.0)]);
    let out = e.call_arrived(&call("c4", "sales", 0), 6.0).unwrap();
    assert_eq!(out, vec![queued("c4", "sales", 2, 80.0)]);
    // measured AHT replaces the guess once a call completes: c0 talked 60 s
    e.call_ended("c0", 60.0).unwrap();
    e.offer_accepted("c3", 60.0).unwrap();
    let out = e.call_arrived(&call("c5", "sales", 0), 61.0).unwrap();
    // waiting: c4, c5 -> position 2; 2 × 60 / 3
    assert_eq!(out, vec![queued("c5", "sales", 2, 40.0)]);
    assert_eq!(e.call_info("c5").unwrap().expected_wait, Some(40.0));
    e.audit().unwrap();
}

#[test]
fn round_robin_and_random_strategies_are_reproducible() {
    let run = |strategy: Strategy, seed: u64| {
        let mut e = Engine::new(EngineOptions {
            seed,
            ..EngineOptions::default()
        })
        .unwrap();
        let mut q = queue("sales", &[]);
        q.strategy = strategy;
        e.add_queue(q).unwrap();
        for i in 0..4 {
            e.add_agent(agent(&format!("a{i}"), &[])).unwrap();
            e.agent_ready(&format!("a{i}"), 0.0).unwrap();
        }
        let mut got = Vec::new();
        for i in 0..8 {
            let id = format!("c{i}");
            let t = f64::from(i);
            let out = e.call_arrived(&call(&id, "sales", 0), t).unwrap();
            let Decision::Offer { agent, .. } = &out[0] else {
                panic!("{out:?}")
            };
            got.push(agent.to_string());
            e.offer_accepted(&id, t).unwrap();
            e.call_ended(&id, t).unwrap();
        }
        got
    };
    assert_eq!(
        run(Strategy::RoundRobin, 0),
        ["a0", "a1", "a2", "a3", "a0", "a1", "a2", "a3"]
    );
    assert_eq!(run(Strategy::Random, 7), run(Strategy::Random, 7));
    assert_eq!(run(Strategy::Linear, 0), ["a0"; 8]);
}

#[test]
fn fewest_calls_counts_a_call_as_soon_as_it_is_accepted() {
    // chat agents keep room after accepting: their place in the fewest-calls order must
    // follow the accepted call at once, not only when it ends
    let mut e = engine();
    let mut q = queue("chat", &[]);
    q.media = "chat".into();
    q.strategy = Strategy::FewestCalls;
    e.add_queue(q).unwrap();
    for name in ["a0", "a1"] {
        let mut a = agent(name, &[]);
        a.capacity = vec![("chat".into(), 3)];
        a.exclusive = vec![];
        e.add_agent(a).unwrap();
    }
    ready(&mut e, &["a0", "a1"], 0.0);
    let chat = |id: &str| CallSpec {
        id: id.into(),
        queue: Some("chat".into()),
        ..CallSpec::default()
    };
    let out = e.call_arrived(&chat("c1"), 1.0).unwrap();
    assert_eq!(out[0], offer("c1", "a0", "chat", 16.0));
    e.offer_accepted("c1", 2.0).unwrap(); // a0: 1 handled, 1 chat
    let out = e.call_arrived(&chat("c2"), 3.0).unwrap();
    assert_eq!(out[0], offer("c2", "a1", "chat", 18.0)); // a1: 0 handled, 1 chat (offered)
                                                         // both hold one chat; a1 has handled fewer
    let out = e.call_arrived(&chat("c3"), 4.0).unwrap();
    assert_eq!(out[0], offer("c3", "a1", "chat", 19.0));
    e.audit().unwrap();
}

#[test]
fn overflow_must_keep_the_media() {
    let mut e = engine();
    let mut chat = queue("chat", &[]);
    chat.media = "chat".into();
    e.add_queue(chat).unwrap();
    let mut voice = queue("voice", &[]);
    voice.max_wait = Some(5.0);
    voice.overflow = Some("chat".into());
    let before = e.snapshot();
    assert!(e.add_queue(voice).is_err());
    assert!(e.snapshot() == before);
}

// ---------------------------------------------------------------------------- auto-answer

/// Snapshot, restore, and check the restored engine answers like the original.
fn restores_identically(e: &Engine) -> Engine {
    let bytes = e.snapshot();
    let r = Engine::restore(&bytes).unwrap();
    assert!(
        r.snapshot() == bytes,
        "restore then snapshot changed the bytes"
    );
    r.audit().unwrap();
    r
}

#[test]
fn auto_answer_agent_is_connected_at_once() {
    let mut e = engine();
    e.add_queue(queue("sales", &[])).unwrap();
    e.add_agent(auto_agent("a0", &[])).unwrap();
    ready(&mut e, &["a0"], 0.0);
    let out = e.call_arrived(&call("c1", "sales", 0), 5.0).unwrap();
    // straight from ready to busy: never offered, no lease, no offer timer
    assert_eq!(
        out,
        vec![
            auto_offer("c1", "a0", "sales", 5.0),
            state("a0", AgentState::Busy)
        ]
    );
    assert_eq!(e.agent_state("a0").unwrap(), AgentState::Busy);
    let info = e.call_info("c1").unwrap();
    assert_eq!(
        (info.state, info.agent.as_deref()),
        ("connected", Some("a0"))
    );
    assert_eq!(e.next_deadline(), None);
    let stats = e.queue_stats("sales").unwrap();
    assert_eq!((stats.offering, stats.waiting), (0, 0));
    assert_eq!(
        (stats.counters.answered, stats.counters.answered_within_sl),
        (1, 1)
    );
    assert_eq!(stats.counters.wait_answered_us, 0);
    e.audit().unwrap();

    // nothing to accept or decline: both fail and change nothing
    let before = e.snapshot();
    for res in [e.offer_accepted("c1", 6.0), e.offer_declined("c1", 6.0)] {
        match res {
            Err(EngineError::WrongState(m)) => assert!(m.contains("connected"), "{m}"),
            other => panic!("expected a wrong-state error, got {other:?}"),
        }
    }
    assert!(e.call_abandoned("c1", 6.0).is_err());
    assert!(e.snapshot() == before, "a refused event changed the engine");

    // the next call waits for the busy agent, then is connected when it frees up
    let out = e.call_arrived(&call("c2", "sales", 0), 7.0).unwrap();
    assert!(
        matches!(out[..], [Decision::Queued { position: 1, .. }]),
        "{out:?}"
    );
    let mut e = restores_identically(&e);
    let out = e.call_ended("c1", 20.0).unwrap();
    assert_eq!(out, vec![auto_offer("c2", "a0", "sales", 20.0)]);
    assert_eq!(e.agent_state("a0").unwrap(), AgentState::Busy);
    assert_eq!(e.call_info("c2").unwrap().state, "connected");
    let stats = e.queue_stats("sales").unwrap();
    assert_eq!(stats.counters.answered, 2);
    assert_eq!(stats.counters.wait_answered_us, 13_000_000); // c2 waited 7 -> 20
    assert_eq!(stats.counters.asa(), 6.5);
    assert_eq!(
        e.call_ended("c2", 30.0).unwrap(),
        vec![state("a0", AgentState::Ready)]
    );
    let agent = e.agent_stats("a0").unwrap();
    assert_eq!(
        (agent.handled, agent.offered, agent.declined, agent.missed),
        (2, 2, 0, 0)
    );
    assert_eq!(agent.offered_time, 0.0);
    assert_eq!(agent.talk, 25.0);
    let totals = e.totals();
    assert_eq!(
        (totals.arrived, totals.completed, totals.active()),
        (2, 2, 0)
    );
    e.audit().unwrap();
}

#[test]
fn auto_answer_agent_with_wrapup_takes_the_next_call_after_it() {
    let mut e = engine();
    let mut q = queue("sales", &[]);
    q.wrapup = 10.0;
    e.add_queue(q).unwrap();
    e.add_agent(auto_agent("a0", &[])).unwrap();
    ready(&mut e, &["a0"], 0.0);
    e.call_arrived(&call("c1", "sales", 0), 1.0).unwrap();
    e.call_arrived(&call("c2", "sales", 0), 2.0).unwrap();
    assert_eq!(
        e.call_ended("c1", 5.0).unwrap(),
        vec![state("a0", AgentState::WrapUp)]
    );
    assert_eq!(e.next_deadline(), Some(15.0));
    let mut r = restores_identically(&e);
    let out = e.advance(15.0).unwrap();
    assert_eq!(
        out,
        vec![
            auto_offer("c2", "a0", "sales", 15.0),
            state("a0", AgentState::Busy)
        ]
    );
    assert_eq!(r.advance(15.0).unwrap(), out);
    assert!(r.snapshot() == e.snapshot());
    e.audit().unwrap();
}

#[test]
fn mixed_queue_of_auto_answer_and_ringing_agents() {
    let mut e = engine();
    let mut q = queue("sales", &[]);
    q.offer_timeout = 10.0;
    q.retry = 30.0;
    e.add_queue(q).unwrap();
    e.add_agent(agent("ring", &[])).unwrap();
    e.add_agent(auto_agent("auto", &[])).unwrap();
    // longest idle: "ring" first
    ready(&mut e, &["ring"], 0.0);
    ready(&mut e, &["auto"], 1.0);
    let out = e.call_arrived(&call("c1", "sales", 0), 10.0).unwrap();
    assert_eq!(
        out,
        vec![
            offer("c1", "ring", "sales", 20.0),
            state("ring", AgentState::Offered)
        ]
    );
    let out = e.call_arrived(&call("c2", "sales", 0), 11.0).unwrap();
    assert_eq!(
        out,
        vec![
            auto_offer("c2", "auto", "sales", 11.0),
            state("auto", AgentState::Busy)
        ]
    );
    let stats = e.queue_stats("sales").unwrap();
    assert_eq!((stats.offering, stats.counters.answered), (1, 1));
    // only the ringing agent's offer has a timer
    assert_eq!(e.next_deadline(), Some(20.0));
    let mut e = restores_identically(&e);
    // "ring" lets it lapse: c1 waits ("ring" is excluded from it for 30 s)
    let out = e.advance(20.0).unwrap();
    assert_eq!(
        out[0],
        Decision::Revoked {
            call: s("c1"),
            agent: s("ring"),
            reason: RevokeReason::NoAnswer,
        }
    );
    assert!(
        matches!(out[1], Decision::Queued { position: 1, .. }),
        "{out:?}"
    );
    assert_eq!(e.call_info("c1").unwrap().state, "waiting");
    // the auto-answer agent frees up and is connected to c1 at once
    let out = e.call_ended("c2", 25.0).unwrap();
    assert_eq!(out, vec![auto_offer("c1", "auto", "sales", 25.0)]);
    assert_eq!(e.call_info("c1").unwrap().agent.as_deref(), Some("auto"));
    let stats = e.queue_stats("sales").unwrap();
    assert_eq!((stats.offering, stats.waiting), (0, 0));
    assert_eq!(stats.counters.answered, 2);
    // c1 waited 10 -> 25, c2 not at all
    assert_eq!(stats.counters.wait_answered_us, 15_000_000);
    // a third call goes to the ringing agent, with a lease to accept
    let out = e.call_arrived(&call("c3", "sales", 0), 26.0).unwrap();
    assert_eq!(out[0], offer("c3", "ring", "sales", 36.0));
    assert!(e.offer_accepted("c1", 27.0).is_err());
    assert_eq!(
        e.offer_accepted("c3", 27.0).unwrap(),
        vec![state("ring", AgentState::Busy)]
    );
    assert_eq!(e.agent_stats("ring").unwrap().missed, 1);
    assert_eq!(e.agent_stats("auto").unwrap().missed, 0);
    e.audit().unwrap();
    restores_identically(&e);
}

#[test]
fn auto_answer_agent_with_room_for_several_chats_takes_them_all() {
    let mut e = engine();
    let mut q = queue("chat", &[]);
    q.media = "chat".to_owned();
    e.add_queue(q).unwrap();
    let mut a = auto_agent("a0", &[]);
    a.capacity = vec![("chat".to_owned(), 2)];
    e.add_agent(a).unwrap();
    for (i, t) in [(1, 1.0), (2, 2.0), (3, 3.0)] {
        let out = e
            .call_arrived(&call(&format!("c{i}"), "chat", 0), t)
            .unwrap();
        assert!(matches!(out[..], [Decision::Queued { .. }]), "{out:?}");
    }
    // logging in, the agent is connected to as many chats as it has room for
    let out = e.agent_ready("a0", 10.0).unwrap();
    assert_eq!(
        out,
        vec![
            auto_offer("c1", "a0", "chat", 10.0),
            state("a0", AgentState::Busy),
            auto_offer("c2", "a0", "chat", 10.0),
        ]
    );
    assert_eq!(e.call_info("c3").unwrap().position, Some(1));
    let stats = e.queue_stats("chat").unwrap();
    assert_eq!(
        (stats.counters.answered, stats.offering, stats.waiting),
        (2, 0, 1)
    );
    let mut e = restores_identically(&e);
    assert_eq!(
        e.call_ended("c1", 12.0).unwrap(),
        vec![auto_offer("c3", "a0", "chat", 12.0)]
    );
    assert_eq!(
        e.queue_stats("chat").unwrap().counters.wait_answered_us,
        9_000_000 + 8_000_000 + 9_000_000
    );
    e.audit().unwrap();
}

#[test]
fn one_implicit_queue_per_tenant_and_requirements_also_after_a_restore() {
    // docs/engine.md: calls routed by skills go to an implicit queue per distinct
    // (tenant, media, requirements), created on first use
    let mut e = engine();
    e.add_agent(agent("a0", &[("en", 3), ("fr", 2)])).unwrap();
    e.add_agent(AgentConfig {
        skills: vec![("en".into(), 3)],
        ..AgentConfig::new("g0", "globex")
    })
    .unwrap();
    let mut n = 0;
    let mut by_skills = |e: &mut Engine, skills: &[(&str, u8)], tenant: &str| {
        n += 1;
        let spec = CallSpec {
            id: format!("c{n}"),
            skills: Some(skills.iter().map(|&(s, l)| (s.to_owned(), l)).collect()),
            tenant: Some(tenant.into()),
            ..CallSpec::default()
        };
        let out = e.call_arrived(&spec, f64::from(n)).unwrap();
        match &out[0] {
            Decision::Queued { queue, .. } => queue.clone(),
            d => panic!("{d:?}"),
        }
    };
    let q1 = by_skills(&mut e, &[("en", 2), ("fr", 1)], "acme");
    // the same requirements in another order: the same queue
    assert_eq!(by_skills(&mut e, &[("fr", 1), ("en", 2)], "acme"), q1);
    // another level, a subset, another tenant: each a queue of its own
    let q2 = by_skills(&mut e, &[("en", 3), ("fr", 1)], "acme");
    let q3 = by_skills(&mut e, &[("en", 2)], "acme");
    let q4 = by_skills(&mut e, &[("en", 2)], "globex");
    let mut all = vec![q1.clone(), q2.clone(), q3.clone(), q4.clone()];
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4);
    assert_eq!(e.queue_ids().len(), 4);
    // a restored engine finds the queues it had
    let mut r = Engine::restore(&e.snapshot()).unwrap();
    assert_eq!(by_skills(&mut r, &[("fr", 1), ("en", 2)], "acme"), q1);
    assert_eq!(by_skills(&mut r, &[("en", 2)], "globex"), q4);
    assert_eq!(r.queue_ids().len(), 4);
    assert_eq!(r.queue_stats(&q1).unwrap().waiting, 3);
    r.audit().unwrap();
}
