//! The blended day's event loop: the production engine routes inbound calls and the people
//! campaigns reach; the production dialer paces the campaigns. The simulator owns the
//! callers, the called parties and the agents' behaviour, and tells the dialer how many
//! agents each campaign may use (the agents free for the campaign's queue, less the blending
//! threshold).

mod dialing;
mod preview;
mod setup;

use std::sync::atomic::{AtomicBool, Ordering};

use rustc_hash::FxHashMap as HashMap;

use super::super::dist::{CallStream, Draw, Stream};
use super::super::heap::{after, time_of, EventHeap};
use super::super::model::Staffing;
use super::super::run::{next_arrival, Counters};
use super::super::SimError;
use super::model::{BlendModel, Reached};
use super::results::{BlendReplication, OutboundCounters};
use crate::acd::keys::{secs, us, Us};
use crate::acd::{
    AgentConfig, CallId, CallSpec, Engine, EngineError, EngineOptions, Out, QueueConfig,
    RawPresence,
};
use crate::outbound::{
    blending_threshold, Blending, ContactSpec, DialMode, Dialer, DialerError, FreeAgents,
    InboundLoad, Outcome,
};

/// Replication-wide random streams (the same purposes as the inbound simulator's).
const ARRIVALS: u64 = 0;
const ENGINE: u64 = 5;

/// Purposes of an inbound call's own streams (of caller, attempt 0).
const HANDLE: u8 = 0;
const PATIENCE: u8 = 1;
const WRAPUP: u8 = 2;

/// Purposes of a dialled attempt's streams (of contact, attempt): a contact draws the same
/// outcome, ring and talk whatever the pacing (common random numbers).
const REACH: u8 = 0;
const RING: u8 = 1;
const AMD: u8 = 2;
const TALK: u8 = 3;
const OUT_WRAPUP: u8 = 4;
const DECIDE: u8 = 5;
const ACCEPT: u8 = 6;
const CALLBACK: u8 = 7;
const CALLBACK_AFTER: u8 = 8;

/// Stop with an error once this many calls are in the engine at once.
const MAX_CALLS: usize = 1_000_000;

/// After the horizon, stop anyway once this many more seconds have passed.
const DRAIN: f64 = 86_400.0;

/// How many events pass between two looks at the stop flag.
const STOP_EVERY: u32 = 1 << 14;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Arrival,
    Staff {
        group: u16,
        index: u32,
    },
    End {
        slot: u32,
        gen: u32,
    },
    Abandon {
        slot: u32,
        gen: u32,
    },
    Outcome {
        line: u64,
    },
    /// a preview agent decides on the contact shown
    Decide {
        slot: u32,
        gen: u32,
    },
    Tick,
    Wake,
    Cut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Free,
    Waiting,
    Connected,
}

/// A call in the engine, by slot.
#[derive(Clone, Copy, Debug)]
struct SimCall {
    gen: u32,
    phase: Phase,
    /// the outbound line, or 0 for an inbound call
    line: u64,
    /// inbound: the call type; outbound: the campaign
    kind: u16,
    /// inbound: the queue; outbound: the campaign
    stat: u32,
    /// the interval counted in (`u32::MAX`: not counted)
    bucket: u32,
    arrival: Us,
    handle: f64,
    /// inbound: the caller; outbound: the campaign and contact
    caller: u64,
    /// outbound: the contact's attempt
    attempt: u32,
    /// a preview offer: the call that holds its agent from the offer to the end of the
    /// line (and of the talk and wrap-up if a person answers)
    offer: bool,
}

/// A line the dialer placed, until it closes.
#[derive(Clone, Copy, Debug)]
struct Line {
    campaign: u16,
    caller: u64,
    attempt: u32,
    reached: Reached,
    bucket: u32,
    /// a preview line: the slot of the offer call holding the agent who accepted it
    /// (`u32::MAX`: none)
    pinned: u32,
}

/// A campaign's fixed facts for the loop.
struct Camp {
    /// the engine queue its answered people join
    queue: u32,
    spec: CallSpec,
    predictive: bool,
    preview: bool,
    /// P(a busy agent frees up within a mean ring time)
    freeing: f64,
    /// the share of the inbound arrivals whose queues its agents serve, times the mean
    /// ring time: the inbound calls expected to reach its agents during a ring, per unit
    /// of the inbound arrival rate
    inbound_per_rate: f64,
    connect_within: f64,
    /// `(agents, inbound rate bits)` of the last automatic threshold, and the threshold
    auto: Option<((u32, u64), u32)>,
}

pub(super) struct Blend<'m> {
    model: &'m BlendModel,
    engine: Engine,
    dialer: Dialer,
    now: Us,
    seq: u64,
    events: EventHeap<Ev>,
    arrivals_rng: Stream,
    call_key: u64,
    out_key: u64,
    callers: u64,
    calls: Vec<SimCall>,
    lines: HashMap<u64, Line>,
    camps: Vec<Camp>,
    /// preview offers made and not yet decided, by campaign
    offers_open: Vec<u32>,
    /// how many times each contact (campaign and contact) was shown to an agent
    shown: HashMap<u64, u32>,
    /// pacing input, reused
    free: Vec<(&'m str, FreeAgents)>,
    cum_share: Vec<f64>,
    type_queue: Vec<u32>,
    type_spec: Vec<CallSpec>,
    thresholds: Vec<f64>,
    inbound: Vec<Vec<Counters>>,
    outbound: Vec<Vec<OutboundCounters>>,
    busy: Vec<Vec<f64>>,
    staffed: Vec<Vec<f64>>,
    agent_group: Vec<u16>,
    agent_counted: Vec<(Us, Us)>,
    agent_on: Vec<bool>,
    group_first: Vec<u32>,
    /// inbound calls waiting
    waiting_inbound: u32,
    start: Us,
    interval: Us,
    warmup_end: Us,
    horizon_end: Us,
    last_cut: Us,
    next_cut: Us,
    /// the dialer's deadline a `Wake` is scheduled for
    wake: Option<Us>,
    /// something changed that may free agents or lines: pace after this event
    dirty: bool,
    /// a pacing tick is due: predictive campaigns count the agents about to free up
    tick: bool,
    dialing: bool,
    arrived: u64,
    inputs: u64,
    stop: &'m AtomicBool,
    until_stop_check: u32,
}

fn engine_err(e: EngineError) -> SimError {
    SimError(format!("the engine refused a simulated event: {e}"))
}

fn dialer_err(e: DialerError) -> SimError {
    SimError(format!("the dialer refused a simulated event: {e}"))
}

impl<'m> Blend<'m> {
    #[inline]
    fn schedule(&mut self, at: Us, ev: Ev) {
        self.seq += 1;
        self.events.push(at, self.seq, ev);
    }

    /// The next statistics cut after `t`: an interval end, the end of the warm-up or the
    /// horizon (`Us::MAX`: none).
    fn cut_after(&self, t: Us) -> Us {
        if t >= self.horizon_end {
            return Us::MAX;
        }
        let k = (t - self.start).max(0) / self.interval + 1;
        let mut next = self.start.saturating_add(k.saturating_mul(self.interval));
        if self.warmup_end > t {
            next = next.min(self.warmup_end);
        }
        next.min(self.horizon_end)
    }

    fn bucket(&self, t: Us) -> u32 {
        if t < self.warmup_end || t >= self.horizon_end {
            return u32::MAX;
        }
        ((t - self.start).max(0) / self.interval) as u32
    }

    /// The next inbound arrival after `from` (exact: memoryless restarts at rate changes).
    fn next_arrival(&mut self, from: Us) -> Option<Us> {
        // a blended day takes no trace and no daily multiplier
        next_arrival(
            &self.model.arrivals,
            from,
            self.start,
            self.horizon_end,
            None,
            &mut self.arrivals_rng,
            0,
        )
    }

    pub(super) fn run(&mut self) -> Result<(), SimError> {
        let drain_end = self.horizon_end.saturating_add(us(DRAIN));
        loop {
            let next_sim = self.events.peek().map(|s| time_of(s.key));
            let next_engine = self.engine.next_deadline_us();
            let (at, engine) = match (next_sim, next_engine) {
                (None, None) => return Ok(()),
                (Some(s), Some(e)) if s < e => (s, false),
                (_, Some(e)) => (e, true),
                (Some(s), None) => (s, false),
            };
            if at > drain_end {
                return Ok(());
            }
            self.until_stop_check -= 1;
            if self.until_stop_check == 0 {
                self.until_stop_check = STOP_EVERY;
                if self.stop.load(Ordering::Relaxed) {
                    return Err(SimError("the run was interrupted".into()));
                }
            }
            self.now = at.max(self.now);
            if engine {
                self.inputs += 1;
                self.engine.advance_raw(self.now).map_err(engine_err)?;
                self.decisions()?;
                self.dirty = true; // (a wrap-up ended, most likely)
            } else {
                let ev = self.events.pop().expect("peeked").ev;
                self.fire(ev)?;
            }
            if self.dirty && self.dialing {
                self.pace()?;
            }
        }
    }

    fn fire(&mut self, ev: Ev) -> Result<(), SimError> {
        match ev {
            Ev::Arrival => {
                self.arrival()?;
                if let Some(t) = self.next_arrival(self.now) {
                    self.schedule(t, Ev::Arrival);
                }
            }
            Ev::Staff { group, index } => self.staff(group, index)?,
            Ev::End { slot, gen } => {
                let c = self.calls[slot as usize];
                if c.gen == gen && c.phase == Phase::Connected {
                    self.end(slot)?;
                }
            }
            Ev::Abandon { slot, gen } => {
                let c = self.calls[slot as usize];
                if c.gen == gen && c.phase == Phase::Waiting {
                    self.abandon(slot)?;
                }
            }
            Ev::Outcome { line } => self.outcome(line)?,
            Ev::Decide { slot, gen } => {
                let c = self.calls[slot as usize];
                if c.gen == gen && c.phase == Phase::Connected {
                    self.decide(slot)?;
                }
            }
            Ev::Tick => {
                self.dirty = true;
                self.tick = true;
                let next = self.now.saturating_add(us(self.model.pace_every).max(1));
                if next < self.horizon_end {
                    self.schedule(next, Ev::Tick);
                }
            }
            Ev::Wake => {
                if self.wake == Some(self.now) {
                    self.wake = None;
                    self.dirty = true;
                }
            }
            Ev::Cut => {
                let t = self.now;
                self.count_agent_time(t);
                if t >= self.horizon_end && self.dialing {
                    self.dialing = false;
                    for cm in &self.model.campaigns {
                        self.dialer
                            .stop_campaign(&cm.campaign.id, secs(t))
                            .map_err(dialer_err)?;
                    }
                }
                self.next_cut = self.cut_after(t);
                if self.next_cut != Us::MAX {
                    self.schedule(self.next_cut, Ev::Cut);
                }
            }
        }
        Ok(())
    }

    /// Count each agent's logged-in and working time since the last cut, up to `at`, in
    /// the interval of the last cut, if that span is after the warm-up and before the
    /// horizon.
    fn count_agent_time(&mut self, at: Us) {
        let counted = self.last_cut >= self.warmup_end && at <= self.horizon_end;
        let b = ((self.last_cut - self.start).max(0) / self.interval) as usize;
        self.last_cut = at;
        for a in 0..self.agent_group.len() {
            let (staffed, working) = self.engine.agent_time_us(a as u32, at);
            let (s0, w0) = std::mem::replace(&mut self.agent_counted[a], (staffed, working));
            if counted && staffed > s0 {
                let g = self.agent_group[a] as usize;
                for (v, span) in [
                    (&mut self.staffed[g], staffed - s0),
                    (&mut self.busy[g], working - w0),
                ] {
                    if v.len() <= b {
                        v.resize(b + 1, 0.0);
                    }
                    v[b] += secs(span);
                }
            }
        }
    }

    fn staff(&mut self, group: u16, index: u32) -> Result<(), SimError> {
        let g = group as usize;
        let first = self.group_first[g];
        let (target, size, next) = match &self.model.groups[g].staffing {
            Staffing::Fixed { count } => (*count, *count, None),
            Staffing::Intervals {
                start,
                interval,
                counts,
            } => {
                let k = (index as usize).min(counts.len().saturating_sub(1));
                let size = counts.iter().copied().max().unwrap_or(0);
                let next = ((index as usize) + 1 < counts.len()).then(|| {
                    us(*start).saturating_add((index as Us + 1).saturating_mul(us(*interval)))
                });
                (counts.get(k).copied().unwrap_or(0), size, next)
            }
            Staffing::Shifts { .. } => unreachable!("validated"),
        };
        for i in 0..size {
            let a = first + i;
            let want = i < target;
            if want != self.agent_on[a as usize] {
                self.inputs += 1;
                let to = if want {
                    RawPresence::Ready
                } else {
                    RawPresence::LoggedOut
                };
                self.engine
                    .presence_raw(a, to, self.now)
                    .map_err(engine_err)?;
                self.agent_on[a as usize] = want;
                self.decisions()?;
            }
        }
        if let Some(at) = next {
            self.schedule(
                at,
                Ev::Staff {
                    group,
                    index: index + 1,
                },
            );
        }
        self.dirty = true;
        Ok(())
    }

    /// A call joins the engine now: its slot, made ready.
    fn admit(&mut self, spec_of: Admit) -> Result<u32, SimError> {
        let (spec, queue) = match spec_of {
            Admit::Inbound(t) => (&self.type_spec[t], self.type_queue[t]),
            Admit::Outbound(c) => (&self.camps[c].spec, self.camps[c].queue),
        };
        self.inputs += 1;
        let (slot, _) = self
            .engine
            .arrive_raw(spec, Some(queue), self.now)
            .map_err(engine_err)?;
        if self.calls.len() <= slot as usize {
            if slot as usize >= MAX_CALLS {
                return Err(SimError(format!(
                    "the model is overloaded: more than {MAX_CALLS} calls in the system at \
                     once at {} s: the arrivals outpace the agents; lower the arrival rate, \
                     add agents, or give the callers a patience",
                    secs(self.now)
                )));
            }
            self.calls.resize(
                slot as usize + 1,
                SimCall {
                    gen: 0,
                    phase: Phase::Free,
                    line: 0,
                    kind: 0,
                    stat: 0,
                    bucket: u32::MAX,
                    arrival: 0,
                    handle: 0.0,
                    caller: 0,
                    attempt: 0,
                    offer: false,
                },
            );
        }
        Ok(slot)
    }

    fn arrival(&mut self) -> Result<(), SimError> {
        let t = if self.cum_share.len() == 1 {
            0
        } else {
            let total = *self.cum_share.last().expect("validated");
            let u = self.arrivals_rng.unit() * total;
            self.cum_share
                .partition_point(|&c| c < u)
                .min(self.cum_share.len() - 1)
        };
        let caller = self.callers;
        self.callers += 1;
        self.arrived += 1;
        let spec = &self.model.inbound[t];
        let handle = spec
            .handle
            .sample(&mut CallStream::new(self.call_key, caller, 0, HANDLE, 0));
        let patience =
            spec.patience
                .sample(&mut CallStream::new(self.call_key, caller, 0, PATIENCE, 0));
        let slot = self.admit(Admit::Inbound(t))?;
        let bucket = self.bucket(self.now);
        let call = &mut self.calls[slot as usize];
        call.gen = call.gen.wrapping_add(1);
        call.phase = Phase::Waiting;
        call.line = 0;
        call.kind = t as u16;
        call.stat = self.type_queue[t];
        call.bucket = bucket;
        call.arrival = self.now;
        call.handle = handle;
        call.caller = caller;
        call.attempt = 0;
        call.offer = false;
        let gen = call.gen;
        self.waiting_inbound += 1;
        if let Some(k) = self.inbound_counters(slot) {
            k.offered += 1;
        }
        if patience.is_finite() {
            self.schedule(after(self.now, patience, false), Ev::Abandon { slot, gen });
        }
        self.decisions()
    }

    fn inbound_counters(&mut self, slot: u32) -> Option<&mut Counters> {
        let c = self.calls[slot as usize];
        if c.bucket == u32::MAX {
            return None;
        }
        let v = &mut self.inbound[c.stat as usize];
        let b = c.bucket as usize;
        if v.len() <= b {
            v.resize(b + 1, Counters::default());
        }
        Some(&mut v[b])
    }

    fn outbound_counters(&mut self, campaign: u16, bucket: u32) -> Option<&mut OutboundCounters> {
        if bucket == u32::MAX {
            return None;
        }
        let v = &mut self.outbound[campaign as usize];
        let b = bucket as usize;
        if v.len() <= b {
            v.resize(b + 1, OutboundCounters::default());
        }
        Some(&mut v[b])
    }

    /// The engine's decisions since the last input: exits, then the calls agents took.
    fn decisions(&mut self) -> Result<(), SimError> {
        if !self.engine.raw_decisions().is_empty() {
            let ds = std::mem::take(self.engine.raw_decisions());
            for d in &ds {
                if let Out::Exit {
                    call: CallId::Num(slot),
                    ..
                } = d
                {
                    self.exited(*slot)?;
                }
            }
            *self.engine.raw_decisions() = ds;
            self.engine.raw_decisions().clear();
        }
        for i in 0..self.engine.raw_answered().len() {
            let (slot, _agent) = self.engine.raw_answered()[i];
            self.answered(slot)?;
        }
        self.engine.raw_answered().clear();
        Ok(())
    }

    /// A call left its queue unanswered (max wait, or no agents).
    fn exited(&mut self, slot: u32) -> Result<(), SimError> {
        let c = self.calls[slot as usize];
        if c.phase != Phase::Waiting {
            return Ok(());
        }
        if c.line == 0 {
            self.waiting_inbound -= 1;
            let wait = secs(self.now - c.arrival);
            if let Some(k) = self.inbound_counters(slot) {
                k.exited += 1;
                k.wait_all += wait;
            }
        } else {
            self.line_abandoned(c.line)?;
        }
        self.calls[slot as usize].phase = Phase::Free;
        Ok(())
    }

    /// Call `slot` is connected to an agent now.
    fn answered(&mut self, slot: u32) -> Result<(), SimError> {
        let c = self.calls[slot as usize];
        if c.offer {
            return self.offer_taken(slot);
        }
        let wait = secs(self.now - c.arrival);
        let handle = if c.line == 0 {
            self.waiting_inbound -= 1;
            let within = wait <= self.thresholds[c.stat as usize] + 1e-9;
            if let Some(k) = self.inbound_counters(slot) {
                k.answered += 1;
                k.answered_within += u64::from(within);
                k.wait_answered += wait;
                k.wait_all += wait;
                k.talk += c.handle;
            }
            c.handle
        } else {
            let line = self.lines.remove(&c.line).expect("an open line");
            self.dialer
                .agent_connected(c.line, secs(self.now))
                .map_err(dialer_err)?;
            if let Some(k) = self.outbound_counters(line.campaign, line.bucket) {
                k.connected += 1;
                k.connect_wait += wait;
                k.talk += c.handle;
            }
            c.handle
        };
        let call = &mut self.calls[slot as usize];
        call.phase = Phase::Connected;
        let gen = call.gen;
        self.schedule(after(self.now, handle, false), Ev::End { slot, gen });
        Ok(())
    }

    fn end(&mut self, slot: u32) -> Result<(), SimError> {
        let c = self.calls[slot as usize];
        let wrapup = if c.line == 0 {
            self.model.inbound[c.kind as usize]
                .wrapup
                .as_ref()
                .map(|d| d.sample(&mut CallStream::new(self.call_key, c.caller, 0, WRAPUP, 0)))
        } else {
            let cm = &self.model.campaigns[c.kind as usize];
            Some(cm.wrapup.as_ref().map_or(0.0, |d| {
                d.sample(&mut CallStream::new(
                    self.out_key,
                    c.caller,
                    c.attempt,
                    OUT_WRAPUP,
                    0,
                ))
            }))
        };
        self.inputs += 1;
        self.engine
            .end_raw(slot, self.now, wrapup.map(|w| after(0, w, false)))
            .map_err(engine_err)?;
        self.calls[slot as usize].phase = Phase::Free;
        self.dirty = true;
        self.decisions()
    }

    fn abandon(&mut self, slot: u32) -> Result<(), SimError> {
        let c = self.calls[slot as usize];
        self.inputs += 1;
        self.engine
            .abandon_raw(slot, self.now)
            .map_err(engine_err)?;
        if c.line == 0 {
            self.waiting_inbound -= 1;
            let wait = secs(self.now - c.arrival);
            let within = wait <= self.thresholds[c.stat as usize] + 1e-9;
            if let Some(k) = self.inbound_counters(slot) {
                k.abandoned += 1;
                k.abandoned_within += u64::from(within);
                k.wait_all += wait;
            }
        } else {
            self.line_abandoned(c.line)?;
        }
        self.calls[slot as usize].phase = Phase::Free;
        self.decisions()
    }

    pub(super) fn finish(mut self) -> BlendReplication {
        // agents' time counts until the last event, or the horizon if the run went past it
        let end = self.now.min(self.horizon_end);
        if end > self.last_cut {
            self.count_agent_time(end);
        }
        let unfinished = self.calls.iter().filter(|c| c.phase != Phase::Free).count() as u64;
        let nb = self
            .inbound
            .iter()
            .map(Vec::len)
            .chain(self.outbound.iter().map(Vec::len))
            .chain(self.busy.iter().map(Vec::len))
            .max()
            .unwrap_or(0);
        for v in &mut self.inbound {
            v.resize(nb, Counters::default());
        }
        for v in &mut self.outbound {
            v.resize(nb, OutboundCounters::default());
        }
        for v in self.busy.iter_mut().chain(self.staffed.iter_mut()) {
            v.resize(nb, 0.0);
        }
        let model = self.model;
        BlendReplication {
            start: model.start,
            interval: model.interval,
            measured: (model.horizon - model.warmup).max(0.0),
            queues: model.queues.iter().map(|q| q.name.clone()).collect(),
            thresholds: self.thresholds,
            inbound: self.inbound,
            campaigns: model
                .campaigns
                .iter()
                .map(|c| c.campaign.id.clone())
                .collect(),
            outbound: self.outbound,
            dialer: model
                .campaigns
                .iter()
                .map(|c| {
                    self.dialer
                        .campaign_stats(&c.campaign.id)
                        .unwrap_or_default()
                })
                .collect(),
            groups: model.groups.iter().map(|g| g.name.clone()).collect(),
            busy: self.busy,
            staffed: self.staffed,
            arrivals: self.arrived,
            unfinished,
            engine_inputs: self.inputs,
        }
    }
}

/// Which kind of call joins the engine.
#[derive(Clone, Copy)]
enum Admit {
    Inbound(usize),
    Outbound(usize),
}
