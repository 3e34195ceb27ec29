//! What the engine is told about queues, agents and calls.

use serde::{Deserialize, Serialize};

use super::error::{invalid, EngineError};

/// How a queue picks among the agents free to take a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// the agent idle longest (ties: earlier added)
    #[default]
    LongestIdle,
    /// the next agent after the one that got the last call, in the order agents were added
    RoundRobin,
    /// the agent that has handled the fewest calls (ties: longest idle)
    FewestCalls,
    /// the agent with the least talk time so far (ties: longest idle)
    LeastTalkTime,
    /// the highest sum of levels in the queue's skills (ties: longest idle)
    HighestProficiency,
    /// always the first free agent in the order agents were added
    Linear,
    /// uniformly at random, from the engine's seeded generator
    Random,
    /// at random with probability proportional to the agent's weight
    WeightedRandom,
    /// a user-supplied scorer over the free eligible agents (cost: one scorer call per
    /// decision, linear in the number of free eligible agents)
    Custom,
}

impl Strategy {
    /// All strategies with their names.
    pub const ALL: [(&'static str, Strategy); 9] = [
        ("longest_idle", Strategy::LongestIdle),
        ("round_robin", Strategy::RoundRobin),
        ("fewest_calls", Strategy::FewestCalls),
        ("least_talk_time", Strategy::LeastTalkTime),
        ("highest_proficiency", Strategy::HighestProficiency),
        ("linear", Strategy::Linear),
        ("random", Strategy::Random),
        ("weighted_random", Strategy::WeightedRandom),
        ("custom", Strategy::Custom),
    ];

    /// Parse a strategy name (`longest_idle`, `round_robin`, ...).
    pub fn parse(name: &str) -> Result<Self, EngineError> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
                invalid(format!(
                    "unknown strategy {name:?}; expected one of {}",
                    names.join(", ")
                ))
            })
    }

    /// The strategy's name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("?", |(n, _)| n)
    }
}

/// A relaxation step: applies once a call has waited `after` seconds in its queue.
///
/// Steps are cumulative: each keeps what the previous one set unless it says otherwise.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StepConfig {
    /// seconds in the queue after which the step applies (strictly increasing)
    pub after: f64,
    /// replaces the required skills and minimum levels (`None`: keep the previous ones);
    /// an empty list admits every agent of the queue's tenants
    pub skills: Option<Vec<(String, u8)>>,
    /// also admit the agents eligible for these queues' own (first-step) requirements
    pub also_queues: Vec<String>,
    /// added to the call's priority when the step applies
    pub priority_boost: i32,
}

/// A queue: who may answer its calls, how agents are chosen, and its timers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// unique id
    pub name: String,
    /// owning tenant
    pub tenant: String,
    /// the media of its calls ("voice", "chat", "email", ...)
    pub media: String,
    /// required skills with minimum levels (empty: any agent of the tenant)
    pub skills: Vec<(String, u8)>,
    /// agent selection
    pub strategy: Strategy,
    /// service-level threshold in seconds (answered within it count as within SL)
    pub sl_threshold: f64,
    /// abandons within this many seconds count as short abandons
    pub short_abandon: f64,
    /// after-call work in seconds (0: none)
    pub wrapup: f64,
    /// seconds an agent has to accept an offer
    pub offer_timeout: f64,
    /// seconds before a declined or missed call may be offered to the same agent again
    pub retry: f64,
    /// longest wait in the queue before the call exits (or overflows), if any
    pub max_wait: Option<f64>,
    /// where calls go at `max_wait` instead of exiting
    pub overflow: Option<String>,
    /// relaxation steps, by increasing `after`
    pub steps: Vec<StepConfig>,
    /// when an agent serves several queues, higher weight wins at equal priority
    pub weight: i32,
    /// priority points a waiting call gains per second of wait (counted exactly to the
    /// millionth: any finer part is rounded to the nearest)
    pub aging: f64,
    /// consecutive missed offers after which an agent goes not ready ("no answer"); 0: never
    pub max_no_answer: u32,
    /// accept calls when no eligible agent is logged in
    pub join_empty: bool,
    /// make waiting calls exit when the last eligible agent logs out
    pub leave_when_empty: bool,
    /// other tenants whose agents may also answer this queue
    pub shared_with: Vec<String>,
    /// handle time assumed for expected waits before any call has been handled (seconds)
    pub expected_aht: f64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self::new("", "default")
    }
}

impl QueueConfig {
    /// A queue with the usual defaults: voice, longest idle, 20 s SL threshold, 15 s offers.
    pub fn new(name: &str, tenant: &str) -> Self {
        Self {
            name: name.to_owned(),
            tenant: tenant.to_owned(),
            media: "voice".to_owned(),
            skills: Vec::new(),
            strategy: Strategy::LongestIdle,
            sl_threshold: 20.0,
            short_abandon: 5.0,
            wrapup: 0.0,
            offer_timeout: 15.0,
            retry: 5.0,
            max_wait: None,
            overflow: None,
            steps: Vec::new(),
            weight: 0,
            aging: 0.0,
            max_no_answer: 3,
            join_empty: true,
            leave_when_empty: false,
            shared_with: Vec::new(),
            expected_aht: 180.0,
        }
    }

    /// Check every numeric field; names the queue and the field at fault.
    pub(crate) fn validate(&self) -> Result<(), EngineError> {
        let q = &self.name;
        let seconds = |field: &str, v: f64, allow_zero: bool| {
            if !v.is_finite() || v < 0.0 || (!allow_zero && v == 0.0) || v > MAX_SECONDS {
                let req = if allow_zero { ">= 0" } else { "> 0" };
                return Err(invalid(format!(
                    "queue {q:?}: {field} must be finite and {req} seconds, got {v}"
                )));
            }
            Ok(())
        };
        if q.is_empty() {
            return Err(invalid("queue name must not be empty".into()));
        }
        if self.tenant.is_empty() {
            return Err(invalid(format!("queue {q:?}: tenant must not be empty")));
        }
        if self.media.is_empty() {
            return Err(invalid(format!("queue {q:?}: media must not be empty")));
        }
        if self.shared_with.iter().any(String::is_empty) {
            return Err(invalid(format!(
                "queue {q:?}: shared_with: tenant names must not be empty"
            )));
        }
        seconds("sl_threshold", self.sl_threshold, true)?;
        seconds("short_abandon", self.short_abandon, true)?;
        seconds("wrapup", self.wrapup, true)?;
        seconds("offer_timeout", self.offer_timeout, false)?;
        seconds("retry", self.retry, true)?;
        seconds("expected_aht", self.expected_aht, false)?;
        if let Some(w) = self.max_wait {
            seconds("max_wait", w, false)?;
        }
        if self.overflow.is_some() && self.max_wait.is_none() {
            return Err(invalid(format!(
                "queue {q:?}: overflow needs max_wait (when to overflow)"
            )));
        }
        if self.overflow.as_deref() == Some(q.as_str()) {
            return Err(invalid(format!(
                "queue {q:?}: overflow must name another queue"
            )));
        }
        if !self.aging.is_finite() || self.aging < 0.0 || self.aging > 1e6 {
            return Err(invalid(format!(
                "queue {q:?}: aging must be finite and >= 0 points per second, got {}",
                self.aging
            )));
        }
        let mut previous = 0.0;
        for (i, step) in self.steps.iter().enumerate() {
            seconds(&format!("steps[{i}].after"), step.after, false)?;
            if step.after <= previous {
                return Err(invalid(format!(
                    "queue {q:?}: steps[{i}].after must be greater than the previous step \
                     ({previous}), got {}",
                    step.after
                )));
            }
            previous = step.after;
        }
        Ok(())
    }
}

/// An agent: skills with levels, capacity per media, tenant.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentConfig {
    /// unique id
    pub name: String,
    /// owning tenant
    pub tenant: String,
    /// skills with proficiency levels (higher is better)
    pub skills: Vec<(String, u8)>,
    /// simultaneous tasks per media (default: one voice call)
    pub capacity: Vec<(String, u32)>,
    /// media that take the agent whole: offered only to an agent with no other task,
    /// and while held, nothing else is offered (default: voice)
    pub exclusive: Vec<String>,
    /// weight for the weighted-random strategy (> 0)
    pub weight: f64,
    /// the agent's phone answers by itself: an offer connects at once, with no lease to
    /// accept or decline (Amazon Connect's "auto-accept", Genesys' "auto answer")
    pub auto_answer: bool,
}

impl AgentConfig {
    /// An agent with one voice line, voice exclusive, weight 1.
    pub fn new(name: &str, tenant: &str) -> Self {
        Self {
            name: name.to_owned(),
            tenant: tenant.to_owned(),
            skills: Vec::new(),
            capacity: vec![("voice".to_owned(), 1)],
            exclusive: vec!["voice".to_owned()],
            weight: 1.0,
            auto_answer: false,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), EngineError> {
        let a = &self.name;
        if a.is_empty() {
            return Err(invalid("agent name must not be empty".into()));
        }
        if self.tenant.is_empty() {
            return Err(invalid(format!("agent {a:?}: tenant must not be empty")));
        }
        if self.capacity.iter().any(|(m, _)| m.is_empty())
            || self.exclusive.iter().any(String::is_empty)
        {
            return Err(invalid(format!(
                "agent {a:?}: media names must not be empty"
            )));
        }
        if !(self.weight.is_finite() && self.weight > 0.0) {
            return Err(invalid(format!(
                "agent {a:?}: weight must be finite and > 0, got {}",
                self.weight
            )));
        }
        for (m, c) in &self.capacity {
            if *c > 1000 {
                return Err(invalid(format!(
                    "agent {a:?}: capacity for {m:?} must be at most 1000, got {c}"
                )));
            }
        }
        Ok(())
    }
}

/// A call as it arrives.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CallSpec {
    /// unique among active calls
    pub id: String,
    /// the queue it joins, or `None` with `skills` given
    pub queue: Option<String>,
    /// skills required instead of a queue (an implicit queue per distinct requirement)
    pub skills: Option<Vec<(String, u8)>>,
    /// higher is served first
    pub priority: i32,
    /// media; must match the queue's (default: the queue's)
    pub media: Option<String>,
    /// tenant, for calls routed by skills (default: the queue's)
    pub tenant: Option<String>,
    /// attached data for screen pops, kept with the call
    pub data: Vec<(String, String)>,
}

/// Largest time span accepted anywhere (about 31,700 years): keeps microseconds in i64.
pub const MAX_SECONDS: f64 = 1e12;

/// Most distinct not-ready reasons an engine keeps (each agent's time is kept per reason, for
/// the engine's life): a new reason past these is refused. (The engine's own "no answer" may
/// come on top.)
pub const MAX_REASONS: usize = 10_000;
