//! Offers: making one to an agent, revoking it, a lapsed or declined offer (the agent is
//! excluded for a while), and an accepted one connecting the call.

use crate::acd::config::Strategy;
use crate::acd::decision::{Decision, RevokeReason};
use crate::acd::error::{wrong_state, EngineError};
use crate::acd::keys::{secs, Us};
use crate::acd::stats::add_us;

use super::decisions::Out;
use super::model::{CallState, Presence, Task, TaskKind, Timer};
use super::Engine;

impl Engine {
    /// Offer waiting call `c` to the best free eligible agent, if any.
    pub(super) fn try_offer_call(&mut self, c: u32) -> bool {
        match self.choose_agent(c) {
            Some(a) => {
                self.make_offer(c, a);
                true
            }
            None => false,
        }
    }

    pub(super) fn make_offer(&mut self, c: u32, a: u32) {
        self.leave_waiting(c);
        self.offer(c, a);
    }

    /// Offer call `c` (out of the waiting indices) to agent `a`: a lease the agent accepts
    /// or lets lapse, or with an auto-answer agent, the call connected at once.
    pub(super) fn offer(&mut self, c: u32, a: u32) {
        let now = self.clock;
        self.task_seq += 1;
        let uid = self.task_seq;
        let auto = self.agents[a as usize].auto_answer;
        let call = self.call(c);
        let (q, media, callback, interval) = (call.queue, call.media, call.callback, call.interval);
        let queue = &mut self.queues[q as usize];
        queue.tasks += 1;
        let timeout = queue.offer_timeout;
        let expires = if auto { now } else { now + timeout };
        if queue.config.strategy == Strategy::RoundRobin {
            queue.rr_last = Some(self.agents[a as usize].order);
        }
        let timer = if auto {
            None
        } else {
            queue.offering += 1;
            Some(self.arm_after(timeout, Timer::Offer(c)))
        };
        let call = self.call_mut(c);
        call.state = CallState::Offered {
            agent: a,
            task: uid,
            expires,
        };
        call.offer_timer = timer;
        let agent = &mut self.agents[a as usize];
        agent.tasks.push(Task {
            uid,
            call: c,
            media,
            kind: TaskKind::Offered,
            queue: q,
            interval,
            since: now,
            timer: None,
        });
        agent.add_load(media, 1);
        agent.offered += 1;
        if auto && self.raw_out {
            self.answered_out.push((c, a));
        } else {
            let call = self.call(c);
            self.out.push(Out::Offer {
                call: call.id.clone(),
                agent: a,
                queue: q,
                expires: secs(expires),
                callback,
                auto_answer: auto,
                // empty for most calls (no allocation); the simulator's calls have none
                data: call.data.clone(),
            });
        }
        if auto {
            self.connect(c, a, uid);
        } else {
            self.refresh_agent(a);
            self.update_agent_state(a);
        }
    }

    /// Take an outstanding offer back from its agent (the call is left in limbo: the caller
    /// puts it back in its queue, moves it, or ends it).
    pub(super) fn revoke_offer(&mut self, c: u32, reason: RevokeReason) -> u32 {
        let CallState::Offered { agent: a, task, .. } = self.call(c).state else {
            unreachable!("revoke of a call not offered");
        };
        let timer = self.call_mut(c).offer_timer.take();
        self.disarm(timer);
        let (q, call_id) = (self.call(c).queue, self.call(c).id.clone());
        let queue = &mut self.queues[q as usize];
        queue.offering -= 1;
        queue.tasks -= 1;
        self.left_queue(q);
        let agent = &mut self.agents[a as usize];
        let i = agent.task_index(task);
        let t = agent.tasks.swap_remove(i);
        // an agent back to idle keeps its place in line (its free_since is unchanged)
        agent.add_load(t.media, -1);
        self.out.push(Out::Revoked {
            call: call_id,
            agent: a,
            reason,
        });
        self.refresh_agent(a);
        a
    }

    /// A call whose offer ended unanswered goes back to its place and is routed again.
    pub(super) fn return_to_queue(&mut self, c: u32) {
        let call = self.call_mut(c);
        call.state = CallState::Waiting;
        if call.max_wait_due {
            call.max_wait_due = false;
            self.join_waiting(c);
            self.max_wait_reached(c);
            return;
        }
        self.join_waiting(c);
        if !self.try_offer_call(c) {
            self.announce(c);
        }
    }

    pub(super) fn exclude(&mut self, c: u32, a: u32) {
        let q = self.call(c).queue;
        let until = self.clock + self.queues[q as usize].retry;
        if until <= self.clock {
            return;
        }
        // the retry timer is due at the earliest end of an exclusion: known without a scan,
        // unless the end moved is the earliest
        let call = self.call_mut(c);
        let earliest = call.retry_timer.map(|(t, _)| t);
        let next = match call.excluded.binary_search_by_key(&a, |&(x, _)| x) {
            Ok(i) => {
                let old = std::mem::replace(&mut call.excluded[i].1, until);
                earliest.filter(|&t| t < old)
            }
            Err(i) => {
                call.excluded.insert(i, (a, until));
                match earliest {
                    Some(t) => Some(t.min(until)),
                    None if call.excluded.len() == 1 => Some(until),
                    None => None,
                }
            }
        };
        match next {
            Some(t) => self.rearm_retry(c, t),
            None => self.arm_retry(c),
        }
    }

    pub(super) fn offer_lapsed(&mut self, c: u32) {
        let a = self.revoke_offer(c, RevokeReason::NoAnswer);
        let q = self.call(c).queue;
        let max = self.queues[q as usize].config.max_no_answer;
        let agent = &mut self.agents[a as usize];
        agent.missed += 1;
        agent.no_answer_streak += 1;
        if max > 0 && agent.no_answer_streak >= max && agent.presence == Presence::Ready {
            agent.no_answer_streak = 0;
            let r = self.reasons.intern("no answer");
            self.agents[a as usize].presence = Presence::NotReady(r);
            self.refresh_agent(a);
        }
        self.exclude(c, a);
        self.return_to_queue(c);
        self.agent_changed(a);
    }

    /// The agent offered `call` takes it.
    pub fn offer_accepted(&mut self, call: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let now = self.check_time(now)?;
        self.accept(c, now)?;
        Ok(self.take_out())
    }

    /// `now` checked by the caller.
    pub(super) fn accept(&mut self, c: u32, now: Us) -> Result<(), EngineError> {
        let CallState::Offered { agent: a, task, .. } = self.call(c).state else {
            return Err(wrong_state(format!(
                "call {} has no outstanding offer (it is {})",
                self.quoted(c),
                self.state_name(c)
            )));
        };
        self.clock = now;
        let timer = self.call_mut(c).offer_timer.take();
        self.disarm(timer);
        let q = self.call(c).queue;
        self.queues[q as usize].offering -= 1;
        self.connect(c, a, task);
        Ok(())
    }

    /// Call `c`, offered to agent `a` as `task` (its lease closed), is answered now.
    pub(super) fn connect(&mut self, c: u32, a: u32, task: u64) {
        let now = self.clock;
        self.stop_queue_timers(c);
        let call_ref = self.call_mut(c);
        call_ref.state = CallState::Connected {
            agent: a,
            task,
            answered: now,
        };
        let (q, entered, interval) = (call_ref.queue, call_ref.entered, call_ref.interval);
        let wait = now - entered;
        let queue = &mut self.queues[q as usize];
        let within = wait <= queue.sl;
        for counters in [&mut queue.counters, queue.intervals.at(interval)] {
            counters.answered += 1;
            counters.answered_within_sl += u64::from(within);
            counters.wait_answered_us = add_us(counters.wait_answered_us, wait);
        }
        let agent = &mut self.agents[a as usize];
        let i = agent.task_index(task);
        agent.tasks[i].kind = TaskKind::Busy;
        agent.tasks[i].since = now;
        agent.handled += 1;
        agent.no_answer_streak = 0;
        // an agent with room left keeps its index entries: `handled` moved its key
        self.refresh_agent(a);
        self.update_agent_state(a);
    }

    /// The agent offered `call` refuses it: the call goes back to its place, and is not
    /// offered to that agent again for the queue's `retry` seconds.
    pub fn offer_declined(&mut self, call: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let c = self.call_index(call)?;
        let now = self.check_time(now)?;
        if !matches!(self.call(c).state, CallState::Offered { .. }) {
            return Err(wrong_state(format!(
                "call {} has no outstanding offer (it is {})",
                self.quoted(c),
                self.state_name(c)
            )));
        }
        self.clock = now;
        let mark = self.out.len();
        let a = self.revoke_offer(c, RevokeReason::NoAnswer);
        self.out.truncate(mark); // the agent knows it declined
        self.agents[a as usize].declined += 1;
        self.exclude(c, a);
        self.return_to_queue(c);
        self.agent_changed(a);
        Ok(self.take_out())
    }
}
