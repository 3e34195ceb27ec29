//! The one place where core errors become Python exceptions.
//!
//! The exception classes live in `callroute/errors.py` (they need multiple inheritance:
//! `ParameterError(CallrouteError, ValueError)`); they are looked up once and cached.
//! Erlang errors map through [`to_py`], routing-engine errors through [`engine_error`].

use callroute_core::acd::EngineError;
use callroute_core::erlang::ErlangError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static PARAMETER_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INFEASIBLE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn raise(py: Python<'_>, cell: &PyOnceLock<Py<PyType>>, name: &str, msg: String) -> PyErr {
    match cell.import(py, "callroute.errors", name) {
        Ok(ty) => PyErr::from_type(ty.clone(), msg),
        Err(e) => e,
    }
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
    match err {
        ErlangError::InvalidParameter { .. } | ErlangError::Usage(_) => raise(
            py,
            &PARAMETER_ERROR,
            "ParameterError",
            format!("{err}{place}"),
        ),
        ErlangError::Unreachable(_) => raise(
            py,
            &INFEASIBLE_ERROR,
            "InfeasibleError",
            format!("{err}{place}"),
        ),
    }
}

/// `PyResult` for scalar calls.
pub fn scalar<T>(py: Python<'_>, r: Result<T, ErlangError>) -> PyResult<T> {
    r.map_err(|e| to_py(py, e, None))
}

// ---------------------------------------------------------------- the routing engine

static CONFIG_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIME_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UNKNOWN_ID_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DUPLICATE_ID_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INVALID_EVENT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SNAPSHOT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INVARIANT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static ENGINE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Map an engine error onto the Python hierarchy (`callroute.errors`), message prefixed.
#[cold]
pub fn engine_error(py: Python<'_>, err: EngineError, prefix: &str) -> PyErr {
    let msg = format!("{prefix}{err}");
    let (cell, name) = match err {
        EngineError::BadTime(_) => (&TIME_ERROR, "TimeError"),
        EngineError::Unknown { .. } => (&UNKNOWN_ID_ERROR, "UnknownIdError"),
        EngineError::Duplicate { .. } => (&DUPLICATE_ID_ERROR, "DuplicateIdError"),
        EngineError::WrongState(_) => (&INVALID_EVENT_ERROR, "InvalidEventError"),
        EngineError::InvalidConfig(_) => (&CONFIG_ERROR, "ConfigError"),
        EngineError::Snapshot(_) => (&SNAPSHOT_ERROR, "SnapshotError"),
        // a variant added to the core and not yet given its own class: the base class
        _ => (&ENGINE_ERROR, "EngineError"),
    };
    raise(py, cell, name, msg)
}

/// A Python-side argument of the wrong type or out of range (`ConfigError`).
#[cold]
pub fn config_error(py: Python<'_>, msg: String) -> PyErr {
    raise(py, &CONFIG_ERROR, "ConfigError", msg)
}

/// A time argument that is not a real number (`TimeError`).
#[cold]
pub fn time_error(py: Python<'_>, msg: String) -> PyErr {
    raise(py, &TIME_ERROR, "TimeError", msg)
}

/// A broken engine invariant, or an engine left unusable by an earlier panic.
#[cold]
pub fn invariant_error(py: Python<'_>, msg: String) -> PyErr {
    raise(py, &INVARIANT_ERROR, "EngineInvariantError", msg)
}

/// A call that does not fit the engine's current use (`InvalidEventError`).
#[cold]
pub fn invalid_event_error(py: Python<'_>, msg: String) -> PyErr {
    raise(py, &INVALID_EVENT_ERROR, "InvalidEventError", msg)
}
