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
    /// a freed implicit queue's place, kept for the next implicit queue (docs: queue ids
    /// list the queues in the order made, a new implicit queue in the first freed place)
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
            vacant: false,
            implicit,
            cfg,
        };
        // a user queue goes last; an implicit one in the first place a freed one left
        let place = match queue.implicit {
            Some(_) => self.queues.iter().position(|q| q.vacant),
            None => None,
        };
        match place {
            Some(q) => self.queues[q] = queue,
            None => self.queues.push(queue),
        }
        self.refresh_eligibility();
        place.unwrap_or(self.queues.len() - 1)
    }

    /// Docs: an implicit queue lives while a call waits in it, is offered or connected from
    /// it, or an agent is in wrap-up after one of its calls; at the end of the input that
    /// leaves it unused it is freed, with its settings and statistics.
    fn free_unused(&mut self) {
        let mut freed = false;
        for q in 0..self.queues.len() {
            if self.queues[q].implicit.is_none()
                || self.calls.iter().any(|c| c.queue == q)
                || self
                    .agents
                    .iter()
                    .any(|a| a.tasks.iter().any(|t| t.queue == q))
            {
                continue;
            }
            let qu = &mut self.queues[q];
            qu.id = Arc::from("");
            qu.tenants.clear();
            qu.implicit = None;
            qu.vacant = true;
            qu.open = true;
            qu.rr_last = None;
            qu.counters = QueueCounters::default();
            qu.intervals.clear();
            freed = true;
        }
        if freed {
            self.refresh_eligibility();
        }
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
        qu.tenants.contains(&ag.tenant)
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

    // ------------------------------------------------------------ timers

    fn arm(&mut self, at: Us, k: Tk) {
        self.timer_seq += 1;
        self.timers.push((at, self.timer_seq, k));
    }

    fn disarm(&mut self, k: Tk) {
        self.timers.retain(|t| t.2 != k);
    }

    fn arm_retry(&mut self, ci: usize) {
        let h = self.calls[ci].h;
        self.disarm(Tk::Retry(h));
        if let Some(t) = self.calls[ci].excluded.iter().map(|x| x.1).min() {
            self.arm(t, Tk::Retry(h));
        }
    }

    fn stop_queue_timers(&mut self, h: u64) {
        self.disarm(Tk::Step(h));
        self.disarm(Tk::MaxWait(h));
        self.disarm(Tk::Retry(h));
    }

    pub fn next_deadline(&self) -> Option<f64> {
        // a timer due after 10^12 s can never fire: not announced
        self.timers
            .iter()
            .map(|t| (t.0, t.1))
            .min()
            .map(|t| t.0)
            .filter(|&t| t <= us(1e12))
            .map(secs)
    }

    fn check_time(&self, now: f64) -> Result<Us, EngineError> {
        if !now.is_finite() || now.abs() > 1e12 {
            return Err(EngineError::BadTime(String::new()));
        }
        let t = us(now);
        if self.clock.is_some_and(|c| t < c) {
            return Err(EngineError::BadTime(String::new()));
        }
        Ok(t)
    }

    fn begin(&mut self, hint: &[Decision]) {
        self.out.clear();
        self.hint.clear();
        self.hint.extend_from_slice(hint);
    }

    fn done(&mut self) -> Res {
        self.free_unused();
        Ok(std::mem::take(&mut self.out))
    }

    pub fn advance(&mut self, now: f64, hint: &[Decision]) -> Res {
        let now = self.check_time(now)?;
        self.begin(hint);
        let floor = self.clock.unwrap_or(i64::MIN);
        while let Some(&(at, seq, k)) = self
            .timers
            .iter()
            .filter(|t| t.0 <= now)
            .min_by_key(|t| (t.0, t.1))
        {
            self.timers.retain(|t| t.1 != seq);
            self.clock = Some(at.max(floor));
            self.fire(k);
        }
        self.clock = Some(now);
        self.done()
    }

    fn fire(&mut self, k: Tk) {
        match k {
            Tk::Step(h) => self.next_step(self.by_h(h)),
            Tk::MaxWait(h) => {
                let ci = self.by_h(h);
                if self.calls[ci].state == CState::Waiting {
                    self.max_wait_reached(ci);
                } else {
                    self.calls[ci].max_wait_due = true;
                }
            }
            Tk::Offer(h) => self.offer_lapsed(self.by_h(h)),
            Tk::Retry(h) => {
                let ci = self.by_h(h);
                let now = self.now();
                self.calls[ci].excluded.retain(|x| x.1 > now);
                self.arm_retry(ci);
                if self.calls[ci].state == CState::Waiting {
                    if let Some(a) = self.choose_agent(ci) {
                        self.offer(ci, a);
                    }
                }
            }
            Tk::WrapUp(a, uid) => {
                let i = self.agents[a]
                    .tasks
                    .iter()
                    .position(|t| t.uid == uid)
                    .unwrap();
                self.end_wrapup(a, i);
                self.agent_changed(a);
            }
        }
    }

    // ------------------------------------------------------------ call life

    fn interval_of(&self, t: Us) -> i64 {
        t.div_euclid(self.interval)
    }

    fn counters(&mut self, q: usize, interval: i64, f: impl Fn(&mut QueueCounters)) {
        let qu = &mut self.queues[q];
        f(&mut qu.counters);
        f(qu.intervals.entry(interval).or_default());
    }

    /// Call `ci` enters queue `q` at step 0 (arrival, overflow or transfer).
    fn enter_queue(&mut self, ci: usize, q: usize, arrival: bool) {
        let now = self.now();
        let interval = self.interval_of(now);
        self.counters(q, interval, |c| c.offered += 1);
        let qu = &self.queues[q];
        let refuse = if !qu.open {
            Some(ExitReason::Closed)
        } else if !qu.cfg.join_empty && self.staffed(q) == 0 {
            Some(ExitReason::NoAgents)
        } else {
            None
        };
        let (max_wait, first_step) = (qu.cfg.max_wait.map(us), qu.steps.get(1).map(|s| s.after));
        let h = self.calls[ci].h;
        let c = &mut self.calls[ci];
        c.queue = q;
        c.entered = now;
        c.interval = interval;
        c.step = 0;
        c.state = CState::Waiting;
        c.excluded.clear();
        c.max_wait_due = false;
        self.disarm(Tk::Retry(h));
        if let Some(reason) = refuse {
            let outcome = if arrival {
                Outcome::Rejected
            } else {
                Outcome::Exited
            };
            self.exit_call(ci, reason, outcome);
            return;
        }
        let agent = self.choose_agent(ci);
        if let Some(after) = first_step {
            self.arm(now + after, Tk::Step(h));
        }
        if let Some(w) = max_wait {
            self.arm(now + w, Tk::MaxWait(h));
        }
        match agent {
            Some(a) => self.offer(ci, a),
            None => self.announce(ci),
        }
    }

    /// Position (1 = next) and expected wait: position × AHT / agents logged in.
    fn position_of(&self, ci: usize) -> (u32, f64) {
        let c = &self.calls[ci];
        let ahead = self
            .calls
            .iter()
            .filter(|x| {
                x.state == CState::Waiting && x.queue == c.queue && self.before_in_queue(x, c)
            })
            .count() as u32;
        let position = ahead + 1;
        let staffed = self.staffed(c.queue);
        let wait = if staffed == 0 {
            f64::INFINITY
        } else {
            f64::from(position) * self.aht(c.queue) / f64::from(staffed)
        };
        (position, wait)
    }

    fn aht(&self, q: usize) -> f64 {
        let c = &self.queues[q].counters;
        if c.completed > 0 {
            (c.talk_us + c.wrapup_us) as f64 * 1e-6 / c.completed as f64
        } else {
            self.queues[q].cfg.expected_aht
        }
    }

    fn announce(&mut self, ci: usize) {
        let (position, expected_wait) = self.position_of(ci);
        let c = &self.calls[ci];
        self.out.push(Decision::Queued {
            call: c.id.clone(),
            queue: self.queues[c.queue].id.clone(),
            position,
            expected_wait,
        });
    }

    /// Offer call `ci` to agent `a` (or connect it at once to an auto-answer agent).
    fn offer(&mut self, ci: usize, a: usize) {
        let now = self.now();
        self.task_seq += 1;
        let uid = self.task_seq;
        let auto = self.agents[a].auto;
        let (h, q) = (self.calls[ci].h, self.calls[ci].queue);
        let qu = &mut self.queues[q];
        let timeout = us(qu.cfg.offer_timeout);
        let expires = if auto { now } else { now + timeout };
        if qu.cfg.strategy == Strategy::RoundRobin {
            qu.rr_last = Some(a);
        }
        let media = qu.cfg.media.clone();
        if !auto {
            self.arm(expires, Tk::Offer(h));
        }
        self.calls[ci].state = CState::Offered {
            agent: a,
            task: uid,
        };
        let ag = &mut self.agents[a];
        ag.tasks.push(Task {
            uid,
            call: h,
            media,
            kind: Kind::Offered,
            queue: q,
            interval: 0,
            since: now,
        });
        ag.offered += 1;
        self.out.push(Decision::Offer {
            call: self.calls[ci].id.clone(),
            agent: self.agents[a].id.clone(),
            queue: self.queues[q].id.clone(),
            expires: secs(expires),
            callback: self.calls[ci].callback,
            auto_answer: auto,
        });
        if auto {
            self.connect(ci, a, uid);
        } else {
            self.update_state(a);
        }
    }

    fn connect(&mut self, ci: usize, a: usize, task: u64) {
        let now = self.now();
        let h = self.calls[ci].h;
        self.stop_queue_timers(h);
        let c = &mut self.calls[ci];
        c.state = CState::Connected {
            agent: a,
            task,
            answered: now,
        };
        let (q, wait, interval) = (c.queue, now - c.entered, c.interval);
        let within = wait <= us(self.queues[q].cfg.sl_threshold);
        self.counters(q, interval, |k| {
            k.answered += 1;
            k.answered_within_sl += u64::from(within);
            k.wait_answered_us += wait;
        });
        let ag = &mut self.agents[a];
        let t = ag.tasks.iter_mut().find(|t| t.uid == task).unwrap();
        t.kind = Kind::Busy;
        t.since = now;
        ag.handled += 1;
        ag.streak = 0;
        self.update_state(a);
    }

    /// Take back the outstanding offer of call `ci`; returns its agent.
    fn revoke(&mut self, ci: usize, reason: RevokeReason, report: bool) -> usize {
        let CState::Offered { agent: a, task } = self.calls[ci].state else {
            unreachable!()
        };
        self.disarm(Tk::Offer(self.calls[ci].h));
        let ag = &mut self.agents[a];
        let i = ag.tasks.iter().position(|t| t.uid == task).unwrap();
        ag.tasks.swap_remove(i);
        if report {
            self.out.push(Decision::Revoked {
                call: self.calls[ci].id.clone(),
                agent: self.agents[a].id.clone(),
                reason,
            });
        }
        a
    }

    /// A call whose offer ended unanswered goes back to its place and is routed again.
    fn return_to_queue(&mut self, ci: usize) {
        let c = &mut self.calls[ci];
        c.state = CState::Waiting;
        if c.max_wait_due {
            c.max_wait_due = false;
            self.max_wait_reached(ci);
            return;
        }
        match self.choose_agent(ci) {
            Some(a) => self.offer(ci, a),
            None => self.announce(ci),
        }
    }

    fn exclude(&mut self, ci: usize, a: usize) {
        let until = self.now() + us(self.queues[self.calls[ci].queue].cfg.retry);
        if until <= self.now() {
            return;
        }
        let c = &mut self.calls[ci];
        c.excluded.retain(|x| x.0 != a);
        c.excluded.push((a, until));
        self.arm_retry(ci);
    }

    fn offer_lapsed(&mut self, ci: usize) {
        let a = self.revoke(ci, RevokeReason::NoAnswer, true);
        let max = self.queues[self.calls[ci].queue].cfg.max_no_answer;
        let ag = &mut self.agents[a];
        ag.missed += 1;
        ag.streak += 1;
        if max > 0 && ag.streak >= max && ag.presence == Presence::Ready {
            ag.streak = 0;
            ag.presence = Presence::NotReady("no answer".into());
        }
        self.exclude(ci, a);
        self.return_to_queue(ci);
        self.agent_changed(a);
    }

    fn next_step(&mut self, ci: usize) {
        let c = &mut self.calls[ci];
        c.step += 1;
        let (h, q, step, entered) = (c.h, c.queue, c.step, c.entered);
        if let Some(s) = self.queues[q].steps.get(step + 1) {
            self.arm(entered + s.after, Tk::Step(h));
        }
        self.out.push(Decision::Step {
            call: self.calls[ci].id.clone(),
            queue: self.queues[q].id.clone(),
            step: step as u32,
        });
        if self.calls[ci].state == CState::Waiting {
            if let Some(a) = self.choose_agent(ci) {
                self.offer(ci, a);
            }
        }
    }

    fn max_wait_reached(&mut self, ci: usize) {
        let q = self.calls[ci].queue;
        match self.queues[q].overflow {
            Some(to) => {
                self.move_out(ci);
                self.out.push(Decision::Overflow {
                    call: self.calls[ci].id.clone(),
                    from_queue: self.queues[q].id.clone(),
                    to_queue: self.queues[to].id.clone(),
                });
                self.enter_queue(ci, to, false);
            }
            None => self.exit_call(ci, ExitReason::MaxWait, Outcome::Exited),
        }
    }

    fn move_out(&mut self, ci: usize) {
        let (q, interval, h) = (
            self.calls[ci].queue,
            self.calls[ci].interval,
            self.calls[ci].h,
        );
        self.counters(q, interval, |k| k.moved_out += 1);
        self.stop_queue_timers(h);
    }

    fn exit_call(&mut self, ci: usize, reason: ExitReason, outcome: Outcome) {
        let (q, interval) = (self.calls[ci].queue, self.calls[ci].interval);
        self.counters(q, interval, |k| k.exited += 1);
        self.out.push(Decision::Exit {
            call: self.calls[ci].id.clone(),
            queue: self.queues[q].id.clone(),
            reason,
        });
        self.finish(ci, outcome);
    }

    fn finish(&mut self, ci: usize, outcome: Outcome) {
        let h = self.calls[ci].h;
        self.stop_queue_timers(h);
        self.disarm(Tk::Offer(h));
        self.calls.remove(ci);
        let t = &mut self.totals;
        match outcome {
            Outcome::Completed => t.completed += 1,
            Outcome::Abandoned => t.abandoned += 1,
            Outcome::Exited => t.exited += 1,
            Outcome::Rejected => t.rejected += 1,
        }
    }

    /// Close the connected call's task: talk counted, wrap-up started (or the slot freed).
    fn release_agent(&mut self, ci: usize) -> usize {
        let CState::Connected {
            agent: a,
            task,
            answered,
        } = self.calls[ci].state
        else {
            unreachable!()
        };
        let now = self.now();
        let (q, interval) = (self.calls[ci].queue, self.calls[ci].interval);
        let talk = now - answered;
        self.counters(q, interval, |k| {
            k.completed += 1;
            k.talk_us += talk;
        });
        let wrapup = us(self.queues[q].cfg.wrapup);
        let ag = &mut self.agents[a];
        ag.talk += talk;
        let i = ag.tasks.iter().position(|t| t.uid == task).unwrap();
        if wrapup > 0 {
            let t = &mut ag.tasks[i];
            t.kind = Kind::WrapUp;
            t.since = now;
            t.interval = interval;
            self.arm(now + wrapup, Tk::WrapUp(a, task));
        } else {
            ag.tasks.swap_remove(i);
            if ag.tasks.is_empty() {
                ag.free_since = now;
            }
        }
        a
    }

    fn end_wrapup(&mut self, a: usize, i: usize) {
        let now = self.now();
        let ag = &mut self.agents[a];
        let t = ag.tasks.swap_remove(i);
        let spent = now - t.since;
        ag.wrapup += spent;
        if ag.tasks.is_empty() {
            ag.free_since = now;
        }
        let qu = &mut self.queues[t.queue];
        qu.counters.wrapup_us += spent;
        if !KNOWN_DEFECT_3 {
            qu.intervals.entry(t.interval).or_default().wrapup_us += spent;
        }
    }

    /// With no eligible agent logged in, a queue that leaves when empty empties.
    fn check_empty(&mut self, q: usize) {
        if !self.queues[q].cfg.leave_when_empty || self.staffed(q) > 0 {
            return;
        }
        let mut waiting: Vec<usize> = (0..self.calls.len())
            .filter(|&i| self.calls[i].queue == q && self.calls[i].state == CState::Waiting)
            .collect();
        waiting.sort_by(|&x, &y| {
            if self.before_in_queue(&self.calls[x], &self.calls[y]) {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            }
        });
        let hs: Vec<u64> = waiting.iter().map(|&i| self.calls[i].h).collect();
        for h in hs {
            let ci = self.by_h(h);
            self.exit_call(ci, ExitReason::NoAgents, Outcome::Exited);
        }
    }
}
