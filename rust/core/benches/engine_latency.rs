//! Latency of the routing engine per event, in the steady state of a large center.
//!
//! The design budget: 10,000 agents, 100 skills, 10,000 waiting calls; median well under
//! 1 µs and p99 under 10 µs per routing event. Every agent is busy and every queue holds
//! calls; the loop ends a call (the freed agent pulls the next waiting call), accepts the
//! offer, and a new call arrives in the queue the pulled call left (so the waiting count
//! stays put). Every tenth agent goes not ready before its call ends and is made ready
//! again (pulling its next call then). Each event is timed on its own with `Instant`.
//!
//! Then the hard shapes, at 10,000 agents each (see [`Shape`]): a last relaxation step
//! widened to every agent of the tenant, decline storms, 50 distinct offer timeouts, calls
//! routed by `skills=` over 10,000 distinct combinations, and a custom scorer. Every tenth
//! round also times a `queue_stats` read (a dashboard), reported apart from the routing
//! events.
//!
//! ```text
//! cargo bench -p callroute-core --bench engine_latency          # full: 1k, 10k, 100k agents
//! ENGINE_BENCH_QUICK=1 cargo bench -p callroute-core --bench engine_latency   # seconds
//! ENGINE_BENCH_AGENTS=10000 ENGINE_BENCH_ROUNDS=1000000 cargo bench ...          # profiling
//! ENGINE_BENCH_AGENTS=0 ENGINE_BENCH_SHAPES=declines,skills cargo bench ...      # shapes only
//! ```
//!
//! Memory is measured with a counting global allocator (live heap bytes) and from the
//! snapshot size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callroute_core::acd::{
    AgentConfig, CallSpec, CallView, Decision, Engine, EngineOptions, QueueConfig, Scorer,
    StepConfig, Strategy,
};

// ---------------------------------------------------------------------------- allocator

/// The system allocator, counting live bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as ours
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live_bytes() -> isize {
    LIVE.load(Ordering::Relaxed)
}

// ---------------------------------------------------------------------------- the center

const SKILLS: usize = 100;
const QUEUES: usize = 100;

/// SplitMix64.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Center {
    queues: Vec<QueueConfig>,
    /// per agent: its skills and the queues it was built to serve
    agents: Vec<(AgentConfig, Vec<usize>)>,
}

fn skill(i: usize) -> String {
    format!("s{i}")
}

/// 100 queues needing 1–3 of 100 skills; each agent is built to serve one or two queues
/// and gets random extra skills up to about five.
fn center(agents: usize, g: &mut Gen) -> Center {
    let strategies = [
        Strategy::LongestIdle,
        Strategy::LongestIdle,
        Strategy::LongestIdle,
        Strategy::FewestCalls,
        Strategy::RoundRobin,
        Strategy::HighestProficiency,
        Strategy::Random,
        Strategy::LeastTalkTime,
    ];
    let mut queues = Vec::new();
    for q in 0..QUEUES {
        let mut cfg = QueueConfig::new(&format!("q{q}"), "acme");
        let n = 1 + g.below(3);
        while cfg.skills.len() < n {
            let s = skill(g.below(SKILLS));
            if !cfg.skills.iter().any(|(x, _)| *x == s) {
                cfg.skills.push((s, 1 + g.below(3) as u8));
            }
        }
        cfg.strategy = strategies[q % strategies.len()];
        cfg.aging = if q % 4 == 0 { 0.1 } else { 0.0 };
        cfg.weight = (q % 3) as i32;
        queues.push(cfg);
    }
    let mut out = Vec::with_capacity(agents);
    for a in 0..agents {
        let mut cfg = AgentConfig::new(&format!("a{a}"), "acme");
        let homes: Vec<usize> = (0..1 + g.below(2)).map(|_| g.below(QUEUES)).collect();
        for &q in &homes {
            for (s, _) in &queues[q].skills {
                if !cfg.skills.iter().any(|(x, _)| x == s) {
                    cfg.skills.push((s.clone(), 3 + g.below(3) as u8));
                }
            }
        }
        while cfg.skills.len() < 5 {
            let s = skill(g.below(SKILLS));
            if !cfg.skills.iter().any(|(x, _)| *x == s) {
                cfg.skills.push((s, 1 + g.below(5) as u8));
            }
        }
        out.push((cfg, homes));
    }
    Center {
        queues,
        agents: out,
    }
}

// ---------------------------------------------------------------------------- shapes

/// What a run is made of: the easy steady state, or one of the hard shapes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    /// no steps, one offer timeout, no declines, every call for a named queue
    Easy,
    /// every queue's last relaxation step widened to every agent of the tenant
    Widened,
    /// many declines per call: each call's excluded set grows
    Declines,
    /// 50 distinct offer timeouts over the queues
    Timeouts,
    /// calls routed by `skills=` over as many distinct combinations as agents
    Skills,
    /// a custom strategy with a cheap Rust scorer, free agents to choose from
    Scorer,
}

const SHAPES: [Shape; 6] = [
    Shape::Easy,
    Shape::Widened,
    Shape::Declines,
    Shape::Timeouts,
    Shape::Skills,
    Shape::Scorer,
];

/// Declines per round in the decline storm.
const STORM: u32 = 8;

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Easy => "easy",
            Shape::Widened => "widened",
            Shape::Declines => "declines",
            Shape::Timeouts => "timeouts",
            Shape::Skills => "skills",
            Shape::Scorer => "scorer",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Shape::Easy => "no steps, one offer timeout, no declines, calls for named queues",
            Shape::Widened => {
                "every queue gets a last step (after 2 ms) widened to every agent of the tenant"
            }
            Shape::Declines => {
                "each freed agent declines 8 offers before it accepts one; retry 1 day, so \
                 the head calls' excluded sets grow"
            }
            Shape::Timeouts => "50 distinct offer timeouts (5.0 to 29.5 s) over the 100 queues",
            Shape::Skills => {
                "calls routed by skills= over as many distinct two-skill combinations as \
                 agents (one implicit queue each)"
            }
            Shape::Scorer => {
                "custom strategy on every queue, a cheap Rust scorer; a fifth of the agents \
                 free, no calls waiting (every arrival is scored)"
            }
        }
    }

    /// Change queue `q`'s settings for this shape.
    fn queue(self, q: usize, cfg: &mut QueueConfig) {
        match self {
            Shape::Widened => cfg.steps.push(StepConfig {
                after: 0.002,
                skills: Some(Vec::new()),
                ..StepConfig::default()
            }),
            Shape::Declines => cfg.retry = 86_400.0,
            Shape::Timeouts => cfg.offer_timeout = 5.0 + 0.5 * (q % 50) as f64,
            Shape::Scorer => cfg.strategy = Strategy::Custom,
            Shape::Easy | Shape::Skills => {}
        }
    }

    /// Waiting calls in the steady state.
    fn waiting(self, agents: usize) -> usize {
        match self {
            Shape::Scorer => 0,
            _ => agents,
        }
    }

    /// Agents left free in the steady state.
    fn free(self, agents: usize) -> usize {
        match self {
            Shape::Scorer => agents / 5,
            _ => 0,
        }
    }

    /// Whether each round ends with `advance` (the shell's timer call), timed.
    fn advances(self) -> bool {
        matches!(self, Shape::Widened | Shape::Timeouts)
    }
}

/// A cheap scorer: the last byte of the agent id.
struct LastByte;

impl Scorer for LastByte {
    fn score(&mut self, _call: &CallView<'_>, agents: &[Arc<str>]) -> Vec<f64> {
        agents
            .iter()
            .map(|a| f64::from(a.as_bytes().last().copied().unwrap_or(0)))
            .collect()
    }
}

/// Where a call goes: a named queue or a set of skills.
enum Target {
    Queue(String),
    Skills(Vec<(String, u8)>),
}

/// `n` distinct two-skill requirements, each met by the agent it was drawn from, and per
/// agent the ones drawn from it (every agent gets at least one).
fn combos(agents: &[(AgentConfig, Vec<usize>)], n: usize, g: &mut Gen) -> Combos {
    let mut index: HashMap<Vec<(String, u8)>, usize> = HashMap::new();
    let mut list: Vec<Vec<(String, u8)>> = Vec::new();
    let mut homes = vec![Vec::new(); agents.len()];
    let mut tries = 0usize;
    let mut a = 0;
    while a < agents.len() || list.len() < n {
        tries += 1;
        assert!(
            tries < 1000 * (n + agents.len()),
            "too few distinct combinations"
        );
        let who = if a < agents.len() {
            a
        } else {
            g.below(agents.len())
        };
        let sk = &agents[who].0.skills;
        let i = g.below(sk.len());
        let mut j = g.below(sk.len() - 1);
        if j >= i {
            j += 1;
        }
        let mut c = vec![
            (sk[i].0.clone(), 1 + g.below(usize::from(sk[i].1)) as u8),
            (sk[j].0.clone(), 1 + g.below(usize::from(sk[j].1)) as u8),
        ];
        c.sort();
        let k = match index.get(&c) {
            Some(&k) if a < agents.len() => k,
            Some(_) => continue,
            None if list.len() >= n => continue,
            None => {
                index.insert(c.clone(), list.len());
                list.push(c);
                list.len() - 1
            }
        };
        homes[who].push(k);
        a += 1;
    }
    (list, homes)
}

type Combos = (Vec<Vec<(String, u8)>>, Vec<Vec<usize>>);

// ---------------------------------------------------------------------------- the run

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Arrival,
    Accept,
    Decline,
    EndPull,
    End,
    NotReady,
    Ready,
    Advance,
    Stats,
}

const KINDS: [(Kind, &str); 9] = [
    (Kind::Arrival, "call arrival (queued/offered)"),
    (Kind::Accept, "offer accepted"),
    (Kind::Decline, "offer declined (re-routed)"),
    (Kind::EndPull, "call ended, agent pulls next"),
    (Kind::End, "call ended (agent not ready)"),
    (Kind::NotReady, "agent not ready"),
    (Kind::Ready, "agent ready, pulls next"),
    (Kind::Advance, "advance (timers due)"),
    (Kind::Stats, "queue_stats (not routing)"),
];

struct Bench {
    engine: Engine,
    shape: Shape,
    g: Gen,
    now: f64,
    next_call: u64,
    /// connected calls: (call, agent)
    connected: Vec<(String, String)>,
    samples: Vec<(Kind, u32)>,
    routing_offers: u64,
    /// where calls go (queues, or skill combinations)
    targets: Vec<Target>,
    /// the target of each queue id (implicit queues learned when first named)
    target_of: HashMap<String, usize>,
    /// per agent, the targets it was built to serve
    homes: Vec<Vec<usize>>,
    /// declines still to make this round
    declines_left: u32,
    /// every queue id, for the statistics reads
    queue_ids: Vec<Arc<str>>,
}

/// The offers among decisions: (call, agent, queue).
fn offers(out: &[Decision]) -> Vec<(String, String, String)> {
    out.iter()
        .filter_map(|d| match d {
            Decision::Offer {
                call, agent, queue, ..
            } => Some((call.to_string(), agent.to_string(), queue.to_string())),
            _ => None,
        })
        .collect()
}

impl Bench {
    fn tick(&mut self) -> f64 {
        self.now += 0.001;
        self.now
    }

    fn spec(&mut self, target: usize) -> CallSpec {
        self.next_call += 1;
        let mut spec = CallSpec {
            id: format!("c{}", self.next_call),
            priority: (self.next_call % 3) as i32,
            ..CallSpec::default()
        };
        match &self.targets[target] {
            Target::Queue(q) => spec.queue = Some(q.clone()),
            Target::Skills(s) => {
                spec.skills = Some(s.clone());
                spec.tenant = Some("acme".into());
            }
        }
        spec
    }

    /// Note the queue a call for `target` went to (implicit queues get their id then).
    fn learn(&mut self, spec: &CallSpec, target: usize, out: &[Decision]) {
        if spec.skills.is_none() {
            return;
        }
        for d in out {
            let queue = match d {
                Decision::Offer { call, queue, .. } | Decision::Queued { call, queue, .. }
                    if **call == *spec.id =>
                {
                    queue
                }
                _ => continue,
            };
            if !self.target_of.contains_key(&**queue) {
                self.target_of.insert(queue.to_string(), target);
            }
        }
    }

    /// Run one input, timed.
    fn timed<F>(&mut self, kind: Kind, f: F) -> Vec<Decision>
    where
        F: FnOnce(&mut Engine) -> Vec<Decision>,
    {
        let t0 = Instant::now();
        let out = black_box(f(&mut self.engine));
        let ns = t0.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32;
        self.samples.push((kind, ns));
        out
    }

    /// Decline offers while the round's declines last, then accept (each timed); the
    /// target of the last call accepted.
    fn take_offers(&mut self, out: &[Decision]) -> Option<usize> {
        let mut todo = offers(out);
        let mut target = None;
        while let Some((call, agent, queue)) = todo.pop() {
            self.routing_offers += 1;
            let now = self.tick();
            if self.declines_left > 0 {
                self.declines_left -= 1;
                let out = self.timed(Kind::Decline, |e| e.offer_declined(&call, now).unwrap());
                todo.extend(offers(&out));
            } else {
                self.timed(Kind::Accept, |e| e.offer_accepted(&call, now).unwrap());
                self.connected.push((call, agent));
                target = Some(self.target_of[&queue]);
            }
        }
        target
    }

    /// One steady-state round: an agent finishes (maybe via not ready / ready), takes the
    /// next call, and a call arrives where that one came from.
    fn round(&mut self, i: u64) {
        self.declines_left = if self.shape == Shape::Declines {
            STORM
        } else {
            0
        };
        let k = self.g.below(self.connected.len());
        let (call, agent) = self.connected.swap_remove(k);
        let out = if i % 10 == 0 {
            let now = self.tick();
            self.timed(Kind::NotReady, |e| {
                e.agent_not_ready(&agent, now, "break").unwrap()
            });
            let now = self.tick();
            self.timed(Kind::End, |e| e.call_ended(&call, now).unwrap());
            let now = self.tick();
            self.timed(Kind::Ready, |e| e.agent_ready(&agent, now).unwrap())
        } else {
            let now = self.tick();
            self.timed(Kind::EndPull, |e| e.call_ended(&call, now).unwrap())
        };
        // the next call joins the queue the pulled call left (waiting counts stay put);
        // if the agent found nothing to pull, one of its own queues (it takes the call)
        let target = match self.take_offers(&out) {
            Some(t) => t,
            None => {
                let homes = &self.homes[agent[1..].parse::<usize>().expect("agent id")];
                homes[self.g.below(homes.len())]
            }
        };
        let spec = self.spec(target);
        let now = self.tick();
        let out = self.timed(Kind::Arrival, |e| e.call_arrived(&spec, now).unwrap());
        self.learn(&spec, target, &out);
        self.take_offers(&out);
        if self.shape.advances() {
            let now = self.tick();
            let out = self.timed(Kind::Advance, |e| e.advance(now).unwrap());
            self.take_offers(&out);
        }
        // every tenth round, a dashboard reads one queue's live statistics
        if i % 10 == 5 {
            let q = self.queue_ids[self.g.below(self.queue_ids.len())].clone();
            let t0 = Instant::now();
            black_box(self.engine.queue_stats(&q).unwrap());
            let ns = t0.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32;
            self.samples.push((Kind::Stats, ns));
        }
    }
}

struct Setup {
    bench: Bench,
    bytes_per_agent: f64,
    bytes_per_call: f64,
    snap_per_agent: f64,
    snap_per_call: f64,
    waiting: usize,
    setup: Duration,
}

fn setup(shape: Shape, agents: usize, seed: u64) -> Setup {
    let t0 = Instant::now();
    let mut g = Gen(seed);
    let mut c = center(agents, &mut g);
    for (q, cfg) in c.queues.iter_mut().enumerate() {
        shape.queue(q, cfg);
    }
    let mut engine = Engine::new(EngineOptions {
        seed,
        ..EngineOptions::default()
    })
    .unwrap();
    if shape == Shape::Scorer {
        engine.set_scorer(Some(Box::new(LastByte)));
    }
    for q in &c.queues {
        engine.add_queue(q.clone()).unwrap();
    }
    let (targets, homes, target_of) = if shape == Shape::Skills {
        let (list, homes) = combos(&c.agents, agents, &mut g);
        let targets = list.into_iter().map(Target::Skills).collect();
        (targets, homes, HashMap::new())
    } else {
        let targets = (0..QUEUES)
            .map(|q| Target::Queue(format!("q{q}")))
            .collect();
        let homes = c.agents.iter().map(|(_, h)| h.clone()).collect();
        let target_of = (0..QUEUES).map(|q| (format!("q{q}"), q)).collect();
        (targets, homes, target_of)
    };
    let ids: Vec<String> = c.agents.iter().map(|(a, _)| a.name.clone()).collect();
    let heap0 = live_bytes();
    let snap0 = engine.snapshot().len();
    for (a, _) in c.agents {
        engine.add_agent(a).unwrap();
    }
    for id in &ids {
        engine.agent_ready(id, 0.0).unwrap();
    }
    let heap1 = live_bytes();
    let snap1 = engine.snapshot().len();
    let mut bench = Bench {
        engine,
        shape,
        g,
        now: 0.0,
        next_call: 0,
        connected: Vec::new(),
        samples: Vec::new(),
        routing_offers: 0,
        targets,
        target_of,
        homes,
        declines_left: 0,
        queue_ids: Vec::new(),
    };
    // make every agent busy: a call for one of its own targets while it is free
    for (i, id) in ids.iter().enumerate() {
        let mut n = 0;
        while bench.engine.agent_state(id).unwrap().name() == "ready" {
            let t = bench.homes[i][n % bench.homes[i].len()];
            n += 1;
            let spec = bench.spec(t);
            let out = bench.engine.call_arrived(&spec, 0.0).unwrap();
            bench.learn(&spec, t, &out);
            accept_untimed(&mut bench, &out);
        }
    }
    // then free some (no call waits yet: they stay free)
    for _ in 0..shape.free(agents) {
        let k = bench.g.below(bench.connected.len());
        let (call, _) = bench.connected.swap_remove(k);
        let out = bench.engine.call_ended(&call, 0.0).unwrap();
        accept_untimed(&mut bench, &out);
    }
    let heap2 = live_bytes();
    let snap2 = bench.engine.snapshot().len();
    for i in 0..shape.waiting(agents) {
        let t = i % bench.targets.len();
        let spec = bench.spec(t);
        let out = bench.engine.call_arrived(&spec, 0.0).unwrap();
        bench.learn(&spec, t, &out);
        accept_untimed(&mut bench, &out);
    }
    let heap3 = live_bytes();
    let snap3 = bench.engine.snapshot().len();
    bench.queue_ids = bench.engine.queue_ids();
    let waiting = bench.engine.totals().active() as usize - bench.connected.len();
    Setup {
        bench,
        bytes_per_agent: (heap1 - heap0) as f64 / agents as f64,
        bytes_per_call: (heap3 - heap2) as f64 / waiting.max(1) as f64,
        snap_per_agent: (snap1 - snap0) as f64 / agents as f64,
        snap_per_call: (snap3 - snap2) as f64 / waiting.max(1) as f64,
        waiting,
        setup: t0.elapsed(),
    }
}

fn accept_untimed(b: &mut Bench, out: &[Decision]) {
    for d in out {
        if let Decision::Offer { call, agent, .. } = d {
            b.engine.offer_accepted(call, 0.0).unwrap();
            b.connected.push((call.to_string(), agent.to_string()));
        }
    }
}

// ---------------------------------------------------------------------------- report

fn pct(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ns(v: u32) -> String {
    if v < 10_000 {
        format!("{v} ns")
    } else {
        format!("{:.1} µs", f64::from(v) / 1e3)
    }
}

fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

struct Summary {
    median: u32,
    p99: u32,
}

fn row(name: &str, mut v: Vec<u32>) -> Summary {
    v.sort_unstable();
    println!(
        "  {:<32} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        name,
        thousands(v.len()),
        ns(pct(&v, 0.5)),
        ns(pct(&v, 0.9)),
        ns(pct(&v, 0.99)),
        ns(pct(&v, 0.999)),
        ns(v.last().copied().unwrap_or(0)),
    );
    Summary {
        median: pct(&v, 0.5),
        p99: pct(&v, 0.99),
    }
}

fn histogram(v: &[u32]) {
    let edges = [
        250u32, 500, 750, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000,
    ];
    let mut counts = vec![0usize; edges.len() + 1];
    for &x in v {
        counts[edges.iter().position(|&e| x < e).unwrap_or(edges.len())] += 1;
    }
    let max = *counts.iter().max().unwrap_or(&1);
    let mut lo = 0;
    for (i, &n) in counts.iter().enumerate() {
        let label = match edges.get(i) {
            Some(&hi) => format!("{:>8} – {:<8}", ns(lo), ns(hi)),
            None => format!("{:>8} and up   ", ns(lo)),
        };
        let bar = "#".repeat((n * 40).div_ceil(max.max(1)));
        println!(
            "  {label} {:>9} {:>6.2}%  {bar}",
            thousands(n),
            100.0 * n as f64 / v.len() as f64
        );
        if let Some(&hi) = edges.get(i) {
            lo = hi;
        }
    }
}

/// Run `rounds` steady-state rounds of `shape` after `warm` unmeasured ones; print the
/// table.
fn measure(
    shape: Shape,
    agents: usize,
    rounds: u64,
    detail: bool,
    audit: bool,
) -> (Summary, Setup) {
    let mut s = setup(shape, agents, 42);
    let b = &mut s.bench;
    let warm = rounds / 10;
    for i in 0..warm {
        b.round(i);
    }
    b.samples.clear();
    b.samples.reserve(rounds as usize * 4);
    b.routing_offers = 0;
    let t0 = Instant::now();
    for i in 0..rounds {
        b.round(i);
    }
    let wall = t0.elapsed();
    if audit {
        b.engine.audit().unwrap();
    }
    // the timed events routed: every freed agent pulled a waiting call, and the queues
    // stayed as full as they started (so the figures are routing work, not idle paths)
    assert!(
        b.routing_offers >= rounds,
        "{} offers in {rounds} rounds",
        b.routing_offers
    );
    let waiting = b.engine.totals().active() as usize - b.connected.len();
    if shape != Shape::Declines {
        assert_eq!(waiting, s.waiting, "waiting calls drifted");
    }
    let all: Vec<u32> = b
        .samples
        .iter()
        .filter(|&&(k, _)| k != Kind::Stats)
        .map(|&(_, v)| v)
        .collect();
    if detail {
        if shape != Shape::Easy {
            println!("\nshape {:?}: {}", shape.name(), shape.describe());
        }
        println!(
            "\n{} agents, {SKILLS} skills, {} queues, {} waiting calls, {} connected \
             (setup {:.2} s); {} rounds, {} timed events in {:.2} s",
            thousands(agents),
            thousands(b.engine.queue_ids().len()),
            thousands(waiting),
            thousands(b.connected.len()),
            s.setup.as_secs_f64(),
            thousands(rounds as usize),
            thousands(all.len()),
            wall.as_secs_f64()
        );
        println!(
            "  {:<32} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "event", "n", "median", "p90", "p99", "p99.9", "max"
        );
        for (kind, name) in KINDS {
            let v: Vec<u32> = b
                .samples
                .iter()
                .filter(|&&(k, _)| k == kind)
                .map(|&(_, v)| v)
                .collect();
            if !v.is_empty() {
                row(name, v);
            }
        }
    }
    let summary = row(if detail { "all routing events" } else { "" }, all.clone());
    if detail && shape == Shape::Easy {
        println!("\n  histogram, all routing events:");
        histogram(&all);
    }
    (summary, s)
}

fn timer_overhead() -> u32 {
    let mut v: Vec<u32> = (0..100_000)
        .map(|_| {
            let t0 = Instant::now();
            black_box(());
            t0.elapsed().as_nanos() as u32
        })
        .collect();
    v.sort_unstable();
    pct(&v, 0.5)
}

fn main() {
    // `cargo test --benches` runs this without `--bench`: then just prove it works
    let benching = std::env::args().any(|a| a == "--bench");
    let quick = !benching || std::env::var_os("ENGINE_BENCH_QUICK").is_some_and(|v| v != "0");
    let (scales, rounds, shape_agents, shape_rounds): (Vec<usize>, u64, usize, u64) = if !benching {
        (vec![1_000], 2_000, 1_000, 500)
    } else if quick {
        (vec![1_000, 10_000], 20_000, 10_000, 5_000)
    } else {
        (vec![1_000, 10_000, 100_000], 200_000, 10_000, 100_000)
    };
    // for profiling: ENGINE_BENCH_AGENTS=10000 ENGINE_BENCH_ROUNDS=1000000, and
    // ENGINE_BENCH_SHAPES=declines,skills (or "none") for the hard shapes
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let scales: Vec<usize> = env("ENGINE_BENCH_AGENTS").map_or(scales, |v| {
        v.split(',')
            .map(|x| x.trim().parse().expect("agents"))
            .filter(|&n| n > 0)
            .collect()
    });
    let rounds = env("ENGINE_BENCH_ROUNDS").map_or(rounds, |v| v.parse().expect("rounds"));
    let shape_rounds = env("ENGINE_BENCH_ROUNDS").map_or(shape_rounds, |v| v.parse().unwrap());
    let shape_agents =
        env("ENGINE_BENCH_SHAPE_AGENTS").map_or(shape_agents, |v| v.parse().unwrap());
    let shapes: Vec<Shape> = env("ENGINE_BENCH_SHAPES").map_or(SHAPES[1..].to_vec(), |v| {
        v.split(',')
            .filter(|x| x.trim() != "none")
            .map(|x| {
                *SHAPES
                    .iter()
                    .find(|s| s.name() == x.trim())
                    .unwrap_or_else(|| panic!("unknown shape {x:?}"))
            })
            .collect()
    });
    println!(
        "engine_latency ({} mode): per-event latency in the steady state; timer overhead \
         ~{} ns per sample (included)",
        if quick { "quick" } else { "full" },
        timer_overhead()
    );
    let mut results = Vec::new();
    for &agents in &scales {
        let detail = agents == 10_000 || scales.len() == 1;
        if !detail {
            println!(
                "\n{} agents (summary row: all routing events)",
                thousands(agents)
            );
            println!(
                "  {:<32} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
                "", "n", "median", "p90", "p99", "p99.9", "max"
            );
        }
        let (summary, s) = measure(Shape::Easy, agents, rounds, detail, true);
        results.push((agents, summary, s));
    }
    if !results.is_empty() {
        println!("\nscaling (all routing events; waiting calls = agents):");
        println!(
            "  {:>9} {:>9} {:>9} {:>9} {:>13} {:>13} {:>13} {:>13}",
            "agents",
            "waiting",
            "median",
            "p99",
            "heap B/agent",
            "heap B/call",
            "snap B/agent",
            "snap B/call"
        );
    }
    for (agents, sm, s) in &results {
        println!(
            "  {:>9} {:>9} {:>9} {:>9} {:>13.0} {:>13.0} {:>13.0} {:>13.0}",
            thousands(*agents),
            thousands(s.waiting),
            ns(sm.median),
            ns(sm.p99),
            s.bytes_per_agent,
            s.bytes_per_call,
            s.snap_per_agent,
            s.snap_per_call
        );
    }
    if !results.is_empty() {
        println!(
            "\nheap B/agent: live heap per agent added and logged in (memberships, indices, \
             names);\nheap B/call: per waiting call (slab entry, id map, queue indices, \
             timers); snap: snapshot bytes."
        );
    }
    if shapes.is_empty() {
        return;
    }
    println!(
        "\nhard shapes at {} agents, {} rounds each:",
        thousands(shape_agents),
        thousands(shape_rounds as usize)
    );
    let mut table = Vec::new();
    for &shape in &shapes {
        // (the audit of 10,000 implicit queues takes seconds: not in quick mode)
        let audit = !quick || shape != Shape::Skills || !benching;
        let (summary, _) = measure(shape, shape_agents, shape_rounds, true, audit);
        table.push((shape, summary));
    }
    println!(
        "\nhard shapes at {} agents (all routing events):",
        thousands(shape_agents)
    );
    println!("  {:<10} {:>9} {:>9}", "shape", "median", "p99");
    for (shape, sm) in &table {
        println!(
            "  {:<10} {:>9} {:>9}",
            shape.name(),
            ns(sm.median),
            ns(sm.p99)
        );
    }
}
