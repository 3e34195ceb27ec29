//! The outbound dialer as `callroute._core.Dialer` (translation only).
//!
//! Campaign settings and contacts cross as plain Python values turned into the core's serde
//! types through JSON (so a bad field comes back with its path: `retry.busy.delay: ...`);
//! dials and preview offers come back as frozen value classes, views and statistics as
//! dicts. Every core error maps once, in `errors.rs`, onto the `Dialer*` classes.
//!
//! One frozen Python object around `Mutex<Dialer>`: any thread may call it; a panic inside
//! the core (a bug) leaves the dialer refusing further use instead of unwinding into Python.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;

use callroute_core::outbound::{
    blending_threshold as core_threshold, Blending, CampaignConfig, ContactSpec, Dial, Dialer,
    DialerError, FreeAgents, InboundLoad, Outcome, PreviewOffer,
};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyBool, PyBytes, PyDict, PyString};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::acd::args;
use crate::errors::{dialer_error, new_err, Class};

// ---------------------------------------------------------------- values

/// A decision to place a call: originate `number` for `contact` of `campaign` on `line`.
#[pyclass(frozen, eq, hash, module = "callroute._core", name = "Dial")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PyDial {
    #[pyo3(get)]
    line: u64,
    #[pyo3(get)]
    campaign: String,
    #[pyo3(get)]
    contact: String,
    #[pyo3(get)]
    number: String,
    #[pyo3(get)]
    caller_id: String,
    #[pyo3(get)]
    attempt: u32,
    #[pyo3(get)]
    agent: Option<String>,
}

#[pymethods]
impl PyDial {
    #[new]
    #[pyo3(signature = (line, campaign, contact, number, caller_id, attempt, agent=None))]
    fn new(
        line: u64,
        campaign: String,
        contact: String,
        number: String,
        caller_id: String,
        attempt: u32,
        agent: Option<String>,
    ) -> Self {
        Self {
            line,
            campaign,
            contact,
            number,
            caller_id,
            attempt,
            agent,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Dial(line={}, campaign={:?}, contact={:?}, number={:?}, attempt={})",
            self.line, self.campaign, self.contact, self.number, self.attempt
        )
    }
}

impl From<Dial> for PyDial {
    fn from(d: Dial) -> Self {
        Self {
            line: d.line_id,
            campaign: d.campaign.to_string(),
            contact: d.contact.to_string(),
            number: d.number.to_string(),
            caller_id: d.caller_id.to_string(),
            attempt: d.attempt,
            agent: d.agent.map(|a| a.to_string()),
        }
    }
}

/// A preview: show `contact` of `campaign` to an agent, who accepts (a `Dial`) or rejects.
#[pyclass(frozen, module = "callroute._core", name = "PreviewOffer")]
pub struct PyPreviewOffer {
    #[pyo3(get)]
    campaign: String,
    #[pyo3(get)]
    contact: String,
    #[pyo3(get)]
    number: String,
    #[pyo3(get)]
    priority: i32,
    #[pyo3(get)]
    data: BTreeMap<String, String>,
    #[pyo3(get)]
    attempts: u32,
}

#[pymethods]
impl PyPreviewOffer {
    fn __repr__(&self) -> String {
        format!(
            "PreviewOffer(campaign={:?}, contact={:?}, number={:?})",
            self.campaign, self.contact, self.number
        )
    }
}

impl From<PreviewOffer> for PyPreviewOffer {
    fn from(o: PreviewOffer) -> Self {
        Self {
            campaign: o.campaign.to_string(),
            contact: o.contact.to_string(),
            number: o.number.to_string(),
            priority: o.priority,
            data: o.data,
            attempts: o.attempts,
        }
    }
}

// ---------------------------------------------------------------- argument helpers

#[cold]
fn param(py: Python<'_>, msg: String) -> PyErr {
    new_err(py, Class::DialerParameter, msg)
}

/// A plain Python value (dicts, lists, str, numbers) as a core serde value, through JSON;
/// a field error names its path.
fn from_py<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let py = obj.py();
    let json = py.import("json")?;
    let text: String = json
        .call_method1("dumps", (obj,))
        .map_err(|e| param(py, format!("{what}: not plain data ({e})")))?
        .extract()?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = if path.is_empty() || path == "." {
            format!("{what}: {inner}")
        } else {
            format!("{what}: {path}: {inner}")
        };
        new_err(py, Class::DialerConfig, msg)
    })
}

/// A core serde value as plain Python data (dicts, lists, ...), through JSON.
fn to_py<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let text = serde_json::to_string(value)
        .map_err(|e| new_err(py, Class::Dialer, format!("cannot encode: {e}")))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// A time in seconds (range and order: the core's), else a `DialerTimeError`.
fn time(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<f64> {
    args::time_or(obj, name, Class::DialerTime)
}

/// An id: a `str`, else a `DialerParameterError` naming the argument.
fn text(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    args::text_or(obj, name, Class::DialerParameter).map(str::to_owned)
}

/// An integer in `0..=max` (a line id, a zone, a threshold), else a `DialerParameterError`.
fn index(obj: &Bound<'_, PyAny>, name: &str, max: i64) -> PyResult<i64> {
    args::int_or(obj, name, 0, max, Class::DialerParameter)
}

/// A line id: an int >= 0.
fn line_id(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    index(obj, "line", i64::MAX).map(|v| v as u64)
}

/// Spans: a sequence of `(start, end)` pairs of reals.
fn spans_of(obj: &Bound<'_, PyAny>) -> PyResult<Vec<(f64, f64)>> {
    let py = obj.py();
    let bad = || {
        param(
            py,
            "spans must be a sequence of (start, end) pairs of seconds".into(),
        )
    };
    if obj.is_instance_of::<PyString>() {
        return Err(bad());
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| bad())? {
        let pair: Vec<f64> = item?.extract().map_err(|_| bad())?;
        if pair.len() != 2 {
            return Err(bad());
        }
        out.push((pair[0], pair[1]));
    }
    Ok(out)
}

/// Numbers: a sequence of `str` (a lone `str` is refused: it would be its characters).
fn numbers_of(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    let py = obj.py();
    let bad = || param(py, "numbers must be a sequence of str".into());
    if obj.is_instance_of::<PyString>() {
        return Err(bad());
    }
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|_| bad())? {
        out.push(text(&item?, "numbers[]")?);
    }
    Ok(out)
}

fn free_agents(obj: &Bound<'_, PyAny>, campaign: &str) -> PyResult<FreeAgents> {
    let py = obj.py();
    let bad = || {
        param(
            py,
            format!(
                "free[{campaign:?}] must be an int >= 0 or a tuple (free, freeing >= 0), \
                 (free, freeing, inbound >= 0) or (free, freeing, inbound, kept >= 0)"
            ),
        )
    };
    if obj.is_instance_of::<PyBool>() {
        return Err(bad());
    }
    if let Ok(n) = obj.extract::<u32>() {
        return Ok(FreeAgents::now(n));
    }
    // a tuple, or a list (as a journal gives it back)
    let items: Vec<Bound<'_, PyAny>> = obj.extract().map_err(|_| bad())?;
    if !(2..=4).contains(&items.len()) || items.iter().any(|x| x.is_instance_of::<PyBool>()) {
        return Err(bad());
    }
    let free: u32 = items[0].extract().map_err(|_| bad())?;
    let real = |i: usize| -> PyResult<f64> {
        match items.get(i) {
            None => Ok(0.0),
            Some(x) => {
                let v = args::real(x).ok_or_else(bad)?;
                if v.is_finite() && v >= 0.0 {
                    Ok(v)
                } else {
                    Err(bad())
                }
            }
        }
    };
    let (freeing, inbound) = (real(1)?, real(2)?);
    let kept: u32 = match items.get(3) {
        None => 0,
        Some(x) => x.extract().map_err(|_| bad())?,
    };
    Ok(FreeAgents {
        free,
        freeing,
        inbound,
        kept,
    })
}

fn outcome(py: Python<'_>, name: &str, at: Option<f64>) -> PyResult<Outcome> {
    let o = match (name, at) {
        ("person", None) => Outcome::Person,
        ("machine", None) => Outcome::Machine,
        ("no_answer", None) => Outcome::NoAnswer,
        ("busy", None) => Outcome::Busy,
        ("failed", None) => Outcome::Failed,
        ("callback_requested", Some(at)) => Outcome::CallbackRequested { at },
        ("callback_requested", None) => {
            return Err(param(py, "outcome callback_requested needs at=".into()))
        }
        (other, Some(_)) if other != "callback_requested" => {
            return Err(param(py, format!("outcome {other:?} takes no at=")))
        }
        (other, _) => {
            return Err(param(
                py,
                format!(
                    "unknown outcome {other:?} (expected one of: person, machine, no_answer, \
                     busy, failed, callback_requested)"
                ),
            ))
        }
    };
    Ok(o)
}

// ---------------------------------------------------------------- the dialer

struct State {
    dialer: Dialer,
    broken: bool,
}

/// The outbound dialer: campaigns, contacts, lines and pacing, explicit time.
#[pyclass(frozen, module = "callroute._core", name = "Dialer")]
pub struct PyDialer {
    state: Mutex<State>,
}

impl PyDialer {
    fn wrap(dialer: Dialer) -> Self {
        Self {
            state: Mutex::new(State {
                dialer,
                broken: false,
            }),
        }
    }

    /// Run `f` on the dialer under its lock; a core error maps to its class, a panic
    /// marks the dialer broken.
    fn with<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Dialer) -> Result<T, DialerError>,
    ) -> PyResult<T> {
        let mut guard = self
            .state
            .lock_py_attached(py)
            .map_err(|_| new_err(py, Class::Dialer, "dialer unusable after a panic".into()))?;
        if guard.broken {
            return Err(new_err(
                py,
                Class::Dialer,
                "dialer unusable after an internal error (a bug: please report it)".into(),
            ));
        }
        let dialer = &mut guard.dialer;
        match std::panic::catch_unwind(AssertUnwindSafe(|| f(dialer))) {
            Ok(r) => r.map_err(|e| dialer_error(py, e)),
            Err(_) => {
                guard.broken = true;
                Err(new_err(
                    py,
                    Class::Dialer,
                    "internal error in the dialer (a bug: please report it)".into(),
                ))
            }
        }
    }

    /// [`with`](Self::with) at time `now` (a `DialerTimeError` unless a real number).
    fn at<T>(
        &self,
        py: Python<'_>,
        now: &Bound<'_, PyAny>,
        f: impl FnOnce(&mut Dialer, f64) -> Result<T, DialerError>,
    ) -> PyResult<T> {
        let now = time(now, "now")?;
        self.with(py, |d| f(d, now))
    }
}

#[pymethods]
impl PyDialer {
    /// An empty dialer.
    #[new]
    fn new() -> Self {
        Self::wrap(Dialer::new())
    }

    /// Add a campaign (stopped): `config` is a mapping of the core's campaign settings.
    fn add_campaign(
        &self,
        py: Python<'_>,
        config: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let config: CampaignConfig = from_py(config, "campaign")?;
        self.at(py, now, |d, now| d.add_campaign(config, now))
    }

    /// Add contacts (mappings: id, numbers, priority, data, zone) to `campaign`.
    fn add_contacts(
        &self,
        py: Python<'_>,
        campaign: &Bound<'_, PyAny>,
        contacts: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let campaign = &text(campaign, "campaign")?;
        let contacts: Vec<ContactSpec> = from_py(contacts, "contacts")?;
        self.at(py, now, |d, now| d.add_contacts(campaign, contacts, now))
    }

    /// Replace the spans `[(start, end), ...]` of `zone` of `campaign` (or add the next).
    fn set_zone_windows(
        &self,
        py: Python<'_>,
        campaign: &Bound<'_, PyAny>,
        zone: &Bound<'_, PyAny>,
        spans: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let campaign = &text(campaign, "campaign")?;
        let spans = spans_of(spans)?;
        let zone = index(zone, "zone", u32::MAX.into())? as u32;
        self.at(py, now, |d, now| {
            d.set_zone_windows(campaign, zone, &spans, now)
        })
    }

    /// Replace a do-not-call list: the dialer's own (`campaign` None) or a campaign's.
    #[pyo3(signature = (numbers, now, campaign=None))]
    fn set_dnc(
        &self,
        py: Python<'_>,
        numbers: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        campaign: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let campaign = campaign.map(|c| text(c, "campaign")).transpose()?;
        let numbers = numbers_of(numbers)?;
        self.at(py, now, |d, now| {
            d.set_dnc(campaign.as_deref(), &numbers, now)
        })
    }

    /// Let `pace` dial for the campaign.
    fn start_campaign(
        &self,
        py: Python<'_>,
        campaign: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let campaign = &text(campaign, "campaign")?;
        self.at(py, now, |d, now| d.start_campaign(campaign, now))
    }

    /// Stop dialing for the campaign (lines already out go on).
    fn stop_campaign(
        &self,
        py: Python<'_>,
        campaign: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let campaign = &text(campaign, "campaign")?;
        self.at(py, now, |d, now| d.stop_campaign(campaign, now))
    }

    /// The lines to dial and the previews to show: `free` maps campaign ids to the agents
    /// free for each (an int, or `(free, freeing)`, `(free, freeing, inbound)` or
    /// `(free, freeing, inbound, kept)`: the inbound calls expected to reach the campaign's
    /// agents within a ring time, and the idle agents the threshold keeps, who take them
    /// first); returns `(dials, offers)`.
    fn pace(
        &self,
        py: Python<'_>,
        now: &Bound<'_, PyAny>,
        free: &Bound<'_, PyDict>,
    ) -> PyResult<(Vec<PyDial>, Vec<PyPreviewOffer>)> {
        let now = time(now, "now")?;
        let mut agents: Vec<(String, FreeAgents)> = Vec::with_capacity(free.len());
        for (k, v) in free.iter() {
            let key: String = k
                .extract()
                .map_err(|_| param(py, "free: campaign ids must be str".into()))?;
            let value = free_agents(&v, &key)?;
            agents.push((key, value));
        }
        let pacing = self.with(py, |d| d.pace(now, &agents))?;
        Ok((
            pacing.dials.into_iter().map(PyDial::from).collect(),
            pacing
                .offers
                .into_iter()
                .map(PyPreviewOffer::from)
                .collect(),
        ))
    }

    /// The agent accepted a preview: the `Dial` to place (None: every number went on a
    /// do-not-call list).
    #[pyo3(signature = (campaign, contact, now, agent=None))]
    fn preview_accepted(
        &self,
        py: Python<'_>,
        campaign: &Bound<'_, PyAny>,
        contact: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        agent: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<PyDial>> {
        let campaign = &text(campaign, "campaign")?;
        let contact = &text(contact, "contact")?;
        let agent = agent.map(|a| text(a, "agent")).transpose()?;
        let dial = self.at(py, now, |d, now| {
            d.preview_accepted(campaign, contact, agent.as_deref(), now)
        })?;
        Ok(dial.map(PyDial::from))
    }

    /// The agent rejected a preview: the contact is pending again.
    fn preview_rejected(
        &self,
        py: Python<'_>,
        campaign: &Bound<'_, PyAny>,
        contact: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let campaign = &text(campaign, "campaign")?;
        let contact = &text(contact, "contact")?;
        self.at(py, now, |d, now| d.preview_rejected(campaign, contact, now))
    }

    /// How `line` ended (`person` keeps it open): `person`, `machine`, `no_answer`, `busy`,
    /// `failed`, or `callback_requested` with `at`.
    #[pyo3(signature = (line, outcome, now, at=None))]
    fn outcome(
        &self,
        py: Python<'_>,
        line: &Bound<'_, PyAny>,
        outcome: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
        at: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let outcome = &text(outcome, "outcome")?;
        let line = line_id(line)?;
        let now = time(now, "now")?;
        let at = at.map(|a| time(a, "at")).transpose()?;
        let o = self::outcome(py, outcome, at)?;
        self.with(py, |d| d.outcome(line, o, now))
    }

    /// The person who answered `line` was joined to an agent.
    fn agent_connected(
        &self,
        py: Python<'_>,
        line: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let line = line_id(line)?;
        self.at(py, now, |d, now| d.agent_connected(line, now))
    }

    /// No agent came in time for the person who answered `line` (abandoned).
    fn connect_timeout(
        &self,
        py: Python<'_>,
        line: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let line = line_id(line)?;
        self.at(py, now, |d, now| d.connect_timeout(line, now))
    }

    /// The next time a waiting contact becomes eligible or a zone opens (None: never).
    fn next_deadline(&self, py: Python<'_>) -> PyResult<Option<f64>> {
        self.with(py, |d| Ok(d.next_deadline()))
    }

    /// Move contacts due at `now` to the ready queues.
    fn advance(&self, py: Python<'_>, now: &Bound<'_, PyAny>) -> PyResult<()> {
        self.at(py, now, |d, now| d.advance(now).map(|_| ()))
    }

    /// The last time seen (None before any input).
    #[getter]
    fn now(&self, py: Python<'_>) -> PyResult<Option<f64>> {
        self.with(py, |d| Ok(d.now()))
    }

    /// The campaign's counters and rolling abandonment rate (a dict).
    fn stats<'py>(
        &self,
        py: Python<'py>,
        campaign: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let campaign = &text(campaign, "campaign")?;
        let stats = self.with(py, |d| d.campaign_stats(campaign))?;
        to_py(py, &stats)
    }

    /// One contact's state (a dict: id, numbers, priority, zone, data, attempts,
    /// next_eligible, status, last_outcome).
    fn contact<'py>(
        &self,
        py: Python<'py>,
        campaign: &Bound<'_, PyAny>,
        contact: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let campaign = &text(campaign, "campaign")?;
        let contact = &text(contact, "contact")?;
        let view = self.with(py, |d| d.contact(campaign, contact))?;
        to_py(py, &view)
    }

    /// Every contact of the campaign, in the order added (dicts, as `contact`).
    fn contacts<'py>(
        &self,
        py: Python<'py>,
        campaign: &Bound<'_, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let campaign = &text(campaign, "campaign")?;
        let views = self.with(py, |d| d.contacts(campaign))?;
        to_py(py, &views)
    }

    /// The open lines (dicts: line_id, campaign, contact, number, dialled_at, answered_at).
    fn lines<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let views = self.with(py, |d| {
            d.open_lines()
                .into_iter()
                .map(|l| d.line(l))
                .collect::<Result<Vec<_>, _>>()
        })?;
        to_py(py, &views)
    }

    /// The campaign ids, in the order added.
    fn campaigns(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.with(py, |d| {
            Ok(d.campaign_ids().iter().map(|c| c.to_string()).collect())
        })
    }

    /// The whole state as bytes (`Dialer.restore` continues from them).
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.with(py, |d| Ok(d.snapshot()))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A dialer continuing from `snapshot()` bytes.
    #[staticmethod]
    fn restore(py: Python<'_>, blob: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bad = |m: &str| new_err(py, Class::DialerSnapshot, m.to_owned());
        if blob.is_instance_of::<PyString>() {
            return Err(bad("a snapshot is bytes, not str"));
        }
        let bytes: Vec<u8> = blob
            .extract()
            .map_err(|_| bad("a snapshot is bytes (or a bytes-like object)"))?;
        match std::panic::catch_unwind(|| Dialer::restore(&bytes)) {
            Ok(Ok(d)) => Ok(Self::wrap(d)),
            Ok(Err(e)) => Err(dialer_error(py, e)),
            Err(_) => Err(bad("corrupt dialer snapshot")),
        }
    }
}

/// Idle agents of a blended group of `agents` to keep for inbound: `blending` an int k
/// (fixed: `min(k, agents)`) or `"auto"` (the smallest meeting `target` of inbound calls
/// answered within `answer_within` s, for `traffic` Erlangs of mean handle time `aht`).
#[pyfunction]
#[pyo3(signature = (blending, agents, *, traffic=None, aht=None, answer_within=None, target=None))]
pub fn blending_threshold(
    py: Python<'_>,
    blending: &Bound<'_, PyAny>,
    agents: u32,
    traffic: Option<f64>,
    aht: Option<f64>,
    answer_within: Option<f64>,
    target: Option<f64>,
) -> PyResult<u32> {
    let mode = if let Ok(s) = blending.cast::<PyString>() {
        if s.to_str()? != "auto" {
            return Err(param(py, "blending must be an int >= 0 or \"auto\"".into()));
        }
        Blending::Auto
    } else {
        Blending::Fixed(index(blending, "blending (or \"auto\")", u32::MAX.into())? as u32)
    };
    let load = match (traffic, aht, answer_within, target) {
        (Some(traffic), Some(aht), Some(answer_within), Some(target)) => Some(InboundLoad {
            traffic,
            aht,
            answer_within,
            target,
        }),
        (None, None, None, None) => None,
        _ => {
            return Err(param(
                py,
                "give all of traffic, aht, answer_within and target, or none".into(),
            ))
        }
    };
    core_threshold(mode, agents, load.as_ref()).map_err(|e| dialer_error(py, e))
}
