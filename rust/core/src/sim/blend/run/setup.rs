//! A replication's starting state: the engine's queues and agents, the dialer's campaigns
//! and contacts, and the first events.

use super::*;

impl<'m> Blend<'m> {
    pub(in crate::sim::blend) fn new(
        model: &'m BlendModel,
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
        let mut thresholds = Vec::new();
        for q in &model.queues {
            thresholds.push(q.sl_threshold);
            engine.add_queue(q.clone()).map_err(engine_err)?;
        }
        let start = us(model.start);
        let t0 = model.start;
        let mut dialer = Dialer::new();
        let mut camps = Vec::new();
        for (c, cm) in model.campaigns.iter().enumerate() {
            let cfg = &cm.campaign;
            let mut q = QueueConfig::new(&format!("outbound:{}", cfg.id), &cfg.tenant);
            q.skills = cfg.skills.clone();
            q.sl_threshold = cfg.connect_within;
            q.max_no_answer = 0;
            q.weight = -1;
            engine.add_queue(q.clone()).map_err(engine_err)?;
            let mut config = cfg.clone();
            if config.zones.is_empty() {
                // no windows given: dial from the start to the horizon
                config.zones = vec![vec![(t0, t0 + model.horizon.max(1e-6))]];
            }
            dialer.add_campaign(config, t0).map_err(dialer_err)?;
            let contacts = (0..cm.contacts)
                .map(|i| {
                    let id = i.to_string();
                    ContactSpec::new(&id, &id)
                })
                .collect();
            dialer
                .add_contacts(&cfg.id, contacts, t0)
                .map_err(dialer_err)?;
            dialer.start_campaign(&cfg.id, t0).map_err(dialer_err)?;
            let handle = cm.talk.mean() + cm.wrapup.as_ref().map_or(0.0, |d| d.mean());
            camps.push(Camp {
                queue: (model.queues.len() + c) as u32,
                spec: CallSpec {
                    queue: Some(q.name.clone()),
                    priority: cm.priority,
                    ..CallSpec::default()
                },
                predictive: cfg.mode == DialMode::Predictive,
                preview: cfg.mode == DialMode::Preview,
                freeing: if handle > 0.0 {
                    1.0 - (-cm.ring.mean() / handle).exp()
                } else {
                    1.0
                },
                inbound_per_rate: inbound_share(model, c) * cm.ring.mean(),
                connect_within: cfg.connect_within,
                auto: None,
            });
        }
        let mut agent_group = Vec::new();
        let mut group_first = Vec::new();
        for (g, group) in model.groups.iter().enumerate() {
            group_first.push(agent_group.len() as u32);
            let n = match &group.staffing {
                Staffing::Fixed { count } => *count,
                Staffing::Intervals { counts, .. } => counts.iter().copied().max().unwrap_or(0),
                Staffing::Shifts { shifts } => shifts.len() as u32,
            };
            for i in 0..n {
                let mut a = AgentConfig::new(&format!("{}/{i}", group.name), &group.tenant);
                a.skills = group.skills.clone();
                a.auto_answer = true;
                engine.add_agent(a).map_err(engine_err)?;
                agent_group.push(g as u16);
            }
        }
        engine.keep_raw_decisions(true);
        let type_queue = model
            .inbound
            .iter()
            .map(|c| {
                model
                    .queues
                    .iter()
                    .position(|q| q.name == c.queue)
                    .expect("validated") as u32
            })
            .collect();
        let type_spec = model
            .inbound
            .iter()
            .map(|c| CallSpec {
                queue: Some(c.queue.clone()),
                priority: c.priority,
                ..CallSpec::default()
            })
            .collect();
        let mut total = 0.0;
        let cum_share = model
            .inbound
            .iter()
            .map(|c| {
                total += c.share;
                total
            })
            .collect();
        let n_agents = agent_group.len();
        let mut sim = Blend {
            model,
            engine,
            dialer,
            now: start,
            seq: 0,
            events: EventHeap::default(),
            arrivals_rng: Stream::new(seed, index, ARRIVALS),
            call_key: CallStream::key(seed, index),
            out_key: CallStream::key(seed ^ 0x6F75_7462_6F75_6E64, index),
            callers: 0,
            calls: Vec::new(),
            lines: HashMap::default(),
            camps,
            offers_open: vec![0; model.campaigns.len()],
            shown: HashMap::default(),
            free: Vec::with_capacity(model.campaigns.len()),
            cum_share,
            type_queue,
            type_spec,
            thresholds,
            inbound: vec![Vec::new(); model.queues.len()],
            outbound: vec![Vec::new(); model.campaigns.len()],
            busy: vec![Vec::new(); model.groups.len()],
            staffed: vec![Vec::new(); model.groups.len()],
            agent_group,
            agent_counted: vec![(0, 0); n_agents],
            agent_on: vec![false; n_agents],
            group_first,
            waiting_inbound: 0,
            start,
            interval: us(model.interval),
            warmup_end: start + us(model.warmup),
            horizon_end: start + us(model.horizon),
            last_cut: start,
            next_cut: start,
            wake: None,
            dirty: true,
            tick: false,
            dialing: !model.campaigns.is_empty() && model.horizon > 0.0,
            arrived: 0,
            inputs: 0,
            stop,
            until_stop_check: STOP_EVERY,
        };
        for g in 0..model.groups.len() {
            let at = match &model.groups[g].staffing {
                Staffing::Intervals { start, .. } => us(*start).max(sim.start),
                _ => sim.start,
            };
            sim.schedule(
                at,
                Ev::Staff {
                    group: g as u16,
                    index: 0,
                },
            );
        }
        if let Some(t) = sim.next_arrival(start) {
            sim.schedule(t, Ev::Arrival);
        }
        sim.next_cut = sim.cut_after(start);
        sim.schedule(sim.next_cut, Ev::Cut);
        if sim.camps.iter().any(|c| c.predictive) && sim.dialing {
            sim.schedule(start, Ev::Tick);
        }
        Ok(sim)
    }
}

/// Whether `have` meets every requirement of `need` (skill at least the level).
fn meets(have: &[(String, u8)], need: &[(String, u8)]) -> bool {
    need.iter()
        .all(|(s, l)| have.iter().any(|(h, hl)| h == s && hl >= l))
}

/// The share of the inbound arrivals that can take campaign `c`'s agents: the call types
/// whose queue some group serves that also serves the campaign (same tenant, the skills of
/// both).
fn inbound_share(model: &BlendModel, c: usize) -> f64 {
    let cfg = &model.campaigns[c].campaign;
    let total: f64 = model.inbound.iter().map(|t| t.share).sum();
    if total.is_nan() || total <= 0.0 {
        return 0.0;
    }
    let served: f64 = model
        .inbound
        .iter()
        .filter(|t| {
            let Some(q) = model.queues.iter().find(|q| q.name == t.queue) else {
                return false;
            };
            model.groups.iter().any(|g| {
                g.tenant == cfg.tenant
                    && g.tenant == q.tenant
                    && meets(&g.skills, &cfg.skills)
                    && meets(&g.skills, &q.skills)
            })
        })
        .map(|t| t.share)
        .sum();
    served / total
}
