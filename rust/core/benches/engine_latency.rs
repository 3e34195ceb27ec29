//! Latency of the routing engine per event, in the steady state of a large center.
//!
//! The design budget: 10,000 agents, 100 skills, 10,000 waiting calls; median well under
//! 1 µs and p99 under 10 µs per routing event. Every agent is busy and every queue holds
//! calls; the loop ends a call (the freed agent pulls the next waiting call), accepts the
//! offer, and a new call arrives in the queue the pulled call left (so the waiting count
//! stays put). Every tenth agent goes not ready before its call ends and is made ready
//! again (pulling its next call then). Each event is timed on its own with `Instant`.
//!
//! ```text
//! cargo bench -p callroute-core --bench engine_latency          # full: 1k, 10k, 100k agents
//! ENGINE_BENCH_QUICK=1 cargo bench -p callroute-core --bench engine_latency   # seconds
//! ENGINE_BENCH_AGENTS=10000 ENGINE_BENCH_ROUNDS=1000000 cargo bench ...          # profiling
//! ```
//!
//! Memory is measured with a counting global allocator (live heap bytes) and from the
//! snapshot size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use callroute_core::acd::{
    AgentConfig, CallSpec, Decision, Engine, EngineOptions, QueueConfig, Strategy,
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

// ---------------------------------------------------------------------------- the run

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Arrival,
    Accept,
    EndPull,
    End,
    NotReady,
    Ready,
}

const KINDS: [(Kind, &str); 6] = [
    (Kind::Arrival, "call arrival (queued/offered)"),
    (Kind::Accept, "offer accepted"),
    (Kind::EndPull, "call ended, agent pulls next"),
    (Kind::End, "call ended (agent not ready)"),
    (Kind::NotReady, "agent not ready"),
    (Kind::Ready, "agent ready, pulls next"),
];

struct Bench {
    engine: Engine,
    g: Gen,
    now: f64,
    next_call: u64,
    /// connected calls: (call, agent)
    connected: Vec<(String, String)>,
    samples: Vec<(Kind, u32)>,
    routing_offers: u64,
    /// per agent, the queues it was built to serve
    homes: Vec<Vec<usize>>,
}

impl Bench {
    fn tick(&mut self) -> f64 {
        self.now += 0.001;
        self.now
    }

    fn spec(&mut self, queue: &str) -> CallSpec {
        self.next_call += 1;
        CallSpec {
            id: format!("c{}", self.next_call),
            queue: Some(queue.to_owned()),
            priority: (self.next_call % 3) as i32,
            ..CallSpec::default()
        }
    }

    /// Run one input, timed, and accept every offer it made (each accept timed too).
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

    fn accept_offers(&mut self, out: &[Decision]) -> Option<String> {
        let mut queue = None;
        for d in out {
            if let Decision::Offer {
                call,
                agent,
                queue: q,
                ..
            } = d
            {
                self.routing_offers += 1;
                let now = self.tick();
                let call = call.to_string();
                self.timed(Kind::Accept, |e| e.offer_accepted(&call, now).unwrap());
                self.connected.push((call, agent.to_string()));
                queue = Some(q.to_string());
            }
        }
        queue
    }

    /// One steady-state round: an agent finishes (maybe via not ready / ready), takes the
    /// next call, and a call arrives where that one came from.
    fn round(&mut self, i: u64) {
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
        let queue = match self.accept_offers(&out) {
            Some(q) => q,
            None => {
                let homes = &self.homes[agent[1..].parse::<usize>().expect("agent id")];
                format!("q{}", homes[self.g.below(homes.len())])
            }
        };
        let spec = self.spec(&queue);
        let now = self.tick();
        let out = self.timed(Kind::Arrival, |e| e.call_arrived(&spec, now).unwrap());
        self.accept_offers(&out);
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

fn setup(agents: usize, waiting: usize, seed: u64) -> Setup {
    let t0 = Instant::now();
    let mut g = Gen(seed);
    let c = center(agents, &mut g);
    let mut engine = Engine::new(EngineOptions {
        seed,
        ..EngineOptions::default()
    })
    .unwrap();
    for q in &c.queues {
        engine.add_queue(q.clone()).unwrap();
    }
    let homes: Vec<Vec<usize>> = c.agents.iter().map(|(_, h)| h.clone()).collect();
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
        g,
        now: 0.0,
        next_call: 0,
        connected: Vec::new(),
        samples: Vec::new(),
        routing_offers: 0,
        homes,
    };
    // make every agent busy: a call for one of its own queues while it is free
    for (i, id) in ids.iter().enumerate() {
        let mut n = 0;
        while bench.engine.agent_state(id).unwrap().name() == "ready" {
            let q = format!("q{}", bench.homes[i][n % bench.homes[i].len()]);
            n += 1;
            let spec = bench.spec(&q);
            let out = bench.engine.call_arrived(&spec, 0.0).unwrap();
            accept_untimed(&mut bench, &out);
        }
    }
    let heap2 = live_bytes();
    let snap2 = bench.engine.snapshot().len();
    for i in 0..waiting {
        let spec = bench.spec(&format!("q{}", i % QUEUES));
        let out = bench.engine.call_arrived(&spec, 0.0).unwrap();
        accept_untimed(&mut bench, &out);
    }
    let heap3 = live_bytes();
    let snap3 = bench.engine.snapshot().len();
    bench.engine.audit().unwrap();
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

/// Run `rounds` steady-state rounds after `warm` unmeasured ones; print the table.
fn measure(agents: usize, rounds: u64, detail: bool) -> (Summary, Setup) {
    let mut s = setup(agents, agents, 42);
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
    b.engine.audit().unwrap();
    // the timed events routed: every freed agent pulled a waiting call, and the queues
    // stayed as full as they started (so the figures are routing work, not idle paths)
    assert!(
        b.routing_offers >= rounds,
        "{} offers in {rounds} rounds",
        b.routing_offers
    );
    let waiting = b.engine.totals().active() as usize - b.connected.len();
    assert_eq!(waiting, s.waiting, "waiting calls drifted");
    let all: Vec<u32> = b.samples.iter().map(|&(_, v)| v).collect();
    if detail {
        println!(
            "\n{} agents, {SKILLS} skills, {QUEUES} queues, {} waiting calls, {} connected \
             (setup {:.2} s); {} rounds, {} timed events in {:.2} s",
            thousands(agents),
            thousands(s.waiting),
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
    if detail {
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
    let (scales, rounds): (Vec<usize>, u64) = if !benching {
        (vec![1_000], 2_000)
    } else if quick {
        (vec![1_000, 10_000], 20_000)
    } else {
        (vec![1_000, 10_000, 100_000], 200_000)
    };
    // for profiling: ENGINE_BENCH_AGENTS=10000 ENGINE_BENCH_ROUNDS=1000000
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let scales: Vec<usize> = env("ENGINE_BENCH_AGENTS").map_or(scales, |v| {
        v.split(',')
            .map(|x| x.trim().parse().expect("agents"))
            .collect()
    });
    let rounds = env("ENGINE_BENCH_ROUNDS").map_or(rounds, |v| v.parse().expect("rounds"));
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
        let (summary, s) = measure(agents, rounds, detail);
        results.push((agents, summary, s));
    }
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
    println!(
        "\nheap B/agent: live heap per agent added and logged in (memberships, indices, \
         names);\nheap B/call: per waiting call (slab entry, id map, queue indices, timers); \
         snap: snapshot bytes."
    );
}
