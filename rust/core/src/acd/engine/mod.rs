//! The engine: one single-writer state machine. Events in, decisions out, explicit time.
//!
//! Indices (all ordered, so every choice is deterministic):
//! - per queue step, the free eligible agents ordered by the queue's strategy key;
//! - per queue step, the waiting calls at that step, by aged priority, arrival, sequence
//!   (these two per-step indices are `OrdSet`s: sorted ring buffers while small, where keys
//!   mostly come in at the back and leave at the front, B-trees once large);
//! - per queue, every waiting call in that order (an order-statistic set, for positions;
//!   not kept in the simulator's raw mode, which announces no positions);
//! - one timer map keyed by (deadline, sequence).
//!
//! Calls live in numbered slots; a freed slot keeps its dead call, which the next call in
//! it is written over (see `slots`).
//!
//! An agent belongs to the steps whose requirements it meets ("memberships", computed when
//! agents or queues are added). When an agent frees up it looks at the head of the waiting
//! set of each step it belongs to; when a call arrives or relaxes it looks at the head of its
//! step's availability set. Work per event is O(memberships · log n).
//!
//! Every public input validates first and mutates after, so an error leaves the engine as it
//! was. Timers fire only in [`Engine::advance`]; inputs never fire them implicitly.
//!
//! The modules, roughly in the order of `docs/engine.md`, each with its part of `impl Engine`:
//! - `model`: the records (agents, queues and their steps, calls, timers, intervals);
//! - `names`: string tables, call ids and the id lookups;
//! - `setup`: a new engine, queues, agents and their memberships;
//! - `clock`: time checks, timers and [`Engine::advance`];
//! - `agents`: presence, wrap-up and the agents' reported states;
//! - `select`: choosing an agent for a call (the strategies) and a call for an agent;
//! - `lifecycle`: a call from arrival through its queue to exit or finish;
//! - `implicit`: the implicit queues of skills-routed calls, freed when unused;
//! - `offers`: offers made, revoked, lapsed, declined and accepted;
//! - `endings`: a call ended, abandoned, transferred, or called back;
//! - `decisions`: the collected decisions and their public form;
//! - `queries`: states, call information and statistics; `by_skill`: the agents holding
//!   each skill, for [`Engine::eligible_agents`];
//! - `snapshot` (with `check`, which vets what it decodes) and `audit`;
//! - `raw`: the simulator's crate-internal inputs; `slots`: the call slots.

use std::collections::BTreeSet;
use std::sync::Arc;

// lookups only: nothing iterates these maps, so their order never reaches a decision
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use crate::acd::config::QueueConfig;
use crate::acd::keys::{secs, Rng, Us};
use crate::acd::timers::Timers;

use model::{Agent, Queue, QueueStep, SkillQueue, Timer};
use names::Names;

mod agents;
mod audit;
mod by_skill;
mod check;
mod clock;
mod decisions;
mod endings;
mod implicit;
mod lifecycle;
mod model;
mod names;
mod offers;
mod queries;
mod raw;
mod select;
mod setup;
mod slots;
mod snapshot;

pub use by_skill::EligibleAgents;
pub(crate) use decisions::Out;
pub(crate) use names::CallId;
pub(crate) use raw::RawPresence;

/// A user-supplied scorer for queues with [`Strategy::Custom`](crate::acd::Strategy::Custom).
pub trait Scorer: Send {
    /// One score per candidate agent (higher wins; ties go to the earlier candidate).
    /// Candidates are the free eligible agents, least loaded, in the order agents were added.
    /// A wrong-length answer or a NaN makes the engine fall back to the first candidate.
    fn score(&mut self, call: &CallView<'_>, agents: &[Arc<str>]) -> Vec<f64>;
}

/// What a scorer sees of a call.
#[derive(Debug)]
pub struct CallView<'a> {
    /// call id
    pub id: &'a str,
    /// queue id
    pub queue: &'a str,
    /// current priority (with step boosts)
    pub priority: i32,
    /// seconds since the call first arrived
    pub waited: f64,
    /// attached data
    pub data: &'a [(Arc<str>, Arc<str>)],
}

/// Engine-wide settings.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineOptions {
    /// seed of the random strategies
    pub seed: u64,
    /// length of the statistics intervals, seconds
    pub interval: f64,
    /// settings of the implicit queues made for calls routed by skills
    pub skill_queue: QueueConfig,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            interval: 1800.0,
            skill_queue: QueueConfig::new("", ""),
        }
    }
}

/// Conservation totals over the engine's life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// calls that arrived
    pub arrived: u64,
    /// answered and ended
    pub completed: u64,
    /// hung up before an answer
    pub abandoned: u64,
    /// left unanswered after waiting
    pub exited: u64,
    /// refused at arrival
    pub rejected: u64,
}

impl Totals {
    /// Calls still in the engine (waiting, offered or connected).
    pub fn active(&self) -> u64 {
        self.arrived - self.completed - self.abandoned - self.exited - self.rejected
    }
}

/// A waiting or active call, as reported by [`Engine::call_info`].
#[derive(Clone, Debug, PartialEq)]
pub struct CallInfo {
    /// queue id
    pub queue: Arc<str>,
    /// "waiting", "offered" or "connected"
    pub state: &'static str,
    /// the agent offered or connected
    pub agent: Option<Arc<str>>,
    /// 1-based position while waiting
    pub position: Option<u32>,
    /// expected wait from now while waiting (seconds)
    pub expected_wait: Option<f64>,
    /// original arrival time (seconds)
    pub arrival: f64,
    /// current priority
    pub priority: i32,
    /// relaxation step reached (0 = none)
    pub step: u32,
    /// a callback was requested
    pub callback: bool,
    /// attached data
    pub data: Vec<(Arc<str>, Arc<str>)>,
}

/// The routing engine. See the module documentation for its indices.
#[derive(Serialize, Deserialize)]
pub struct Engine {
    clock: Us,
    interval: Us,
    options_seed: u64,
    skill_queue: QueueConfig,
    skills: Names,
    tenants: Names,
    media: Names,
    reasons: Names,
    agents: Vec<Agent>,
    queues: Vec<Queue>,
    virtual_queues: Vec<SkillQueue>,
    qs: Vec<QueueStep>,
    calls: slots::Slots,
    free_calls: Vec<u32>,
    timers: Timers<Timer>,
    timer_seq: u64,
    call_seq: u64,
    task_seq: u64,
    rng: Rng,
    totals: Totals,
    scorer_failures: u64,
    #[serde(skip)]
    agent_ids: HashMap<Arc<str>, u32>,
    #[serde(skip)]
    queue_ids: HashMap<Arc<str>, u32>,
    #[serde(skip)]
    call_ids: HashMap<Arc<str>, u32>,
    /// the implicit queue of each (tenant, media, requirements), as in `virtual_queues`
    /// (rebuilt after a restore)
    #[serde(skip)]
    skill_queue_ids: HashMap<SkillKey, u32>,
    #[serde(skip)]
    scorer: Option<Box<dyn Scorer>>,
    #[serde(skip)]
    out: Vec<Out>,
    /// inputs leave their decisions in `out` for the simulator (crate-internal)
    #[serde(skip)]
    raw_out: bool,
    /// raw mode: calls auto-answered (see `raw_answered`)
    #[serde(skip)]
    answered_out: Vec<(u32, u32)>,
    /// (start µs, index) of the interval `interval_of` last found
    #[serde(skip, default = "no_interval")]
    last_interval: (Us, i64),
    /// implicit queues a call or task left during the input (see `implicit`)
    #[serde(skip)]
    emptied: Vec<u32>,
    /// vacant queue slots (freed implicit queues'); rebuilt after a restore
    #[serde(skip)]
    free_queues: BTreeSet<u32>,
    /// per skill index, the agents holding it, ascending (see `by_skill`); rebuilt after a
    /// restore
    #[serde(skip)]
    skill_agents: Vec<Vec<u32>>,
}

/// What makes an implicit queue: (tenant, media, requirements sorted by skill).
type SkillKey = (u32, u32, Vec<(u32, u8)>);

/// No interval found yet (its start is later than any time).
fn no_interval() -> (Us, i64) {
    (Us::MAX, 0)
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("now", &secs(self.clock))
            .field("agents", &self.agents.len())
            .field("queues", &self.queues.len())
            .field("totals", &self.totals)
            .finish()
    }
}
