//! The other ways a call moves on: a connected call ends (its agent goes to wrap-up), the
//! caller abandons, the call is transferred to another queue, or a waiting caller asks to
//! be called back.

use crate::acd::decision::{Decision, Outcome, RevokeReason};
use crate::acd::error::{wrong_state, EngineError};
use crate::acd::keys::Us;
use crate::acd::stats::add_us;

use super::model::{CallState, TaskKind, Timer};
use super::Engine;

impl Engine {
    /// A connected call ends: the agent goes to wrap-up (if the queue has any).
    pub fn call_ended(&mut self, call: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let now = self.check_time(now)?;
        self.end(c, now, None)?;
        Ok(self.take_out())
    }

    /// `now` checked by the caller; `wrapup` (µs), when given, replaces the queue's.
    pub(super) fn end(&mut self, c: u32, now: Us, wrapup: Option<Us>) -> Result<(), EngineError> {
        if !matches!(self.call(c).state, CallState::Connected { .. }) {
            return Err(wrong_state(format!(
                "call {} is {}, not connected; an unanswered caller who hangs up is \
                 call_abandoned",
                self.quoted(c),
                self.state_name(c)
            )));
        }
        self.clock = now;
        let a = self.release_agent(c, wrapup);
        self.finish(c, Outcome::Completed);
        self.agent_changed(a);
        Ok(())
    }

    /// Close the connected call's task at its agent: talk counted, wrap-up started (the
    /// answering queue's, or `wrapup` µs if given; the agent's index entries are the
    /// caller's to refresh).
    pub(super) fn release_agent(&mut self, c: u32, wrapup: Option<Us>) -> u32 {
        let CallState::Connected {
            agent: a,
            task,
            answered,
        } = self.call(c).state
        else {
            unreachable!("release of a call not connected");
        };
        let now = self.clock;
        let call = self.call(c);
        let (q, interval) = (call.queue, call.interval);
        let talk = now - answered;
        let queue = &mut self.queues[q as usize];
        let wrapup = wrapup.unwrap_or(queue.wrapup);
        for counters in [&mut queue.counters, queue.intervals.at(interval)] {
            counters.completed += 1;
            counters.talk_us = add_us(counters.talk_us, talk);
        }
        let agent = &mut self.agents[a as usize];
        agent.talk_us += talk;
        let i = agent.task_index(task);
        if wrapup > 0 {
            let timer = self.arm(now + wrapup, Timer::WrapUp(a, task));
            let t = &mut self.agents[a as usize].tasks[i];
            t.kind = TaskKind::WrapUp;
            t.since = now;
            t.call = u32::MAX;
            t.timer = Some(timer);
        } else {
            let t = agent.tasks.swap_remove(i);
            agent.add_load(t.media, -1);
            if agent.tasks.is_empty() {
                agent.free_since = now;
            }
            self.queues[q as usize].tasks -= 1;
            self.left_queue(q);
        }
        a
    }

    /// The caller hangs up before being answered (or cancels a callback).
    pub fn call_abandoned(&mut self, call: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let now = self.check_time(now)?;
        self.abandon(c, now)?;
        Ok(self.take_out())
    }

    /// `now` checked by the caller.
    pub(super) fn abandon(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        if matches!(self.call(c).state, CallState::Connected { .. }) {
            return Err(wrong_state(format!(
                "call {} is connected: a connected call ends with call_ended",
                self.quoted(c)
            )));
        }
        self.clock = now;
        let agent = match self.call(c).state {
            CallState::Offered { .. } => Some(self.revoke_offer(c, RevokeReason::Abandoned)),
            _ => {
                self.leave_waiting(c);
                None
            }
        };
        let call = self.call(c);
        let (q, interval, wait) = (call.queue, call.interval, now - call.entered);
        let queue = &mut self.queues[q as usize];
        let short = wait <= queue.short_abandon;
        for counters in [&mut queue.counters, queue.intervals.at(interval)] {
            counters.abandoned += 1;
            counters.short_abandoned += u64::from(short);
            counters.wait_abandoned_us = add_us(counters.wait_abandoned_us, wait);
        }
        self.finish(c, Outcome::Abandoned);
        if let Some(a) = agent {
            self.agent_changed(a);
        }
        Ok(())
    }

    /// Move a call to `queue` (from waiting, offered or connected). It keeps its original
    /// arrival time; a connected call's agent goes to wrap-up.
    pub fn transfer(
        &mut self,
        call: &str,
        now: f64,
        queue: &str,
    ) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let to = self.queue_index(queue)?;
        let now = self.check_time(now)?;
        let from = self.call(c).queue;
        if to == from {
            return Err(wrong_state(format!(
                "call {} is in queue {queue:?} already: transfer moves a call to another queue",
                self.quoted(c)
            )));
        }
        if self.queues[to as usize].media != self.queues[from as usize].media {
            // a call keeps its media: a move across media does not fit the call
            return Err(wrong_state(format!(
                "call {}: queue {queue:?} takes {} calls, not {}",
                self.quoted(c),
                self.media.name(self.queues[to as usize].media),
                self.media.name(self.queues[from as usize].media)
            )));
        }
        self.clock = now;
        let state = self.call(c).state;
        let agent = match state {
            CallState::Waiting => {
                self.leave_waiting(c);
                None
            }
            CallState::Offered { .. } => Some(self.revoke_offer(c, RevokeReason::Transferred)),
            CallState::Connected { .. } => {
                let a = self.release_agent(c, None);
                // free for the transferred call itself if it comes back to this agent
                self.refresh_agent(a);
                Some(a)
            }
        };
        if matches!(state, CallState::Connected { .. }) {
            // answered here: counted as answered and completed, not as moved out
            self.stop_queue_timers(c);
        } else {
            self.move_out(c);
        }
        self.enter_queue(c, to, false);
        if let Some(a) = agent {
            self.agent_changed(a);
        }
        Ok(self.take_out())
    }

    /// The waiting caller asks to be called back: it hangs up but keeps its place; when its
    /// turn comes the offer says `callback`.
    pub fn callback_requested(
        &mut self,
        call: &str,
        now: f64,
    ) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let now = self.check_time(now)?;
        self.request_callback(c, now)?;
        Ok(self.take_out())
    }

    /// `now` checked by the caller.
    pub(super) fn request_callback(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        let state = self.call(c).state;
        if state != CallState::Waiting {
            return Err(wrong_state(format!(
                "call {} is {}: only a waiting call can ask for a callback",
                self.quoted(c),
                self.state_name(c)
            )));
        }
        if self.call(c).callback {
            return Err(wrong_state(format!(
                "call {} already has a callback request",
                self.quoted(c)
            )));
        }
        self.clock = now;
        self.call_mut(c).callback = true;
        Ok(())
    }

    pub(super) fn state_name(&self, c: u32) -> &'static str {
        match self.call(c).state {
            CallState::Waiting => "waiting",
            CallState::Offered { .. } => "offered",
            CallState::Connected { .. } => "connected",
        }
    }
}
