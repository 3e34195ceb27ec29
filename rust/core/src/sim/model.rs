//! What a simulation is made of: queues (the engine's own configuration), agent groups, call
//! types and an arrival process. Deserializable, so a model can come from JSON or YAML.

use serde::{Deserialize, Serialize};

use super::dist::Dist;
use super::lab::{Balking, Busyness, Periods};
use super::SimError;
use crate::acd::QueueConfig;

/// A whole simulated center.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// queues, exactly as the engine takes them
    #[serde(default)]
    pub queues: Vec<QueueConfig>,
    /// agent groups
    pub groups: Vec<AgentGroup>,
    /// call types, each with its share of the arrivals
    pub calls: Vec<CallType>,
    /// the arrival process of the call types without their own, shared by `share`
    /// (optional when every call type has its own `arrivals`)
    #[serde(default)]
    pub arrivals: Option<Arrivals>,
    /// a random multiplier of the arrival rate, drawn once per day of 86,400 s
    #[serde(default)]
    pub daily_multiplier: Option<Dist>,
    /// one daily multiplier for every call type (`shared`) or one per call type
    /// (`independent`)
    #[serde(default)]
    pub busyness: Busyness,
    /// the main periods of the day, for the values given by period (`handle_by_period`...)
    #[serde(default)]
    pub periods: Option<Periods>,
    /// simulated clock at the start, seconds
    #[serde(default)]
    pub start: f64,
    /// arrivals stop after this many seconds; calls already in finish
    pub horizon: f64,
    /// calls arriving in the first `warmup` seconds are not counted
    #[serde(default)]
    pub warmup: f64,
    /// arrivals stop after this many calls, if given
    #[serde(default)]
    pub max_calls: Option<u64>,
    /// statistics interval, seconds
    #[serde(default = "default_interval")]
    pub interval: f64,
    /// keep one record per call (memory grows with calls)
    #[serde(default)]
    pub record_calls: bool,
    /// after the horizon, stop anyway once this many more seconds have passed
    #[serde(default = "default_drain")]
    pub drain: f64,
    /// stop with an error once more calls than this are in the system at once (an
    /// overloaded model would otherwise fill the memory); at most [`MAX_IN_SYSTEM`]
    #[serde(default = "default_max_in_system")]
    pub max_in_system: u32,
}

/// The most calls a replication may hold at once (each costs a few hundred bytes in the
/// engine and the simulator).
pub const MAX_IN_SYSTEM: u32 = 2_000_000;

fn default_max_in_system() -> u32 {
    1_000_000
}

fn default_drain() -> f64 {
    86_400.0
}

fn default_interval() -> f64 {
    1800.0
}

pub(super) fn one() -> f64 {
    1.0
}

pub(super) fn default_tenant() -> String {
    "default".into()
}

/// A kind of call: where it goes and how its caller behaves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallType {
    /// name, for records
    pub name: String,
    /// the queue it joins (or `skills`)
    #[serde(default)]
    pub queue: Option<String>,
    /// skills it requires instead of a queue
    #[serde(default)]
    pub skills: Option<Vec<(String, u8)>>,
    /// priority
    #[serde(default)]
    pub priority: i32,
    /// tenant for skills-routed calls
    #[serde(default)]
    pub tenant: Option<String>,
    /// media for skills-routed calls
    #[serde(default)]
    pub media: Option<String>,
    /// relative share of the arrivals of the model's process (ignored with `arrivals`)
    #[serde(default = "one")]
    pub share: f64,
    /// this call type's own arrival process (a trace without `types`)
    #[serde(default)]
    pub arrivals: Option<Arrivals>,
    /// talk time (may be left out when `handle_by_period` gives it)
    #[serde(default = "never")]
    pub handle: Dist,
    /// patience: the caller hangs up after waiting this long (`never`: no abandonment)
    #[serde(default = "never")]
    pub patience: Dist,
    /// after-call work, overriding the queue's fixed wrap-up
    #[serde(default)]
    pub wrapup: Option<Dist>,
    /// abandoned callers who call again
    #[serde(default)]
    pub retrial: Option<Retrial>,
    /// a callback offered to callers still waiting after a while
    #[serde(default)]
    pub callback: Option<CallbackOffer>,
    /// service-level threshold for skills-routed calls (queue-routed ones use the queue's)
    #[serde(default)]
    pub sl_threshold: Option<f64>,
    /// talk time by period of arrival (see [`Model::periods`]), instead of `handle`
    #[serde(default)]
    pub handle_by_period: Option<Vec<Dist>>,
    /// patience by period of arrival, instead of `patience`
    #[serde(default)]
    pub patience_by_period: Option<Vec<Dist>>,
    /// after-call work by period of arrival, instead of `wrapup`
    #[serde(default)]
    pub wrapup_by_period: Option<Vec<Dist>>,
    /// talk time when an agent of the named group answers (other groups: the type's own)
    #[serde(default)]
    pub handle_by_group: Option<Vec<(String, Dist)>>,
    /// multiplier of the talk time by the answering agent's level in the call's skill
    /// (levels not listed: 1)
    #[serde(default)]
    pub handle_by_level: Option<Vec<(u8, f64)>>,
    /// callers who must wait may leave at once
    #[serde(default)]
    pub balking: Option<Balking>,
}

pub(super) fn never() -> Dist {
    Dist::Never
}

/// Abandoned callers who try again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retrial {
    /// probability that an abandoned caller calls again
    pub probability: f64,
    /// delay before the new attempt
    pub delay: Dist,
}

/// Virtual hold: after `after` seconds of waiting, the caller is offered a callback.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackOffer {
    /// seconds of waiting before the offer
    pub after: f64,
    /// probability the caller takes it
    #[serde(default = "one")]
    pub accept: f64,
}

/// A group of alike agents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroup {
    /// name; agents are `name/0`, `name/1`, ...
    pub name: String,
    /// tenant
    #[serde(default = "default_tenant")]
    pub tenant: String,
    /// skills with levels
    #[serde(default)]
    pub skills: Vec<(String, u8)>,
    /// capacity per media (default: one voice call)
    #[serde(default)]
    pub capacity: Option<Vec<(String, u32)>>,
    /// exclusive media (default: voice)
    #[serde(default)]
    pub exclusive: Option<Vec<String>>,
    /// weight for weighted-random routing
    #[serde(default = "one")]
    pub weight: f64,
    /// how many are on duty, when
    pub staffing: Staffing,
    /// probability an offer goes unanswered
    #[serde(default)]
    pub no_answer: f64,
    /// time to answer an offer
    #[serde(default = "instant")]
    pub ring: Dist,
}

fn instant() -> Dist {
    Dist::Deterministic { value: 0.0 }
}

/// How many agents of a group are on duty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Staffing {
    /// always this many
    Fixed {
        /// agents
        count: u32,
    },
    /// this many per interval from `start` (the last count holds after the end)
    Intervals {
        /// start of the first interval, seconds
        start: f64,
        /// interval length, seconds
        interval: f64,
        /// agents per interval
        counts: Vec<u32>,
    },
    /// one agent per shift
    Shifts {
        /// the shifts
        shifts: Vec<Shift>,
    },
}

/// One agent's shift, with breaks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// log in, seconds
    pub start: f64,
    /// log out, seconds
    pub end: f64,
    /// (start, end) of breaks inside the shift
    #[serde(default)]
    pub breaks: Vec<(f64, f64)>,
}

/// When calls arrive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Arrivals {
    /// Poisson at a constant rate
    Poisson {
        /// calls per second
        rate: f64,
    },
    /// Poisson with a rate per interval from `start` (none after the last)
    Piecewise {
        /// start of the first interval, seconds
        start: f64,
        /// interval length, seconds
        interval: f64,
        /// calls per second in each interval
        rates: Vec<f64>,
    },
    /// replayed arrival times (sorted), with the call type of each if given
    Trace {
        /// arrival times, seconds
        times: Vec<f64>,
        /// index into `calls` per arrival (default: drawn by share)
        #[serde(default)]
        types: Option<Vec<u32>>,
    },
}

/// The largest time or span of a model, seconds (about 3,170 years): the run's times stay
/// well inside the engine's range of microseconds, with any duration added.
pub const MAX_TIME: f64 = 1e11;

/// A value that must be finite, at least `min` and at most [`MAX_TIME`] in size.
pub(super) fn finite(what: &str, v: f64, min: f64) -> Result<(), SimError> {
    if v.is_finite() && v >= min && v.abs() <= MAX_TIME {
        Ok(())
    } else {
        Err(SimError(format!(
            "{what} must be finite, >= {min} and at most {MAX_TIME:e}, got {v}"
        )))
    }
}

/// A span that must be > 0 (an interval length).
pub(super) fn span(what: &str, v: f64) -> Result<(), SimError> {
    if v.is_finite() && v > 0.0 && v <= MAX_TIME {
        Ok(())
    } else {
        Err(SimError(format!(
            "{what} must be finite, > 0 and at most {MAX_TIME:e} seconds, got {v}"
        )))
    }
}

/// A probability, in [0, 1].
pub(super) fn probability(what: &str, v: f64) -> Result<(), SimError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(SimError(format!("{what} must be in [0, 1], got {v}")))
    }
}

impl Model {
    /// Check everything that the engine itself does not: names the field at fault.
    pub fn validate(&self) -> Result<(), SimError> {
        finite("horizon", self.horizon, 0.0)?;
        finite("start", self.start, -1e11)?;
        finite("warmup", self.warmup, 0.0)?;
        finite("drain", self.drain, 0.0)?;
        span("interval", self.interval)?;
        if !(1..=MAX_IN_SYSTEM).contains(&self.max_in_system) {
            return Err(SimError(format!(
                "max_in_system must be in [1, {MAX_IN_SYSTEM}], got {}",
                self.max_in_system
            )));
        }
        if self.calls.is_empty() {
            return Err(SimError("calls must name at least one call type".into()));
        }
        if self.calls.len() > u16::MAX as usize || self.groups.len() > u16::MAX as usize {
            return Err(SimError("too many call types or groups".into()));
        }
        // counters are kept per line (one per queue and per skills-routed call type) and
        // interval of arrival (retrials arrive until the drain ends), and numbered by a u32
        // (more than that would not fit in any machine's memory anyway)
        let intervals = (self.horizon + self.drain) / self.interval + 1.0;
        let lines = self.queues.len() + self.calls.len();
        if intervals * lines as f64 >= f64::from(u32::MAX) {
            return Err(SimError(format!(
                "interval: {} s over a horizon of {} s and a drain of {} s makes {:.0} \
                 statistics intervals for each of up to {lines} lines (queues and call \
                 types): too many to count (at most {} in all)",
                self.interval,
                self.horizon,
                self.drain,
                intervals,
                u32::MAX - 1
            )));
        }
        if let Some(d) = &self.daily_multiplier {
            d.validate("daily_multiplier")?;
        }
        let mut total_share = 0.0;
        let mut any_shared = false;
        for (i, c) in self.calls.iter().enumerate() {
            let w = format!("calls[{i}]");
            if c.queue.is_some() == c.skills.is_some() {
                return Err(SimError(format!(
                    "{w}: give exactly one of queue and skills"
                )));
            }
            if let Some(q) = &c.queue {
                if !self.queues.iter().any(|x| &x.name == q) {
                    return Err(SimError(format!("{w}.queue: unknown queue {q:?}")));
                }
            }
            finite(&format!("{w}.share"), c.share, 0.0)?;
            if c.arrivals.is_none() {
                total_share += c.share;
                any_shared = true;
            }
            c.handle.validate(&format!("{w}.handle"))?;
            c.patience.validate(&format!("{w}.patience"))?;
            if let Some(d) = &c.wrapup {
                d.validate(&format!("{w}.wrapup"))?;
                if c.skills.is_some() {
                    return Err(SimError(format!(
                        "{w}.wrapup: only for queue-routed call types (a skills-routed call \
                         takes the wrap-up of its implicit queue, none)"
                    )));
                }
            }
            if let Some(r) = &c.retrial {
                probability(&format!("{w}.retrial.probability"), r.probability)?;
                r.delay.validate(&format!("{w}.retrial.delay"))?;
                if r.probability >= 1.0 && r.delay.can_be_zero() && c.patience.can_be_zero() {
                    // every attempt would hang up and call again at the same instant, forever
                    return Err(SimError(format!(
                        "{w}.retrial.delay: a caller who always calls again (probability 1) \
                         with a patience that can be 0 must wait before calling again: the \
                         delay {:?} can be 0, and the retrials would never end",
                        r.delay
                    )));
                }
            }
            if let Some(cb) = &c.callback {
                finite(&format!("{w}.callback.after"), cb.after, 0.0)?;
                probability(&format!("{w}.callback.accept"), cb.accept)?;
            }
            if let Some(t) = c.sl_threshold {
                finite(&format!("{w}.sl_threshold"), t, 0.0)?;
            }
        }
        if any_shared && total_share.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return Err(SimError("calls: the shares must not all be 0".into()));
        }
        for (i, g) in self.groups.iter().enumerate() {
            let w = format!("groups[{i}]");
            probability(&format!("{w}.no_answer"), g.no_answer)?;
            g.ring.validate(&format!("{w}.ring"))?;
            validate_staffing(&w, &g.staffing)?;
        }
        let shared = self.calls.iter().any(|c| c.arrivals.is_none());
        match &self.arrivals {
            Some(a) => {
                if !shared {
                    return Err(SimError(
                        "arrivals: every call type has its own arrivals, so the model's \
                         would reach none of them: remove it"
                            .into(),
                    ));
                }
                validate_arrivals("arrivals", a, Some(self.calls.len()))?;
            }
            None if shared => {
                let i = self.calls.iter().position(|c| c.arrivals.is_none());
                return Err(SimError(format!(
                    "arrivals: missing (calls[{}] has no arrivals of its own)",
                    i.unwrap_or(0)
                )));
            }
            None => {}
        }
        super::lab::validate(self)?;
        Ok(())
    }
}

/// Check a group's staffing; `w` names the group (`groups[i]`).
pub(super) fn validate_staffing(w: &str, staffing: &Staffing) -> Result<(), SimError> {
    match staffing {
        Staffing::Fixed { count } => {
            if *count > 1_000_000 {
                return Err(SimError(format!(
                    "{w}.staffing.count is too large: {count}"
                )));
            }
        }
        Staffing::Intervals {
            start,
            interval,
            counts,
        } => {
            finite(&format!("{w}.staffing.start"), *start, -1e11)?;
            span(&format!("{w}.staffing.interval"), *interval)?;
            if counts.iter().any(|&c| c > 1_000_000) {
                return Err(SimError(format!("{w}.staffing.counts: too large")));
            }
        }
        Staffing::Shifts { shifts } => {
            for (j, s) in shifts.iter().enumerate() {
                let ws = format!("{w}.staffing.shifts[{j}]");
                finite(&format!("{ws}.start"), s.start, -1e11)?;
                finite(&format!("{ws}.end"), s.end, -1e11)?;
                if s.end <= s.start {
                    return Err(SimError(format!("{ws}: end must be after start")));
                }
                let mut last = s.start;
                for (k, &(b0, b1)) in s.breaks.iter().enumerate() {
                    if !(b0 >= last && b1 > b0 && b1 <= s.end) {
                        return Err(SimError(format!(
                            "{ws}.breaks[{k}]: breaks must be ordered and inside the shift"
                        )));
                    }
                    last = b1;
                }
            }
        }
    }
    Ok(())
}

/// Check an arrival process; `what` names it, `ncalls` is the number of call types its
/// trace may name (`None`: a call type's own process, which names none).
pub(super) fn validate_arrivals(
    what: &str,
    a: &Arrivals,
    ncalls: Option<usize>,
) -> Result<(), SimError> {
    match a {
        Arrivals::Poisson { rate } => finite(&format!("{what}.rate"), *rate, 0.0)?,
        Arrivals::Piecewise {
            start,
            interval,
            rates,
        } => {
            finite(&format!("{what}.start"), *start, -1e11)?;
            span(&format!("{what}.interval"), *interval)?;
            for (i, r) in rates.iter().enumerate() {
                finite(&format!("{what}.rates[{i}]"), *r, 0.0)?;
            }
        }
        Arrivals::Trace { times, types } => {
            for (i, w) in times.windows(2).enumerate() {
                if w[1]
                    .partial_cmp(&w[0])
                    .is_none_or(|o| o == std::cmp::Ordering::Less)
                {
                    return Err(SimError(format!(
                        "{what}.times[{}] must not be before the time before it",
                        i + 1
                    )));
                }
            }
            if let Some(i) = times
                .iter()
                .position(|t| !(t.is_finite() && t.abs() <= MAX_TIME))
            {
                return Err(SimError(format!(
                    "{what}.times[{i}] must be finite and within ±{MAX_TIME:e} \
                         seconds, got {}",
                    times[i]
                )));
            }
            if let Some(types) = types {
                let Some(ncalls) = ncalls else {
                    return Err(SimError(format!(
                        "{what}.types: only the model's arrivals take types (a call \
                             type's own trace is all of its type)"
                    )));
                };
                if types.len() != times.len() {
                    return Err(SimError(format!("{what}.types must match {what}.times")));
                }
                if let Some(i) = types.iter().position(|&t| t as usize >= ncalls) {
                    return Err(SimError(format!(
                        "{what}.types[{i}] = {} is not a call type index",
                        types[i]
                    )));
                }
            }
        }
    }
    Ok(())
}
