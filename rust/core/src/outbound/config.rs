//! What the dialer is told: campaigns (mode, retry rules, pacing limits, blending, zone
//! windows) and contacts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{invalid, DialerError};

/// Largest time (seconds, absolute) any input or setting may give, as the engine's.
pub const MAX_SECONDS: f64 = 1e12;

/// How a campaign turns free agents into calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DialMode {
    /// the agent sees the contact first ([`PreviewOffer`](super::PreviewOffer)) and accepts
    /// to dial
    Preview,
    /// one line per free agent
    #[default]
    Progressive,
    /// lines per free agent from the measured answer rate, under the abandonment cap
    Predictive,
}

/// What happens after one kind of outcome: retry `delay` seconds later while the contact
/// has had fewer than `max_attempts` attempts in all (of every outcome); otherwise the
/// contact ends (`exhausted`, or `abandoned` for the abandoned rule).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryRule {
    /// seconds from the outcome to the next eligible time (>= 0)
    pub delay: f64,
    /// total attempts after which this outcome is final (0 or 1: never retried)
    pub max_attempts: u32,
}

impl RetryRule {
    /// A rule retrying after `delay` seconds up to `max_attempts` attempts in all.
    pub const fn new(delay: f64, max_attempts: u32) -> Self {
        Self {
            delay,
            max_attempts,
        }
    }
}

/// Retry rules by outcome.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryRules {
    /// nobody answered (default: 1 h, 3 attempts)
    pub no_answer: RetryRule,
    /// busy (default: 10 min, 3 attempts)
    pub busy: RetryRule,
    /// an answering machine (default: 2 h, 2 attempts)
    pub machine: RetryRule,
    /// the network failed the call (default: 30 min, 2 attempts)
    pub failed: RetryRule,
    /// the person asked to be called back: the next eligible time is the later of the time
    /// asked and `delay` after the outcome (default: 0 s, 5 attempts)
    pub callback_requested: RetryRule,
    /// a person answered and no agent came within the limit (default: never retried: the
    /// contact ends `abandoned`)
    pub abandoned: RetryRule,
}

impl Default for RetryRules {
    fn default() -> Self {
        Self {
            no_answer: RetryRule::new(3600.0, 3),
            busy: RetryRule::new(600.0, 3),
            machine: RetryRule::new(7200.0, 2),
            failed: RetryRule::new(1800.0, 2),
            callback_requested: RetryRule::new(0.0, 5),
            abandoned: RetryRule::new(3600.0, 0),
        }
    }
}

/// How many idle agents of a blended group are kept for inbound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Blending {
    /// always keep this many agents idle for inbound
    Fixed(u32),
    /// the smallest threshold that meets the inbound service level (see
    /// [`blending_threshold`](super::blending_threshold))
    #[default]
    Auto,
}

/// A campaign as configured. `CampaignConfig::new(id, tenant)` gives the defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CampaignConfig {
    /// unique among campaigns, not empty
    pub id: String,
    /// the tenant whose campaign it is, not empty
    pub tenant: String,
    /// the skills (and minimum levels) its agents need, as a call's
    pub skills: Vec<(String, u8)>,
    /// preview, progressive or predictive
    pub mode: DialMode,
    /// the number presented to the called party
    pub caller_id: String,
    /// what to do after each kind of outcome
    pub retry: RetryRules,
    /// the largest abandonment rate over live answers allowed, in (0, 1) (default 0.03)
    pub abandon_cap: f64,
    /// the largest allowed probability that the window's rate ends above the cap, in
    /// (0, 0.5] (default 0.05): the predictive pacer's confidence margin (`pacing.rs`)
    pub abandon_risk: f64,
    /// the rolling window of the rate, seconds > 0 (default 30 days, the US rule; the UK's
    /// is 24 h)
    pub abandon_window: f64,
    /// seconds a person may wait for an agent after answering before the call counts as
    /// abandoned (default 2; the caller times it and says [`connect_timeout`])
    ///
    /// [`connect_timeout`]: super::Dialer::connect_timeout
    pub connect_within: f64,
    /// P(answering-machine detection takes a person for a machine), in [0, 1): each
    /// person answer adds `r / (1 - r)` expected false positives, which count as answered
    /// and abandoned (default 0)
    pub amd_false_positive_rate: f64,
    /// hard ceiling of open lines per free agent, >= 1 (default 3)
    pub max_lines_per_agent: f64,
    /// the answer rate (person answers per dial) assumed before any outcome, in (0, 1]
    /// (default 0.3)
    pub answer_rate_prior: f64,
    /// weight of each new outcome in the exponentially weighted answer rate, in (0, 1]
    /// (default 0.02: about the last 50 outcomes)
    pub answer_rate_weight: f64,
    /// idle agents kept for inbound
    pub blending: Blending,
    /// per zone (a contact's `zone` indexes this table), its sorted, disjoint allowed
    /// `[start, end)` spans on the dialer's clock
    pub zones: Vec<Vec<(f64, f64)>>,
}

impl Default for CampaignConfig {
    fn default() -> Self {
        Self {
            id: String::new(),
            tenant: String::new(),
            skills: Vec::new(),
            mode: DialMode::Progressive,
            caller_id: String::new(),
            retry: RetryRules::default(),
            abandon_cap: 0.03,
            abandon_risk: 0.05,
            abandon_window: 30.0 * 86_400.0,
            connect_within: 2.0,
            amd_false_positive_rate: 0.0,
            max_lines_per_agent: 3.0,
            answer_rate_prior: 0.3,
            answer_rate_weight: 0.02,
            blending: Blending::Auto,
            zones: Vec::new(),
        }
    }
}

impl CampaignConfig {
    /// A campaign with every default (progressive, no zones yet).
    pub fn new(id: &str, tenant: &str) -> Self {
        Self {
            id: id.to_owned(),
            tenant: tenant.to_owned(),
            ..Self::default()
        }
    }

    /// Check every field; the error names the first one out of its domain.
    pub fn validate(&self) -> Result<(), DialerError> {
        let at = |field: &str| format!("campaign {:?}: {field}", self.id);
        if self.id.is_empty() {
            return Err(invalid("campaign id must not be empty".into()));
        }
        if self.tenant.is_empty() {
            return Err(invalid(format!("{} must not be empty", at("tenant"))));
        }
        for (s, _) in &self.skills {
            if s.is_empty() {
                return Err(invalid(format!("{} has an empty skill name", at("skills"))));
            }
        }
        for (i, (s, _)) in self.skills.iter().enumerate() {
            if self.skills[..i].iter().any(|(x, _)| x == s) {
                return Err(invalid(format!("{} names {s:?} twice", at("skills"))));
            }
        }
        let r = &self.retry;
        for (name, rule) in [
            ("no_answer", r.no_answer),
            ("busy", r.busy),
            ("machine", r.machine),
            ("failed", r.failed),
            ("callback_requested", r.callback_requested),
            ("abandoned", r.abandoned),
        ] {
            if !(rule.delay.is_finite() && (0.0..=MAX_SECONDS).contains(&rule.delay)) {
                return Err(invalid(format!(
                    "{} must be a finite number of seconds in [0, {MAX_SECONDS:e}], got {}",
                    at(&format!("retry.{name}.delay")),
                    rule.delay
                )));
            }
        }
        open_unit(&at("abandon_cap"), self.abandon_cap)?;
        let risk = self.abandon_risk;
        if !(risk.is_finite() && risk > 0.0 && risk <= 0.5) {
            return Err(invalid(format!(
                "{} must be in (0, 0.5], got {risk}",
                at("abandon_risk")
            )));
        }
        positive_seconds(&at("abandon_window"), self.abandon_window)?;
        positive_seconds(&at("connect_within"), self.connect_within)?;
        let fp = self.amd_false_positive_rate;
        if !(fp.is_finite() && (0.0..1.0).contains(&fp)) {
            return Err(invalid(format!(
                "{} must be in [0, 1), got {fp}",
                at("amd_false_positive_rate")
            )));
        }
        let m = self.max_lines_per_agent;
        if !(m.is_finite() && (1.0..=1000.0).contains(&m)) {
            return Err(invalid(format!(
                "{} must be in [1, 1000], got {m}",
                at("max_lines_per_agent")
            )));
        }
        unit_closed_above(&at("answer_rate_prior"), self.answer_rate_prior)?;
        unit_closed_above(&at("answer_rate_weight"), self.answer_rate_weight)?;
        for (z, spans) in self.zones.iter().enumerate() {
            check_spans(&at(&format!("zones[{z}]")), spans)?;
        }
        Ok(())
    }
}

fn open_unit(name: &str, v: f64) -> Result<(), DialerError> {
    if v.is_finite() && v > 0.0 && v < 1.0 {
        Ok(())
    } else {
        Err(invalid(format!("{name} must be in (0, 1), got {v}")))
    }
}

fn unit_closed_above(name: &str, v: f64) -> Result<(), DialerError> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(())
    } else {
        Err(invalid(format!("{name} must be in (0, 1], got {v}")))
    }
}

fn positive_seconds(name: &str, v: f64) -> Result<(), DialerError> {
    if v.is_finite() && v > 0.0 && v <= MAX_SECONDS {
        Ok(())
    } else {
        Err(invalid(format!(
            "{name} must be a number of seconds in (0, {MAX_SECONDS:e}], got {v}"
        )))
    }
}

/// Spans must be finite, within range, each `start < end`, sorted and disjoint
/// (`end_i <= start_{i+1}`).
pub(crate) fn check_spans(name: &str, spans: &[(f64, f64)]) -> Result<(), DialerError> {
    let mut last_end = f64::NEG_INFINITY;
    for (i, &(s, e)) in spans.iter().enumerate() {
        for v in [s, e] {
            if !(v.is_finite() && v.abs() <= MAX_SECONDS) {
                return Err(invalid(format!(
                    "{name}[{i}] must be finite times within ±{MAX_SECONDS:e} s, got ({s}, {e})"
                )));
            }
        }
        if s >= e {
            return Err(invalid(format!(
                "{name}[{i}] is empty or reversed: start {s} >= end {e}"
            )));
        }
        if s < last_end {
            return Err(invalid(format!(
                "{name}[{i}] starts at {s}, before the previous span ends ({last_end}): spans \
                 must be sorted and disjoint"
            )));
        }
        last_end = e;
    }
    Ok(())
}

/// A contact to call.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactSpec {
    /// unique within its campaign, not empty
    pub id: String,
    /// numbers to try, in order (attempts rotate through those not on a do-not-call list);
    /// at least one, none empty
    pub numbers: Vec<String>,
    /// higher is dialled first
    pub priority: i32,
    /// attached data (screen pop), returned with offers and views
    pub data: BTreeMap<String, String>,
    /// index into the campaign's zone table
    pub zone: u32,
}

impl ContactSpec {
    /// A contact with one number in zone 0, priority 0, no data.
    pub fn new(id: &str, number: &str) -> Self {
        Self {
            id: id.to_owned(),
            numbers: vec![number.to_owned()],
            ..Self::default()
        }
    }
}
