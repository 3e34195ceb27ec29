//! The routing engine as `callroute.Engine`.
//!
//! One frozen Python object around `Mutex<Engine>`: any thread may call it. Every method
//! extracts its Python arguments first, then takes the lock (`try_lock`, and on contention
//! waits detached from the interpreter, so a waiting thread never blocks the others), runs
//! the engine, releases the lock and converts the decisions. Single events stay attached
//! (detaching costs more than the event); `feed` detaches for the batch unless a Python
//! scorer needs the interpreter.

mod args;
mod scorer;
pub mod values;

use std::cell::{Cell, RefCell};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use callroute_core::acd::{
    AgentConfig, CallSpec, Decision, Engine, EngineError, EngineOptions, QueueConfig,
};
use pyo3::prelude::*;
use pyo3::sync::MutexExt;
use pyo3::types::{PyBytes, PyDict, PyList, PySequence, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::errors::{config_error, engine_error, invariant_error, reentrancy_error, Class};
use args::{text, time, CallOptions, Options};
use scorer::{registry, FailureLog, Failures, Log, PyScorer};

/// What the lock guards: the engine and what the binding knows of its scorer.
struct State {
    engine: Engine,
    scorer: Option<(Py<PyAny>, FailureLog)>,
    /// a panic inside the engine (a bug) left its state in doubt: refuse further use
    broken: bool,
}

impl State {
    /// Run `f` on the engine; a panic marks the engine broken instead of unwinding into
    /// Python.
    #[inline]
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Engine) -> T) -> Result<T, String> {
        let engine = &mut self.engine;
        match std::panic::catch_unwind(AssertUnwindSafe(|| f(engine))) {
            Ok(v) => Ok(v),
            Err(payload) => {
                self.broken = true;
                Err(panic_message(payload.as_ref()))
            }
        }
    }
}

#[cold]
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// The routing engine: events in, decisions out, explicit time.
#[pyclass(frozen, module = "callroute", name = "Engine")]
pub struct PyEngine {
    state: Mutex<State>,
    /// identifies the engine to its scorer (re-entry detection)
    id: usize,
}

type Decisions<'py> = PyResult<Bound<'py, PyList>>;

/// An engine event on one call or agent: `(id, now)`, e.g. `Engine::offer_accepted`.
type IdEvent = fn(&mut Engine, &str, f64) -> Result<Vec<Decision>, EngineError>;

impl PyEngine {
    fn wrap(engine: Engine) -> Self {
        Self {
            state: Mutex::new(State {
                engine,
                scorer: None,
                broken: false,
            }),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Take the lock; wait for it detached from the interpreter.
    #[inline]
    fn lock(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, State>> {
        let guard = match self.state.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::WouldBlock) => self.lock_slow(py)?,
            Err(TryLockError::Poisoned(_)) => return Err(poisoned(py, None)),
        };
        if guard.broken {
            return Err(poisoned(py, None));
        }
        Ok(guard)
    }

    #[cold]
    fn lock_slow(&self, py: Python<'_>) -> PyResult<MutexGuard<'_, State>> {
        let waiting = registry::Waiting::start(self.id).map_err(|cycle| {
            let why = match cycle {
                registry::Cycle::Own => "a custom scorer running on this thread is routing a \
                    call of this engine (a scorer may not call its own engine, directly or \
                    through another engine's scorer)"
                    .to_owned(),
                registry::Cycle::Through(n) => format!(
                    "this engine's custom scorer is waiting, through {n} engine(s), for an \
                     engine whose scorer runs on this thread: waiting would deadlock"
                ),
            };
            reentrancy_error(py, format!("engine busy: {why}"))
        })?;
        // `py.detach(|| lock())` cannot hand the guard back across threads' rules
        // (`MutexGuard` is not `Send`); `lock_py_attached` detaches around the wait itself.
        let guard = self
            .state
            .lock_py_attached(py)
            .map_err(|_| poisoned(py, None));
        drop(waiting);
        guard
    }

    /// Run `f` on the engine (and the scorer's log, if a Python scorer is installed) under
    /// the lock, detached from the interpreter if `detach` and no Python scorer needs it.
    /// Returns the scorer's failures, for the caller to [`scorer::report`] once its result
    /// is converted.
    #[inline]
    fn locked<T: Send>(
        &self,
        py: Python<'_>,
        detach: bool,
        f: impl FnOnce(&mut Engine, Option<&Log>) -> T + Send,
    ) -> PyResult<(T, Option<Failures>)> {
        let mut guard = self.lock(py)?;
        let log = guard.scorer.as_ref().map(|(_, log)| Arc::clone(log));
        let outcome = if detach && log.is_none() {
            let state = &mut *guard;
            py.detach(|| state.guarded(|e| f(e, None)))
        } else {
            guard.guarded(|e| f(e, log.as_deref()))
        };
        let result = outcome.map_err(|m| poisoned(py, Some(m)))?;
        let failures = log.as_deref().and_then(scorer::take);
        drop(guard);
        Ok((result, failures))
    }

    /// Run `f` on the engine under the lock, attached; map errors; report scorer failures.
    #[inline]
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Engine) -> Result<T, EngineError> + Send,
    ) -> PyResult<T> {
        let (result, failures) = self.locked(py, false, |e, _| f(e))?;
        let value = result.map_err(|e| engine_error(py, e, ""))?;
        if let Some(failures) = failures {
            scorer::report(py, failures)?;
        }
        Ok(value)
    }

    /// An event: its decisions, or its error. An error from the scorer that must propagate
    /// (`KeyboardInterrupt`, `ReentrancyError`, ...) is raised after the event was applied,
    /// carrying its decisions as `err.decisions`.
    #[inline]
    fn events<'py>(
        &self,
        py: Python<'py>,
        f: impl FnOnce(&mut Engine) -> Result<Vec<Decision>, EngineError> + Send,
    ) -> Decisions<'py> {
        let (result, failures) = self.locked(py, false, |e, _| f(e))?;
        let decisions = result.map_err(|e| engine_error(py, e, ""))?;
        let list = values::decision_list(py, decisions)?;
        if let Some(failures) = failures {
            scorer::report(py, failures).inspect_err(|err| {
                let _ = err.value(py).setattr("decisions", &list);
            })?;
        }
        Ok(list)
    }

    /// An `(id, now)` event; `arg` names the id in errors ("call" or "agent").
    #[inline]
    fn id_event<'py>(
        &self,
        py: Python<'py>,
        arg: &str,
        id: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
        f: IdEvent,
    ) -> Decisions<'py> {
        let (id, now) = (text(id, arg)?, time(now, "now")?);
        self.events(py, |e| f(e, id, now))
    }

    /// Ids as a list of str.
    fn ids<'py>(
        &self,
        py: Python<'py>,
        f: fn(&Engine) -> Vec<Arc<str>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let ids = self.read(py, |e| Ok(f(e)))?;
        values::id_list(py, &ids)
    }

    /// Read-only access (no scorer can run).
    fn read<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&Engine) -> Result<T, EngineError>,
    ) -> PyResult<T> {
        let mut guard = self.lock(py)?;
        let result = guard.guarded(|e| f(e)).map_err(|m| poisoned(py, Some(m)))?;
        result.map_err(|e| engine_error(py, e, ""))
    }
}

/// The engine panicked (now, with `message`, or in an earlier call): it is unusable.
#[cold]
fn poisoned(py: Python<'_>, message: Option<String>) -> PyErr {
    let what = match message {
        Some(m) => format!("the engine failed inside ({m})"),
        None => "an earlier call failed inside the engine".to_owned(),
    };
    invariant_error(
        py,
        format!(
            "{what}: it is unusable from now on (a bug: please report it); restore it \
             from a snapshot taken before"
        ),
    )
}

#[pymethods]
impl PyEngine {
    #[new]
    #[pyo3(signature = (*, seed = None, interval = None), text_signature = "(*, seed=0, interval=1800.0)")]
    fn py_new(
        py: Python<'_>,
        seed: Option<&Bound<'_, PyAny>>,
        interval: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut options = EngineOptions::default();
        if let Some(s) = seed {
            options.seed = args::int(s, "seed", 0, i64::MAX)? as u64;
        }
        if let Some(i) = interval {
            let v = args::number(i, "interval")?;
            if !(v.is_finite() && v > 0.0) {
                return Err(config_error(
                    py,
                    format!("interval must be finite and > 0 seconds, got {v}"),
                ));
            }
            options.interval = v;
        }
        Engine::new(options)
            .map(Self::wrap)
            .map_err(|e| engine_error(py, e, ""))
    }

    // ------------------------------------------------------------ configuration

    #[pyo3(
        signature = (name, **options),
        text_signature = "(self, name, *, tenant='default', media='voice', skills=None, \
            strategy='longest_idle', sl_threshold=20.0, short_abandon=5.0, wrapup=0.0, \
            offer_timeout=15.0, retry=5.0, max_wait=None, overflow=None, steps=(), weight=0, \
            aging=0.0, max_no_answer=3, join_empty=True, leave_when_empty=False, \
            shared_with=(), expected_aht=180.0)"
    )]
    fn add_queue(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let config = args::queue_config(py, name, Options::new(options, "add_queue")?)?;
        self.run(py, |e| e.add_queue(config))
    }

    #[pyo3(
        signature = (name, **options),
        text_signature = "(self, name, *, tenant='default', skills=None, capacity=None, \
            exclusive=None, weight=1.0, auto_answer=False)"
    )]
    fn add_agent(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let config = args::agent_config(py, name, Options::new(options, "add_agent")?)?;
        self.run(py, |e| e.add_agent(config))
    }

    fn set_agent_skills<'py>(
        &self,
        py: Python<'py>,
        agent: &Bound<'py, PyAny>,
        skills: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        let agent = text(agent, "agent")?;
        let skills = args::skills(skills, "skills")?;
        let now = time(now, "now")?;
        self.events(py, |e| e.set_agent_skills(agent, &skills, now))
    }

    fn set_queue_open(
        &self,
        py: Python<'_>,
        queue: &Bound<'_, PyAny>,
        open: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let queue = text(queue, "queue")?;
        let open = args::flag(open, "open")?;
        self.run(py, |e| e.set_queue_open(queue, open))
    }

    // ------------------------------------------------------------ agent events

    fn agent_ready<'py>(
        &self,
        py: Python<'py>,
        agent: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "agent", agent, now, Engine::agent_ready)
    }

    #[pyo3(signature = (agent, now, reason = None), text_signature = "(self, agent, now, reason='break')")]
    fn agent_not_ready<'py>(
        &self,
        py: Python<'py>,
        agent: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
        reason: Option<&Bound<'py, PyAny>>,
    ) -> Decisions<'py> {
        let (agent, now) = (text(agent, "agent")?, time(now, "now")?);
        let reason = reason.map_or(Ok("break"), |r| text(r, "reason"))?;
        self.events(py, |e| e.agent_not_ready(agent, now, reason))
    }

    fn agent_logout<'py>(
        &self,
        py: Python<'py>,
        agent: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "agent", agent, now, Engine::agent_logout)
    }

    fn wrapup_done<'py>(
        &self,
        py: Python<'py>,
        agent: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "agent", agent, now, Engine::wrapup_done)
    }

    // ------------------------------------------------------------ call events

    #[allow(clippy::too_many_arguments)] // the Python signature
    #[pyo3(
        signature = (call, now, *, queue = None, skills = None, priority = None, media = None, tenant = None, data = None),
        text_signature = "(self, call, now, *, queue=None, skills=None, priority=0, media=None, \
            tenant=None, data=None)"
    )]
    fn call_arrived<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
        queue: Option<&Bound<'py, PyAny>>,
        skills: Option<&Bound<'py, PyAny>>,
        priority: Option<&Bound<'py, PyAny>>,
        media: Option<&Bound<'py, PyAny>>,
        tenant: Option<&Bound<'py, PyAny>>,
        data: Option<&Bound<'py, PyAny>>,
    ) -> Decisions<'py> {
        let options = CallOptions {
            queue,
            skills,
            priority,
            media,
            tenant,
            data,
        };
        let spec = args::call_spec(call, &options)?;
        let now = time(now, "now")?;
        self.events(py, |e| e.call_arrived(&spec, now))
    }

    fn offer_accepted<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "call", call, now, Engine::offer_accepted)
    }

    fn offer_declined<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "call", call, now, Engine::offer_declined)
    }

    fn call_ended<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "call", call, now, Engine::call_ended)
    }

    fn call_abandoned<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "call", call, now, Engine::call_abandoned)
    }

    fn transfer<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
        queue: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        let (call, now, queue) = (
            text(call, "call")?,
            time(now, "now")?,
            text(queue, "queue")?,
        );
        self.events(py, |e| e.transfer(call, now, queue))
    }

    fn callback_requested<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "call", call, now, Engine::callback_requested)
    }

    // ------------------------------------------------------------ time

    fn advance<'py>(&self, py: Python<'py>, now: &Bound<'py, PyAny>) -> Decisions<'py> {
        let now = time(now, "now")?;
        self.events(py, |e| e.advance(now))
    }

    fn next_deadline(&self, py: Python<'_>) -> PyResult<Option<f64>> {
        self.read(py, |e| Ok(e.next_deadline()))
    }

    #[getter]
    fn now(&self, py: Python<'_>) -> PyResult<Option<f64>> {
        self.read(py, |e| Ok(e.now()))
    }

    // ------------------------------------------------------------ batches

    /// Apply `events` in order under one lock; see the stub for the contract.
    fn feed<'py>(&self, py: Python<'py>, events: &Bound<'py, PyAny>) -> Decisions<'py> {
        let mut parsed: Vec<Event> = Vec::new();
        let mut bad: Option<PyErr> = None;
        let iter = events.try_iter().map_err(|_| {
            config_error(
                py,
                "feed() takes an iterable of event tuples (method, *args[, kwargs])".into(),
            )
        })?;
        for (i, item) in iter.enumerate() {
            match item.and_then(|ev| Event::parse(py, &ev)) {
                Ok(ev) => parsed.push(ev),
                Err(e) => {
                    bad = Some(prefixed(py, e, i));
                    break;
                }
            }
        }
        let ((decisions, stop), failures) =
            self.locked(py, true, |e, log| apply_all(e, &parsed, log))?;
        let applied = match stop {
            Stop::Done => parsed.len(),
            Stop::Failed(i, e) => {
                bad = Some(engine_error(py, e, &format!("event {i}: ")));
                i
            }
            Stop::Interrupted(applied) => applied, // the error comes with the failures
        };
        let list = values::decision_list(py, decisions)?;
        if let Some(failures) = failures {
            if let Err(err) = scorer::report(py, failures) {
                bad = Some(err);
            }
        }
        match bad {
            None => Ok(list),
            Some(err) => {
                let value = err.value(py);
                let _ = value.setattr("applied", applied);
                let _ = value.setattr("decisions", list);
                Err(err)
            }
        }
    }

    // ------------------------------------------------------------ queries

    fn queue_stats(
        &self,
        py: Python<'_>,
        queue: &Bound<'_, PyAny>,
    ) -> PyResult<values::QueueStats> {
        let queue = text(queue, "queue")?;
        self.read(py, |e| e.queue_stats(queue))
            .map(values::QueueStats::from_core)
    }

    fn interval_stats(
        &self,
        py: Python<'_>,
        queue: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<values::IntervalStats>> {
        let queue = text(queue, "queue")?;
        let rows = self.read(py, |e| e.interval_stats(queue))?;
        Ok(rows
            .iter()
            .map(|(start, c)| values::IntervalStats::from_core(*start, c))
            .collect())
    }

    fn agent_stats(
        &self,
        py: Python<'_>,
        agent: &Bound<'_, PyAny>,
    ) -> PyResult<values::AgentStats> {
        let agent = text(agent, "agent")?;
        self.read(py, |e| e.agent_stats(agent))
            .map(values::AgentStats::from_core)
    }

    fn agent_state(&self, py: Python<'_>, agent: &Bound<'_, PyAny>) -> PyResult<&'static str> {
        let agent = text(agent, "agent")?;
        self.read(py, |e| e.agent_state(agent)).map(|s| s.name())
    }

    fn agent_reason(&self, py: Python<'_>, agent: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        let agent = text(agent, "agent")?;
        let state = self.read(py, |e| e.agent_state(agent))?;
        Ok(values::state_parts(&state).1.map(|r| r.to_string()))
    }

    fn call_info(&self, py: Python<'_>, call: &Bound<'_, PyAny>) -> PyResult<values::CallInfo> {
        let id = text(call, "call")?;
        self.read(py, |e| e.call_info(id))
            .map(|info| values::CallInfo::from_core(id, info))
    }

    fn position(&self, py: Python<'_>, call: &Bound<'_, PyAny>) -> PyResult<Option<u32>> {
        let id = text(call, "call")?;
        self.read(py, |e| e.call_info(id)).map(|info| info.position)
    }

    fn totals(&self, py: Python<'_>) -> PyResult<values::Totals> {
        self.read(py, |e| Ok(values::Totals::from_core(e.totals())))
    }

    fn queues<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.ids(py, Engine::queue_ids)
    }

    fn agents<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.ids(py, Engine::agent_ids)
    }

    fn calls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.ids(py, Engine::call_ids)
    }

    // ------------------------------------------------------------ snapshots, audit

    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.read(py, |e| Ok(e.snapshot()))?;
        Ok(PyBytes::new(py, &bytes))
    }

    #[staticmethod]
    fn restore(py: Python<'_>, blob: &Bound<'_, PyAny>) -> PyResult<Self> {
        let snapshot_error = |msg: String| engine_error(py, EngineError::Snapshot(msg), "");
        let bytes: Vec<u8> = match blob.cast::<PyBytes>() {
            Ok(b) => b.as_bytes().to_vec(),
            Err(_) if !blob.is_instance_of::<PyString>() => blob.extract().map_err(|_| {
                snapshot_error("a snapshot is bytes (or a bytes-like object)".into())
            })?,
            Err(_) => {
                return Err(snapshot_error(
                    "a snapshot is bytes (or a bytes-like object), not str".into(),
                ))
            }
        };
        // A corrupt snapshot must never bring the process down, even if it trips an index.
        let restored = py.detach(|| std::panic::catch_unwind(|| Engine::restore(&bytes)));
        match restored {
            Ok(Ok(engine)) => Ok(Self::wrap(engine)),
            Ok(Err(e)) => Err(engine_error(py, e, "")),
            Err(_) => Err(snapshot_error("corrupt engine snapshot".into())),
        }
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let restore = slf.get_type().getattr("restore")?;
        Ok((restore, (slf.get().snapshot(py)?,)))
    }

    fn audit(&self, py: Python<'_>) -> PyResult<()> {
        let result = self.read(py, |e| Ok(e.audit()))?;
        result.map_err(|msg| invariant_error(py, msg))
    }

    // ------------------------------------------------------------ custom scorer

    fn set_scorer(&self, py: Python<'_>, scorer: &Bound<'_, PyAny>) -> PyResult<()> {
        if !scorer.is_none() && !scorer.is_callable() {
            return Err(config_error(
                py,
                "the scorer must be callable (call, agents) -> scores, or None".into(),
            ));
        }
        let mut guard = self.lock(py)?;
        // the old scorer is dropped after the lock is let go: its `__del__` may call us
        let old = if scorer.is_none() {
            guard.engine.set_scorer(None);
            guard.scorer.take()
        } else {
            let log = FailureLog::default();
            guard.engine.set_scorer(Some(Box::new(PyScorer {
                func: scorer.clone().unbind(),
                engine: self.id,
                log: Arc::clone(&log),
            })));
            guard.scorer.replace((scorer.clone().unbind(), log))
        };
        drop(guard);
        drop(old);
        Ok(())
    }

    #[getter]
    fn scorer_failures(&self, py: Python<'_>) -> PyResult<u64> {
        self.read(py, |e| Ok(e.scorer_failures()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.read(py, |e| {
            let t = e.totals();
            Ok(format!(
                "<callroute.Engine now={} agents={} queues={} active_calls={}>",
                e.now().map_or("None".to_owned(), |n| n.to_string()),
                e.agent_ids().len(),
                e.queue_ids().len(),
                t.active()
            ))
        })
    }

    // ------------------------------------------------------------ garbage collection

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // never block the collector: an engine in use is simply not traversed this time
        if let Ok(guard) = self.state.try_lock() {
            if let Some((func, _)) = &guard.scorer {
                // two strong references: ours and the engine's own `PyScorer`
                visit.call(func)?;
                visit.call(func)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        if let Ok(mut guard) = self.state.try_lock() {
            guard.engine.set_scorer(None);
            guard.scorer = None;
        }
    }
}

/// Re-raise a parse error of event `i` with the index in its message (our own errors only).
fn prefixed(py: Python<'_>, err: PyErr, i: usize) -> PyErr {
    if !crate::errors::is(py, &err, Class::Callroute) {
        return err;
    }
    let msg = format!("event {i}: {}", err.value(py));
    PyErr::from_type(err.get_type(py), msg)
}

/// Where a batch stopped.
enum Stop {
    /// every event was applied
    Done,
    /// event `i` failed (the events before it were applied)
    Failed(usize, EngineError),
    /// the scorer was interrupted in the last of this many events applied
    Interrupted(usize),
}

/// Apply events in order until one fails or the scorer is interrupted: the decisions so
/// far, and where it stopped.
fn apply_all(engine: &mut Engine, events: &[Event], log: Option<&Log>) -> (Vec<Decision>, Stop) {
    let mut out = Vec::new();
    for (i, ev) in events.iter().enumerate() {
        match ev.apply(engine) {
            Ok(d) => out.extend(d),
            Err(e) => return (out, Stop::Failed(i, e)),
        }
        if log.is_some_and(Log::interrupted) {
            return (out, Stop::Interrupted(i + 1));
        }
    }
    (out, Stop::Done)
}

/// One event of a batch, extracted.
enum Event {
    AddQueue(Box<QueueConfig>),
    AddAgent(Box<AgentConfig>),
    SetAgentSkills(String, Vec<(String, u8)>, f64),
    SetQueueOpen(String, bool),
    AgentNotReady(String, f64, String),
    CallArrived(Box<CallSpec>, f64),
    Transfer(String, f64, String),
    Advance(f64),
    /// one of [`CALL_EVENTS`] or [`AGENT_EVENTS`]
    Id(IdEvent, String, f64),
}

/// The batch methods taking `(call, now)`, and the engine method each applies.
const CALL_EVENTS: [(&str, IdEvent); 5] = [
    ("offer_accepted", Engine::offer_accepted),
    ("offer_declined", Engine::offer_declined),
    ("call_ended", Engine::call_ended),
    ("call_abandoned", Engine::call_abandoned),
    ("callback_requested", Engine::callback_requested),
];

/// The batch methods taking `(agent, now)`, and the engine method each applies.
const AGENT_EVENTS: [(&str, IdEvent); 3] = [
    ("agent_ready", Engine::agent_ready),
    ("agent_logout", Engine::agent_logout),
    ("wrapup_done", Engine::wrapup_done),
];

/// The `(id, now)` event `method`, if it is one: the name of its id argument and its
/// engine method.
fn find_id_event(method: &str) -> Option<(&'static str, IdEvent)> {
    let find = |table: &[(&str, IdEvent)]| {
        table
            .iter()
            .find(|(name, _)| *name == method)
            .map(|&(_, f)| f)
    };
    find(&CALL_EVENTS)
        .map(|f| ("call", f))
        .or_else(|| find(&AGENT_EVENTS).map(|f| ("agent", f)))
}

/// Every batch method, in the order the unknown-method error lists them.
#[cold]
fn event_methods() -> String {
    let [accepted, declined, ended, abandoned, callback] = CALL_EVENTS.map(|(name, _)| name);
    let [ready, logout, wrapup] = AGENT_EVENTS.map(|(name, _)| name);
    [
        "add_queue",
        "add_agent",
        "set_agent_skills",
        "set_queue_open",
        ready,
        "agent_not_ready",
        logout,
        wrapup,
        "call_arrived",
        accepted,
        declined,
        ended,
        abandoned,
        "transfer",
        callback,
        "advance",
    ]
    .join(", ")
}

/// The arguments of one event tuple, bound by position or keyword. The caller's kwargs
/// dict is only read: the names found are counted, and any left over are refused.
struct Bind<'a, 'py> {
    py: Python<'py>,
    method: &'a str,
    pos: &'a [Bound<'py, PyAny>],
    kwargs: Option<Bound<'py, PyDict>>,
    /// keyword names found so far
    found: RefCell<Vec<&'static str>>,
    /// the options were all consumed by a config parser (which refuses unknown ones)
    consumed: Cell<bool>,
}

impl<'py> Bind<'_, 'py> {
    fn keyword(&self, name: &'static str) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(k) = &self.kwargs else {
            return Ok(None);
        };
        let v = k.get_item(name)?;
        if v.is_some() {
            self.found.borrow_mut().push(name);
        }
        Ok(v)
    }

    fn arg(&self, i: usize, name: &'static str) -> PyResult<Bound<'py, PyAny>> {
        if let Some(v) = self.pos.get(i) {
            if self.keyword(name)?.is_some() {
                return Err(config_error(
                    self.py,
                    format!(
                        "{}() got multiple values for argument {name:?}",
                        self.method
                    ),
                ));
            }
            return Ok(v.clone());
        }
        self.keyword(name)?.ok_or_else(|| {
            config_error(
                self.py,
                format!("{}() missing argument {name:?}", self.method),
            )
        })
    }

    /// Argument `i`, a str.
    fn text(&self, i: usize, name: &'static str) -> PyResult<String> {
        Ok(text(&self.arg(i, name)?, name)?.to_owned())
    }

    /// Argument `i`, the time `now`.
    fn now(&self, i: usize) -> PyResult<f64> {
        time(&self.arg(i, "now")?, "now")
    }

    fn opt(&self, name: &'static str) -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(self.keyword(name)?.filter(|v| !v.is_none()))
    }

    fn done(&self, py: Python<'_>, positional: usize) -> PyResult<()> {
        if self.pos.len() > positional {
            return Err(config_error(
                py,
                format!(
                    "{}() takes {positional} positional arguments, got {}",
                    self.method,
                    self.pos.len()
                ),
            ));
        }
        let Some(k) = &self.kwargs else {
            return Ok(());
        };
        if self.consumed.get() || k.len() == self.found.borrow().len() {
            return Ok(());
        }
        for key in k.keys() {
            let key = key.str()?.to_string();
            if !self.found.borrow().contains(&key.as_str()) {
                return Err(config_error(
                    py,
                    format!(
                        "{}() got an unexpected keyword argument {key:?}",
                        self.method
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Event {
    fn parse(py: Python<'_>, item: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bad = || {
            config_error(
                py,
                "an event is a tuple (method, *args) or (method, *args, kwargs)".into(),
            )
        };
        if item.is_instance_of::<PyString>() {
            return Err(bad());
        }
        let seq = item.cast::<PySequence>().map_err(|_| bad())?;
        let parts: Vec<Bound<'_, PyAny>> = match item.cast::<PyTuple>() {
            Ok(t) => t.iter().collect(),
            Err(_) => seq.try_iter()?.collect::<PyResult<_>>()?,
        };
        let Some((head, rest)) = parts.split_first() else {
            return Err(bad());
        };
        let method = text(head, "the event's method")?;
        let (pos, kwargs) = match rest.last().map(|l| l.cast::<PyDict>()) {
            Some(Ok(d)) => (&rest[..rest.len() - 1], Some(d.clone())),
            _ => (rest, None),
        };
        let b = Bind {
            py,
            method,
            pos,
            kwargs,
            found: RefCell::new(Vec::new()),
            consumed: Cell::new(false),
        };
        let (event, positional) = match method {
            "add_queue" => {
                let name = b.arg(0, "name")?;
                let mut options = Options::new(b.kwargs.as_ref(), "add_queue")?;
                options.take("name")?; // given by keyword: already read by `arg`
                let config = args::queue_config(py, &name, options)?;
                b.consumed.set(true);
                (Event::AddQueue(Box::new(config)), 1)
            }
            "add_agent" => {
                let name = b.arg(0, "name")?;
                let mut options = Options::new(b.kwargs.as_ref(), "add_agent")?;
                options.take("name")?; // given by keyword: already read by `arg`
                let config = args::agent_config(py, &name, options)?;
                b.consumed.set(true);
                (Event::AddAgent(Box::new(config)), 1)
            }
            "set_agent_skills" => (
                Event::SetAgentSkills(
                    b.text(0, "agent")?,
                    args::skills(&b.arg(1, "skills")?, "skills")?,
                    b.now(2)?,
                ),
                3,
            ),
            "set_queue_open" => (
                Event::SetQueueOpen(b.text(0, "queue")?, args::flag(&b.arg(1, "open")?, "open")?),
                2,
            ),
            "agent_not_ready" => {
                let agent = b.text(0, "agent")?;
                let now = b.now(1)?;
                let reason = match b.pos.get(2) {
                    Some(r) => Some(r.clone()),
                    None => b.opt("reason")?,
                };
                let reason = reason.as_ref().map_or(Ok("break"), |r| text(r, "reason"))?;
                (Event::AgentNotReady(agent, now, reason.to_owned()), 3)
            }
            "call_arrived" => {
                let call = b.arg(0, "call")?;
                let now = b.now(1)?;
                let (queue, skills, priority) =
                    (b.opt("queue")?, b.opt("skills")?, b.opt("priority")?);
                let (media, tenant, data) = (b.opt("media")?, b.opt("tenant")?, b.opt("data")?);
                let options = CallOptions {
                    queue: queue.as_ref(),
                    skills: skills.as_ref(),
                    priority: priority.as_ref(),
                    media: media.as_ref(),
                    tenant: tenant.as_ref(),
                    data: data.as_ref(),
                };
                (
                    Event::CallArrived(Box::new(args::call_spec(&call, &options)?), now),
                    2,
                )
            }
            "transfer" => (
                Event::Transfer(b.text(0, "call")?, b.now(1)?, b.text(2, "queue")?),
                3,
            ),
            "advance" => (Event::Advance(b.now(0)?), 1),
            other => match find_id_event(other) {
                Some((arg, f)) => (Event::Id(f, b.text(0, arg)?, b.now(1)?), 2),
                None => {
                    return Err(config_error(
                        py,
                        format!(
                            "unknown event method {other:?}; expected one of {}",
                            event_methods()
                        ),
                    ))
                }
            },
        };
        b.done(py, positional)?;
        Ok(event)
    }

    fn apply(&self, e: &mut Engine) -> Result<Vec<Decision>, EngineError> {
        match self {
            Event::AddQueue(c) => e.add_queue((**c).clone()).map(|()| Vec::new()),
            Event::AddAgent(c) => e.add_agent((**c).clone()).map(|()| Vec::new()),
            Event::SetAgentSkills(a, s, now) => e.set_agent_skills(a, s, *now),
            Event::SetQueueOpen(q, open) => e.set_queue_open(q, *open).map(|()| Vec::new()),
            Event::AgentNotReady(a, now, r) => e.agent_not_ready(a, *now, r),
            Event::CallArrived(spec, now) => e.call_arrived(spec, *now),
            Event::Transfer(c, now, q) => e.transfer(c, *now, q),
            Event::Advance(now) => e.advance(*now),
            Event::Id(f, id, now) => f(e, id, *now),
        }
    }
}
