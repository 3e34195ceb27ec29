//! The audit: every index and counter checked against the records it is derived from, in
//! O(size). For tests, and run on every restored snapshot; never on the normal paths.

use crate::acd::keys::{aging_rate, secs, CallKey, PRIORITY_SCALE};

use super::model::{CallState, Presence, TaskKind, Timer};
use super::names::CallId;
use super::Engine;

impl Engine {
    /// Check every invariant (O(size)); `Err` names the first one broken. Never panics,
    /// whatever the state (it also vets restored snapshots).
    pub fn audit(&self) -> Result<(), String> {
        let t = &self.totals;
        let live = self.calls.live().count() as u64;
        let accounted = [t.completed, t.abandoned, t.exited, t.rejected, live]
            .into_iter()
            .try_fold(0u64, u64::checked_add);
        if accounted != Some(t.arrived) {
            return Err(format!("conservation: {t:?} with {live} live calls"));
        }
        let numbered = self
            .calls
            .live()
            .filter(|c| matches!(c.id, CallId::Num(_)))
            .count();
        if live as usize != self.call_ids.len() + numbered {
            return Err("call id map out of step".into());
        }
        // (one implicit queue per requirement: a repeated one is out of step too)
        if self.skill_queue_ids.len() != self.virtual_queues.len()
            || self.virtual_queues.iter().any(|v| {
                self.skill_queue_ids
                    .get(&(v.tenant, v.media, v.reqs.clone()))
                    != Some(&v.queue)
            })
        {
            return Err("implicit queue index out of step".into());
        }
        if !self.skill_agents_in_step() {
            return Err("agents-by-skill index out of step".into());
        }
        let mut offering = vec![0u32; self.queues.len()];
        let mut waiting = vec![0usize; self.queues.len()];
        for (c, call) in self.calls.iter().enumerate() {
            let Some(call) = call else { continue };
            let c = c as u32;
            let known = match &call.id {
                CallId::Str(id) => self.call_ids.get(id) == Some(&c),
                CallId::Num(n) => *n == c,
            };
            if !known {
                return Err(format!("call {} not in the id map", call.id));
            }
            let Some(queue) = self.queues.get(call.queue as usize) else {
                return Err(format!("call {}: unknown queue", call.id));
            };
            let Some(step) = queue.steps.get(call.step as usize) else {
                return Err(format!("call {}: unknown step", call.id));
            };
            let Some(qs) = self
                .qs
                .get(queue.qs0 as usize + call.step as usize)
                .filter(|qs| qs.queue == call.queue)
            else {
                return Err(format!("call {}: step index out of place", call.id));
            };
            if call.excluded.windows(2).any(|w| w[0].0 >= w[1].0) {
                return Err(format!("call {}: exclusions out of order", call.id));
            }
            let in_sets = qs.waiting.contains(&call.key);
            match call.state {
                CallState::Waiting => {
                    waiting[call.queue as usize] += 1;
                    if !in_sets
                        || (!self.raw_out
                            && (!queue.order.contains(&call.key)
                                || !queue.by_entry.contains(&(call.entered, call.seq, c))))
                    {
                        return Err(format!("waiting call {} missing from its indices", call.id));
                    }
                    let boosted = call.priority.saturating_add(step.boost);
                    let k = i128::from(boosted) * PRIORITY_SCALE
                        - aging_rate(queue.config.aging) * i128::from(call.arrival);
                    let key = CallKey {
                        rank: (-k).into(),
                        arrival: call.arrival,
                        seq: call.seq,
                        call: c,
                    };
                    if call.key != key {
                        return Err(format!("call {} has a stale key", call.id));
                    }
                    // work conservation: no free eligible agent may be left unused
                    if let Some(k) = qs.avail.iter().find(|k| !call.excludes(k.agent)) {
                        let agent = self.agents.get(k.agent as usize).map(|a| &a.id);
                        return Err(format!(
                            "call {} waits while agent {agent:?} is free for it",
                            call.id
                        ));
                    }
                }
                CallState::Offered { agent, task, .. }
                | CallState::Connected { agent, task, .. } => {
                    if in_sets {
                        return Err(format!(
                            "call {} is both waiting and with an agent",
                            call.id
                        ));
                    }
                    let Some(ag) = self.agents.get(agent as usize) else {
                        return Err(format!("call {} is with an unknown agent", call.id));
                    };
                    let Some(t) = ag.tasks.iter().find(|t| t.uid == task) else {
                        return Err(format!("call {} has no task at {}", call.id, ag.id));
                    };
                    let want = if matches!(call.state, CallState::Offered { .. }) {
                        offering[call.queue as usize] += 1;
                        TaskKind::Offered
                    } else {
                        TaskKind::Busy
                    };
                    if t.kind != want || t.call != c {
                        return Err(format!("call {} and its task disagree", call.id));
                    }
                    // skills are checked when the offer is made: an offer outstanding when
                    // set_agent_skills takes a skill away stands (as calls in progress do)
                    if want == TaskKind::Offered
                        && (!queue.tenants.contains(&ag.tenant) || ag.cap(queue.media) == 0)
                    {
                        return Err(format!("call {} offered to ineligible {}", call.id, ag.id));
                    }
                }
            }
        }
        for (q, queue) in self.queues.iter().enumerate() {
            if queue.offering != offering[q] {
                return Err(format!(
                    "queue {}: offering count {} != {}",
                    queue.id, queue.offering, offering[q]
                ));
            }
            if !self.raw_out
                && (queue.order.len() != waiting[q] || queue.by_entry.len() != waiting[q])
            {
                return Err(format!("queue {}: order index out of step", queue.id));
            }
            let steps = queue.qs0 as usize..queue.qs0 as usize + queue.steps.len();
            let mut listed: Vec<u32> = self
                .qs
                .get(steps)
                .unwrap_or_default()
                .iter()
                .flat_map(|qs| qs.avail.iter().map(|k| k.agent))
                .collect();
            listed.sort_unstable();
            listed.dedup();
            if listed.len() != queue.available as usize {
                return Err(format!(
                    "queue {}: {} agents available, counted {}",
                    queue.id,
                    listed.len(),
                    queue.available
                ));
            }
            let staffed = self
                .agents
                .iter()
                .filter(|a| a.presence != Presence::LoggedOut && a.queues.contains(&(q as u32)))
                .count();
            if staffed != queue.staffed as usize {
                return Err(format!(
                    "queue {}: staffed {} != {staffed}",
                    queue.id, queue.staffed
                ));
            }
        }
        for (a, ag) in self.agents.iter().enumerate() {
            let mut load = vec![0u32; self.media.names.len()];
            let mut exclusive = 0u32;
            for t in &ag.tasks {
                let Some(l) = load.get_mut(t.media as usize) else {
                    return Err(format!("agent {}: a task of unknown media", ag.id));
                };
                *l = l.saturating_add(1);
                if ag.exclusive.contains(&t.media) {
                    exclusive = exclusive.saturating_add(1);
                }
                if t.kind != TaskKind::WrapUp {
                    let call = self.calls.get(t.call as usize);
                    if call.is_none() {
                        return Err(format!("agent {} holds a task of a gone call", ag.id));
                    }
                }
            }
            if ag.load.len() > load.len() {
                return Err(format!("agent {}: load of unknown media", ag.id));
            }
            for (m, &l) in load.iter().enumerate() {
                if l != ag.load_of(m as u32) {
                    return Err(format!("agent {}: load out of step", ag.id));
                }
                if l > ag.cap(m as u32) {
                    return Err(format!("agent {}: {l} tasks over capacity", ag.id));
                }
            }
            if exclusive != ag.exclusive_load || (exclusive > 0 && ag.tasks.len() > 1) {
                return Err(format!("agent {}: exclusive media shared", ag.id));
            }
            if ag.member_keys.iter().filter(|k| k.is_some()).count() != ag.listed as usize {
                return Err(format!("agent {}: count of entries out of step", ag.id));
            }
            if ag.member_keys.len() != ag.member_qs.len() {
                return Err(format!("agent {}: memberships out of step", ag.id));
            }
            for (&qs, &key) in ag.member_qs.iter().zip(&ag.member_keys) {
                let Some(step) = self.qs.get(qs as usize) else {
                    return Err(format!("agent {}: member of an unknown queue step", ag.id));
                };
                let Some(queue) = self.queues.get(step.queue as usize) else {
                    return Err(format!("agent {}: member of an unknown queue", ag.id));
                };
                if key.is_some() != ag.free_for(queue.media) {
                    return Err(format!("agent {}: availability out of step", ag.id));
                }
                if let Some(k) = key {
                    if k.agent != a as u32 || !step.avail.contains(&k) {
                        return Err(format!("agent {}: missing from an index", ag.id));
                    }
                }
            }
            if self.agent_state_of(a as u32) != ag.state {
                return Err(format!("agent {}: reported state out of step", ag.id));
            }
        }
        let indexed: usize = self.qs.iter().map(|s| s.avail.len()).sum();
        let members: usize = self
            .agents
            .iter()
            .map(|a| a.member_keys.iter().flatten().count())
            .sum();
        if indexed != members {
            return Err("availability index holds strangers".into());
        }
        // every timer is the one its owner records, and every recorded timer is armed
        // (a snapshot that breaks this would fire timers into the wrong state)
        for (key, timer) in self.timers.iter() {
            let owned = match timer {
                Timer::Step(c) | Timer::MaxWait(c) | Timer::Offer(c) | Timer::Retry(c) => {
                    self.calls.get(c as usize).is_some_and(|call| match timer {
                        Timer::Step(_) => call.step_timer == Some(key),
                        Timer::MaxWait(_) => call.max_wait_timer == Some(key),
                        Timer::Retry(_) => call.retry_timer == Some(key),
                        _ => {
                            call.offer_timer == Some(key)
                                && matches!(call.state, CallState::Offered { .. })
                        }
                    })
                }
                Timer::WrapUp(a, uid) => self.agents.get(a as usize).is_some_and(|ag| {
                    ag.tasks
                        .iter()
                        .any(|x| x.uid == uid && x.kind == TaskKind::WrapUp && x.timer == Some(key))
                }),
            };
            if !owned {
                return Err(format!("timer at {} for a gone entity", secs(key.0)));
            }
        }
        for call in self.calls.live() {
            let recorded = [
                call.step_timer,
                call.max_wait_timer,
                call.offer_timer,
                call.retry_timer,
            ];
            if recorded
                .into_iter()
                .flatten()
                .any(|k| !self.timers.contains(k))
            {
                return Err(format!("call {}: a timer it records is not armed", call.id));
            }
        }
        self.audit_queue_uses()?;
        Ok(())
    }
}
