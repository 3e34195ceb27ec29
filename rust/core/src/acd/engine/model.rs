//! The engine's records: agents and their tasks, queues and their relaxation steps, the
//! per-step indices, calls, timers and the per-interval counters. Plain data with the few
//! helpers that read one record alone (an agent's skill level, capacity, load).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::acd::config::QueueConfig;
use crate::acd::keys::{AvailKey, CallKey, Us};
use crate::acd::ordset::OrdSet;
use crate::acd::stats::QueueCounters;
use crate::acd::timers::TimerKey;

use super::names::CallId;

/// An implicit queue for skills-routed calls. (Serialized as the tuple it once was:
/// postcard writes a struct's fields in order, like a tuple's.)
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct SkillQueue {
    /// tenant index
    pub(super) tenant: u32,
    /// media index
    pub(super) media: u32,
    /// the calls' requirements: (skill index, minimum level), sorted by skill
    pub(super) reqs: Vec<(u32, u8)>,
    /// the queue made for them
    pub(super) queue: u32,
}

/// The order in which an agent of several queues takes their waiting heads, least first:
/// higher (aged, boosted) priority, higher queue weight, older, earlier (`dispatch_rank`).
/// The derived order compares the fields in the order they are declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct DispatchRank {
    /// the effective priority now, exact (in 10⁻¹² point, see `aged_priority`), negated
    pub(super) priority: i128,
    /// the queue's weight, negated
    pub(super) weight: i64,
    /// the call's original arrival
    pub(super) arrival: Us,
    /// the call's sequence number
    pub(super) seq: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Timer {
    Step(u32),
    MaxWait(u32),
    Offer(u32),
    Retry(u32),
    WrapUp(u32, u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum Presence {
    LoggedOut,
    Ready,
    NotReady(u32),
}

/// An agent's reported state, compact: [`AgentState`](crate::acd::AgentState) with the not-ready reason by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum State {
    LoggedOut,
    Ready,
    NotReady(u32),
    Offered,
    Busy,
    WrapUp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum TaskKind {
    Offered,
    Busy,
    WrapUp,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Task {
    pub(super) uid: u64,
    pub(super) call: u32,
    pub(super) media: u32,
    pub(super) kind: TaskKind,
    pub(super) queue: u32,
    /// the statistics interval the call entered `queue` in: its wrap-up is counted there,
    /// like every other interval counter of the call, after the call itself is gone
    pub(super) interval: i64,
    pub(super) since: Us,
    pub(super) timer: Option<TimerKey>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Agent {
    pub(super) id: Arc<str>,
    pub(super) tenant: u32,
    pub(super) skills: Vec<(u32, u8)>,
    pub(super) capacity: Vec<u32>,
    pub(super) exclusive: Vec<u32>,
    pub(super) weight: f64,
    pub(super) auto_answer: bool,
    pub(super) order: u32,
    pub(super) presence: Presence,
    pub(super) tasks: Vec<Task>,
    pub(super) load: Vec<u32>,
    pub(super) exclusive_load: u32,
    pub(super) free_since: Us,
    pub(super) member_qs: Vec<u32>,
    pub(super) member_keys: Vec<Option<AvailKey>>,
    pub(super) queues: Vec<u32>,
    pub(super) no_answer_streak: u32,
    /// how many of `member_keys` are set (counted again after a restore)
    #[serde(skip)]
    pub(super) listed: u32,
    pub(super) state: State,
    pub(super) state_since: Us,
    // statistics
    pub(super) handled: u64,
    pub(super) offered: u64,
    pub(super) declined: u64,
    pub(super) missed: u64,
    pub(super) talk_us: i64,
    pub(super) wrapup_us: i64,
    pub(super) idle_us: i64,
    pub(super) busy_us: i64,
    pub(super) offered_us: i64,
    pub(super) wrap_state_us: i64,
    pub(super) not_ready_us: Vec<(u32, i64)>,
}

impl Agent {
    pub(super) fn level(&self, skill: u32) -> Option<u8> {
        self.skills
            .binary_search_by_key(&skill, |&(s, _)| s)
            .ok()
            .map(|i| self.skills[i].1)
    }

    pub(super) fn meets(&self, reqs: &[(u32, u8)]) -> bool {
        reqs.iter()
            .all(|&(s, min)| self.level(s).is_some_and(|l| l >= min))
    }

    #[inline]
    pub(super) fn cap(&self, media: u32) -> u32 {
        self.capacity.get(media as usize).copied().unwrap_or(0)
    }

    #[inline]
    pub(super) fn load_of(&self, media: u32) -> u32 {
        self.load.get(media as usize).copied().unwrap_or(0)
    }

    /// False when the agent is free for no media at all (not ready, or holding a task it
    /// takes alone): then `free_for` is false for every media.
    #[inline]
    pub(super) fn may_be_free(&self) -> bool {
        self.presence == Presence::Ready && self.exclusive_load == 0
    }

    #[inline]
    pub(super) fn free_for(&self, media: u32) -> bool {
        self.presence == Presence::Ready
            && self.exclusive_load == 0
            && self.load_of(media) < self.cap(media)
            && (self.tasks.is_empty() || !self.is_exclusive(media))
    }

    /// Whether `media` is one the agent takes alone. (Agents have one such media, voice, or
    /// none: those cases are tested directly, where a search would set up its vector loop
    /// for them at every call.)
    #[inline(always)]
    pub(super) fn is_exclusive(&self, media: u32) -> bool {
        match self.exclusive.as_slice() {
            [] => false,
            [m] => *m == media,
            ms => ms.contains(&media),
        }
    }

    #[inline(always)]
    pub(super) fn add_load(&mut self, media: u32, delta: i32) {
        let m = media as usize;
        if self.load.len() <= m {
            self.load.resize(m + 1, 0);
        }
        self.load[m] = self.load[m].wrapping_add_signed(delta);
        if self.is_exclusive(media) {
            self.exclusive_load = self.exclusive_load.wrapping_add_signed(delta);
        }
    }

    /// Time ready, busy, offered and in wrap-up (µs), counting the current state's spell
    /// as `ongoing`.
    pub(super) fn state_times(&self, ongoing: Us) -> [Us; 4] {
        let mut t = [
            self.idle_us,
            self.busy_us,
            self.offered_us,
            self.wrap_state_us,
        ];
        let current = match self.state {
            State::Ready => 0,
            State::Busy => 1,
            State::Offered => 2,
            State::WrapUp => 3,
            State::NotReady(_) | State::LoggedOut => return t,
        };
        t[current] += ongoing;
        t
    }

    pub(super) fn task_index(&self, uid: u64) -> usize {
        self.tasks
            .iter()
            .position(|t| t.uid == uid)
            .expect("task of a live call")
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Step {
    pub(super) after: Us,
    /// alternatives: an agent meeting any one set is eligible
    pub(super) reqs: Vec<Vec<(u32, u8)>>,
    /// cumulative priority boost
    pub(super) boost: i32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Queue {
    pub(super) id: Arc<str>,
    pub(super) config: QueueConfig,
    pub(super) tenants: Vec<u32>,
    pub(super) media: u32,
    pub(super) sl: Us,
    pub(super) short_abandon: Us,
    pub(super) wrapup: Us,
    pub(super) offer_timeout: Us,
    pub(super) retry: Us,
    pub(super) max_wait: Option<Us>,
    pub(super) overflow: Option<u32>,
    pub(super) steps: Vec<Step>,
    pub(super) qs0: u32,
    pub(super) open: bool,
    pub(super) rr_last: Option<u32>,
    pub(super) staffed: u32,
    pub(super) offering: u32,
    pub(super) counters: QueueCounters,
    pub(super) intervals: Intervals,
    /// all waiting calls in queue order, for their positions: kept only while positions
    /// are announced (not for the simulator), and rebuilt after a restore
    #[serde(skip)]
    pub(super) order: indexset::BTreeSet<CallKey>,
    /// an implicit queue (of skills-routed calls), freed when unused (see `implicit`);
    /// after a restore, rebuilt from `Engine::virtual_queues`
    #[serde(skip)]
    pub(super) implicit: bool,
    /// agents' tasks (offers, calls, wrap-ups) of this queue; rebuilt after a restore
    #[serde(skip)]
    pub(super) tasks: u32,
    /// the waiting calls by entry into the queue (entered, sequence, slot), for the longest
    /// current wait: kept and rebuilt like `order`
    #[serde(skip)]
    pub(super) by_entry: OrdSet<(Us, u64, u32)>,
    /// agents with an entry in the availability index of any of the queue's steps (kept by
    /// `refresh_agent`, counted again after a restore)
    #[serde(skip)]
    pub(super) available: u32,
}

impl Queue {
    /// The steps (by index into `Engine::qs`) whose requirements `agent` meets, in order;
    /// none if the queue is not for the agent's tenant or the agent cannot take its media.
    pub(super) fn steps_for(&self, agent: &Agent) -> Vec<u32> {
        if !self.tenants.contains(&agent.tenant) || agent.cap(self.media) == 0 {
            return Vec::new();
        }
        (0..self.steps.len() as u32)
            .filter(|&s| self.steps[s as usize].reqs.iter().any(|r| agent.meets(r)))
            .map(|s| self.qs0 + s)
            .collect()
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct QueueStep {
    pub(super) queue: u32,
    pub(super) avail: OrdSet<AvailKey>,
    pub(super) waiting: OrdSet<CallKey>,
    /// random strategies: the winning key of the last race (keys are drawn above it)
    pub(super) race: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum CallState {
    Waiting,
    Offered { agent: u32, task: u64, expires: Us },
    Connected { agent: u32, task: u64, answered: Us },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Call {
    pub(super) id: CallId,
    pub(super) media: u32,
    pub(super) queue: u32,
    pub(super) priority: i32,
    pub(super) arrival: Us,
    pub(super) entered: Us,
    pub(super) interval: i64,
    pub(super) seq: u64,
    pub(super) step: u32,
    pub(super) state: CallState,
    pub(super) callback: bool,
    pub(super) max_wait_due: bool,
    /// agents not to offer the call to again before a time, sorted by agent
    pub(super) excluded: Vec<(u32, Us)>,
    pub(super) data: Vec<(Arc<str>, Arc<str>)>,
    pub(super) key: CallKey,
    pub(super) step_timer: Option<TimerKey>,
    pub(super) max_wait_timer: Option<TimerKey>,
    pub(super) offer_timer: Option<TimerKey>,
    pub(super) retry_timer: Option<TimerKey>,
}

impl Call {
    /// Whether agent `a` is excluded from this call (a search: the list is sorted).
    #[inline]
    pub(super) fn excludes(&self, a: u32) -> bool {
        !self.excluded.is_empty() && self.excluded.binary_search_by_key(&a, |&(x, _)| x).is_ok()
    }
}

/// A queue's counters per interval, oldest first (interval index, counters). Calls enter
/// intervals in time order, so the latest interval is the usual one: it is tried first, in
/// O(1), where a map would walk down its tree three times for every call. (Serialized like
/// a map: postcard writes both as a length and the pairs.)
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub(super) struct Intervals(pub(super) Vec<(i64, QueueCounters)>);

impl Intervals {
    /// The counters of interval `i`, made if new.
    #[inline(always)]
    pub(super) fn at(&mut self, i: i64) -> &mut QueueCounters {
        // (a match on `last_mut` here would hold its borrow over the slow path)
        if self.0.last().is_some_and(|&(k, _)| k == i) {
            let last = self.0.len() - 1;
            return &mut self.0[last].1;
        }
        self.make(i)
    }

    #[cold]
    pub(super) fn make(&mut self, i: i64) -> &mut QueueCounters {
        let v = &mut self.0;
        let pos = match v.binary_search_by_key(&i, |&(k, _)| k) {
            Ok(pos) => pos,
            Err(pos) => {
                v.insert(pos, (i, QueueCounters::default()));
                pos
            }
        };
        &mut v[pos].1
    }

    /// Whether the intervals are strictly increasing (a decoded snapshot's may not be).
    pub(super) fn ordered(&self) -> bool {
        self.0.windows(2).all(|w| w[0].0 < w[1].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Snapshots written while `SkillQueue` was a tuple read the same.
    #[test]
    fn skill_queue_serializes_as_its_tuple() {
        let v = SkillQueue {
            tenant: 1,
            media: 2,
            reqs: vec![(3, 4), (5, 6)],
            queue: 7,
        };
        let tuple: (u32, u32, Vec<(u32, u8)>, u32) = (1, 2, vec![(3, 4), (5, 6)], 7);
        let bytes = postcard::to_allocvec(&v).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&tuple).unwrap());
        let back: SkillQueue = postcard::from_bytes(&bytes).unwrap();
        assert_eq!((back.tenant, back.media, back.reqs, back.queue), tuple);
    }

    /// `DispatchRank` orders as the tuple it was: lexicographically, fields in order.
    #[test]
    fn dispatch_rank_orders_as_its_tuple() {
        let values = [-1i64, 0, 1];
        let mut ranks = Vec::new();
        for &a in &values {
            for &b in &values {
                for &c in &values {
                    for d in [0u64, 1] {
                        ranks.push((a, b, c, d));
                    }
                }
            }
        }
        let rank = |&(priority, weight, arrival, seq): &(i64, i64, Us, u64)| DispatchRank {
            priority: i128::from(priority),
            weight,
            arrival,
            seq,
        };
        for x in &ranks {
            for y in &ranks {
                assert_eq!(rank(x).cmp(&rank(y)), x.cmp(y), "{x:?} vs {y:?}");
            }
        }
    }
}
