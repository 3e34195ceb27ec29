//! The one place where core errors become Python exceptions.
//!
//! The exception classes live in `callroute/errors.py` (they need multiple inheritance:
//! `ParameterError(CallrouteError, ValueError)`). Every lookup goes through [`class`], which
//! imports each class once and caches it: one table, [`Class`], names them all. Erlang errors
//! map through [`to_py`], routing-engine errors through [`engine_error`], simulator errors
//! are [`Class::Model`].
//!
//! Classes say what went wrong (`TimeError`, `UnknownIdError`, ...). What the routing engine
//! raises is also marked as the engine's: it raises the combined classes `Engine*Error`
//! (`EngineTimeError(TimeError, EngineError)`, ...), so `except EngineError` catches
//! everything the engine raised, and only that.

use callroute_core::acd::EngineError;
use callroute_core::erlang::ErlangError;
use callroute_core::outbound::DialerError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// The exception classes of `callroute.errors` the binding raises or tests against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// the root, `CallrouteError` (tested against, never raised)
    Callroute,
    /// `ParameterError`: an Erlang argument outside its domain
    Parameter,
    /// `InfeasibleError`: no staffing in reach meets the target
    Infeasible,
    /// `ModelError`: a simulation model that cannot run (a kind of `ConfigError`)
    Model,
    /// `ReentrancyError` (tested against: a scorer's error to propagate)
    Reentrancy,
    /// `EngineError`: the marker of what the engine raised (a core variant without a class)
    Engine,
    /// `EngineParameterError(ParameterError, EngineError)`: a bad event argument
    EngineParameter,
    /// `EngineConfigError(ConfigError, EngineError)`: a bad queue or agent setting
    EngineConfig,
    /// `EngineTimeError(TimeError, EngineError)`
    EngineTime,
    /// `EngineUnknownIdError(UnknownIdError, EngineError)`
    EngineUnknownId,
    /// `EngineDuplicateIdError(DuplicateIdError, EngineError)`
    EngineDuplicateId,
    /// `EngineInvalidEventError(InvalidEventError, EngineError)`
    EngineInvalidEvent,
    /// `EngineReentrancyError(ReentrancyError, EngineInvalidEventError)`
    EngineReentrancy,
    /// `EngineSnapshotError(SnapshotError, EngineError)`
    EngineSnapshot,
    /// `EngineInvariantError(EngineError, AssertionError)`
    EngineInvariant,
    /// `DialerError`: the marker of what the dialer raised (a core variant without a class)
    Dialer,
    /// `DialerParameterError(ParameterError, DialerError)`: an argument of the wrong type
    DialerParameter,
    /// `DialerConfigError(ConfigError, DialerError)`
    DialerConfig,
    /// `DialerTimeError(TimeError, DialerError)`
    DialerTime,
    /// `DialerUnknownIdError(UnknownIdError, DialerError)`
    DialerUnknownId,
    /// `DialerDuplicateIdError(DuplicateIdError, DialerError)`
    DialerDuplicateId,
    /// `DialerInvalidEventError(InvalidEventError, DialerError)`
    DialerInvalidEvent,
    /// `DialerSnapshotError(SnapshotError, DialerError)`
    DialerSnapshot,
}

const CLASSES: usize = 23;

impl Class {
    /// The class's name in `callroute.errors`.
    const fn name(self) -> &'static str {
        match self {
            Class::Callroute => "CallrouteError",
            Class::Parameter => "ParameterError",
            Class::Infeasible => "InfeasibleError",
            Class::Model => "ModelError",
            Class::Reentrancy => "ReentrancyError",
            Class::Engine => "EngineError",
            Class::EngineParameter => "EngineParameterError",
            Class::EngineConfig => "EngineConfigError",
            Class::EngineTime => "EngineTimeError",
            Class::EngineUnknownId => "EngineUnknownIdError",
            Class::EngineDuplicateId => "EngineDuplicateIdError",
            Class::EngineInvalidEvent => "EngineInvalidEventError",
            Class::EngineReentrancy => "EngineReentrancyError",
            Class::EngineSnapshot => "EngineSnapshotError",
            Class::EngineInvariant => "EngineInvariantError",
            Class::Dialer => "DialerError",
            Class::DialerParameter => "DialerParameterError",
            Class::DialerConfig => "DialerConfigError",
            Class::DialerTime => "DialerTimeError",
            Class::DialerUnknownId => "DialerUnknownIdError",
            Class::DialerDuplicateId => "DialerDuplicateIdError",
            Class::DialerInvalidEvent => "DialerInvalidEventError",
            Class::DialerSnapshot => "DialerSnapshotError",
        }
    }
}

static CACHE: [PyOnceLock<Py<PyType>>; CLASSES] = [const { PyOnceLock::new() }; CLASSES];

/// The Python class, imported on first use.
pub fn class(py: Python<'_>, c: Class) -> PyResult<&Bound<'_, PyType>> {
    CACHE[c as usize].import(py, "callroute.errors", c.name())
}

/// A new exception of class `c` (or the import's failure, should `callroute.errors` break).
#[cold]
pub fn new_err(py: Python<'_>, c: Class, msg: String) -> PyErr {
    match class(py, c) {
        Ok(ty) => PyErr::from_type(ty.clone(), msg),
        Err(e) => e,
    }
}

/// Whether `err` is an instance of class `c`.
pub fn is(py: Python<'_>, err: &PyErr, c: Class) -> bool {
    class(py, c).is_ok_and(|ty| err.value(py).is_instance(ty).unwrap_or(false))
}

/// Where in a (broadcast) array input the error happened.
pub struct At<'a> {
    pub flat: usize,
    pub shape: &'a [usize],
}

impl At<'_> {
    fn describe(&self) -> String {
        if self.shape.is_empty() {
            return String::new();
        }
        let mut rest = self.flat;
        let mut index = vec![0usize; self.shape.len()];
        for (slot, &dim) in index.iter_mut().zip(self.shape).rev() {
            if dim > 0 {
                *slot = rest % dim;
                rest /= dim;
            }
        }
        let parts: Vec<String> = index.iter().map(usize::to_string).collect();
        let trailing = if parts.len() == 1 { "," } else { "" };
        format!(" (at index ({}{trailing}))", parts.join(", "))
    }
}

/// Map a core error onto the Python hierarchy, naming the array index when there is one.
#[cold]
pub fn to_py(py: Python<'_>, err: ErlangError, at: Option<At<'_>>) -> PyErr {
    let place = at.map(|a| a.describe()).unwrap_or_default();
    let c = match err {
        ErlangError::InvalidParameter { .. } | ErlangError::Usage(_) => Class::Parameter,
        ErlangError::Unreachable(_) => Class::Infeasible,
    };
    new_err(py, c, format!("{err}{place}"))
}

/// `PyResult` for scalar calls.
pub fn scalar<T>(py: Python<'_>, r: Result<T, ErlangError>) -> PyResult<T> {
    r.map_err(|e| to_py(py, e, None))
}

// ---------------------------------------------------------------- the routing engine

/// Map an engine error onto the Python hierarchy (`callroute.errors`), message prefixed.
#[cold]
pub fn engine_error(py: Python<'_>, err: EngineError, prefix: &str) -> PyErr {
    let msg = format!("{prefix}{err}");
    let c = match err {
        EngineError::BadTime(_) => Class::EngineTime,
        EngineError::Unknown { .. } => Class::EngineUnknownId,
        EngineError::Duplicate { .. } => Class::EngineDuplicateId,
        EngineError::WrongState(_) => Class::EngineInvalidEvent,
        EngineError::InvalidConfig(_) => Class::EngineConfig,
        EngineError::Snapshot(_) => Class::EngineSnapshot,
        // a variant added to the core and not yet given its own class: the base class
        _ => Class::Engine,
    };
    new_err(py, c, msg)
}

/// A queue or agent setting of the wrong type or out of range (`EngineConfigError`).
#[cold]
pub fn config_error(py: Python<'_>, msg: String) -> PyErr {
    new_err(py, Class::EngineConfig, msg)
}

/// A broken engine invariant, or an engine left unusable by an earlier panic.
#[cold]
pub fn invariant_error(py: Python<'_>, msg: String) -> PyErr {
    new_err(py, Class::EngineInvariant, msg)
}

/// A call into an engine from inside a scorer that would wait forever
/// (`EngineReentrancyError`).
#[cold]
pub fn reentrancy_error(py: Python<'_>, msg: String) -> PyErr {
    new_err(py, Class::EngineReentrancy, msg)
}

/// A simulation model that cannot run (`ModelError`).
#[cold]
pub fn model_error(py: Python<'_>, msg: String) -> PyErr {
    new_err(py, Class::Model, msg)
}

// ---------------------------------------------------------------- the outbound dialer

/// Map a dialer error onto the Python hierarchy (`callroute.errors`).
#[cold]
pub fn dialer_error(py: Python<'_>, err: DialerError) -> PyErr {
    let c = match err {
        DialerError::BadTime(_) => Class::DialerTime,
        DialerError::Unknown { .. } | DialerError::LineNotDialled(_) => Class::DialerUnknownId,
        DialerError::Duplicate { .. } => Class::DialerDuplicateId,
        DialerError::LineClosed(_) | DialerError::WrongState(_) => Class::DialerInvalidEvent,
        DialerError::InvalidConfig(_) => Class::DialerConfig,
        DialerError::Snapshot(_) => Class::DialerSnapshot,
        // a variant added to the core and not yet given its own class: the base class
        _ => Class::Dialer,
    };
    new_err(py, c, err.to_string())
}
