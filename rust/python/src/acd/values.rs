//! Frozen value classes of the routing engine: its decisions and its statistics.
//!
//! Every class is declared once with [`value_class!`], which gives it a constructor taking
//! every field (so values can be built in tests and pickled), read-only attributes,
//! `__repr__`, `__eq__`, `__hash__`, `__match_args__` and `__reduce__`.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use callroute_core::acd::{self as core, AgentState, Decision};

use super::data::{OfferData, NO_DATA};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// A field of a value class: converts to Python, from Python, and hashes like it compares.
pub trait Field: Sized {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
    fn from_py(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Self>;
    fn hash_into<H: Hasher>(&self, h: &mut H);
    /// The value as the constructor takes it (for `__reduce__` and `__repr__`).
    fn to_arg<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.to_py(py)
    }
    /// Whether `__repr__` shows it (an optional field may hide its empty default).
    fn shown(&self) -> bool {
        true
    }
}

#[cold]
fn wrong_type(obj: &Bound<'_, PyAny>, name: &str, want: &str) -> PyErr {
    let got = obj
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    PyTypeError::new_err(format!("{name} must be {want}, got {got}"))
}

impl Field for Arc<str> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyString::new(py, self).into_any())
    }
    fn from_py(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        let s = obj
            .cast::<PyString>()
            .map_err(|_| wrong_type(obj, name, "a str"))?;
        let text = s.to_str().map_err(|_| {
            PyValueError::new_err(format!(
                "{name} must be valid Unicode text (no lone surrogate)"
            ))
        })?;
        Ok(Arc::from(text))
    }
    fn hash_into<H: Hasher>(&self, h: &mut H) {
        self.hash(h);
    }
}

impl Field for f64 {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.into_pyobject(py)?.into_any())
    }
    fn from_py(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        obj.extract().map_err(|_| wrong_type(obj, name, "a float"))
    }
    fn hash_into<H: Hasher>(&self, h: &mut H) {
        // equal floats hash alike (0.0 == -0.0)
        let bits = if *self == 0.0 { 0 } else { self.to_bits() };
        bits.hash(h);
    }
}

macro_rules! plain_field {
    ($($ty:ty => $want:literal),*) => {$(
        impl Field for $ty {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(self.into_pyobject(py)?.to_owned().into_any())
            }
            fn from_py(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
                obj.extract().map_err(|_| wrong_type(obj, name, $want))
            }
            fn hash_into<H: Hasher>(&self, h: &mut H) {
                self.hash(h);
            }
        }
    )*};
}

plain_field!(bool => "a bool", u32 => "an int", i32 => "an int", u64 => "an int");

impl<T: Field> Field for Option<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(v) => v.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
    fn from_py(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        if obj.is_none() {
            Ok(None)
        } else {
            T::from_py(obj, name).map(Some)
        }
    }
    fn hash_into<H: Hasher>(&self, h: &mut H) {
        match self {
            Some(v) => {
                1u8.hash(h);
                v.hash_into(h);
            }
            None => 0u8.hash(h),
        }
    }
}

/// A mapping kept in order (attached data, time per not-ready reason); a fresh `dict` in
/// Python on every access, so the value stays immutable.
impl<V: Field> Field for Vec<(Arc<str>, V)> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let dict = PyDict::new(py);
        for (k, v) in self {
            dict.set_item(PyString::new(py, k), v.to_py(py)?)?;
        }
        Ok(dict.into_any())
    }
    fn from_py(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        let dict = obj
            .cast::<PyDict>()
            .map_err(|_| wrong_type(obj, name, "a dict"))?;
        dict.iter()
            .map(|(k, v)| Ok((Arc::<str>::from_py(&k, name)?, V::from_py(&v, name)?)))
            .collect()
    }
    fn hash_into<H: Hasher>(&self, h: &mut H) {
        self.len().hash(h);
        for (k, v) in self {
            k.hash(h);
            v.hash_into(h);
        }
    }
}

/// A value of a call's attached data: str, int, float or bool.
///
/// The core keeps attached data as text; the binding encodes the type in it so that a value
/// comes back to Python as it went in. A str is stored as itself (unless it begins with
/// [`TAG`], when it is escaped as `TAG s text`); other types as `TAG` and a letter: `b1`,
/// `b0`, `i<decimal>`, `f<shortest exponent form>`. Text without the tag (data from the
/// core's other users, or older snapshots) reads back as a str.
#[derive(Clone, Debug, PartialEq)]
pub enum DataValue {
    Str(Arc<str>),
    Bool(bool),
    Int(i64),
    Float(f64),
}

/// The first character of a non-str value's encoding (a NUL, which ids and text rarely
/// begin with).
const TAG: char = '\0';

impl DataValue {
    /// A Python value, or why it cannot be one (for the caller's error class).
    pub fn extract(obj: &Bound<'_, PyAny>) -> Result<Self, String> {
        if let Ok(b) = obj.cast::<PyBool>() {
            return Ok(Self::Bool(b.is_true()));
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return s
                .to_str()
                .map(|t| Self::Str(Arc::from(t)))
                .map_err(|_| "must be valid Unicode text: it holds a lone surrogate".to_owned());
        }
        if obj.is_instance_of::<PyInt>() {
            return obj.extract::<i64>().map(Self::Int).map_err(|_| {
                format!(
                    "is out of range: an int must fit 64 bits (from {} to {})",
                    i64::MIN,
                    i64::MAX
                )
            });
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            return Ok(Self::Float(f.value()));
        }
        let got = obj
            .get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |n| n.to_string());
        Err(format!("must be a str, int, float or bool, got {got}"))
    }

    /// The core's text for this value.
    pub fn encode(&self) -> String {
        match self {
            Self::Str(s) if s.starts_with(TAG) => format!("{TAG}s{s}"),
            Self::Str(s) => s.to_string(),
            Self::Bool(b) => format!("{TAG}b{}", u8::from(*b)),
            Self::Int(i) => format!("{TAG}i{i}"),
            Self::Float(f) => format!("{TAG}f{f:e}"),
        }
    }

    /// The value the core's text stands for.
    pub fn decode(raw: &Arc<str>) -> Self {
        let Some(rest) = raw.strip_prefix(TAG) else {
            return Self::Str(raw.clone());
        };
        let mut chars = rest.chars();
        let kind = chars.next();
        let body = chars.as_str();
        let parsed = match kind {
            Some('s') => Some(Self::Str(Arc::from(body))),
            Some('b') if body == "1" || body == "0" => Some(Self::Bool(body == "1")),
            Some('i') => body.parse().ok().map(Self::Int),
            Some('f') => body.parse().ok().map(Self::Float),
            _ => None,
        };
        parsed.unwrap_or_else(|| Self::Str(raw.clone()))
    }
}

impl Field for DataValue {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Self::Str(s) => s.to_py(py),
            Self::Bool(b) => b.to_py(py),
            Self::Int(i) => Ok(i.into_pyobject(py)?.into_any()),
            Self::Float(f) => f.to_py(py),
        }
    }
    fn from_py(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        Self::extract(obj).map_err(|why| PyTypeError::new_err(format!("{name} {why}")))
    }
    fn hash_into<H: Hasher>(&self, h: &mut H) {
        match self {
            Self::Str(s) => {
                0u8.hash(h);
                s.hash(h);
            }
            Self::Bool(b) => {
                1u8.hash(h);
                b.hash(h);
            }
            Self::Int(i) => {
                2u8.hash(h);
                i.hash(h);
            }
            Self::Float(f) => {
                3u8.hash(h);
                f.hash_into(h);
            }
        }
    }
}

/// Attached data as the core keeps it, decoded.
pub fn decode_data(data: &[(Arc<str>, Arc<str>)]) -> Vec<(Arc<str>, DataValue)> {
    data.iter()
        .map(|(k, v)| (k.clone(), DataValue::decode(v)))
        .collect()
}

/// Declare a frozen value class exported from `callroute`.
///
/// Fields after a `;` are optional in the constructor, with the one-token literal default
/// given (`field: ty = false`; `ty` converts from Python by itself, strictly): fields added
/// later, so that older code building the value keeps working.
macro_rules! value_class {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty ),+ $(,)?
            $( ; $( $(#[$ofmeta:meta])* $ofield:ident : $oty:ty = $odefault:tt ),+ $(,)? )?
        }
    ) => {
        $(#[$meta])*
        #[pyclass(frozen, module = "callroute")]
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )+
            $( $( $(#[$ofmeta])* pub $ofield: $oty, )+ )?
        }

        #[pymethods]
        impl $name {
            #[new]
            #[pyo3(signature = ($($field),+ $( $(, $ofield = $odefault)+ )?))]
            #[allow(clippy::too_many_arguments)] // one per field
            fn py_new(
                $($field: &Bound<'_, PyAny>),+
                $( $(, $ofield: $oty)+ )?
            ) -> PyResult<Self> {
                Ok(Self {
                    $( $field: <$ty as Field>::from_py($field, stringify!($field))?, )+
                    $( $( $ofield, )+ )?
                })
            }

            $(
                #[getter]
                #[allow(clippy::wrong_self_convention)] // `from_queue` is a field name
                fn $field<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    self.$field.to_py(py)
                }
            )+
            $( $(
                #[getter]
                fn $ofield<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    self.$ofield.to_py(py)
                }
            )+ )?

            #[classattr]
            fn __match_args__() -> Py<PyTuple> {
                Python::attach(|py| {
                    PyTuple::new(py, [$(stringify!($field)),+ $( $(, stringify!($ofield))+ )?])
                        .expect("a tuple of str")
                        .unbind()
                })
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let mut parts: Vec<String> = Vec::new();
                $(
                    parts.push(format!(
                        concat!(stringify!($field), "={}"),
                        self.$field.to_py(py)?.repr()?
                    ));
                )+
                $( $(
                    if self.$ofield.shown() {
                        parts.push(format!(
                            concat!(stringify!($ofield), "={}"),
                            self.$ofield.to_arg(py)?.repr()?
                        ));
                    }
                )+ )?
                Ok(format!(concat!(stringify!($name), "({})"), parts.join(", ")))
            }

            fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                let py = other.py();
                Ok(match other.cast::<Self>() {
                    Ok(o) => (self == o.get()).into_pyobject(py)?.to_owned().into_any().unbind(),
                    Err(_) => py.NotImplemented(),
                })
            }

            fn __hash__(&self) -> u64 {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                stringify!($name).hash(&mut h);
                $( self.$field.hash_into(&mut h); )+
                $( $( self.$ofield.hash_into(&mut h); )+ )?
                h.finish()
            }

            fn __reduce__<'py>(
                slf: &Bound<'py, Self>,
            ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
                let py = slf.py();
                let me = slf.get();
                let args = PyTuple::new(
                    py,
                    [$(me.$field.to_arg(py)?),+ $( $(, me.$ofield.to_arg(py)?)+ )?],
                )?;
                Ok((slf.get_type().into_any(), args))
            }
        }
    };
}

// ---------------------------------------------------------------- decisions

value_class! {
    /// Offer `call` to `agent` until `expires`; `callback` when the agent calls back;
    /// `auto_answer` when the agent answers by itself: the call is connected already, with
    /// nothing to accept (and `expires` is the time of the offer); `data`: the call's
    /// attached data, a read-only mapping for the agent's screen.
    Offer {
        call: Arc<str>, agent: Arc<str>, queue: Arc<str>, expires: f64, callback: bool;
        auto_answer: bool = false,
        data: OfferData = NO_DATA,
    }
}

value_class! {
    /// The call waits in `queue` at `position` (1 = next), `expected_wait` seconds from now.
    Queued { call: Arc<str>, queue: Arc<str>, position: u32, expected_wait: f64 }
}

value_class! {
    /// An offer was taken back: `reason` is no_answer, abandoned, transferred or logged_out.
    Revoked { call: Arc<str>, agent: Arc<str>, reason: Arc<str> }
}

value_class! {
    /// The call moved from one queue to another (overflow at max wait).
    Overflow { call: Arc<str>, from_queue: Arc<str>, to_queue: Arc<str> }
}

value_class! {
    /// The call leaves unanswered: `reason` is max_wait, closed or no_agents.
    Exit { call: Arc<str>, queue: Arc<str>, reason: Arc<str> }
}

value_class! {
    /// A relaxation step (1-based) applied to a waiting call.
    StepReached { call: Arc<str>, queue: Arc<str>, step: u32 }
}

value_class! {
    /// An agent's state changed; `reason` is set for not_ready.
    AgentStateChanged { agent: Arc<str>, state: Arc<str>, reason: Option<Arc<str>> }
}

/// The state's name and, when not ready, its reason.
pub fn state_parts(state: &AgentState) -> (Arc<str>, Option<Arc<str>>) {
    let reason = match state {
        AgentState::NotReady(r) => Some(r.clone()),
        _ => None,
    };
    (Arc::from(state.name()), reason)
}

/// One core decision as a Python object.
fn decision<'py>(py: Python<'py>, d: Decision) -> PyResult<Bound<'py, PyAny>> {
    Ok(match d {
        Decision::Offer {
            call,
            agent,
            queue,
            expires,
            callback,
            auto_answer,
            data,
        } => Bound::new(
            py,
            Offer {
                call,
                agent,
                queue,
                expires,
                callback,
                auto_answer,
                data: OfferData(decode_data(&data)),
            },
        )?
        .into_any(),
        Decision::Queued {
            call,
            queue,
            position,
            expected_wait,
        } => Bound::new(
            py,
            Queued {
                call,
                queue,
                position,
                expected_wait,
            },
        )?
        .into_any(),
        Decision::Revoked {
            call,
            agent,
            reason,
        } => Bound::new(
            py,
            Revoked {
                call,
                agent,
                reason: Arc::from(reason.name()),
            },
        )?
        .into_any(),
        Decision::Overflow {
            call,
            from_queue,
            to_queue,
        } => Bound::new(
            py,
            Overflow {
                call,
                from_queue,
                to_queue,
            },
        )?
        .into_any(),
        Decision::Exit {
            call,
            queue,
            reason,
        } => Bound::new(
            py,
            Exit {
                call,
                queue,
                reason: Arc::from(reason.name()),
            },
        )?
        .into_any(),
        Decision::Step { call, queue, step } => {
            Bound::new(py, StepReached { call, queue, step })?.into_any()
        }
        Decision::AgentState { agent, state } => {
            let (state, reason) = state_parts(&state);
            Bound::new(
                py,
                AgentStateChanged {
                    agent,
                    state,
                    reason,
                },
            )?
            .into_any()
        }
    })
}

/// Ids as a Python list of str, in their order.
pub fn id_list<'py>(py: Python<'py>, ids: &[Arc<str>]) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, ids.iter().map(|s| PyString::new(py, s)))
}

/// Decisions as a Python list, in the engine's order.
pub fn decision_list(py: Python<'_>, decisions: Vec<Decision>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for d in decisions {
        list.append(decision(py, d)?)?;
    }
    Ok(list)
}

// ---------------------------------------------------------------- statistics

value_class! {
    /// Live statistics of a queue; times in seconds.
    QueueStats {
        offered: u64,
        answered: u64,
        answered_within_sl: u64,
        abandoned: u64,
        short_abandoned: u64,
        exited: u64,
        moved_out: u64,
        completed: u64,
        wait_answered: f64,
        wait_abandoned: f64,
        talk: f64,
        wrapup: f64,
        asa: f64,
        aht: f64,
        service_level: f64,
        waiting: u64,
        offering: u64,
        longest_wait: f64,
        agents_logged_in: u64,
        agents_available: u64,
        expected_wait: f64,
    }
}

value_class! {
    /// A queue's counters over one statistics interval starting at `start` (seconds).
    IntervalStats {
        start: f64,
        offered: u64,
        answered: u64,
        answered_within_sl: u64,
        abandoned: u64,
        short_abandoned: u64,
        exited: u64,
        moved_out: u64,
        completed: u64,
        wait_answered: f64,
        wait_abandoned: f64,
        talk: f64,
        wrapup: f64,
        asa: f64,
        aht: f64,
        service_level: f64,
    }
}

value_class! {
    /// An agent's statistics; times in seconds, `not_ready` per reason.
    AgentStats {
        handled: u64,
        offered: u64,
        declined: u64,
        missed: u64,
        talk: f64,
        wrapup: f64,
        idle: f64,
        offered_time: f64,
        not_ready: Vec<(Arc<str>, f64)>,
        occupancy: f64,
    }
}

value_class! {
    /// Conservation totals: `arrived == completed + abandoned + exited + rejected + active`.
    Totals { arrived: u64, completed: u64, abandoned: u64, exited: u64, rejected: u64, active: u64 }
}

value_class! {
    /// Where a call is: state waiting, offered or connected.
    CallInfo {
        call: Arc<str>,
        queue: Arc<str>,
        state: Arc<str>,
        agent: Option<Arc<str>>,
        position: Option<u32>,
        expected_wait: Option<f64>,
        arrival: f64,
        priority: i32,
        step: u32,
        callback: bool,
        data: Vec<(Arc<str>, DataValue)>,
    }
}

value_class! {
    /// What a custom scorer sees of a call: `waited` seconds since it first arrived.
    CallView {
        id: Arc<str>,
        queue: Arc<str>,
        priority: i32,
        waited: f64,
        data: Vec<(Arc<str>, DataValue)>,
    }
}

fn us(total_us: i64) -> f64 {
    total_us as f64 * 1e-6
}

impl QueueStats {
    pub fn from_core(s: core::QueueStats) -> Self {
        let c = &s.counters;
        Self {
            offered: c.offered,
            answered: c.answered,
            answered_within_sl: c.answered_within_sl,
            abandoned: c.abandoned,
            short_abandoned: c.short_abandoned,
            exited: c.exited,
            moved_out: c.moved_out,
            completed: c.completed,
            wait_answered: us(c.wait_answered_us),
            wait_abandoned: us(c.wait_abandoned_us),
            talk: us(c.talk_us),
            wrapup: us(c.wrapup_us),
            asa: c.asa(),
            aht: c.aht(),
            service_level: c.service_level(),
            waiting: s.waiting,
            offering: s.offering,
            longest_wait: s.longest_wait,
            agents_logged_in: s.agents_logged_in,
            agents_available: s.agents_available,
            expected_wait: s.expected_wait,
        }
    }
}

impl IntervalStats {
    pub fn from_core(start: f64, c: &core::QueueCounters) -> Self {
        Self {
            start,
            offered: c.offered,
            answered: c.answered,
            answered_within_sl: c.answered_within_sl,
            abandoned: c.abandoned,
            short_abandoned: c.short_abandoned,
            exited: c.exited,
            moved_out: c.moved_out,
            completed: c.completed,
            wait_answered: us(c.wait_answered_us),
            wait_abandoned: us(c.wait_abandoned_us),
            talk: us(c.talk_us),
            wrapup: us(c.wrapup_us),
            asa: c.asa(),
            aht: c.aht(),
            service_level: c.service_level(),
        }
    }
}

impl AgentStats {
    pub fn from_core(s: core::AgentStats) -> Self {
        Self {
            handled: s.handled,
            offered: s.offered,
            declined: s.declined,
            missed: s.missed,
            talk: s.talk,
            wrapup: s.wrapup,
            idle: s.idle,
            offered_time: s.offered_time,
            not_ready: s
                .not_ready
                .into_iter()
                .map(|(r, t)| (Arc::from(r), t))
                .collect(),
            occupancy: s.occupancy,
        }
    }
}

impl Totals {
    pub fn from_core(t: core::Totals) -> Self {
        Self {
            arrived: t.arrived,
            completed: t.completed,
            abandoned: t.abandoned,
            exited: t.exited,
            rejected: t.rejected,
            active: t.active(),
        }
    }
}

impl CallInfo {
    pub fn from_core(call: &str, i: core::CallInfo) -> Self {
        Self {
            call: Arc::from(call),
            queue: i.queue,
            state: Arc::from(i.state),
            agent: i.agent,
            position: i.position,
            expected_wait: i.expected_wait,
            arrival: i.arrival,
            priority: i.priority,
            step: i.step,
            callback: i.callback,
            data: decode_data(&i.data),
        }
    }
}

impl CallView {
    pub fn from_core(v: &core::CallView<'_>) -> Self {
        Self {
            id: Arc::from(v.id),
            queue: Arc::from(v.queue),
            priority: v.priority,
            waited: v.waited,
            data: decode_data(v.data),
        }
    }
}
