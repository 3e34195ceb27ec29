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
