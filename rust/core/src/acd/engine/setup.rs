//! Configuration: a new engine, queues (with their steps and overflow) and agents, the
//! memberships that tie agents to the queue steps they are eligible for, skill changes,
//! opening and closing queues, and the custom scorer.

use std::collections::BTreeSet;
use std::sync::Arc;

// lookups only: nothing iterates these maps, so their order never reaches a decision
use rustc_hash::FxHashMap as HashMap;

use crate::acd::config::{AgentConfig, QueueConfig};
use crate::acd::decision::Decision;
use crate::acd::error::{invalid, EngineError};
use crate::acd::keys::{to_us, us, Rng};
use crate::acd::timers::Timers;

use super::lifecycle::IMPLICIT_PREFIX;
use super::model::{Agent, Presence, Queue, QueueStep, State, Step};
use super::names::Names;
use super::slots;
use super::{no_interval, Engine, EngineOptions, Scorer, Totals};

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

/// The settings of the implicit queues: each takes its name, tenant and media from its
/// calls, the rest from these.
pub(super) fn check_skill_queue(template: &QueueConfig) -> Result<(), EngineError> {
    let mut template = template.clone();
    template.name = "skills".into();
    template.tenant = "skills".into();
    template.media = "skills".into();
    template.validate()
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
        check_skill_queue(&options.skill_queue)?;
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
            skill_queue_ids: HashMap::default(),
            scorer: None,
            out: Vec::new(),
            raw_out: false,
            answered_out: Vec::new(),
            last_interval: no_interval(),
            emptied: Vec::new(),
            free_queues: BTreeSet::new(),
            skill_agents: Vec::new(),
        })
    }

    /// Install the scorer used by queues with [`Strategy::Custom`](crate::acd::Strategy::Custom).
    pub fn set_scorer(&mut self, scorer: Option<Box<dyn Scorer>>) {
        self.scorer = scorer;
    }

    /// Times the scorer gave an unusable answer and the engine fell back.
    pub fn scorer_failures(&self) -> u64 {
        self.scorer_failures
    }

    /// Add a queue. Queues named in `overflow`, `steps[].also_queues` must exist already.
    pub fn add_queue(&mut self, config: QueueConfig) -> Result<(), EngineError> {
        config.validate()?;
        if config.name.starts_with(IMPLICIT_PREFIX) {
            return Err(invalid(format!(
                "queue {:?}: names beginning with {IMPLICIT_PREFIX:?} are kept for the \
                 implicit queues of skills-routed calls",
                config.name
            )));
        }
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
            // an implicit queue lives while calls use it (`free_skill_queue`): none may
            // count on it staying
            if self.queues[o as usize].id.starts_with(IMPLICIT_PREFIX) {
                return Err(invalid(format!(
                    "queue {q:?}: overflow names the implicit queue {:?}; overflow to a \
                     queue added with add_queue",
                    self.queues[o as usize].id
                )));
            }
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

    pub(super) fn push_queue(
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
            steps,
            config,
            // the run-time state starts as a vacant slot's (an implicit queue's freed slot
            // keeps its first step index)
            ..Queue::vacant(match self.queues.get(qi as usize) {
                Some(vacant) => vacant.qs0,
                None => self.qs.len() as u32,
            })
        };
        if let Some(vacant) = self.queues.get_mut(qi as usize) {
            // (its one step index was emptied when it was freed)
            debug_assert!(vacant.is_vacant() && queue.steps.len() == vacant.steps.len());
            *vacant = queue;
        } else {
            for _ in 0..queue.steps.len() {
                self.qs.push(QueueStep {
                    queue: qi,
                    ..QueueStep::default()
                });
            }
            self.queues.push(queue);
        }
        self.queue_ids.insert(id, qi);
        // one pass over the agents, each eligible one entering the new steps' indices only
        // (a new queue has no calls: there is nothing to dispatch)
        for a in 0..self.agents.len() as u32 {
            for slot in self.add_memberships(a, qi) {
                self.refresh_slot(a, slot);
            }
        }
    }

    pub(super) fn requirements(
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
            listed: 0,
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
        self.index_skills(a);
        // logged out: memberships only, no index entries
        for q in 0..self.queues.len() as u32 {
            self.add_memberships(a, q);
        }
        Ok(())
    }

    /// Add agent `a`'s memberships in queue `q`'s steps (agent logged out or in), without
    /// index entries: the caller makes them (`refresh_slot` on the slots returned, or
    /// `refresh_agent`) and dispatches if the agent may take a waiting call. The slots of one
    /// queue are adjacent (its steps are numbered in a row), so this costs O(log m) for an
    /// agent of m memberships, plus the move of those after them.
    pub(super) fn add_memberships(&mut self, a: u32, q: u32) -> std::ops::Range<usize> {
        let eligible = self.queues[q as usize].steps_for(&self.agents[a as usize]);
        let Some(&first) = eligible.first() else {
            return 0..0;
        };
        let n = eligible.len();
        let agent = &mut self.agents[a as usize];
        let at = agent.member_qs.partition_point(|&x| x < first);
        agent.member_qs.splice(at..at, eligible);
        agent
            .member_keys
            .splice(at..at, std::iter::repeat_n(None, n));
        let i = agent.queues.partition_point(|&x| x < q);
        agent.queues.insert(i, q);
        if agent.presence != Presence::LoggedOut {
            self.queues[q as usize].staffed += 1;
        }
        at..at + n
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
        self.unlist_agent(a);
        self.unindex_skills(a);
        let ag = &mut self.agents[a as usize];
        ag.member_qs.clear();
        ag.member_keys.clear();
        ag.skills = skills;
        self.index_skills(a);
        // every membership first, then one dispatch: the agent takes the best call across all
        // its queues (docs/engine.md, "Choosing a call for an agent"), not the best of the
        // first queue it was found eligible for
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
}
