//! A call from arrival to leaving the queue: admission and routing (named queue, or the
//! implicit queue of its skills), entering a queue, positions and expected waits, the
//! waiting indices, relaxation steps, maximum wait, overflow, exit and finish.

use std::sync::Arc;

use crate::acd::config::CallSpec;
use crate::acd::decision::{Decision, ExitReason, Outcome};
use crate::acd::error::{invalid, unknown, EngineError};
use crate::acd::keys::{aging_rate, CallKey, Rank, Us, PRIORITY_SCALE};
use crate::acd::ordset::OrdSet;

use super::decisions::Out;
use super::model::{Call, CallState, SkillQueue, Step, Timer};
use super::names::CallId;
use super::Engine;

/// How the names of implicit queues begin: user queues may not (`add_queue`), so the two
/// never meet in the one name table.
pub(super) const IMPLICIT_PREFIX: &str = "skills[";

/// A skill, tenant or media name as an implicit queue's name shows it: as is, or quoted (as
/// Rust writes a string literal) if it holds a character the name's syntax uses, so that
/// distinct (tenant, media, requirements) always give distinct names.
fn name_part(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['[', ']', ',', '>', '=', '@', '/', '"', '\\']) {
        format!("{s:?}").into()
    } else {
        s.into()
    }
}

impl Engine {
    /// A call arrives: it is offered, queued, or refused.
    pub fn call_arrived(
        &mut self,
        spec: &CallSpec,
        now: f64,
    ) -> Result<Vec<Decision>, EngineError> {
        let now = self.check_time(now)?;
        if spec.id.is_empty() {
            return Err(invalid("call id must not be empty".into()));
        }
        if self.call_lookup(&spec.id).is_some() {
            return Err(EngineError::Duplicate {
                kind: "call",
                id: spec.id.clone(),
            });
        }
        let q = self.route_of(spec)?;
        // validated: from here on nothing fails
        self.clock = now;
        let q = self.make_route(spec, q);
        let id: Arc<str> = Arc::from(spec.id.as_str());
        let c = match self.free_calls.pop() {
            Some(c) => c,
            None => self.calls.push_free(),
        };
        self.call_ids.insert(id.clone(), c);
        self.admit(c, CallId::Str(id), q, spec);
        Ok(self.take_out())
    }

    /// The queue a call of `spec` goes to (`u32::MAX`: an implicit queue still to make).
    pub(super) fn route_of(&self, spec: &CallSpec) -> Result<u32, EngineError> {
        for (what, name) in [("media", &spec.media), ("tenant", &spec.tenant)] {
            if name.as_deref() == Some("") {
                return Err(invalid(format!(
                    "call {:?}: {what} must not be empty",
                    spec.id
                )));
            }
        }
        let q = match (&spec.queue, &spec.skills) {
            (Some(_), Some(_)) => {
                return Err(invalid(format!(
                    "call {:?}: give a queue or skills, not both",
                    spec.id
                )))
            }
            (None, None) => {
                return Err(invalid(format!(
                    "call {:?}: needs a queue or skills",
                    spec.id
                )))
            }
            (Some(q), None) => {
                let qi = self.queue_index(q)?;
                if let Some(t) = &spec.tenant {
                    let own = self.tenants.name(self.queues[qi as usize].tenants[0]);
                    if **own != **t {
                        return Err(invalid(format!(
                            "call {:?}: queue {q:?} belongs to tenant {own:?}, not {t:?}",
                            spec.id
                        )));
                    }
                }
                qi
            }
            (None, Some(skills)) => self.skill_queue_for(spec, skills)?,
        };
        if let (Some(m), Some(queue)) = (&spec.media, self.queues.get(q as usize)) {
            let qm = self.media.name(queue.media);
            if **qm != **m {
                return Err(invalid(format!(
                    "call {:?}: queue {:?} takes {qm} calls, not {m}",
                    spec.id, queue.id
                )));
            }
        }
        Ok(q)
    }

    /// The queue from [`Engine::route_of`], made if it is a new implicit one.
    pub(super) fn make_route(&mut self, spec: &CallSpec, q: u32) -> u32 {
        match q {
            u32::MAX => self.make_skill_queue(spec),
            q => q,
        }
    }

    /// Put a new call in (empty) slot `c` and route it (validated; the clock is `now`).
    pub(super) fn admit(&mut self, c: u32, id: CallId, q: u32, spec: &CallSpec) {
        let now = self.clock;
        self.call_seq += 1;
        let media = self.queues[q as usize].media;
        let seq = self.call_seq;
        // written over the slot's dead call, field by field (see `Slots`); the pattern
        // names every field, so none can keep the last call's value
        let Call {
            id: call_id,
            media: call_media,
            queue,
            priority,
            arrival,
            entered,
            interval,
            seq: call_seq,
            step,
            state,
            callback,
            max_wait_due,
            excluded,
            data,
            key,
            step_timer,
            max_wait_timer,
            offer_timer,
            retry_timer,
        } = self.calls.revive(c as usize);
        *call_id = id;
        *call_media = media;
        *queue = q;
        *priority = spec.priority;
        *arrival = now;
        *entered = now;
        *interval = 0;
        *call_seq = seq;
        *step = 0;
        *state = CallState::Waiting;
        *callback = false;
        *max_wait_due = false;
        excluded.clear();
        data.clear();
        data.extend(
            spec.data
                .iter()
                .map(|(k, v)| (Arc::from(k.as_str()), Arc::from(v.as_str()))),
        );
        *key = CallKey {
            rank: Rank::default(),
            arrival: now,
            seq,
            call: c,
        };
        *step_timer = None;
        *max_wait_timer = None;
        *offer_timer = None;
        *retry_timer = None;
        self.totals.arrived += 1;
        self.enter_queue(c, q, true);
    }

    /// The implicit queue for a skills-routed call: an existing one, or `u32::MAX` to make.
    pub(super) fn skill_queue_for(
        &self,
        spec: &CallSpec,
        skills: &[(String, u8)],
    ) -> Result<u32, EngineError> {
        let tenant = spec.tenant.as_deref().unwrap_or("");
        let t = self
            .tenants
            .get(tenant)
            .ok_or_else(|| unknown("tenant", tenant))?;
        let media = spec.media.as_deref().unwrap_or("voice");
        let m = self
            .media
            .get(media)
            .ok_or_else(|| unknown("media", media))?;
        let mut reqs = Vec::with_capacity(skills.len());
        for (name, level) in skills {
            let s = self
                .skills
                .get(name)
                .ok_or_else(|| unknown("skill", name))?;
            reqs.push((s, *level));
        }
        reqs.sort_unstable();
        if reqs.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(invalid(format!(
                "call {:?}: a skill is given twice",
                spec.id
            )));
        }
        Ok(self
            .skill_queue_ids
            .get(&(t, m, reqs))
            .copied()
            .unwrap_or(u32::MAX))
    }

    pub(super) fn make_skill_queue(&mut self, spec: &CallSpec) -> u32 {
        let skills = spec.skills.clone().unwrap_or_default();
        let mut sorted = skills.clone();
        sorted.sort();
        let tenant = spec.tenant.clone().unwrap_or_default();
        let media = spec.media.clone().unwrap_or_else(|| "voice".into());
        let label: Vec<String> = sorted
            .iter()
            .map(|(s, l)| format!("{}>={l}", name_part(s)))
            .collect();
        let mut config = self.skill_queue.clone();
        config.name = format!(
            "{IMPLICIT_PREFIX}{}]@{}/{}",
            label.join(","),
            name_part(&tenant),
            name_part(&media)
        );
        config.tenant = tenant;
        config.media = media;
        config.skills = skills;
        config.steps.clear();
        config.overflow = None;
        let qi = self.next_queue_slot();
        let reqs = self
            .requirements(&config.skills, "skills")
            .expect("checked skills");
        let t = self.tenants.intern(&config.tenant);
        let m = self.media.intern(&config.media);
        self.virtual_queues.push(SkillQueue {
            tenant: t,
            media: m,
            reqs: reqs.clone(),
            queue: qi,
        });
        self.skill_queue_ids.insert((t, m, reqs.clone()), qi);
        let steps = vec![Step {
            after: 0,
            reqs: vec![reqs],
            boost: 0,
        }];
        self.push_queue(config, None, steps, qi);
        self.queues[qi as usize].implicit = true;
        qi
    }

    /// The statistics interval of time `t` (calls arrive in time order: the last one found
    /// is kept, and a division is made only when a call falls outside it).
    #[inline]
    pub(super) fn interval_of(&mut self, t: Us) -> i64 {
        let (start, i) = self.last_interval;
        if t >= start && t - start < self.interval {
            return i;
        }
        let i = t.div_euclid(self.interval);
        self.last_interval = (i * self.interval, i);
        i
    }

    /// Put call `c` into queue `q` at step 0 (arrival, overflow or transfer), then route it.
    pub(super) fn enter_queue(&mut self, c: u32, q: u32, arrival: bool) {
        let now = self.clock;
        let interval = self.interval_of(now);
        let queue = &mut self.queues[q as usize];
        queue.counters.offered += 1;
        queue.intervals.at(interval).offered += 1;
        let refuse = if !queue.open {
            Some(ExitReason::Closed)
        } else if queue.staffed == 0 && !queue.config.join_empty {
            Some(ExitReason::NoAgents)
        } else {
            None
        };
        let max_wait = queue.max_wait;
        let first_step = queue.steps.get(1).map(|s| s.after);
        let call = self.call_mut(c);
        call.queue = q;
        call.entered = now;
        call.interval = interval;
        call.step = 0;
        call.state = CallState::Waiting;
        call.excluded.clear();
        call.max_wait_due = false;
        let old = call.retry_timer.take();
        self.disarm(old);
        if let Some(reason) = refuse {
            let outcome = if arrival {
                Outcome::Rejected
            } else {
                Outcome::Exited
            };
            self.exit_call(c, reason, outcome);
            return;
        }
        // a call an agent is free for goes to it at once, without joining the waiting
        // indices only to leave them (the same decisions either way); its key is made if it
        // waits (only waiting calls have one that counts)
        let agent = self.choose_agent(c);
        // its queue timers run while it waits or rings, not for an agent that answers at once
        if agent.is_none_or(|a| !self.agents[a as usize].auto_answer) {
            let step_timer = first_step.map(|after| self.arm(now + after, Timer::Step(c)));
            let max_timer = max_wait.map(|w| self.arm(now + w, Timer::MaxWait(c)));
            let call = self.call_mut(c);
            call.step_timer = step_timer;
            call.max_wait_timer = max_timer;
        }
        match agent {
            Some(a) => self.offer(c, a),
            None => {
                self.join_waiting(c);
                self.announce(c);
            }
        }
    }

    pub(super) fn announce(&mut self, c: u32) {
        if self.raw_out {
            // the simulator reads no queue positions: skip the rank walk
            return;
        }
        let (position, expected_wait) = self.position_of(c);
        let call = self.call(c);
        self.out.push(Out::Queued {
            call: call.id.clone(),
            queue: call.queue,
            position,
            expected_wait,
        });
    }

    /// Position (1-based) and expected wait of a waiting call: it is answered after the
    /// `position` calls up to and including it are, at the rate the queue's logged-in agents
    /// finish calls (`staffed / AHT`, AHT measured so far or the configured guess).
    pub(super) fn position_of(&self, c: u32) -> (u32, f64) {
        let call = self.call(c);
        let queue = &self.queues[call.queue as usize];
        let ahead = if self.raw_out {
            // no order index kept: count
            self.waiting_keys(call.queue)
                .filter(|k| **k < call.key)
                .count()
        } else {
            queue.order.rank(&call.key)
        };
        let position = ahead as u32 + 1;
        let aht = if queue.counters.completed > 0 {
            queue.counters.aht()
        } else {
            queue.config.expected_aht
        };
        let wait = if queue.staffed == 0 {
            f64::INFINITY
        } else {
            f64::from(position) * aht / f64::from(queue.staffed)
        };
        (position, wait)
    }

    /// A call's priority, boosted by its step, less its queue's aging since time zero (its
    /// effective priority at time `t` adds `aging × t`, the same for every call of a queue),
    /// exactly, in units of 10⁻¹² point (see `PRIORITY_SCALE`): priorities equal in decimal
    /// are equal, and the tie-breaks decide.
    pub(super) fn aged_priority(&self, call: &Call) -> i128 {
        let queue = &self.queues[call.queue as usize];
        let boosted = call
            .priority
            .saturating_add(queue.steps[call.step as usize].boost);
        i128::from(boosted) * PRIORITY_SCALE
            - aging_rate(queue.config.aging) * i128::from(call.arrival)
    }

    pub(super) fn call_key(&self, c: u32) -> CallKey {
        let call = self.call(c);
        CallKey {
            rank: (-self.aged_priority(call)).into(),
            arrival: call.arrival,
            seq: call.seq,
            call: c,
        }
    }

    pub(super) fn join_waiting(&mut self, c: u32) {
        let key = self.call_key(c);
        let call = self.call_mut(c);
        call.key = key;
        let (q, step) = (call.queue, call.step);
        let entry = (call.entered, call.seq, c);
        let queue = &mut self.queues[q as usize];
        if !self.raw_out {
            queue.order.insert(key);
            queue.by_entry.insert(entry);
        }
        let qs = (queue.qs0 + step) as usize;
        self.qs[qs].waiting.insert(key);
    }

    pub(super) fn leave_waiting(&mut self, c: u32) {
        let call = self.call(c);
        let (key, q, step) = (call.key, call.queue, call.step);
        let entry = (call.entered, call.seq, c);
        let queue = &mut self.queues[q as usize];
        if !self.raw_out {
            queue.order.remove(&key);
            queue.by_entry.remove(&entry);
        }
        let qs = (queue.qs0 + step) as usize;
        self.qs[qs].waiting.remove(&key);
    }

    /// Every queue's order-statistic index made again from its waiting calls.
    pub(super) fn rebuild_order(&mut self) {
        for q in 0..self.queues.len() {
            self.queues[q].order = self.waiting_in_order(q as u32).into_iter().collect();
            let mut by_entry = OrdSet::default();
            for k in self.waiting_keys(q as u32) {
                let call = self.call(k.call);
                by_entry.insert((call.entered, call.seq, k.call));
            }
            self.queues[q].by_entry = by_entry;
        }
    }

    /// The keys of queue `q`'s waiting calls (each waits in one step's index), unordered.
    pub(super) fn waiting_keys(&self, q: u32) -> impl Iterator<Item = &CallKey> {
        let queue = &self.queues[q as usize];
        let steps = queue.qs0 as usize..(queue.qs0 as usize + queue.steps.len());
        self.qs[steps].iter().flat_map(|qs| qs.waiting.iter())
    }

    /// The keys of queue `q`'s waiting calls in queue order.
    pub(super) fn waiting_in_order(&self, q: u32) -> Vec<CallKey> {
        let mut keys: Vec<CallKey> = self.waiting_keys(q).copied().collect();
        keys.sort_unstable();
        keys
    }

    pub(super) fn next_step(&mut self, c: u32) {
        let call = self.call(c);
        let (q, step, entered) = (call.queue, call.step + 1, call.entered);
        let waiting = call.state == CallState::Waiting;
        if waiting {
            self.leave_waiting(c);
        }
        self.call_mut(c).step = step;
        let next = self.queues[q as usize]
            .steps
            .get(step as usize + 1)
            .map(|s| s.after);
        let timer = next.map(|after| self.arm(entered + after, Timer::Step(c)));
        self.call_mut(c).step_timer = timer;
        self.out.push(Out::Step {
            call: self.call(c).id.clone(),
            queue: q,
            step,
        });
        if waiting {
            self.join_waiting(c);
            self.try_offer_call(c);
        }
    }

    pub(super) fn max_wait_reached(&mut self, c: u32) {
        let q = self.call(c).queue;
        self.leave_waiting(c);
        match self.queues[q as usize].overflow {
            Some(to) => {
                self.move_out(c);
                self.out.push(Out::Overflow {
                    call: self.call(c).id.clone(),
                    from_queue: q,
                    to_queue: to,
                });
                self.enter_queue(c, to, false);
            }
            None => self.exit_call(c, ExitReason::MaxWait, Outcome::Exited),
        }
    }

    /// Count a call leaving its queue for another, and stop its queue timers.
    pub(super) fn move_out(&mut self, c: u32) {
        let call = self.call(c);
        let q = call.queue;
        let interval = call.interval;
        let queue = &mut self.queues[q as usize];
        queue.counters.moved_out += 1;
        queue.intervals.at(interval).moved_out += 1;
        self.stop_queue_timers(c);
        self.left_queue(q);
    }

    #[inline(always)]
    pub(super) fn stop_queue_timers(&mut self, c: u32) {
        let call = self.call(c);
        if call.step_timer.is_some() || call.max_wait_timer.is_some() || call.retry_timer.is_some()
        {
            self.disarm_queue_timers(c); // (not the usual case: kept out of line)
        }
    }

    #[inline(never)]
    pub(super) fn disarm_queue_timers(&mut self, c: u32) {
        let call = self.call_mut(c);
        let timers = [
            call.step_timer.take(),
            call.max_wait_timer.take(),
            call.retry_timer.take(),
        ];
        for t in timers {
            self.disarm(t);
        }
    }

    /// The call leaves unanswered (not in any waiting set any more).
    pub(super) fn exit_call(&mut self, c: u32, reason: ExitReason, outcome: Outcome) {
        let call = self.call(c);
        let (q, interval, call_id) = (call.queue, call.interval, call.id.clone());
        let queue = &mut self.queues[q as usize];
        queue.counters.exited += 1;
        queue.intervals.at(interval).exited += 1;
        self.out.push(Out::Exit {
            call: call_id,
            queue: q,
            reason,
        });
        self.finish(c, outcome);
    }

    #[inline(always)]
    pub(super) fn finish(&mut self, c: u32, outcome: Outcome) {
        self.stop_queue_timers(c);
        let call = self.calls.get(c as usize).expect("live call");
        let (timer, q) = (call.offer_timer, call.queue);
        if let CallId::Str(id) = &call.id {
            self.call_ids.remove(id);
        }
        self.calls.free(c as usize);
        self.disarm(timer);
        self.free_calls.push(c);
        self.left_queue(q);
        match outcome {
            Outcome::Completed => self.totals.completed += 1,
            Outcome::Abandoned => self.totals.abandoned += 1,
            Outcome::Exited => self.totals.exited += 1,
            Outcome::Rejected => self.totals.rejected += 1,
        }
    }
}
