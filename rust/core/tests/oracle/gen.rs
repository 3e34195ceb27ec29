//! Random scenarios and events, and applying an event to both routers.

use callroute_core::acd::{
    AgentConfig, AgentState, CallSpec, Decision, Engine, EngineError, QueueConfig, StepConfig,
    Strategy,
};

use crate::reference::{secs, Reference, KNOWN_FLOAT_TIES};

/// SplitMix64 finalizer: a seed's hash.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub seed: u64,
    pub interval: f64,
    pub template: QueueConfig,
    pub queues: Vec<QueueConfig>,
    pub agents: Vec<AgentConfig>,
}

#[derive(Clone, Debug)]
pub enum Ev {
    Advance(f64),
    Arrive(CallSpec, f64),
    Accept(String, f64),
    Decline(String, f64),
    End(String, f64),
    Abandon(String, f64),
    Transfer(String, String, f64),
    Callback(String, f64),
    Ready(String, f64),
    NotReady(String, String, f64),
    Logout(String, f64),
    WrapupDone(String, f64),
    Skills(String, Vec<(String, u8)>, f64),
    Open(String, bool),
    AddAgent(AgentConfig),
    AddQueue(QueueConfig),
}

type Out = Result<Vec<Decision>, EngineError>;

/// Apply `ev` to the engine, then to the reference (which may read the engine's decisions
/// for its random picks).
pub fn apply(e: &mut Engine, r: &mut Reference, ev: &Ev) -> (Out, Out) {
    macro_rules! both {
        ($m:ident, $($arg:expr),*) => {{
            let got = e.$m($($arg),*);
            let hint = got.clone().unwrap_or_default();
            let want = r.$m($($arg),*, &hint);
            (got, want)
        }};
    }
    match ev {
        Ev::Advance(t) => both!(advance, *t),
        Ev::Arrive(spec, t) => both!(call_arrived, spec, *t),
        Ev::Accept(c, t) => both!(offer_accepted, c, *t),
        Ev::Decline(c, t) => both!(offer_declined, c, *t),
        Ev::End(c, t) => both!(call_ended, c, *t),
        Ev::Abandon(c, t) => both!(call_abandoned, c, *t),
        Ev::Transfer(c, q, t) => both!(transfer, c, *t, q),
        Ev::Callback(c, t) => (e.callback_requested(c, *t), r.callback_requested(c, *t)),
        Ev::Ready(a, t) => both!(agent_ready, a, *t),
        Ev::NotReady(a, why, t) => both!(agent_not_ready, a, *t, why),
        Ev::Logout(a, t) => both!(agent_logout, a, *t),
        Ev::WrapupDone(a, t) => both!(wrapup_done, a, *t),
        Ev::Skills(a, skills, t) => both!(set_agent_skills, a, skills, *t),
        Ev::Open(q, open) => {
            let got = e.set_queue_open(q, *open).map(|()| Vec::new());
            (got, r.set_queue_open(q, *open).map(|()| Vec::new()))
        }
        Ev::AddAgent(cfg) => {
            let got = e.add_agent(cfg.clone()).map(|()| Vec::new());
            if got.is_ok() {
                r.add_agent(cfg.clone());
            }
            (got.clone(), got)
        }
        Ev::AddQueue(cfg) => {
            let got = e.add_queue(cfg.clone()).map(|()| Vec::new());
            if got.is_ok() {
                r.add_queue(cfg.clone());
            }
            (got.clone(), got)
        }
    }
}

const SKILLS: [&str; 4] = ["s0", "s1", "s2", "s3"];
const STRATEGIES: [Strategy; 9] = [
    Strategy::LongestIdle,
    Strategy::RoundRobin,
    Strategy::FewestCalls,
    Strategy::LeastTalkTime,
    Strategy::HighestProficiency,
    Strategy::Linear,
    Strategy::Random,
    Strategy::WeightedRandom,
    Strategy::Custom,
];
const REASONS: [&str; 3] = ["lunch", "break", "no answer"];

pub struct Gen {
    state: u64,
    /// generator time, µs
    t: i64,
    /// every time a multiple of this (µs)
    grid: i64,
    calls: u64,
    queues: Vec<(String, String)>,
    configs: Vec<QueueConfig>,
    agents: usize,
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        Self {
            state: mix(seed),
            // one scenario in four has every time and duration on a half-second grid, so
            // deadlines coincide, and aged priorities and wait thresholds tie exactly
            grid: if seed % 4 == 0 { 500_000 } else { 1 },
            t: 0,
            calls: 0,
            queues: Vec::new(),
            configs: Vec::new(),
            agents: 0,
        }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(1);
        mix(self.state)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn p(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// Seconds in [lo, hi) at microsecond resolution.
    fn secs_in(&mut self, lo: f64, hi: f64) -> f64 {
        let span = ((hi - lo) * 1e6) as u64;
        let t = (lo * 1e6).round() as i64 + self.below(span) as i64;
        secs(self.on_grid(t))
    }

    /// Aging rates to draw from: on the grid, while `KNOWN_FLOAT_TIES` stands, only rates
    /// exact in binary, whose aged priorities tie exactly in floating point too.
    fn agings(&self) -> [f64; 3] {
        if self.grid > 1 && KNOWN_FLOAT_TIES {
            [0.25, 0.5, 1.0]
        } else {
            [0.05, 0.2, 1.0]
        }
    }

    /// `t` (µs) on the scenario's grid of times.
    fn on_grid(&self, t: i64) -> i64 {
        (t + self.grid / 2) / self.grid * self.grid
    }

    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize].clone()
    }

    fn skills(&mut self, p: f64, max_level: u64) -> Vec<(String, u8)> {
        let mut v = Vec::new();
        for s in SKILLS {
            if self.p(p) {
                v.push((s.to_owned(), 1 + self.below(max_level) as u8));
            }
        }
        // not always in name order
        if v.len() > 1 && self.p(0.5) {
            v.reverse();
        }
        v
    }

    fn queue_config(&mut self, name: &str, earlier: &[QueueConfig]) -> QueueConfig {
        let mut q = QueueConfig::new(name, if self.p(0.8) { "t0" } else { "t1" });
        if self.p(0.25) {
            q.media = "chat".into();
        }
        q.skills = self.skills(0.3, 4);
        q.strategy = self.pick(&STRATEGIES);
        q.sl_threshold = self.secs_in(0.0, 20.0);
        q.short_abandon = self.secs_in(0.0, 5.0);
        q.wrapup = if self.p(0.5) {
            0.0
        } else {
            self.secs_in(0.5, 8.0)
        };
        q.offer_timeout = self.secs_in(0.5, 12.0);
        q.retry = if self.p(0.2) {
            0.0
        } else {
            self.secs_in(0.5, 8.0)
        };
        q.weight = self.below(4) as i32 - 1;
        q.aging = if self.p(0.6) {
            0.0
        } else {
            self.pick(&self.agings())
        };
        q.max_no_answer = self.below(4) as u32;
        q.join_empty = self.p(0.8);
        q.leave_when_empty = self.p(0.25);
        q.expected_aht = self.secs_in(10.0, 200.0);
        if self.p(0.25) {
            q.shared_with = vec![if q.tenant == "t0" { "t1" } else { "t0" }.into()];
        }
        if self.p(0.4) {
            q.max_wait = Some(self.secs_in(5.0, 60.0));
            let same: Vec<&QueueConfig> = earlier.iter().filter(|o| o.media == q.media).collect();
            if !same.is_empty() && self.p(0.5) {
                q.overflow = Some(same[self.below(same.len() as u64) as usize].name.clone());
            }
        }
        let mut after = 0.0;
        for _ in 0..self.below(3) {
            after += self.secs_in(1.0, 15.0);
            let skills = match self.below(5) {
                0 | 1 => None,
                2 => Some(Vec::new()),
                _ => Some(self.skills(0.3, 3)),
            };
            let also_queues = if !earlier.is_empty() && self.p(0.3) {
                vec![earlier[self.below(earlier.len() as u64) as usize]
                    .name
                    .clone()]
            } else {
                Vec::new()
            };
            q.steps.push(StepConfig {
                after,
                skills,
                also_queues,
                priority_boost: self.below(6) as i32 - 1,
            });
        }
        q
    }

    fn agent_config(&mut self, name: &str) -> AgentConfig {
        let mut a = AgentConfig::new(name, if self.p(0.75) { "t0" } else { "t1" });
        a.skills = self.skills(0.5, 5);
        let voice = match self.below(10) {
            0 => 0,
            1 => 2,
            _ => 1,
        };
        let chat = if self.p(0.5) {
            0
        } else {
            1 + self.below(3) as u32
        };
        a.capacity = vec![("voice".into(), voice), ("chat".into(), chat)];
        a.exclusive = match self.below(10) {
            0 => Vec::new(),
            1 => vec!["voice".into(), "chat".into()],
            _ => vec!["voice".into()],
        };
        a.weight = self.secs_in(0.5, 3.0);
        a.auto_answer = self.p(0.12);
        a
    }

    pub fn scenario(&mut self) -> Scenario {
        let mut template = QueueConfig::new("", "");
        template.strategy = self.pick(&STRATEGIES);
        template.wrapup = if self.p(0.5) {
            0.0
        } else {
            self.secs_in(0.5, 5.0)
        };
        template.offer_timeout = self.secs_in(0.5, 10.0);
        template.retry = self.secs_in(0.0, 5.0);
        template.max_wait = self.p(0.3).then(|| self.secs_in(5.0, 40.0));
        template.aging = if self.p(0.7) { 0.0 } else { self.agings()[1] };
        template.leave_when_empty = self.p(0.2);
        template.join_empty = self.p(0.85);
        let mut queues: Vec<QueueConfig> = Vec::new();
        for i in 0..1 + self.below(4) {
            let q = self.queue_config(&format!("q{i}"), &queues);
            queues.push(q);
        }
        let agents: Vec<AgentConfig> = (0..2 + self.below(7))
            .map(|i| self.agent_config(&format!("a{i}")))
            .collect();
        self.queues = queues
            .iter()
            .map(|q| (q.name.clone(), q.media.clone()))
            .collect();
        self.configs = queues.clone();
        self.agents = agents.len();
        Scenario {
            seed: self.next(),
            interval: self.pick(&[3.0, 10.0, 45.0, 1800.0]),
            template,
            queues,
            agents,
        }
    }

    fn agent(&mut self) -> String {
        if self.p(0.01) {
            return "nobody".into();
        }
        format!("a{}", self.below(self.agents as u64))
    }

    /// A live call in `state` (any state if none), or now and then one that is not live.
    fn call(&mut self, r: &Reference, state: &str) -> String {
        let calls = r.calls_by_state();
        let fit: Vec<_> = calls.iter().filter(|c| c.1 == state).collect();
        if self.p(0.03) || calls.is_empty() {
            return format!("c{}", self.below(self.calls + 1));
        }
        if fit.is_empty() || self.p(0.04) {
            return calls[self.below(calls.len() as u64) as usize].0.to_string();
        }
        fit[self.below(fit.len() as u64) as usize].0.to_string()
    }

    /// The next event, given the reference's state and the engine's next deadline.
    pub fn event(&mut self, r: &Reference, deadline: Option<f64>) -> Ev {
        let dt = match self.below(20) {
            0..=2 => 0,
            3..=15 => self.below(2_000_000) as i64,
            _ => self.below(15_000_000) as i64,
        };
        let at = self.t + self.on_grid(dt);
        if let Some(d) = deadline {
            let d = (d * 1e6).round() as i64;
            // the shell calls advance at the deadline, mostly; sometimes late
            if d <= at && self.p(0.85) {
                self.t = self.t.max(d);
                return Ev::Advance(secs(self.t));
            }
        }
        self.t = at;
        let mut now = secs(at);
        if self.p(0.01) {
            now = secs(at - 1 - self.below(1_000_000) as i64); // backwards: a time error
        }
        let calls = r.calls_by_state();
        let live = calls.len();
        let has = |state: &str| calls.iter().any(|c| c.1 == state);
        let mut roll = self.below(100);
        // an event for a call in a state none is in is mostly an arrival instead
        let needs = match roll {
            25..=49 => Some("offered"),
            50..=61 => Some("connected"),
            62..=66 | 71..=72 => Some("waiting"),
            _ => None,
        };
        if needs.is_some_and(|n| !has(n)) && self.p(0.9) {
            roll = 10;
        }
        match roll {
            0..=9 => Ev::Advance(now),
            10..=24 if live < 30 => {
                self.calls += 1;
                let mut spec = CallSpec {
                    id: format!("c{}", self.calls),
                    priority: self.below(5) as i32 - 1,
                    ..CallSpec::default()
                };
                if self.p(0.02) {
                    spec.id = self.call(r, "waiting"); // a duplicate
                }
                if self.p(0.1) {
                    spec.skills = Some(self.skills(0.4, 3));
                    spec.tenant = Some(self.pick(&["t0", "t0", "t1", "t9"]).into());
                    if self.p(0.3) {
                        spec.media = Some(self.pick(&["voice", "chat"]).into());
                    }
                } else {
                    let (q, m) = self.pick(&self.queues.clone());
                    if self.p(0.04) {
                        // its own tenant, or another: an error
                        spec.tenant = Some(self.pick(&["t0", "t1"]).into());
                    }
                    spec.queue = Some(q);
                    if self.p(0.05) {
                        let same = self.p(0.5);
                        spec.media = Some(if same { m } else { "chat".into() });
                    }
                }
                if self.p(0.01) {
                    // an empty name: an error
                    if self.p(0.5) {
                        spec.tenant = Some(String::new());
                    } else {
                        spec.media = Some(String::new());
                    }
                }
                if self.p(0.05) {
                    spec.data = vec![("k".into(), format!("v{}", self.calls))];
                }
                Ev::Arrive(spec, now)
            }
            10..=24 => Ev::Advance(now),
            25..=44 => Ev::Accept(self.call(r, "offered"), now),
            45..=49 => Ev::Decline(self.call(r, "offered"), now),
            50..=61 => Ev::End(self.call(r, "connected"), now),
            62..=66 => {
                let state = if self.p(0.7) { "waiting" } else { "offered" };
                Ev::Abandon(self.call(r, state), now)
            }
            67..=70 => {
                let state = if self.p(0.5) { "connected" } else { "waiting" };
                let c = self.call(r, state);
                let current = r.call_info(&c).map(|i| i.queue.to_string()).ok();
                let mut ids: Vec<String> = r.queue_ids().iter().map(|q| q.to_string()).collect();
                // now and then the call's own queue: an error
                if self.p(0.95) {
                    ids.retain(|q| Some(q) != current.as_ref());
                }
                if ids.is_empty() {
                    return Ev::Advance(now);
                }
                let q = self.pick(&ids);
                Ev::Transfer(c, q, now)
            }
            71..=72 => Ev::Callback(self.call(r, "waiting"), now),
            73..=82 => {
                // mostly an agent not ready yet
                let mut a = self.agent();
                for _ in 0..3 {
                    if r.agent_state(&a).is_ok_and(|s| s != AgentState::Ready) {
                        break;
                    }
                    a = self.agent();
                }
                Ev::Ready(a, now)
            }
            83..=86 => {
                let why = self.pick(&REASONS).to_owned();
                Ev::NotReady(self.agent(), why, now)
            }
            87..=89 => Ev::Logout(self.agent(), now),
            90..=94 => {
                let ids = r.agent_ids();
                let waiting: Vec<_> = ids.iter().filter(|a| r.in_wrapup(a)).collect();
                if waiting.is_empty() && self.p(0.8) {
                    return Ev::Advance(now);
                }
                let a = if waiting.is_empty() || self.p(0.1) {
                    self.agent()
                } else {
                    waiting[self.below(waiting.len() as u64) as usize].to_string()
                };
                Ev::WrapupDone(a, now)
            }
            95..=97 => {
                let skills = self.skills(0.5, 5);
                Ev::Skills(self.agent(), skills, now)
            }
            98 => {
                let (q, _) = self.pick(&self.queues.clone());
                Ev::Open(q, self.p(0.75))
            }
            _ => {
                if self.agents < 10 && self.p(0.3) {
                    let cfg = self.agent_config(&format!("a{}", self.agents));
                    self.agents += 1;
                    Ev::AddAgent(cfg)
                } else if self.configs.len() < 6 && self.p(0.15) {
                    let name = format!("q{}", self.configs.len());
                    let cfg = self.queue_config(&name, &self.configs.clone());
                    self.configs.push(cfg.clone());
                    self.queues.push((name, cfg.media.clone()));
                    Ev::AddQueue(cfg)
                } else {
                    Ev::Advance(now)
                }
            }
        }
    }
}
