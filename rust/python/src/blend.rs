//! The blended-day simulator: a `BlendModel` as JSON in, replications as dicts of numpy
//! arrays out (per-interval inbound and outbound counters, group busy and staffed time,
//! the dialer's statistics of each campaign).
//!
//! As for the inbound simulator (`sim.rs`): every field error comes back with its path,
//! the replications run with the GIL released while this thread watches for Ctrl-C, and a
//! panic (a bug) comes back as a `ModelError` saying so.

use std::sync::atomic::AtomicBool;

use callroute_core::outbound::CampaignStats;
use callroute_core::sim::blend::{self, BlendModel, BlendReplication};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::model_error;
use crate::sim::{counters, matrix, parse, run_watched};

/// Parse and check a blended model (JSON); `None` when it is valid, else a `ModelError`
/// naming the field at fault.
#[pyfunction]
pub fn blend_check(py: Python<'_>, model_json: &str) -> PyResult<()> {
    let model: BlendModel = parse(py, model_json)?;
    model.validate().map_err(|e| model_error(py, e.0))
}

/// Run the replications `indices` of the blended model `model_json` on up to `threads`
/// threads; one dict per replication, in the order of `indices`.
#[pyfunction]
pub fn blend_run<'py>(
    py: Python<'py>,
    model_json: &str,
    seed: u64,
    indices: Vec<u64>,
    threads: usize,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let model: BlendModel = parse(py, model_json)?;
    model.validate().map_err(|e| model_error(py, e.0))?;
    let (model, indices) = (&model, &indices[..]);
    let results = run_watched(py, move |stop: &AtomicBool| {
        blend::run_blend_indices_until(model, seed, indices, threads, stop)
    })?;
    results.into_iter().map(|r| to_dict(py, r)).collect()
}

fn stats_dict<'py>(py: Python<'py>, s: &CampaignStats) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("dials", s.dials)?;
    d.set_item("person", s.person)?;
    d.set_item("machine", s.machine)?;
    d.set_item("no_answer", s.no_answer)?;
    d.set_item("busy", s.busy)?;
    d.set_item("failed", s.failed)?;
    d.set_item("callback_requested", s.callback_requested)?;
    d.set_item("connected", s.connected)?;
    d.set_item("abandoned", s.abandoned)?;
    d.set_item("abandoned_with_amd", s.abandoned_with_amd)?;
    d.set_item("window_answered", s.window_answered)?;
    d.set_item("window_abandoned", s.window_abandoned)?;
    d.set_item("abandonment_rate", s.abandonment_rate)?;
    d.set_item("budget", s.budget)?;
    d.set_item("answer_rate", s.answer_rate)?;
    d.set_item("lines_open", s.lines_open)?;
    d.set_item("offers_open", s.offers_open)?;
    d.set_item("contacts", s.contacts)?;
    d.set_item("contacts_done", s.contacts_done)?;
    Ok(d)
}

fn to_dict(py: Python<'_>, r: BlendReplication) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    let intervals = [
        r.inbound.first().map(Vec::len),
        r.outbound.first().map(Vec::len),
        r.busy.first().map(Vec::len),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(0);
    let inbound = PyDict::new(py);
    counters!(
        py,
        inbound,
        &r.inbound,
        intervals,
        [
            offered,
            answered,
            answered_within,
            abandoned,
            abandoned_within,
            exited,
            wait_answered,
            wait_all,
            talk
        ]
    );
    d.set_item("inbound", inbound)?;
    let outbound = PyDict::new(py);
    counters!(
        py,
        outbound,
        &r.outbound,
        intervals,
        [
            dials,
            person,
            machine,
            no_answer,
            busy,
            failed,
            connected,
            abandoned,
            amd_false_positives,
            offers,
            rejected,
            callbacks,
            connect_wait,
            talk
        ]
    );
    d.set_item("outbound", outbound)?;
    let groups = r.busy.len();
    d.set_item("busy", matrix(py, groups, intervals, |g, i| r.busy[g][i])?)?;
    d.set_item(
        "staffed",
        matrix(py, groups, intervals, |g, i| r.staffed[g][i])?,
    )?;
    let dialer = r
        .dialer
        .iter()
        .map(|s| stats_dict(py, s))
        .collect::<PyResult<Vec<_>>>()?;
    d.set_item("dialer", dialer)?;
    d.set_item("queues", &r.queues)?;
    d.set_item("thresholds", &r.thresholds)?;
    d.set_item("campaigns", &r.campaigns)?;
    d.set_item("groups", &r.groups)?;
    d.set_item("start", r.start)?;
    d.set_item("interval", r.interval)?;
    d.set_item("measured", r.measured)?;
    d.set_item("arrivals", r.arrivals)?;
    d.set_item("unfinished", r.unfinished)?;
    d.set_item("engine_inputs", r.engine_inputs)?;
    Ok(d)
}
