//! The event loop: the production engine in virtual time.
//!
//! The simulator owns the callers and agents' behaviour (arrivals, answering, talking,
//! hanging up) and nothing of the routing: every routing choice is the engine's. At each step
//! it takes the earlier of its own next event and the engine's next deadline.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};

mod lab;

pub(super) use self::lab::next_arrival;
use self::lab::{by_period, Days, Lab};
use super::dist::{CallStream, Dist, Draw, Stream};
use super::heap::{after, time_of};
use super::model::{Arrivals, Model, Staffing};
use super::SimError;
use crate::acd::keys::{secs, us, Us};
use crate::acd::{
    AgentConfig, CallId, CallSpec, Engine, EngineError, EngineOptions, Out, RawPresence,
    RevokeReason,
};

/// Random-stream purposes: each has its own stream so that they stay in step across runs
/// that differ elsewhere (common random numbers). (1, 2 and 4 were the callers', agents'
/// and retrials' streams, now drawn per call: see `CallStream`.)
const ARRIVALS: u64 = 0;
const DAYS: u64 = 3;
const ENGINE: u64 = 5;

/// The purposes of a call's own streams ([`CallStream`]): every draw about a call comes from
/// the stream of (caller, attempt, purpose), so a caller draws the same whatever happened
/// to the calls before it.
const HANDLE: u8 = 0;
const PATIENCE: u8 = 1;
const WRAPUP: u8 = 2;
const CALLBACK: u8 = 3;
const RETRIAL: u8 = 4;
/// (numbered by the call's offer token: one stream per offer)
const RING: u8 = 5;

/// How many events pass between two looks at the stop flag.
const STOP_EVERY: u32 = 1 << 14;

/// Counters of one statistics line (a queue, or a skills-routed call type) in one interval.
/// Calls count in the interval of their arrival.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counters {
    /// calls that arrived
    pub offered: u64,
    /// answered by an agent
    pub answered: u64,
    /// answered within the line's SL threshold
    pub answered_within: u64,
    /// hung up before an answer
    pub abandoned: u64,
    /// hung up before the SL threshold
    pub abandoned_within: u64,
    /// sent away unanswered (max wait, closed, no agents)
    pub exited: u64,
    /// took a callback
    pub callbacks: u64,
    /// balked: left at once rather than wait (counted in `abandoned` too, with wait 0)
    pub balked: u64,
    /// total wait of answered calls, seconds
    pub wait_answered: f64,
    /// total wait of all finished calls (answered, abandoned, exited), seconds
    pub wait_all: f64,
    /// total talk time of answered calls, seconds
    pub talk: f64,
}

impl Counters {
    fn add(&mut self, o: &Counters) {
        self.offered += o.offered;
        self.answered += o.answered;
        self.answered_within += o.answered_within;
        self.abandoned += o.abandoned;
        self.abandoned_within += o.abandoned_within;
        self.exited += o.exited;
        self.callbacks += o.callbacks;
        self.balked += o.balked;
        self.wait_answered += o.wait_answered;
        self.wait_all += o.wait_all;
        self.talk += o.talk;
    }
}

/// Per-call records, as flat columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallRecords {
    /// arrival time, seconds
    pub arrival: Vec<f64>,
    /// call type index
    pub call_type: Vec<u32>,
    /// statistics line index
    pub line: Vec<u32>,
    /// wait until answer or leaving, seconds
    pub wait: Vec<f64>,
    /// 0 answered, 1 abandoned, 2 exited, 3 unfinished at the end
    pub outcome: Vec<u8>,
    /// agent index (into [`Replication::agents`]) or -1
    pub agent: Vec<i64>,
    /// talk time, seconds (0 when not answered)
    pub handle: Vec<f64>,
    /// 1 for a retrial
    pub retrial: Vec<u8>,
}

/// What one replication measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Replication {
    /// statistics lines: the model's queues, then one per skills-routed call type
    pub lines: Vec<String>,
    /// SL threshold per line, seconds
    pub thresholds: Vec<f64>,
    /// first interval start, seconds
    pub start: f64,
    /// interval length, seconds
    pub interval: f64,
    /// `[line][interval]`
    pub counters: Vec<Vec<Counters>>,
    /// group names
    pub groups: Vec<String>,
    /// agent-seconds busy (offered, talking, wrap-up) per `[group][interval]`
    pub busy: Vec<Vec<f64>>,
    /// agent-seconds logged in and not on break per `[group][interval]`
    pub staffed: Vec<Vec<f64>>,
    /// agent ids, in engine order
    pub agents: Vec<String>,
    /// per-call records when asked for
    pub calls: Option<CallRecords>,
    /// calls that arrived (retrials included)
    pub arrivals: u64,
    /// calls still in the system when nothing more could happen
    pub unfinished: u64,
    /// inputs fed to the engine
    pub engine_inputs: u64,
}

impl Replication {
    /// Totals of one line over all intervals.
    pub fn line_total(&self, line: usize) -> Counters {
        let mut total = Counters::default();
        for c in &self.counters[line] {
            total.add(c);
        }
        total
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Arrival,
    Retrial {
        call_type: u16,
        attempt: u32,
        caller: u64,
    },
    Accept {
        slot: u32,
        gen: u32,
        token: u32,
    },
    End {
        slot: u32,
        gen: u32,
    },
    Abandon {
        slot: u32,
        gen: u32,
    },
    Callback {
        slot: u32,
        gen: u32,
    },
    Staff {
        group: u16,
        index: u32,
    },
    /// an arrival of the `index`th call type with its own process
    TypeArrival {
        index: u16,
    },
    Shift {
        agent: u32,
        what: u8,
    },
}

/// The event queue's entries and the queue itself (see `super::heap`), of this loop's events.
type Scheduled = super::heap::Scheduled<Ev>;
type EventHeap = super::heap::EventHeap<Ev>;

/// Where the next event is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Heap,
    Now,
    Arrival,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Free,
    Waiting,
    Offered,
    Connected,
}

#[derive(Clone, Debug)]
struct SimCall {
    gen: u32,
    token: u32,
    phase: Phase,
    call_type: u16,
    line: u32,
    /// where its counters are in `Sim::counters` (`u32::MAX`: not counted, see
    /// `count_slot`)
    counter: u32,
    arrival: Us,
    handle: f64,
    /// the caller (numbered by first arrival) and which attempt of theirs this is (0 the
    /// first): the coordinates of the call's random streams
    caller: u64,
    attempt: u32,
    record: bool,
    retrial: bool,
    callback: bool,
    agent: u32,
    /// the call's abandon event, scheduled (its time and sequence drawn) but held out of the
    /// event queue while an answer scheduled before it is pending (see `hold_abandon`)
    abandon: Option<(Us, u64)>,
    /// the key of the call's pending answer, if one is scheduled
    accept: Option<(Us, u64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Presence {
    Out,
    Ready,
    Break,
}

struct SimAgent {
    group: u16,
    presence: Presence,
    /// (staffed, working) µs from the engine at the last interval end
    counted: (Us, Us),
}

struct Sim<'m> {
    model: &'m Model,
    engine: Engine,
    now: Us,
    seq: u64,
    events: EventHeap,
    /// events scheduled for the very time they were scheduled at (an answer with no ring):
    /// in (time, sequence) order already, so they skip the heap
    now_events: VecDeque<Scheduled>,
    /// the next arrival (there is one pending nearly always), kept out of the heap
    arrival_ev: Option<Scheduled>,
    arrivals_rng: Stream,
    /// the daily multipliers of the model's process (and of every process when shared)
    days: Days,
    lab: Lab,
    /// the key of the calls' own streams
    call_key: u64,
    /// callers that arrived (retrials not counted)
    callers: u64,
    /// the arrival after the one scheduled, drawn ahead (see `schedule_next_arrival`)
    arrival_ahead: Option<Option<Us>>,
    next_trace: usize,
    arrived: u64,
    /// by engine call slot (the engine knows the simulator's calls by slot)
    calls: Vec<SimCall>,
    agents: Vec<SimAgent>,
    /// the engine's decisions being handled (kept for its room)
    out: Vec<Out>,
    type_line: Vec<u32>,
    /// the engine's call spec per call type (its id is not read)
    type_spec: Vec<CallSpec>,
    /// the engine queue of each call type, once its first call has found it
    type_queue: Vec<Option<u32>>,
    cum_share: Vec<f64>,
    thresholds: Vec<f64>,
    /// the counters of every line and interval, interval by interval (interval `b`'s of
    /// line `l` at `b × lines + l`: one index per call, kept with it)
    counters: Vec<Counters>,
    busy: Vec<Vec<f64>>,
    staffed: Vec<Vec<f64>>,
    records: Option<CallRecords>,
    record_index: Vec<usize>,
    start: Us,
    interval: Us,
    /// the interval whose agent time is still to be counted, and its end
    open_interval: (usize, Us),
    /// the next time the agents' time is read: the open interval's end, or the end of the
    /// warm-up or of the horizon (agent time counts between those two, as calls do)
    next_cut: Us,
    /// the last time the agents' time was read
    last_cut: Us,
    /// the time of the last input to the engine
    last_input: Us,
    warmup_end: Us,
    horizon_end: Us,
    unfinished: u64,
    inputs: u64,
    line_names: Vec<String>,
    group_first: Vec<u32>,
    drain_end: Us,
    /// set by another thread to stop the run
    stop: &'m AtomicBool,
    /// events until the next look at `stop`
    until_stop_check: u32,
}

fn engine_err(e: EngineError) -> SimError {
    SimError(format!("the engine refused a simulated event: {e}"))
}

/// Run one replication of `model` (replication `index` of the streams from `seed`).
pub fn run(model: &Model, seed: u64, index: u64) -> Result<Replication, SimError> {
    run_until(model, seed, index, &AtomicBool::new(false))
}

/// [`run`], stopping with an error soon after `stop` is set (by another thread).
pub fn run_until(
    model: &Model,
    seed: u64,
    index: u64,
    stop: &AtomicBool,
) -> Result<Replication, SimError> {
    model.validate()?;
    let mut sim = Sim::new(model, seed, index, stop)?;
    sim.run()?;
    Ok(sim.finish())
}

impl<'m> Sim<'m> {
    fn new(
        model: &'m Model,
        seed: u64,
        index: u64,
        stop: &'m AtomicBool,
    ) -> Result<Self, SimError> {
        let mut engine = Engine::new(EngineOptions {
            seed: Stream::new(seed, index, ENGINE).next_u64(),
            interval: model.interval,
            ..EngineOptions::default()
        })
        .map_err(engine_err)?;
        // Queues as they are: a call type's own wrap-up is handed to the engine at each
        // call's end, whichever queue answered it.
        let mut lines = Vec::new();
        let mut thresholds = Vec::new();
        for q in &model.queues {
            lines.push(q.name.clone());
            thresholds.push(q.sl_threshold);
            engine.add_queue(q.clone()).map_err(engine_err)?;
        }
        let mut type_line = Vec::new();
        let mut type_queue = Vec::new();
        for c in &model.calls {
            match &c.queue {
                Some(q) => {
                    let i = model
                        .queues
                        .iter()
                        .position(|x| &x.name == q)
                        .expect("validated");
                    type_line.push(i as u32);
                    type_queue.push(Some(q.clone()));
                }
                None => {
                    type_line.push(lines.len() as u32);
                    lines.push(format!("type:{}", c.name));
                    thresholds.push(c.sl_threshold.unwrap_or(20.0));
                    type_queue.push(None);
                }
            }
        }
        let mut agents = Vec::new();
        let mut group_first = Vec::new();
        for (g, group) in model.groups.iter().enumerate() {
            group_first.push(agents.len() as u32);
            let n = group.staffing_size() as usize;
            for i in 0..n {
                let mut a = AgentConfig::new(&format!("{}/{i}", group.name), &group.tenant);
                a.skills = group.skills.clone();
                if let Some(c) = &group.capacity {
                    a.capacity = c.clone();
                }
                if let Some(x) = &group.exclusive {
                    a.exclusive = x.clone();
                }
                a.weight = group.weight;
                // an agent who always answers at once: the engine connects its offers
                // itself (the same outcome as an offer accepted at once, with less work)
                a.auto_answer = group.no_answer <= 0.0
                    && matches!(group.ring, Dist::Deterministic { value } if value <= 0.0);
                engine.add_agent(a).map_err(engine_err)?;
                agents.push(SimAgent {
                    group: g as u16,
                    presence: Presence::Out,
                    counted: (0, 0),
                });
            }
        }
        // decisions name agents by engine index, which is the simulator's agent index
        engine.keep_raw_decisions(true);
        let type_spec = model
            .calls
            .iter()
            .zip(&type_queue)
            .map(|(spec, queue)| CallSpec {
                id: String::new(),
                queue: queue.clone(),
                skills: spec.skills.clone(),
                priority: spec.priority,
                media: spec.media.clone(),
                tenant: if spec.skills.is_some() {
                    Some(spec.tenant.clone().unwrap_or_else(|| "default".into()))
                } else {
                    spec.tenant.clone()
                },
                data: Vec::new(),
            })
            .collect();
        let mut total = 0.0;
        let cum_share = model
            .calls
            .iter()
            .map(|c| {
                // (the types with their own arrivals take none of the model's)
                if c.arrivals.is_none() {
                    total += c.share;
                }
                total
            })
            .collect();
        let start = us(model.start);
        let ngroups = model.groups.len();
        let mut sim = Sim {
            model,
            engine,
            now: start,
            seq: 0,
            events: EventHeap::default(),
            now_events: VecDeque::new(),
            arrival_ev: None,
            arrivals_rng: Stream::new(seed, index, ARRIVALS),
            days: Days::new(Stream::new(seed, index, DAYS)),
            lab: Lab::new(model, seed, index),
            call_key: CallStream::key(seed, index),
            callers: 0,
            arrival_ahead: None,
            next_trace: 0,
            arrived: 0,
            calls: Vec::new(),
            agents,
            out: Vec::new(),
            type_queue: vec![None; type_line.len()],
            type_line,
            type_spec,
            cum_share,
            thresholds,
            counters: Vec::new(),
            busy: vec![Vec::new(); ngroups],
            staffed: vec![Vec::new(); ngroups],
            records: model.record_calls.then(CallRecords::default),
            record_index: Vec::new(),
            start,
            interval: us(model.interval),
            open_interval: (0, start + us(model.interval)),
            next_cut: start,
            last_cut: start,
            last_input: start,
            warmup_end: start + us(model.warmup),
            horizon_end: start + us(model.horizon),
            unfinished: 0,
            inputs: 0,
            line_names: lines,
            group_first,
            drain_end: start + us(model.horizon) + us(model.drain),
            stop,
            until_stop_check: STOP_EVERY,
        };
        sim.next_cut = sim.cut_after(start);
        sim.schedule_staffing();
        sim.schedule_next_arrival(start);
        for k in 0..sim.lab.types.len() {
            sim.schedule_type_arrival(k, start);
        }
        Ok(sim)
    }
}

impl Sim<'_> {
    #[inline(always)]
    fn schedule(&mut self, at: Us, ev: Ev) {
        self.seq += 1;
        let seq = self.seq;
        // each made where it goes (a copy of one made on the stack is read back wider than
        // it was written, which stalls the store forwarding)
        if at == self.now {
            self.now_events.push_back(Scheduled::new(at, seq, ev));
        } else if ev == Ev::Arrival && self.arrival_ev.is_none() {
            self.arrival_ev = Some(Scheduled::new(at, seq, ev));
        } else {
            self.events.push(at, seq, ev);
        }
    }

    /// (time, source) of the earliest scheduled event, if any.
    #[inline]
    fn next_event(&self) -> Option<(Us, Source)> {
        let mut best = self.events.peek().map(|b| (b.key, Source::Heap));
        for (item, source) in [
            (self.now_events.front(), Source::Now),
            (self.arrival_ev.as_ref(), Source::Arrival),
        ] {
            if let Some(a) = item {
                if best.is_none_or(|(k, _)| a.key < k) {
                    best = Some((a.key, source));
                }
            }
        }
        best.map(|(key, source)| (time_of(key), source))
    }

    /// Take the earliest scheduled event, from where `next_event` found it.
    fn pop_event(&mut self, source: Source) -> Ev {
        match source {
            Source::Heap => self.events.pop().expect("peeked").ev,
            Source::Now => self.now_events.pop_front().expect("peeked").ev,
            Source::Arrival => self.arrival_ev.take().expect("peeked").ev,
        }
    }

    fn schedule_staffing(&mut self) {
        for (g, group) in self.model.groups.iter().enumerate() {
            match &group.staffing {
                Staffing::Fixed { .. } => self.schedule(
                    self.start,
                    Ev::Staff {
                        group: g as u16,
                        index: 0,
                    },
                ),
                Staffing::Intervals { start, .. } => self.schedule(
                    us(*start).max(self.start),
                    Ev::Staff {
                        group: g as u16,
                        index: 0,
                    },
                ),
                Staffing::Shifts { shifts } => {
                    let first = self.group_first[g];
                    for (i, shift) in shifts.iter().enumerate() {
                        let agent = first + i as u32;
                        self.schedule(us(shift.start), Ev::Shift { agent, what: 0 });
                        for (k, &(b0, b1)) in shift.breaks.iter().take(126).enumerate() {
                            let k = k as u8;
                            self.schedule(
                                us(b0),
                                Ev::Shift {
                                    agent,
                                    what: 2 * k + 1,
                                },
                            );
                            self.schedule(
                                us(b1),
                                Ev::Shift {
                                    agent,
                                    what: 2 * k + 2,
                                },
                            );
                        }
                        self.schedule(us(shift.end), Ev::Shift { agent, what: 255 });
                    }
                }
            }
        }
    }

    /// The next arrival of the model's process after `from` (none without one).
    fn next_arrival_time(&mut self, from: Us) -> Option<Us> {
        next_arrival(
            self.model.arrivals.as_ref()?,
            from,
            self.start,
            self.horizon_end,
            self.model
                .daily_multiplier
                .as_ref()
                .map(|d| (d, &mut self.days)),
            &mut self.arrivals_rng,
            self.next_trace,
        )
    }

    /// Schedule the arrival after `from` (the one just made, or the start). Its time was
    /// drawn one arrival ahead: the time of the next arrival decides which event comes next,
    /// and a time drawn just before that test would hold the test (and the loop behind it)
    /// up for the whole draw. (Not for a trace, whose times are read in step with its types.)
    fn schedule_next_arrival(&mut self, from: Us) {
        if self.model.max_calls.is_some_and(|m| self.arrived >= m) {
            return;
        }
        let next = match self.arrival_ahead.take() {
            Some(t) => t,
            None => self.next_arrival_time(from),
        };
        if let Some(t) = next {
            if t < self.horizon_end {
                self.schedule(t, Ev::Arrival);
                if !matches!(self.model.arrivals, Some(Arrivals::Trace { .. })) {
                    self.arrival_ahead = Some(self.next_arrival_time(t));
                }
            }
        }
    }

    fn run(&mut self) -> Result<(), SimError> {
        loop {
            let next_sim = self.next_event();
            let next_engine = self.engine.next_deadline_us();
            let (at, source) = match (next_sim, next_engine) {
                (None, None) => return Ok(()),
                (Some((s, source)), Some(e)) if s < e => (s, Some(source)),
                (_, Some(e)) => (e, None),
                (Some((s, source)), None) => (s, Some(source)),
            };
            if at > self.drain_end {
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
            match source {
                None => {
                    self.input();
                    self.engine.advance_raw(self.now).map_err(engine_err)?;
                    self.decisions();
                }
                Some(source) => {
                    let ev = self.pop_event(source);
                    self.fire(ev)?;
                }
            }
        }
    }

    /// Count an input to the engine, made now: the agents' time is read at every cut
    /// (interval end...) passed since the last input, before the engine changes (events
    /// that change nothing, like the abandon event of a call answered meanwhile, read none:
    /// the agents' time ends with the last input, not with them).
    #[inline(always)]
    fn input(&mut self) {
        self.inputs += 1;
        self.last_input = self.now;
        if self.now >= self.next_cut {
            self.close_intervals(self.now);
        }
    }

    fn bucket(&self, t: Us) -> usize {
        ((t - self.start).max(0) / self.interval) as usize
    }

    /// The counters call `slot` is counted in (its line, its arrival's interval), if any.
    #[inline]
    fn counters(&mut self, slot: u32) -> Option<&mut Counters> {
        let i = self.calls[slot as usize].counter;
        if i == u32::MAX {
            return None; // arrived in the warm-up
        }
        Some(&mut self.counters[i as usize])
    }

    /// Where call `slot`'s counters are (its line's in its arrival's interval; `u32::MAX`:
    /// none, it arrived in the warm-up), made if new.
    fn count_slot(&mut self, slot: u32) -> u32 {
        let call = &self.calls[slot as usize];
        if call.arrival < self.warmup_end {
            return u32::MAX;
        }
        let (open, end) = self.open_interval;
        let b = if call.arrival < end && call.arrival >= end - self.interval {
            open // the usual case: no division
        } else {
            self.bucket(call.arrival)
        };
        let lines = self.line_names.len();
        if self.counters.len() < (b + 1) * lines {
            self.counters.resize((b + 1) * lines, Counters::default());
        }
        u32::try_from(b * lines + call.line as usize).expect("bounded by Model::validate")
    }

    fn fire(&mut self, ev: Ev) -> Result<(), SimError> {
        match ev {
            // (with several processes pending, another may have reached max_calls since)
            Ev::Arrival if self.model.max_calls.is_some_and(|m| self.arrived >= m) => {}
            Ev::Arrival => {
                let call_type = match &self.model.arrivals {
                    Some(Arrivals::Trace {
                        types: Some(types), ..
                    }) => types[self.next_trace] as usize,
                    // one call type: nothing to draw
                    _ if self.cum_share.len() == 1 => 0,
                    _ => {
                        let total = *self.cum_share.last().expect("validated");
                        let u = self.arrivals_rng.unit() * total;
                        self.cum_share
                            .partition_point(|&c| c < u)
                            .min(self.cum_share.len() - 1)
                    }
                };
                if matches!(self.model.arrivals, Some(Arrivals::Trace { .. })) {
                    self.next_trace += 1;
                }
                let caller = self.callers;
                self.callers += 1;
                self.new_call(call_type, caller, 0)?;
                let now = self.now;
                self.schedule_next_arrival(now);
            }
            Ev::Retrial {
                call_type,
                attempt,
                caller,
            } => self.new_call(call_type as usize, caller, attempt)?,
            Ev::Accept { slot, gen, token } => {
                let c = &self.calls[slot as usize];
                if c.gen == gen && c.token == token && c.phase == Phase::Offered {
                    self.input();
                    self.engine.accept_raw(slot, self.now).map_err(engine_err)?;
                    self.answered(slot);
                    self.decisions();
                }
            }
            Ev::End { slot, gen } => {
                if self.calls[slot as usize].gen == gen
                    && self.calls[slot as usize].phase == Phase::Connected
                {
                    self.input();
                    let call = &self.calls[slot as usize];
                    let handle = call.handle;
                    // the call type's own wrap-up, drawn here and timed by the engine (the
                    // answering queue's otherwise)
                    let spec = &self.model.calls[call.call_type as usize];
                    let wrapup = match &spec.wrapup_by_period {
                        Some(list) => Some(by_period(list, self.lab.period(call.arrival))),
                        None => spec.wrapup.as_ref(),
                    };
                    let wrapup = wrapup.map(|d| {
                        let mut rng =
                            CallStream::new(self.call_key, call.caller, call.attempt, WRAPUP, 0);
                        after(0, d.sample(&mut rng), false)
                    });
                    self.engine
                        .end_raw(slot, self.now, wrapup)
                        .map_err(engine_err)?;
                    if let Some(k) = self.counters(slot) {
                        k.talk += handle;
                    }
                    if let Some(ri) = self.record_slot(slot) {
                        if let Some(r) = self.records.as_mut() {
                            r.handle[ri] = handle;
                        }
                    }
                    self.release(slot);
                    self.decisions();
                }
            }
            Ev::Abandon { slot, gen } => {
                let c = &self.calls[slot as usize];
                if c.gen == gen && !c.callback && matches!(c.phase, Phase::Waiting | Phase::Offered)
                {
                    self.abandon_now(slot)?;
                }
            }
            Ev::Callback { slot, gen } => {
                let c = &self.calls[slot as usize];
                if c.gen == gen && c.phase == Phase::Waiting && !c.callback {
                    let accept = self.model.calls[c.call_type as usize]
                        .callback
                        .as_ref()
                        .map_or(0.0, |cb| cb.accept);
                    let mut rng = CallStream::new(self.call_key, c.caller, c.attempt, CALLBACK, 0);
                    if rng.unit() <= accept {
                        self.input();
                        self.engine
                            .callback_raw(slot, self.now)
                            .map_err(engine_err)?;
                        self.calls[slot as usize].callback = true;
                        if let Some(k) = self.counters(slot) {
                            k.callbacks += 1;
                        }
                        self.decisions();
                    }
                }
            }
            Ev::Staff { group, index } => {
                let g = group as usize;
                let (target, next) = match &self.model.groups[g].staffing {
                    Staffing::Fixed { count } => (*count, None),
                    Staffing::Intervals {
                        start,
                        interval,
                        counts,
                    } => {
                        let k = (index as usize).min(counts.len().saturating_sub(1));
                        let target = counts.get(k).copied().unwrap_or(0);
                        let next = ((index as usize) + 1 < counts.len()).then(|| {
                            us(*start)
                                .saturating_add((index as Us + 1).saturating_mul(us(*interval)))
                        });
                        (target, next)
                    }
                    Staffing::Shifts { .. } => unreachable!("shifts use Shift events"),
                };
                self.staff_to(g, target)?;
                if let Some(at) = next {
                    self.schedule(
                        at,
                        Ev::Staff {
                            group,
                            index: index + 1,
                        },
                    );
                }
            }
            Ev::TypeArrival { index } => self.type_arrival(index as usize)?,
            Ev::Shift { agent, what } => {
                let p = match what {
                    0 => Presence::Ready,
                    255 => Presence::Out,
                    w if w % 2 == 1 => Presence::Break,
                    _ => Presence::Ready,
                };
                if self.agents[agent as usize].presence != p {
                    self.set_presence(agent, p)?;
                }
            }
        }
        Ok(())
    }

    fn set_presence(&mut self, a: u32, p: Presence) -> Result<(), SimError> {
        self.input();
        let to = match p {
            Presence::Ready => RawPresence::Ready,
            Presence::Break => RawPresence::NotReady("break"),
            Presence::Out => RawPresence::LoggedOut,
        };
        // (in µs, as every other input: a float round trip can land before the engine's
        // clock far from zero)
        self.engine
            .presence_raw(a, to, self.now)
            .map_err(engine_err)?;
        self.agents[a as usize].presence = p;
        self.decisions();
        Ok(())
    }

    /// Attempt `attempt` of caller `caller` (0: the first) arrives now.
    fn new_call(&mut self, call_type: usize, caller: u64, attempt: u32) -> Result<(), SimError> {
        let now = self.now;
        let retrial = attempt > 0;
        let spec = &self.model.calls[call_type];
        let key = self.call_key;
        let period = self.lab.period(now);
        let handle = match &spec.handle_by_period {
            Some(list) => by_period(list, period),
            None => &spec.handle,
        }
        .sample(&mut CallStream::new(key, caller, attempt, HANDLE, 0));
        let patience = match spec.patience_by_period {
            Some(ref list) => by_period(list, period),
            None => &spec.patience,
        };
        let patience = match *patience {
            Dist::Never => f64::INFINITY, // (no stream needed)
            ref d => d.sample(&mut CallStream::new(key, caller, attempt, PATIENCE, 0)),
        };
        // the engine takes the call first (it names the slot); its decisions are handled
        // after the call's own events are scheduled
        self.input();
        let (slot, queue) = self
            .engine
            .arrive_raw(&self.type_spec[call_type], self.type_queue[call_type], now)
            .map_err(engine_err)?;
        self.type_queue[call_type] = Some(queue);
        if self.calls.len() <= slot as usize {
            if slot >= self.model.max_in_system {
                return Err(self.overloaded());
            }
            self.calls.resize(
                slot as usize + 1,
                SimCall {
                    gen: 0,
                    token: 0,
                    phase: Phase::Free,
                    call_type: 0,
                    line: 0,
                    counter: u32::MAX,
                    arrival: 0,
                    handle: 0.0,
                    caller: 0,
                    attempt: 0,
                    record: false,
                    retrial: false,
                    callback: false,
                    agent: u32::MAX,
                    abandon: None,
                    accept: None,
                },
            );
        }
        self.arrived += 1;
        let record = self.records.is_some();
        let call = &mut self.calls[slot as usize];
        debug_assert!(
            call.phase == Phase::Free,
            "engine and simulator slots in step"
        );
        call.gen = call.gen.wrapping_add(1);
        call.token = 0;
        call.phase = Phase::Waiting;
        call.call_type = call_type as u16;
        call.line = self.type_line[call_type];
        call.arrival = now;
        call.handle = handle;
        call.caller = caller;
        call.attempt = attempt;
        call.record = record;
        call.retrial = retrial;
        call.callback = false;
        call.agent = u32::MAX;
        call.abandon = None;
        call.accept = None;
        let gen = call.gen;
        if let Some(r) = self.records.as_mut() {
            let i = r.arrival.len();
            r.arrival.push(secs(now));
            r.call_type.push(call_type as u32);
            r.line.push(self.type_line[call_type]);
            r.wait.push(0.0);
            r.outcome.push(3);
            r.agent.push(-1);
            r.handle.push(0.0);
            r.retrial.push(u8::from(retrial));
            if self.record_index.len() <= slot as usize {
                self.record_index.resize(slot as usize + 1, usize::MAX);
            }
            self.record_index[slot as usize] = i;
        }
        self.calls[slot as usize].counter = self.count_slot(slot);
        if let Some(k) = self.counters(slot) {
            k.offered += 1;
        }
        if patience.is_finite() {
            // scheduled now (its sequence taken), queued only if it may matter: most calls
            // are answered first, and their abandon events would only be popped and ignored
            self.seq += 1;
            self.calls[slot as usize].abandon = Some((after(now, patience, false), self.seq));
        }
        if let Some(cb) = &spec.callback {
            self.schedule(after(now, cb.after, false), Ev::Callback { slot, gen });
        }
        self.decisions();
        if spec.balking.is_some() && self.balk(slot)? {
            return Ok(());
        }
        let c = &self.calls[slot as usize];
        if let Some(key) = c.abandon {
            match c.phase {
                Phase::Offered if c.accept.is_some_and(|k| k < key) => {} // held
                Phase::Waiting | Phase::Offered => self.queue_abandon(slot),
                Phase::Free | Phase::Connected => self.drop_abandon(slot),
            }
        }
        Ok(())
    }

    /// The error of a run with too many calls in the system at once, naming the line that
    /// holds the most.
    #[cold]
    fn overloaded(&self) -> SimError {
        let mut per_line = vec![0u64; self.line_names.len()];
        for c in self.calls.iter().filter(|c| c.phase != Phase::Free) {
            per_line[c.line as usize] += 1;
        }
        let (line, n) = per_line
            .iter()
            .enumerate()
            .max_by_key(|&(_, n)| *n)
            .map_or((0, 0), |(l, n)| (l, *n));
        SimError(format!(
            "the model is overloaded: more than max_in_system = {} calls in the system at \
             once at {} s ({n} of them on line {:?}): the arrivals outpace the agents and \
             nothing relieves the queue; lower the arrival rate, add agents, or give the \
             callers a patience",
            self.model.max_in_system,
            secs(self.now),
            self.line_names.get(line).map_or("", String::as_str),
        ))
    }

    /// Call `slot`'s wait until now, and whether it is within its line's threshold.
    fn waited(&self, slot: u32) -> (f64, bool) {
        let call = &self.calls[slot as usize];
        let wait = secs(self.now - call.arrival);
        (wait, wait <= self.thresholds[call.line as usize] + 1e-9)
    }

    /// Call `slot` is connected now: count its wait and schedule its end.
    fn answered(&mut self, slot: u32) {
        let now = self.now;
        self.drop_abandon(slot);
        self.agent_handle(slot);
        let call = &mut self.calls[slot as usize];
        call.phase = Phase::Connected;
        call.accept = None;
        let (gen, handle) = (call.gen, call.handle);
        let (wait, within) = self.waited(slot);
        if let Some(k) = self.counters(slot) {
            k.answered += 1;
            k.answered_within += u64::from(within);
            k.wait_answered += wait;
            k.wait_all += wait;
        }
        self.record(slot, 0, wait);
        self.schedule(after(now, handle, false), Ev::End { slot, gen });
    }

    /// Put call `slot`'s held abandon event in the event queue, with its original key.
    fn queue_abandon(&mut self, slot: u32) {
        let c = &mut self.calls[slot as usize];
        if let Some((at, seq)) = c.abandon.take() {
            let gen = c.gen;
            // the heap orders by key, so an event may join it late (not the FIFO of `now`)
            self.events.push(at, seq, Ev::Abandon { slot, gen });
        }
    }

    /// Forget call `slot`'s held abandon event (it would have fired on an answered or gone
    /// call, and done nothing).
    #[inline]
    fn drop_abandon(&mut self, slot: u32) {
        let abandon = &mut self.calls[slot as usize].abandon;
        if abandon.is_some() {
            *abandon = None; // (a call without patience has none: no store needed)
        }
    }

    fn record_slot(&self, slot: u32) -> Option<usize> {
        if !self.calls[slot as usize].record {
            return None;
        }
        self.record_index.get(slot as usize).copied()
    }

    fn record(&mut self, slot: u32, outcome: u8, wait: f64) {
        let agent = self.calls[slot as usize].agent;
        if let Some(ri) = self.record_slot(slot) {
            if let Some(r) = self.records.as_mut() {
                r.outcome[ri] = outcome;
                r.wait[ri] = wait;
                if outcome == 0 {
                    r.agent[ri] = i64::from(agent);
                }
            }
        }
    }

    fn release(&mut self, slot: u32) {
        self.drop_abandon(slot);
        self.calls[slot as usize].phase = Phase::Free;
    }

    fn slot_of(id: &CallId) -> u32 {
        match id {
            CallId::Num(slot) => *slot,
            CallId::Str(_) => unreachable!("simulated calls are known by slot"),
        }
    }

    fn decisions(&mut self) {
        if !self.engine.raw_decisions().is_empty() {
            self.other_decisions(); // (most inputs decide nothing but answers)
        }
        // then the calls auto-answer agents took (the same as an `Offer` with
        // `auto_answer`): an answer is the last thing to happen to a call in an input, after
        // any revoke of an earlier offer that sent it back to its queue
        for i in 0..self.engine.raw_answered().len() {
            let (slot, a) = self.engine.raw_answered()[i];
            let c = &mut self.calls[slot as usize];
            c.agent = a;
            c.token = c.token.wrapping_add(1);
            self.answered(slot);
        }
        self.engine.raw_answered().clear();
    }

    /// The decisions other than auto-answers, in the engine's order.
    fn other_decisions(&mut self) {
        let mut ds = std::mem::take(&mut self.out);
        std::mem::swap(&mut ds, self.engine.raw_decisions());
        for d in ds.drain(..) {
            match d {
                Out::Offer {
                    call,
                    agent: a,
                    expires,
                    auto_answer,
                    ..
                } => {
                    // (in raw mode auto-answered calls come as `raw_answered` pairs)
                    debug_assert!(!auto_answer, "an auto-answer offer in raw mode");
                    let slot = Self::slot_of(&call);
                    let g = self.agents[a as usize].group as usize;
                    let c = &mut self.calls[slot as usize];
                    c.phase = Phase::Offered;
                    c.agent = a;
                    c.token = c.token.wrapping_add(1);
                    let (gen, token) = (c.gen, c.token);
                    c.accept = None;
                    let mut rng = CallStream::new(self.call_key, c.caller, c.attempt, RING, token);
                    let group = &self.model.groups[g];
                    if group.no_answer > 0.0 && rng.unit() <= group.no_answer {
                        continue; // the offer will lapse
                    }
                    let ring = group.ring.sample(&mut rng);
                    let at = after(self.now, ring, false);
                    if at < us(expires) {
                        self.schedule(at, Ev::Accept { slot, gen, token });
                        self.calls[slot as usize].accept = Some((at, self.seq));
                    }
                }
                Out::Revoked { call, reason, .. } => {
                    if reason != RevokeReason::Abandoned {
                        let slot = Self::slot_of(&call);
                        let c = &mut self.calls[slot as usize];
                        c.phase = Phase::Waiting;
                        c.token = c.token.wrapping_add(1);
                        c.accept = None;
                        self.queue_abandon(slot);
                    }
                }
                Out::Exit { call, .. } => {
                    let slot = Self::slot_of(&call);
                    let wait = secs(self.now - self.calls[slot as usize].arrival);
                    if let Some(k) = self.counters(slot) {
                        k.exited += 1;
                        k.wait_all += wait;
                    }
                    self.record(slot, 2, wait);
                    self.release(slot);
                }
                // (agent time is read from the engine at interval ends, not per change)
                Out::AgentState { .. }
                | Out::Queued { .. }
                | Out::Step { .. }
                | Out::Overflow { .. } => {}
            }
        }
        self.out = ds;
    }

    /// The first end of the warm-up or of the horizon after `t` (`Us::MAX`: none).
    fn cut_after(&self, t: Us) -> Us {
        let window = [self.warmup_end, self.horizon_end]
            .into_iter()
            .find(|&c| c > t)
            .unwrap_or(Us::MAX);
        window.min(self.open_interval.1)
    }

    /// Count the agents' time up to every cut (interval end, end of the warm-up or of the
    /// horizon) at or before `at`.
    fn close_intervals(&mut self, at: Us) {
        while at >= self.next_cut {
            let t = self.next_cut;
            self.count_agent_time(t);
            if t == self.open_interval.1 {
                self.open_interval.0 += 1;
                self.open_interval.1 += self.interval;
            }
            self.next_cut = self.cut_after(t);
        }
    }

    /// Count each agent's staffed and working time since the last cut, up to `at` (no
    /// earlier than any engine input yet), in the open interval, if that span is inside the
    /// counted window (after the warm-up, before the end of the horizon: the calls the KPIs
    /// count arrive in it). The engine keeps every agent's time in each state exactly, so the
    /// simulator reads it at the cuts rather than following every change.
    fn count_agent_time(&mut self, at: Us) {
        let b = self.open_interval.0;
        let counted = self.last_cut >= self.warmup_end && at <= self.horizon_end;
        self.last_cut = at;
        for a in 0..self.agents.len() {
            let (staffed, working) = self.engine.agent_time_us(a as u32, at);
            let agent = &mut self.agents[a];
            let (s0, w0) = std::mem::replace(&mut agent.counted, (staffed, working));
            if counted && staffed > s0 {
                let g = agent.group as usize;
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

    fn finish(mut self) -> Replication {
        // agents' time counts until the last input to the engine (the last event that
        // changed anything), or the horizon if the run went past it
        let end = self.last_input.min(self.horizon_end);
        self.close_intervals(end);
        if end > self.last_cut {
            self.count_agent_time(end);
        }
        let unfinished = self.calls.iter().filter(|c| c.phase != Phase::Free).count() as u64;
        self.unfinished = unfinished;
        let lines = self.line_names.len();
        let nb = self
            .busy
            .iter()
            .map(Vec::len)
            .chain([self.counters.len() / lines.max(1)])
            .max()
            .unwrap_or(0);
        self.counters.resize(nb * lines, Counters::default());
        let counters = (0..lines)
            .map(|l| {
                (0..nb)
                    .map(|b| self.counters[b * lines + l].clone())
                    .collect()
            })
            .collect();
        for v in self.busy.iter_mut().chain(self.staffed.iter_mut()) {
            v.resize(nb, 0.0);
        }
        Replication {
            lines: self.line_names,
            thresholds: self.thresholds,
            start: secs(self.start),
            interval: secs(self.interval),
            counters,
            groups: self.model.groups.iter().map(|g| g.name.clone()).collect(),
            busy: self.busy,
            staffed: self.staffed,
            agents: self
                .engine
                .agent_ids()
                .iter()
                .map(|a| a.to_string())
                .collect(),
            calls: self.records,
            arrivals: self.arrived,
            unfinished: self.unfinished,
            engine_inputs: self.inputs,
        }
    }
}

impl super::model::AgentGroup {
    /// How many agents the group has at most.
    pub fn staffing_size(&self) -> u32 {
        match &self.staffing {
            Staffing::Fixed { count } => *count,
            Staffing::Intervals { counts, .. } => counts.iter().copied().max().unwrap_or(0),
            Staffing::Shifts { shifts } => shifts.len() as u32,
        }
    }
}

#[cfg(test)]
mod memory_tests {
    use super::*;
    use crate::acd::QueueConfig;
    use crate::sim::model::{AgentGroup, CallType};

    fn model(horizon: f64) -> Model {
        Model {
            queues: vec![QueueConfig::new("q", "default")],
            groups: vec![AgentGroup {
                name: "g".into(),
                tenant: "default".into(),
                skills: vec![],
                capacity: None,
                exclusive: None,
                weight: 1.0,
                staffing: Staffing::Fixed { count: 10 },
                no_answer: 0.0,
                ring: Dist::Deterministic { value: 0.0 },
            }],
            calls: vec![CallType {
                name: "c".into(),
                queue: Some("q".into()),
                skills: None,
                priority: 0,
                tenant: None,
                media: None,
                share: 1.0,
                arrivals: None,
                handle: Dist::Exponential { mean: 10.0 },
                patience: Dist::Exponential { mean: 30.0 },
                wrapup: None,
                retrial: None,
                callback: None,
                sl_threshold: None,
                handle_by_period: None,
                patience_by_period: None,
                wrapup_by_period: None,
                handle_by_group: None,
                handle_by_level: None,
                balking: None,
            }],
            arrivals: Some(Arrivals::Poisson { rate: 0.8 }),
            daily_multiplier: None,
            busyness: Default::default(),
            periods: None,
            start: 0.0,
            horizon,
            warmup: 0.0,
            max_calls: None,
            interval: 1e9,
            record_calls: false,
            drain: 86_400.0,
            max_in_system: 1_000_000,
        }
    }

    /// Without per-call records, per-call state is recycled: ten times the horizon (and the
    /// calls) leaves the call table and the event queue as small as they were.
    #[test]
    fn memory_is_flat_in_the_horizon() {
        let mut sizes = Vec::new();
        for horizon in [10_000.0, 100_000.0] {
            let m = model(horizon);
            let stop = AtomicBool::new(false);
            let mut sim = Sim::new(&m, 1, 0, &stop).unwrap();
            sim.run().unwrap();
            assert!(sim.arrived as f64 > 0.7 * horizon);
            sizes.push((sim.calls.len(), sim.events.items.capacity()));
        }
        let (short, long) = (sizes[0], sizes[1]);
        // bounded by the most calls in the system at once (tens), not by the calls simulated
        assert!(
            long.0 <= short.0 + 40,
            "call table grew: {short:?} -> {long:?}"
        );
        assert!(long.0 < 200, "call table: {long:?}");
        assert!(
            long.1 <= short.1.max(64) * 2,
            "event queue grew: {short:?} -> {long:?}"
        );
    }
}
