//! Engine defects the oracle (tests/oracle) found, each as the shortest scenario that shows
//! it, with the decisions docs/engine.md requires.

use std::sync::Arc;

use callroute_core::acd::{
    AgentConfig, AgentState, CallSpec, Decision, Engine, EngineOptions, QueueConfig, RevokeReason,
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
