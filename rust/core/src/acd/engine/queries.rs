//! Read-only queries: the clock, totals, ids, an agent's state, a call's information, and
//! the queue, interval and agent statistics.

use std::sync::Arc;

use crate::acd::decision::AgentState;
use crate::acd::error::EngineError;
use crate::acd::keys::secs;
use crate::acd::stats::{AgentStats, QueueCounters, QueueStats};

use super::model::{Call, CallState, State};
use super::{CallInfo, Engine, Totals};

impl Engine {
    /// The last time seen (seconds); `None` before the first timed input.
    pub fn now(&self) -> Option<f64> {
        (self.clock != i64::MIN).then(|| secs(self.clock))
    }

    /// Conservation totals.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Ids of the queues, in the order they were added (implicit skill queues included,
    /// while in use, each in the slot it took: a freed one's or a new one).
    pub fn queue_ids(&self) -> Vec<Arc<str>> {
        self.queues
            .iter()
            .filter(|q| !q.is_vacant())
            .map(|q| q.id.clone())
            .collect()
    }

    /// Ids of the agents, in the order they were added.
    pub fn agent_ids(&self) -> Vec<Arc<str>> {
        self.agents.iter().map(|a| a.id.clone()).collect()
    }

    /// Ids of the calls in the engine, in arrival order.
    pub fn call_ids(&self) -> Vec<Arc<str>> {
        let mut live: Vec<&Call> = self.calls.live().collect();
        live.sort_by_key(|c| c.seq);
        live.iter().map(|c| c.id.to_arc()).collect()
    }

    /// An agent's current state.
    pub fn agent_state(&self, agent: &str) -> Result<AgentState, EngineError> {
        Ok(self.public_state(self.agents[self.agent_index(agent)? as usize].state))
    }

    /// An agent's skills and levels now (as `add_agent` or the last `set_agent_skills` gave
    /// them), ordered by skill name.
    pub fn agent_skills(&self, agent: &str) -> Result<Vec<(Arc<str>, u8)>, EngineError> {
        let a = &self.agents[self.agent_index(agent)? as usize];
        let mut out: Vec<(Arc<str>, u8)> = a
            .skills
            .iter()
            .map(|&(s, level)| (self.skills.name(s).clone(), level))
            .collect();
        out.sort_unstable_by(|x, y| x.0.cmp(&y.0));
        Ok(out)
    }

    /// Where a call is.
    pub fn call_info(&self, call: &str) -> Result<CallInfo, EngineError> {
        let c = self.call_index(call)?;
        let info = self.call(c);
        let queue = &self.queues[info.queue as usize];
        let (agent, waiting) = match info.state {
            CallState::Waiting => (None, true),
            CallState::Offered { agent, .. } | CallState::Connected { agent, .. } => {
                (Some(self.agents[agent as usize].id.clone()), false)
            }
        };
        let (position, expected_wait) = if waiting {
            let (p, w) = self.position_of(c);
            (Some(p), Some(w))
        } else {
            (None, None)
        };
        Ok(CallInfo {
            queue: queue.id.clone(),
            state: self.state_name(c),
            agent,
            position,
            expected_wait,
            arrival: secs(info.arrival),
            priority: info
                .priority
                .saturating_add(queue.steps[info.step as usize].boost),
            step: info.step,
            callback: info.callback,
            data: info.data.clone(),
        })
    }

    /// A queue's live statistics.
    pub fn queue_stats(&self, queue: &str) -> Result<QueueStats, EngineError> {
        let q = self.queue_index(queue)?;
        let queue = &self.queues[q as usize];
        let steps = queue.qs0 as usize..queue.qs0 as usize + queue.steps.len();
        let waiting = self.qs[steps]
            .iter()
            .map(|qs| qs.waiting.len() as u64)
            .sum();
        // the earliest entry among the waiting calls: first by entry (the simulator's raw
        // mode keeps no such index, and reads none of this: a scan there)
        let entered = if self.raw_out {
            self.waiting_keys(q)
                .map(|k| self.call(k.call).entered)
                .min()
        } else {
            queue.by_entry.first().map(|&(t, _, _)| t)
        };
        let longest = entered.map_or(0.0, |t| secs(self.clock - t));
        let available = queue.available;
        let aht = if queue.counters.completed > 0 {
            queue.counters.aht()
        } else {
            queue.config.expected_aht
        };
        let expected_wait = if waiting > 0 || available == 0 {
            if queue.staffed == 0 {
                f64::INFINITY
            } else {
                (waiting as f64 + 1.0) * aht / f64::from(queue.staffed)
            }
        } else {
            0.0
        };
        Ok(QueueStats {
            counters: queue.counters.clone(),
            waiting,
            offering: u64::from(queue.offering),
            longest_wait: longest,
            agents_logged_in: u64::from(queue.staffed),
            agents_available: u64::from(available),
            expected_wait,
        })
    }

    /// A queue's counters per interval (interval start in seconds, counters), oldest first.
    /// Calls count in the interval in which they entered the queue.
    pub fn interval_stats(&self, queue: &str) -> Result<Vec<(f64, QueueCounters)>, EngineError> {
        let q = self.queue_index(queue)?;
        Ok(self.queues[q as usize]
            .intervals
            .0
            .iter()
            .map(|(i, c)| (secs(i * self.interval), c.clone()))
            .collect())
    }

    /// An agent's statistics up to the last time seen.
    pub fn agent_stats(&self, agent: &str) -> Result<AgentStats, EngineError> {
        let ag = &self.agents[self.agent_index(agent)? as usize];
        let ongoing = if self.clock == i64::MIN {
            0
        } else {
            self.clock - ag.state_since
        };
        let [idle, busy, offered, wrap] = ag.state_times(ongoing);
        let mut times = ag.not_ready_us.clone();
        if let State::NotReady(r) = ag.state {
            super::agents::add_not_ready(&mut times, r, ongoing);
        }
        let not_ready: Vec<(String, f64)> = times
            .iter()
            .map(|&(r, us)| (self.reasons.name(r).to_string(), secs(us)))
            .collect();
        let working = busy + offered + wrap;
        Ok(AgentStats {
            handled: ag.handled,
            offered: ag.offered,
            declined: ag.declined,
            missed: ag.missed,
            talk: secs(ag.talk_us),
            wrapup: secs(ag.wrapup_us),
            idle: secs(idle),
            offered_time: secs(offered),
            not_ready,
            occupancy: if working + idle > 0 {
                working as f64 / (working + idle) as f64
            } else {
                f64::NAN
            },
        })
    }
}
