//! The simulator's raw mode: crate-internal inputs that take calls by slot number and
//! times in microseconds, and leave their decisions compact (see
//! [`Engine::keep_raw_decisions`]).

use crate::acd::config::CallSpec;
use crate::acd::error::{unknown, EngineError};
use crate::acd::keys::Us;
use crate::acd::ordset::OrdSet;

use super::decisions::Out;
use super::names::CallId;
use super::Engine;

/// The presence [`Engine::presence_raw`] sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawPresence<'r> {
    Ready,
    NotReady(&'r str),
    LoggedOut,
}

#[cold]
fn no_slot(c: u32) -> EngineError {
    unknown("call", &c.to_string())
}

impl Engine {
    /// Crate-internal fast path (the simulator): with `on`, inputs return no decisions and
    /// leave them, compact, for [`Engine::raw_decisions`] to take, and the calls that
    /// auto-answer agents took for [`Engine::raw_answered`]. `Queued` announcements
    /// (positions and expected waits, which the simulator does not read) are not made,
    /// nor are agent state changes (see [`Engine::agent_time_us`]), nor is the queues'
    /// order-statistic index kept, which only serves positions.
    pub(crate) fn keep_raw_decisions(&mut self, on: bool) {
        if on == self.raw_out {
            return;
        }
        self.raw_out = on;
        // what one mode left is not the other's to return
        self.out.clear();
        self.answered_out.clear();
        if on {
            for queue in &mut self.queues {
                queue.order = indexset::BTreeSet::new();
                queue.by_entry = OrdSet::default();
            }
        } else {
            self.rebuild_order();
        }
    }

    /// The decisions left by the inputs since the last call (see `keep_raw_decisions`).
    pub(crate) fn raw_decisions(&mut self) -> &mut Vec<Out> {
        &mut self.out
    }

    /// The (call, agent) pairs an auto-answer agent took since the last call: in raw mode
    /// these are not `Offer`s. (An `Out` is large: one made for every call, copied out of the
    /// stack right after it was written, stalled on the store forwarding.)
    pub(crate) fn raw_answered(&mut self) -> &mut Vec<(u32, u32)> {
        &mut self.answered_out
    }

    /// See [`Engine::accept_raw`].
    pub(crate) fn advance_raw(&mut self, now: Us) -> Result<(), EngineError> {
        let now = self.check_us(now)?;
        self.advance_to(now);
        Ok(())
    }

    /// Agent `a`'s time logged in and available (ready, offered, busy or in wrap-up) and
    /// its time working (offered, busy or in wrap-up), µs, up to `at` (no earlier than its
    /// last change).
    pub(crate) fn agent_time_us(&self, a: u32, at: Us) -> (Us, Us) {
        let ag = &self.agents[a as usize];
        debug_assert!(
            at >= ag.state_since,
            "agent time read before its last change"
        );
        let [idle, busy, offered, wrap] = ag.state_times(at - ag.state_since);
        let working = busy + offered + wrap;
        (idle + working, working)
    }

    /// Crate-internal query (the blended-day simulator's pacing): queue `q`'s agents logged
    /// in and eligible, and those of them free to take one of its calls now.
    pub(crate) fn queue_agents_raw(&self, q: u32) -> (u32, u32) {
        let queue = &self.queues[q as usize];
        (queue.staffed, queue.available)
    }

    /// Crate-internal presence change (the simulator): agent `a` (by index) becomes `to`
    /// at `now` µs, as [`Engine::agent_ready`], [`Engine::agent_not_ready`] with `reason`,
    /// or [`Engine::agent_logout`] would make it; the decisions left for
    /// [`Engine::raw_decisions`].
    pub(crate) fn presence_raw(
        &mut self,
        a: u32,
        to: RawPresence<'_>,
        now: Us,
    ) -> Result<(), EngineError> {
        if a as usize >= self.agents.len() {
            return Err(unknown("agent", &a.to_string()));
        }
        let now = self.check_us(now)?;
        match to {
            RawPresence::Ready => self.ready_at(a, now),
            RawPresence::NotReady(reason) => self.not_ready_at(a, now, reason),
            RawPresence::LoggedOut => self.logout_at(a, now),
        }
    }

    /// Crate-internal arrival (the simulator): as [`Engine::call_arrived`], but the call is
    /// known by its slot number (returned with its queue) and `spec.id` is not read. `queue`,
    /// when given, is the queue an earlier call of the same `spec` went to: the route is not
    /// resolved again.
    pub(crate) fn arrive_raw(
        &mut self,
        spec: &CallSpec,
        queue: Option<u32>,
        now: Us,
    ) -> Result<(u32, u32), EngineError> {
        let now = self.check_us(now)?;
        let q = match queue {
            Some(q) => {
                debug_assert!((q as usize) < self.queues.len());
                q
            }
            None => self.route_of(spec)?,
        };
        self.clock = now;
        let q = self.make_route(spec, q);
        let c = self.raw_slot();
        self.admit(c, CallId::Num(c), q, spec);
        Ok((c, q))
    }

    /// A free slot whose number no given id spells (with no given ids live, the next free).
    pub(super) fn raw_slot(&mut self) -> u32 {
        let mut c = match self.free_calls.pop() {
            Some(c) => c,
            None => self.calls.push_free(),
        };
        while !self.call_ids.is_empty() && self.call_ids.contains_key(c.to_string().as_str()) {
            // a given id spells this number: take a new slot, leave this one free
            self.free_calls.push(c);
            c = self.calls.push_free();
        }
        c
    }

    /// Crate-internal inputs (the simulator): as the public ones, the call given by slot,
    /// the decisions left for [`Engine::raw_decisions`].
    pub(crate) fn accept_raw(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        self.check_slot(c)?;
        let now = self.check_us(now)?;
        self.accept(c, now)
    }

    /// See [`Engine::accept_raw`]; `wrapup` (µs), when given, is the agent's after-call
    /// work instead of the answering queue's.
    pub(crate) fn end_raw(
        &mut self,
        c: u32,
        now: Us,
        wrapup: Option<Us>,
    ) -> Result<(), EngineError> {
        self.check_slot(c)?;
        let now = self.check_us(now)?;
        self.end(c, now, wrapup)
    }

    /// See [`Engine::accept_raw`].
    pub(crate) fn abandon_raw(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        self.check_slot(c)?;
        let now = self.check_us(now)?;
        self.abandon(c, now)
    }

    /// See [`Engine::accept_raw`].
    pub(crate) fn callback_raw(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        self.check_slot(c)?;
        let now = self.check_us(now)?;
        self.request_callback(c, now)
    }

    /// Crate-internal query (the simulator's balking): the expected wait (seconds) the
    /// engine would announce for call `c` now, if it is waiting (see [`Engine::call_info`]).
    pub(crate) fn expected_wait_raw(&self, c: u32) -> Option<f64> {
        let call = self.calls.get(c as usize)?;
        if call.id != CallId::Num(c) || !matches!(call.state, super::model::CallState::Waiting) {
            return None;
        }
        Some(self.position_of(c).1)
    }

    /// Crate-internal query (the simulator's staffing): whether agent `a` holds any call
    /// (offered, talking or in wrap-up), and since when it has held none (µs).
    pub(crate) fn agent_work_raw(&self, a: u32) -> (bool, Us) {
        let ag = &self.agents[a as usize];
        (!ag.tasks.is_empty(), ag.free_since)
    }

    #[inline]
    pub(super) fn check_slot(&self, c: u32) -> Result<(), EngineError> {
        match self.calls.get(c as usize) {
            Some(_) => Ok(()),
            None => Err(no_slot(c)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::acd::keys::us;
    use crate::acd::{AgentConfig, CallSpec, Decision, EngineOptions, QueueConfig, StepConfig};

    fn spec(id: &str) -> CallSpec {
        CallSpec {
            id: id.into(),
            queue: Some("q".into()),
            ..CallSpec::default()
        }
    }

    /// Calls of the crate-internal inputs are known to the public API by slot number, side
    /// by side with given ids, and survive a snapshot.
    #[test]
    fn numbered_calls_in_the_public_api() {
        let mut e = Engine::new(EngineOptions::default()).unwrap();
        e.add_queue(QueueConfig::new("q", "t")).unwrap();
        for a in ["a", "b", "c"] {
            e.add_agent(AgentConfig::new(a, "t")).unwrap();
            e.agent_ready(a, 0.0).unwrap();
        }
        e.keep_raw_decisions(true);
        let (c0, q) = e.arrive_raw(&spec(""), None, 1_000_000).unwrap();
        assert_eq!((c0, q), (0, 0));
        assert!(matches!(
            e.raw_decisions().first(),
            Some(Out::Offer {
                call: CallId::Num(0),
                ..
            })
        ));
        e.raw_decisions().clear();
        e.keep_raw_decisions(false);
        assert!(matches!(
            e.call_arrived(&spec("0"), 1.0),
            Err(EngineError::Duplicate { .. })
        ));
        // a given id that spells a free slot's number: that slot is passed over
        e.call_arrived(&spec("2"), 1.0).unwrap();
        e.keep_raw_decisions(true);
        let (c3, _) = e.arrive_raw(&spec(""), Some(q), 2_000_000).unwrap();
        assert_eq!(c3, 3);
        e.raw_decisions().clear();
        e.keep_raw_decisions(false);
        let ids: Vec<String> = e.call_ids().iter().map(|s| s.to_string()).collect();
        assert_eq!(ids, ["0", "2", "3"]);
        assert_eq!(e.call_info("3").unwrap().state, "offered");
        assert!(e.call_info("03").is_err());
        assert!(e.call_info("1").is_err());
        let err = e.call_ended("3", 3.0).unwrap_err().to_string();
        assert!(err.contains("\"3\""), "{err}");
        e.offer_accepted("0", 3.0).unwrap();
        e.audit().unwrap();
        let restored = Engine::restore(&e.snapshot()).unwrap();
        assert_eq!(restored.call_ids(), e.call_ids());
        assert_eq!(restored.snapshot(), e.snapshot());
        let ds = e.call_ended("0", 4.0).unwrap();
        assert!(ds.iter().all(|d| !matches!(d, Decision::Offer { .. })));
        assert!(e.call_info("0").is_err());
        e.accept_raw(c3, 5_000_000).unwrap();
        e.end_raw(c3, 6_000_000, None).unwrap();
        assert_eq!(e.totals().completed, 2);
        e.audit().unwrap();
    }

    /// The simulator's mode keeps no order index and reports no agent state changes: the
    /// positions, queue statistics and agent times read the same as in the public mode, and
    /// the index is rebuilt when the mode ends.
    #[test]
    fn raw_mode_reads_the_same() {
        let build = |raw: bool| {
            let mut e = Engine::new(EngineOptions::default()).unwrap();
            let mut q = QueueConfig::new("q", "t");
            q.skills = vec![("x".into(), 1)];
            q.steps = vec![StepConfig {
                after: 5.0,
                skills: Some(vec![]),
                priority_boost: 1,
                ..StepConfig::default()
            }];
            e.add_queue(q).unwrap();
            let mut a = AgentConfig::new("a", "t");
            a.skills = vec![("x".into(), 1)];
            e.add_agent(a).unwrap();
            e.add_agent(AgentConfig::new("b", "t")).unwrap();
            e.agent_ready("a", 0.0).unwrap();
            e.keep_raw_decisions(raw);
            e
        };
        let (mut raw, mut public) = (build(true), build(false));
        let read = |e: &Engine, t: f64| {
            let mut ids: Vec<Arc<str>> = e.call_ids();
            ids.sort();
            let calls: Vec<_> = ids
                .iter()
                .map(|c| {
                    let i = e.call_info(c).unwrap();
                    (c.clone(), i.state, i.position, i.expected_wait)
                })
                .collect();
            let s = e.queue_stats("q").unwrap();
            let times: Vec<_> = (0..2).map(|a| e.agent_time_us(a, us(t))).collect();
            let a = e.agent_stats("a").unwrap();
            format!(
                "{calls:?} {} {} {times:?} {} {}",
                s.waiting, s.longest_wait, a.idle, a.occupancy
            )
        };
        for (k, t) in [1.0, 1.5, 2.0, 3.0, 4.0, 9.0].into_iter().enumerate() {
            let mut c = spec(&format!("c{k}"));
            c.priority = (k % 3) as i32;
            for e in [&mut raw, &mut public] {
                e.call_arrived(&c, t).unwrap();
                e.advance(t + 0.5).unwrap();
                e.raw_decisions().clear();
            }
            assert_eq!(read(&raw, t + 0.5), read(&public, t + 0.5));
        }
        for e in [&mut raw, &mut public] {
            e.offer_accepted("c0", 10.0).unwrap();
            e.agent_ready("b", 11.0).unwrap();
            e.raw_decisions().clear();
        }
        assert_eq!(read(&raw, 12.0), read(&public, 12.0));
        assert!(public.queues[0].order.len() > 1, "calls wait in both steps");
        assert!(raw.queues[0].order.is_empty());
        raw.keep_raw_decisions(false);
        raw.audit().unwrap();
        assert_eq!(raw.queues[0].order.len(), public.queues[0].order.len());
        assert!(raw.queues[0].order.iter().eq(public.queues[0].order.iter()));
    }

    /// A call written into a freed slot keeps nothing of the call before it.
    #[test]
    fn a_reused_slot_starts_clean() {
        let mut e = Engine::new(EngineOptions::default()).unwrap();
        let mut q = QueueConfig::new("q", "t");
        q.steps = vec![StepConfig {
            after: 5.0,
            priority_boost: 3,
            ..StepConfig::default()
        }];
        e.add_queue(q).unwrap();
        e.add_agent(AgentConfig::new("a", "t")).unwrap();
        e.agent_ready("a", 0.0).unwrap();
        let mut first = spec("first");
        first.priority = 7;
        first.data = vec![("k".into(), "v".into())];
        e.call_arrived(&first, 1.0).unwrap();
        e.call_arrived(&spec("waits"), 1.0).unwrap();
        e.advance(7.0).unwrap(); // "waits" moves to step 1
        e.offer_declined("first", 7.5).unwrap(); // excluded from "a", waiting again
        e.call_abandoned("waits", 8.0).unwrap();
        e.call_abandoned("first", 8.0).unwrap(); // its slot is the next taken
        assert!(e.call_ids().is_empty());
        e.call_arrived(&spec("next"), 10.0).unwrap();
        e.audit().unwrap();
        let info = e.call_info("next").unwrap();
        assert_eq!((info.priority, info.arrival), (0, 10.0));
        assert!(info.data.is_empty());
        assert_eq!(info.state, "offered");
        let c = e.call_index("next").unwrap();
        let call = e.call(c);
        assert_eq!(
            (call.step, call.callback, call.max_wait_due),
            (0, false, false)
        );
        assert!(call.excluded.is_empty());
        // its own step timer (10 s + 5 s), the other timers unarmed
        assert_eq!(call.step_timer.map(|k| k.0), Some(15_000_000));
        assert!(call.max_wait_timer.is_none() && call.retry_timer.is_none());
        assert_eq!(
            Engine::restore(&e.snapshot()).unwrap().snapshot(),
            e.snapshot()
        );
    }
}
