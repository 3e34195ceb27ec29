//! Blended days: inbound calls and outbound campaigns on one pool of agents.
//!
//! A [`BlendModel`] describes inbound queues and call types, agent groups, and campaigns
//! (the [`Dialer`](crate::outbound::Dialer)'s configuration, a contact list and how the
//! contacts behave: person, machine, no answer, busy or failed by period of the day and
//! attempt; ring, talk and wrap-up times; answering-machine detection's false positives).
//! [`run_blend`] simulates one replication: the engine routes the inbound calls and the
//! people the campaigns reach (who join a queue `outbound:<campaign>` requiring the
//! campaign's skills, and are abandoned with the recorded message if no agent takes them
//! within the campaign's `connect_within`); the dialer paces each campaign for the agents
//! free for its queue less the blending threshold, after every event that may free an agent
//! or close a line and every `pace_every` seconds. [`run_blend_replications`] runs many in
//! parallel, with independent random streams derived from one seed.
//!
//! Readings of the model worth knowing:
//! - agents answer at once (no ring, no missed offers) and staffing is `fixed` or
//!   `intervals`;
//! - a preview campaign shows a contact to a free agent (as many as the threshold leaves
//!   free) and holds that agent while it decides (`preview`, default 10 s); it accepts with
//!   probability `preview_accept` (else the contact goes back to the list, eligible at
//!   once, and the agent is free) and the line is dialled for that agent alone, who stays
//!   held while it rings: a person who answers talks to them at once (nobody waits, nobody
//!   is abandoned but those taken for machines), anything else frees the agent (no
//!   wrap-up); the agent's time deciding and waiting on the line counts as working;
//! - a person who answers (and is not taken for a machine) asks to be called back with the
//!   probability `callback` of the period of the answer: the line closes with
//!   `callback_requested` for `reach.callback_after` later (the campaign's
//!   `retry.callback_requested` rule decides when it is dialled again: at the time asked,
//!   or later if the rule's delay is longer), and no agent is needed;
//! - the threshold acts at dial time only, as in the runtime (`callroute.outbound.plan.pace`):
//!   with a threshold of `k`, a campaign dials for the agents free for its queue less `k`
//!   (preview shows contacts to as many), and a person who answers joins the campaign's
//!   queue in the engine at once and waits there for any eligible agent (inbound wins ties:
//!   the campaign queue's weight is -1; `priority` ranks them against inbound calls), so
//!   inbound service level rises and outbound contacts fall as the threshold rises. Routing
//!   does not hold an answered person back for the threshold: a person held is a person
//!   abandoned at `connect_within`, counted toward the legal cap, for an agent the dialer
//!   already left idle;
//! - predictive campaigns are paced at once for agents idle now, and at each `pace_every`
//!   tick also for the busy agents expected to free up within a mean ring time (each with
//!   probability `1 - exp(-ring / (talk + wrap-up))`, less the waiting inbound calls and the
//!   threshold's shortfall);
//! - inbound first: the dialer is told, per progressive or predictive campaign, the inbound
//!   calls expected to reach its agents within a mean ring time (the arrival rate at the
//!   time, of the call types whose queue a group serves that also serves the campaign, times
//!   the mean of `ring`) and the idle agents the threshold keeps, who take the first of
//!   them (`outbound/pacing.rs`, "Inbound calls");
//! - contacts are `0..contacts` (one number each, zone 0; without zones the campaign dials
//!   from the start to the horizon); a contact's attempt draws its outcome, ring, talk and
//!   wrap-up from its own streams, so two pacing modes meet the same people (common random
//!   numbers); the outcome probabilities are read at the time of the dial;
//! - a person taken for a machine (`reach.amd_false_positive`) is reported to the dialer as
//!   a machine and counted here as abandoned; everything about a line counts in the interval
//!   it was dialled in.

mod model;
mod results;
mod run;

use std::sync::atomic::AtomicBool;

pub use model::{
    BlendGroup, BlendModel, CampaignModel, InboundTarget, InboundType, Reach, ReachRow,
    MAX_CONTACTS,
};
pub use results::{BlendReplication, OutboundCounters};

use super::parallel::{fan_out, MAX_REPLICATIONS};
use super::SimError;

/// Run one replication of `model` (replication `index` of the streams from `seed`).
pub fn run_blend(model: &BlendModel, seed: u64, index: u64) -> Result<BlendReplication, SimError> {
    run_blend_until(model, seed, index, &AtomicBool::new(false))
}

/// [`run_blend`], stopping with an error soon after `stop` is set (by another thread).
pub fn run_blend_until(
    model: &BlendModel,
    seed: u64,
    index: u64,
    stop: &AtomicBool,
) -> Result<BlendReplication, SimError> {
    model.validate()?;
    let mut sim = run::Blend::new(model, seed, index, stop)?;
    sim.run()?;
    Ok(sim.finish())
}

/// Run replications `0..replications` on up to `threads` threads (results in index order;
/// the result for index `i` is the same whatever the threads).
pub fn run_blend_replications(
    model: &BlendModel,
    seed: u64,
    replications: u64,
    threads: usize,
) -> Result<Vec<BlendReplication>, SimError> {
    let indices: Vec<u64> = (0..replications).collect();
    run_blend_indices_until(model, seed, &indices, threads, &AtomicBool::new(false))
}

/// Run the replications `indices` on up to `threads` threads (results in the order of
/// `indices`), stopping with an error soon after `stop` is set (by another thread).
pub fn run_blend_indices_until(
    model: &BlendModel,
    seed: u64,
    indices: &[u64],
    threads: usize,
    stop: &AtomicBool,
) -> Result<Vec<BlendReplication>, SimError> {
    if indices.len() as u64 > MAX_REPLICATIONS {
        return Err(SimError(format!(
            "replications: at most {MAX_REPLICATIONS} in one run, got {}",
            indices.len()
        )));
    }
    model.validate()?;
    fan_out(indices, threads, |index| {
        run_blend_until(model, seed, index, stop)
    })
    .into_iter()
    .collect()
}
