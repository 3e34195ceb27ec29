//! What goes in and out of the dialer besides configuration: outcomes, dials, preview
//! offers, pacing inputs, and the views and statistics it reports.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// How a dialled line ended (or, for `Person`, that a person answered: the line then waits
/// for [`agent_connected`](super::Dialer::agent_connected) or
/// [`connect_timeout`](super::Dialer::connect_timeout)).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// a person answered (as answering-machine detection saw it)
    Person,
    /// an answering machine (as detection saw it; a configured share were people)
    Machine,
    /// rang out unanswered
    NoAnswer,
    /// busy
    Busy,
    /// the network failed the call (bad number, congestion, ...)
    Failed,
    /// the called party asked to be called back at `at` (seconds, dialer clock)
    CallbackRequested {
        /// when to call back (the contact is eligible from then, inside its window)
        at: f64,
    },
}

impl Outcome {
    /// The outcome's name (`person`, `machine`, `no_answer`, `busy`, `failed`,
    /// `callback_requested`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Machine => "machine",
            Self::NoAnswer => "no_answer",
            Self::Busy => "busy",
            Self::Failed => "failed",
            Self::CallbackRequested { .. } => "callback_requested",
        }
    }
}

/// How a contact ended. A contact without one is pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinalOutcome {
    /// a person answered and was joined to an agent
    DonePerson,
    /// the retry rule of its last outcome allowed no more attempts
    Exhausted,
    /// every number it has is on a do-not-call list
    Dnc,
    /// a person answered, no agent came in time, and the abandoned rule allowed no retry
    Abandoned,
}

impl FinalOutcome {
    /// All final outcomes, in order.
    pub const ALL: [FinalOutcome; 4] = [
        FinalOutcome::DonePerson,
        FinalOutcome::Exhausted,
        FinalOutcome::Dnc,
        FinalOutcome::Abandoned,
    ];

    /// The outcome's name (`done_person`, `exhausted`, `dnc`, `abandoned`).
    pub fn name(self) -> &'static str {
        match self {
            Self::DonePerson => "done_person",
            Self::Exhausted => "exhausted",
            Self::Dnc => "dnc",
            Self::Abandoned => "abandoned",
        }
    }
}

/// A decision to place a call: originate `number` for `contact` of `campaign` on line
/// `line_id`, presenting `caller_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dial {
    /// sequential over the whole dialer, from 1; outcomes name it
    pub line_id: u64,
    /// the campaign's id
    pub campaign: Arc<str>,
    /// the contact's id
    pub contact: Arc<str>,
    /// the number to call (never one on a do-not-call list)
    pub number: Arc<str>,
    /// the campaign's caller id
    pub caller_id: Arc<str>,
    /// which attempt this is for the contact (1 for the first)
    pub attempt: u32,
    /// in preview mode, the agent that accepted (if the caller named one)
    pub agent: Option<Arc<str>>,
}

/// A preview: show `contact` to an agent of `campaign`; the agent accepts
/// ([`preview_accepted`](super::Dialer::preview_accepted), giving a [`Dial`]) or rejects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewOffer {
    /// the campaign's id
    pub campaign: Arc<str>,
    /// the contact's id
    pub contact: Arc<str>,
    /// the number that would be dialled
    pub number: Arc<str>,
    /// the contact's priority
    pub priority: i32,
    /// the contact's attached data
    pub data: BTreeMap<String, String>,
    /// attempts so far
    pub attempts: u32,
}

/// What one [`pace`](super::Dialer::pace) decided, in order: campaigns in the order they
/// were added, contacts in ready order within each.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Pacing {
    /// calls to place now (progressive and predictive campaigns)
    pub dials: Vec<Dial>,
    /// contacts to show to agents (preview campaigns)
    pub offers: Vec<PreviewOffer>,
}

/// The agents a campaign may use, as the caller sees them after the blending threshold.
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct FreeAgents {
    /// agents free now for this campaign (not reserved for answered calls)
    pub free: u32,
    /// expected number of busy agents that free up within the ring time (>= 0; predictive
    /// pacing counts them, progressive and preview do not)
    pub freeing: f64,
    /// expected number of inbound calls that reach this campaign's agents within one ring
    /// time (>= 0; their arrivals, a Poisson count): inbound has priority, so an agent a
    /// line was dialled for may be gone when the person answers. Predictive and progressive
    /// pacing plan for them (`pacing.rs`, "Inbound calls"); preview does not (its line
    /// rings for an agent held for it).
    #[serde(default)]
    pub inbound: f64,
    /// idle agents of the campaign's the blending threshold keeps for inbound (not counted
    /// in `free`): they take the first of those inbound calls
    #[serde(default)]
    pub kept: u32,
}

impl FreeAgents {
    /// `free` agents now, none expected to free up, no inbound expected.
    pub const fn now(free: u32) -> Self {
        Self {
            free,
            freeing: 0.0,
            inbound: 0.0,
            kept: 0,
        }
    }

    /// `free` agents now and `freeing` expected to free up within a ring time, no inbound
    /// expected.
    pub const fn freeing(free: u32, freeing: f64) -> Self {
        Self {
            free,
            freeing,
            inbound: 0.0,
            kept: 0,
        }
    }
}

/// Where a contact is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// waiting to be dialled, eligible from `next_eligible` (inside its zone's window)
    Pending,
    /// shown to an agent in a preview offer
    Offered,
    /// a line is ringing
    Dialling {
        /// the line
        line: u64,
    },
    /// a person answered; waiting for an agent
    Answered {
        /// the line
        line: u64,
    },
    /// ended
    Final(FinalOutcome),
}

/// A contact's state (results export, tests).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactView {
    /// the contact's id
    pub id: Arc<str>,
    /// its numbers
    pub numbers: Vec<Arc<str>>,
    /// its priority
    pub priority: i32,
    /// its zone
    pub zone: u32,
    /// its attached data
    pub data: BTreeMap<String, String>,
    /// attempts made (lines dialled for it)
    pub attempts: u32,
    /// earliest time it may be dialled again (seconds; meaningful while pending)
    pub next_eligible: f64,
    /// where it is
    pub status: ContactStatus,
    /// the outcome of its last attempt, by name (`None` before any)
    pub last_outcome: Option<&'static str>,
}

/// A line's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineView {
    /// the line
    pub line_id: u64,
    /// its campaign
    pub campaign: Arc<str>,
    /// its contact
    pub contact: Arc<str>,
    /// the number dialled
    pub number: Arc<str>,
    /// when it was dialled
    pub dialled_at: f64,
    /// when a person answered, if one has
    pub answered_at: Option<f64>,
}

/// A campaign's counters since it was added, and its rolling abandonment rate.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct CampaignStats {
    /// lines dialled
    pub dials: u64,
    /// person answers (as detection saw them)
    pub person: u64,
    /// answering machines (as detection saw them)
    pub machine: u64,
    /// no answer
    pub no_answer: u64,
    /// busy
    pub busy: u64,
    /// network failures
    pub failed: u64,
    /// callbacks requested
    pub callback_requested: u64,
    /// people joined to an agent
    pub connected: u64,
    /// people who got no agent in time (connect timeouts)
    pub abandoned: u64,
    /// `abandoned` plus the expected AMD false positives (people taken for machines)
    pub abandoned_with_amd: f64,
    /// live answers in the rolling window (person answers plus expected false positives)
    pub window_answered: f64,
    /// abandoned in the rolling window (incl. expected false positives)
    pub window_abandoned: f64,
    /// `window_abandoned / window_answered` (0 with no answers)
    pub abandonment_rate: f64,
    /// the window's remaining abandonment budget predictive pacing spends:
    /// `abandon_cap × window_answered − window_abandoned` (negative once over the cap)
    pub budget: f64,
    /// the exponentially weighted answer rate pacing uses
    pub answer_rate: f64,
    /// lines ringing or answered and waiting for an agent
    pub lines_open: u64,
    /// preview offers awaiting the agent's answer
    pub offers_open: u64,
    /// contacts added
    pub contacts: u64,
    /// contacts with a final outcome
    pub contacts_done: u64,
    /// contacts without one
    pub contacts_pending: u64,
    /// contacts by final outcome, by name
    pub finals: BTreeMap<String, u64>,
}

/// The inbound load a blended group carries, for the automatic blending threshold.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundLoad {
    /// offered inbound traffic, Erlangs (arrival rate × mean handle time), >= 0
    pub traffic: f64,
    /// mean handle time, seconds > 0 (inbound and outbound alike)
    pub aht: f64,
    /// service-level threshold: answered within this many seconds, >= 0
    pub answer_within: f64,
    /// the service level to meet, in (0, 1)
    pub target: f64,
}
