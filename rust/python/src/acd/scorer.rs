//! A Python function as the engine's custom scorer.
//!
//! The engine calls the scorer while its lock is held (the interpreter is attached then).
//! A scorer that raises or answers junk makes the engine fall back to its first candidate;
//! the failure is kept here and reported as a `RuntimeWarning` once the call is over.

use std::cell::Cell;
use std::sync::{Arc, Mutex};

use callroute_core::acd::{CallView, Scorer};
use pyo3::exceptions::{PyRuntimeWarning, PyValueError};
use pyo3::prelude::*;

use super::values;

thread_local! {
    /// The engine whose scorer this thread is running (0: none): a scorer that calls its
    /// own engine gets an error instead of waiting forever for a lock its thread holds.
    static SCORING: Cell<usize> = const { Cell::new(0) };
}

/// Whether this thread is inside the scorer of engine `id`.
pub fn scoring(id: usize) -> bool {
    SCORING.with(|s| s.get() == id)
}

/// Failures since the last report: the first error and how many there were.
#[derive(Default)]
pub struct Failures {
    first: Option<PyErr>,
    count: u32,
}

pub type FailureLog = Arc<Mutex<Failures>>;

pub struct PyScorer {
    pub func: Py<PyAny>,
    pub engine: usize,
    pub log: FailureLog,
}

impl PyScorer {
    fn call(&self, py: Python<'_>, call: &CallView<'_>, agents: &[Arc<str>]) -> PyResult<Vec<f64>> {
        let view = Bound::new(py, values::CallView::from_core(call))?;
        let ids = values::id_list(py, agents)?;
        let previous = SCORING.with(|s| s.replace(self.engine));
        let answer = self.func.bind(py).call1((view, ids));
        SCORING.with(|s| s.set(previous));
        let scores: Vec<f64> = answer?.extract().map_err(|e| {
            let err = PyValueError::new_err("the scorer must return a sequence of floats");
            err.set_cause(py, Some(e));
            err
        })?;
        if scores.len() != agents.len() {
            return Err(PyValueError::new_err(format!(
                "the scorer returned {} scores for {} agents",
                scores.len(),
                agents.len()
            )));
        }
        if scores.iter().any(|s| s.is_nan()) {
            return Err(PyValueError::new_err("the scorer returned a NaN score"));
        }
        Ok(scores)
    }
}

impl Scorer for PyScorer {
    fn score(&mut self, call: &CallView<'_>, agents: &[Arc<str>]) -> Vec<f64> {
        Python::attach(|py| match self.call(py, call, agents) {
            Ok(scores) => scores,
            Err(e) => {
                if let Ok(mut log) = self.log.lock() {
                    log.count += 1;
                    log.first.get_or_insert(e);
                }
                Vec::new() // the engine falls back to the first candidate
            }
        })
    }
}

/// Take the failures logged so far, if any.
pub fn take(log: &FailureLog) -> Option<Failures> {
    let mut log = log.lock().ok()?;
    (log.count > 0).then(|| std::mem::take(&mut *log))
}

/// Report failures as one `RuntimeWarning` whose `__cause__` is the first error. With
/// warnings turned into errors the warning is raised (the event was applied all the same).
#[cold]
pub fn warn(py: Python<'_>, failures: Failures) -> PyResult<()> {
    let first = failures.first.map(|e| {
        let text = e
            .value(py)
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_default();
        (e, text)
    });
    let (cause, text) = first.map_or((None, String::new()), |(e, t)| (Some(e), t));
    let times = if failures.count == 1 {
        "once".to_owned()
    } else {
        format!("{} times", failures.count)
    };
    let warning = PyRuntimeWarning::new_err(format!(
        "callroute: the custom scorer failed {times}; the engine offered to the first \
         candidate instead: {text}"
    ));
    warning.set_cause(py, cause);
    let warnings = py.import("warnings")?;
    warnings.call_method1("warn", (warning.value(py), py.None(), 2))?;
    Ok(())
}
