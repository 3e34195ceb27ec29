//! The reference's timers and `advance`: due timers fire in (deadline, arming) order, a
//! late one at its deadline or the last time seen if later.

use super::*;

impl Reference {
    // ------------------------------------------------------------ timers

    pub(super) fn arm(&mut self, at: Us, k: Tk) {
        self.timer_seq += 1;
        self.timers.push((at, self.timer_seq, k));
    }

    pub(super) fn disarm(&mut self, k: Tk) {
        self.timers.retain(|t| t.2 != k);
    }

    pub(super) fn arm_retry(&mut self, ci: usize) {
        let h = self.calls[ci].h;
        self.disarm(Tk::Retry(h));
        if let Some(t) = self.calls[ci].excluded.iter().map(|x| x.1).min() {
            self.arm(t, Tk::Retry(h));
        }
    }

    pub(super) fn stop_queue_timers(&mut self, h: u64) {
        self.disarm(Tk::Step(h));
        self.disarm(Tk::MaxWait(h));
        self.disarm(Tk::Retry(h));
    }

    pub fn next_deadline(&self) -> Option<f64> {
        // docs: a timer due after 10^12 s can never fire, and is not announced
        self.timers
            .iter()
            .map(|t| (t.0, t.1))
            .min()
            .map(|t| t.0)
            .filter(|&t| t <= us(1e12))
            .map(secs)
    }

    pub(super) fn check_time(&self, now: f64) -> Result<Us, EngineError> {
        if !now.is_finite() || now.abs() > 1e12 {
            return Err(EngineError::BadTime(String::new()));
        }
        let t = us(now);
        if self.clock.is_some_and(|c| t < c) {
            return Err(EngineError::BadTime(String::new()));
        }
        Ok(t)
    }

    pub(super) fn begin(&mut self, hint: &[Decision]) {
        self.out.clear();
        self.hint.clear();
        self.hint.extend_from_slice(hint);
    }

    pub(super) fn done(&mut self) -> Res {
        self.free_unused();
        Ok(std::mem::take(&mut self.out))
    }

    /// At the end of an input, implicit queues left unused (no call waits in one, is
    /// offered or connected from it, no agent is in wrap-up after one of its calls) are
    /// freed, with their settings and statistics.
    pub(super) fn free_unused(&mut self) {
        let mut freed = false;
        for q in (0..self.queues.len()).rev() {
            let used = self.calls.iter().any(|c| c.queue == q)
                || self
                    .agents
                    .iter()
                    .any(|a| a.tasks.iter().any(|t| t.queue == q));
            if self.queues[q].implicit.is_none() || used {
                continue;
            }
            let qu = &mut self.queues[q];
            qu.vacant = true;
            qu.implicit = None;
            freed = true;
        }
        if freed {
            self.refresh_eligibility();
        }
    }

    pub fn advance(&mut self, now: f64, hint: &[Decision]) -> Res {
        let now = self.check_time(now)?;
        self.begin(hint);
        let floor = self.clock.unwrap_or(i64::MIN);
        while let Some(&(at, seq, k)) = self
            .timers
            .iter()
            .filter(|t| t.0 <= now)
            .min_by_key(|t| (t.0, t.1))
        {
            self.timers.retain(|t| t.1 != seq);
            self.clock = Some(at.max(floor));
            self.fire(k);
        }
        self.clock = Some(now);
        self.done()
    }

    pub(super) fn fire(&mut self, k: Tk) {
        match k {
            Tk::Step(h) => self.next_step(self.by_h(h)),
            Tk::MaxWait(h) => {
                let ci = self.by_h(h);
                if self.calls[ci].state == CState::Waiting {
                    self.max_wait_reached(ci);
                } else {
                    self.calls[ci].max_wait_due = true;
                }
            }
            Tk::Offer(h) => self.offer_lapsed(self.by_h(h)),
            Tk::Retry(h) => {
                let ci = self.by_h(h);
                let now = self.now();
                self.calls[ci].excluded.retain(|x| x.1 > now);
                self.arm_retry(ci);
                if self.calls[ci].state == CState::Waiting {
                    if let Some(a) = self.choose_agent(ci) {
                        self.offer(ci, a);
                    }
                }
            }
            Tk::WrapUp(a, uid) => {
                let i = self.agents[a]
                    .tasks
                    .iter()
                    .position(|t| t.uid == uid)
                    .unwrap();
                self.end_wrapup(a, i);
                self.agent_changed(a);
            }
        }
    }
}
