//! What a blended (inbound + outbound) day is made of: inbound queues and call types, agent
//! groups, and campaigns with their contacts' behaviour. Deserializable, so a model can come
//! from JSON or YAML.

use serde::{Deserialize, Serialize};

use super::super::dist::Dist;
use super::super::model::{
    default_tenant, finite, never, one, probability, span, validate_arrivals, validate_staffing,
    Arrivals, Staffing, MAX_TIME,
};
use super::super::SimError;
use crate::acd::QueueConfig;
use crate::outbound::{Blending, CampaignConfig};

/// A whole simulated blended center: inbound queues answered by agent groups, and outbound
/// campaigns dialled by the [`Dialer`](crate::outbound::Dialer) for the agents the
/// blending threshold leaves free.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlendModel {
    /// inbound queues, exactly as the engine takes them
    #[serde(default)]
    pub queues: Vec<QueueConfig>,
    /// inbound call types, each with its share of the arrivals
    #[serde(default)]
    pub inbound: Vec<InboundType>,
    /// the arrival process of all inbound calls (Poisson or piecewise; default: none)
    #[serde(default = "no_arrivals")]
    pub arrivals: Arrivals,
    /// agent groups (agents answer at once: no ring, no missed offers)
    pub groups: Vec<BlendGroup>,
    /// outbound campaigns
    #[serde(default)]
    pub campaigns: Vec<CampaignModel>,
    /// simulated clock at the start, seconds
    #[serde(default)]
    pub start: f64,
    /// arrivals and dialling stop after this many seconds; calls already in finish
    pub horizon: f64,
    /// calls arriving (inbound) or dialled (outbound) in the first `warmup` seconds are not
    /// counted, nor is agent time before it
    #[serde(default)]
    pub warmup: f64,
    /// statistics interval, seconds (the rolling abandonment rate is read at their ends)
    #[serde(default = "default_interval")]
    pub interval: f64,
    /// besides after every event that frees an agent or closes a line, the dialer paces
    /// every `pace_every` seconds (predictive campaigns count agents about to free up)
    #[serde(default = "default_pace_every")]
    pub pace_every: f64,
}

fn no_arrivals() -> Arrivals {
    Arrivals::Poisson { rate: 0.0 }
}

fn default_interval() -> f64 {
    900.0
}

fn default_pace_every() -> f64 {
    1.0
}

/// A kind of inbound call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundType {
    /// name
    pub name: String,
    /// the queue it joins
    pub queue: String,
    /// priority in its queue
    #[serde(default)]
    pub priority: i32,
    /// relative share of the arrivals
    #[serde(default = "one")]
    pub share: f64,
    /// talk time
    pub handle: Dist,
    /// the caller hangs up after waiting this long (`never`: no abandonment)
    #[serde(default = "never")]
    pub patience: Dist,
    /// after-call work (default: the queue's fixed wrap-up)
    #[serde(default)]
    pub wrapup: Option<Dist>,
}

/// A group of alike agents (agents answer at once).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlendGroup {
    /// name; agents are `name/0`, `name/1`, ...
    pub name: String,
    /// tenant
    #[serde(default = "default_tenant")]
    pub tenant: String,
    /// skills with levels: a campaign's agents are those with its skills
    #[serde(default)]
    pub skills: Vec<(String, u8)>,
    /// how many are on duty, when (`fixed` or `intervals`)
    pub staffing: Staffing,
}

/// An outbound campaign: the dialer's configuration, its contacts and how they behave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignModel {
    /// the campaign as the dialer takes it (mode, cap, retry rules, blending, zones...);
    /// the campaign's answered calls join a queue `outbound:<id>` that requires its skills
    pub campaign: CampaignConfig,
    /// how many contacts it has (ids `0`, `1`, ...; one number each, zone 0, priority 0)
    pub contacts: u64,
    /// what happens when a contact is dialled
    pub reach: Reach,
    /// time from dialling to an answer (person or machine: detection included)
    pub ring: Dist,
    /// time from dialling to giving up when nobody answers
    #[serde(default = "default_no_answer_after")]
    pub no_answer_after: f64,
    /// time from dialling to a busy or failed signal
    #[serde(default = "default_busy_after")]
    pub busy_after: f64,
    /// talk time of a person joined to an agent
    pub talk: Dist,
    /// after-call work of an outbound call (default: none)
    #[serde(default)]
    pub wrapup: Option<Dist>,
    /// the inbound load and target the automatic blending threshold meets (needed with
    /// `blending: auto`; the load is read from the model's arrivals and inbound types)
    #[serde(default)]
    pub inbound_target: Option<InboundTarget>,
    /// an outbound call's priority against inbound calls waiting for the same agent (the
    /// campaign queue's weight is -1: inbound wins ties)
    #[serde(default)]
    pub priority: i32,
    /// preview mode: how long an agent takes to decide on a contact shown (the agent is
    /// held from the offer on; default 10 s)
    #[serde(default = "default_preview")]
    pub preview: Dist,
    /// preview mode: P(the agent accepts a contact shown; else it goes back to the list,
    /// eligible at once), in (0, 1]
    #[serde(default = "one")]
    pub preview_accept: f64,
}

fn default_preview() -> Dist {
    Dist::Deterministic { value: 10.0 }
}

fn default_no_answer_after() -> f64 {
    25.0
}

fn default_busy_after() -> f64 {
    3.0
}

/// The inbound service level a blended group must keep (for `blending: auto`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundTarget {
    /// answered within this many seconds
    pub answer_within: f64,
    /// the share of calls to answer within it, in (0, 1)
    pub target: f64,
}

/// What a dialled contact does, by period of the day and by attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reach {
    /// start of the first period, seconds (earlier dials use the first period)
    #[serde(default)]
    pub start: f64,
    /// period length, seconds
    #[serde(default = "default_period")]
    pub period: f64,
    /// one row per period (dials after the last use the last)
    pub periods: Vec<ReachRow>,
    /// a factor on `person` by attempt (the first entry for the first attempt; attempts past
    /// the list use the last): the mass moved goes to or comes from no answer
    #[serde(default = "default_by_attempt")]
    pub person_by_attempt: Vec<f64>,
    /// P(answering-machine detection takes a person for a machine): the line is hung up and
    /// the person counts as abandoned (the campaign's `amd_false_positive_rate` is what the
    /// dialer assumes; this is what happens)
    #[serde(default)]
    pub amd_false_positive: f64,
    /// how long after the call a person who asks to be called back wants it (default 1 h;
    /// see `ReachRow::callback`)
    #[serde(default = "default_callback_after")]
    pub callback_after: Dist,
}

fn default_callback_after() -> Dist {
    Dist::Deterministic { value: 3600.0 }
}

fn default_period() -> f64 {
    3600.0
}

fn default_by_attempt() -> Vec<f64> {
    vec![1.0]
}

/// The probabilities of a dial's outcomes in one period: no answer is what remains.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReachRow {
    /// a person answers
    pub person: f64,
    /// an answering machine answers
    #[serde(default)]
    pub machine: f64,
    /// busy
    #[serde(default)]
    pub busy: f64,
    /// the network fails the call
    #[serde(default)]
    pub failed: f64,
    /// P(a person who answers, and is not taken for a machine, asks to be called back
    /// instead of talking now): the line closes with `callback_requested` at the time they
    /// ask for (`Reach::callback_after` later), and the dialer dials them again then
    #[serde(default)]
    pub callback: f64,
}

/// A dial's outcome as it happens (before detection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reached {
    Person,
    Machine,
    NoAnswer,
    Busy,
    Failed,
}

impl Reach {
    /// The outcome of attempt `attempt` (1 = the first) dialled at `t` seconds, from a
    /// uniform draw `u` in (0, 1] (the same draw for a contact's attempt whatever the
    /// pacing: common random numbers).
    pub(super) fn outcome(&self, t: f64, attempt: u32, u: f64) -> Reached {
        let row = self.periods[self.period_of(t)];
        let a = (attempt.max(1) as usize - 1).min(self.person_by_attempt.len() - 1);
        let person =
            (row.person * self.person_by_attempt[a]).min(1.0 - row.machine - row.busy - row.failed);
        let mut edge = person;
        if u <= edge {
            return Reached::Person;
        }
        edge += row.machine;
        if u <= edge {
            return Reached::Machine;
        }
        edge += row.busy;
        if u <= edge {
            return Reached::Busy;
        }
        edge += row.failed;
        if u <= edge {
            return Reached::Failed;
        }
        Reached::NoAnswer
    }
}

impl Reach {
    /// P(a person asks to be called back) for a dial at `t` seconds.
    pub(super) fn callback_at(&self, t: f64) -> f64 {
        self.periods[self.period_of(t)].callback
    }

    /// The period a dial at `t` seconds falls in.
    fn period_of(&self, t: f64) -> usize {
        if t < self.start {
            0
        } else {
            (((t - self.start) / self.period) as usize).min(self.periods.len() - 1)
        }
    }
}

/// The most contacts one campaign may have in a simulation.
pub const MAX_CONTACTS: u64 = 10_000_000;

impl BlendModel {
    /// Check everything the engine and the dialer do not: names the field at fault.
    pub fn validate(&self) -> Result<(), SimError> {
        finite("horizon", self.horizon, 0.0)?;
        finite("start", self.start, -MAX_TIME)?;
        finite("warmup", self.warmup, 0.0)?;
        span("interval", self.interval)?;
        span("pace_every", self.pace_every)?;
        if (self.horizon / self.interval) > 1e7 {
            return Err(SimError(format!(
                "interval: {} s over a horizon of {} s makes too many statistics intervals \
                 (at most 10^7)",
                self.interval, self.horizon
            )));
        }
        if self.inbound.len() > u16::MAX as usize
            || self.groups.len() > u16::MAX as usize
            || self.campaigns.len() > u16::MAX as usize
        {
            return Err(SimError(
                "too many inbound types, groups or campaigns".into(),
            ));
        }
        let mut total_share = 0.0;
        for (i, c) in self.inbound.iter().enumerate() {
            let w = format!("inbound[{i}]");
            if !self.queues.iter().any(|q| q.name == c.queue) {
                return Err(SimError(format!("{w}.queue: unknown queue {:?}", c.queue)));
            }
            finite(&format!("{w}.share"), c.share, 0.0)?;
            total_share += c.share;
            c.handle.validate(&format!("{w}.handle"))?;
            c.patience.validate(&format!("{w}.patience"))?;
            if let Some(d) = &c.wrapup {
                d.validate(&format!("{w}.wrapup"))?;
            }
        }
        if let Arrivals::Trace { .. } = self.arrivals {
            return Err(SimError(
                "arrivals: a blended day takes poisson or piecewise arrivals".into(),
            ));
        }
        validate_arrivals("arrivals", &self.arrivals, None)?;
        if self.has_inbound() && total_share.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
        {
            return Err(SimError(
                "inbound: with inbound arrivals, give at least one inbound type with a \
                 share > 0"
                    .into(),
            ));
        }
        for (i, g) in self.groups.iter().enumerate() {
            let w = format!("groups[{i}]");
            if let Staffing::Shifts { .. } = g.staffing {
                return Err(SimError(format!(
                    "{w}.staffing: a blended day takes fixed or intervals staffing"
                )));
            }
            validate_staffing(&w, &g.staffing)?;
        }
        for (i, c) in self.campaigns.iter().enumerate() {
            let w = format!("campaigns[{i}]");
            c.campaign
                .validate()
                .map_err(|e| SimError(format!("{w}.campaign: {e}")))?;
            if self.campaigns[..i]
                .iter()
                .any(|o| o.campaign.id == c.campaign.id)
            {
                return Err(SimError(format!(
                    "{w}.campaign.id: {:?} names two campaigns",
                    c.campaign.id
                )));
            }
            if c.contacts > MAX_CONTACTS {
                return Err(SimError(format!(
                    "{w}.contacts: at most {MAX_CONTACTS}, got {}",
                    c.contacts
                )));
            }
            c.preview.validate(&format!("{w}.preview"))?;
            if matches!(c.preview, Dist::Never) {
                return Err(SimError(format!(
                    "{w}.preview: an agent's decision must end (`never` is for patience)"
                )));
            }
            if !(c.preview_accept > 0.0 && c.preview_accept <= 1.0) {
                return Err(SimError(format!(
                    "{w}.preview_accept must be in (0, 1], got {}",
                    c.preview_accept
                )));
            }
            if c.campaign.blending == Blending::Auto && c.inbound_target.is_none() {
                return Err(SimError(format!(
                    "{w}.inbound_target: blending auto needs the inbound target \
                     (answer_within, target)"
                )));
            }
            if let Some(t) = &c.inbound_target {
                finite(
                    &format!("{w}.inbound_target.answer_within"),
                    t.answer_within,
                    0.0,
                )?;
                if !(t.target > 0.0 && t.target < 1.0) {
                    return Err(SimError(format!(
                        "{w}.inbound_target.target must be in (0, 1), got {}",
                        t.target
                    )));
                }
            }
            let r = &c.reach;
            let wr = format!("{w}.reach");
            finite(&format!("{wr}.start"), r.start, -MAX_TIME)?;
            span(&format!("{wr}.period"), r.period)?;
            if r.periods.is_empty() {
                return Err(SimError(format!("{wr}.periods: give at least one period")));
            }
            for (k, row) in r.periods.iter().enumerate() {
                let wk = format!("{wr}.periods[{k}]");
                for (name, v) in [
                    ("person", row.person),
                    ("machine", row.machine),
                    ("busy", row.busy),
                    ("failed", row.failed),
                    ("callback", row.callback),
                ] {
                    probability(&format!("{wk}.{name}"), v)?;
                }
                let sum = row.person + row.machine + row.busy + row.failed;
                if sum > 1.0 + 1e-12 {
                    return Err(SimError(format!(
                        "{wk}: person + machine + busy + failed must be at most 1, got {sum}"
                    )));
                }
            }
            if r.person_by_attempt.is_empty() {
                return Err(SimError(format!(
                    "{wr}.person_by_attempt: give at least one factor"
                )));
            }
            for (k, &f) in r.person_by_attempt.iter().enumerate() {
                finite(&format!("{wr}.person_by_attempt[{k}]"), f, 0.0)?;
            }
            probability(&format!("{wr}.amd_false_positive"), r.amd_false_positive)?;
            r.callback_after.validate(&format!("{wr}.callback_after"))?;
            if matches!(r.callback_after, Dist::Never) {
                return Err(SimError(format!(
                    "{wr}.callback_after: a callback must come (`never` is for patience)"
                )));
            }
            c.ring.validate(&format!("{w}.ring"))?;
            finite(&format!("{w}.no_answer_after"), c.no_answer_after, 0.0)?;
            finite(&format!("{w}.busy_after"), c.busy_after, 0.0)?;
            c.talk.validate(&format!("{w}.talk"))?;
            if let Some(d) = &c.wrapup {
                d.validate(&format!("{w}.wrapup"))?;
            }
            for d in [&c.ring, &c.talk] {
                if matches!(d, Dist::Never) {
                    return Err(SimError(format!(
                        "{w}: ring and talk must end (`never` is for patience)"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether any inbound call can arrive.
    pub(super) fn has_inbound(&self) -> bool {
        match &self.arrivals {
            Arrivals::Poisson { rate } => *rate > 0.0,
            Arrivals::Piecewise { rates, .. } => rates.iter().any(|&r| r > 0.0),
            Arrivals::Trace { .. } => false,
        }
    }

    /// The inbound arrival rate at `t` seconds (calls per second).
    pub(super) fn inbound_rate(&self, t: f64) -> f64 {
        match &self.arrivals {
            Arrivals::Poisson { rate } => *rate,
            Arrivals::Piecewise {
                start,
                interval,
                rates,
            } => {
                if t < *start {
                    return 0.0;
                }
                let k = ((t - start) / interval) as usize;
                rates.get(k).copied().unwrap_or(0.0)
            }
            Arrivals::Trace { .. } => 0.0,
        }
    }

    /// The mean inbound handle time (talk and wrap-up), weighted by share; 0 with none.
    pub(super) fn inbound_aht(&self) -> f64 {
        let total: f64 = self.inbound.iter().map(|c| c.share).sum();
        if total <= 0.0 {
            return 0.0;
        }
        self.inbound
            .iter()
            .map(|c| {
                let wrap = match &c.wrapup {
                    Some(d) => d.mean(),
                    None => self
                        .queues
                        .iter()
                        .find(|q| q.name == c.queue)
                        .map_or(0.0, |q| q.wrapup),
                };
                c.share * (c.handle.mean() + wrap)
            })
            .sum::<f64>()
            / total
    }
}
