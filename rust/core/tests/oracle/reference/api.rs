//! The reference's public inputs and queries, mirroring `callroute_core::acd::Engine`'s.
//! Each input validates completely (in the engine's order of checks, so that the same bad
//! input fails the same way) before it changes anything.

use super::*;

impl Reference {
    // ------------------------------------------------------------ agent inputs

    pub fn agent_ready(&mut self, agent: &str, now: f64, hint: &[Decision]) -> Res {
        let a = self.agent_ix(agent)?;
        let now = self.check_time(now)?;
        if self.agents[a].presence == Presence::Ready {
            return Err(wrong("already ready"));
        }
        self.begin(hint);
        self.clock = Some(now);
        let ag = &mut self.agents[a];
        ag.presence = Presence::Ready;
        ag.streak = 0;
        if ag.tasks.is_empty() {
            ag.free_since = now;
        }
        self.agent_changed(a);
        self.done()
    }

    pub fn agent_not_ready(
        &mut self,
        agent: &str,
        now: f64,
        reason: &str,
        hint: &[Decision],
    ) -> Res {
        let a = self.agent_ix(agent)?;
        let now = self.check_time(now)?;
        if reason.is_empty() {
            return Err(invalid("empty reason"));
        }
        if self.agents[a].presence == Presence::NotReady(reason.to_owned()) {
            return Err(wrong("already not ready for that reason"));
        }
        self.begin(hint);
        self.clock = Some(now);
        self.agents[a].presence = Presence::NotReady(reason.to_owned());
        self.agent_changed(a);
        self.done()
    }

    /// Offers outstanding are revoked and their calls go back to their place; calls in
    /// progress continue.
    pub fn agent_logout(&mut self, agent: &str, now: f64, hint: &[Decision]) -> Res {
        let a = self.agent_ix(agent)?;
        let now = self.check_time(now)?;
        if self.agents[a].presence == Presence::LoggedOut {
            return Err(wrong("not logged in"));
        }
        self.begin(hint);
        self.clock = Some(now);
        self.agents[a].presence = Presence::LoggedOut;
        let offered: Vec<u64> = self.agents[a]
            .tasks
            .iter()
            .filter(|t| t.kind == Kind::Offered)
            .map(|t| t.call)
            .collect();
        for h in offered {
            let ci = self.by_h(h);
            self.revoke(ci, RevokeReason::LoggedOut, true);
            self.return_to_queue(ci);
        }
        for q in 0..self.queues.len() {
            if self.member(a, q) {
                self.check_empty(q);
            }
        }
        self.update_state(a);
        self.done()
    }

    pub fn wrapup_done(&mut self, agent: &str, now: f64, hint: &[Decision]) -> Res {
        let a = self.agent_ix(agent)?;
        let now = self.check_time(now)?;
        if !self.agents[a].tasks.iter().any(|t| t.kind == Kind::WrapUp) {
            return Err(wrong("not in wrap-up"));
        }
        self.begin(hint);
        self.clock = Some(now);
        while let Some(i) = self.agents[a]
            .tasks
            .iter()
            .position(|t| t.kind == Kind::WrapUp)
        {
            let uid = self.agents[a].tasks[i].uid;
            self.disarm(Tk::WrapUp(a, uid));
            self.end_wrapup(a, i);
        }
        self.agent_changed(a);
        self.done()
    }

    /// New skills: memberships follow at once, and a free agent takes the best call across
    /// all its queues (docs: "across every queue step it is eligible for").
    pub fn set_agent_skills(
        &mut self,
        agent: &str,
        skills: &[(String, u8)],
        now: f64,
        hint: &[Decision],
    ) -> Res {
        let a = self.agent_ix(agent)?;
        let now = self.check_time(now)?;
        if !skills_ok(skills) {
            return Err(invalid("bad skills"));
        }
        self.begin(hint);
        self.clock = Some(now);
        for (s, _) in skills {
            note(&mut self.names.skills, s);
        }
        let old: Vec<usize> = (0..self.queues.len())
            .filter(|&q| self.member(a, q))
            .collect();
        self.agents[a].skills = skills.to_vec();
        self.refresh_eligibility();
        if KNOWN_DEFECT_2 {
            for q in 0..self.queues.len() {
                if self.member(a, q) {
                    self.dispatch_agent(a, Some(q));
                }
            }
        }
        self.dispatch_agent(a, None);
        if self.agents[a].presence != Presence::LoggedOut {
            for q in old {
                self.check_empty(q);
            }
        }
        self.done()
    }

    pub fn set_queue_open(&mut self, queue: &str, open: bool) -> Result<(), EngineError> {
        let q = self
            .queue_ix(queue)
            .ok_or_else(|| err_unknown("queue", queue))?;
        self.queues[q].open = open;
        Ok(())
    }

    // ------------------------------------------------------------ call inputs

    pub fn call_arrived(&mut self, spec: &CallSpec, now: f64, hint: &[Decision]) -> Res {
        let now = self.check_time(now)?;
        if spec.id.is_empty() {
            return Err(invalid("empty call id"));
        }
        if self.calls.iter().any(|c| *c.id == *spec.id) {
            return Err(EngineError::Duplicate {
                kind: "call",
                id: spec.id.clone(),
            });
        }
        let route = self.route_of(spec)?;
        self.begin(hint);
        self.clock = Some(now);
        let q = match route {
            Ok(q) => q,
            Err(key) => {
                let (tenant, media, reqs) = key;
                let label: Vec<String> = reqs.iter().map(|(s, l)| format!("{s}>={l}")).collect();
                let mut cfg = self.template.clone();
                cfg.name = format!("skills[{}]@{tenant}/{media}", label.join(","));
                cfg.tenant = tenant.clone();
                cfg.media = media.clone();
                cfg.skills = spec.skills.clone().unwrap_or_default();
                cfg.steps.clear();
                cfg.overflow = None;
                let steps = vec![Step {
                    after: 0,
                    reqs: vec![reqs.clone()],
                    boost: 0,
                }];
                self.push_queue(cfg, steps, None, Some((tenant, media, reqs)))
            }
        };
        self.call_seq += 1;
        self.calls.push(Call {
            h: self.call_seq,
            id: Arc::from(spec.id.as_str()),
            queue: q,
            priority: spec.priority,
            arrival: now,
            entered: now,
            interval: 0,
            step: 0,
            state: CState::Waiting,
            callback: false,
            max_wait_due: false,
            excluded: Vec::new(),
            data: spec
                .data
                .iter()
                .map(|(k, v)| (Arc::from(k.as_str()), Arc::from(v.as_str())))
                .collect(),
        });
        self.totals.arrived += 1;
        let ci = self.calls.len() - 1;
        self.enter_queue(ci, q, true);
        self.done()
    }

    /// The queue of a new call: `Ok(index)`, or `Err(key)` of an implicit queue to make.
    fn route_of(&self, spec: &CallSpec) -> Result<Result<usize, SkillKey>, EngineError> {
        if spec.media.as_deref() == Some("") || spec.tenant.as_deref() == Some("") {
            return Err(invalid("empty media or tenant name"));
        }
        let route = match (&spec.queue, &spec.skills) {
            (Some(_), Some(_)) | (None, None) => return Err(invalid("queue or skills")),
            (Some(q), None) => {
                let qi = self.queue_ix(q).ok_or_else(|| err_unknown("queue", q))?;
                if spec
                    .tenant
                    .as_ref()
                    .is_some_and(|t| *t != self.queues[qi].cfg.tenant)
                {
                    return Err(invalid("tenant of another queue"));
                }
                Ok(qi)
            }
            (None, Some(skills)) => {
                let tenant = spec.tenant.clone().unwrap_or_default();
                if !self.names.tenants.contains(&tenant) {
                    return Err(err_unknown("tenant", &tenant));
                }
                let media = spec.media.clone().unwrap_or_else(|| "voice".into());
                if !self.names.media.contains(&media) {
                    return Err(err_unknown("media", &media));
                }
                if let Some((s, _)) = skills.iter().find(|(s, _)| !self.names.skills.contains(s)) {
                    return Err(err_unknown("skill", s));
                }
                let reqs = sorted(skills);
                if reqs.windows(2).any(|w| w[0].0 == w[1].0) {
                    return Err(invalid("skill twice"));
                }
                let key = (tenant, media, reqs);
                match self
                    .queues
                    .iter()
                    .position(|q| q.implicit.as_ref() == Some(&key))
                {
                    Some(q) => Ok(q),
                    None => Err(key),
                }
            }
        };
        if let (Some(m), Ok(q)) = (&spec.media, &route) {
            if self.queues[*q].cfg.media != *m {
                return Err(invalid("media of another queue"));
            }
        }
        Ok(route)
    }

    pub fn offer_accepted(&mut self, call: &str, now: f64, hint: &[Decision]) -> Res {
        let ci = self.call_ix(call)?;
        let now = self.check_time(now)?;
        let CState::Offered { agent, task } = self.calls[ci].state else {
            return Err(wrong("no outstanding offer"));
        };
        self.begin(hint);
        self.clock = Some(now);
        self.disarm(Tk::Offer(self.calls[ci].h));
        self.connect(ci, agent, task);
        self.done()
    }

    pub fn offer_declined(&mut self, call: &str, now: f64, hint: &[Decision]) -> Res {
        let ci = self.call_ix(call)?;
        let now = self.check_time(now)?;
        if !matches!(self.calls[ci].state, CState::Offered { .. }) {
            return Err(wrong("no outstanding offer"));
        }
        self.begin(hint);
        self.clock = Some(now);
        // the agent knows it declined: no `Revoked`
        let a = self.revoke(ci, RevokeReason::NoAnswer, false);
        self.agents[a].declined += 1;
        self.exclude(ci, a);
        self.return_to_queue(ci);
        self.agent_changed(a);
        self.done()
    }

    pub fn call_ended(&mut self, call: &str, now: f64, hint: &[Decision]) -> Res {
        let ci = self.call_ix(call)?;
        let now = self.check_time(now)?;
        if !matches!(self.calls[ci].state, CState::Connected { .. }) {
            return Err(wrong("not connected"));
        }
        self.begin(hint);
        self.clock = Some(now);
        let a = self.release_agent(ci);
        self.finish(ci, Outcome::Completed);
        self.agent_changed(a);
        self.done()
    }

    pub fn call_abandoned(&mut self, call: &str, now: f64, hint: &[Decision]) -> Res {
        let ci = self.call_ix(call)?;
        let now = self.check_time(now)?;
        if matches!(self.calls[ci].state, CState::Connected { .. }) {
            return Err(wrong("connected"));
        }
        self.begin(hint);
        self.clock = Some(now);
        let agent = match self.calls[ci].state {
            CState::Offered { .. } => Some(self.revoke(ci, RevokeReason::Abandoned, true)),
            _ => None,
        };
        let c = &self.calls[ci];
        let (q, interval, wait) = (c.queue, c.interval, now - c.entered);
        let short = wait <= us(self.queues[q].cfg.short_abandon);
        self.counters(q, interval, |k| {
            k.abandoned += 1;
            k.short_abandoned += u64::from(short);
            k.wait_abandoned_us += wait;
        });
        self.finish(ci, Outcome::Abandoned);
        if let Some(a) = agent {
            self.agent_changed(a);
        }
        self.done()
    }

    pub fn transfer(&mut self, call: &str, now: f64, queue: &str, hint: &[Decision]) -> Res {
        let ci = self.call_ix(call)?;
        let to = self
            .queue_ix(queue)
            .ok_or_else(|| err_unknown("queue", queue))?;
        let now = self.check_time(now)?;
        // another queue of the same media (docs: anything else does not fit the call)
        let from = self.calls[ci].queue;
        if to == from || self.queues[to].cfg.media != self.queues[from].cfg.media {
            return Err(wrong("not a queue this call can move to"));
        }
        self.begin(hint);
        self.clock = Some(now);
        let state = self.calls[ci].state;
        let agent = match state {
            CState::Waiting => None,
            CState::Offered { .. } => Some(self.revoke(ci, RevokeReason::Transferred, true)),
            CState::Connected { .. } => Some(self.release_agent(ci)),
        };
        if !matches!(state, CState::Connected { .. }) {
            // answered calls count as answered and completed where they were, not moved
            self.move_out(ci);
        }
        self.enter_queue(ci, to, false);
        if let Some(a) = agent {
            self.agent_changed(a);
        }
        self.done()
    }

    pub fn callback_requested(&mut self, call: &str, now: f64) -> Res {
        let ci = self.call_ix(call)?;
        let now = self.check_time(now)?;
        if self.calls[ci].state != CState::Waiting {
            return Err(wrong("not waiting"));
        }
        if self.calls[ci].callback {
            return Err(wrong("callback already"));
        }
        self.begin(&[]);
        self.clock = Some(now);
        self.calls[ci].callback = true;
        self.done()
    }

    // ------------------------------------------------------------ queries

    pub fn now_secs(&self) -> Option<f64> {
        self.clock.map(secs)
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }

    pub fn queue_ids(&self) -> Vec<Arc<str>> {
        self.queues
            .iter()
            .filter(|q| !q.vacant)
            .map(|q| q.id.clone())
            .collect()
    }

    pub fn agent_ids(&self) -> Vec<Arc<str>> {
        self.agents.iter().map(|a| a.id.clone()).collect()
    }

    /// Live calls in arrival order.
    pub fn call_ids(&self) -> Vec<Arc<str>> {
        let mut v: Vec<&Call> = self.calls.iter().collect();
        v.sort_by_key(|c| c.h);
        v.iter().map(|c| c.id.clone()).collect()
    }

    /// (id, state name) of every live call, for the generator.
    pub fn calls_by_state(&self) -> Vec<(Arc<str>, &'static str)> {
        self.calls
            .iter()
            .map(|c| {
                let s = match c.state {
                    CState::Waiting => "waiting",
                    CState::Offered { .. } => "offered",
                    CState::Connected { .. } => "connected",
                };
                (c.id.clone(), s)
            })
            .collect()
    }

    /// Agents with wrap-up outstanding, for the generator.
    pub fn in_wrapup(&self, agent: &str) -> bool {
        self.agent_ix(agent)
            .is_ok_and(|a| self.agents[a].tasks.iter().any(|t| t.kind == Kind::WrapUp))
    }

    pub fn agent_state(&self, agent: &str) -> Result<AgentState, EngineError> {
        Ok(self.agents[self.agent_ix(agent)?].reported.clone())
    }

    pub fn call_info(&self, call: &str) -> Result<CallInfo, EngineError> {
        let ci = self.call_ix(call)?;
        let c = &self.calls[ci];
        let (agent, state) = match c.state {
            CState::Waiting => (None, "waiting"),
            CState::Offered { agent, .. } => (Some(self.agents[agent].id.clone()), "offered"),
            CState::Connected { agent, .. } => (Some(self.agents[agent].id.clone()), "connected"),
        };
        let (position, expected_wait) = if state == "waiting" {
            let (p, w) = self.position_of(ci);
            (Some(p), Some(w))
        } else {
            (None, None)
        };
        Ok(CallInfo {
            queue: self.queues[c.queue].id.clone(),
            state,
            agent,
            position,
            expected_wait,
            arrival: secs(c.arrival),
            priority: self.boosted(c),
            step: c.step as u32,
            callback: c.callback,
            data: c.data.clone(),
        })
    }

    pub fn queue_stats(&self, queue: &str) -> Result<QueueStats, EngineError> {
        let q = self
            .queue_ix(queue)
            .ok_or_else(|| err_unknown("queue", queue))?;
        let qu = &self.queues[q];
        let waiting: Vec<&Call> = self
            .calls
            .iter()
            .filter(|c| c.queue == q && c.state == CState::Waiting)
            .collect();
        let longest = waiting
            .iter()
            .map(|c| c.entered)
            .min()
            .map_or(0.0, |t| secs(self.now() - t));
        let offering = self
            .calls
            .iter()
            .filter(|c| c.queue == q && matches!(c.state, CState::Offered { .. }))
            .count() as u64;
        let available = (0..self.agents.len())
            .filter(|&a| self.member(a, q) && self.agents[a].free_for(&qu.cfg.media))
            .count() as u64;
        let staffed = self.staffed(q);
        let n = waiting.len() as u64;
        let expected_wait = if n > 0 || available == 0 {
            if staffed == 0 {
                f64::INFINITY
            } else {
                (n as f64 + 1.0) * self.aht(q) / f64::from(staffed)
            }
        } else {
            0.0
        };
        Ok(QueueStats {
            counters: qu.counters.clone(),
            waiting: n,
            offering,
            longest_wait: longest,
            agents_logged_in: u64::from(staffed),
            agents_available: available,
            expected_wait,
        })
    }

    pub fn interval_stats(&self, queue: &str) -> Result<Vec<(f64, QueueCounters)>, EngineError> {
        let q = self
            .queue_ix(queue)
            .ok_or_else(|| err_unknown("queue", queue))?;
        Ok(self.queues[q]
            .intervals
            .iter()
            .map(|(i, c)| (secs(i * self.interval), c.clone()))
            .collect())
    }

    pub fn agent_stats(&self, agent: &str) -> Result<AgentStats, EngineError> {
        let ag = &self.agents[self.agent_ix(agent)?];
        let ongoing = self.clock.map_or(0, |c| c - ag.since);
        let (mut idle, mut busy, mut offered, mut wrap) =
            (ag.idle, ag.busy, ag.offered_t, ag.wrap_t);
        let mut not_ready: Vec<(String, Us)> = ag.not_ready.clone();
        match &ag.reported {
            AgentState::Ready => idle += ongoing,
            AgentState::Busy => busy += ongoing,
            AgentState::Offered => offered += ongoing,
            AgentState::WrapUp => wrap += ongoing,
            AgentState::NotReady(r) => match not_ready.iter_mut().find(|(x, _)| **x == **r) {
                Some(slot) => slot.1 += ongoing,
                None => not_ready.push((r.to_string(), ongoing)),
            },
            AgentState::LoggedOut => {}
        }
        let not_ready = not_ready.into_iter().map(|(r, t)| (r, secs(t))).collect();
        let working = busy + offered + wrap;
        Ok(AgentStats {
            handled: ag.handled,
            offered: ag.offered,
            declined: ag.declined,
            missed: ag.missed,
            talk: secs(ag.talk),
            wrapup: secs(ag.wrapup),
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

    /// Work conservation, from the rules: no call waits while an agent is free and allowed
    /// to take it. `Err` names the pair.
    pub fn conserving(&self) -> Result<(), String> {
        for c in self.calls.iter().filter(|c| c.state == CState::Waiting) {
            let media = &self.queues[c.queue].cfg.media;
            for a in 0..self.agents.len() {
                if self.agents[a].free_for(media)
                    && self.eligible(a, c.queue, c.step)
                    && !c.excluded.iter().any(|x| x.0 == a)
                {
                    return Err(format!(
                        "call {} waits while agent {} is free for it",
                        c.id, self.agents[a].id
                    ));
                }
            }
        }
        Ok(())
    }
}
