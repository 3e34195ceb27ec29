//! Agents: presence (ready, not ready, logged out), wrap-up, and the state each agent
//! reports; every change to an agent ends in [`Engine::agent_changed`].

use crate::acd::config::MAX_REASONS;
use crate::acd::decision::{AgentState, Decision, ExitReason, Outcome, RevokeReason};
use crate::acd::error::{invalid, wrong_state, EngineError};
use crate::acd::keys::{AvailKey, Us};
use crate::acd::stats::add_us;

use super::decisions::Out;
use super::model::{Presence, State, TaskKind};
use super::Engine;

/// Add `spent` to reason `r`'s time in an agent's not-ready times (kept by reason, for a
/// binary search: an agent of many reasons pays O(log n) per change, not a scan).
pub(super) fn add_not_ready(times: &mut Vec<(u32, Us)>, r: u32, spent: Us) {
    match times.binary_search_by_key(&r, |&(x, _)| x) {
        Ok(i) => times[i].1 += spent,
        Err(i) => times.insert(i, (r, spent)),
    }
}

impl Engine {
    pub(super) fn agent_state_of(&self, a: u32) -> State {
        let agent = &self.agents[a as usize];
        let mut kinds = [false; 3];
        match agent.tasks.as_slice() {
            [] => {}
            // one task (the usual case): its kind
            [t] => {
                return match t.kind {
                    TaskKind::Offered => State::Offered,
                    TaskKind::Busy => State::Busy,
                    TaskKind::WrapUp => State::WrapUp,
                }
            }
            tasks => {
                for t in tasks {
                    kinds[t.kind as usize] = true;
                }
            }
        }
        if kinds[TaskKind::Offered as usize] {
            State::Offered
        } else if kinds[TaskKind::Busy as usize] {
            State::Busy
        } else if kinds[TaskKind::WrapUp as usize] {
            State::WrapUp
        } else {
            match agent.presence {
                Presence::LoggedOut => State::LoggedOut,
                Presence::Ready => State::Ready,
                Presence::NotReady(r) => State::NotReady(r),
            }
        }
    }

    /// The public form of a reported state.
    pub(super) fn public_state(&self, state: State) -> AgentState {
        match state {
            State::LoggedOut => AgentState::LoggedOut,
            State::Ready => AgentState::Ready,
            State::NotReady(r) => AgentState::NotReady(self.reasons.name(r).clone()),
            State::Offered => AgentState::Offered,
            State::Busy => AgentState::Busy,
            State::WrapUp => AgentState::WrapUp,
        }
    }

    /// Close the time bucket of the agent's old state and report the change, if any.
    #[inline(always)]
    pub(super) fn update_agent_state(&mut self, a: u32) {
        let new = self.agent_state_of(a);
        let now = self.clock;
        let agent = &mut self.agents[a as usize];
        if new == agent.state {
            return;
        }
        let spent = now - agent.state_since;
        match agent.state {
            State::Ready => agent.idle_us += spent,
            State::Busy => agent.busy_us += spent,
            State::Offered => agent.offered_us += spent,
            State::WrapUp => agent.wrap_state_us += spent,
            State::NotReady(r) => add_not_ready(&mut agent.not_ready_us, r, spent),
            State::LoggedOut => {}
        }
        agent.state_since = now;
        agent.state = new;
        if !self.raw_out {
            // (the simulator reads the time in each state at interval ends instead)
            self.out.push(Out::AgentState {
                agent: a,
                state: new,
            });
        }
    }

    /// Bring agent `a`'s entries in the availability indices up to date.
    /// Each queue counts the agents listed in any of its steps (`Queue::available`): an
    /// agent's memberships are sorted by queue step, so a queue's come together, and the
    /// count moves when the agent's first one is listed or its last one leaves.
    pub(super) fn refresh_agent(&mut self, a: u32) {
        if !self.agents[a as usize].may_be_free() {
            self.unlist_agent(a);
            return;
        }
        // (queue, listed before, listed after) of the queue whose memberships are walked
        let mut run: Option<(u32, bool, bool)> = None;
        for slot in 0..self.agents[a as usize].member_qs.len() {
            let want = self.desired_key(a, slot);
            let q = self.qs[self.agents[a as usize].member_qs[slot] as usize].queue;
            let have = self.set_key(a, slot, want);
            run = match run {
                Some((rq, before, after)) if rq == q => {
                    Some((q, before || have.is_some(), after || want.is_some()))
                }
                done => {
                    self.count_available(done);
                    Some((q, have.is_some(), want.is_some()))
                }
            };
        }
        self.count_available(run);
    }

    /// Bring agent `a`'s entry for its membership `slot` up to date (and its queue's count
    /// of agents available, looking at the agent's other slots of that queue: adjacent).
    pub(super) fn refresh_slot(&mut self, a: u32, slot: usize) {
        let want = self.desired_key(a, slot);
        let have = self.set_key(a, slot, want);
        if have.is_some() == want.is_some() {
            return;
        }
        let agent = &self.agents[a as usize];
        let q = self.qs[agent.member_qs[slot] as usize].queue;
        let queue = &self.queues[q as usize];
        let steps = queue.qs0..queue.qs0 + queue.steps.len() as u32;
        // the slots of q are those around `slot` with a step of q
        let of_q = |i: &usize| steps.contains(&agent.member_qs[*i]);
        let listed = |i: usize| agent.member_keys[i].is_some();
        let elsewhere = (0..slot).rev().take_while(of_q).any(listed)
            || (slot + 1..agent.member_qs.len())
                .take_while(of_q)
                .any(listed);
        if !elsewhere {
            self.count_available(Some((q, have.is_some(), want.is_some())));
        }
    }

    /// Set agent `a`'s entry for its membership `slot` to `want` (the index and the agent's
    /// count of entries follow); the entry it had.
    fn set_key(&mut self, a: u32, slot: usize, want: Option<AvailKey>) -> Option<AvailKey> {
        let agent = &mut self.agents[a as usize];
        let have = agent.member_keys[slot];
        if want == have {
            return have;
        }
        let qs = agent.member_qs[slot] as usize;
        agent.member_keys[slot] = want;
        agent.listed = agent.listed + u32::from(want.is_some()) - u32::from(have.is_some());
        if let Some(k) = have {
            self.qs[qs].avail.remove(&k);
        }
        if let Some(k) = want {
            self.qs[qs].avail.insert(k);
        }
        have
    }

    fn count_available(&mut self, run: Option<(u32, bool, bool)>) {
        match run {
            Some((q, false, true)) => self.queues[q as usize].available += 1,
            Some((q, true, false)) => self.queues[q as usize].available -= 1,
            _ => {}
        }
    }

    /// Take agent `a` out of every availability index. Only the entries it has are looked
    /// at: an agent of many queue steps taking a call pays for none of the others.
    pub(super) fn unlist_agent(&mut self, a: u32) {
        let agent = &mut self.agents[a as usize];
        if agent.listed == 0 {
            return; // (an agent taking its next call: nothing to walk)
        }
        agent.listed = 0;
        let mut last = None;
        for (slot, have) in agent.member_keys.iter_mut().enumerate() {
            if let Some(k) = have.take() {
                let qs = &mut self.qs[agent.member_qs[slot] as usize];
                qs.avail.remove(&k);
                if last != Some(qs.queue) {
                    last = Some(qs.queue);
                    self.queues[qs.queue as usize].available -= 1;
                }
            }
        }
    }

    /// Every queue's count of agents listed, from the agents' entries (after a restore).
    pub(super) fn count_available_agents(&mut self) {
        for queue in &mut self.queues {
            queue.available = 0;
        }
        for agent in &mut self.agents {
            agent.listed = agent.member_keys.iter().filter(|k| k.is_some()).count() as u32;
            let mut last = None;
            for (&qs, have) in agent.member_qs.iter().zip(&agent.member_keys) {
                let q = self.qs[qs as usize].queue;
                if have.is_some() && last != Some(q) {
                    last = Some(q);
                    self.queues[q as usize].available += 1;
                }
            }
        }
    }

    /// After any change to an agent: new work, then its indices, then its reported state.
    /// Work first: an agent freed while calls wait for it takes one without entering the
    /// availability indices only to leave them (and, for the random strategies, without
    /// drawing a key it would not use).
    pub(super) fn agent_changed(&mut self, a: u32) {
        // (calls wait for few changes: the test is kept out of the work)
        let agent = &self.agents[a as usize];
        if agent.may_be_free()
            && agent
                .member_qs
                .iter()
                .any(|&qs| !self.qs[qs as usize].waiting.is_empty())
        {
            self.dispatch_agent(a);
        }
        self.refresh_agent(a);
        self.update_agent_state(a);
    }

    pub(super) fn login(&mut self, a: u32) {
        for i in 0..self.agents[a as usize].queues.len() {
            let q = self.agents[a as usize].queues[i];
            self.queues[q as usize].staffed += 1;
        }
    }

    /// Agent is ready for calls (logging in if needed).
    pub fn agent_ready(&mut self, agent: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let a = self.agent_index(agent)?;
        let now = self.check_time(now)?;
        self.ready_at(a, now)?;
        Ok(self.take_out())
    }

    /// [`Engine::agent_ready`] for agent `a`, `now` checked.
    pub(super) fn ready_at(&mut self, a: u32, now: Us) -> Result<(), EngineError> {
        let ag = &self.agents[a as usize];
        if ag.presence == Presence::Ready {
            let agent = &ag.id;
            return Err(wrong_state(format!("agent {agent:?} is already ready")));
        }
        self.clock = now;
        if ag.presence == Presence::LoggedOut {
            self.login(a);
        }
        let ag = &mut self.agents[a as usize];
        ag.presence = Presence::Ready;
        ag.no_answer_streak = 0;
        if ag.tasks.is_empty() {
            ag.free_since = now;
        }
        self.agent_changed(a);
        Ok(())
    }

    /// Agent stops taking new calls, with a reason (logging in if needed). Calls it holds
    /// continue; outstanding offers stand until answered or lapsed.
    pub fn agent_not_ready(
        &mut self,
        agent: &str,
        now: f64,
        reason: &str,
    ) -> Result<Vec<Decision>, EngineError> {
        let a = self.agent_index(agent)?;
        let now = self.check_time(now)?;
        self.not_ready_at(a, now, reason)?;
        Ok(self.take_out())
    }

    /// [`Engine::agent_not_ready`] for agent `a`, `now` checked.
    pub(super) fn not_ready_at(
        &mut self,
        a: u32,
        now: Us,
        reason: &str,
    ) -> Result<(), EngineError> {
        if reason.is_empty() {
            return Err(invalid("reason must not be empty".into()));
        }
        let ag = &self.agents[a as usize];
        if let Presence::NotReady(r) = ag.presence {
            if &**self.reasons.name(r) == reason {
                let agent = &ag.id;
                return Err(wrong_state(format!(
                    "agent {agent:?} is already not ready ({reason})"
                )));
            }
        }
        let r = match self.reasons.get(reason) {
            Some(r) => r,
            None if self.reasons.names.len() >= MAX_REASONS => {
                let agent = &self.agents[a as usize].id;
                return Err(invalid(format!(
                    "agent {agent:?}: not-ready reason {reason:?} is one too many: an engine \
                     keeps at most {MAX_REASONS} distinct reasons"
                )));
            }
            None => self.reasons.intern(reason),
        };
        self.clock = now;
        if self.agents[a as usize].presence == Presence::LoggedOut {
            self.login(a);
        }
        self.agents[a as usize].presence = Presence::NotReady(r);
        self.agent_changed(a);
        Ok(())
    }

    /// Agent logs out. Outstanding offers are revoked (their calls go back to their place);
    /// calls in progress continue until ended.
    pub fn agent_logout(&mut self, agent: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let a = self.agent_index(agent)?;
        let now = self.check_time(now)?;
        self.logout_at(a, now)?;
        Ok(self.take_out())
    }

    /// [`Engine::agent_logout`] for agent `a`, `now` checked.
    pub(super) fn logout_at(&mut self, a: u32, now: Us) -> Result<(), EngineError> {
        if self.agents[a as usize].presence == Presence::LoggedOut {
            let agent = &self.agents[a as usize].id;
            return Err(wrong_state(format!("agent {agent:?} is not logged in")));
        }
        self.clock = now;
        self.agents[a as usize].presence = Presence::LoggedOut;
        self.refresh_agent(a);
        // no longer logged in: the calls it was offered are announced without it
        for i in 0..self.agents[a as usize].queues.len() {
            let q = self.agents[a as usize].queues[i];
            self.queues[q as usize].staffed -= 1;
        }
        let offered: Vec<u32> = self.agents[a as usize]
            .tasks
            .iter()
            .filter(|t| t.kind == TaskKind::Offered)
            .map(|t| t.call)
            .collect();
        for c in offered {
            self.revoke_offer(c, RevokeReason::LoggedOut);
            self.return_to_queue(c);
        }
        for i in 0..self.agents[a as usize].queues.len() {
            let q = self.agents[a as usize].queues[i];
            self.check_empty(q);
        }
        self.update_agent_state(a);
        Ok(())
    }

    /// End all of an agent's after-call work now.
    pub fn wrapup_done(&mut self, agent: &str, now: f64) -> Result<Vec<Decision>, EngineError> {
        let a = self.agent_index(agent)?;
        let now = self.check_time(now)?;
        if !self.agents[a as usize]
            .tasks
            .iter()
            .any(|t| t.kind == TaskKind::WrapUp)
        {
            return Err(wrong_state(format!("agent {agent:?} is not in wrap-up")));
        }
        self.clock = now;
        while let Some(i) = self.agents[a as usize]
            .tasks
            .iter()
            .position(|t| t.kind == TaskKind::WrapUp)
        {
            self.cut_wrapup(a, i);
        }
        self.agent_changed(a);
        Ok(self.take_out())
    }

    /// End wrap-up task `i` of agent `a` before its timer.
    pub(super) fn cut_wrapup(&mut self, a: u32, i: usize) {
        let timer = self.agents[a as usize].tasks[i].timer.take();
        self.disarm(timer);
        self.end_wrapup(a, i);
    }

    pub(super) fn end_wrapup(&mut self, a: u32, i: usize) {
        let now = self.clock;
        let agent = &mut self.agents[a as usize];
        let task = agent.tasks.swap_remove(i);
        let spent = now - task.since;
        agent.wrapup_us += spent;
        agent.add_load(task.media, -1);
        if agent.tasks.is_empty() {
            agent.free_since = now;
        }
        let queue = &mut self.queues[task.queue as usize];
        queue.counters.wrapup_us = add_us(queue.counters.wrapup_us, spent);
        let interval = queue.intervals.at(task.interval);
        interval.wrapup_us = add_us(interval.wrapup_us, spent);
        queue.tasks -= 1;
        self.left_queue(task.queue);
    }

    /// With no eligible agent logged in, a queue that leaves when empty empties.
    pub(super) fn check_empty(&mut self, q: u32) {
        let queue = &self.queues[q as usize];
        if queue.staffed > 0 || !queue.config.leave_when_empty {
            return;
        }
        for c in self.waiting_in_order(q).into_iter().map(|k| k.call) {
            self.leave_waiting(c);
            self.exit_call(c, ExitReason::NoAgents, Outcome::Exited);
        }
    }
}
