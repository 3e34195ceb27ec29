//! The routing engine as `callroute.Engine`.
//!
//! One frozen Python object around `Mutex<Engine>`: any thread may call it. Every method
//! extracts its Python arguments first, then takes the lock (`try_lock`, and on contention
//! waits detached from the interpreter, so a waiting thread never blocks the others), runs
//! the engine, releases the lock and converts the decisions. Single events stay attached
//! (detaching costs more than the event); `feed` detaches for the batch unless a Python
//! scorer needs the interpreter.

pub(crate) mod args;
mod data;
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
        // scorer failures first: an interrupt is never lost behind another error
        if let Some(failures) = failures {
            scorer::report(py, failures)?;
        }
        result.map_err(|e| engine_error(py, e, ""))
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
        let decisions = match result {
            Ok(decisions) => decisions,
            Err(e) => {
                // (inputs are checked before the scorer can run: no failures to lose here;
                // report any all the same, an interrupt first)
                if let Some(failures) = failures {
                    scorer::report(py, failures)?;
                }
                return Err(engine_error(py, e, ""));
            }
        };
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
    /// A new engine, with no queues and no agents.
    ///
    /// `seed` (an int >= 0) seeds the random strategies; `interval` (seconds > 0) is the length of
    /// the statistics intervals (`interval_stats`).
    ///
    /// Raises ConfigError for a bad seed or interval.
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

    /// Add queue `name` (a str). Every option is a keyword, and optional:
    ///
    /// - tenant, media: whose queue it is and what it takes ('default', 'voice');
    /// - skills: {skill: minimum level} an agent needs (none: any agent of its tenants);
    /// - strategy: how an agent is chosen (`callroute.engine.Strategy`; 'custom' asks the
    ///   scorer, see `set_scorer`);
    /// - sl_threshold, short_abandon: seconds for the service level and short abandons;
    /// - wrapup: seconds of after-call work; offer_timeout: seconds an offer lasts; retry:
    ///   seconds before a declined or lapsed call is offered to the same agent again;
    /// - max_wait, overflow: seconds before a call exits, or moves to queue `overflow`;
    /// - steps: relaxation steps, each {after, skills, also_queues, priority};
    /// - weight, aging: against other queues, a tie-break and priority gained per second;
    /// - max_no_answer: lapsed offers in a row before an agent goes not ready (0: never);
    /// - join_empty, leave_when_empty: refuse calls, or let them go, with no agent logged in;
    /// - shared_with: other tenants whose agents serve it; expected_aht: seconds, before any
    ///   call was measured.
    ///
    /// Returns None. Raises DuplicateIdError (the name is taken) and ConfigError (a wrong type
    /// or value, an unknown option, an unknown queue it refers to, a name beginning with
    /// 'skills[', kept for the implicit queues of skills-routed calls).
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

    /// Add agent `name` (a str), logged out. Every option is a keyword, and optional:
    ///
    /// - tenant: whose agent it is ('default');
    /// - skills: {skill: level from 0 to 255};
    /// - capacity: {media: tasks at once} (default one voice call);
    /// - exclusive: media offered only to an agent with no other task (default voice);
    /// - weight: its share under the 'weighted_random' strategy (1.0);
    /// - auto_answer: its offers connect by themselves (see `callroute.engine`).
    ///
    /// Returns None. Raises DuplicateIdError (the name is taken) and ConfigError (a wrong type
    /// or value, an unknown option).
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

    /// Replace `agent`'s skills with `skills` ({skill: level}) at time `now`.
    ///
    /// Every membership is rebuilt; a free agent may then take a waiting call. Returns the
    /// decisions. Raises UnknownIdError, ConfigError (bad skills) and TimeError.
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

    /// Open (`open=True`) or close `queue`: a closed queue refuses new calls
    /// (`Exit(reason='closed')`).
    ///
    /// Returns None. Raises UnknownIdError and ConfigError (`open` not a bool).
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

    /// `agent` is ready from `now`, logged in if it was not: it may take a waiting
    /// call at once.
    ///
    /// Returns the decisions. Raises UnknownIdError, InvalidEventError (already ready) and
    /// TimeError.
    fn agent_ready<'py>(
        &self,
        py: Python<'py>,
        agent: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "agent", agent, now, Engine::agent_ready)
    }

    /// `agent` is not ready for `reason` (a non-empty str) from `now`, logged in
    /// if it was not; calls in progress go on.
    ///
    /// Returns the decisions. Raises UnknownIdError, InvalidEventError, ConfigError (a bad
    /// reason, or a new one past the engine's 10,000 distinct reasons) and TimeError.
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

    /// `agent` logs out at `now`: its outstanding offers are revoked (their calls
    /// go back to their place); calls in progress go on until they end.
    ///
    /// Returns the decisions. Raises UnknownIdError, InvalidEventError (already logged out) and
    /// TimeError.
    fn agent_logout<'py>(
        &self,
        py: Python<'py>,
        agent: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "agent", agent, now, Engine::agent_logout)
    }

    /// `agent` ends its after-call work at `now`, before the queue's `wrapup`
    /// timer would.
    ///
    /// Returns the decisions. Raises UnknownIdError, InvalidEventError (not in wrap-up) and
    /// TimeError.
    fn wrapup_done<'py>(
        &self,
        py: Python<'py>,
        agent: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "agent", agent, now, Engine::wrapup_done)
    }

    // ------------------------------------------------------------ call events

    /// Call `call` arrives at `now`, in `queue` or routed by `skills`
    /// ({skill: minimum level}): one of the two.
    ///
    /// `priority` (an int, higher first); `media` and `tenant` (a queue's own by default; they
    /// must match it); `data`: {str: str | int | float | bool}, given back as it went in
    /// (`call_info`, the scorer's `CallView`).
    ///
    /// Returns the decisions: an Offer, or Queued (position, expected wait), or Exit. Raises
    /// DuplicateIdError (the call is active), UnknownIdError (queue, skill), ConfigError (a bad
    /// option, or both queue and skills), ParameterError (bad data) and TimeError.
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

    /// The agent offered `call` answers at `now`: the call is connected.
    ///
    /// Returns the decisions. Raises UnknownIdError and InvalidEventError (no outstanding
    /// offer) and TimeError.
    fn offer_accepted<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "call", call, now, Engine::offer_accepted)
    }

    /// The agent offered `call` declines it at `now`: the call goes back to
    /// its place, not to be offered to that agent again for the queue's `retry` seconds.
    ///
    /// Returns the decisions (often the next offer). Raises UnknownIdError, InvalidEventError
    /// (no outstanding offer) and TimeError.
    fn offer_declined<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "call", call, now, Engine::offer_declined)
    }

    /// Connected `call` ends at `now`: its agent goes to wrap-up, or is free.
    ///
    /// Returns the decisions. Raises UnknownIdError, InvalidEventError (not connected) and
    /// TimeError.
    fn call_ended<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "call", call, now, Engine::call_ended)
    }

    /// The caller of waiting or offered `call` hangs up at `now` (an outstanding
    /// offer is revoked).
    ///
    /// Returns the decisions. Raises UnknownIdError, InvalidEventError (connected: report
    /// `call_ended`) and TimeError.
    fn call_abandoned<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "call", call, now, Engine::call_abandoned)
    }

    /// Move `call` (waiting, offered or connected) to another `queue` of the same media
    /// at `now`. A connected call counts as answered and completed in the queue it leaves; its
    /// agent goes to wrap-up.
    ///
    /// Returns the decisions. Raises UnknownIdError, InvalidEventError (also for the call's own
    /// queue or a queue of another media) and TimeError.
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

    /// The caller of waiting `call` hangs up at `now` and keeps its place:
    /// its offer will say `callback=True` (the agent calls back).
    ///
    /// Returns the decisions. Raises UnknownIdError, InvalidEventError and TimeError.
    fn callback_requested<'py>(
        &self,
        py: Python<'py>,
        call: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> Decisions<'py> {
        self.id_event(py, "call", call, now, Engine::callback_requested)
    }

    // ------------------------------------------------------------ time

    /// Fire every timer due by `now` (offer expiry, relaxation steps, max wait,
    /// wrap-up, retry windows), each at its deadline, in order.
    ///
    /// Call it at `next_deadline()`. Returns the decisions. Raises TimeError.
    fn advance<'py>(&self, py: Python<'py>, now: &Bound<'py, PyAny>) -> Decisions<'py> {
        let now = time(now, "now")?;
        self.events(py, |e| e.advance(now))
    }

    /// When the next timer is due (seconds), or None: call `advance` then. (A timer due
    /// after 1e12 s, the end of the engine's time, never fires and is not announced.)
    fn next_deadline(&self, py: Python<'_>) -> PyResult<Option<f64>> {
        self.read(py, |e| Ok(e.next_deadline()))
    }

    /// The latest time the engine has seen (seconds), or None before any.
    #[getter]
    fn now(&self, py: Python<'_>) -> PyResult<Option<f64>> {
        self.read(py, |e| Ok(e.now()))
    }

    // ------------------------------------------------------------ batches

    /// The event methods `feed` takes, in the order of the engine's docs.
    #[classattr]
    #[pyo3(name = "EVENT_METHODS")]
    fn event_methods_attr(py: Python<'_>) -> PyResult<Py<PyTuple>> {
        PyTuple::new(py, EVENTS.map(|(name, _)| name)).map(Bound::unbind)
    }

    /// Apply `events` in order, under one lock, and return all their decisions.
    ///
    /// Each event is a tuple `(method, *args)` or `(method, *args, kwargs)` naming one of
    /// `Engine.EVENT_METHODS`, with that method's arguments. The first bad event (index N, from 0)
    /// raises its error, its message prefixed "event N: "; the events before it stay applied and
    /// the exception carries them: `err.applied` (how many) and `err.decisions`. The interpreter
    /// is released for the batch unless a Python scorer is installed.
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

    /// Live statistics of `queue` (running totals, and the queue now).
    ///
    /// Returns QueueStats. Raises UnknownIdError.
    fn queue_stats(
        &self,
        py: Python<'_>,
        queue: &Bound<'_, PyAny>,
    ) -> PyResult<values::QueueStats> {
        let queue = text(queue, "queue")?;
        self.read(py, |e| e.queue_stats(queue))
            .map(values::QueueStats::from_core)
    }

    /// `queue`'s counters per statistics interval, oldest first; a call counts
    /// in the interval in which it entered the queue.
    ///
    /// Returns a list of IntervalStats. Raises UnknownIdError.
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

    /// `agent`'s statistics (calls, times by state, occupancy).
    ///
    /// Returns AgentStats. Raises UnknownIdError.
    fn agent_stats(
        &self,
        py: Python<'_>,
        agent: &Bound<'_, PyAny>,
    ) -> PyResult<values::AgentStats> {
        let agent = text(agent, "agent")?;
        self.read(py, |e| e.agent_stats(agent))
            .map(values::AgentStats::from_core)
    }

    /// `agent`'s reported state: 'logged_out', 'ready', 'offered', 'busy',
    /// 'wrapup' or 'not_ready'. Raises UnknownIdError.
    fn agent_state(&self, py: Python<'_>, agent: &Bound<'_, PyAny>) -> PyResult<&'static str> {
        let agent = text(agent, "agent")?;
        self.read(py, |e| e.agent_state(agent)).map(|s| s.name())
    }

    /// `agent`'s skills now, {skill: level} ordered by skill name (as `add_agent` or the
    /// last `set_agent_skills` gave them). Raises UnknownIdError.
    fn agent_skills<'py>(
        &self,
        py: Python<'py>,
        agent: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let agent = text(agent, "agent")?;
        let skills = self.read(py, |e| e.agent_skills(agent))?;
        let out = PyDict::new(py);
        for (name, level) in skills {
            out.set_item(&*name, level)?;
        }
        Ok(out)
    }

    /// `agent`'s not-ready reason, or None when it is not 'not_ready'.
    /// Raises UnknownIdError.
    fn agent_reason(&self, py: Python<'_>, agent: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        let agent = text(agent, "agent")?;
        let state = self.read(py, |e| e.agent_state(agent))?;
        Ok(values::state_parts(&state).1.map(|r| r.to_string()))
    }

    /// Where active `call` is: its queue, state ('waiting', 'offered',
    /// 'connected'), agent, position, expected wait, arrival, priority, step, callback flag and
    /// data.
    ///
    /// Returns CallInfo. Raises UnknownIdError (no such active call).
    fn call_info(&self, py: Python<'_>, call: &Bound<'_, PyAny>) -> PyResult<values::CallInfo> {
        let id = text(call, "call")?;
        self.read(py, |e| e.call_info(id))
            .map(|info| values::CallInfo::from_core(id, info))
    }

    /// `call`'s place in its queue (1 = next), or None when it is not waiting.
    /// Raises UnknownIdError.
    fn position(&self, py: Python<'_>, call: &Bound<'_, PyAny>) -> PyResult<Option<u32>> {
        let id = text(call, "call")?;
        self.read(py, |e| e.call_info(id)).map(|info| info.position)
    }

    /// Conservation totals: `arrived == completed + abandoned + exited + rejected +
    /// active`. Returns Totals.
    fn totals(&self, py: Python<'_>) -> PyResult<values::Totals> {
        self.read(py, |e| Ok(values::Totals::from_core(e.totals())))
    }

    /// The ids of the queues (a list of str), the implicit queues of skills-routed calls
    /// included while they are in use.
    fn queues<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.ids(py, Engine::queue_ids)
    }

    /// The ids of the agents (a list of str).
    fn agents<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.ids(py, Engine::agent_ids)
    }

    /// The agents of `tenant` whose skills meet every level of `skills` (a mapping of
    /// skill to minimum level; empty: every agent of the tenant), as a tuple of two lists of
    /// agent ids in the order added: those 'ready', and those 'busy' or in 'wrapup'. An
    /// unknown tenant or skill has no agents. Reads the engine's agents-by-skill index:
    /// only the agents holding the rarest required skill are looked at.
    fn eligible_agents<'py>(
        &self,
        py: Python<'py>,
        tenant: &Bound<'py, PyAny>,
        skills: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let tenant = text(tenant, "tenant")?;
        let skills = args::skills(skills, "skills")?;
        let found = self.read(py, |e| Ok(e.eligible_agents(tenant, &skills)))?;
        let ready = values::id_list(py, &found.ready)?;
        let working = values::id_list(py, &found.working)?;
        PyTuple::new(py, [ready, working])
    }

    /// The ids of the active calls: waiting, offered or connected (a list of str).
    fn calls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.ids(py, Engine::call_ids)
    }

    // ------------------------------------------------------------ snapshots, audit

    /// The whole state as bytes, from which `Engine.restore` continues with
    /// identical decisions. The scorer is not included. Encoded with the GIL released.
    /// The bytes carry a format version and a CRC-32 (docs/engine.md, "Snapshots").
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        // Encoded under the engine's lock but detached from the interpreter, scorer or not
        // (encoding never calls it): other threads run Python meanwhile, and any that call
        // this engine wait for the lock detached too.
        let mut guard = self.lock(py)?;
        let state = &mut *guard;
        let bytes = py
            .detach(|| state.guarded(|e| e.snapshot()))
            .map_err(|m| poisoned(py, Some(m)))?;
        drop(guard);
        Ok(PyBytes::new(py, &bytes))
    }

    /// An engine continuing from `blob`: `snapshot()` bytes (or any bytes-like object).
    ///
    /// Raises SnapshotError (not a snapshot, another format version -- "unsupported
    /// snapshot version N (this build reads M)" --, truncated or with bytes after it,
    /// corrupt, or a str).
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

    /// Pickle through `snapshot()`.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let restore = slf.get_type().getattr("restore")?;
        Ok((restore, (slf.get().snapshot(py)?,)))
    }

    /// Check every invariant and index (slow: for tests and debugging).
    ///
    /// Returns None. Raises EngineInvariantError naming the first one broken.
    fn audit(&self, py: Python<'_>) -> PyResult<()> {
        let result = self.read(py, |e| Ok(e.audit()))?;
        result.map_err(|msg| invariant_error(py, msg))
    }

    // ------------------------------------------------------------ custom scorer

    /// Install the Python scorer of 'custom' queues, or remove it (None).
    ///
    /// `scorer(call: CallView, agents: list[str])` returns one float per candidate; the highest
    /// wins, ties to the earlier candidate. If it raises an Exception or returns junk, the engine
    /// offers to the first candidate, counts it in `scorer_failures` and warns (RuntimeWarning)
    /// once per engine call. KeyboardInterrupt, SystemExit and ReentrancyError propagate from the
    /// engine call once the event is applied. A scorer may not call its own engine, nor an engine
    /// waiting for this one (ReentrancyError). Not part of snapshots.
    ///
    /// Raises ConfigError (not callable).
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

    /// Decisions the scorer could not make (it raised, returned junk or was
    /// interrupted), for which the engine offered to the first candidate.
    #[getter]
    fn scorer_failures(&self, py: Python<'_>) -> PyResult<u64> {
        self.read(py, |e| Ok(e.scorer_failures()))
    }

    /// `<callroute.Engine now=... agents=... queues=... active_calls=...>`.
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
    /// an `(id, now)` event of [`EVENTS`]
    Id(IdEvent, String, f64),
}

/// How one event method's arguments are read: the event, and how many may be positional.
type Read = for<'a, 'py> fn(&Bind<'a, 'py>) -> PyResult<(Event, usize)>;

/// Every event method, in the order of the engine's docs: what `feed` takes (its name and how
/// its arguments are read) and what `Engine.EVENT_METHODS` lists. The one table of them.
const EVENTS: [(&str, Read); 16] = [
    ("add_queue", read_add_queue),
    ("add_agent", read_add_agent),
    ("set_agent_skills", read_set_agent_skills),
    ("set_queue_open", read_set_queue_open),
    ("agent_ready", |b| read_id(b, "agent", Engine::agent_ready)),
    ("agent_not_ready", read_agent_not_ready),
    ("agent_logout", |b| {
        read_id(b, "agent", Engine::agent_logout)
    }),
    ("wrapup_done", |b| read_id(b, "agent", Engine::wrapup_done)),
    ("call_arrived", read_call_arrived),
    ("offer_accepted", |b| {
        read_id(b, "call", Engine::offer_accepted)
    }),
    ("offer_declined", |b| {
        read_id(b, "call", Engine::offer_declined)
    }),
    ("call_ended", |b| read_id(b, "call", Engine::call_ended)),
    ("call_abandoned", |b| {
        read_id(b, "call", Engine::call_abandoned)
    }),
    ("transfer", read_transfer),
    ("callback_requested", |b| {
        read_id(b, "call", Engine::callback_requested)
    }),
    ("advance", |b| Ok((Event::Advance(b.now(0)?), 1))),
];

/// Every event method, as the unknown-method error lists them.
#[cold]
fn event_methods() -> String {
    EVENTS.map(|(name, _)| name).join(", ")
}

/// An `(id, now)` event; `arg` names the id.
fn read_id(b: &Bind<'_, '_>, arg: &'static str, f: IdEvent) -> PyResult<(Event, usize)> {
    Ok((Event::Id(f, b.text(0, arg)?, b.now(1)?), 2))
}

fn read_add_queue(b: &Bind<'_, '_>) -> PyResult<(Event, usize)> {
    let name = b.arg(0, "name")?;
    let mut options = Options::new(b.kwargs.as_ref(), "add_queue")?;
    options.take("name")?; // given by keyword: already read by `arg`
    let config = args::queue_config(b.py, &name, options)?;
    b.consumed.set(true);
    Ok((Event::AddQueue(Box::new(config)), 1))
}

fn read_add_agent(b: &Bind<'_, '_>) -> PyResult<(Event, usize)> {
    let name = b.arg(0, "name")?;
    let mut options = Options::new(b.kwargs.as_ref(), "add_agent")?;
    options.take("name")?; // given by keyword: already read by `arg`
    let config = args::agent_config(b.py, &name, options)?;
    b.consumed.set(true);
    Ok((Event::AddAgent(Box::new(config)), 1))
}

fn read_set_agent_skills(b: &Bind<'_, '_>) -> PyResult<(Event, usize)> {
    let event = Event::SetAgentSkills(
        b.text(0, "agent")?,
        args::skills(&b.arg(1, "skills")?, "skills")?,
        b.now(2)?,
    );
    Ok((event, 3))
}

fn read_set_queue_open(b: &Bind<'_, '_>) -> PyResult<(Event, usize)> {
    let event = Event::SetQueueOpen(b.text(0, "queue")?, args::flag(&b.arg(1, "open")?, "open")?);
    Ok((event, 2))
}

fn read_agent_not_ready(b: &Bind<'_, '_>) -> PyResult<(Event, usize)> {
    let agent = b.text(0, "agent")?;
    let now = b.now(1)?;
    let reason = match b.pos.get(2) {
        Some(r) => Some(r.clone()),
        None => b.opt("reason")?,
    };
    let reason = reason.as_ref().map_or(Ok("break"), |r| text(r, "reason"))?;
    Ok((Event::AgentNotReady(agent, now, reason.to_owned()), 3))
}

fn read_call_arrived(b: &Bind<'_, '_>) -> PyResult<(Event, usize)> {
    let call = b.arg(0, "call")?;
    let now = b.now(1)?;
    let (queue, skills, priority) = (b.opt("queue")?, b.opt("skills")?, b.opt("priority")?);
    let (media, tenant, data) = (b.opt("media")?, b.opt("tenant")?, b.opt("data")?);
    let options = CallOptions {
        queue: queue.as_ref(),
        skills: skills.as_ref(),
        priority: priority.as_ref(),
        media: media.as_ref(),
        tenant: tenant.as_ref(),
        data: data.as_ref(),
    };
    let spec = args::call_spec(&call, &options)?;
    Ok((Event::CallArrived(Box::new(spec), now), 2))
}

fn read_transfer(b: &Bind<'_, '_>) -> PyResult<(Event, usize)> {
    let event = Event::Transfer(b.text(0, "call")?, b.now(1)?, b.text(2, "queue")?);
    Ok((event, 3))
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
        let Some(&(_, read)) = EVENTS.iter().find(|(name, _)| *name == method) else {
            return Err(config_error(
                py,
                format!(
                    "unknown event method {method:?}; expected one of {}",
                    event_methods()
                ),
            ));
        };
        let (event, positional) = read(&b)?;
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
