//! The event loop's routing-lab parts (issue 15): arrival processes (the model's and each
//! call type's own, with their daily busyness), values by period of arrival, handle times
//! that depend on the answering agent, balking, and staffing changes that log idle agents
//! out first.

use crate::acd::keys::{us, Us};
use crate::sim::dist::{CallStream, Dist, Draw, Stream};
use crate::sim::lab::{call_skill, Busyness};
use crate::sim::model::{Arrivals, Model};
use crate::sim::SimError;

use super::{after, engine_err, Ev, Phase, Presence, Sim, HANDLE};

/// A call's own stream for its balking draw (see the purposes in `run.rs`).
const BALK: u8 = 6;

/// The stream purposes of call type `t`'s own arrivals and days (the model's are 0 and 3).
fn type_purpose(t: usize, days: bool) -> u64 {
    1_000 + 2 * t as u64 + u64::from(days)
}

const DAY_US: Us = 86_400_000_000;

/// The daily multipliers of one process (or of all, when shared), drawn day by day in order
/// from their own stream whatever asks first.
pub(in crate::sim) struct Days {
    rng: Stream,
    values: Vec<f64>,
}

impl Days {
    pub(super) fn new(rng: Stream) -> Self {
        Days {
            rng,
            values: Vec::new(),
        }
    }

    fn get(&mut self, dist: &Dist, day: usize) -> f64 {
        while self.values.len() <= day {
            let m = dist.sample(&mut self.rng);
            self.values.push(if m.is_finite() { m } else { 1.0 });
        }
        self.values[day]
    }
}

/// One call type's own arrival process.
pub(super) struct TypeArrivals {
    call_type: u16,
    rng: Stream,
    /// its own daily multipliers (`busyness: independent`), or the shared ones
    days: Option<Days>,
    next_trace: usize,
}

/// What the lab additions need at run time, worked out once.
pub(super) struct Lab {
    /// (start, length) of the main periods, µs
    periods: Option<(Us, Us)>,
    /// per call type: per group, (index into its `handle_by_group` or `u16::MAX`, level
    /// multiplier); empty when the handle time does not depend on the agent
    adjust: Vec<Vec<(u16, f64)>>,
    pub(super) types: Vec<TypeArrivals>,
}

impl Lab {
    pub(super) fn new(model: &Model, seed: u64, index: u64) -> Self {
        let adjust = model
            .calls
            .iter()
            .map(|c| {
                if c.handle_by_group.is_none() && c.handle_by_level.is_none() {
                    return Vec::new();
                }
                let skill = call_skill(model, c);
                model
                    .groups
                    .iter()
                    .map(|g| {
                        let by_group = c
                            .handle_by_group
                            .iter()
                            .flatten()
                            .position(|(name, _)| name == &g.name)
                            .map_or(u16::MAX, |i| i as u16);
                        let level = skill
                            .and_then(|s| g.skills.iter().find(|(n, _)| n == s).map(|(_, l)| *l));
                        let factor = level
                            .and_then(|l| {
                                c.handle_by_level
                                    .iter()
                                    .flatten()
                                    .find(|(x, _)| *x == l)
                                    .map(|(_, f)| *f)
                            })
                            .unwrap_or(1.0);
                        (by_group, factor)
                    })
                    .collect()
            })
            .collect();
        let types = model
            .calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.arrivals.is_some())
            .map(|(t, _)| TypeArrivals {
                call_type: t as u16,
                rng: Stream::new(seed, index, type_purpose(t, false)),
                days: (model.busyness == Busyness::Independent)
                    .then(|| Days::new(Stream::new(seed, index, type_purpose(t, true)))),
                next_trace: 0,
            })
            .collect();
        Lab {
            periods: model
                .periods
                .as_ref()
                .map(|p| (us(p.start), us(p.length).max(1))),
            adjust,
            types,
        }
    }

    /// The main period of time `t` (0 before the first; past the last given, the caller
    /// takes its list's last value).
    #[inline]
    pub(super) fn period(&self, t: Us) -> usize {
        match self.periods {
            Some((start, len)) if t > start => ((t - start) / len) as usize,
            _ => 0,
        }
    }
}

/// `list`'s value for period `p` (its last one past its end).
#[inline]
pub(super) fn by_period(list: &[Dist], p: usize) -> &Dist {
    &list[p.min(list.len() - 1)]
}

/// The next arrival after `from` of process `arrivals` (exact: memoryless restarts at rate
/// and day changes); `None` when there is none before `horizon_end`. `daily` is the daily
/// multiplier with the days drawn from it (days counted from `start`); `next_trace` the
/// index of a trace's next time. (The blended simulator's inbound arrivals too.)
///
/// A constant rate without a daily multiplier (the commonest process, drawn once per call)
/// takes a short path of its own: the general walk below, inlined whole, had the compiler
/// convert a piecewise process's start and interval on every call before looking at the
/// kind, reading a Poisson process's padding as numbers (a tenth of the simulator's time
/// per call on M/M/50). The short path draws and returns exactly what the walk would.
#[inline]
pub(in crate::sim) fn next_arrival(
    arrivals: &Arrivals,
    from: Us,
    start: Us,
    horizon_end: Us,
    daily: Option<(&Dist, &mut Days)>,
    rng: &mut Stream,
    next_trace: usize,
) -> Option<Us> {
    match (arrivals, &daily) {
        (&Arrivals::Poisson { rate }, None) => {
            if from >= horizon_end || rate <= 0.0 {
                return None;
            }
            let next = from.saturating_add(us(rng.exp1() / rate).max(0));
            // (the walk's boundary is the end of time: at it, the walk's next look ends)
            (next < Us::MAX).then_some(next)
        }
        _ => next_arrival_walk(arrivals, from, start, horizon_end, daily, rng, next_trace),
    }
}

/// [`next_arrival`]'s general walk through rate and day changes.
#[inline]
fn next_arrival_walk(
    arrivals: &Arrivals,
    from: Us,
    start: Us,
    horizon_end: Us,
    mut daily: Option<(&Dist, &mut Days)>,
    rng: &mut Stream,
    next_trace: usize,
) -> Option<Us> {
    let mut t = from;
    loop {
        if t >= horizon_end {
            return None;
        }
        let (rate, boundary) = match arrivals {
            Arrivals::Poisson { rate } => (*rate, Us::MAX),
            Arrivals::Piecewise {
                start,
                interval,
                rates,
            } => {
                let s0 = us(*start);
                let len = us(*interval);
                if t < s0 {
                    t = s0;
                    continue;
                }
                let k = ((t - s0) / len) as usize;
                match rates.get(k) {
                    Some(&r) => (r, s0 + (k as Us + 1) * len),
                    None => return None,
                }
            }
            Arrivals::Trace { times, .. } => {
                return times.get(next_trace).map(|&x| us(x));
            }
        };
        let (boundary, multiplier) = match &mut daily {
            Some((dist, days)) => {
                let day = (t - start).max(0) / DAY_US;
                let day_end = start + (day + 1) * DAY_US;
                (boundary.min(day_end), days.get(dist, day as usize))
            }
            None => (boundary, 1.0),
        };
        let rate = rate * multiplier;
        if rate <= 0.0 {
            if boundary == Us::MAX {
                return None;
            }
            t = boundary;
            continue;
        }
        let gap = rng.exp1() / rate;
        let next = t.saturating_add(us(gap).max(0));
        if next < boundary {
            return Some(next);
        }
        t = boundary;
    }
}

impl Sim<'_> {
    /// Schedule the next arrival of the `k`th call type with its own process, after `from`.
    pub(super) fn schedule_type_arrival(&mut self, k: usize, from: Us) {
        if self.model.max_calls.is_some_and(|m| self.arrived >= m) {
            return;
        }
        let model = self.model;
        let p = &mut self.lab.types[k];
        let arrivals = model.calls[p.call_type as usize]
            .arrivals
            .as_ref()
            .expect("a type with its own arrivals");
        let days = p.days.as_mut().unwrap_or(&mut self.days);
        let next = next_arrival(
            arrivals,
            from,
            self.start,
            self.horizon_end,
            model.daily_multiplier.as_ref().map(|d| (d, days)),
            &mut p.rng,
            p.next_trace,
        );
        if let Some(t) = next {
            if t < self.horizon_end {
                let ev = Ev::TypeArrival { index: k as u16 };
                self.schedule(t.max(self.now), ev);
            }
        }
    }

    /// An arrival of the `k`th call type with its own process.
    pub(super) fn type_arrival(&mut self, k: usize) -> Result<(), SimError> {
        if self.model.max_calls.is_some_and(|m| self.arrived >= m) {
            return Ok(()); // (another process reached the limit since this was scheduled)
        }
        let p = &mut self.lab.types[k];
        p.next_trace += 1;
        let call_type = p.call_type as usize;
        let caller = self.callers;
        self.callers += 1;
        self.new_call(call_type, caller, 0)?;
        let now = self.now;
        self.schedule_type_arrival(k, now);
        Ok(())
    }

    /// Call `slot` was just answered by its agent: its talk time, if that depends on the
    /// agent (drawn from the call's own handle stream: the same caller draws the same base
    /// whoever answers).
    #[inline]
    pub(super) fn agent_handle(&mut self, slot: u32) {
        let call = &self.calls[slot as usize];
        let adjust = &self.lab.adjust[call.call_type as usize];
        if adjust.is_empty() {
            return;
        }
        let g = self.agents[call.agent as usize].group as usize;
        let (by_group, factor) = adjust[g];
        let base = if by_group == u16::MAX {
            call.handle
        } else {
            let spec = &self.model.calls[call.call_type as usize];
            let pairs = spec.handle_by_group.as_ref().expect("adjusted by group");
            let mut rng = CallStream::new(self.call_key, call.caller, call.attempt, HANDLE, 0);
            pairs[by_group as usize].1.sample(&mut rng)
        };
        self.calls[slot as usize].handle = base * factor;
    }

    /// Call `slot` has just arrived and must wait: its caller balks (leaves at once) with
    /// the probability of its type's `balking`. Returns whether it did.
    pub(super) fn balk(&mut self, slot: u32) -> Result<bool, SimError> {
        let call = &self.calls[slot as usize];
        if call.phase != Phase::Waiting {
            return Ok(false);
        }
        let spec = &self.model.calls[call.call_type as usize];
        let Some(b) = &spec.balking else {
            return Ok(false);
        };
        let p = if b.probability.is_some() {
            b.probability_at(0.0)
        } else {
            let expected = self.engine.expected_wait_raw(slot).unwrap_or(0.0);
            b.probability_at(expected)
        };
        let mut rng = CallStream::new(self.call_key, call.caller, call.attempt, BALK, 0);
        if p <= 0.0 || rng.unit() > p {
            return Ok(false);
        }
        if let Some(k) = self.counters(slot) {
            k.balked += 1;
        }
        self.abandon_now(slot)?;
        Ok(true)
    }

    /// Set group `g`'s logged-in count to `target`: when it drops, idle agents log out
    /// first (the longest idle first), then busy ones, who leave when their call and
    /// wrap-up end (the engine keeps a logged-out agent's calls); when it rises, busy
    /// agents still finishing before leaving are logged back in first (their logout is
    /// cancelled), then the others, in order.
    pub(super) fn staff_to(&mut self, g: usize, target: u32) -> Result<(), SimError> {
        let first = self.group_first[g];
        let size = self.model.groups[g].staffing_size();
        let agents = first..first + size;
        let on: Vec<u32> = agents
            .clone()
            .filter(|&a| self.agents[a as usize].presence != Presence::Out)
            .collect();
        let target = target.min(size) as usize;
        if on.len() > target {
            // (idle before busy; among the idle, the longest idle first; among the busy,
            // the last in order first)
            let mut leave: Vec<(bool, Us, u32)> = on
                .iter()
                .map(|&a| {
                    let (busy, since) = self.engine.agent_work_raw(a);
                    (busy, if busy { -Us::from(a) } else { since }, a)
                })
                .collect();
            leave.sort_unstable();
            for &(_, _, a) in &leave[..on.len() - target] {
                self.set_presence(a, Presence::Out)?;
            }
        } else if on.len() < target {
            let mut join: Vec<(bool, u32)> = agents
                .filter(|&a| self.agents[a as usize].presence == Presence::Out)
                .map(|a| (!self.engine.agent_work_raw(a).0, a))
                .collect();
            join.sort_unstable();
            for &(_, a) in &join[..target - on.len()] {
                self.set_presence(a, Presence::Ready)?;
            }
        }
        Ok(())
    }

    /// Call `slot` hangs up now, before an answer: counted abandoned (with any retrial).
    pub(super) fn abandon_now(&mut self, slot: u32) -> Result<(), SimError> {
        self.input();
        self.engine
            .abandon_raw(slot, self.now)
            .map_err(engine_err)?;
        let now = self.now;
        let c = &self.calls[slot as usize];
        let (call_type, caller, attempt) = (c.call_type, c.caller, c.attempt);
        let (wait, within) = self.waited(slot);
        if let Some(k) = self.counters(slot) {
            k.abandoned += 1;
            k.abandoned_within += u64::from(within);
            k.wait_all += wait;
        }
        self.record(slot, 1, wait);
        if let Some(r) = &self.model.calls[call_type as usize].retrial {
            let mut rng = CallStream::new(self.call_key, caller, attempt, super::RETRIAL, 0);
            if rng.unit() <= r.probability {
                let delay = r.delay.sample(&mut rng);
                if delay.is_finite() {
                    // (at least a microsecond later: the clock must move)
                    let at = after(now, delay, true);
                    self.schedule(
                        at,
                        Ev::Retrial {
                            call_type,
                            attempt: attempt.saturating_add(1),
                            caller,
                        },
                    );
                }
            }
        }
        self.release(slot);
        self.decisions();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constant-rate short path draws and returns what the general walk does, draw by
    /// draw from one stream, at ordinary rates and at the edges (no rate, a rate so small
    /// that the gap runs off the clock, a start at or past the horizon).
    #[test]
    fn the_poisson_short_path_is_the_walk() {
        let horizon = us(1e6);
        for rate in [44.0, 0.37, 1e-3, 1e-300, 0.0, -1.0, f64::NAN] {
            let arrivals = Arrivals::Poisson { rate };
            let mut short = Stream::new(7, 3, 0);
            let mut walk = short.clone();
            let mut t = 0;
            for _ in 0..2_000 {
                let a = next_arrival(&arrivals, t, 0, horizon, None, &mut short, 0);
                let b = next_arrival_walk(&arrivals, t, 0, horizon, None, &mut walk, 0);
                assert_eq!(a, b, "rate {rate} from {t}");
                // (the streams stay in step: the same numbers drawn)
                assert_eq!(short.next_u64(), walk.next_u64());
                match a {
                    Some(next) => t = next,
                    None => break,
                }
            }
            for from in [horizon - 1, horizon, horizon + 1, Us::MAX - 1] {
                let a = next_arrival(&arrivals, from, 0, horizon, None, &mut short, 0);
                let b = next_arrival_walk(&arrivals, from, 0, horizon, None, &mut walk, 0);
                assert_eq!(a, b, "rate {rate} from {from}");
            }
        }
    }
}
