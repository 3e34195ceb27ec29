//! A deliberately naive reference router, written from the rules of docs/engine.md.
//!
//! No indexes: every choice is a linear scan over all agents and all calls, in plain `Vec`s
//! (O(agents × waiting) per event). Only the order in which one input's effects happen
//! (which decisions come first) follows the engine's sequencing, since the rules leave it
//! open; every choice (which agent, which call, who is eligible) and every statistic is
//! computed here from the rules alone.
//!
//! The random strategies are compared by their rules, not by their draws: where a queue of
//! `random` or `weighted_random` has to pick among several free agents, the reference takes
//! the engine's pick if it is one of the agents the rules allow (the least loaded of the free
//! eligible agents not excluded by a retry window), and fails otherwise. Their distribution
//! is checked by a separate test.

use std::collections::BTreeMap;
use std::sync::Arc;

use callroute_core::acd::{
    AgentConfig, AgentState, AgentStats, CallInfo, CallSpec, Decision, EngineError, ExitReason,
    Outcome, QueueConfig, QueueCounters, QueueStats, RevokeReason, Strategy, Totals,
};

/// Defect 2 of issue 11: `set_agent_skills` dispatches after each queue's memberships are
/// rebuilt, so the agent may take a lower-ranked call than the best across its queues.
/// While true, the reference copies that order; set false once the engine is fixed.
pub const KNOWN_DEFECT_2: bool = false;

/// Defect 3 of issue 11: wrap-up time never reaches the interval statistics. While true,
/// the reference leaves `wrapup_us` of every interval at 0 as the engine does; set false
/// once the engine is fixed.
pub const KNOWN_DEFECT_3: bool = false;

/// Found by the oracle, open: the engine ranks calls by effective priorities summed in
/// binary floating point, so priorities equal in decimal can differ in the last bit and the
/// tie-breaks (queue weight, then arrival) are skipped. Queue q1 (aging 0.2, weight 1) and
/// q0 (aging 0, weight 0): c3 (q0, priority 2) arrives at 28, c4 (q1, priority 0) at 30.5;
/// at 40.5 both are at 2 points and an agent freed then must take c4 (higher weight); the
/// engine computes 0 - 0.2 × 30.5 + 0.2 × 40.5 just below 2 and offers c3. The same within
/// one queue (aging 0.05): c16 (priority -1) at 63.5 and c25 (priority 0) at 83.5 tie at
/// 0 points, so c25 is second (older first); the engine announces it first. While true,
/// scenarios on the half-second grid age only at rates exact in binary (0.25, 0.5, 1).
pub const KNOWN_FLOAT_TIES: bool = true;

pub type Us = i64;

/// The custom scorer of the oracle's `custom` queues (the engine gets the same): a few
/// distinct values, so ties happen, the call's priority in it, and now and then a NaN.
pub fn score(call: &str, priority: i32, agents: &[Arc<str>]) -> Vec<f64> {
    let h = |s: &str| {
        s.bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
    };
    agents
        .iter()
        .map(|a| match (h(call) ^ h(a).wrapping_mul(0x9E37_79B9)) % 7 {
            6 if h(call) % 5 == 0 => f64::NAN,
            k => (k % 3) as f64 + f64::from(priority) * 0.5,
        })
        .collect()
}

/// [`score`] as an engine scorer.
pub struct HashScorer;

impl callroute_core::acd::Scorer for HashScorer {
    fn score(&mut self, call: &callroute_core::acd::CallView<'_>, agents: &[Arc<str>]) -> Vec<f64> {
        score(call.id, call.priority, agents)
    }
}

pub fn us(s: f64) -> Us {
    (s * 1e6).round() as i64
}

pub fn secs(t: Us) -> f64 {
    t as f64 * 1e-6
}

#[derive(Clone, Debug, PartialEq)]
enum Presence {
    LoggedOut,
    Ready,
    NotReady(String),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Offered,
    Busy,
    WrapUp,
}

#[derive(Clone, Debug)]
struct Task {
    uid: u64,
    call: u64,
    media: String,
    kind: Kind,
    queue: usize,
    interval: i64,
    since: Us,
}

#[derive(Clone, Debug)]
struct Agent {
    id: Arc<str>,
    tenant: String,
    skills: Vec<(String, u8)>,
    capacity: Vec<(String, u32)>,
    exclusive: Vec<String>,
    auto: bool,
    presence: Presence,
    tasks: Vec<Task>,
    free_since: Us,
    streak: u32,
    reported: AgentState,
    since: Us,
    handled: u64,
    offered: u64,
    declined: u64,
    missed: u64,
    talk: Us,
    wrapup: Us,
    idle: Us,
    busy: Us,
    offered_t: Us,
    wrap_t: Us,
    not_ready: Vec<(String, Us)>,
}

impl Agent {
    fn level(&self, skill: &str) -> Option<u8> {
        self.skills.iter().find(|(s, _)| s == skill).map(|x| x.1)
    }
    fn meets(&self, reqs: &[(String, u8)]) -> bool {
        reqs.iter()
            .all(|(s, min)| self.level(s).is_some_and(|l| l >= *min))
    }
    fn cap(&self, media: &str) -> u32 {
        self.capacity
            .iter()
            .rev()
            .find(|(m, _)| m == media)
            .map_or(0, |x| x.1)
    }
    fn load(&self, media: &str) -> u32 {
        self.tasks.iter().filter(|t| t.media == media).count() as u32
    }
    fn is_exclusive(&self, media: &str) -> bool {
        self.exclusive.iter().any(|m| m == media)
    }
    /// Ready, holding no exclusive task, with room for `media`, and `media` not exclusive
    /// unless the agent holds nothing.
    fn free_for(&self, media: &str) -> bool {
        self.presence == Presence::Ready
            && !self.tasks.iter().any(|t| self.is_exclusive(&t.media))
            && self.load(media) < self.cap(media)
            && (self.tasks.is_empty() || !self.is_exclusive(media))
    }
}

#[derive(Clone, Debug)]
struct Step {
    after: Us,
    reqs: Vec<Vec<(String, u8)>>,
    boost: i32,
}

#[derive(Clone, Debug)]
struct Queue {
    id: Arc<str>,
    cfg: QueueConfig,
    tenants: Vec<String>,
    steps: Vec<Step>,
    overflow: Option<usize>,
    open: bool,
    rr_last: Option<usize>,
    counters: QueueCounters,
    intervals: BTreeMap<i64, QueueCounters>,
    /// implicit queue of skills-routed calls: (tenant, media, sorted requirements)
    implicit: Option<SkillKey>,
    /// a freed implicit queue's slot, taken by the next implicit queue made
    vacant: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum CState {
    Waiting,
    Offered {
        agent: usize,
        task: u64,
    },
    Connected {
        agent: usize,
        task: u64,
        answered: Us,
    },
}

#[derive(Clone, Debug)]
struct Call {
    h: u64,
    id: Arc<str>,
    queue: usize,
    priority: i32,
    arrival: Us,
    entered: Us,
    interval: i64,
    step: usize,
    state: CState,
    callback: bool,
    max_wait_due: bool,
    excluded: Vec<(usize, Us)>,
    data: Vec<(Arc<str>, Arc<str>)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tk {
    Step(u64),
    MaxWait(u64),
    Offer(u64),
    Retry(u64),
    WrapUp(usize, u64),
}

#[derive(Clone, Debug)]
pub struct Reference {
    clock: Option<Us>,
    interval: Us,
    template: QueueConfig,
    agents: Vec<Agent>,
    queues: Vec<Queue>,
    calls: Vec<Call>,
    timers: Vec<(Us, u64, Tk)>,
    timer_seq: u64,
    call_seq: u64,
    task_seq: u64,
    totals: Totals,
    names: Names,
    out: Vec<Decision>,
    /// the engine's decisions for the input being replayed (random picks are taken from it)
    hint: Vec<Decision>,
    /// set when the engine's random pick broke the rules
    pub random_violation: Option<String>,
    /// `eligible` of every (agent, queue, step), worked out from the rules whenever skills,
    /// agents or queues change (only to keep the test fast: the rule is `eligible_now`)
    elig: Vec<Vec<Vec<bool>>>,
}

#[derive(Clone, Debug, Default)]
struct Names {
    tenants: Vec<String>,
    media: Vec<String>,
    skills: Vec<String>,
}

fn note(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|x| x == name) {
        list.push(name.to_owned());
    }
}

fn err_unknown(kind: &'static str, id: &str) -> EngineError {
    EngineError::Unknown {
        kind,
        id: id.to_owned(),
    }
}

fn wrong(m: &str) -> EngineError {
    EngineError::WrongState(m.to_owned())
}

fn invalid(m: &str) -> EngineError {
    EngineError::InvalidConfig(m.to_owned())
}

fn skills_ok(skills: &[(String, u8)]) -> bool {
    skills
        .iter()
        .enumerate()
        .all(|(i, (n, _))| !n.is_empty() && !skills[..i].iter().any(|(x, _)| x == n))
}

/// Whether effective priority `x` is higher than `y`; `None` if they are equal. Computed in
/// binary floating point, priorities that are equal in decimal (1 + 0.1 × 20 and 3) may
/// differ in the last bit: those are equal too.
fn higher(x: f64, y: f64) -> Option<bool> {
    if (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0) {
        None
    } else {
        Some(x > y)
    }
}

fn sorted(skills: &[(String, u8)]) -> Vec<(String, u8)> {
    let mut v = skills.to_vec();
    v.sort();
    v
}

type Res = Result<Vec<Decision>, EngineError>;

/// An implicit queue's identity: (tenant, media, requirements in name order).
type SkillKey = (String, String, Vec<(String, u8)>);

mod api;
mod clock;
mod life;

impl Reference {
    pub fn new(interval: f64, template: QueueConfig) -> Self {
        Self {
            clock: None,
            interval: us(interval),
            template,
            agents: Vec::new(),
            queues: Vec::new(),
            calls: Vec::new(),
            timers: Vec::new(),
            timer_seq: 0,
            call_seq: 0,
            task_seq: 0,
            totals: Totals::default(),
            names: Names::default(),
            out: Vec::new(),
            hint: Vec::new(),
            random_violation: None,
            elig: Vec::new(),
        }
    }

    fn now(&self) -> Us {
        self.clock.unwrap_or(0)
    }

    // ------------------------------------------------------------ configuration

    /// A queue (the config is valid: the engine accepted it).
    pub fn add_queue(&mut self, cfg: QueueConfig) {
        let mut steps = vec![Step {
            after: 0,
            reqs: vec![sorted(&cfg.skills)],
            boost: 0,
        }];
        for sc in &cfg.steps {
            let prev = steps.last().unwrap().clone();
            let mut reqs = match &sc.skills {
                // replaced skills; alternatives widened to by earlier steps stay
                Some(s) => std::iter::once(sorted(s))
                    .chain(prev.reqs.iter().skip(1).cloned())
                    .collect(),
                None => prev.reqs.clone(),
            };
            for other in &sc.also_queues {
                let o = self.queue_ix(other).unwrap();
                let theirs = sorted(&self.queues[o].cfg.skills);
                if !reqs.contains(&theirs) {
                    reqs.push(theirs);
                }
            }
            steps.push(Step {
                after: us(sc.after),
                reqs,
                boost: prev.boost.saturating_add(sc.priority_boost),
            });
        }
        for s in cfg
            .skills
            .iter()
            .chain(cfg.steps.iter().flat_map(|s| s.skills.iter().flatten()))
        {
            note(&mut self.names.skills, &s.0);
        }
        let overflow = cfg.overflow.as_deref().map(|o| self.queue_ix(o).unwrap());
        self.push_queue(cfg, steps, overflow, None);
    }

    fn push_queue(
        &mut self,
        cfg: QueueConfig,
        steps: Vec<Step>,
        overflow: Option<usize>,
        implicit: Option<SkillKey>,
    ) -> usize {
        let mut tenants = vec![cfg.tenant.clone()];
        for t in &cfg.shared_with {
            note(&mut tenants, t);
        }
        for t in &tenants {
            note(&mut self.names.tenants, t);
        }
        note(&mut self.names.media, &cfg.media);
        let queue = Queue {
            id: Arc::from(cfg.name.as_str()),
            tenants,
            steps,
            overflow,
            open: true,
            rr_last: None,
            counters: QueueCounters::default(),
            intervals: BTreeMap::new(),
            implicit,
            cfg,
            vacant: false,
        };
        // an implicit queue takes the lowest vacant slot
        let slot = self
            .queues
            .iter()
            .position(|q| q.vacant)
            .filter(|_| queue.implicit.is_some());
        let q = match slot {
            Some(q) => {
                self.queues[q] = queue;
                q
            }
            None => {
                self.queues.push(queue);
                self.queues.len() - 1
            }
        };
        self.refresh_eligibility();
        q
    }

    pub fn add_agent(&mut self, cfg: AgentConfig) {
        note(&mut self.names.tenants, &cfg.tenant);
        for (m, _) in &cfg.capacity {
            note(&mut self.names.media, m);
        }
        for m in &cfg.exclusive {
            note(&mut self.names.media, m);
        }
        for (s, _) in &cfg.skills {
            note(&mut self.names.skills, s);
        }
        self.agents.push(Agent {
            id: Arc::from(cfg.name.as_str()),
            tenant: cfg.tenant,
            skills: cfg.skills,
            capacity: cfg.capacity,
            exclusive: cfg.exclusive,
            auto: cfg.auto_answer,
            presence: Presence::LoggedOut,
            tasks: Vec::new(),
            free_since: 0,
            streak: 0,
            reported: AgentState::LoggedOut,
            since: self.now().max(0),
            handled: 0,
            offered: 0,
            declined: 0,
            missed: 0,
            talk: 0,
            wrapup: 0,
            idle: 0,
            busy: 0,
            offered_t: 0,
            wrap_t: 0,
            not_ready: Vec::new(),
        });
        self.refresh_eligibility();
    }

    // ------------------------------------------------------------ rules: who may take what

    fn queue_ix(&self, id: &str) -> Option<usize> {
        self.queues.iter().position(|q| !q.vacant && &*q.id == id)
    }

    fn agent_ix(&self, id: &str) -> Result<usize, EngineError> {
        self.agents
            .iter()
            .position(|a| &*a.id == id)
            .ok_or_else(|| err_unknown("agent", id))
    }

    fn call_ix(&self, id: &str) -> Result<usize, EngineError> {
        self.calls
            .iter()
            .position(|c| &*c.id == id)
            .ok_or_else(|| err_unknown("call", id))
    }

    fn by_h(&self, h: u64) -> usize {
        self.calls.iter().position(|c| c.h == h).expect("live call")
    }

    /// Agent `a` may answer queue `q`'s calls at step `s`: one of the queue's tenants, able
    /// to take its media, meeting one of the step's requirement sets.
    fn eligible(&self, a: usize, q: usize, s: usize) -> bool {
        self.elig[a][q][s]
    }

    /// Work out `elig` again.
    fn refresh_eligibility(&mut self) {
        self.elig = (0..self.agents.len())
            .map(|a| {
                (0..self.queues.len())
                    .map(|q| {
                        (0..self.queues[q].steps.len())
                            .map(|s| self.eligible_now(a, q, s))
                            .collect()
                    })
                    .collect()
            })
            .collect();
    }

    fn eligible_now(&self, a: usize, q: usize, s: usize) -> bool {
        let (ag, qu) = (&self.agents[a], &self.queues[q]);
        !qu.vacant
            && qu.tenants.contains(&ag.tenant)
            && ag.cap(&qu.cfg.media) > 0
            && qu.steps[s].reqs.iter().any(|r| ag.meets(r))
    }

    fn member(&self, a: usize, q: usize) -> bool {
        self.elig[a][q].iter().any(|&e| e)
    }

    /// Logged-in agents eligible for the queue at any step.
    fn staffed(&self, q: usize) -> u32 {
        (0..self.agents.len())
            .filter(|&a| self.agents[a].presence != Presence::LoggedOut && self.member(a, q))
            .count() as u32
    }

    fn boosted(&self, c: &Call) -> i32 {
        c.priority
            .saturating_add(self.queues[c.queue].steps[c.step].boost)
    }

    /// Effective priority now: priority + step boosts + aging × seconds since first arrival.
    fn eff(&self, c: &Call) -> f64 {
        f64::from(self.boosted(c)) + self.queues[c.queue].cfg.aging * secs(self.now() - c.arrival)
    }

    /// Queue order: higher effective priority, earlier arrival, lower sequence number.
    fn before_in_queue(&self, x: &Call, y: &Call) -> bool {
        match higher(self.eff(x), self.eff(y)) {
            Some(h) => h,
            None => (x.arrival, x.h) < (y.arrival, y.h),
        }
    }

    /// The strategy's key of a free agent (least first; final tie: order added).
    fn strategy_key(&self, a: usize, q: usize) -> (i64, i64) {
        let ag = &self.agents[a];
        let qu = &self.queues[q];
        match qu.cfg.strategy {
            Strategy::LongestIdle => (ag.free_since, 0),
            Strategy::FewestCalls => (ag.handled as i64, ag.free_since),
            Strategy::LeastTalkTime => (ag.talk, ag.free_since),
            Strategy::HighestProficiency => {
                let prof: i64 = qu
                    .cfg
                    .skills
                    .iter()
                    .map(|(s, _)| i64::from(ag.level(s).unwrap_or(0)))
                    .sum();
                (-prof, ag.free_since)
            }
            _ => (0, 0),
        }
    }

    /// The agent the queue's strategy picks for waiting call `ci`, if any is free.
    fn choose_agent(&mut self, ci: usize) -> Option<usize> {
        let c = &self.calls[ci];
        let (q, media) = (c.queue, self.queues[c.queue].cfg.media.clone());
        let allowed: Vec<usize> = (0..self.agents.len())
            .filter(|&a| {
                self.agents[a].free_for(&media)
                    && self.eligible(a, q, c.step)
                    && !c.excluded.iter().any(|&(x, _)| x == a)
            })
            .collect();
        let least = allowed.iter().map(|&a| self.agents[a].load(&media)).min()?;
        let class: Vec<usize> = allowed
            .into_iter()
            .filter(|&a| self.agents[a].load(&media) == least)
            .collect();
        let strategy = self.queues[q].cfg.strategy;
        match strategy {
            Strategy::RoundRobin => {
                let after = self.queues[q].rr_last.map_or(0, |o| o + 1);
                class
                    .iter()
                    .copied()
                    .find(|&a| a >= after)
                    .or(class.first().copied())
            }
            Strategy::Random | Strategy::WeightedRandom => {
                // the engine's pick, if the rules allow it
                let id = c.id.clone();
                let pick = match self.hint.get(self.out.len()) {
                    Some(Decision::Offer { call, agent, .. }) if *call == id => {
                        self.agent_ix(agent).ok()
                    }
                    _ => None,
                };
                match pick {
                    Some(a) if class.contains(&a) => Some(a),
                    _ => {
                        if class.len() > 1 {
                            self.random_violation = Some(format!(
                                "call {id}: the engine's pick is none of the allowed agents {:?}",
                                class
                                    .iter()
                                    .map(|&a| self.agents[a].id.clone())
                                    .collect::<Vec<_>>()
                            ));
                        }
                        class.first().copied()
                    }
                }
            }
            Strategy::Custom => {
                // the highest score over the candidates in the order added (ties: the
                // earlier); an unusable answer falls back to the first candidate
                if class.len() <= 1 {
                    return class.first().copied();
                }
                let ids: Vec<Arc<str>> = class.iter().map(|&a| self.agents[a].id.clone()).collect();
                let scores = score(&c.id, self.boosted(c), &ids);
                if scores.iter().any(|s| s.is_nan()) {
                    return class.first().copied();
                }
                let mut best = 0;
                for (i, s) in scores.iter().enumerate() {
                    if *s > scores[best] {
                        best = i;
                    }
                }
                Some(class[best])
            }
            _ => class
                .iter()
                .copied()
                .min_by_key(|&a| (self.strategy_key(a, q), a)),
        }
    }

    /// The waiting call agent `a` takes: across every queue step it is eligible for and
    /// free for, highest effective priority, then queue weight, then earliest original
    /// arrival, then lowest sequence number. `upto`: consider only queues up to that index
    /// (the engine's order while `KNOWN_DEFECT_2` stands).
    fn best_call_for(&self, a: usize, upto: Option<usize>) -> Option<usize> {
        let mut best: Option<(usize, f64, i32)> = None;
        for (ci, c) in self.calls.iter().enumerate() {
            if c.state != CState::Waiting || upto.is_some_and(|u| c.queue > u) {
                continue;
            }
            let qu = &self.queues[c.queue];
            if !self.agents[a].free_for(&qu.cfg.media)
                || !self.eligible(a, c.queue, c.step)
                || c.excluded.iter().any(|&(x, _)| x == a)
            {
                continue;
            }
            let (e, w) = (self.eff(c), qu.cfg.weight);
            let better = match best {
                None => true,
                Some((bi, be, bw)) => {
                    let b = &self.calls[bi];
                    higher(e, be)
                        .unwrap_or(w > bw || (w == bw && (c.arrival, c.h) < (b.arrival, b.h)))
                }
            };
            if better {
                best = Some((ci, e, w));
            }
        }
        best.map(|b| b.0)
    }

    fn dispatch_agent(&mut self, a: usize, upto: Option<usize>) {
        while let Some(ci) = self.best_call_for(a, upto) {
            self.offer(ci, a);
        }
    }

    fn state_of(&self, a: usize) -> AgentState {
        let ag = &self.agents[a];
        let has = |k: Kind| ag.tasks.iter().any(|t| t.kind == k);
        if has(Kind::Offered) {
            AgentState::Offered
        } else if has(Kind::Busy) {
            AgentState::Busy
        } else if has(Kind::WrapUp) {
            AgentState::WrapUp
        } else {
            match &ag.presence {
                Presence::LoggedOut => AgentState::LoggedOut,
                Presence::Ready => AgentState::Ready,
                Presence::NotReady(r) => AgentState::NotReady(Arc::from(r.as_str())),
            }
        }
    }

    /// Report a change of agent `a`'s state, closing the time spent in the old one.
    fn update_state(&mut self, a: usize) {
        let new = self.state_of(a);
        let now = self.now();
        let ag = &mut self.agents[a];
        if new == ag.reported {
            return;
        }
        let spent = now - ag.since;
        match &ag.reported {
            AgentState::Ready => ag.idle += spent,
            AgentState::Busy => ag.busy += spent,
            AgentState::Offered => ag.offered_t += spent,
            AgentState::WrapUp => ag.wrap_t += spent,
            AgentState::NotReady(r) => match ag.not_ready.iter_mut().find(|(x, _)| **x == **r) {
                Some(slot) => slot.1 += spent,
                None => ag.not_ready.push((r.to_string(), spent)),
            },
            AgentState::LoggedOut => {}
        }
        ag.since = now;
        ag.reported = new.clone();
        self.out.push(Decision::AgentState {
            agent: ag.id.clone(),
            state: new,
        });
    }

    fn agent_changed(&mut self, a: usize) {
        self.dispatch_agent(a, None);
        self.update_state(a);
    }
}
