//! The simulator: the production routing engine ([`crate::acd::Engine`]) in virtual time.
//!
//! A [`Model`] describes queues (the engine's own configuration), agent groups with staffing,
//! call types (handle time, patience, retrials, callbacks) and arrivals; [`run`] simulates one
//! replication and [`run_replications`] many, in parallel, with independent random streams
//! derived from one seed.

mod dist;
mod lab;
mod model;
mod parallel;
mod run;

pub mod blend;
mod heap;

pub use dist::{CallStream, Dist, Draw, Stream, MAX_CV, MAX_DURATION};
pub use lab::{Balking, Busyness, Periods, MAX_LEVEL_FACTOR};
pub use model::{
    AgentGroup, Arrivals, CallType, CallbackOffer, Model, Retrial, Shift, Staffing, MAX_IN_SYSTEM,
    MAX_TIME,
};
pub use parallel::{
    run_indices, run_indices_until, run_replications, MAX_REPLICATIONS, MAX_THREADS,
};
pub use run::{run, run_until, CallRecords, Counters, Replication};

/// A simulation model that cannot run, with the field at fault named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimError(pub String);

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SimError {}
