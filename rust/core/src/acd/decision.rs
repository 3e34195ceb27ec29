//! What the engine decides: the outputs the shell acts on.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The state an agent is seen in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AgentState {
    /// not logged in
    LoggedOut,
    /// logged in, ready, no task
    Ready,
    /// has an offer outstanding (ringing)
    Offered,
    /// on at least one call
    Busy,
    /// only after-call work left
    WrapUp,
    /// logged in but not taking calls, with a reason ("lunch", "no answer", ...)
    NotReady(Arc<str>),
}

impl AgentState {
    /// Short lowercase name: `logged_out`, `ready`, `offered`, `busy`, `wrapup`, `not_ready`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::LoggedOut => "logged_out",
            Self::Ready => "ready",
            Self::Offered => "offered",
            Self::Busy => "busy",
            Self::WrapUp => "wrapup",
            Self::NotReady(_) => "not_ready",
        }
    }
}

/// Why a call left a queue without being answered by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ExitReason {
    /// waited `max_wait` with no overflow set
    MaxWait,
    /// the queue is closed
    Closed,
    /// no eligible agent logged in (join or leave when empty)
    NoAgents,
}

impl ExitReason {
    /// `max_wait`, `closed` or `no_agents`.
    pub fn name(self) -> &'static str {
        match self {
            Self::MaxWait => "max_wait",
            Self::Closed => "closed",
            Self::NoAgents => "no_agents",
        }
    }
}

/// Why an outstanding offer was taken back from an agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RevokeReason {
    /// the agent did not answer before the offer expired
    NoAnswer,
    /// the caller hung up while the agent was being offered the call
    Abandoned,
    /// the call was transferred elsewhere while offered
    Transferred,
    /// the agent logged out
    LoggedOut,
}

impl RevokeReason {
    /// `no_answer`, `abandoned`, `transferred` or `logged_out`.
    pub fn name(self) -> &'static str {
        match self {
            Self::NoAnswer => "no_answer",
            Self::Abandoned => "abandoned",
            Self::Transferred => "transferred",
            Self::LoggedOut => "logged_out",
        }
    }
}

/// One decision. Times are seconds on the caller's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Decision {
    /// Offer `call` to `agent` until `expires`.
    Offer {
        /// call id
        call: Arc<str>,
        /// agent id
        agent: Arc<str>,
        /// queue the call is in
        queue: Arc<str>,
        /// the offer lapses at this time
        expires: f64,
        /// the caller left a callback request: the agent calls back
        callback: bool,
        /// the agent answers automatically: the call is connected already, with no lease
        /// (`expires` is the time of the offer); absent from decisions serialized before
        /// it existed, where it was false
        #[serde(default)]
        auto_answer: bool,
        /// the call's attached data (`CallSpec::data`), in its order, for the agent's
        /// screen; absent from decisions serialized before it existed, where it was empty
        #[serde(default)]
        data: Vec<(Arc<str>, Arc<str>)>,
    },
    /// The call waits: its position (1 = next) and expected wait in seconds.
    Queued {
        /// call id
        call: Arc<str>,
        /// queue id
        queue: Arc<str>,
        /// 1-based position in the queue's order
        position: u32,
        /// expected wait from now, seconds (infinite with no eligible agent logged in)
        expected_wait: f64,
    },
    /// An offer was taken back; the call, if still there, returns to its place.
    Revoked {
        /// call id
        call: Arc<str>,
        /// agent id
        agent: Arc<str>,
        /// why
        reason: RevokeReason,
    },
    /// The call moved to another queue (overflow at max wait).
    Overflow {
        /// call id
        call: Arc<str>,
        /// queue left
        from_queue: Arc<str>,
        /// queue joined
        to_queue: Arc<str>,
    },
    /// The call leaves the engine unanswered: play a message and hang up, or route elsewhere.
    Exit {
        /// call id
        call: Arc<str>,
        /// queue id
        queue: Arc<str>,
        /// why
        reason: ExitReason,
    },
    /// A relaxation step applied to a waiting call.
    Step {
        /// call id
        call: Arc<str>,
        /// queue id
        queue: Arc<str>,
        /// 1-based step number
        step: u32,
    },
    /// An agent's state changed.
    AgentState {
        /// agent id
        agent: Arc<str>,
        /// the new state
        state: AgentState,
    },
}

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// answered and ended
    Completed,
    /// the caller hung up before an answer (or cancelled a callback)
    Abandoned,
    /// left unanswered after waiting (max wait, no agents)
    Exited,
    /// refused on arrival (queue closed, no agents)
    Rejected,
}
