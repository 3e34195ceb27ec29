//! The reference's call life: entering a queue, offers, lapses, steps, max wait, exits,
//! the end of a call and of its wrap-up.

use super::*;

impl Reference {
    // ------------------------------------------------------------ call life

    pub(super) fn interval_of(&self, t: Us) -> i64 {
        t.div_euclid(self.interval)
    }

    pub(super) fn counters(&mut self, q: usize, interval: i64, f: impl Fn(&mut QueueCounters)) {
        let qu = &mut self.queues[q];
        f(&mut qu.counters);
        f(qu.intervals.entry(interval).or_default());
    }

    /// Call `ci` enters queue `q` at step 0 (arrival, overflow or transfer).
    pub(super) fn enter_queue(&mut self, ci: usize, q: usize, arrival: bool) {
        let now = self.now();
        let interval = self.interval_of(now);
        self.counters(q, interval, |c| c.offered += 1);
        let qu = &self.queues[q];
        let refuse = if !qu.open {
            Some(ExitReason::Closed)
        } else if !qu.cfg.join_empty && self.staffed(q) == 0 {
            Some(ExitReason::NoAgents)
        } else {
            None
        };
        let (max_wait, first_step) = (qu.cfg.max_wait.map(us), qu.steps.get(1).map(|s| s.after));
        let h = self.calls[ci].h;
        let c = &mut self.calls[ci];
        c.queue = q;
        c.entered = now;
        c.interval = interval;
        c.step = 0;
        c.state = CState::Waiting;
        c.excluded.clear();
        c.max_wait_due = false;
        self.disarm(Tk::Retry(h));
        if let Some(reason) = refuse {
            let outcome = if arrival {
                Outcome::Rejected
            } else {
                Outcome::Exited
            };
            self.exit_call(ci, reason, outcome);
            return;
        }
        let agent = self.choose_agent(ci);
        if let Some(after) = first_step {
            self.arm(now + after, Tk::Step(h));
        }
        if let Some(w) = max_wait {
            self.arm(now + w, Tk::MaxWait(h));
        }
        match agent {
            Some(a) => self.offer(ci, a),
            None => self.announce(ci),
        }
    }

    /// Position (1 = next) and expected wait: position × AHT / agents logged in.
    pub(super) fn position_of(&self, ci: usize) -> (u32, f64) {
        let c = &self.calls[ci];
        let ahead = self
            .calls
            .iter()
            .filter(|x| {
                x.state == CState::Waiting && x.queue == c.queue && self.before_in_queue(x, c)
            })
            .count() as u32;
        let position = ahead + 1;
        let staffed = self.staffed(c.queue);
        let wait = if staffed == 0 {
            f64::INFINITY
        } else {
            f64::from(position) * self.aht(c.queue) / f64::from(staffed)
        };
        (position, wait)
    }

    pub(super) fn aht(&self, q: usize) -> f64 {
        let c = &self.queues[q].counters;
        if c.completed > 0 {
            (c.talk_us + c.wrapup_us) as f64 * 1e-6 / c.completed as f64
        } else {
            self.queues[q].cfg.expected_aht
        }
    }

    pub(super) fn announce(&mut self, ci: usize) {
        let (position, expected_wait) = self.position_of(ci);
        let c = &self.calls[ci];
        self.out.push(Decision::Queued {
            call: c.id.clone(),
            queue: self.queues[c.queue].id.clone(),
            position,
            expected_wait,
        });
    }

    /// Offer call `ci` to agent `a` (or connect it at once to an auto-answer agent).
    pub(super) fn offer(&mut self, ci: usize, a: usize) {
        let now = self.now();
        self.task_seq += 1;
        let uid = self.task_seq;
        let auto = self.agents[a].auto;
        let (h, q) = (self.calls[ci].h, self.calls[ci].queue);
        let qu = &mut self.queues[q];
        let timeout = us(qu.cfg.offer_timeout);
        let expires = if auto { now } else { now + timeout };
        if qu.cfg.strategy == Strategy::RoundRobin {
            qu.rr_last = Some(a);
        }
        let media = qu.cfg.media.clone();
        if !auto {
            self.arm(expires, Tk::Offer(h));
        }
        self.calls[ci].state = CState::Offered {
            agent: a,
            task: uid,
        };
        let ag = &mut self.agents[a];
        ag.tasks.push(Task {
            uid,
            call: h,
            media,
            kind: Kind::Offered,
            queue: q,
            interval: 0,
            since: now,
        });
        ag.offered += 1;
        self.out.push(Decision::Offer {
            call: self.calls[ci].id.clone(),
            agent: self.agents[a].id.clone(),
            queue: self.queues[q].id.clone(),
            expires: secs(expires),
            callback: self.calls[ci].callback,
            auto_answer: auto,
            data: self.calls[ci].data.clone(),
        });
        if auto {
            self.connect(ci, a, uid);
        } else {
            self.update_state(a);
        }
    }

    pub(super) fn connect(&mut self, ci: usize, a: usize, task: u64) {
        let now = self.now();
        let h = self.calls[ci].h;
        self.stop_queue_timers(h);
        let c = &mut self.calls[ci];
        c.state = CState::Connected {
            agent: a,
            task,
            answered: now,
        };
        let (q, wait, interval) = (c.queue, now - c.entered, c.interval);
        let within = wait <= us(self.queues[q].cfg.sl_threshold);
        self.counters(q, interval, |k| {
            k.answered += 1;
            k.answered_within_sl += u64::from(within);
            k.wait_answered_us += wait;
        });
        let ag = &mut self.agents[a];
        let t = ag.tasks.iter_mut().find(|t| t.uid == task).unwrap();
        t.kind = Kind::Busy;
        t.since = now;
        ag.handled += 1;
        ag.streak = 0;
        self.update_state(a);
    }

    /// Take back the outstanding offer of call `ci`; returns its agent.
    pub(super) fn revoke(&mut self, ci: usize, reason: RevokeReason, report: bool) -> usize {
        let CState::Offered { agent: a, task } = self.calls[ci].state else {
            unreachable!()
        };
        self.disarm(Tk::Offer(self.calls[ci].h));
        let ag = &mut self.agents[a];
        let i = ag.tasks.iter().position(|t| t.uid == task).unwrap();
        ag.tasks.swap_remove(i);
        if report {
            self.out.push(Decision::Revoked {
                call: self.calls[ci].id.clone(),
                agent: self.agents[a].id.clone(),
                reason,
            });
        }
        a
    }

    /// A call whose offer ended unanswered goes back to its place and is routed again.
    pub(super) fn return_to_queue(&mut self, ci: usize) {
        let c = &mut self.calls[ci];
        c.state = CState::Waiting;
        if c.max_wait_due {
            c.max_wait_due = false;
            self.max_wait_reached(ci);
            return;
        }
        match self.choose_agent(ci) {
            Some(a) => self.offer(ci, a),
            None => self.announce(ci),
        }
    }

    pub(super) fn exclude(&mut self, ci: usize, a: usize) {
        let until = self.now() + us(self.queues[self.calls[ci].queue].cfg.retry);
        if until <= self.now() {
            return;
        }
        let c = &mut self.calls[ci];
        c.excluded.retain(|x| x.0 != a);
        c.excluded.push((a, until));
        self.arm_retry(ci);
    }

    pub(super) fn offer_lapsed(&mut self, ci: usize) {
        let a = self.revoke(ci, RevokeReason::NoAnswer, true);
        let max = self.queues[self.calls[ci].queue].cfg.max_no_answer;
        let ag = &mut self.agents[a];
        ag.missed += 1;
        ag.streak += 1;
        if max > 0 && ag.streak >= max && ag.presence == Presence::Ready {
            ag.streak = 0;
            ag.presence = Presence::NotReady("no answer".into());
        }
        self.exclude(ci, a);
        self.return_to_queue(ci);
        self.agent_changed(a);
    }

    pub(super) fn next_step(&mut self, ci: usize) {
        let c = &mut self.calls[ci];
        c.step += 1;
        let (h, q, step, entered) = (c.h, c.queue, c.step, c.entered);
        if let Some(s) = self.queues[q].steps.get(step + 1) {
            self.arm(entered + s.after, Tk::Step(h));
        }
        self.out.push(Decision::Step {
            call: self.calls[ci].id.clone(),
            queue: self.queues[q].id.clone(),
            step: step as u32,
        });
        if self.calls[ci].state == CState::Waiting {
            if let Some(a) = self.choose_agent(ci) {
                self.offer(ci, a);
            }
        }
    }

    pub(super) fn max_wait_reached(&mut self, ci: usize) {
        let q = self.calls[ci].queue;
        match self.queues[q].overflow {
            Some(to) => {
                self.move_out(ci);
                self.out.push(Decision::Overflow {
                    call: self.calls[ci].id.clone(),
                    from_queue: self.queues[q].id.clone(),
                    to_queue: self.queues[to].id.clone(),
                });
                self.enter_queue(ci, to, false);
            }
            None => self.exit_call(ci, ExitReason::MaxWait, Outcome::Exited),
        }
    }

    pub(super) fn move_out(&mut self, ci: usize) {
        let (q, interval, h) = (
            self.calls[ci].queue,
            self.calls[ci].interval,
            self.calls[ci].h,
        );
        self.counters(q, interval, |k| k.moved_out += 1);
        self.stop_queue_timers(h);
    }

    pub(super) fn exit_call(&mut self, ci: usize, reason: ExitReason, outcome: Outcome) {
        let (q, interval) = (self.calls[ci].queue, self.calls[ci].interval);
        self.counters(q, interval, |k| k.exited += 1);
        self.out.push(Decision::Exit {
            call: self.calls[ci].id.clone(),
            queue: self.queues[q].id.clone(),
            reason,
        });
        self.finish(ci, outcome);
    }

    pub(super) fn finish(&mut self, ci: usize, outcome: Outcome) {
        let h = self.calls[ci].h;
        self.stop_queue_timers(h);
        self.disarm(Tk::Offer(h));
        self.calls.remove(ci);
        let t = &mut self.totals;
        match outcome {
            Outcome::Completed => t.completed += 1,
            Outcome::Abandoned => t.abandoned += 1,
            Outcome::Exited => t.exited += 1,
            Outcome::Rejected => t.rejected += 1,
        }
    }

    /// Close the connected call's task: talk counted, wrap-up started (or the slot freed).
    pub(super) fn release_agent(&mut self, ci: usize) -> usize {
        let CState::Connected {
            agent: a,
            task,
            answered,
        } = self.calls[ci].state
        else {
            unreachable!()
        };
        let now = self.now();
        let (q, interval) = (self.calls[ci].queue, self.calls[ci].interval);
        let talk = now - answered;
        self.counters(q, interval, |k| {
            k.completed += 1;
            k.talk_us += talk;
        });
        let wrapup = us(self.queues[q].cfg.wrapup);
        let ag = &mut self.agents[a];
        ag.talk += talk;
        let i = ag.tasks.iter().position(|t| t.uid == task).unwrap();
        if wrapup > 0 {
            let t = &mut ag.tasks[i];
            t.kind = Kind::WrapUp;
            t.since = now;
            t.interval = interval;
            self.arm(now + wrapup, Tk::WrapUp(a, task));
        } else {
            ag.tasks.swap_remove(i);
            if ag.tasks.is_empty() {
                ag.free_since = now;
            }
        }
        a
    }

    pub(super) fn end_wrapup(&mut self, a: usize, i: usize) {
        let now = self.now();
        let ag = &mut self.agents[a];
        let t = ag.tasks.swap_remove(i);
        let spent = now - t.since;
        ag.wrapup += spent;
        if ag.tasks.is_empty() {
            ag.free_since = now;
        }
        let qu = &mut self.queues[t.queue];
        qu.counters.wrapup_us += spent;
        if !KNOWN_DEFECT_3 {
            qu.intervals.entry(t.interval).or_default().wrapup_us += spent;
        }
    }

    /// With no eligible agent logged in, a queue that leaves when empty empties.
    pub(super) fn check_empty(&mut self, q: usize) {
        if !self.queues[q].cfg.leave_when_empty || self.staffed(q) > 0 {
            return;
        }
        let mut waiting: Vec<usize> = (0..self.calls.len())
            .filter(|&i| self.calls[i].queue == q && self.calls[i].state == CState::Waiting)
            .collect();
        waiting.sort_by(|&x, &y| {
            if self.before_in_queue(&self.calls[x], &self.calls[y]) {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            }
        });
        let hs: Vec<u64> = waiting.iter().map(|&i| self.calls[i].h).collect();
        for h in hs {
            let ci = self.by_h(h);
            self.exit_call(ci, ExitReason::NoAgents, Outcome::Exited);
        }
    }
}
