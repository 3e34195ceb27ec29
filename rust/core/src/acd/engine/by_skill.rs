//! The agents holding each skill (any level), for [`Engine::eligible_agents`]: one sorted
//! list of agent indices per skill, kept by `add_agent` and `set_agent_skills` and rebuilt
//! after a restore (not part of snapshots). Routing never reads it.

use std::sync::Arc;

use super::model::{Agent, State};
use super::Engine;

/// The agents of a tenant eligible for some skills, by what they are doing: see
/// [`Engine::eligible_agents`]. Each list is in the order the agents were added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EligibleAgents {
    /// agents in state `ready`
    pub ready: Vec<Arc<str>>,
    /// agents in state `busy` or `wrapup`
    pub working: Vec<Arc<str>>,
}

impl Engine {
    /// Enter agent `a` in the list of each of its skills.
    pub(super) fn index_skills(&mut self, a: u32) {
        for &(s, _) in &self.agents[a as usize].skills {
            let s = s as usize;
            if self.skill_agents.len() <= s {
                self.skill_agents.resize_with(s + 1, Vec::new);
            }
            let list = &mut self.skill_agents[s];
            if let Err(at) = list.binary_search(&a) {
                list.insert(at, a);
            }
        }
    }

    /// Take agent `a` out of the list of each of its skills.
    pub(super) fn unindex_skills(&mut self, a: u32) {
        for &(s, _) in &self.agents[a as usize].skills {
            if let Some(list) = self.skill_agents.get_mut(s as usize) {
                if let Ok(at) = list.binary_search(&a) {
                    list.remove(at);
                }
            }
        }
    }

    /// The lists made again from the agents (after a restore).
    pub(super) fn rebuild_skill_agents(&mut self) {
        self.skill_agents.clear();
        for a in 0..self.agents.len() as u32 {
            self.index_skills(a);
        }
    }

    /// Whether the lists hold exactly each agent under each of its skills (the audit).
    pub(super) fn skill_agents_in_step(&self) -> bool {
        let mut expected: Vec<Vec<u32>> = Vec::new();
        for (a, agent) in self.agents.iter().enumerate() {
            for &(s, _) in &agent.skills {
                let s = s as usize;
                if expected.len() <= s {
                    expected.resize_with(s + 1, Vec::new);
                }
                expected[s].push(a as u32);
            }
        }
        let n = expected.len().max(self.skill_agents.len());
        (0..n).all(|s| {
            let want = expected.get(s).map_or(&[][..], Vec::as_slice);
            let have = self.skill_agents.get(s).map_or(&[][..], Vec::as_slice);
            want == have
        })
    }

    /// The agents of `tenant` whose skills meet every `(skill, minimum level)` of `skills`,
    /// split by state: `ready` (idle, may take work now) and `working` (busy or in wrap-up;
    /// agents offered a call, not ready or logged out are in neither), each list in the
    /// order the agents were added. An unknown tenant or skill has no agents (no error).
    ///
    /// Cost: with requirements, the agents holding the rarest required skill are checked
    /// (not every agent); without any, every agent of the engine is.
    pub fn eligible_agents(&self, tenant: &str, skills: &[(String, u8)]) -> EligibleAgents {
        let mut out = EligibleAgents::default();
        let Some(t) = self.tenants.get(tenant) else {
            return out;
        };
        let mut reqs = Vec::with_capacity(skills.len());
        for (name, level) in skills {
            let Some(s) = self.skills.get(name) else {
                return out;
            };
            reqs.push((s, *level));
        }
        let mut take = |agent: &Agent| {
            if agent.tenant != t || !agent.meets(&reqs) {
                return;
            }
            match agent.state {
                State::Ready => out.ready.push(agent.id.clone()),
                State::Busy | State::WrapUp => out.working.push(agent.id.clone()),
                State::Offered | State::NotReady(_) | State::LoggedOut => {}
            }
        };
        let rarest = reqs
            .iter()
            .map(|&(s, _)| {
                self.skill_agents
                    .get(s as usize)
                    .map_or(&[][..], Vec::as_slice)
            })
            .min_by_key(|list| list.len());
        match rarest {
            Some(list) => list.iter().for_each(|&a| take(&self.agents[a as usize])),
            None => self.agents.iter().for_each(take),
        }
        out
    }
}
