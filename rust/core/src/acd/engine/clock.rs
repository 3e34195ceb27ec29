//! Time: checking the times inputs give, arming and disarming timers, and
//! [`Engine::advance`], which fires the due ones in deadline order.

use crate::acd::config::MAX_SECONDS;
use crate::acd::decision::Decision;
use crate::acd::error::EngineError;
use crate::acd::keys::{secs, to_us, Us, MAX_US};
use crate::acd::timers::TimerKey;

use super::model::{CallState, Timer};
use super::Engine;

impl Engine {
    pub(super) fn check_time(&self, now: f64) -> Result<Us, EngineError> {
        self.not_before_clock(to_us("now", now)?, now)
    }

    /// [`Engine::check_time`] for a time in microseconds (the simulator's inputs).
    pub(super) fn check_us(&self, t: Us) -> Result<Us, EngineError> {
        if t.unsigned_abs() > MAX_US as u64 {
            return Err(EngineError::BadTime(format!(
                "now must be within ±{MAX_SECONDS:e} seconds, got {}",
                secs(t)
            )));
        }
        self.not_before_clock(t, secs(t))
    }

    /// `t` unless it is before the last time seen (`shown`: `t` as the caller gave it).
    pub(super) fn not_before_clock(&self, t: Us, shown: f64) -> Result<Us, EngineError> {
        if t < self.clock {
            return Err(EngineError::BadTime(format!(
                "time went backwards: now = {shown} is before the last time seen, {}",
                secs(self.clock)
            )));
        }
        Ok(t)
    }

    pub(super) fn arm(&mut self, at: Us, timer: Timer) -> TimerKey {
        self.timer_seq += 1;
        let key = (at, self.timer_seq);
        self.timers.insert(key, timer);
        key
    }

    /// Arm a timer due `span` after the clock (its lane keeps such timers in order).
    pub(super) fn arm_after(&mut self, span: Us, timer: Timer) -> TimerKey {
        self.timer_seq += 1;
        let key = (self.clock + span, self.timer_seq);
        self.timers.insert_lane(key, timer, span);
        key
    }

    #[inline]
    pub(super) fn disarm(&mut self, key: Option<TimerKey>) {
        if let Some(k) = key {
            self.timers.remove(k);
        }
    }

    /// The earliest pending deadline (seconds), if any: call [`Engine::advance`] then.
    pub fn next_deadline(&self) -> Option<f64> {
        self.next_deadline_us().map(secs)
    }

    /// The earliest pending deadline in microseconds (crate-internal: the simulator).
    /// A timer due after the end of time ([`MAX_SECONDS`]) can never fire (no input reaches
    /// its time): it is not announced, so every deadline announced is a time `advance` takes.
    pub(crate) fn next_deadline_us(&self) -> Option<Us> {
        self.timers
            .first()
            .map(|((t, _), _)| t)
            .filter(|&t| t <= MAX_US)
    }

    /// Fire every timer due at or before `now`, in deadline order.
    pub fn advance(&mut self, now: f64) -> Result<Vec<Decision>, EngineError> {
        let now = self.check_time(now)?;
        self.advance_to(now);
        Ok(self.take_out())
    }

    pub(super) fn advance_to(&mut self, now: Us) {
        let floor = self.clock;
        while let Some((key, timer)) = self.timers.pop_due(now) {
            self.clock = key.0.max(floor);
            self.fire(timer);
        }
        self.clock = now;
    }

    pub(super) fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Step(c) => {
                self.call_mut(c).step_timer = None;
                self.next_step(c);
            }
            Timer::MaxWait(c) => {
                self.call_mut(c).max_wait_timer = None;
                if self.call(c).state == CallState::Waiting {
                    self.max_wait_reached(c);
                } else {
                    self.call_mut(c).max_wait_due = true;
                }
            }
            Timer::Offer(c) => {
                self.call_mut(c).offer_timer = None;
                self.offer_lapsed(c);
            }
            Timer::Retry(c) => {
                self.call_mut(c).retry_timer = None;
                let now = self.clock;
                let call = self.call_mut(c);
                call.excluded.retain(|&(_, until)| until > now);
                self.arm_retry(c);
                if self.call(c).state == CallState::Waiting {
                    self.try_offer_call(c);
                }
            }
            Timer::WrapUp(a, uid) => {
                let i = self.agents[a as usize].task_index(uid);
                self.agents[a as usize].tasks[i].timer = None;
                self.end_wrapup(a, i);
                self.agent_changed(a);
            }
        }
    }

    /// Arm call `c`'s retry timer at `at`, the earliest end of its exclusions (as
    /// `arm_retry` would find it).
    pub(super) fn rearm_retry(&mut self, c: u32, at: Us) {
        let old = self.call(c).retry_timer;
        self.disarm(old);
        let key = self.arm(at, Timer::Retry(c));
        self.call_mut(c).retry_timer = Some(key);
    }

    pub(super) fn arm_retry(&mut self, c: u32) {
        let call = self.call(c);
        let next = call.excluded.iter().map(|&(_, u)| u).min();
        let old = call.retry_timer;
        self.disarm(old);
        let key = next.map(|t| self.arm(t, Timer::Retry(c)));
        self.call_mut(c).retry_timer = key;
    }
}
