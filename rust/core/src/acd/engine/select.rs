//! Choosing: the agent for a call (each queue strategy, through the availability
//! indices), and the call for a freed agent among the queues it serves (`dispatch_rank`).

use std::sync::Arc;

use crate::acd::config::Strategy;
use crate::acd::keys::{aging_rate, ord_f64, secs, AvailKey};

use super::model::DispatchRank;
use super::{CallView, Engine};

impl Engine {
    /// The key agent `a` would have in queue step `qs` (None: not free for it).
    pub(super) fn desired_key(&mut self, a: u32, slot: usize) -> Option<AvailKey> {
        let agent = &self.agents[a as usize];
        let qs = agent.member_qs[slot];
        let queue = &self.queues[self.qs[qs as usize].queue as usize];
        if !agent.free_for(queue.media) {
            return None;
        }
        let load = agent.load_of(queue.media);
        let current = agent.member_keys[slot];
        let (ka, kb) = match queue.config.strategy {
            Strategy::LongestIdle => (agent.free_since, 0),
            Strategy::RoundRobin | Strategy::Linear | Strategy::Custom => (0, 0),
            Strategy::FewestCalls => (agent.handled as i64, agent.free_since),
            Strategy::LeastTalkTime => (agent.talk_us, agent.free_since),
            Strategy::HighestProficiency => {
                let prof: i64 = queue.steps[0].reqs[0]
                    .iter()
                    .map(|&(s, _)| i64::from(agent.level(s).unwrap_or(0)))
                    .sum();
                (-prof, agent.free_since)
            }
            Strategy::Random | Strategy::WeightedRandom => match current {
                // keep the draw while the agent stays free at the same load
                Some(k) if k.load == load => (k.a, k.b),
                _ => {
                    let weight = if queue.config.strategy == Strategy::Random {
                        1.0
                    } else {
                        agent.weight
                    };
                    // exponential race: the least of race + Exp(w_i) falls on i w.p.
                    // w_i / Σw. Losers keep their keys; since the race clock moves to each
                    // winning key, their leads over it are fresh exponentials again
                    // (memorylessness), so every decision is a fair draw.
                    let race = self.qs[qs as usize].race;
                    (ord_f64(race - self.rng.unit().ln() / weight), 0)
                }
            },
        };
        let agent = &self.agents[a as usize];
        Some(AvailKey {
            load,
            a: ka,
            b: kb,
            order: agent.order,
            agent: a,
        })
    }

    /// Offer waiting calls to agent `a` while it has room and there are calls it may take.
    pub(super) fn dispatch_agent(&mut self, a: u32) {
        loop {
            // the best head so far, and its rank once there is another to weigh it against
            // (an agent of one queue has one head: no rank is made)
            let mut best: Option<(u32, Option<DispatchRank>)> = None;
            let agent = &self.agents[a as usize];
            for &qs in &agent.member_qs {
                let queue = &self.queues[self.qs[qs as usize].queue as usize];
                // what its index entry will say once refreshed (see `desired_key`)
                if !agent.free_for(queue.media) {
                    continue;
                }
                let head = self.qs[qs as usize]
                    .waiting
                    .iter()
                    .find(|k| !self.call(k.call).excludes(a));
                let Some(k) = head else { continue };
                best = match best {
                    None => Some((k.call, None)),
                    Some((b, b_rank)) => {
                        let b_rank = b_rank.unwrap_or_else(|| self.dispatch_rank(b));
                        let rank = self.dispatch_rank(k.call);
                        Some(if rank < b_rank {
                            (k.call, Some(rank))
                        } else {
                            (b, Some(b_rank))
                        })
                    }
                };
            }
            match best {
                Some((c, _)) => self.make_offer(c, a),
                None => return,
            }
        }
    }

    /// The rank of waiting call `c` among the heads an agent of several queues may take
    /// (its priority aged and boosted as in the call's key).
    pub(super) fn dispatch_rank(&self, c: u32) -> DispatchRank {
        let call = self.call(c);
        let queue = &self.queues[call.queue as usize];
        let eff =
            self.aged_priority(call) + aging_rate(queue.config.aging) * i128::from(self.clock);
        DispatchRank {
            priority: -eff,
            weight: -i64::from(queue.config.weight),
            arrival: call.arrival,
            seq: call.seq,
        }
    }

    /// The best free eligible agent for call `c`, if any.
    #[inline(always)]
    pub(super) fn choose_agent(&mut self, c: u32) -> Option<u32> {
        let call = self.call(c);
        let queue = &self.queues[call.queue as usize];
        let qs = (queue.qs0 + call.step) as usize;
        let set = &self.qs[qs].avail;
        let first = set.first()?;
        let mut candidates: Vec<u32> = Vec::new();
        let allowed = |k: &&AvailKey| !call.excludes(k.agent);
        if queue.config.strategy != Strategy::RoundRobin
            && (queue.config.strategy != Strategy::Custom || self.scorer.is_none())
        {
            // the least key allowed: in the least-loaded class if any, else above it
            let k = if call.excluded.is_empty() {
                first // (the usual case: nobody excluded)
            } else {
                set.iter().find(allowed)?
            };
            let (agent, race) = (k.agent, f64::from_bits(first.a as u64));
            // A random race won by the least key moves the race clock to it (desired_key).
            if matches!(
                queue.config.strategy,
                Strategy::Random | Strategy::WeightedRandom
            ) && agent == first.agent
            {
                self.qs[qs].race = race;
            }
            return Some(agent);
        }
        // round robin and the scorer work in the least-loaded class of the agents the call
        // may go to (with the least-loaded agents all excluded, the next class up)
        let load = if call.excluded.is_empty() {
            first.load
        } else {
            set.iter().find(allowed)?.load
        };
        let class = set.range(
            AvailKey {
                load,
                a: i64::MIN,
                b: i64::MIN,
                order: 0,
                agent: 0,
            }..AvailKey {
                load: load + 1,
                a: i64::MIN,
                b: i64::MIN,
                order: 0,
                agent: 0,
            },
        );
        let chosen = match queue.config.strategy {
            Strategy::RoundRobin => {
                let after = queue.rr_last.map_or(0, |o| o + 1);
                let start = AvailKey {
                    load,
                    a: 0,
                    b: 0,
                    order: after,
                    agent: 0,
                };
                let end = AvailKey {
                    load: load + 1,
                    a: i64::MIN,
                    b: i64::MIN,
                    order: 0,
                    agent: 0,
                };
                set.range(start..end)
                    .find(allowed)
                    .or_else(|| class.clone().find(allowed))
                    .map(|k| k.agent)
            }
            Strategy::Custom if self.scorer.is_some() => {
                candidates = class.clone().filter(allowed).map(|k| k.agent).collect();
                None
            }
            _ => class.clone().find(allowed).map(|k| k.agent),
        };
        if candidates.is_empty() {
            chosen
        } else {
            self.score_candidates(c, &candidates)
        }
    }

    pub(super) fn score_candidates(&mut self, c: u32, candidates: &[u32]) -> Option<u32> {
        if candidates.len() <= 1 {
            return candidates.first().copied();
        }
        let ids: Vec<Arc<str>> = candidates
            .iter()
            .map(|&a| self.agents[a as usize].id.clone())
            .collect();
        let mut scorer = self.scorer.take().expect("scorer present");
        let call = self.call(c);
        let queue = &self.queues[call.queue as usize];
        let id = call.id.to_arc();
        let view = CallView {
            id: &id,
            queue: &queue.id,
            priority: call
                .priority
                .saturating_add(queue.steps[call.step as usize].boost),
            waited: secs(self.clock - call.arrival),
            data: &call.data,
        };
        let scores = scorer.score(&view, &ids);
        self.scorer = Some(scorer);
        if scores.len() != candidates.len() || scores.iter().any(|s| s.is_nan()) {
            self.scorer_failures += 1;
            return candidates.first().copied();
        }
        let mut best = 0;
        for (i, s) in scores.iter().enumerate() {
            if *s > scores[best] {
                best = i;
            }
        }
        Some(candidates[best])
    }
}
