//! The life of implicit queues (those made for skills-routed calls): made on first use
//! (`make_skill_queue`), freed when nothing uses them any more.
//!
//! An implicit queue is used while a call waits in it, is offered from it or connected from
//! it, or an agent is in wrap-up after one of its calls. Every place a call or an agent's task
//! leaves a queue notes the queue (`left_queue`); at the end of the public input, after its
//! decisions have been read (they name queues by index), each noted implicit queue that is
//! unused is freed: its agents' memberships, its name and its statistics go, and its slot (one
//! step) is kept, vacant, for the next implicit queue. The engine so holds the implicit queues
//! in use, not every one ever made. The simulator's raw mode frees none: it keeps the queue
//! of each call type for its later calls, and the call types are few.

use std::sync::Arc;

use crate::acd::config::QueueConfig;
use crate::acd::ordset::OrdSet;
use crate::acd::stats::QueueCounters;

use super::model::{Intervals, Queue, QueueStep, Step};
use super::Engine;

impl Queue {
    /// A vacant slot: a freed implicit queue's, for the next one. It has no name (no queue
    /// has an empty one), no tenant (so no agent is ever a member) and one step (so it keeps
    /// its one step index).
    pub(super) fn vacant(qs0: u32) -> Self {
        Self {
            id: Arc::from(""),
            config: QueueConfig::new("", ""),
            tenants: Vec::new(),
            media: 0,
            sl: 0,
            short_abandon: 0,
            wrapup: 0,
            offer_timeout: 0,
            retry: 0,
            max_wait: None,
            overflow: None,
            steps: vec![Step {
                after: 0,
                reqs: vec![Vec::new()],
                boost: 0,
            }],
            qs0,
            open: true,
            rr_last: None,
            staffed: 0,
            offering: 0,
            counters: QueueCounters::default(),
            intervals: Intervals::default(),
            order: indexset::BTreeSet::new(),
            implicit: false,
            tasks: 0,
            by_entry: OrdSet::default(),
            available: 0,
        }
    }

    /// A freed implicit queue's slot.
    pub(super) fn is_vacant(&self) -> bool {
        self.id.is_empty()
    }
}

impl Engine {
    /// A call or an agent's task left queue `q`: if it is an implicit queue, see at the end
    /// of the input whether anything still uses it.
    #[inline(always)]
    pub(super) fn left_queue(&mut self, q: u32) {
        if self.queues[q as usize].implicit && !self.raw_out {
            self.emptied.push(q);
        }
    }

    /// Free the implicit queues the input left unused (its decisions read already).
    pub(super) fn free_emptied(&mut self) {
        while let Some(q) = self.emptied.pop() {
            let queue = &self.queues[q as usize];
            if !queue.implicit || queue.tasks > 0 || self.waiting_keys(q).next().is_some() {
                continue;
            }
            self.free_skill_queue(q);
        }
    }

    /// Free unused implicit queue `q`: one pass over the agents (as its making took).
    fn free_skill_queue(&mut self, q: u32) {
        let queue = &self.queues[q as usize];
        let (qs0, steps) = (queue.qs0, queue.steps.len() as u32);
        for agent in &mut self.agents {
            let Ok(i) = agent.queues.binary_search(&q) else {
                continue;
            };
            agent.queues.remove(i);
            // its slots are adjacent (the queue's steps are numbered in a row); their index
            // entries go with the step indices, made anew below
            let at = agent.member_qs.partition_point(|&x| x < qs0);
            let end = agent.member_qs.partition_point(|&x| x < qs0 + steps);
            agent.member_qs.drain(at..end);
            // (the queue's count of agents available goes with it; the agent's own count
            // loses the entries dropped)
            let dropped = agent.member_keys.drain(at..end).flatten().count() as u32;
            agent.listed -= dropped;
        }
        let id = self.queues[q as usize].id.clone();
        self.queue_ids.remove(&id);
        if let Some(i) = self.virtual_queues.iter().position(|v| v.queue == q) {
            let v = self.virtual_queues.remove(i); // (the order kept: it is serialized)
            self.skill_queue_ids.remove(&(v.tenant, v.media, v.reqs));
        }
        self.queues[q as usize] = Queue::vacant(qs0);
        for s in qs0..qs0 + steps {
            self.qs[s as usize] = QueueStep {
                queue: q,
                ..QueueStep::default()
            };
        }
        debug_assert_eq!(steps, 1, "implicit queues have one step");
        self.free_queues.insert(q);
    }

    /// The slot the next implicit queue takes: the lowest vacant one, or a new one.
    pub(super) fn next_queue_slot(&mut self) -> u32 {
        self.free_queues
            .pop_first()
            .unwrap_or(self.queues.len() as u32)
    }

    /// After a restore: which queues are implicit, how many tasks each has, which slots are
    /// vacant (none of this is in the snapshot: it follows from what is).
    pub(super) fn rebuild_queue_uses(&mut self) {
        for queue in &mut self.queues {
            queue.implicit = false;
            queue.tasks = 0;
        }
        for v in &self.virtual_queues {
            self.queues[v.queue as usize].implicit = true;
        }
        for agent in &self.agents {
            for t in &agent.tasks {
                self.queues[t.queue as usize].tasks += 1;
            }
        }
        self.free_queues = (0..self.queues.len() as u32)
            .filter(|&q| self.queues[q as usize].is_vacant())
            .collect();
    }

    /// `audit`: the counts and flags `rebuild_queue_uses` makes are the ones kept.
    pub(super) fn audit_queue_uses(&self) -> Result<(), String> {
        let mut tasks = vec![0u32; self.queues.len()];
        for agent in &self.agents {
            for t in &agent.tasks {
                let Some(n) = tasks.get_mut(t.queue as usize) else {
                    return Err(format!("agent {}: a task of an unknown queue", agent.id));
                };
                *n += 1;
            }
        }
        let mut implicit = vec![false; self.queues.len()];
        for v in &self.virtual_queues {
            match implicit.get_mut(v.queue as usize) {
                Some(x) => *x = true,
                None => return Err("an implicit queue unknown".into()),
            }
        }
        for (q, queue) in self.queues.iter().enumerate() {
            let implicit = implicit[q];
            if queue.implicit != implicit || (implicit && queue.is_vacant()) {
                return Err(format!("queue {q}: implicit flag out of step"));
            }
            if queue.tasks != tasks[q] {
                return Err(format!(
                    "queue {}: {} tasks counted, {} held",
                    queue.id, queue.tasks, tasks[q]
                ));
            }
            if queue.is_vacant() != self.free_queues.contains(&(q as u32)) {
                return Err(format!("queue slot {q}: vacancy out of step"));
            }
            if queue.is_vacant() && (tasks[q] > 0 || self.waiting_keys(q as u32).next().is_some()) {
                return Err(format!("vacant queue slot {q} in use"));
            }
        }
        Ok(())
    }
}
