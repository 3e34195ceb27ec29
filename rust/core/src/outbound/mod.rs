//! Outbound dialing: campaigns, contacts, pacing, and the abandonment cap.
//!
//! [`Dialer`] is a deterministic state machine next to the [`Engine`](crate::acd::Engine),
//! with the engine's rules: no I/O, no clock (every input carries `now`, seconds, never
//! earlier than a time already given), a typed [`DialerError`] naming the problem for every
//! bad input (an error changes nothing), ties broken by explicit order, and
//! [`Dialer::snapshot`] / [`Dialer::restore`] of everything, contact states included.
//!
//! # The contract
//!
//! - Setup: [`Dialer::add_campaign`] ([`CampaignConfig`]: mode, retry rules, cap and its
//!   window, AMD false-positive rate, lines per agent, blending, zone windows), then
//!   [`Dialer::add_contacts`] ([`ContactSpec`]: id, numbers, priority, data, zone index),
//!   [`Dialer::set_zone_windows`] (replace one zone's spans, or add the next zone),
//!   [`Dialer::set_dnc`] (the dialer's own list, or a campaign's), and
//!   [`Dialer::start_campaign`] / [`Dialer::stop_campaign`] (campaigns start stopped).
//! - Pacing: [`Dialer::pace`]`(now, free agents per campaign)` returns a [`Pacing`]: the
//!   [`Dial`]s to place (line ids sequential from 1) and the [`PreviewOffer`]s to show.
//!   What is already out counts against the free agents: progressive campaigns keep as many
//!   lines ringing as agents free now; predictive ones as many as
//!   [`predictive_lines`] allows with the window's budget cut to the allowance of the
//!   campaign's `abandon_risk` ([`abandon_allowance`], the margin widened by
//!   [`abandon_dispersion`]; see `pacing.rs`); preview ones as many open offers as
//!   agents free now. A contact is dialled only while its zone is open (inside one of its
//!   spans), never on a do-not-call number (a contact left with only such numbers ends
//!   `dnc` when it next comes up), in ready order: higher priority, then earlier eligible,
//!   then earlier sequence.
//! - Preview: [`Dialer::preview_accepted`] gives the [`Dial`] (or `None` if every number
//!   went on a do-not-call list meanwhile: the contact ends `dnc`; or if its zone closed
//!   meanwhile: the contact is pending again);
//!   [`Dialer::preview_rejected`] puts the contact back, eligible now, behind the contacts
//!   of its priority already eligible.
//! - Outcomes: [`Dialer::outcome`]`(line, Outcome)` for a ringing line. `Person` keeps the
//!   line open until [`Dialer::agent_connected`] (the contact ends `done_person`) or
//!   [`Dialer::connect_timeout`] (abandoned: counts toward the cap; the `abandoned` retry
//!   rule decides). Every other outcome closes the line and applies its retry rule: retry
//!   `delay` later while the contact has had fewer than `max_attempts` attempts in all,
//!   else it ends `exhausted`. A callback is eligible at the later of the time asked and the
//!   rule's delay. The caller times the connect limit (`connect_within`).
//! - Time: [`Dialer::next_deadline`] is the next time a waiting contact becomes eligible or
//!   a closed zone holding ready contacts opens; [`Dialer::advance`] moves due contacts to
//!   the ready queues ([`Dialer::pace`] advances first by itself).
//! - Blending: [`blending_threshold`] (`Fixed(k)` or `Auto` from the inbound load; see
//!   `blend.rs` for the rule) says how many idle agents to keep for inbound; the caller
//!   passes the free agents that remain.
//!
//! Deviations from (or readings of) OUT-SPEC.md:
//! - AMD false-positive rate `r` = P(a person is taken for a machine): each person answer
//!   stands for `1 / (1 - r)` live answers, `r / (1 - r)` of them abandoned (counted in the
//!   window's answered and abandoned alike).
//! - Abandoned people have a retry rule of their own (`retry.abandoned`, default: never
//!   retried, the contact ends `abandoned`); `max_attempts` counts every attempt of the
//!   contact, whatever their outcomes.
//! - Predictive pacing counts lines already ringing in `N` (so a budget is not spent twice)
//!   and never dials fewer lines than agents free now less those inbound calls would take
//!   first (`pacing.rs`, "Inbound calls"), so a spent budget slows it to progressive rather
//!   than stopping it; progressive dials that many too. The answer rate is
//!   the exponentially weighted share of `Person` among ringing-line outcomes.
//! - The rolling ledger counts in buckets of `window / 10,000`: an event leaves the window
//!   between one window and one window plus a bucket after it happened.
//! - `pace` takes `&[(campaign, FreeAgents { free, freeing, inbound, kept })]` and returns dials and
//!   preview offers together ([`Pacing`]); campaigns are paced in the order they were added.
//! - `set_dnc(None | Some(campaign), numbers)` replaces the dialer's or a campaign's list; a
//!   pending contact left with only DNC numbers ends `dnc` when it next comes up (at once
//!   when added). Contact ids are per campaign, so the preview calls name the campaign.
//! - `agent_connected` / `connect_timeout` need a `Person` outcome first; on an answered
//!   line `outcome` only takes `CallbackRequested`. A preview accepted after its zone closed
//!   is not dialled (`None`; pending again).
//! - Limits: `max_lines_per_agent` in [1, 1000], `free`, `freeing` and `inbound` at most
//!   [`MAX_FREE_AGENTS`] per campaign; pacing work is bounded by the binomial's bulk times
//!   the inbound Poisson's.
//! - Blending `Auto` keeps the smallest `t` idle whose inbound SL, from the blended
//!   birth-death chain of the issue, meets the target (not Erlang C on `agents - t`
//!   servers: inbound takes any idle agent, and agents on outbound calls come back to it as
//!   their calls end): see `blend.rs`.
//! - Snapshots are a magic, a version and postcard (no checksum, unlike the engine's);
//!   restore re-checks everything and rebuilds every index from the contacts' states.

mod blend;
mod config;
mod error;
mod inbound;
mod inputs;
mod ledger;
mod pace;
mod pacing;
mod queries;
mod snapshot;
mod state;
mod types;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

pub use blend::{blended_service_level, blending_threshold};
pub use config::{
    Blending, CampaignConfig, ContactSpec, DialMode, RetryRule, RetryRules, MAX_SECONDS,
};
pub use error::DialerError;
pub use inbound::inbound_reserve;
pub use pacing::{abandon_allowance, abandon_dispersion, predictive_lines, PacingInput};
pub use types::{
    CampaignStats, ContactStatus, ContactView, Dial, FinalOutcome, FreeAgents, InboundLoad,
    LineView, Outcome, Pacing, PreviewOffer,
};

use ledger::Us;
use state::{Campaign, Line};

/// Largest `free` or `freeing` a pacing input may give for one campaign.
pub const MAX_FREE_AGENTS: u32 = 1_000_000;

/// The outbound dialer: campaigns, their contacts and lines, pacing. See the module doc.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Dialer {
    /// the last time seen (µs); `None` before the first input
    clock: Option<Us>,
    campaigns: Vec<Campaign>,
    /// numbers no campaign may dial
    dnc: BTreeSet<Arc<str>>,
    /// open lines (ringing, or answered and waiting for an agent)
    lines: BTreeMap<u64, Line>,
    /// the last line id given (0: none yet)
    last_line: u64,
    /// the last contact sequence number given
    last_seq: u64,
    #[serde(skip)]
    campaign_ids: HashMap<Arc<str>, u32>,
    /// pending contacts eligible later: (time, campaign, contact) (rebuilt)
    #[serde(skip)]
    waiting: BTreeSet<(Us, u32, u32)>,
}

impl Dialer {
    /// An empty dialer.
    pub fn new() -> Self {
        Self::default()
    }

    /// `now` in µs, checked: finite, in range, not before the last time seen.
    fn check_time(&self, now: f64) -> Result<Us, DialerError> {
        let t = to_us("now", now)?;
        if let Some(c) = self.clock {
            if t < c {
                return Err(DialerError::BadTime(format!(
                    "time went backwards: now = {now} is before the last time seen, {}",
                    secs(c)
                )));
            }
        }
        Ok(t)
    }

    /// The last time seen (seconds), if any input carried one.
    pub fn now(&self) -> Option<f64> {
        self.clock.map(secs)
    }
}

/// Seconds to µs, refusing NaN, infinities and times beyond ±[`MAX_SECONDS`].
pub(crate) fn to_us(name: &str, seconds: f64) -> Result<Us, DialerError> {
    if !seconds.is_finite() || seconds.abs() > MAX_SECONDS {
        return Err(DialerError::BadTime(format!(
            "{name} must be a finite time within ±{MAX_SECONDS:e} seconds, got {seconds}"
        )));
    }
    Ok(crate::acd::keys::round(seconds * 1e6))
}

/// µs to seconds.
pub(crate) fn secs(t: Us) -> f64 {
    t as f64 * 1e-6
}
