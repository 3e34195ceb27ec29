//! The dialer's internal state: campaigns, contacts, lines, and the indices rebuilt from
//! them after a restore.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

// lookups only: nothing iterates these maps, so their order never reaches a decision
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};

use super::config::CampaignConfig;
use super::ledger::{Ledger, Us};
use super::types::FinalOutcome;

/// A pending contact's place in its zone's ready set: higher priority first, then earlier
/// eligible, then earlier sequence (the order contacts were added, or re-offered).
pub(crate) type ReadyKey = (i64, Us, u64, u32);

pub(crate) fn ready_key(c: &Contact, index: u32) -> ReadyKey {
    (-i64::from(c.priority), c.next_eligible, c.seq, index)
}

/// Where a contact is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum State {
    /// in `waiting` (eligible later) or in its zone's ready set (eligible now)
    Pending,
    /// in an open preview offer
    Offered,
    /// its line is ringing
    Dialling(u64),
    /// a person answered its line and waits for an agent
    Answered(u64),
    Final(FinalOutcome),
}

/// The kinds of outcome, as counted and remembered (index into names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Last {
    Person,
    Machine,
    NoAnswer,
    Busy,
    Failed,
    CallbackRequested,
    Connected,
    Abandoned,
}

impl Last {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Machine => "machine",
            Self::NoAnswer => "no_answer",
            Self::Busy => "busy",
            Self::Failed => "failed",
            Self::CallbackRequested => "callback_requested",
            Self::Connected => "connected",
            Self::Abandoned => "abandoned",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Contact {
    pub id: Arc<str>,
    pub numbers: Vec<Arc<str>>,
    pub priority: i32,
    pub data: BTreeMap<String, String>,
    pub zone: u32,
    pub attempts: u32,
    pub next_eligible: Us,
    /// tie-breaker after priority and eligibility
    pub seq: u64,
    /// the number the next attempt tries first
    pub next_number: u32,
    pub state: State,
    pub last: Option<Last>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Zone {
    /// sorted, disjoint allowed [start, end) spans, µs
    pub spans: Vec<(Us, Us)>,
    /// pending contacts of the zone eligible now (rebuilt after a restore)
    #[serde(skip)]
    pub ready: BTreeSet<ReadyKey>,
}

impl Zone {
    /// Whether `t` is inside a span.
    pub(crate) fn open_at(&self, t: Us) -> bool {
        let i = self.spans.partition_point(|&(_, e)| e <= t);
        i < self.spans.len() && self.spans[i].0 <= t
    }

    /// The first span start after `t` (when closed at `t`).
    pub(crate) fn next_open(&self, t: Us) -> Option<Us> {
        let i = self.spans.partition_point(|&(_, e)| e <= t);
        self.spans.get(i).map(|&(s, _)| s.max(t))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Counters {
    pub dials: u64,
    pub person: u64,
    pub machine: u64,
    pub no_answer: u64,
    pub busy: u64,
    pub failed: u64,
    pub callback_requested: u64,
    pub connected: u64,
    pub abandoned: u64,
    pub finals: [u64; 4],
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Campaign {
    /// encoded as snapshot version 1 did; the settings added since go in the tail
    #[serde(with = "super::snapshot::config_v1")]
    pub config: CampaignConfig,
    pub id: Arc<str>,
    pub caller_id: Arc<str>,
    pub running: bool,
    /// this campaign's do-not-call numbers (on top of the dialer's)
    pub dnc: BTreeSet<Arc<str>>,
    pub zones: Vec<Zone>,
    pub contacts: Vec<Contact>,
    pub ledger: Ledger,
    /// exponentially weighted person-answer rate
    pub answer_rate: f64,
    pub counters: Counters,
    #[serde(skip)]
    pub contact_ids: HashMap<Arc<str>, u32>,
    /// lines ringing (rebuilt)
    #[serde(skip)]
    pub ringing: u32,
    /// lines answered, waiting for an agent (rebuilt)
    #[serde(skip)]
    pub answered: u32,
    /// open preview offers (rebuilt)
    #[serde(skip)]
    pub offers: u32,
    /// the last (count, risk, Poisson mean) of the pacer's allowance (a cache, recomputed
    /// when the window's count or the risk changes)
    #[serde(skip)]
    pub allowance: Option<(f64, f64, f64)>,
    /// the last (inbound bits, kept) of a pacing input and the inbound's point masses (a
    /// cache: the rate changes far less often than the pacer is asked)
    #[serde(skip)]
    pub inbound: Option<(u64, u32, super::inbound::Inbound)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Line {
    pub campaign: u32,
    pub contact: u32,
    pub number: Arc<str>,
    pub dialled_at: Us,
    pub answered_at: Option<Us>,
}
