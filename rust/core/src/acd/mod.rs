//! The routing engine: event-driven, skill-based automatic call distribution.
//!
//! [`Engine`] is a deterministic state machine with no I/O and no clock: every input carries
//! the current time, returns the [`Decision`]s it causes, and [`Engine::advance`] fires the
//! timers that [`Engine::next_deadline`] announces. See `engine/mod.rs` for the indices that
//! keep every event O(log n).

mod config;
mod decision;
mod engine;
mod error;
pub(crate) mod keys;
mod ordset;
mod stats;
mod timers;

pub use config::{
    AgentConfig, CallSpec, QueueConfig, StepConfig, Strategy, MAX_REASONS, MAX_SECONDS,
};
pub use decision::{AgentState, Decision, ExitReason, Outcome, RevokeReason};
pub(crate) use engine::{CallId, Out, RawPresence};
pub use engine::{CallInfo, CallView, EligibleAgents, Engine, EngineOptions, Scorer, Totals};
pub use error::EngineError;
pub use stats::{AgentStats, QueueCounters, QueueStats, MAX_TOTAL_US};
