//! A Python function as the engine's custom scorer.
//!
//! The engine calls the scorer while its lock is held (the interpreter is attached then).
//! A scorer that raises an `Exception` or answers junk makes the engine fall back to its
//! first candidate; the failure is kept here and reported as a `RuntimeWarning` once the
//! engine call is over.
//!
//! Two kinds of error must not be swallowed: a `BaseException` that is not an `Exception`
//! (`KeyboardInterrupt`, `SystemExit`) and a [`ReentrancyError`](crate::errors::Class). The
//! decision being scored falls back as for any failure, later scorer calls of the same engine
//! call fall back without running Python, and once the engine call is over the error is
//! raised from it (a batch stops after the event that was interrupted).
//!
//! Re-entrance: a scorer that calls its own engine, or an engine whose scorer is (through
//! any chain of engines) waiting for the caller's thread, would wait forever. The
//! [`registry`] records which thread is inside which engine's scorer and which engine each
//! thread waits for; a wait that would close a cycle raises `ReentrancyError` instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use callroute_core::acd::{CallView, Scorer};
use pyo3::exceptions::{PyException, PyRuntimeWarning, PyValueError};
use pyo3::prelude::*;

use super::values;
use crate::errors::{is, Class};

/// Failures since the last report: the first error and how many there were.
#[derive(Default)]
pub struct Failures {
    first: Option<PyErr>,
    count: u32,
    /// the first error that must propagate (`KeyboardInterrupt`, `ReentrancyError`, ...)
    raise: Option<PyErr>,
}

/// What the scorer reports to the engine call that ran it.
#[derive(Default)]
pub struct Log {
    failures: Mutex<Failures>,
    /// an error that must propagate is pending: skip the scorer until it is reported
    interrupted: AtomicBool,
}

impl Log {
    /// Whether an error that must propagate is pending (a batch stops applying events).
    pub fn interrupted(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }
}

pub type FailureLog = Arc<Log>;

pub struct PyScorer {
    pub func: Py<PyAny>,
    pub engine: usize,
    pub log: FailureLog,
}

impl PyScorer {
    fn call(&self, py: Python<'_>, call: &CallView<'_>, agents: &[Arc<str>]) -> PyResult<Vec<f64>> {
        let view = Bound::new(py, values::CallView::from_core(call))?;
        let ids = values::id_list(py, agents)?;
        let answer = {
            let _inside = registry::Scoring::enter(self.engine);
            self.func.bind(py).call1((view, ids))
        };
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
        if self.log.interrupted() {
            return Vec::new(); // interrupted: fall back without running Python again
        }
        Python::attach(|py| match self.call(py, call, agents) {
            Ok(scores) => scores,
            Err(e) => {
                let propagate =
                    !e.is_instance_of::<PyException>(py) || is(py, &e, Class::Reentrancy);
                if let Ok(mut log) = self.log.failures.lock() {
                    log.count += 1;
                    if propagate {
                        self.log.interrupted.store(true, Ordering::Relaxed);
                        log.raise.get_or_insert(e);
                    } else {
                        log.first.get_or_insert(e);
                    }
                }
                Vec::new() // the engine falls back to the first candidate
            }
        })
    }
}

/// Take the failures logged so far, if any.
pub fn take(log: &Log) -> Option<Failures> {
    let mut failures = log.failures.lock().ok()?;
    log.interrupted.store(false, Ordering::Relaxed);
    (failures.count > 0).then(|| std::mem::take(&mut *failures))
}

/// Report failures once the engine call is over: an error that must propagate is returned
/// as the call's error; other failures become one `RuntimeWarning` whose `__cause__` is the
/// first error. With warnings turned into errors the warning is raised (the event was applied
/// all the same).
#[cold]
pub fn report(py: Python<'_>, failures: Failures) -> PyResult<()> {
    if let Some(err) = failures.raise {
        return Err(err);
    }
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

/// Which thread runs which engine's scorer, and which engine each thread waits for.
pub mod registry {
    use std::collections::HashMap;
    use std::sync::{Mutex, MutexGuard, PoisonError};
    use std::thread::{self, ThreadId};

    #[derive(Default)]
    struct Registry {
        /// engine id -> the thread inside its scorer (holding its lock)
        scoring: HashMap<usize, ThreadId>,
        /// thread -> the engine whose lock it waits for
        waiting: HashMap<ThreadId, usize>,
    }

    static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

    fn registry() -> MutexGuard<'static, Option<Registry>> {
        REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
        f(registry().get_or_insert_with(Registry::default))
    }

    /// This thread is inside the scorer of an engine (whose lock it holds) while alive.
    pub struct Scoring {
        engine: usize,
        previous: Option<ThreadId>,
    }

    impl Scoring {
        pub fn enter(engine: usize) -> Self {
            let me = thread::current().id();
            let previous = with(|r| r.scoring.insert(engine, me));
            Self { engine, previous }
        }
    }

    impl Drop for Scoring {
        fn drop(&mut self) {
            with(|r| match self.previous {
                Some(t) => r.scoring.insert(self.engine, t),
                None => r.scoring.remove(&self.engine),
            });
        }
    }

    /// Why waiting for an engine's lock would never end.
    pub enum Cycle {
        /// this thread is inside that engine's own scorer
        Own,
        /// that engine's scorer waits, through `chain` more engines, for this thread
        Through(usize),
    }

    /// This thread waits for an engine's lock while alive.
    pub struct Waiting;

    impl Waiting {
        /// Record that this thread is about to wait for `engine`, unless the wait would
        /// never end.
        pub fn start(engine: usize) -> Result<Self, Cycle> {
            let me = thread::current().id();
            with(|r| {
                let mut wanted = engine;
                // each step follows one thread: a chain longer than the waiting threads
                // cannot be (every cycle is refused when it would close)
                for hops in 0..=r.waiting.len() {
                    let Some(&holder) = r.scoring.get(&wanted) else {
                        break; // the holder is not in a scorer: it will let go
                    };
                    if holder == me {
                        return Err(if hops == 0 {
                            Cycle::Own
                        } else {
                            Cycle::Through(hops)
                        });
                    }
                    let Some(&next) = r.waiting.get(&holder) else {
                        break; // the holder runs a scorer that waits for nobody
                    };
                    wanted = next;
                }
                r.waiting.insert(me, engine);
                Ok(Waiting)
            })
        }
    }

    impl Drop for Waiting {
        fn drop(&mut self) {
            let me = thread::current().id();
            with(|r| r.waiting.remove(&me));
        }
    }
}
