//! Model pieces shared by the simulator's test files: a fixed group of alike agents and a
//! queue-routed call type with every optional behaviour off.

use callroute_core::sim::{AgentGroup, CallType, Dist, Staffing};

/// `count` agents always on duty, no skills, answering at once.
pub fn group(name: &str, count: u32) -> AgentGroup {
    AgentGroup {
        name: name.into(),
        tenant: "default".into(),
        skills: vec![],
        capacity: None,
        exclusive: None,
        weight: 1.0,
        staffing: Staffing::Fixed { count },
        no_answer: 0.0,
        ring: Dist::Deterministic { value: 0.0 },
    }
}

/// A call type joining `queue`, with its talk time and patience and nothing else.
pub fn call(name: &str, queue: &str, handle: Dist, patience: Dist) -> CallType {
    CallType {
        name: name.into(),
        queue: Some(queue.into()),
        skills: None,
        priority: 0,
        tenant: None,
        media: None,
        share: 1.0,
        arrivals: None,
        handle,
        patience,
        wrapup: None,
        retrial: None,
        callback: None,
        sl_threshold: None,
        handle_by_period: None,
        patience_by_period: None,
        wrapup_by_period: None,
        handle_by_group: None,
        handle_by_level: None,
        balking: None,
    }
}
