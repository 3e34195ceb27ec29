//! Live statistics, updated in O(1) per event.

use serde::{Deserialize, Serialize};

/// Counters of one queue (or one interval of a queue). Times in microseconds inside,
/// seconds in the accessors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueCounters {
    /// calls that entered the queue (arrivals, overflows and transfers in)
    pub offered: u64,
    /// calls answered by an agent of this queue
    pub answered: u64,
    /// answered within the SL threshold
    pub answered_within_sl: u64,
    /// callers that hung up while waiting here
    pub abandoned: u64,
    /// of which within the short-abandon threshold
    pub short_abandoned: u64,
    /// left unanswered (max wait, no agents) or rejected at entry
    pub exited: u64,
    /// moved to another queue (overflow or transfer while waiting)
    pub moved_out: u64,
    /// answered calls that have ended (talk measured)
    pub completed: u64,
    /// total wait of answered calls in this queue (µs; the totals stop at
    /// [`MAX_TOTAL_US`] rather than overflow)
    pub wait_answered_us: i64,
    /// total wait of abandoned calls (µs)
    pub wait_abandoned_us: i64,
    /// total talk of completed calls (µs)
    pub talk_us: i64,
    /// total after-call work (µs)
    pub wrapup_us: i64,
}

impl QueueCounters {
    /// Average speed of answer (seconds), NaN before any answer.
    pub fn asa(&self) -> f64 {
        ratio(self.wait_answered_us, self.answered)
    }

    /// Average handle time: talk plus after-call work per completed call (seconds).
    pub fn aht(&self) -> f64 {
        ratio(self.talk_us.saturating_add(self.wrapup_us), self.completed)
    }

    /// Answered within threshold over offered (NaN before any call).
    pub fn service_level(&self) -> f64 {
        if self.offered == 0 {
            f64::NAN
        } else {
            self.answered_within_sl as f64 / self.offered as f64
        }
    }
}

/// The largest accumulated time a queue counter holds, µs (2^60, some 36,500 years of
/// waiting or talking): the totals stop there rather than overflow, and a snapshot's totals
/// are checked against the same bound.
pub const MAX_TOTAL_US: i64 = 1 << 60;

/// `total + span` (µs), held at [`MAX_TOTAL_US`].
#[inline]
pub(crate) fn add_us(total: i64, span: i64) -> i64 {
    total.saturating_add(span).min(MAX_TOTAL_US)
}

fn ratio(total_us: i64, n: u64) -> f64 {
    if n == 0 {
        f64::NAN
    } else {
        total_us as f64 * 1e-6 / n as f64
    }
}

/// Statistics of a queue at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueStats {
    /// the running counters
    pub counters: QueueCounters,
    /// calls waiting now
    pub waiting: u64,
    /// calls being offered now
    pub offering: u64,
    /// the longest current wait, seconds (0 with none waiting)
    pub longest_wait: f64,
    /// logged-in agents eligible for the queue at any step
    pub agents_logged_in: u64,
    /// of which free to take a call of the queue now
    pub agents_available: u64,
    /// expected wait of a call arriving now (seconds)
    pub expected_wait: f64,
}

/// Statistics of one agent. Times in seconds.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AgentStats {
    /// calls accepted
    pub handled: u64,
    /// offers made
    pub offered: u64,
    /// offers declined
    pub declined: u64,
    /// offers that lapsed unanswered
    pub missed: u64,
    /// time on calls
    pub talk: f64,
    /// time in after-call work
    pub wrapup: f64,
    /// time ready and idle
    pub idle: f64,
    /// time being offered a call
    pub offered_time: f64,
    /// time not ready, per reason
    pub not_ready: Vec<(String, f64)>,
    /// (talk + wrapup + offered) / (that + idle); NaN before any logged-in time
    pub occupancy: f64,
}
