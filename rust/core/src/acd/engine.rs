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

use std::collections::BTreeSet;
use std::sync::Arc;

// lookups only: nothing iterates these maps, so their order never reaches a decision
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use super::config::{AgentConfig, CallSpec, QueueConfig, Strategy, MAX_SECONDS};
use super::decision::{AgentState, Decision, ExitReason, Outcome, RevokeReason};
use super::error::{invalid, unknown, wrong_state, EngineError};
use super::keys::{ord_f64, secs, to_us, us, AvailKey, CallKey, Rng, Us, MAX_US};
use super::ordset::OrdSet;
use super::stats::{AgentStats, QueueCounters, QueueStats};
use super::timers::{TimerKey, Timers};

mod check;
mod slots;

/// A user-supplied scorer for queues with [`Strategy::Custom`].
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

/// A string table: ids to small integers and back. The map is rebuilt after a restore.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Names {
    names: Vec<Arc<str>>,
    #[serde(skip)]
    index: HashMap<Arc<str>, u32>,
}

impl Names {
    fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(i) = self.get(name) {
            return i;
        }
        let arc: Arc<str> = Arc::from(name);
        let i = self.names.len() as u32;
        self.names.push(arc.clone());
        self.index.insert(arc, i);
        i
    }

    fn name(&self, i: u32) -> &Arc<str> {
        &self.names[i as usize]
    }

    fn rebuild(&mut self) {
        self.index = self
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
    }
}

/// A call's id: given (public inputs) or its slot number (crate-internal inputs of the
/// simulator), which reads as that number in decimal and is made into a string only when
/// shown. Either way it serializes as the string, so a restored engine knows every call by
/// a given id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CallId {
    Str(Arc<str>),
    Num(u32),
}

impl CallId {
    fn to_arc(&self) -> Arc<str> {
        match self {
            Self::Str(s) => s.clone(),
            Self::Num(n) => Arc::from(n.to_string()),
        }
    }

    fn into_arc(self) -> Arc<str> {
        match self {
            Self::Str(s) => s,
            Self::Num(n) => Arc::from(n.to_string()),
        }
    }
}

impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Str(s) => f.write_str(s),
            Self::Num(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for CallId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Str(s) => serializer.serialize_str(s),
            Self::Num(n) => serializer.serialize_str(&n.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for CallId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Arc::<str>::deserialize(deserializer).map(Self::Str)
    }
}

/// The slot a canonical decimal id names (no sign, no leading zeros), if any.
fn decimal_slot(id: &str) -> Option<u32> {
    let b = id.as_bytes();
    if b.is_empty() || b.len() > 10 || (b.len() > 1 && b[0] == b'0') {
        return None;
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    id.parse().ok()
}

/// An implicit queue for skills-routed calls: (tenant, media, requirements, queue).
type SkillQueue = (u32, u32, Vec<(u32, u8)>, u32);

/// The order in which an agent of several queues takes their waiting heads, least first:
/// higher (aged, boosted) priority, higher queue weight, older, earlier (`dispatch_rank`).
type DispatchRank = (i64, i64, Us, u64);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Timer {
    Step(u32),
    MaxWait(u32),
    Offer(u32),
    Retry(u32),
    WrapUp(u32, u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Presence {
    LoggedOut,
    Ready,
    NotReady(u32),
}

/// An agent's reported state, compact: [`AgentState`] with the not-ready reason by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum State {
    LoggedOut,
    Ready,
    NotReady(u32),
    Offered,
    Busy,
    WrapUp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum TaskKind {
    Offered,
    Busy,
    WrapUp,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Task {
    uid: u64,
    call: u32,
    media: u32,
    kind: TaskKind,
    queue: u32,
    since: Us,
    timer: Option<TimerKey>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Agent {
    id: Arc<str>,
    tenant: u32,
    skills: Vec<(u32, u8)>,
    capacity: Vec<u32>,
    exclusive: Vec<u32>,
    weight: f64,
    auto_answer: bool,
    order: u32,
    presence: Presence,
    tasks: Vec<Task>,
    load: Vec<u32>,
    exclusive_load: u32,
    free_since: Us,
    member_qs: Vec<u32>,
    member_keys: Vec<Option<AvailKey>>,
    queues: Vec<u32>,
    no_answer_streak: u32,
    state: State,
    state_since: Us,
    // statistics
    handled: u64,
    offered: u64,
    declined: u64,
    missed: u64,
    talk_us: i64,
    wrapup_us: i64,
    idle_us: i64,
    busy_us: i64,
    offered_us: i64,
    wrap_state_us: i64,
    not_ready_us: Vec<(u32, i64)>,
}

impl Agent {
    fn level(&self, skill: u32) -> Option<u8> {
        self.skills
            .binary_search_by_key(&skill, |&(s, _)| s)
            .ok()
            .map(|i| self.skills[i].1)
    }

    fn meets(&self, reqs: &[(u32, u8)]) -> bool {
        reqs.iter()
            .all(|&(s, min)| self.level(s).is_some_and(|l| l >= min))
    }

    #[inline]
    fn cap(&self, media: u32) -> u32 {
        self.capacity.get(media as usize).copied().unwrap_or(0)
    }

    #[inline]
    fn load_of(&self, media: u32) -> u32 {
        self.load.get(media as usize).copied().unwrap_or(0)
    }

    #[inline]
    fn free_for(&self, media: u32) -> bool {
        self.presence == Presence::Ready
            && self.exclusive_load == 0
            && self.load_of(media) < self.cap(media)
            && (self.tasks.is_empty() || !self.is_exclusive(media))
    }

    /// Whether `media` is one the agent takes alone. (Agents have one such media, voice, or
    /// none: those cases are tested directly, where a search would set up its vector loop
    /// for them at every call.)
    #[inline(always)]
    fn is_exclusive(&self, media: u32) -> bool {
        match self.exclusive.as_slice() {
            [] => false,
            [m] => *m == media,
            ms => ms.contains(&media),
        }
    }

    #[inline(always)]
    fn add_load(&mut self, media: u32, delta: i32) {
        let m = media as usize;
        if self.load.len() <= m {
            self.load.resize(m + 1, 0);
        }
        self.load[m] = self.load[m].wrapping_add_signed(delta);
        if self.is_exclusive(media) {
            self.exclusive_load = self.exclusive_load.wrapping_add_signed(delta);
        }
    }

    /// Time ready, busy, offered and in wrap-up (µs), counting the current state's spell
    /// as `ongoing`.
    fn state_times(&self, ongoing: Us) -> [Us; 4] {
        let mut t = [
            self.idle_us,
            self.busy_us,
            self.offered_us,
            self.wrap_state_us,
        ];
        let current = match self.state {
            State::Ready => 0,
            State::Busy => 1,
            State::Offered => 2,
            State::WrapUp => 3,
            State::NotReady(_) | State::LoggedOut => return t,
        };
        t[current] += ongoing;
        t
    }

    fn task_index(&self, uid: u64) -> usize {
        self.tasks
            .iter()
            .position(|t| t.uid == uid)
            .expect("task of a live call")
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Step {
    after: Us,
    /// alternatives: an agent meeting any one set is eligible
    reqs: Vec<Vec<(u32, u8)>>,
    /// cumulative priority boost
    boost: i32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Queue {
    id: Arc<str>,
    config: QueueConfig,
    tenants: Vec<u32>,
    media: u32,
    sl: Us,
    short_abandon: Us,
    wrapup: Us,
    offer_timeout: Us,
    retry: Us,
    max_wait: Option<Us>,
    overflow: Option<u32>,
    steps: Vec<Step>,
    qs0: u32,
    open: bool,
    rr_last: Option<u32>,
    staffed: u32,
    offering: u32,
    counters: QueueCounters,
    intervals: Intervals,
    /// all waiting calls in queue order, for their positions: kept only while positions
    /// are announced (not for the simulator), and rebuilt after a restore
    #[serde(skip)]
    order: indexset::BTreeSet<CallKey>,
}

impl Queue {
    /// The steps (by index into `Engine::qs`) whose requirements `agent` meets, in order;
    /// none if the queue is not for the agent's tenant or the agent cannot take its media.
    fn steps_for(&self, agent: &Agent) -> Vec<u32> {
        if !self.tenants.contains(&agent.tenant) || agent.cap(self.media) == 0 {
            return Vec::new();
        }
        (0..self.steps.len() as u32)
            .filter(|&s| self.steps[s as usize].reqs.iter().any(|r| agent.meets(r)))
            .map(|s| self.qs0 + s)
            .collect()
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct QueueStep {
    queue: u32,
    avail: OrdSet<AvailKey>,
    waiting: OrdSet<CallKey>,
    /// random strategies: the winning key of the last race (keys are drawn above it)
    race: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum CallState {
    Waiting,
    Offered { agent: u32, task: u64, expires: Us },
    Connected { agent: u32, task: u64, answered: Us },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Call {
    id: CallId,
    media: u32,
    queue: u32,
    priority: i32,
    arrival: Us,
    entered: Us,
    interval: i64,
    seq: u64,
    step: u32,
    state: CallState,
    callback: bool,
    max_wait_due: bool,
    excluded: Vec<(u32, Us)>,
    data: Vec<(Arc<str>, Arc<str>)>,
    key: CallKey,
    step_timer: Option<TimerKey>,
    max_wait_timer: Option<TimerKey>,
    offer_timer: Option<TimerKey>,
    retry_timer: Option<TimerKey>,
}

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
}

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

const SNAPSHOT_MAGIC: &[u8; 8] = b"CRENG\x00\x00\x02";

/// Each id's index (the lookups rebuilt after a restore); `None` if an id is given twice.
fn id_index<'a>(ids: impl Iterator<Item = &'a Arc<str>>) -> Option<HashMap<Arc<str>, u32>> {
    let mut map = HashMap::default();
    for (i, id) in ids.enumerate() {
        if map.insert(id.clone(), i as u32).is_some() {
            return None;
        }
    }
    Some(map)
}

/// A queue's counters per interval, oldest first (interval index, counters). Calls enter
/// intervals in time order, so the latest interval is the usual one: it is tried first, in
/// O(1), where a map would walk down its tree three times for every call. (Serialized like
/// a map: postcard writes both as a length and the pairs.)
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
struct Intervals(Vec<(i64, QueueCounters)>);

impl Intervals {
    /// The counters of interval `i`, made if new.
    #[inline(always)]
    fn at(&mut self, i: i64) -> &mut QueueCounters {
        // (a match on `last_mut` here would hold its borrow over the slow path)
        if self.0.last().is_some_and(|&(k, _)| k == i) {
            let last = self.0.len() - 1;
            return &mut self.0[last].1;
        }
        self.make(i)
    }

    #[cold]
    fn make(&mut self, i: i64) -> &mut QueueCounters {
        let v = &mut self.0;
        let pos = match v.binary_search_by_key(&i, |&(k, _)| k) {
            Ok(pos) => pos,
            Err(pos) => {
                v.insert(pos, (i, QueueCounters::default()));
                pos
            }
        };
        &mut v[pos].1
    }

    /// Whether the intervals are strictly increasing (a decoded snapshot's may not be).
    fn ordered(&self) -> bool {
        self.0.windows(2).all(|w| w[0].0 < w[1].0)
    }
}

#[cold]
fn no_slot(c: u32) -> EngineError {
    unknown("call", &c.to_string())
}

/// Skill names must be non-empty and distinct.
fn check_skills(skills: &[(String, u8)], place: &str) -> Result<(), EngineError> {
    for (i, (name, _)) in skills.iter().enumerate() {
        if name.is_empty() {
            return Err(invalid(format!("{place}: skill names must not be empty")));
        }
        if skills[..i].iter().any(|(x, _)| x == name) {
            return Err(invalid(format!("{place}: skill {name:?} given twice")));
        }
    }
    Ok(())
}

impl Engine {
    /// An empty engine.
    pub fn new(options: EngineOptions) -> Result<Self, EngineError> {
        let interval = to_us("interval", options.interval)?;
        if interval <= 0 {
            return Err(invalid(format!(
                "interval must be > 0 seconds, got {}",
                options.interval
            )));
        }
        let mut template = options.skill_queue.clone();
        template.name = "skills".into();
        template.validate()?;
        Ok(Self {
            clock: i64::MIN,
            interval,
            options_seed: options.seed,
            skill_queue: options.skill_queue,
            skills: Names::default(),
            tenants: Names::default(),
            media: Names::default(),
            reasons: Names::default(),
            agents: Vec::new(),
            queues: Vec::new(),
            virtual_queues: Vec::new(),
            qs: Vec::new(),
            calls: slots::Slots::default(),
            free_calls: Vec::new(),
            timers: Timers::default(),
            timer_seq: 0,
            call_seq: 0,
            task_seq: 0,
            rng: Rng(options.seed),
            totals: Totals::default(),
            scorer_failures: 0,
            agent_ids: HashMap::default(),
            queue_ids: HashMap::default(),
            call_ids: HashMap::default(),
            scorer: None,
            out: Vec::new(),
            raw_out: false,
            answered_out: Vec::new(),
            last_interval: no_interval(),
        })
    }

    /// Install the scorer used by queues with [`Strategy::Custom`].
    pub fn set_scorer(&mut self, scorer: Option<Box<dyn Scorer>>) {
        self.scorer = scorer;
    }

    /// Times the scorer gave an unusable answer and the engine fell back.
    pub fn scorer_failures(&self) -> u64 {
        self.scorer_failures
    }

    // ------------------------------------------------------------------ configuration

    /// Add a queue. Queues named in `overflow`, `steps[].also_queues` must exist already.
    pub fn add_queue(&mut self, config: QueueConfig) -> Result<(), EngineError> {
        config.validate()?;
        if self.queue_ids.contains_key(config.name.as_str()) {
            return Err(EngineError::Duplicate {
                kind: "queue",
                id: config.name,
            });
        }
        let q = &config.name;
        let overflow = match &config.overflow {
            Some(o) => Some(self.queue_index(o).map_err(|_| {
                invalid(format!("queue {q:?}: overflow names unknown queue {o:?}"))
            })?),
            None => None,
        };
        if let Some(o) = overflow {
            // a call keeps its media: it may only overflow to a queue of the same media
            let theirs = &self.queues[o as usize].config.media;
            if *theirs != config.media {
                return Err(invalid(format!(
                    "queue {q:?}: overflow queue {:?} takes {theirs} calls, not {}",
                    self.queues[o as usize].id, config.media
                )));
            }
        }
        // everything that can fail is checked before anything is interned
        check_skills(&config.skills, &format!("queue {q:?}: skills"))?;
        for (i, sc) in config.steps.iter().enumerate() {
            let place = format!("queue {q:?}: steps[{i}].skills");
            check_skills(sc.skills.as_deref().unwrap_or_default(), &place)?;
            if let Some(other) = sc.also_queues.iter().find(|o| self.queue_index(o).is_err()) {
                return Err(invalid(format!(
                    "queue {q:?}: steps[{i}].also_queues names unknown queue {other:?}"
                )));
            }
        }
        let base = self.requirements(&config.skills, &format!("queue {q:?}: skills"))?;
        let mut steps = vec![Step {
            after: 0,
            reqs: vec![base],
            boost: 0,
        }];
        for (i, sc) in config.steps.iter().enumerate() {
            let prev = steps.last().expect("base step").clone();
            let mut reqs = match &sc.skills {
                Some(s) => vec![self.requirements(s, &format!("queue {q:?}: steps[{i}].skills"))?],
                None => prev.reqs.clone(),
            };
            if sc.skills.is_some() {
                // keep alternatives that earlier steps widened to
                reqs.extend(prev.reqs.iter().skip(1).cloned());
            }
            for other in &sc.also_queues {
                let o = self.queue_index(other).map_err(|_| {
                    invalid(format!(
                        "queue {q:?}: steps[{i}].also_queues names unknown queue {other:?}"
                    ))
                })?;
                let theirs = self.queues[o as usize].steps[0].reqs[0].clone();
                if !reqs.contains(&theirs) {
                    reqs.push(theirs);
                }
            }
            steps.push(Step {
                after: to_us("after", sc.after)?,
                reqs,
                boost: prev.boost.saturating_add(sc.priority_boost),
            });
        }
        let qi = self.queues.len() as u32;
        self.push_queue(config, overflow, steps, qi);
        Ok(())
    }

    fn push_queue(
        &mut self,
        config: QueueConfig,
        overflow: Option<u32>,
        steps: Vec<Step>,
        qi: u32,
    ) {
        let id: Arc<str> = Arc::from(config.name.as_str());
        let mut tenants = vec![self.tenants.intern(&config.tenant)];
        for t in &config.shared_with {
            let t = self.tenants.intern(t);
            if !tenants.contains(&t) {
                tenants.push(t);
            }
        }
        let queue = Queue {
            id: id.clone(),
            tenants,
            media: self.media.intern(&config.media),
            sl: us(config.sl_threshold),
            short_abandon: us(config.short_abandon),
            wrapup: us(config.wrapup),
            offer_timeout: us(config.offer_timeout),
            retry: us(config.retry),
            max_wait: config.max_wait.map(us),
            overflow,
            qs0: self.qs.len() as u32,
            open: true,
            rr_last: None,
            staffed: 0,
            offering: 0,
            counters: QueueCounters::default(),
            intervals: Intervals::default(),
            order: indexset::BTreeSet::new(),
            steps,
            config,
        };
        for _ in 0..queue.steps.len() {
            self.qs.push(QueueStep {
                queue: qi,
                ..QueueStep::default()
            });
        }
        self.queues.push(queue);
        self.queue_ids.insert(id, qi);
        for a in 0..self.agents.len() as u32 {
            self.add_memberships(a, qi);
        }
    }

    fn requirements(
        &mut self,
        skills: &[(String, u8)],
        place: &str,
    ) -> Result<Vec<(u32, u8)>, EngineError> {
        check_skills(skills, place)?;
        // validated first: an error must not leave new names interned
        let mut out: Vec<(u32, u8)> = skills
            .iter()
            .map(|(name, level)| (self.skills.intern(name), *level))
            .collect();
        out.sort_unstable();
        Ok(out)
    }

    /// Add an agent (logged out).
    pub fn add_agent(&mut self, config: AgentConfig) -> Result<(), EngineError> {
        config.validate()?;
        if self.agent_ids.contains_key(config.name.as_str()) {
            return Err(EngineError::Duplicate {
                kind: "agent",
                id: config.name,
            });
        }
        let skills = self.requirements(&config.skills, &format!("agent {:?}", config.name))?;
        let mut capacity = Vec::new();
        for (m, c) in &config.capacity {
            let m = self.media.intern(m) as usize;
            if capacity.len() <= m {
                capacity.resize(m + 1, 0);
            }
            capacity[m] = *c;
        }
        let exclusive = config
            .exclusive
            .iter()
            .map(|m| self.media.intern(m))
            .collect();
        let id: Arc<str> = Arc::from(config.name.as_str());
        let a = self.agents.len() as u32;
        self.agents.push(Agent {
            id: id.clone(),
            tenant: self.tenants.intern(&config.tenant),
            skills,
            capacity,
            exclusive,
            weight: config.weight,
            auto_answer: config.auto_answer,
            order: a,
            presence: Presence::LoggedOut,
            tasks: Vec::new(),
            load: Vec::new(),
            exclusive_load: 0,
            free_since: 0,
            member_qs: Vec::new(),
            member_keys: Vec::new(),
            queues: Vec::new(),
            no_answer_streak: 0,
            state: State::LoggedOut,
            state_since: self.clock.max(0),
            handled: 0,
            offered: 0,
            declined: 0,
            missed: 0,
            talk_us: 0,
            wrapup_us: 0,
            idle_us: 0,
            busy_us: 0,
            offered_us: 0,
            wrap_state_us: 0,
            not_ready_us: Vec::new(),
        });
        self.agent_ids.insert(id, a);
        for q in 0..self.queues.len() as u32 {
            self.add_memberships(a, q);
        }
        Ok(())
    }

    /// Compute agent `a`'s memberships in queue `q`'s steps (agent logged out or in).
    fn add_memberships(&mut self, a: u32, q: u32) {
        let eligible = self.queues[q as usize].steps_for(&self.agents[a as usize]);
        for &qs in &eligible {
            let agent = &mut self.agents[a as usize];
            let at = agent.member_qs.partition_point(|&x| x < qs);
            agent.member_qs.insert(at, qs);
            agent.member_keys.insert(at, None);
        }
        if !eligible.is_empty() {
            let agent = &mut self.agents[a as usize];
            agent.queues.push(q);
            if agent.presence != Presence::LoggedOut {
                self.queues[q as usize].staffed += 1;
            }
            self.refresh_agent(a);
            self.dispatch_agent(a);
        }
    }

    /// Replace an agent's skills; its memberships and availability follow at once.
    /// Offers outstanding and calls in progress stand.
    pub fn set_agent_skills(
        &mut self,
        agent: &str,
        skills: &[(String, u8)],
        now: f64,
    ) -> Result<Vec<Decision>, EngineError> {
        let a = self.agent_index(agent)?;
        let now = self.check_time(now)?;
        let skills = self.requirements(skills, &format!("agent {agent:?}"))?;
        self.clock = now;
        // leave every index, recompute, re-enter
        let logged_in = self.agents[a as usize].presence != Presence::LoggedOut;
        let old_queues = std::mem::take(&mut self.agents[a as usize].queues);
        if logged_in {
            for &q in &old_queues {
                self.queues[q as usize].staffed -= 1;
            }
        }
        let ag = &mut self.agents[a as usize];
        let keys: Vec<(u32, AvailKey)> = ag
            .member_qs
            .iter()
            .zip(&ag.member_keys)
            .filter_map(|(&qs, k)| k.map(|k| (qs, k)))
            .collect();
        ag.member_qs.clear();
        ag.member_keys.clear();
        ag.skills = skills;
        for (qs, k) in keys {
            self.qs[qs as usize].avail.remove(&k);
        }
        for q in 0..self.queues.len() as u32 {
            self.add_memberships(a, q);
        }
        self.refresh_agent(a);
        self.dispatch_agent(a);
        if logged_in {
            for &q in &old_queues {
                self.check_empty(q);
            }
        }
        Ok(self.take_out())
    }

    /// Open or close a queue: a closed queue refuses new calls (waiting ones stay).
    pub fn set_queue_open(&mut self, queue: &str, open: bool) -> Result<(), EngineError> {
        let q = self.queue_index(queue)?;
        self.queues[q as usize].open = open;
        Ok(())
    }

    // ------------------------------------------------------------------ lookups

    fn queue_index(&self, id: &str) -> Result<u32, EngineError> {
        self.queue_ids
            .get(id)
            .copied()
            .ok_or_else(|| unknown("queue", id))
    }

    fn agent_index(&self, id: &str) -> Result<u32, EngineError> {
        self.agent_ids
            .get(id)
            .copied()
            .ok_or_else(|| unknown("agent", id))
    }

    fn call_index(&self, id: &str) -> Result<u32, EngineError> {
        self.call_lookup(id).ok_or_else(|| unknown("call", id))
    }

    /// The slot of the live call with this id: a given id, or a slot number (a call of the
    /// crate-internal inputs).
    fn call_lookup(&self, id: &str) -> Option<u32> {
        if let Some(&c) = self.call_ids.get(id) {
            return Some(c);
        }
        let c = decimal_slot(id)?;
        match self.calls.get(c as usize) {
            Some(call) if call.id == CallId::Num(c) => Some(c),
            _ => None,
        }
    }

    /// A call id as the error messages quote it.
    fn quoted(&self, c: u32) -> String {
        format!("{:?}", self.call(c).id.to_string())
    }

    fn call(&self, c: u32) -> &Call {
        self.calls.get(c as usize).expect("live call")
    }

    fn call_mut(&mut self, c: u32) -> &mut Call {
        self.calls.get_mut(c as usize).expect("live call")
    }

    fn check_time(&self, now: f64) -> Result<Us, EngineError> {
        self.not_before_clock(to_us("now", now)?, now)
    }

    /// [`Engine::check_time`] for a time in microseconds (the simulator's inputs).
    fn check_us(&self, t: Us) -> Result<Us, EngineError> {
        if t.unsigned_abs() > MAX_US as u64 {
            return Err(EngineError::BadTime(format!(
                "now must be within ±{MAX_SECONDS:e} seconds, got {}",
                secs(t)
            )));
        }
        self.not_before_clock(t, secs(t))
    }

    /// `t` unless it is before the last time seen (`shown`: `t` as the caller gave it).
    fn not_before_clock(&self, t: Us, shown: f64) -> Result<Us, EngineError> {
        if t < self.clock {
            return Err(EngineError::BadTime(format!(
                "time went backwards: now = {shown} is before the last time seen, {}",
                secs(self.clock)
            )));
        }
        Ok(t)
    }

    fn take_out(&mut self) -> Vec<Decision> {
        if self.raw_out {
            return Vec::new();
        }
        let mut out = std::mem::take(&mut self.out);
        let decisions = out.drain(..).map(|o| self.decision(o)).collect();
        if out.capacity() <= 64 {
            self.out = out; // keeps its room for the next input
        }
        decisions
    }

    fn decision(&self, o: Out) -> Decision {
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
            } => Decision::Offer {
                call: call.into_arc(),
                agent: agent(a),
                queue: queue(q),
                expires,
                callback,
                auto_answer,
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

    /// Crate-internal fast path (the simulator): with `on`, inputs return no decisions and
    /// leave them, compact, for [`Engine::raw_decisions`] to take, and the calls that
    /// auto-answer agents took for [`Engine::raw_answered`]. `Queued` announcements
    /// (positions and expected waits, which the simulator does not read) are not made,
    /// nor are agent state changes (see [`Engine::agent_time_us`]), nor is the queues'
    /// order-statistic index kept, which only serves positions.
    pub(crate) fn keep_raw_decisions(&mut self, on: bool) {
        if on == self.raw_out {
            return;
        }
        self.raw_out = on;
        // what one mode left is not the other's to return
        self.out.clear();
        self.answered_out.clear();
        if on {
            for queue in &mut self.queues {
                queue.order = indexset::BTreeSet::new();
            }
        } else {
            self.rebuild_order();
        }
    }

    /// Every queue's order-statistic index made again from its waiting calls.
    fn rebuild_order(&mut self) {
        for q in 0..self.queues.len() {
            self.queues[q].order = self.waiting_in_order(q as u32).into_iter().collect();
        }
    }

    /// The keys of queue `q`'s waiting calls (each waits in one step's index), unordered.
    fn waiting_keys(&self, q: u32) -> impl Iterator<Item = &CallKey> {
        let queue = &self.queues[q as usize];
        let steps = queue.qs0 as usize..(queue.qs0 as usize + queue.steps.len());
        self.qs[steps].iter().flat_map(|qs| qs.waiting.iter())
    }

    /// The keys of queue `q`'s waiting calls in queue order.
    fn waiting_in_order(&self, q: u32) -> Vec<CallKey> {
        let mut keys: Vec<CallKey> = self.waiting_keys(q).copied().collect();
        keys.sort_unstable();
        keys
    }

    /// The decisions left by the inputs since the last call (see `keep_raw_decisions`).
    pub(crate) fn raw_decisions(&mut self) -> &mut Vec<Out> {
        &mut self.out
    }

    /// The (call, agent) pairs an auto-answer agent took since the last call: in raw mode
    /// these are not `Offer`s. (An `Out` is large: one made for every call, copied out of the
    /// stack right after it was written, stalled on the store forwarding.)
    pub(crate) fn raw_answered(&mut self) -> &mut Vec<(u32, u32)> {
        &mut self.answered_out
    }

    // ------------------------------------------------------------------ timers

    fn arm(&mut self, at: Us, timer: Timer) -> TimerKey {
        self.timer_seq += 1;
        let key = (at, self.timer_seq);
        self.timers.insert(key, timer);
        key
    }

    /// Arm a timer due `span` after the clock (its lane keeps such timers in order).
    fn arm_after(&mut self, span: Us, timer: Timer) -> TimerKey {
        self.timer_seq += 1;
        let key = (self.clock + span, self.timer_seq);
        self.timers.insert_lane(key, timer, span);
        key
    }

    #[inline]
    fn disarm(&mut self, key: Option<TimerKey>) {
        if let Some(k) = key {
            self.timers.remove(k);
        }
    }

    /// The earliest pending deadline (seconds), if any: call [`Engine::advance`] then.
    pub fn next_deadline(&self) -> Option<f64> {
        self.next_deadline_us().map(secs)
    }

    /// The earliest pending deadline in microseconds (crate-internal: the simulator).
    pub(crate) fn next_deadline_us(&self) -> Option<Us> {
        self.timers.first().map(|((t, _), _)| t)
    }

    /// See [`Engine::accept_raw`].
    pub(crate) fn advance_raw(&mut self, now: Us) -> Result<(), EngineError> {
        let now = self.check_us(now)?;
        self.advance_to(now);
        Ok(())
    }

    /// Fire every timer due at or before `now`, in deadline order.
    pub fn advance(&mut self, now: f64) -> Result<Vec<Decision>, EngineError> {
        let now = self.check_time(now)?;
        self.advance_to(now);
        Ok(self.take_out())
    }

    fn advance_to(&mut self, now: Us) {
        let floor = self.clock;
        while let Some((key, timer)) = self.timers.pop_due(now) {
            self.clock = key.0.max(floor);
            self.fire(timer);
        }
        self.clock = now;
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Step(c) => {
                self.call_mut(c).step_timer = None;
                self.next_step(c);
            }
            Timer::MaxWait(c) => {
                self.call_mut(c).max_wait_timer = None;
                if self.call(c).state == CallState::Waiting {
                    self.max_wait_reached(c);
                } else {
                    self.call_mut(c).max_wait_due = true;
                }
            }
            Timer::Offer(c) => {
                self.call_mut(c).offer_timer = None;
                self.offer_lapsed(c);
            }
            Timer::Retry(c) => {
                self.call_mut(c).retry_timer = None;
                let now = self.clock;
                let call = self.call_mut(c);
                call.excluded.retain(|&(_, until)| until > now);
                self.arm_retry(c);
                if self.call(c).state == CallState::Waiting {
                    self.try_offer_call(c);
                }
            }
            Timer::WrapUp(a, uid) => {
                let i = self.agents[a as usize].task_index(uid);
                self.agents[a as usize].tasks[i].timer = None;
                self.end_wrapup(a, i);
                self.agent_changed(a);
            }
        }
    }

    fn arm_retry(&mut self, c: u32) {
        let call = self.call(c);
        let next = call.excluded.iter().map(|&(_, u)| u).min();
        let old = call.retry_timer;
        self.disarm(old);
        let key = next.map(|t| self.arm(t, Timer::Retry(c)));
        self.call_mut(c).retry_timer = key;
    }

    // ------------------------------------------------------------------ agents

    fn agent_state_of(&self, a: u32) -> State {
        let agent = &self.agents[a as usize];
        let mut kinds = [false; 3];
        match agent.tasks.as_slice() {
            [] => {}
            // one task (the usual case): its kind
            [t] => {
                return match t.kind {
                    TaskKind::Offered => State::Offered,
                    TaskKind::Busy => State::Busy,
                    TaskKind::WrapUp => State::WrapUp,
                }
            }
            tasks => {
                for t in tasks {
                    kinds[t.kind as usize] = true;
                }
            }
        }
        if kinds[TaskKind::Offered as usize] {
            State::Offered
        } else if kinds[TaskKind::Busy as usize] {
            State::Busy
        } else if kinds[TaskKind::WrapUp as usize] {
            State::WrapUp
        } else {
            match agent.presence {
                Presence::LoggedOut => State::LoggedOut,
                Presence::Ready => State::Ready,
                Presence::NotReady(r) => State::NotReady(r),
            }
        }
    }

    /// The public form of a reported state.
    fn public_state(&self, state: State) -> AgentState {
        match state {
            State::LoggedOut => AgentState::LoggedOut,
            State::Ready => AgentState::Ready,
            State::NotReady(r) => AgentState::NotReady(self.reasons.name(r).clone()),
            State::Offered => AgentState::Offered,
            State::Busy => AgentState::Busy,
            State::WrapUp => AgentState::WrapUp,
        }
    }

    /// Close the time bucket of the agent's old state and report the change, if any.
    #[inline(always)]
    fn update_agent_state(&mut self, a: u32) {
        let new = self.agent_state_of(a);
        let now = self.clock;
        let agent = &mut self.agents[a as usize];
        if new == agent.state {
            return;
        }
        let spent = now - agent.state_since;
        match agent.state {
            State::Ready => agent.idle_us += spent,
            State::Busy => agent.busy_us += spent,
            State::Offered => agent.offered_us += spent,
            State::WrapUp => agent.wrap_state_us += spent,
            State::NotReady(r) => match agent.not_ready_us.iter_mut().find(|(x, _)| *x == r) {
                Some(slot) => slot.1 += spent,
                None => agent.not_ready_us.push((r, spent)),
            },
            State::LoggedOut => {}
        }
        agent.state_since = now;
        agent.state = new;
        if !self.raw_out {
            // (the simulator reads the time in each state at interval ends instead)
            self.out.push(Out::AgentState {
                agent: a,
                state: new,
            });
        }
    }

    /// Agent `a`'s time logged in and available (ready, offered, busy or in wrap-up) and
    /// its time working (offered, busy or in wrap-up), µs, up to `at` (no earlier than its
    /// last change).
    pub(crate) fn agent_time_us(&self, a: u32, at: Us) -> (Us, Us) {
        let ag = &self.agents[a as usize];
        debug_assert!(
            at >= ag.state_since,
            "agent time read before its last change"
        );
        let [idle, busy, offered, wrap] = ag.state_times(at - ag.state_since);
        let working = busy + offered + wrap;
        (idle + working, working)
    }

    /// The key agent `a` would have in queue step `qs` (None: not free for it).
    fn desired_key(&mut self, a: u32, slot: usize) -> Option<AvailKey> {
        let agent = &self.agents[a as usize];
        let qs = agent.member_qs[slot];
        let queue = &self.queues[self.qs[qs as usize].queue as usize];
        if !agent.free_for(queue.media) {
            return None;
        }
        let load = agent.load_of(queue.media);
        let current = agent.member_keys[slot];
        let (ka, kb) = match queue.config.strategy {
            Strategy::LongestIdle => (agent.free_since, 0),
            Strategy::RoundRobin | Strategy::Linear | Strategy::Custom => (0, 0),
            Strategy::FewestCalls => (agent.handled as i64, agent.free_since),
            Strategy::LeastTalkTime => (agent.talk_us, agent.free_since),
            Strategy::HighestProficiency => {
                let prof: i64 = queue.steps[0].reqs[0]
                    .iter()
                    .map(|&(s, _)| i64::from(agent.level(s).unwrap_or(0)))
                    .sum();
                (-prof, agent.free_since)
            }
            Strategy::Random | Strategy::WeightedRandom => match current {
                // keep the draw while the agent stays free at the same load
                Some(k) if k.load == load => (k.a, k.b),
                _ => {
                    let weight = if queue.config.strategy == Strategy::Random {
                        1.0
                    } else {
                        agent.weight
                    };
                    // exponential race: the least of race + Exp(w_i) falls on i w.p.
                    // w_i / Σw. Losers keep their keys; since the race clock moves to each
                    // winning key, their leads over it are fresh exponentials again
                    // (memorylessness), so every decision is a fair draw.
                    let race = self.qs[qs as usize].race;
                    (ord_f64(race - self.rng.unit().ln() / weight), 0)
                }
            },
        };
        let agent = &self.agents[a as usize];
        Some(AvailKey {
            load,
            a: ka,
            b: kb,
            order: agent.order,
            agent: a,
        })
    }

    /// Bring agent `a`'s entries in the availability indices up to date.
    fn refresh_agent(&mut self, a: u32) {
        for slot in 0..self.agents[a as usize].member_qs.len() {
            let want = self.desired_key(a, slot);
            let agent = &mut self.agents[a as usize];
            let have = agent.member_keys[slot];
            if want == have {
                continue;
            }
            let qs = agent.member_qs[slot] as usize;
            agent.member_keys[slot] = want;
            if let Some(k) = have {
                self.qs[qs].avail.remove(&k);
            }
            if let Some(k) = want {
                self.qs[qs].avail.insert(k);
            }
        }
    }

    /// After any change to an agent: new work, then its indices, then its reported state.
    /// Work first: an agent freed while calls wait for it takes one without entering the
    /// availability indices only to leave them (and, for the random strategies, without
    /// drawing a key it would not use).
    fn agent_changed(&mut self, a: u32) {
        // (calls wait for few changes: the test is kept out of the work)
        let agent = &self.agents[a as usize];
        if agent
            .member_qs
            .iter()
            .any(|&qs| !self.qs[qs as usize].waiting.is_empty())
        {
            self.dispatch_agent(a);
        }
        self.refresh_agent(a);
        self.update_agent_state(a);
    }

    /// Offer waiting calls to agent `a` while it has room and there are calls it may take.
    fn dispatch_agent(&mut self, a: u32) {
        loop {
            // the best head so far, and its rank once there is another to weigh it against
            // (an agent of one queue has one head: no rank is made)
            let mut best: Option<(u32, Option<DispatchRank>)> = None;
            let agent = &self.agents[a as usize];
            for &qs in &agent.member_qs {
                let queue = &self.queues[self.qs[qs as usize].queue as usize];
                // what its index entry will say once refreshed (see `desired_key`)
                if !agent.free_for(queue.media) {
                    continue;
                }
                let head = self.qs[qs as usize]
                    .waiting
                    .iter()
                    .find(|k| !self.call(k.call).excluded.iter().any(|&(x, _)| x == a));
                let Some(k) = head else { continue };
                best = match best {
                    None => Some((k.call, None)),
                    Some((b, b_rank)) => {
                        let b_rank = b_rank.unwrap_or_else(|| self.dispatch_rank(b));
                        let rank = self.dispatch_rank(k.call);
                        Some(if rank < b_rank {
                            (k.call, Some(rank))
                        } else {
                            (b, Some(b_rank))
                        })
                    }
                };
            }
            match best {
                Some((c, _)) => self.make_offer(c, a),
                None => return,
            }
        }
    }

    /// The rank of waiting call `c` among the heads an agent of several queues may take
    /// (its priority aged and boosted as in the call's key).
    fn dispatch_rank(&self, c: u32) -> DispatchRank {
        let call = self.call(c);
        let queue = &self.queues[call.queue as usize];
        let eff = self.aged_priority(call) + queue.config.aging * secs(self.clock);
        (
            -ord_f64(eff),
            -i64::from(queue.config.weight),
            call.arrival,
            call.seq,
        )
    }

    fn login(&mut self, a: u32) {
        for i in 0..self.agents[a as usize].queues.len() {
            let q = self.agents[a as usize].queues[i];
            self.queues[q as usize].staffed += 1;
        }
    }

    /// Agent is ready for calls (logging in if needed).
    pub fn agent_ready(&mut self, agent: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let a = self.agent_index(agent)?;
        let now = self.check_time(now)?;
        let ag = &self.agents[a as usize];
        if ag.presence == Presence::Ready {
            return Err(wrong_state(format!("agent {agent:?} is already ready")));
        }
        self.clock = now;
        if ag.presence == Presence::LoggedOut {
            self.login(a);
        }
        let ag = &mut self.agents[a as usize];
        ag.presence = Presence::Ready;
        ag.no_answer_streak = 0;
        if ag.tasks.is_empty() {
            ag.free_since = now;
        }
        self.agent_changed(a);
        Ok(self.take_out())
    }

    /// Agent stops taking new calls, with a reason (logging in if needed). Calls it holds
    /// continue; outstanding offers stand until answered or lapsed.
    pub fn agent_not_ready(
        &mut self,
        agent: &str,
        now: f64,
        reason: &str,
    ) -> Result<Vec<Decision>, EngineError> {
        let a = self.agent_index(agent)?;
        let now = self.check_time(now)?;
        if reason.is_empty() {
            return Err(invalid("reason must not be empty".into()));
        }
        let ag = &self.agents[a as usize];
        if let Presence::NotReady(r) = ag.presence {
            if &**self.reasons.name(r) == reason {
                return Err(wrong_state(format!(
                    "agent {agent:?} is already not ready ({reason})"
                )));
            }
        }
        self.clock = now;
        if ag.presence == Presence::LoggedOut {
            self.login(a);
        }
        let r = self.reasons.intern(reason);
        self.agents[a as usize].presence = Presence::NotReady(r);
        self.agent_changed(a);
        Ok(self.take_out())
    }

    /// Agent logs out. Outstanding offers are revoked (their calls go back to their place);
    /// calls in progress continue until ended.
    pub fn agent_logout(&mut self, agent: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let a = self.agent_index(agent)?;
        let now = self.check_time(now)?;
        if self.agents[a as usize].presence == Presence::LoggedOut {
            return Err(wrong_state(format!("agent {agent:?} is not logged in")));
        }
        self.clock = now;
        self.agents[a as usize].presence = Presence::LoggedOut;
        self.refresh_agent(a);
        let offered: Vec<u32> = self.agents[a as usize]
            .tasks
            .iter()
            .filter(|t| t.kind == TaskKind::Offered)
            .map(|t| t.call)
            .collect();
        for c in offered {
            self.revoke_offer(c, RevokeReason::LoggedOut);
            self.return_to_queue(c);
        }
        for i in 0..self.agents[a as usize].queues.len() {
            let q = self.agents[a as usize].queues[i];
            self.queues[q as usize].staffed -= 1;
            self.check_empty(q);
        }
        self.update_agent_state(a);
        Ok(self.take_out())
    }

    /// End all of an agent's after-call work now.
    pub fn wrapup_done(&mut self, agent: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let a = self.agent_index(agent)?;
        let now = self.check_time(now)?;
        if !self.agents[a as usize]
            .tasks
            .iter()
            .any(|t| t.kind == TaskKind::WrapUp)
        {
            return Err(wrong_state(format!("agent {agent:?} is not in wrap-up")));
        }
        self.clock = now;
        while let Some(i) = self.agents[a as usize]
            .tasks
            .iter()
            .position(|t| t.kind == TaskKind::WrapUp)
        {
            self.cut_wrapup(a, i);
        }
        self.agent_changed(a);
        Ok(self.take_out())
    }

    /// Crate-internal (the simulator): end one wrap-up task of agent `a`, by its uid (see
    /// [`Engine::connected_task`]); the other tasks of the agent keep theirs.
    pub(crate) fn wrapup_done_raw(
        &mut self,
        a: u32,
        task: u64,
        now: Us,
    ) -> Result<(), EngineError> {
        let now = self.check_us(now)?;
        let i = self
            .agents
            .get(a as usize)
            .and_then(|ag| {
                ag.tasks
                    .iter()
                    .position(|t| t.uid == task && t.kind == TaskKind::WrapUp)
            })
            .ok_or_else(|| wrong_state(format!("no wrap-up task {task} at agent {a}")))?;
        self.clock = now;
        self.cut_wrapup(a, i);
        self.agent_changed(a);
        Ok(())
    }

    /// The agent and task uid of a connected call (crate-internal: the simulator).
    pub(crate) fn connected_task(&self, c: u32) -> Option<(u32, u64)> {
        match self.calls.get(c as usize)?.state {
            CallState::Connected { agent, task, .. } => Some((agent, task)),
            _ => None,
        }
    }

    /// End wrap-up task `i` of agent `a` before its timer.
    fn cut_wrapup(&mut self, a: u32, i: usize) {
        let timer = self.agents[a as usize].tasks[i].timer.take();
        self.disarm(timer);
        self.end_wrapup(a, i);
    }

    fn end_wrapup(&mut self, a: u32, i: usize) {
        let now = self.clock;
        let agent = &mut self.agents[a as usize];
        let task = agent.tasks.swap_remove(i);
        let spent = now - task.since;
        agent.wrapup_us += spent;
        agent.add_load(task.media, -1);
        if agent.tasks.is_empty() {
            agent.free_since = now;
        }
        let queue = &mut self.queues[task.queue as usize];
        queue.counters.wrapup_us += spent;
    }

    /// With no eligible agent logged in, a queue that leaves when empty empties.
    fn check_empty(&mut self, q: u32) {
        let queue = &self.queues[q as usize];
        if queue.staffed > 0 || !queue.config.leave_when_empty {
            return;
        }
        for c in self.waiting_in_order(q).into_iter().map(|k| k.call) {
            self.leave_waiting(c);
            self.exit_call(c, ExitReason::NoAgents, Outcome::Exited);
        }
    }

    // ------------------------------------------------------------------ calls

    /// A call arrives: it is offered, queued, or refused.
    pub fn call_arrived(
        &mut self,
        spec: &CallSpec,
        now: f64,
    ) -> Result<Vec<Decision>, EngineError> {
        let now = self.check_time(now)?;
        if spec.id.is_empty() {
            return Err(invalid("call id must not be empty".into()));
        }
        if self.call_lookup(&spec.id).is_some() {
            return Err(EngineError::Duplicate {
                kind: "call",
                id: spec.id.clone(),
            });
        }
        let q = self.route_of(spec)?;
        // validated: from here on nothing fails
        self.clock = now;
        let q = self.make_route(spec, q);
        let id: Arc<str> = Arc::from(spec.id.as_str());
        let c = match self.free_calls.pop() {
            Some(c) => c,
            None => self.calls.push_free(),
        };
        self.call_ids.insert(id.clone(), c);
        self.admit(c, CallId::Str(id), q, spec);
        Ok(self.take_out())
    }

    /// Crate-internal arrival (the simulator): as [`Engine::call_arrived`], but the call is
    /// known by its slot number (returned with its queue) and `spec.id` is not read. `queue`,
    /// when given, is the queue an earlier call of the same `spec` went to: the route is not
    /// resolved again.
    pub(crate) fn arrive_raw(
        &mut self,
        spec: &CallSpec,
        queue: Option<u32>,
        now: Us,
    ) -> Result<(u32, u32), EngineError> {
        let now = self.check_us(now)?;
        let q = match queue {
            Some(q) => {
                debug_assert!((q as usize) < self.queues.len());
                q
            }
            None => self.route_of(spec)?,
        };
        self.clock = now;
        let q = self.make_route(spec, q);
        let c = self.raw_slot();
        self.admit(c, CallId::Num(c), q, spec);
        Ok((c, q))
    }

    /// A free slot whose number no given id spells (with no given ids live, the next free).
    fn raw_slot(&mut self) -> u32 {
        let mut c = match self.free_calls.pop() {
            Some(c) => c,
            None => self.calls.push_free(),
        };
        while !self.call_ids.is_empty() && self.call_ids.contains_key(c.to_string().as_str()) {
            // a given id spells this number: take a new slot, leave this one free
            self.free_calls.push(c);
            c = self.calls.push_free();
        }
        c
    }

    /// The queue a call of `spec` goes to (`u32::MAX`: an implicit queue still to make).
    fn route_of(&self, spec: &CallSpec) -> Result<u32, EngineError> {
        let q = match (&spec.queue, &spec.skills) {
            (Some(_), Some(_)) => {
                return Err(invalid(format!(
                    "call {:?}: give a queue or skills, not both",
                    spec.id
                )))
            }
            (None, None) => {
                return Err(invalid(format!(
                    "call {:?}: needs a queue or skills",
                    spec.id
                )))
            }
            (Some(q), None) => {
                let qi = self.queue_index(q)?;
                if let Some(t) = &spec.tenant {
                    let own = self.tenants.name(self.queues[qi as usize].tenants[0]);
                    if **own != **t {
                        return Err(invalid(format!(
                            "call {:?}: queue {q:?} belongs to tenant {own:?}, not {t:?}",
                            spec.id
                        )));
                    }
                }
                qi
            }
            (None, Some(skills)) => self.skill_queue_for(spec, skills)?,
        };
        if let (Some(m), Some(queue)) = (&spec.media, self.queues.get(q as usize)) {
            let qm = self.media.name(queue.media);
            if **qm != **m {
                return Err(invalid(format!(
                    "call {:?}: queue {:?} takes {qm} calls, not {m}",
                    spec.id, queue.id
                )));
            }
        }
        Ok(q)
    }

    /// The queue from [`Engine::route_of`], made if it is a new implicit one.
    fn make_route(&mut self, spec: &CallSpec, q: u32) -> u32 {
        match q {
            u32::MAX => self.make_skill_queue(spec),
            q => q,
        }
    }

    /// Put a new call in (empty) slot `c` and route it (validated; the clock is `now`).
    fn admit(&mut self, c: u32, id: CallId, q: u32, spec: &CallSpec) {
        let now = self.clock;
        self.call_seq += 1;
        let media = self.queues[q as usize].media;
        let seq = self.call_seq;
        // written over the slot's dead call, field by field (see `Slots`); the pattern
        // names every field, so none can keep the last call's value
        let Call {
            id: call_id,
            media: call_media,
            queue,
            priority,
            arrival,
            entered,
            interval,
            seq: call_seq,
            step,
            state,
            callback,
            max_wait_due,
            excluded,
            data,
            key,
            step_timer,
            max_wait_timer,
            offer_timer,
            retry_timer,
        } = self.calls.revive(c as usize);
        *call_id = id;
        *call_media = media;
        *queue = q;
        *priority = spec.priority;
        *arrival = now;
        *entered = now;
        *interval = 0;
        *call_seq = seq;
        *step = 0;
        *state = CallState::Waiting;
        *callback = false;
        *max_wait_due = false;
        excluded.clear();
        data.clear();
        data.extend(
            spec.data
                .iter()
                .map(|(k, v)| (Arc::from(k.as_str()), Arc::from(v.as_str()))),
        );
        *key = CallKey {
            rank: 0,
            arrival: now,
            seq,
            call: c,
        };
        *step_timer = None;
        *max_wait_timer = None;
        *offer_timer = None;
        *retry_timer = None;
        self.totals.arrived += 1;
        self.enter_queue(c, q, true);
    }

    /// The implicit queue for a skills-routed call: an existing one, or `u32::MAX` to make.
    fn skill_queue_for(
        &self,
        spec: &CallSpec,
        skills: &[(String, u8)],
    ) -> Result<u32, EngineError> {
        let tenant = spec.tenant.as_deref().unwrap_or("");
        let t = self
            .tenants
            .get(tenant)
            .ok_or_else(|| unknown("tenant", tenant))?;
        let media = spec.media.as_deref().unwrap_or("voice");
        let m = self
            .media
            .get(media)
            .ok_or_else(|| unknown("media", media))?;
        let mut reqs = Vec::with_capacity(skills.len());
        for (name, level) in skills {
            let s = self
                .skills
                .get(name)
                .ok_or_else(|| unknown("skill", name))?;
            reqs.push((s, *level));
        }
        reqs.sort_unstable();
        if reqs.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(invalid(format!(
                "call {:?}: a skill is given twice",
                spec.id
            )));
        }
        Ok(self
            .virtual_queues
            .iter()
            .find(|(vt, vm, vr, _)| *vt == t && *vm == m && *vr == reqs)
            .map_or(u32::MAX, |v| v.3))
    }

    fn make_skill_queue(&mut self, spec: &CallSpec) -> u32 {
        let skills = spec.skills.clone().unwrap_or_default();
        let mut sorted = skills.clone();
        sorted.sort();
        let tenant = spec.tenant.clone().unwrap_or_default();
        let media = spec.media.clone().unwrap_or_else(|| "voice".into());
        let label: Vec<String> = sorted.iter().map(|(s, l)| format!("{s}>={l}")).collect();
        let mut config = self.skill_queue.clone();
        config.name = format!("skills[{}]@{tenant}/{media}", label.join(","));
        config.tenant = tenant;
        config.media = media;
        config.skills = skills;
        config.steps.clear();
        config.overflow = None;
        let qi = self.queues.len() as u32;
        let reqs = self
            .requirements(&config.skills, "skills")
            .expect("checked skills");
        let t = self.tenants.intern(&config.tenant);
        let m = self.media.intern(&config.media);
        self.virtual_queues.push((t, m, reqs.clone(), qi));
        let steps = vec![Step {
            after: 0,
            reqs: vec![reqs],
            boost: 0,
        }];
        self.push_queue(config, None, steps, qi);
        qi
    }

    /// The statistics interval of time `t` (calls arrive in time order: the last one found
    /// is kept, and a division is made only when a call falls outside it).
    #[inline]
    fn interval_of(&mut self, t: Us) -> i64 {
        let (start, i) = self.last_interval;
        if t >= start && t - start < self.interval {
            return i;
        }
        let i = t.div_euclid(self.interval);
        self.last_interval = (i * self.interval, i);
        i
    }

    /// Put call `c` into queue `q` at step 0 (arrival, overflow or transfer), then route it.
    fn enter_queue(&mut self, c: u32, q: u32, arrival: bool) {
        let now = self.clock;
        let interval = self.interval_of(now);
        let queue = &mut self.queues[q as usize];
        queue.counters.offered += 1;
        queue.intervals.at(interval).offered += 1;
        let refuse = if !queue.open {
            Some(ExitReason::Closed)
        } else if queue.staffed == 0 && !queue.config.join_empty {
            Some(ExitReason::NoAgents)
        } else {
            None
        };
        let max_wait = queue.max_wait;
        let first_step = queue.steps.get(1).map(|s| s.after);
        let call = self.call_mut(c);
        call.queue = q;
        call.entered = now;
        call.interval = interval;
        call.step = 0;
        call.state = CallState::Waiting;
        call.excluded.clear();
        call.max_wait_due = false;
        let old = call.retry_timer.take();
        self.disarm(old);
        if let Some(reason) = refuse {
            let outcome = if arrival {
                Outcome::Rejected
            } else {
                Outcome::Exited
            };
            self.exit_call(c, reason, outcome);
            return;
        }
        // a call an agent is free for goes to it at once, without joining the waiting
        // indices only to leave them (the same decisions either way); its key is made if it
        // waits (only waiting calls have one that counts)
        let agent = self.choose_agent(c);
        // its queue timers run while it waits or rings, not for an agent that answers at once
        if agent.is_none_or(|a| !self.agents[a as usize].auto_answer) {
            let step_timer = first_step.map(|after| self.arm(now + after, Timer::Step(c)));
            let max_timer = max_wait.map(|w| self.arm(now + w, Timer::MaxWait(c)));
            let call = self.call_mut(c);
            call.step_timer = step_timer;
            call.max_wait_timer = max_timer;
        }
        match agent {
            Some(a) => self.offer(c, a),
            None => {
                self.join_waiting(c);
                self.announce(c);
            }
        }
    }

    fn announce(&mut self, c: u32) {
        if self.raw_out {
            // the simulator reads no queue positions: skip the rank walk
            return;
        }
        let (position, expected_wait) = self.position_of(c);
        let call = self.call(c);
        self.out.push(Out::Queued {
            call: call.id.clone(),
            queue: call.queue,
            position,
            expected_wait,
        });
    }

    /// Position (1-based) and expected wait of a waiting call: it is answered after the
    /// `position` calls up to and including it are, at the rate the queue's logged-in agents
    /// finish calls (`staffed / AHT`, AHT measured so far or the configured guess).
    fn position_of(&self, c: u32) -> (u32, f64) {
        let call = self.call(c);
        let queue = &self.queues[call.queue as usize];
        let ahead = if self.raw_out {
            // no order index kept: count
            self.waiting_keys(call.queue)
                .filter(|k| **k < call.key)
                .count()
        } else {
            queue.order.rank(&call.key)
        };
        let position = ahead as u32 + 1;
        let aht = if queue.counters.completed > 0 {
            queue.counters.aht()
        } else {
            queue.config.expected_aht
        };
        let wait = if queue.staffed == 0 {
            f64::INFINITY
        } else {
            f64::from(position) * aht / f64::from(queue.staffed)
        };
        (position, wait)
    }

    /// A call's priority, boosted by its step, less its queue's aging since time zero (its
    /// effective priority at time `t` adds `aging × t`, the same for every call of a queue).
    fn aged_priority(&self, call: &Call) -> f64 {
        let queue = &self.queues[call.queue as usize];
        let boosted = call
            .priority
            .saturating_add(queue.steps[call.step as usize].boost);
        f64::from(boosted) - queue.config.aging * secs(call.arrival)
    }

    fn call_key(&self, c: u32) -> CallKey {
        let call = self.call(c);
        CallKey {
            rank: ord_f64(-self.aged_priority(call)),
            arrival: call.arrival,
            seq: call.seq,
            call: c,
        }
    }

    fn join_waiting(&mut self, c: u32) {
        let key = self.call_key(c);
        let call = self.call_mut(c);
        call.key = key;
        let (q, step) = (call.queue, call.step);
        let queue = &mut self.queues[q as usize];
        if !self.raw_out {
            queue.order.insert(key);
        }
        let qs = (queue.qs0 + step) as usize;
        self.qs[qs].waiting.insert(key);
    }

    fn leave_waiting(&mut self, c: u32) {
        let call = self.call(c);
        let (key, q, step) = (call.key, call.queue, call.step);
        let queue = &mut self.queues[q as usize];
        if !self.raw_out {
            queue.order.remove(&key);
        }
        let qs = (queue.qs0 + step) as usize;
        self.qs[qs].waiting.remove(&key);
    }

    /// Offer waiting call `c` to the best free eligible agent, if any.
    fn try_offer_call(&mut self, c: u32) -> bool {
        match self.choose_agent(c) {
            Some(a) => {
                self.make_offer(c, a);
                true
            }
            None => false,
        }
    }

    /// The best free eligible agent for call `c`, if any.
    #[inline(always)]
    fn choose_agent(&mut self, c: u32) -> Option<u32> {
        let call = self.call(c);
        let queue = &self.queues[call.queue as usize];
        let qs = (queue.qs0 + call.step) as usize;
        let set = &self.qs[qs].avail;
        let first = set.first()?;
        let mut candidates: Vec<u32> = Vec::new();
        let load = first.load;
        let allowed = |k: &&AvailKey| !call.excluded.iter().any(|&(x, _)| x == k.agent);
        if queue.config.strategy != Strategy::RoundRobin
            && (queue.config.strategy != Strategy::Custom || self.scorer.is_none())
        {
            // the least key allowed: in the least-loaded class if any, else above it
            let k = if call.excluded.is_empty() {
                first // (the usual case: nobody excluded)
            } else {
                set.iter().find(allowed)?
            };
            let (agent, race) = (k.agent, f64::from_bits(first.a as u64));
            // A random race won by the least key moves the race clock to it (desired_key).
            if matches!(
                queue.config.strategy,
                Strategy::Random | Strategy::WeightedRandom
            ) && agent == first.agent
            {
                self.qs[qs].race = race;
            }
            return Some(agent);
        }
        let class = set.range(
            AvailKey {
                load,
                a: i64::MIN,
                b: i64::MIN,
                order: 0,
                agent: 0,
            }..AvailKey {
                load: load + 1,
                a: i64::MIN,
                b: i64::MIN,
                order: 0,
                agent: 0,
            },
        );
        let chosen = match queue.config.strategy {
            Strategy::RoundRobin => {
                let after = queue.rr_last.map_or(0, |o| o + 1);
                let start = AvailKey {
                    load,
                    a: 0,
                    b: 0,
                    order: after,
                    agent: 0,
                };
                let end = AvailKey {
                    load: load + 1,
                    a: i64::MIN,
                    b: i64::MIN,
                    order: 0,
                    agent: 0,
                };
                set.range(start..end)
                    .find(allowed)
                    .or_else(|| class.clone().find(allowed))
                    .map(|k| k.agent)
            }
            Strategy::Custom if self.scorer.is_some() => {
                candidates = class.clone().filter(allowed).map(|k| k.agent).collect();
                None
            }
            _ => class.clone().find(allowed).map(|k| k.agent),
        };
        // A random race won by the least key moves the race clock to it (see desired_key).
        let race = (matches!(
            queue.config.strategy,
            Strategy::Random | Strategy::WeightedRandom
        ) && chosen == Some(first.agent))
        .then(|| f64::from_bits(first.a as u64));
        // Loads above the least one are only tried when the least-loaded class is excluded.
        let fallback = set
            .range(
                AvailKey {
                    load: load + 1,
                    a: i64::MIN,
                    b: i64::MIN,
                    order: 0,
                    agent: 0,
                }..,
            )
            .find(allowed)
            .map(|k| k.agent);
        let chosen = if candidates.is_empty() {
            chosen
        } else {
            self.score_candidates(c, &candidates)
        };
        if let Some(race) = race {
            self.qs[qs].race = race;
        }
        chosen.or(fallback)
    }

    fn score_candidates(&mut self, c: u32, candidates: &[u32]) -> Option<u32> {
        if candidates.len() <= 1 {
            return candidates.first().copied();
        }
        let ids: Vec<Arc<str>> = candidates
            .iter()
            .map(|&a| self.agents[a as usize].id.clone())
            .collect();
        let mut scorer = self.scorer.take().expect("scorer present");
        let call = self.call(c);
        let queue = &self.queues[call.queue as usize];
        let id = call.id.to_arc();
        let view = CallView {
            id: &id,
            queue: &queue.id,
            priority: call
                .priority
                .saturating_add(queue.steps[call.step as usize].boost),
            waited: secs(self.clock - call.arrival),
            data: &call.data,
        };
        let scores = scorer.score(&view, &ids);
        self.scorer = Some(scorer);
        if scores.len() != candidates.len() || scores.iter().any(|s| s.is_nan()) {
            self.scorer_failures += 1;
            return candidates.first().copied();
        }
        let mut best = 0;
        for (i, s) in scores.iter().enumerate() {
            if *s > scores[best] {
                best = i;
            }
        }
        Some(candidates[best])
    }

    fn make_offer(&mut self, c: u32, a: u32) {
        self.leave_waiting(c);
        self.offer(c, a);
    }

    /// Offer call `c` (out of the waiting indices) to agent `a`: a lease the agent accepts
    /// or lets lapse, or with an auto-answer agent, the call connected at once.
    fn offer(&mut self, c: u32, a: u32) {
        let now = self.clock;
        self.task_seq += 1;
        let uid = self.task_seq;
        let auto = self.agents[a as usize].auto_answer;
        let call = self.call(c);
        let (q, media, callback) = (call.queue, call.media, call.callback);
        let queue = &mut self.queues[q as usize];
        let timeout = queue.offer_timeout;
        let expires = if auto { now } else { now + timeout };
        if queue.config.strategy == Strategy::RoundRobin {
            queue.rr_last = Some(self.agents[a as usize].order);
        }
        let timer = if auto {
            None
        } else {
            queue.offering += 1;
            Some(self.arm_after(timeout, Timer::Offer(c)))
        };
        let call = self.call_mut(c);
        call.state = CallState::Offered {
            agent: a,
            task: uid,
            expires,
        };
        call.offer_timer = timer;
        let agent = &mut self.agents[a as usize];
        agent.tasks.push(Task {
            uid,
            call: c,
            media,
            kind: TaskKind::Offered,
            queue: q,
            since: now,
            timer: None,
        });
        agent.add_load(media, 1);
        agent.offered += 1;
        if auto && self.raw_out {
            self.answered_out.push((c, a));
        } else {
            self.out.push(Out::Offer {
                call: self.call(c).id.clone(),
                agent: a,
                queue: q,
                expires: secs(expires),
                callback,
                auto_answer: auto,
            });
        }
        if auto {
            self.connect(c, a, uid);
        } else {
            self.refresh_agent(a);
            self.update_agent_state(a);
        }
    }

    /// Take an outstanding offer back from its agent (the call is left in limbo: the caller
    /// puts it back in its queue, moves it, or ends it).
    fn revoke_offer(&mut self, c: u32, reason: RevokeReason) -> u32 {
        let CallState::Offered { agent: a, task, .. } = self.call(c).state else {
            unreachable!("revoke of a call not offered");
        };
        let timer = self.call_mut(c).offer_timer.take();
        self.disarm(timer);
        let (q, call_id) = (self.call(c).queue, self.call(c).id.clone());
        self.queues[q as usize].offering -= 1;
        let agent = &mut self.agents[a as usize];
        let i = agent.task_index(task);
        let t = agent.tasks.swap_remove(i);
        // an agent back to idle keeps its place in line (its free_since is unchanged)
        agent.add_load(t.media, -1);
        self.out.push(Out::Revoked {
            call: call_id,
            agent: a,
            reason,
        });
        self.refresh_agent(a);
        a
    }

    /// A call whose offer ended unanswered goes back to its place and is routed again.
    fn return_to_queue(&mut self, c: u32) {
        let call = self.call_mut(c);
        call.state = CallState::Waiting;
        if call.max_wait_due {
            call.max_wait_due = false;
            self.join_waiting(c);
            self.max_wait_reached(c);
            return;
        }
        self.join_waiting(c);
        if !self.try_offer_call(c) {
            self.announce(c);
        }
    }

    fn exclude(&mut self, c: u32, a: u32) {
        let q = self.call(c).queue;
        let until = self.clock + self.queues[q as usize].retry;
        if until <= self.clock {
            return;
        }
        let call = self.call_mut(c);
        call.excluded.retain(|&(x, _)| x != a);
        call.excluded.push((a, until));
        self.arm_retry(c);
    }

    fn offer_lapsed(&mut self, c: u32) {
        let a = self.revoke_offer(c, RevokeReason::NoAnswer);
        let q = self.call(c).queue;
        let max = self.queues[q as usize].config.max_no_answer;
        let agent = &mut self.agents[a as usize];
        agent.missed += 1;
        agent.no_answer_streak += 1;
        if max > 0 && agent.no_answer_streak >= max && agent.presence == Presence::Ready {
            agent.no_answer_streak = 0;
            let r = self.reasons.intern("no answer");
            self.agents[a as usize].presence = Presence::NotReady(r);
            self.refresh_agent(a);
        }
        self.exclude(c, a);
        self.return_to_queue(c);
        self.agent_changed(a);
    }

    fn next_step(&mut self, c: u32) {
        let call = self.call(c);
        let (q, step, entered) = (call.queue, call.step + 1, call.entered);
        let waiting = call.state == CallState::Waiting;
        if waiting {
            self.leave_waiting(c);
        }
        self.call_mut(c).step = step;
        let next = self.queues[q as usize]
            .steps
            .get(step as usize + 1)
            .map(|s| s.after);
        let timer = next.map(|after| self.arm(entered + after, Timer::Step(c)));
        self.call_mut(c).step_timer = timer;
        self.out.push(Out::Step {
            call: self.call(c).id.clone(),
            queue: q,
            step,
        });
        if waiting {
            self.join_waiting(c);
            self.try_offer_call(c);
        }
    }

    fn max_wait_reached(&mut self, c: u32) {
        let q = self.call(c).queue;
        self.leave_waiting(c);
        match self.queues[q as usize].overflow {
            Some(to) => {
                self.move_out(c);
                self.out.push(Out::Overflow {
                    call: self.call(c).id.clone(),
                    from_queue: q,
                    to_queue: to,
                });
                self.enter_queue(c, to, false);
            }
            None => self.exit_call(c, ExitReason::MaxWait, Outcome::Exited),
        }
    }

    /// Count a call leaving its queue for another, and stop its queue timers.
    fn move_out(&mut self, c: u32) {
        let call = self.call(c);
        let q = call.queue;
        let interval = call.interval;
        let queue = &mut self.queues[q as usize];
        queue.counters.moved_out += 1;
        queue.intervals.at(interval).moved_out += 1;
        self.stop_queue_timers(c);
    }

    #[inline(always)]
    fn stop_queue_timers(&mut self, c: u32) {
        let call = self.call(c);
        if call.step_timer.is_some() || call.max_wait_timer.is_some() || call.retry_timer.is_some()
        {
            self.disarm_queue_timers(c); // (not the usual case: kept out of line)
        }
    }

    #[inline(never)]
    fn disarm_queue_timers(&mut self, c: u32) {
        let call = self.call_mut(c);
        let timers = [
            call.step_timer.take(),
            call.max_wait_timer.take(),
            call.retry_timer.take(),
        ];
        for t in timers {
            self.disarm(t);
        }
    }

    /// The call leaves unanswered (not in any waiting set any more).
    fn exit_call(&mut self, c: u32, reason: ExitReason, outcome: Outcome) {
        let call = self.call(c);
        let (q, interval, call_id) = (call.queue, call.interval, call.id.clone());
        let queue = &mut self.queues[q as usize];
        queue.counters.exited += 1;
        queue.intervals.at(interval).exited += 1;
        self.out.push(Out::Exit {
            call: call_id,
            queue: q,
            reason,
        });
        self.finish(c, outcome);
    }

    #[inline(always)]
    fn finish(&mut self, c: u32, outcome: Outcome) {
        self.stop_queue_timers(c);
        let call = self.calls.get(c as usize).expect("live call");
        let timer = call.offer_timer;
        if let CallId::Str(id) = &call.id {
            self.call_ids.remove(id);
        }
        self.calls.free(c as usize);
        self.disarm(timer);
        self.free_calls.push(c);
        match outcome {
            Outcome::Completed => self.totals.completed += 1,
            Outcome::Abandoned => self.totals.abandoned += 1,
            Outcome::Exited => self.totals.exited += 1,
            Outcome::Rejected => self.totals.rejected += 1,
        }
    }

    /// The agent offered `call` takes it.
    pub fn offer_accepted(&mut self, call: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let now = self.check_time(now)?;
        self.accept(c, now)?;
        Ok(self.take_out())
    }

    /// Crate-internal inputs (the simulator): as the public ones, the call given by slot,
    /// the decisions left for [`Engine::raw_decisions`].
    pub(crate) fn accept_raw(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        self.check_slot(c)?;
        let now = self.check_us(now)?;
        self.accept(c, now)
    }

    /// See [`Engine::accept_raw`].
    pub(crate) fn end_raw(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        self.check_slot(c)?;
        let now = self.check_us(now)?;
        self.end(c, now)
    }

    /// See [`Engine::accept_raw`].
    pub(crate) fn abandon_raw(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        self.check_slot(c)?;
        let now = self.check_us(now)?;
        self.abandon(c, now)
    }

    /// See [`Engine::accept_raw`].
    pub(crate) fn callback_raw(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        self.check_slot(c)?;
        let now = self.check_us(now)?;
        self.request_callback(c, now)
    }

    #[inline]
    fn check_slot(&self, c: u32) -> Result<(), EngineError> {
        match self.calls.get(c as usize) {
            Some(_) => Ok(()),
            None => Err(no_slot(c)),
        }
    }

    /// `now` checked by the caller.
    fn accept(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        let CallState::Offered { agent: a, task, .. } = self.call(c).state else {
            return Err(wrong_state(format!(
                "call {} has no outstanding offer (it is {})",
                self.quoted(c),
                self.state_name(c)
            )));
        };
        self.clock = now;
        let timer = self.call_mut(c).offer_timer.take();
        self.disarm(timer);
        let q = self.call(c).queue;
        self.queues[q as usize].offering -= 1;
        self.connect(c, a, task);
        Ok(())
    }

    /// Call `c`, offered to agent `a` as `task` (its lease closed), is answered now.
    fn connect(&mut self, c: u32, a: u32, task: u64) {
        let now = self.clock;
        self.stop_queue_timers(c);
        let call_ref = self.call_mut(c);
        call_ref.state = CallState::Connected {
            agent: a,
            task,
            answered: now,
        };
        let (q, entered, interval) = (call_ref.queue, call_ref.entered, call_ref.interval);
        let wait = now - entered;
        let queue = &mut self.queues[q as usize];
        let within = wait <= queue.sl;
        for counters in [&mut queue.counters, queue.intervals.at(interval)] {
            counters.answered += 1;
            counters.answered_within_sl += u64::from(within);
            counters.wait_answered_us += wait;
        }
        let agent = &mut self.agents[a as usize];
        let i = agent.task_index(task);
        agent.tasks[i].kind = TaskKind::Busy;
        agent.tasks[i].since = now;
        agent.handled += 1;
        agent.no_answer_streak = 0;
        // an agent with room left keeps its index entries: `handled` moved its key
        self.refresh_agent(a);
        self.update_agent_state(a);
    }

    /// The agent offered `call` refuses it: the call goes back to its place, and is not
    /// offered to that agent again for the queue's `retry` seconds.
    pub fn offer_declined(&mut self, call: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let now = self.check_time(now)?;
        if !matches!(self.call(c).state, CallState::Offered { .. }) {
            return Err(wrong_state(format!(
                "call {} has no outstanding offer (it is {})",
                self.quoted(c),
                self.state_name(c)
            )));
        }
        self.clock = now;
        let mark = self.out.len();
        let a = self.revoke_offer(c, RevokeReason::NoAnswer);
        self.out.truncate(mark); // the agent knows it declined
        self.agents[a as usize].declined += 1;
        self.exclude(c, a);
        self.return_to_queue(c);
        self.agent_changed(a);
        Ok(self.take_out())
    }

    /// A connected call ends: the agent goes to wrap-up (if the queue has any).
    pub fn call_ended(&mut self, call: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let now = self.check_time(now)?;
        self.end(c, now)?;
        Ok(self.take_out())
    }

    /// `now` checked by the caller.
    fn end(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        if !matches!(self.call(c).state, CallState::Connected { .. }) {
            return Err(wrong_state(format!(
                "call {} is {}, not connected; an unanswered caller who hangs up is \
                 call_abandoned",
                self.quoted(c),
                self.state_name(c)
            )));
        }
        self.clock = now;
        let a = self.release_agent(c);
        self.finish(c, Outcome::Completed);
        self.agent_changed(a);
        Ok(())
    }

    /// Close the connected call's task at its agent: talk counted, wrap-up started (the
    /// agent's index entries are the caller's to refresh).
    fn release_agent(&mut self, c: u32) -> u32 {
        let CallState::Connected {
            agent: a,
            task,
            answered,
        } = self.call(c).state
        else {
            unreachable!("release of a call not connected");
        };
        let now = self.clock;
        let call = self.call(c);
        let (q, interval) = (call.queue, call.interval);
        let talk = now - answered;
        let queue = &mut self.queues[q as usize];
        let wrapup = queue.wrapup;
        for counters in [&mut queue.counters, queue.intervals.at(interval)] {
            counters.completed += 1;
            counters.talk_us += talk;
        }
        let agent = &mut self.agents[a as usize];
        agent.talk_us += talk;
        let i = agent.task_index(task);
        if wrapup > 0 {
            let timer = self.arm(now + wrapup, Timer::WrapUp(a, task));
            let t = &mut self.agents[a as usize].tasks[i];
            t.kind = TaskKind::WrapUp;
            t.since = now;
            t.call = u32::MAX;
            t.timer = Some(timer);
        } else {
            let t = agent.tasks.swap_remove(i);
            agent.add_load(t.media, -1);
            if agent.tasks.is_empty() {
                agent.free_since = now;
            }
        }
        a
    }

    /// The caller hangs up before being answered (or cancels a callback).
    pub fn call_abandoned(&mut self, call: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let now = self.check_time(now)?;
        self.abandon(c, now)?;
        Ok(self.take_out())
    }

    /// `now` checked by the caller.
    fn abandon(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        if matches!(self.call(c).state, CallState::Connected { .. }) {
            return Err(wrong_state(format!(
                "call {} is connected: a connected call ends with call_ended",
                self.quoted(c)
            )));
        }
        self.clock = now;
        let agent = match self.call(c).state {
            CallState::Offered { .. } => Some(self.revoke_offer(c, RevokeReason::Abandoned)),
            _ => {
                self.leave_waiting(c);
                None
            }
        };
        let call = self.call(c);
        let (q, interval, wait) = (call.queue, call.interval, now - call.entered);
        let queue = &mut self.queues[q as usize];
        let short = wait <= queue.short_abandon;
        for counters in [&mut queue.counters, queue.intervals.at(interval)] {
            counters.abandoned += 1;
            counters.short_abandoned += u64::from(short);
            counters.wait_abandoned_us += wait;
        }
        self.finish(c, Outcome::Abandoned);
        if let Some(a) = agent {
            self.agent_changed(a);
        }
        Ok(())
    }

    /// Move a call to `queue` (from waiting, offered or connected). It keeps its original
    /// arrival time; a connected call's agent goes to wrap-up.
    pub fn transfer(
        &mut self,
        call: &str,
        now: f64,
        queue: &str,
    ) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let to = self.queue_index(queue)?;
        let now = self.check_time(now)?;
        let from = self.call(c).queue;
        if self.queues[to as usize].media != self.queues[from as usize].media {
            return Err(invalid(format!(
                "call {}: queue {queue:?} takes {} calls, not {}",
                self.quoted(c),
                self.media.name(self.queues[to as usize].media),
                self.media.name(self.queues[from as usize].media)
            )));
        }
        self.clock = now;
        let state = self.call(c).state;
        let agent = match state {
            CallState::Waiting => {
                self.leave_waiting(c);
                None
            }
            CallState::Offered { .. } => Some(self.revoke_offer(c, RevokeReason::Transferred)),
            CallState::Connected { .. } => {
                let a = self.release_agent(c);
                // free for the transferred call itself if it comes back to this agent
                self.refresh_agent(a);
                Some(a)
            }
        };
        if matches!(state, CallState::Connected { .. }) {
            // answered here: counted as answered and completed, not as moved out
            self.stop_queue_timers(c);
        } else {
            self.move_out(c);
        }
        self.enter_queue(c, to, false);
        if let Some(a) = agent {
            self.agent_changed(a);
        }
        Ok(self.take_out())
    }

    /// The waiting caller asks to be called back: it hangs up but keeps its place; when its
    /// turn comes the offer says `callback`.
    pub fn callback_requested(
        &mut self,
        call: &str,
        now: f64,
    ) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let now = self.check_time(now)?;
        self.request_callback(c, now)?;
        Ok(self.take_out())
    }

    /// `now` checked by the caller.
    fn request_callback(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        let state = self.call(c).state;
        if state != CallState::Waiting {
            return Err(wrong_state(format!(
                "call {} is {}: only a waiting call can ask for a callback",
                self.quoted(c),
                self.state_name(c)
            )));
        }
        if self.call(c).callback {
            return Err(wrong_state(format!(
                "call {} already has a callback request",
                self.quoted(c)
            )));
        }
        self.clock = now;
        self.call_mut(c).callback = true;
        Ok(())
    }

    fn state_name(&self, c: u32) -> &'static str {
        match self.call(c).state {
            CallState::Waiting => "waiting",
            CallState::Offered { .. } => "offered",
            CallState::Connected { .. } => "connected",
        }
    }

    // ------------------------------------------------------------------ queries

    /// The last time seen (seconds); `None` before the first timed input.
    pub fn now(&self) -> Option<f64> {
        (self.clock != i64::MIN).then(|| secs(self.clock))
    }

    /// Conservation totals.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Ids of the queues, in the order they were added (implicit skill queues included).
    pub fn queue_ids(&self) -> Vec<Arc<str>> {
        self.queues.iter().map(|q| q.id.clone()).collect()
    }

    /// Ids of the agents, in the order they were added.
    pub fn agent_ids(&self) -> Vec<Arc<str>> {
        self.agents.iter().map(|a| a.id.clone()).collect()
    }

    /// Ids of the calls in the engine, in arrival order.
    pub fn call_ids(&self) -> Vec<Arc<str>> {
        let mut live: Vec<&Call> = self.calls.live().collect();
        live.sort_by_key(|c| c.seq);
        live.iter().map(|c| c.id.to_arc()).collect()
    }

    /// An agent's current state.
    pub fn agent_state(&self, agent: &str) -> Result<AgentState, EngineError> {
        Ok(self.public_state(self.agents[self.agent_index(agent)? as usize].state))
    }

    /// Where a call is.
    pub fn call_info(&self, call: &str) -> Result<CallInfo, EngineError> {
        let c = self.call_index(call)?;
        let info = self.call(c);
        let queue = &self.queues[info.queue as usize];
        let (agent, waiting) = match info.state {
            CallState::Waiting => (None, true),
            CallState::Offered { agent, .. } | CallState::Connected { agent, .. } => {
                (Some(self.agents[agent as usize].id.clone()), false)
            }
        };
        let (position, expected_wait) = if waiting {
            let (p, w) = self.position_of(c);
            (Some(p), Some(w))
        } else {
            (None, None)
        };
        Ok(CallInfo {
            queue: queue.id.clone(),
            state: self.state_name(c),
            agent,
            position,
            expected_wait,
            arrival: secs(info.arrival),
            priority: info
                .priority
                .saturating_add(queue.steps[info.step as usize].boost),
            step: info.step,
            callback: info.callback,
            data: info.data.clone(),
        })
    }

    /// A queue's live statistics.
    pub fn queue_stats(&self, queue: &str) -> Result<QueueStats, EngineError> {
        let q = self.queue_index(queue)?;
        let queue = &self.queues[q as usize];
        // the earliest entry among the waiting calls (a scan: stats are read far less often
        // than calls come and go, which would each pay for an index by entry time)
        let (mut waiting, mut entered) = (0u64, None::<Us>);
        for k in self.waiting_keys(q) {
            waiting += 1;
            let t = self.call(k.call).entered;
            entered = Some(entered.map_or(t, |e| e.min(t)));
        }
        let longest = entered.map_or(0.0, |t| secs(self.clock - t));
        let available: BTreeSet<u32> = (0..queue.steps.len() as u32)
            .flat_map(|s| {
                self.qs[(queue.qs0 + s) as usize]
                    .avail
                    .iter()
                    .map(|k| k.agent)
            })
            .collect();
        let aht = if queue.counters.completed > 0 {
            queue.counters.aht()
        } else {
            queue.config.expected_aht
        };
        let expected_wait = if waiting > 0 || available.is_empty() {
            if queue.staffed == 0 {
                f64::INFINITY
            } else {
                (waiting as f64 + 1.0) * aht / f64::from(queue.staffed)
            }
        } else {
            0.0
        };
        Ok(QueueStats {
            counters: queue.counters.clone(),
            waiting,
            offering: u64::from(queue.offering),
            longest_wait: longest,
            agents_logged_in: u64::from(queue.staffed),
            agents_available: available.len() as u64,
            expected_wait,
        })
    }

    /// A queue's counters per interval (interval start in seconds, counters), oldest first.
    /// Calls count in the interval in which they entered the queue.
    pub fn interval_stats(&self, queue: &str) -> Result<Vec<(f64, QueueCounters)>, EngineError> {
        let q = self.queue_index(queue)?;
        Ok(self.queues[q as usize]
            .intervals
            .0
            .iter()
            .map(|(i, c)| (secs(i * self.interval), c.clone()))
            .collect())
    }

    /// An agent's statistics up to the last time seen.
    pub fn agent_stats(&self, agent: &str) -> Result<AgentStats, EngineError> {
        let ag = &self.agents[self.agent_index(agent)? as usize];
        let ongoing = if self.clock == i64::MIN {
            0
        } else {
            self.clock - ag.state_since
        };
        let [idle, busy, offered, wrap] = ag.state_times(ongoing);
        let mut not_ready: Vec<(String, f64)> = ag
            .not_ready_us
            .iter()
            .map(|&(r, us)| (self.reasons.name(r).to_string(), secs(us)))
            .collect();
        if let State::NotReady(r) = ag.state {
            let r = self.reasons.name(r);
            match not_ready.iter_mut().find(|(x, _)| **x == **r) {
                Some(slot) => slot.1 += secs(ongoing),
                None => not_ready.push((r.to_string(), secs(ongoing))),
            }
        }
        let working = busy + offered + wrap;
        Ok(AgentStats {
            handled: ag.handled,
            offered: ag.offered,
            declined: ag.declined,
            missed: ag.missed,
            talk: secs(ag.talk_us),
            wrapup: secs(ag.wrapup_us),
            idle: secs(idle),
            offered_time: secs(offered),
            not_ready,
            occupancy: if working + idle > 0 {
                working as f64 / (working + idle) as f64
            } else {
                f64::NAN
            },
        })
    }

    // ------------------------------------------------------------------ snapshots

    /// The whole state as bytes; [`Engine::restore`] continues from it identically.
    /// The scorer is not included: install it again after a restore.
    pub fn snapshot(&self) -> Vec<u8> {
        let mut out = SNAPSHOT_MAGIC.to_vec();
        out.extend(postcard::to_allocvec(self).expect("engine state serializes"));
        out
    }

    /// An engine from [`Engine::snapshot`] bytes. Never panics: bytes that do not decode, or
    /// decode to an inconsistent state, give [`EngineError::Snapshot`].
    pub fn restore(bytes: &[u8]) -> Result<Self, EngineError> {
        let body = bytes
            .strip_prefix(SNAPSHOT_MAGIC.as_slice())
            .ok_or_else(|| EngineError::Snapshot("not a callroute engine snapshot".into()))?;
        let mut engine: Engine = postcard::from_bytes(body)
            .map_err(|e| EngineError::Snapshot(format!("corrupt engine snapshot: {e}")))?;
        let inconsistent =
            |e: String| EngineError::Snapshot(format!("inconsistent engine snapshot: {e}"));
        // before anything indexes into the decoded state
        engine.check_decoded().map_err(inconsistent)?;
        for names in [
            &mut engine.skills,
            &mut engine.tenants,
            &mut engine.media,
            &mut engine.reasons,
        ] {
            names.rebuild();
        }
        engine.agent_ids = id_index(engine.agents.iter().map(|a| &a.id))
            .ok_or_else(|| inconsistent("an agent id given twice".into()))?;
        engine.queue_ids = id_index(engine.queues.iter().map(|q| &q.id))
            .ok_or_else(|| inconsistent("a queue id given twice".into()))?;
        engine.call_ids = engine
            .calls
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c.map(|c| &c.id) {
                Some(CallId::Str(id)) => Some((id.clone(), i as u32)),
                _ => None,
            })
            .collect();
        // (check_decoded: every waiting entry names a live waiting call of its queue)
        engine.rebuild_order();
        engine
            .audit()
            .map_err(|e| EngineError::Snapshot(format!("inconsistent engine snapshot: {e}")))?;
        Ok(engine)
    }

    // ------------------------------------------------------------------ audit

    /// Check every invariant (O(size)); `Err` names the first one broken. Never panics,
    /// whatever the state (it also vets restored snapshots).
    pub fn audit(&self) -> Result<(), String> {
        let t = &self.totals;
        let live = self.calls.live().count() as u64;
        let accounted = [t.completed, t.abandoned, t.exited, t.rejected, live]
            .into_iter()
            .try_fold(0u64, u64::checked_add);
        if accounted != Some(t.arrived) {
            return Err(format!("conservation: {t:?} with {live} live calls"));
        }
        let numbered = self
            .calls
            .live()
            .filter(|c| matches!(c.id, CallId::Num(_)))
            .count();
        if live as usize != self.call_ids.len() + numbered {
            return Err("call id map out of step".into());
        }
        let mut offering = vec![0u32; self.queues.len()];
        let mut waiting = vec![0usize; self.queues.len()];
        for (c, call) in self.calls.iter().enumerate() {
            let Some(call) = call else { continue };
            let c = c as u32;
            let known = match &call.id {
                CallId::Str(id) => self.call_ids.get(id) == Some(&c),
                CallId::Num(n) => *n == c,
            };
            if !known {
                return Err(format!("call {} not in the id map", call.id));
            }
            let Some(queue) = self.queues.get(call.queue as usize) else {
                return Err(format!("call {}: unknown queue", call.id));
            };
            let Some(step) = queue.steps.get(call.step as usize) else {
                return Err(format!("call {}: unknown step", call.id));
            };
            let Some(qs) = self
                .qs
                .get(queue.qs0 as usize + call.step as usize)
                .filter(|qs| qs.queue == call.queue)
            else {
                return Err(format!("call {}: step index out of place", call.id));
            };
            let in_sets = qs.waiting.contains(&call.key);
            match call.state {
                CallState::Waiting => {
                    waiting[call.queue as usize] += 1;
                    if !in_sets || (!self.raw_out && !queue.order.contains(&call.key)) {
                        return Err(format!("waiting call {} missing from its indices", call.id));
                    }
                    let boosted = call.priority.saturating_add(step.boost);
                    let k = f64::from(boosted) - queue.config.aging * secs(call.arrival);
                    let key = CallKey {
                        rank: ord_f64(-k),
                        arrival: call.arrival,
                        seq: call.seq,
                        call: c,
                    };
                    if call.key != key {
                        return Err(format!("call {} has a stale key", call.id));
                    }
                    // work conservation: no free eligible agent may be left unused
                    if let Some(k) = qs
                        .avail
                        .iter()
                        .find(|k| !call.excluded.iter().any(|&(x, _)| x == k.agent))
                    {
                        let agent = self.agents.get(k.agent as usize).map(|a| &a.id);
                        return Err(format!(
                            "call {} waits while agent {agent:?} is free for it",
                            call.id
                        ));
                    }
                }
                CallState::Offered { agent, task, .. }
                | CallState::Connected { agent, task, .. } => {
                    if in_sets {
                        return Err(format!(
                            "call {} is both waiting and with an agent",
                            call.id
                        ));
                    }
                    let Some(ag) = self.agents.get(agent as usize) else {
                        return Err(format!("call {} is with an unknown agent", call.id));
                    };
                    let Some(t) = ag.tasks.iter().find(|t| t.uid == task) else {
                        return Err(format!("call {} has no task at {}", call.id, ag.id));
                    };
                    let want = if matches!(call.state, CallState::Offered { .. }) {
                        offering[call.queue as usize] += 1;
                        TaskKind::Offered
                    } else {
                        TaskKind::Busy
                    };
                    if t.kind != want || t.call != c {
                        return Err(format!("call {} and its task disagree", call.id));
                    }
                    // skills are checked when the offer is made: an offer outstanding when
                    // set_agent_skills takes a skill away stands (as calls in progress do)
                    if want == TaskKind::Offered
                        && (!queue.tenants.contains(&ag.tenant) || ag.cap(queue.media) == 0)
                    {
                        return Err(format!("call {} offered to ineligible {}", call.id, ag.id));
                    }
                }
            }
        }
        for (q, queue) in self.queues.iter().enumerate() {
            if queue.offering != offering[q] {
                return Err(format!(
                    "queue {}: offering count {} != {}",
                    queue.id, queue.offering, offering[q]
                ));
            }
            if !self.raw_out && queue.order.len() != waiting[q] {
                return Err(format!("queue {}: order index out of step", queue.id));
            }
            let staffed = self
                .agents
                .iter()
                .filter(|a| a.presence != Presence::LoggedOut && a.queues.contains(&(q as u32)))
                .count();
            if staffed != queue.staffed as usize {
                return Err(format!(
                    "queue {}: staffed {} != {staffed}",
                    queue.id, queue.staffed
                ));
            }
        }
        for (a, ag) in self.agents.iter().enumerate() {
            let mut load = vec![0u32; self.media.names.len()];
            let mut exclusive = 0u32;
            for t in &ag.tasks {
                let Some(l) = load.get_mut(t.media as usize) else {
                    return Err(format!("agent {}: a task of unknown media", ag.id));
                };
                *l = l.saturating_add(1);
                if ag.exclusive.contains(&t.media) {
                    exclusive = exclusive.saturating_add(1);
                }
                if t.kind != TaskKind::WrapUp {
                    let call = self.calls.get(t.call as usize);
                    if call.is_none() {
                        return Err(format!("agent {} holds a task of a gone call", ag.id));
                    }
                }
            }
            if ag.load.len() > load.len() {
                return Err(format!("agent {}: load of unknown media", ag.id));
            }
            for (m, &l) in load.iter().enumerate() {
                if l != ag.load_of(m as u32) {
                    return Err(format!("agent {}: load out of step", ag.id));
                }
                if l > ag.cap(m as u32) {
                    return Err(format!("agent {}: {l} tasks over capacity", ag.id));
                }
            }
            if exclusive != ag.exclusive_load || (exclusive > 0 && ag.tasks.len() > 1) {
                return Err(format!("agent {}: exclusive media shared", ag.id));
            }
            if ag.member_keys.len() != ag.member_qs.len() {
                return Err(format!("agent {}: memberships out of step", ag.id));
            }
            for (&qs, &key) in ag.member_qs.iter().zip(&ag.member_keys) {
                let Some(step) = self.qs.get(qs as usize) else {
                    return Err(format!("agent {}: member of an unknown queue step", ag.id));
                };
                let Some(queue) = self.queues.get(step.queue as usize) else {
                    return Err(format!("agent {}: member of an unknown queue", ag.id));
                };
                if key.is_some() != ag.free_for(queue.media) {
                    return Err(format!("agent {}: availability out of step", ag.id));
                }
                if let Some(k) = key {
                    if k.agent != a as u32 || !step.avail.contains(&k) {
                        return Err(format!("agent {}: missing from an index", ag.id));
                    }
                }
            }
            if self.agent_state_of(a as u32) != ag.state {
                return Err(format!("agent {}: reported state out of step", ag.id));
            }
        }
        let indexed: usize = self.qs.iter().map(|s| s.avail.len()).sum();
        let members: usize = self
            .agents
            .iter()
            .map(|a| a.member_keys.iter().flatten().count())
            .sum();
        if indexed != members {
            return Err("availability index holds strangers".into());
        }
        // every timer is the one its owner records, and every recorded timer is armed
        // (a snapshot that breaks this would fire timers into the wrong state)
        for (key, timer) in self.timers.iter() {
            let owned = match timer {
                Timer::Step(c) | Timer::MaxWait(c) | Timer::Offer(c) | Timer::Retry(c) => {
                    self.calls.get(c as usize).is_some_and(|call| match timer {
                        Timer::Step(_) => call.step_timer == Some(key),
                        Timer::MaxWait(_) => call.max_wait_timer == Some(key),
                        Timer::Retry(_) => call.retry_timer == Some(key),
                        _ => {
                            call.offer_timer == Some(key)
                                && matches!(call.state, CallState::Offered { .. })
                        }
                    })
                }
                Timer::WrapUp(a, uid) => self.agents.get(a as usize).is_some_and(|ag| {
                    ag.tasks
                        .iter()
                        .any(|x| x.uid == uid && x.kind == TaskKind::WrapUp && x.timer == Some(key))
                }),
            };
            if !owned {
                return Err(format!("timer at {} for a gone entity", secs(key.0)));
            }
        }
        for call in self.calls.live() {
            let recorded = [
                call.step_timer,
                call.max_wait_timer,
                call.offer_timer,
                call.retry_timer,
            ];
            if recorded
                .into_iter()
                .flatten()
                .any(|k| !self.timers.contains(k))
            {
                return Err(format!("call {}: a timer it records is not armed", call.id));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod raw_tests {
    use super::*;
    use crate::acd::StepConfig;

    fn spec(id: &str) -> CallSpec {
        CallSpec {
            id: id.into(),
            queue: Some("q".into()),
            ..CallSpec::default()
        }
    }

    /// Calls of the crate-internal inputs are known to the public API by slot number, side
    /// by side with given ids, and survive a snapshot.
    #[test]
    fn numbered_calls_in_the_public_api() {
        let mut e = Engine::new(EngineOptions::default()).unwrap();
        e.add_queue(QueueConfig::new("q", "t")).unwrap();
        for a in ["a", "b", "c"] {
            e.add_agent(AgentConfig::new(a, "t")).unwrap();
            e.agent_ready(a, 0.0).unwrap();
        }
        e.keep_raw_decisions(true);
        let (c0, q) = e.arrive_raw(&spec(""), None, 1_000_000).unwrap();
        assert_eq!((c0, q), (0, 0));
        assert!(matches!(
            e.raw_decisions().first(),
            Some(Out::Offer {
                call: CallId::Num(0),
                ..
            })
        ));
        e.raw_decisions().clear();
        e.keep_raw_decisions(false);
        assert!(matches!(
            e.call_arrived(&spec("0"), 1.0),
            Err(EngineError::Duplicate { .. })
        ));
        // a given id that spells a free slot's number: that slot is passed over
        e.call_arrived(&spec("2"), 1.0).unwrap();
        e.keep_raw_decisions(true);
        let (c3, _) = e.arrive_raw(&spec(""), Some(q), 2_000_000).unwrap();
        assert_eq!(c3, 3);
        e.raw_decisions().clear();
        e.keep_raw_decisions(false);
        let ids: Vec<String> = e.call_ids().iter().map(|s| s.to_string()).collect();
        assert_eq!(ids, ["0", "2", "3"]);
        assert_eq!(e.call_info("3").unwrap().state, "offered");
        assert!(e.call_info("03").is_err());
        assert!(e.call_info("1").is_err());
        let err = e.call_ended("3", 3.0).unwrap_err().to_string();
        assert!(err.contains("\"3\""), "{err}");
        e.offer_accepted("0", 3.0).unwrap();
        e.audit().unwrap();
        let restored = Engine::restore(&e.snapshot()).unwrap();
        assert_eq!(restored.call_ids(), e.call_ids());
        assert_eq!(restored.snapshot(), e.snapshot());
        let ds = e.call_ended("0", 4.0).unwrap();
        assert!(ds.iter().all(|d| !matches!(d, Decision::Offer { .. })));
        assert!(e.call_info("0").is_err());
        e.accept_raw(c3, 5_000_000).unwrap();
        e.end_raw(c3, 6_000_000).unwrap();
        assert_eq!(e.totals().completed, 2);
        e.audit().unwrap();
    }

    /// The simulator's mode keeps no order index and reports no agent state changes: the
    /// positions, queue statistics and agent times read the same as in the public mode, and
    /// the index is rebuilt when the mode ends.
    #[test]
    fn raw_mode_reads_the_same() {
        let build = |raw: bool| {
            let mut e = Engine::new(EngineOptions::default()).unwrap();
            let mut q = QueueConfig::new("q", "t");
            q.skills = vec![("x".into(), 1)];
            q.steps = vec![StepConfig {
                after: 5.0,
                skills: Some(vec![]),
                priority_boost: 1,
                ..StepConfig::default()
            }];
            e.add_queue(q).unwrap();
            let mut a = AgentConfig::new("a", "t");
            a.skills = vec![("x".into(), 1)];
            e.add_agent(a).unwrap();
            e.add_agent(AgentConfig::new("b", "t")).unwrap();
            e.agent_ready("a", 0.0).unwrap();
            e.keep_raw_decisions(raw);
            e
        };
        let (mut raw, mut public) = (build(true), build(false));
        let read = |e: &Engine, t: f64| {
            let mut ids: Vec<Arc<str>> = e.call_ids();
            ids.sort();
            let calls: Vec<_> = ids
                .iter()
                .map(|c| {
                    let i = e.call_info(c).unwrap();
                    (c.clone(), i.state, i.position, i.expected_wait)
                })
                .collect();
            let s = e.queue_stats("q").unwrap();
            let times: Vec<_> = (0..2).map(|a| e.agent_time_us(a, us(t))).collect();
            let a = e.agent_stats("a").unwrap();
            format!(
                "{calls:?} {} {} {times:?} {} {}",
                s.waiting, s.longest_wait, a.idle, a.occupancy
            )
        };
        for (k, t) in [1.0, 1.5, 2.0, 3.0, 4.0, 9.0].into_iter().enumerate() {
            let mut c = spec(&format!("c{k}"));
            c.priority = (k % 3) as i32;
            for e in [&mut raw, &mut public] {
                e.call_arrived(&c, t).unwrap();
                e.advance(t + 0.5).unwrap();
                e.raw_decisions().clear();
            }
            assert_eq!(read(&raw, t + 0.5), read(&public, t + 0.5));
        }
        for e in [&mut raw, &mut public] {
            e.offer_accepted("c0", 10.0).unwrap();
            e.agent_ready("b", 11.0).unwrap();
            e.raw_decisions().clear();
        }
        assert_eq!(read(&raw, 12.0), read(&public, 12.0));
        assert!(public.queues[0].order.len() > 1, "calls wait in both steps");
        assert!(raw.queues[0].order.is_empty());
        raw.keep_raw_decisions(false);
        raw.audit().unwrap();
        assert_eq!(raw.queues[0].order.len(), public.queues[0].order.len());
        assert!(raw.queues[0].order.iter().eq(public.queues[0].order.iter()));
    }

    /// A call written into a freed slot keeps nothing of the call before it.
    #[test]
    fn a_reused_slot_starts_clean() {
        let mut e = Engine::new(EngineOptions::default()).unwrap();
        let mut q = QueueConfig::new("q", "t");
        q.steps = vec![StepConfig {
            after: 5.0,
            priority_boost: 3,
            ..StepConfig::default()
        }];
        e.add_queue(q).unwrap();
        e.add_agent(AgentConfig::new("a", "t")).unwrap();
        e.agent_ready("a", 0.0).unwrap();
        let mut first = spec("first");
        first.priority = 7;
        first.data = vec![("k".into(), "v".into())];
        e.call_arrived(&first, 1.0).unwrap();
        e.call_arrived(&spec("waits"), 1.0).unwrap();
        e.advance(7.0).unwrap(); // "waits" moves to step 1
        e.offer_declined("first", 7.5).unwrap(); // excluded from "a", waiting again
        e.call_abandoned("waits", 8.0).unwrap();
        e.call_abandoned("first", 8.0).unwrap(); // its slot is the next taken
        assert!(e.call_ids().is_empty());
        e.call_arrived(&spec("next"), 10.0).unwrap();
        e.audit().unwrap();
        let info = e.call_info("next").unwrap();
        assert_eq!((info.priority, info.arrival), (0, 10.0));
        assert!(info.data.is_empty());
        assert_eq!(info.state, "offered");
        let c = e.call_index("next").unwrap();
        let call = e.call(c);
        assert_eq!(
            (call.step, call.callback, call.max_wait_due),
            (0, false, false)
        );
        assert!(call.excluded.is_empty());
        // its own step timer (10 s + 5 s), the other timers unarmed
        assert_eq!(call.step_timer.map(|k| k.0), Some(15_000_000));
        assert!(call.max_wait_timer.is_none() && call.retry_timer.is_none());
        assert_eq!(
            Engine::restore(&e.snapshot()).unwrap().snapshot(),
            e.snapshot()
        );
    }
}
