//! Decisions: the compact [`Out`] records an input collects, and their conversion into
//! the public [`Decision`]s it returns.

use std::sync::Arc;

use crate::acd::decision::{Decision, ExitReason, RevokeReason};

use super::model::State;
use super::names::CallId;
use super::Engine;

/// A [`Decision`] as collected during an input: agents and queues by index (never removed),
/// so their ids are cloned only when the decisions are handed out. The simulator reads
/// these directly (see [`Engine::keep_raw_decisions`]).
#[derive(Clone, Debug)]
pub(crate) enum Out {
    Offer {
        call: CallId,
        agent: u32,
        queue: u32,
        expires: f64,
        callback: bool,
        auto_answer: bool,
        data: Vec<(Arc<str>, Arc<str>)>,
    },
    Queued {
        call: CallId,
        queue: u32,
        position: u32,
        expected_wait: f64,
    },
    Revoked {
        call: CallId,
        agent: u32,
        reason: RevokeReason,
    },
    Overflow {
        call: CallId,
        from_queue: u32,
        to_queue: u32,
    },
    Exit {
        call: CallId,
        queue: u32,
        reason: ExitReason,
    },
    Step {
        call: CallId,
        queue: u32,
        step: u32,
    },
    AgentState {
        agent: u32,
        state: State,
    },
}

impl Engine {
    pub(super) fn take_out(&mut self) -> Vec<Decision> {
        if self.raw_out {
            return Vec::new();
        }
        let mut out = std::mem::take(&mut self.out);
        let decisions = out.drain(..).map(|o| self.decision(o)).collect();
        if out.capacity() <= 64 {
            self.out = out; // keeps its room for the next input
        }
        // (after the decisions are read: they name queues by index)
        if !self.emptied.is_empty() {
            self.free_emptied();
        }
        decisions
    }

    pub(super) fn decision(&self, o: Out) -> Decision {
        let agent = |a: u32| self.agents[a as usize].id.clone();
        let queue = |q: u32| self.queues[q as usize].id.clone();
        match o {
            Out::Offer {
                call,
                agent: a,
                queue: q,
                expires,
                callback,
                auto_answer,
                data,
            } => Decision::Offer {
                call: call.into_arc(),
                agent: agent(a),
                queue: queue(q),
                expires,
                callback,
                auto_answer,
                data,
            },
            Out::Queued {
                call,
                queue: q,
                position,
                expected_wait,
            } => Decision::Queued {
                call: call.into_arc(),
                queue: queue(q),
                position,
                expected_wait,
            },
            Out::Revoked {
                call,
                agent: a,
                reason,
            } => Decision::Revoked {
                call: call.into_arc(),
                agent: agent(a),
                reason,
            },
            Out::Overflow {
                call,
                from_queue,
                to_queue,
            } => Decision::Overflow {
                call: call.into_arc(),
                from_queue: queue(from_queue),
                to_queue: queue(to_queue),
            },
            Out::Exit {
                call,
                queue: q,
                reason,
            } => Decision::Exit {
                call: call.into_arc(),
                queue: queue(q),
                reason,
            },
            Out::Step {
                call,
                queue: q,
                step,
            } => Decision::Step {
                call: call.into_arc(),
                queue: queue(q),
                step,
            },
            Out::AgentState { agent: a, state } => Decision::AgentState {
                agent: agent(a),
                state: self.public_state(state),
            },
        }
    }
}
