//! Replications in parallel: independent streams per replication index, results in order.

use super::model::Model;
use super::run::{run, Replication};
use super::SimError;

/// Run the replications numbered `indices` of `model` (streams from `seed`) on up to
/// `threads` threads. The result for index `i` is the same whatever the threads or batch.
pub fn run_indices(
    model: &Model,
    seed: u64,
    indices: &[u64],
    threads: usize,
) -> Result<Vec<Replication>, SimError> {
    model.validate()?;
    let threads = threads.clamp(1, indices.len().max(1));
    let mut results: Vec<Option<Result<Replication, SimError>>> =
        indices.iter().map(|_| None).collect();
    let per = indices.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (slots, ids) in results.chunks_mut(per).zip(indices.chunks(per)) {
            scope.spawn(move || {
                for (slot, &index) in slots.iter_mut().zip(ids) {
                    *slot = Some(run(model, seed, index));
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(SimError("a replication did not run".into()))))
        .collect()
}
