//! Engine defects the oracle (tests/oracle) found, each as the shortest scenario that shows
//! it, with the decisions docs/engine.md requires.

use std::sync::Arc;

use callroute_core::acd::{
    AgentConfig, AgentState, CallSpec, CallView, Decision, Engine, EngineOptions, QueueConfig,
    RevokeReason, Scorer, Strategy,
};

fn s(x: &str) -> Arc<str> {
    Arc::from(x)
}

fn engine() -> Engine {
    Engine::new(EngineOptions::default()).unwrap()
}

fn call(id: &str, queue: &str) -> CallSpec {
    CallSpec {
        id: id.to_owned(),
        queue: Some(queue.to_owned()),
        ..CallSpec::default()
    }
}

/// A call offered to the only agent of its queue goes back to its place when the agent logs
/// out, with the agent no longer logged in: "Infinite with no eligible agent logged in".
/// (The engine counted the departing agent until after the announcement: 180 s, one AHT.)
#[test]
fn a_call_revoked_at_logout_is_announced_without_the_agent() {
    let mut e = engine();
    e.add_queue(QueueConfig::new("q", "t")).unwrap();
    e.add_agent(AgentConfig::new("a", "t")).unwrap();
    e.agent_ready("a", 0.0).unwrap();
    e.call_arrived(&call("c", "q"), 1.0).unwrap();
    let out = e.agent_logout("a", 2.0).unwrap();
    assert_eq!(
        out,
        vec![
            Decision::Revoked {
                call: s("c"),
                agent: s("a"),
                reason: RevokeReason::LoggedOut,
            },
            Decision::Queued {
                call: s("c"),
                queue: s("q"),
                position: 1,
                expected_wait: f64::INFINITY,
            },
            Decision::AgentState {
                agent: s("a"),
                state: AgentState::LoggedOut,
            },
        ]
    );
    assert_eq!(e.call_info("c").unwrap().expected_wait, Some(f64::INFINITY));
    e.audit().unwrap();
}

/// Scores an agent by its number: `a2` over `a1` over `a0`.
struct ByNumber;

impl Scorer for ByNumber {
    fn score(&mut self, _call: &CallView<'_>, agents: &[Arc<str>]) -> Vec<f64> {
        agents.iter().map(|a| a[1..].parse().unwrap()).collect()
    }
}

/// The agent a `round_robin` or `custom` queue picks when its least-loaded free agent has
/// just declined the call: the strategy's pick among the least loaded of the others
/// ("Among the free eligible agents, least loaded in the queue's media first, then" the
/// strategy). The engine took the first of them in the order agents were added, skipping
/// the rotation and the scorer.
fn pick_after_a_decline(strategy: Strategy) -> Arc<str> {
    let mut e = engine();
    e.set_scorer(Some(Box::new(ByNumber)));
    let mut q = QueueConfig::new("q", "t");
    q.media = "chat".into();
    q.strategy = strategy;
    q.retry = 10.0;
    e.add_queue(q).unwrap();
    let mut other = QueueConfig::new("other", "t");
    other.media = "chat".into();
    other.skills = vec![("x".into(), 1)];
    other.strategy = Strategy::Linear;
    e.add_queue(other).unwrap();
    for name in ["a0", "a1", "a2", "a3"] {
        let mut a = AgentConfig::new(name, "t");
        a.capacity = vec![("chat".into(), 2)];
        if name == "a1" || name == "a2" {
            a.skills = vec![("x".into(), 1)];
        }
        e.add_agent(a).unwrap();
    }
    // a3 is offered c1; a1 and a2 are each offered a call of the other queue; then a0 c2
    e.agent_ready("a3", 0.0).unwrap();
    e.call_arrived(&call("c1", "q"), 1.0).unwrap();
    e.agent_ready("a1", 2.0).unwrap();
    e.agent_ready("a2", 2.0).unwrap();
    e.call_arrived(&call("o1", "other"), 3.0).unwrap();
    e.call_arrived(&call("o2", "other"), 3.0).unwrap();
    e.agent_ready("a0", 4.0).unwrap();
    e.call_arrived(&call("c2", "q"), 5.0).unwrap();
    for (c, a) in [("c1", "a3"), ("o1", "a1"), ("o2", "a2"), ("c2", "a0")] {
        assert_eq!(e.call_info(c).unwrap().agent, Some(s(a)), "{c}");
    }
    // a3 declines: free with no load, but not to be offered c1 again for 10 s; a0, a1, a2
    // each hold one chat
    let out = e.offer_declined("c1", 6.0).unwrap();
    e.audit().unwrap();
    match &out[..] {
        [Decision::Offer { call, agent, .. }, ..] if &**call == "c1" => agent.clone(),
        _ => panic!("c1 not offered again: {out:?}"),
    }
}

#[test]
fn round_robin_rotates_among_the_agents_a_declined_call_may_go_to() {
    // the last call went to a0: the next after it is a1
    assert_eq!(pick_after_a_decline(Strategy::RoundRobin), s("a1"));
}

#[test]
fn the_scorer_chooses_among_the_agents_a_declined_call_may_go_to() {
    assert_eq!(pick_after_a_decline(Strategy::Custom), s("a2"));
}

fn call_with(id: &str, queue: &str, priority: i32) -> CallSpec {
    CallSpec {
        priority,
        ..call(id, queue)
    }
}

/// The call an agent of two queues takes when the best of each are at the same effective
/// priority: the one of the queue of higher weight ("then (2) the highest queue weight").
/// q1 ages 0.2 points a second: c4 (priority 0) arrived at 30.5, so at 40.5 it is at
/// 0 + 0.2 × 10 = 2 points, as c3 (priority 2, no aging) is. The engine summed the aging in
/// binary floating point, came out just below 2 and offered c3.
#[test]
fn calls_at_equal_aged_priority_across_queues_go_by_queue_weight() {
    let mut e = engine();
    e.add_queue(QueueConfig::new("q0", "t")).unwrap();
    let mut q1 = QueueConfig::new("q1", "t");
    q1.aging = 0.2;
    q1.weight = 1;
    e.add_queue(q1).unwrap();
    e.add_agent(AgentConfig::new("a", "t")).unwrap();
    e.call_arrived(&call_with("c3", "q0", 2), 28.0).unwrap();
    e.call_arrived(&call_with("c4", "q1", 0), 30.5).unwrap();
    let out = e.agent_ready("a", 40.5).unwrap();
    e.audit().unwrap();
    match &out[..] {
        [Decision::Offer { call, agent, .. }, ..] => {
            assert_eq!((call, agent), (&s("c4"), &s("a")), "{out:?}");
        }
        _ => panic!("no offer: {out:?}"),
    }
}

/// Two calls of one queue (aging 0.05) whose effective priorities are equal at every
/// moment: c16 (priority -1, at 63.5) and c25 (priority 0, at 83.5), 20 s × 0.05 = 1 point
/// apart. The older is first ("then (3) the earliest original arrival"): c25 is second in
/// line, and the agent takes c16. The engine put c25 first.
#[test]
fn calls_at_equal_aged_priority_in_one_queue_go_oldest_first() {
    let mut e = engine();
    let mut q = QueueConfig::new("q", "t");
    q.aging = 0.05;
    e.add_queue(q).unwrap();
    e.add_agent(AgentConfig::new("a", "t")).unwrap();
    e.call_arrived(&call_with("c16", "q", -1), 63.5).unwrap();
    let out = e.call_arrived(&call_with("c25", "q", 0), 83.5).unwrap();
    let position = out.iter().find_map(|d| match d {
        Decision::Queued { call, position, .. } if &**call == "c25" => Some(*position),
        _ => None,
    });
    assert_eq!(position, Some(2), "{out:?}");
    assert_eq!(e.call_info("c25").unwrap().position, Some(2));
    let out = e.agent_ready("a", 90.0).unwrap();
    e.audit().unwrap();
    match &out[..] {
        [Decision::Offer { call, .. }, ..] => assert_eq!(call, &s("c16"), "{out:?}"),
        _ => panic!("no offer: {out:?}"),
    }
}
