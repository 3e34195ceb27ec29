//! The model's routing-lab additions (issue 15): main periods and the values given by period
//! of arrival, per-type arrival processes and their busyness, agent-dependent handle times
//! and balking; their types and their checks (each error names the field at fault).

use serde::{Deserialize, Serialize};

use super::dist::Dist;
use super::model::{validate_arrivals, CallType, Model, MAX_TIME};
use super::SimError;

/// The main periods of the day: period `k` is `[start + k × length, start + (k+1) ×
/// length)`. A call takes the values of the period of its arrival; arrivals before `start`
/// take period 0's, those after the last period given take the last one's (ContactCenters'
/// rule for its preliminary and wrap-up periods).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Periods {
    /// start of the first period, seconds
    pub start: f64,
    /// length of each period, seconds
    pub length: f64,
}

/// How the daily multiplier of the arrival rates is drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Busyness {
    /// one draw per day multiplies every call type's rate
    #[default]
    Shared,
    /// one draw per day and call type with its own `arrivals` (the types sharing the
    /// model's process share its draw)
    Independent,
}

/// A caller who must wait (no agent takes the call at once) leaves at once with a
/// probability: fixed (`probability`), or by the expected wait the engine announces
/// (`by_expected_wait`: `[[w, p], ...]`, the `p` of the first step whose `w` (seconds) is at
/// least the expected wait; beyond the last step, its `p`). Give exactly one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Balking {
    /// the probability of leaving
    #[serde(default)]
    pub probability: Option<f64>,
    /// the probability of leaving by expected wait
    #[serde(default)]
    pub by_expected_wait: Option<Vec<(f64, f64)>>,
}

impl Balking {
    /// The probability that a caller who must wait, with `expected` seconds of expected
    /// wait (infinite when no agent is logged in), leaves at once.
    pub fn probability_at(&self, expected: f64) -> f64 {
        if let Some(p) = self.probability {
            return p;
        }
        let steps = self.by_expected_wait.as_deref().unwrap_or(&[]);
        steps
            .iter()
            .find(|(w, _)| *w >= expected)
            .or(steps.last())
            .map_or(0.0, |(_, p)| *p)
    }
}

/// The largest handle-time multiplier of `handle_by_level`.
pub const MAX_LEVEL_FACTOR: f64 = 1e3;

fn err<T>(msg: String) -> Result<T, SimError> {
    Err(SimError(msg))
}

fn probability(what: &str, v: f64) -> Result<(), SimError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        err(format!("{what} must be in [0, 1], got {v}"))
    }
}

/// The period lists of a call type: (key, list).
fn by_period(c: &CallType) -> [(&'static str, Option<&Vec<Dist>>); 3] {
    [
        ("handle_by_period", c.handle_by_period.as_ref()),
        ("patience_by_period", c.patience_by_period.as_ref()),
        ("wrapup_by_period", c.wrapup_by_period.as_ref()),
    ]
}

/// Check the lab additions of `model` (the rest is [`Model::validate`]'s).
pub(super) fn validate(model: &Model) -> Result<(), SimError> {
    if let Some(p) = &model.periods {
        if !(p.start.is_finite() && p.start.abs() <= MAX_TIME) {
            return err(format!(
                "periods.start must be finite and within ±{MAX_TIME:e} seconds, got {}",
                p.start
            ));
        }
        if !(p.length.is_finite() && p.length > 0.0 && p.length <= MAX_TIME) {
            return err(format!(
                "periods.length must be finite, > 0 and at most {MAX_TIME:e} seconds, got {}",
                p.length
            ));
        }
    }
    // every list by period has one value per main period: the same length everywhere
    let mut periods: Option<(usize, String)> = None;
    for (i, c) in model.calls.iter().enumerate() {
        let w = format!("calls[{i}]");
        if let Some(a) = &c.arrivals {
            validate_arrivals(&format!("{w}.arrivals"), a, None)?;
        }
        for (key, list) in by_period(c) {
            let Some(list) = list else { continue };
            let what = format!("{w}.{key}");
            if model.periods.is_none() {
                return err(format!(
                    "{what}: needs the model's periods ({{start: s, length: s}})"
                ));
            }
            if list.is_empty() {
                return err(format!("{what} must give one value per period, got none"));
            }
            match &periods {
                Some((n, first)) if *n != list.len() => {
                    return err(format!(
                        "{what} gives {} periods but {first} gives {n}: give one value per \
                         main period everywhere",
                        list.len()
                    ));
                }
                Some(_) => {}
                None => periods = Some((list.len(), what.clone())),
            }
            for (j, d) in list.iter().enumerate() {
                d.validate(&format!("{what}[{j}]"))?;
            }
        }
        if c.handle_by_period.is_none() && matches!(c.handle, Dist::Never) {
            return err(format!(
                "{w}.handle: missing (give handle, or handle_by_period with the model's periods)"
            ));
        }
        if c.wrapup_by_period.is_some() && c.skills.is_some() {
            return err(format!(
                "{w}.wrapup_by_period: only for queue-routed call types (a skills-routed call \
                 takes the wrap-up of its implicit queue, none)"
            ));
        }
        if let Some(pairs) = &c.handle_by_group {
            for (j, (name, d)) in pairs.iter().enumerate() {
                let what = format!("{w}.handle_by_group[{j}]");
                if !model.groups.iter().any(|g| &g.name == name) {
                    return err(format!("{what}: unknown group {name:?}"));
                }
                if pairs[..j].iter().any(|(n, _)| n == name) {
                    return err(format!("{what}: group {name:?} given twice"));
                }
                d.validate(&what)?;
                if matches!(d, Dist::Never) {
                    return err(format!("{what}: a handle time must end (not never)"));
                }
            }
        }
        if let Some(pairs) = &c.handle_by_level {
            for (j, &(level, factor)) in pairs.iter().enumerate() {
                let what = format!("{w}.handle_by_level[{j}]");
                if pairs[..j].iter().any(|(l, _)| *l == level) {
                    return err(format!("{what}: level {level} given twice"));
                }
                if !(factor.is_finite() && factor > 0.0 && factor <= MAX_LEVEL_FACTOR) {
                    return err(format!(
                        "{what}: the multiplier must be finite, > 0 and at most \
                         {MAX_LEVEL_FACTOR}, got {factor}"
                    ));
                }
            }
            if call_skill(model, c).is_none() {
                return err(format!(
                    "{w}.handle_by_level: the call type has no skill to read a level of (give \
                     it skills, or route it to a queue with skills)"
                ));
            }
        }
        if let Some(b) = &c.balking {
            let what = format!("{w}.balking");
            match (b.probability, &b.by_expected_wait) {
                (Some(p), None) => probability(&format!("{what}.probability"), p)?,
                (None, Some(steps)) => {
                    if steps.is_empty() {
                        return err(format!("{what}.by_expected_wait: give at least one step"));
                    }
                    for (j, &(wait, p)) in steps.iter().enumerate() {
                        let ws = format!("{what}.by_expected_wait[{j}]");
                        if !(0.0..=MAX_TIME).contains(&wait) {
                            return err(format!(
                                "{ws}: the expected wait must be finite and >= 0 seconds, got \
                                 {wait}"
                            ));
                        }
                        if j > 0 && wait <= steps[j - 1].0 {
                            return err(format!(
                                "{ws}: the expected waits must increase step by step"
                            ));
                        }
                        probability(&format!("{ws}: the probability"), p)?;
                    }
                }
                _ => {
                    return err(format!(
                        "{what}: give exactly one of probability and by_expected_wait"
                    ))
                }
            }
        }
    }
    Ok(())
}

/// The skill whose level `handle_by_level` reads: the first of the call type's skills, or of
/// its queue's.
pub(super) fn call_skill<'m>(model: &'m Model, c: &'m CallType) -> Option<&'m str> {
    if let Some(s) = &c.skills {
        return s.first().map(|(name, _)| name.as_str());
    }
    let q = c.queue.as_ref()?;
    let queue = model.queues.iter().find(|x| &x.name == q)?;
    queue.skills.first().map(|(name, _)| name.as_str())
}
