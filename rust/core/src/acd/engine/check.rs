//! Validation of a freshly decoded snapshot, before anything indexes into it.
//!
//! [`Engine::restore`] runs [`Engine::check_decoded`] first: every stored index is checked
//! against the length of what it points into, every cross-reference (call ↔ task ↔ timer,
//! queue ↔ queue steps, agent ↔ memberships) against its other end, and every time and
//! counter against the range that keeps the engine's arithmetic from overflowing. Only then
//! are the indices rebuilt and [`Engine::audit`] run (which is itself panic-free). Nothing
//! here runs on the normal paths.

use std::collections::{BTreeMap, HashSet};

use super::model::{CallState, Presence, Queue, State, TaskKind, Timer};
use super::names::Names;
use super::Engine;
use crate::acd::config::MAX_REASONS;
use crate::acd::keys::{Us, MAX_US};
use crate::acd::stats::QueueCounters;
use crate::acd::timers::TimerKey;

/// Largest counter or accumulated time accepted: far beyond any real engine's life, and
/// small enough that the statistics' sums of a few of them cannot overflow.
const MAX_TOTAL: u64 = 1 << 60;

/// A time the clock has passed (or a span), as inputs give them.
fn past(t: Us) -> bool {
    (-MAX_US..=MAX_US).contains(&t)
}

/// A deadline: a time the clock has passed plus a span.
fn deadline(t: Us) -> bool {
    (-2 * MAX_US..=2 * MAX_US).contains(&t)
}

fn span(t: Us) -> bool {
    (0..=MAX_US).contains(&t)
}

fn count(what: &str, n: u64) -> Result<(), String> {
    if n > MAX_TOTAL {
        return Err(format!("{what} out of range ({n})"));
    }
    Ok(())
}

fn total_us(what: &str, t: i64) -> Result<(), String> {
    if t.unsigned_abs() > MAX_TOTAL {
        return Err(format!("{what} out of range ({t} µs)"));
    }
    Ok(())
}

fn counters(what: &str, c: &QueueCounters) -> Result<(), String> {
    for n in [
        c.offered,
        c.answered,
        c.answered_within_sl,
        c.abandoned,
        c.short_abandoned,
        c.exited,
        c.moved_out,
        c.completed,
    ] {
        count(what, n)?;
    }
    for t in [
        c.wait_answered_us,
        c.wait_abandoned_us,
        c.talk_us,
        c.wrapup_us,
    ] {
        total_us(what, t)?;
    }
    Ok(())
}

/// Requirements: known skills, strictly increasing (as `Engine::requirements` makes them).
fn requirements(what: &str, reqs: &[(u32, u8)], skills: usize) -> Result<(), String> {
    if reqs.iter().any(|&(s, _)| s as usize >= skills) {
        return Err(format!("{what}: unknown skill"));
    }
    if reqs.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(format!("{what}: skills not in order"));
    }
    Ok(())
}

fn names(what: &str, names: &Names) -> Result<(), String> {
    let mut seen = HashSet::with_capacity(names.names.len());
    for n in &names.names {
        if !seen.insert(&**n) {
            return Err(format!("{what} {n:?} interned twice"));
        }
    }
    if names.names.len() > u32::MAX as usize {
        return Err(format!("too many {what}s"));
    }
    Ok(())
}

impl Engine {
    /// Check decoded state (indices not yet rebuilt) for everything `restore`, `audit` and
    /// the inputs index or rely on; `Err` names the first problem.
    pub(super) fn check_decoded(&self) -> Result<(), String> {
        let n_agents = self.agents.len();
        let n_queues = self.queues.len();
        let n_calls = self.calls.len();
        let n_skills = self.skills.names.len();
        let n_tenants = self.tenants.names.len();
        let n_media = self.media.names.len();
        let n_reasons = self.reasons.names.len();
        if [n_agents, n_queues, self.qs.len(), n_calls]
            .iter()
            .any(|&n| n >= u32::MAX as usize)
        {
            return Err("too many entities".into());
        }
        names("skill", &self.skills)?;
        names("tenant", &self.tenants)?;
        names("media", &self.media)?;
        names("reason", &self.reasons)?;
        // (the engine's own "no answer" may come on top of the users' reasons)
        if n_reasons > MAX_REASONS + 1 {
            return Err("too many not-ready reasons".into());
        }

        // ---------------------------------------------------------------- engine scalars
        if !(1..=MAX_US).contains(&self.interval) {
            return Err(format!("interval out of range ({} µs)", self.interval));
        }
        let started = self.clock != i64::MIN;
        if started && !past(self.clock) {
            return Err(format!("clock out of range ({} µs)", self.clock));
        }
        super::setup::check_skill_queue(&self.skill_queue)
            .map_err(|e| format!("skill queue settings: {e}"))?;
        count("timer sequence", self.timer_seq)?;
        count("call sequence", self.call_seq)?;
        count("task sequence", self.task_seq)?;
        count("scorer failures", self.scorer_failures)?;
        let t = &self.totals;
        for n in [t.arrived, t.completed, t.abandoned, t.exited, t.rejected] {
            count("totals", n)?;
        }

        // ---------------------------------------------------------------- queues
        let mut next_qs = 0usize;
        for (q, queue) in self.queues.iter().enumerate() {
            let what = format!("queue {}", q);
            if queue.is_vacant() {
                // a freed implicit queue's slot: exactly as `Queue::vacant` makes it
                let own_step = self.qs.get(next_qs).is_some_and(|x| x.queue as usize == q);
                let blank = Queue::vacant(queue.qs0);
                if queue.qs0 as usize != next_qs
                    || !own_step
                    || queue.config != blank.config
                    || !queue.tenants.is_empty()
                    || queue.steps.len() != 1
                    || queue.steps[0].after != 0
                    || queue.steps[0].reqs != blank.steps[0].reqs
                    || queue.steps[0].boost != 0
                    || queue.overflow.is_some()
                    || queue.rr_last.is_some()
                    || queue.staffed != 0
                    || queue.offering != 0
                    || queue.counters != QueueCounters::default()
                    || !queue.intervals.0.is_empty()
                {
                    return Err(format!("{what}: a bad vacant slot"));
                }
                next_qs += 1;
                continue;
            }
            if *queue.id != *queue.config.name {
                return Err(format!("{what}: id and settings disagree"));
            }
            let what = format!("queue {:?}", queue.id);
            queue
                .config
                .validate()
                .map_err(|e| format!("{what}: settings: {e}"))?;
            if queue.tenants.is_empty() || queue.tenants.iter().any(|&t| t as usize >= n_tenants) {
                return Err(format!("{what}: unknown tenant"));
            }
            if queue.media as usize >= n_media {
                return Err(format!("{what}: unknown media"));
            }
            let spans = [
                queue.sl,
                queue.short_abandon,
                queue.wrapup,
                queue.offer_timeout,
                queue.retry,
                queue.max_wait.unwrap_or(0),
            ];
            if !spans.into_iter().all(span) {
                return Err(format!("{what}: a time setting is out of range"));
            }
            if let Some(o) = queue.overflow {
                // queues overflow only to queues added before them, of the same media
                if o as usize >= q
                    || self.queues[o as usize].is_vacant()
                    || self.queues[o as usize].media != queue.media
                {
                    return Err(format!("{what}: bad overflow queue"));
                }
            }
            if queue.steps.is_empty() || queue.steps[0].after != 0 {
                return Err(format!("{what}: bad steps"));
            }
            // (steps whose times round to the same microsecond are possible)
            let mut previous = 0;
            for (s, step) in queue.steps.iter().enumerate() {
                if !span(step.after) || step.after < previous || step.reqs.is_empty() {
                    return Err(format!("{what}: bad step {s}"));
                }
                previous = step.after;
                for reqs in &step.reqs {
                    requirements(&format!("{what}: step {s}"), reqs, n_skills)?;
                }
            }
            if queue.qs0 as usize != next_qs {
                return Err(format!("{what}: steps out of place"));
            }
            for s in 0..queue.steps.len() {
                if self
                    .qs
                    .get(next_qs + s)
                    .is_none_or(|x| x.queue as usize != q)
                {
                    return Err(format!("{what}: step {s} has no index of its own"));
                }
            }
            next_qs += queue.steps.len();
            if queue.rr_last.is_some_and(|o| o as usize >= n_agents) {
                return Err(format!("{what}: unknown last agent"));
            }
            if queue.staffed as usize > n_agents || queue.offering as usize > n_calls {
                return Err(format!("{what}: counts out of range"));
            }
            counters(&what, &queue.counters)?;
            if !queue.intervals.ordered() {
                return Err(format!("{what}: intervals out of order"));
            }
            for &(i, ref c) in &queue.intervals.0 {
                if i.checked_mul(self.interval).is_none_or(|t| !deadline(t)) {
                    return Err(format!("{what}: interval out of range"));
                }
                counters(&what, c)?;
            }
        }
        if next_qs != self.qs.len() {
            return Err("queue step indices without a queue".into());
        }
        for (i, v) in self.virtual_queues.iter().enumerate() {
            let queue = self.queues.get(v.queue as usize);
            if queue.is_none_or(|queue| {
                queue.is_vacant()
                    || queue.tenants.first() != Some(&v.tenant)
                    || queue.media != v.media
            }) {
                return Err(format!("implicit queue {i} out of step"));
            }
            requirements(&format!("implicit queue {i}"), &v.reqs, n_skills)?;
        }

        // ---------------------------------------------------------------- timers
        let timers: BTreeMap<TimerKey, Timer> = self.timers.iter().collect();
        if !started && !timers.is_empty() {
            return Err("timers armed before any time was seen".into());
        }
        for &(at, seq) in timers.keys() {
            if !deadline(at) || seq == 0 || seq > self.timer_seq {
                return Err(format!("timer ({at}, {seq}) out of range"));
            }
        }
        let armed =
            |key: Option<TimerKey>, want: Timer| key.is_none_or(|k| timers.get(&k) == Some(&want));

        // ---------------------------------------------------------------- agents
        let mut uids = HashSet::new();
        for (a, ag) in self.agents.iter().enumerate() {
            let what = format!("agent {a}");
            if ag.id.is_empty() {
                return Err(format!("{what}: empty id"));
            }
            let what = format!("agent {:?}", ag.id);
            if ag.tenant as usize >= n_tenants {
                return Err(format!("{what}: unknown tenant"));
            }
            requirements(&what, &ag.skills, n_skills)?;
            if ag.capacity.len() > n_media || ag.capacity.iter().any(|&c| c > 1000) {
                return Err(format!("{what}: bad capacity"));
            }
            if ag.exclusive.iter().any(|&m| m as usize >= n_media) {
                return Err(format!("{what}: unknown exclusive media"));
            }
            if !(ag.weight.is_finite() && ag.weight > 0.0) {
                return Err(format!("{what}: bad weight"));
            }
            if ag.order as usize != a {
                return Err(format!("{what}: out of order"));
            }
            let reported = match ag.state {
                State::NotReady(r) => Some(r),
                _ => None,
            };
            let present = match ag.presence {
                Presence::NotReady(r) => Some(r),
                _ => None,
            };
            if [reported, present]
                .into_iter()
                .flatten()
                .any(|r| r as usize >= n_reasons)
            {
                return Err(format!("{what}: unknown not-ready reason"));
            }
            if !started && (ag.presence != Presence::LoggedOut || !ag.tasks.is_empty()) {
                return Err(format!("{what}: active before any time was seen"));
            }
            if ag.load.len() > n_media || ag.load.iter().any(|&l| l > 1000) {
                return Err(format!("{what}: bad load"));
            }
            // memberships are exactly those `add_memberships` computes
            let mut member_qs = Vec::new();
            let mut queues = Vec::new();
            for (q, queue) in self.queues.iter().enumerate() {
                let steps = queue.steps_for(ag);
                if !steps.is_empty() {
                    queues.push(q as u32);
                }
                member_qs.extend(steps);
            }
            if ag.member_qs != member_qs
                || ag.member_keys.len() != member_qs.len()
                || ag.queues != queues
            {
                return Err(format!("{what}: memberships out of step"));
            }
            for (slot, &qs) in member_qs.iter().enumerate() {
                let Some(k) = ag.member_keys[slot] else {
                    continue;
                };
                let media = self.queues[self.qs[qs as usize].queue as usize].media;
                if k.agent as usize != a || k.order != ag.order || k.load != ag.load_of(media) {
                    return Err(format!("{what}: bad availability key"));
                }
            }
            for task in &ag.tasks {
                if task.uid == 0 || task.uid > self.task_seq || !uids.insert(task.uid) {
                    return Err(format!("{what}: bad task number {}", task.uid));
                }
                if task.media as usize >= n_media
                    || self
                        .queues
                        .get(task.queue as usize)
                        .is_none_or(|q| q.is_vacant())
                    || !past(task.since)
                    || task
                        .interval
                        .checked_mul(self.interval)
                        .is_none_or(|t| !deadline(t))
                {
                    return Err(format!("{what}: task {} out of range", task.uid));
                }
                if task.kind == TaskKind::WrapUp {
                    if task.call != u32::MAX
                        || task.timer.is_none()
                        || !armed(task.timer, Timer::WrapUp(a as u32, task.uid))
                    {
                        return Err(format!("{what}: wrap-up task {} out of step", task.uid));
                    }
                    continue;
                }
                let call = self.calls.get(task.call as usize);
                let consistent = call.is_some_and(|call| {
                    let (agent, uid, offered) = match call.state {
                        CallState::Waiting => return false,
                        CallState::Offered { agent, task, .. } => (agent, task, true),
                        CallState::Connected { agent, task, .. } => (agent, task, false),
                    };
                    agent as usize == a
                        && uid == task.uid
                        && offered == (task.kind == TaskKind::Offered)
                        && call.queue == task.queue
                        && call.interval == task.interval
                        && call.media == task.media
                });
                if !consistent || task.timer.is_some() {
                    return Err(format!("{what}: task {} and its call disagree", task.uid));
                }
            }
            for n in [ag.handled, ag.offered, ag.declined, ag.missed] {
                count(&what, n)?;
            }
            if ag.no_answer_streak > u32::MAX / 2 {
                return Err(format!("{what}: no-answer streak out of range"));
            }
            for t in [
                ag.talk_us,
                ag.wrapup_us,
                ag.idle_us,
                ag.busy_us,
                ag.offered_us,
                ag.wrap_state_us,
            ] {
                total_us(&what, t)?;
            }
            // by reason, each once (`add_not_ready` searches them)
            if ag.not_ready_us.windows(2).any(|w| w[0].0 >= w[1].0) {
                return Err(format!("{what}: bad not-ready time"));
            }
            for &(r, t) in &ag.not_ready_us {
                if r as usize >= n_reasons {
                    return Err(format!("{what}: bad not-ready time"));
                }
                total_us(&what, t)?;
            }
            if !past(ag.free_since) || !past(ag.state_since) {
                return Err(format!("{what}: a time is out of range"));
            }
        }

        // ---------------------------------------------------------------- calls
        let mut live = 0usize;
        let mut waiting = 0usize;
        let mut seqs = HashSet::new();
        for (c, call) in self.calls.iter().enumerate() {
            let Some(call) = call else { continue };
            live += 1;
            let what = format!("call {c}");
            if !started {
                return Err(format!("{what}: arrived before any time was seen"));
            }
            if call.id.to_string().is_empty() {
                return Err(format!("{what}: empty id"));
            }
            let what = format!("call {}", call.id);
            let Some(queue) = self
                .queues
                .get(call.queue as usize)
                .filter(|q| !q.is_vacant())
            else {
                return Err(format!("{what}: unknown queue"));
            };
            if call.media != queue.media || call.step as usize >= queue.steps.len() {
                return Err(format!("{what}: out of step with its queue"));
            }
            if call.seq == 0 || call.seq > self.call_seq || !seqs.insert(call.seq) {
                return Err(format!("{what}: bad sequence number"));
            }
            if !past(call.arrival)
                || !past(call.entered)
                || call
                    .interval
                    .checked_mul(self.interval)
                    .is_none_or(|t| !deadline(t))
            {
                return Err(format!("{what}: a time is out of range"));
            }
            if call
                .excluded
                .iter()
                .any(|&(a, until)| a as usize >= n_agents || !deadline(until))
            {
                return Err(format!("{what}: bad exclusion"));
            }
            let c = c as u32;
            match call.state {
                CallState::Waiting => waiting += 1,
                CallState::Offered { agent, expires, .. } => {
                    if agent as usize >= n_agents || !deadline(expires) {
                        return Err(format!("{what}: bad offer"));
                    }
                }
                CallState::Connected {
                    agent, answered, ..
                } => {
                    let queue_timers = [call.step_timer, call.max_wait_timer, call.retry_timer];
                    if agent as usize >= n_agents
                        || !past(answered)
                        || queue_timers.iter().any(Option::is_some)
                    {
                        return Err(format!("{what}: bad connection"));
                    }
                }
            }
            let offered = matches!(call.state, CallState::Offered { .. });
            if call.offer_timer.is_some() != offered
                || !armed(call.offer_timer, Timer::Offer(c))
                || !armed(call.step_timer, Timer::Step(c))
                || !armed(call.max_wait_timer, Timer::MaxWait(c))
                || !armed(call.retry_timer, Timer::Retry(c))
            {
                return Err(format!("{what}: timers out of step"));
            }
            if call.step_timer.is_some() && call.step as usize + 1 >= queue.steps.len() {
                return Err(format!("{what}: a step timer past the last step"));
            }
        }
        let mut free = HashSet::with_capacity(self.free_calls.len());
        for &c in &self.free_calls {
            if c as usize >= self.calls.len()
                || self.calls.get(c as usize).is_some()
                || !free.insert(c)
            {
                return Err(format!("bad free call slot {c}"));
            }
        }
        if free.len() + live != n_calls {
            return Err("free call slots out of step".into());
        }

        // ---------------------------------------------------------------- queue steps
        let mut in_sets = 0usize;
        for (i, qs) in self.qs.iter().enumerate() {
            if qs.avail.iter().any(|k| k.agent as usize >= n_agents) {
                return Err(format!("queue step {i}: unknown agent available"));
            }
            for key in &qs.waiting {
                let ok = self.calls.get(key.call as usize).is_some_and(|call| {
                    call.state == CallState::Waiting
                        && call.key == *key
                        && call.queue == qs.queue
                        && (self.queues[call.queue as usize].qs0 + call.step) as usize == i
                });
                if !ok {
                    return Err(format!("queue step {i}: a waiting entry out of step"));
                }
            }
            in_sets += qs.waiting.len();
        }
        if in_sets != waiting {
            return Err("waiting calls out of step with the waiting indices".into());
        }
        Ok(())
    }
}
