//! Replications in parallel: independent streams per replication index, results in order.
//!
//! This module sits above [`super::run`] (one replication) and nothing in `run` calls back
//! into it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::AtomicBool;

use super::model::Model;
use super::run::{run_until, Replication};
use super::SimError;

/// The most replications one call runs (their results are all kept in memory).
pub const MAX_REPLICATIONS: u64 = 1_000_000;

/// The most threads one call starts (more would only wait for the cores).
pub const MAX_THREADS: usize = 1024;

/// Run `replications` replications on up to `threads` threads (results in index order).
pub fn run_replications(
    model: &Model,
    seed: u64,
    replications: u64,
    threads: usize,
) -> Result<Vec<Replication>, SimError> {
    if replications > MAX_REPLICATIONS {
        return Err(SimError(format!(
            "replications: at most {MAX_REPLICATIONS} in one run, got {replications}"
        )));
    }
    let indices: Vec<u64> = (0..replications).collect();
    run_indices(model, seed, &indices, threads)
}

/// Run the replications numbered `indices` of `model` (streams from `seed`) on up to
/// `threads` threads. The result for index `i` is the same whatever the threads or batch.
pub fn run_indices(
    model: &Model,
    seed: u64,
    indices: &[u64],
    threads: usize,
) -> Result<Vec<Replication>, SimError> {
    run_indices_until(model, seed, indices, threads, &AtomicBool::new(false))
}

/// [`run_indices`], stopping with an error soon after `stop` is set (from another thread:
/// say, on Ctrl-C).
pub fn run_indices_until(
    model: &Model,
    seed: u64,
    indices: &[u64],
    threads: usize,
    stop: &AtomicBool,
) -> Result<Vec<Replication>, SimError> {
    model.validate()?;
    if indices.len() as u64 > MAX_REPLICATIONS {
        return Err(SimError(format!(
            "replications: at most {MAX_REPLICATIONS} in one run, got {}",
            indices.len()
        )));
    }
    fan_out(indices, threads, |index| {
        run_until(model, seed, index, stop)
    })
    .into_iter()
    .collect()
}

/// Run `one` for each of `indices` on up to `threads` threads, the results in the order of
/// `indices` (the simulators' replications: the inbound's and the blended day's). A panic
/// in one becomes an error that says so.
pub(super) fn fan_out<R: Send>(
    indices: &[u64],
    threads: usize,
    one: impl Fn(u64) -> Result<R, SimError> + Sync,
) -> Vec<Result<R, SimError>> {
    let guarded = |index: u64| guarded(index, || one(index));
    let threads = threads.clamp(1, indices.len().clamp(1, MAX_THREADS));
    let mut results: Vec<Option<Result<R, SimError>>> = indices.iter().map(|_| None).collect();
    let per = indices.len().div_ceil(threads).max(1);
    let work = |slots: &mut [Option<Result<R, SimError>>], ids: &[u64]| {
        for (slot, &index) in slots.iter_mut().zip(ids) {
            *slot = Some(guarded(index));
        }
    };
    std::thread::scope(|scope| {
        let mut chunks = results.chunks_mut(per).zip(indices.chunks(per));
        // the first batch runs on this thread, the others each on its own; a thread the
        // system will not start leaves its batch undone, to be run here after the others
        let first = chunks.next();
        let handles: Vec<_> = chunks
            .filter_map(|(slots, ids)| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, move || work(slots, ids))
                    .ok()
            })
            .collect();
        if let Some((slots, ids)) = first {
            work(slots, ids);
        }
        for h in handles {
            // (a replication's panic is caught inside it: a join error cannot carry one)
            let _ = h.join();
        }
    });
    results
        .into_iter()
        .zip(indices)
        .map(|(r, &index)| r.unwrap_or_else(|| guarded(index)))
        .collect()
}

/// Replication `index` by `run`, a panic in it turned into an error that says so.
fn guarded<R>(index: u64, run: impl FnOnce() -> Result<R, SimError>) -> Result<R, SimError> {
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(SimError(format!(
            "internal error in replication {index} (please report it): {what}"
        )))
    })
}
