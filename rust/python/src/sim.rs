//! The simulator: a model as JSON in, replications as dicts of numpy arrays out.
//!
//! The model crosses as JSON so that every field error comes back with its path
//! (`calls[0].handle: unknown variant ...`); the replications run with the GIL released.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use callroute_core::sim::{self, Model, Replication, SimError};
use numpy::{IntoPyArray, PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::model_error;

/// A model of type `T` from JSON, an error naming the path of the field at fault.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(py: Python<'_>, json: &str) -> PyResult<T> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = if path.is_empty() || path == "." {
            format!("model: {inner}")
        } else {
            format!("{path}: {inner}")
        };
        model_error(py, msg)
    })
}

/// A model parsed once and checked up front, to run in batches (a progress bar runs one per
/// batch; the core checks it again, cheaply, at each run it makes).
#[pyclass(frozen, module = "callroute._core")]
pub struct SimModel(Model);

/// Parse and check a model (JSON).
#[pyfunction]
pub fn sim_model(py: Python<'_>, model_json: &str) -> PyResult<SimModel> {
    let model: Model = parse(py, model_json)?;
    model.validate().map_err(|e| model_error(py, e.0))?;
    Ok(SimModel(model))
}

/// Run the replications `indices` of the model on up to `threads` threads.
///
/// The replications run with the GIL released, on threads of their own; this thread checks
/// for signals meanwhile, so Ctrl-C stops a long run (its `KeyboardInterrupt` raised here).
/// A panic inside the simulator (a bug) comes back as a `ModelError` saying so.
#[pyfunction]
pub fn sim_run<'py>(
    py: Python<'py>,
    model: &SimModel,
    seed: u64,
    indices: Vec<u64>,
    threads: usize,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let (model, indices) = (&model.0, &indices[..]);
    let results = run_watched(py, move |stop: &AtomicBool| {
        sim::run_indices_until(model, seed, indices, threads, stop)
    })?;
    results.into_iter().map(|r| to_dict(py, r)).collect()
}

/// `run` (replications) with the GIL released, on a thread of its own; this thread checks
/// for signals meanwhile and sets the flag `run` is given on Ctrl-C (its
/// `KeyboardInterrupt` raised here). A simulator's error or panic comes back as a
/// `ModelError`.
pub(crate) fn run_watched<T: Send>(
    py: Python<'_>,
    run: impl Fn(&AtomicBool) -> Result<T, SimError> + Send + Sync,
) -> PyResult<T> {
    let stop = AtomicBool::new(false);
    let mut interrupted: Option<PyErr> = None;
    let (stop, run) = (&stop, &run);
    let outcome = py.detach(|| {
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel();
            let worker = std::thread::Builder::new().spawn_scoped(scope, move || {
                let r = catch_unwind(AssertUnwindSafe(|| run(stop)));
                let _ = tx.send(());
                r
            });
            let Ok(worker) = worker else {
                // no thread to spare: run here, without a look at the signals
                return catch_unwind(AssertUnwindSafe(|| run(stop)));
            };
            while let Err(RecvTimeoutError::Timeout) = rx.recv_timeout(SIGNAL_POLL) {
                if interrupted.is_none() {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        stop.store(true, Ordering::Relaxed);
                        interrupted = Some(e);
                    }
                }
            }
            worker.join().unwrap_or_else(Err)
        })
    });
    if let Some(e) = interrupted {
        return Err(e);
    }
    match outcome {
        Ok(r) => r.map_err(|e| model_error(py, e.0)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            Err(model_error(
                py,
                format!("internal error in the simulator (please report it): {what}"),
            ))
        }
    }
}

/// How often a running simulation looks for signals (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Set `dict[field]`, for each field named, to the `rows.len()` x `cols` numpy array of
/// `rows[row][col].field` (per-line or per-campaign counters by interval).
macro_rules! counters {
    ($py:expr, $dict:expr, $rows:expr, $cols:expr, [$($field:ident),* $(,)?]) => {
        let rows = $rows;
        $(
            $dict.set_item(
                stringify!($field),
                $crate::sim::matrix($py, rows.len(), $cols, |r, c| rows[r][c].$field)?,
            )?;
        )*
    };
}
pub(crate) use counters;

/// A `rows` x `cols` numpy array of `get(row, col)`.
pub(crate) fn matrix<'py, T: numpy::Element + Copy>(
    py: Python<'py>,
    rows: usize,
    cols: usize,
    get: impl Fn(usize, usize) -> T,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    let mut flat = Vec::with_capacity(rows * cols);
    for r in 0..rows {
        for c in 0..cols {
            flat.push(get(r, c));
        }
    }
    flat.into_pyarray(py)
        .reshape([rows, cols])
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

fn to_dict(py: Python<'_>, r: Replication) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    let intervals = r.counters.first().map_or(0, Vec::len);
    counters!(
        py,
        d,
        &r.counters,
        intervals,
        [
            offered,
            answered,
            answered_within,
            abandoned,
            abandoned_within,
            exited,
            callbacks,
            balked,
            wait_answered,
            wait_all,
            talk
        ]
    );
    let groups = r.busy.len();
    d.set_item("busy", matrix(py, groups, intervals, |g, i| r.busy[g][i])?)?;
    d.set_item(
        "staffed",
        matrix(py, groups, intervals, |g, i| r.staffed[g][i])?,
    )?;
    d.set_item("lines", &r.lines)?;
    d.set_item("thresholds", &r.thresholds)?;
    d.set_item("groups", &r.groups)?;
    d.set_item("agents", &r.agents)?;
    d.set_item("start", r.start)?;
    d.set_item("interval", r.interval)?;
    d.set_item("arrivals", r.arrivals)?;
    d.set_item("unfinished", r.unfinished)?;
    d.set_item("engine_inputs", r.engine_inputs)?;
    match r.calls {
        Some(c) => {
            let calls = PyDict::new(py);
            calls.set_item("arrival", c.arrival.into_pyarray(py))?;
            calls.set_item("call_type", c.call_type.into_pyarray(py))?;
            calls.set_item("line", c.line.into_pyarray(py))?;
            calls.set_item("wait", c.wait.into_pyarray(py))?;
            calls.set_item("outcome", c.outcome.into_pyarray(py))?;
            calls.set_item("agent", c.agent.into_pyarray(py))?;
            calls.set_item("handle", c.handle.into_pyarray(py))?;
            calls.set_item("retrial", c.retrial.into_pyarray(py))?;
            d.set_item("calls", calls)?;
        }
        None => d.set_item("calls", py.None())?,
    }
    Ok(d)
}
