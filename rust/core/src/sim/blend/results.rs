//! What one blended replication measured, and the figures read from it.

use super::super::run::Counters;
use crate::outbound::CampaignStats;

/// Counters of one campaign in one interval. Everything about a line counts in the
/// interval it was dialled in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutboundCounters {
    /// lines dialled
    pub dials: u64,
    /// people who answered (as it happened, detection aside)
    pub person: u64,
    /// answering machines
    pub machine: u64,
    /// nobody answered
    pub no_answer: u64,
    /// busy
    pub busy: u64,
    /// the network failed the call
    pub failed: u64,
    /// people joined to an agent
    pub connected: u64,
    /// people abandoned: no agent within the connect limit, or taken for a machine
    pub abandoned: u64,
    /// of `abandoned`, the people answering-machine detection took for a machine
    pub amd_false_positives: u64,
    /// total wait of connected people for their agent, seconds
    pub connect_wait: f64,
    /// total talk time of connected people, seconds
    pub talk: f64,
    /// preview: contacts shown to agents (counted in the interval shown)
    pub offers: u64,
    /// preview: contacts the agents rejected
    pub rejected: u64,
    /// people who asked to be called back (of `person`)
    pub callbacks: u64,
}

impl OutboundCounters {
    pub(super) fn add(&mut self, o: &OutboundCounters) {
        self.dials += o.dials;
        self.person += o.person;
        self.machine += o.machine;
        self.no_answer += o.no_answer;
        self.busy += o.busy;
        self.failed += o.failed;
        self.connected += o.connected;
        self.abandoned += o.abandoned;
        self.amd_false_positives += o.amd_false_positives;
        self.connect_wait += o.connect_wait;
        self.talk += o.talk;
        self.offers += o.offers;
        self.rejected += o.rejected;
        self.callbacks += o.callbacks;
    }

    /// Abandoned people over people who answered (0 with none).
    pub fn abandonment_rate(&self) -> f64 {
        if self.person == 0 {
            0.0
        } else {
            self.abandoned as f64 / self.person as f64
        }
    }
}

fn add_counters(total: &mut Counters, o: &Counters) {
    total.offered += o.offered;
    total.answered += o.answered;
    total.answered_within += o.answered_within;
    total.abandoned += o.abandoned;
    total.abandoned_within += o.abandoned_within;
    total.exited += o.exited;
    total.callbacks += o.callbacks;
    total.wait_answered += o.wait_answered;
    total.wait_all += o.wait_all;
    total.talk += o.talk;
}

/// What one replication of a blended day measured. Counted: inbound calls arriving and
/// outbound lines dialled between the end of the warm-up and the horizon, and agent time
/// in the same span.
#[derive(Clone, Debug, PartialEq)]
pub struct BlendReplication {
    /// first interval start, seconds
    pub start: f64,
    /// interval length, seconds
    pub interval: f64,
    /// seconds counted (horizon less warm-up)
    pub measured: f64,
    /// inbound queue names
    pub queues: Vec<String>,
    /// each inbound queue's service-level threshold, seconds
    pub thresholds: Vec<f64>,
    /// inbound counters `[queue][interval]` (by interval of arrival)
    pub inbound: Vec<Vec<Counters>>,
    /// campaign ids
    pub campaigns: Vec<String>,
    /// outbound counters `[campaign][interval]` (by interval of dialling)
    pub outbound: Vec<Vec<OutboundCounters>>,
    /// the dialer's own statistics of each campaign at the end
    pub dialer: Vec<CampaignStats>,
    /// group names
    pub groups: Vec<String>,
    /// agent-seconds working (talking or in wrap-up) per `[group][interval]`
    pub busy: Vec<Vec<f64>>,
    /// agent-seconds logged in per `[group][interval]`
    pub staffed: Vec<Vec<f64>>,
    /// inbound calls that arrived (warm-up included)
    pub arrivals: u64,
    /// calls still in the system when nothing more could happen
    pub unfinished: u64,
    /// inputs fed to the engine
    pub engine_inputs: u64,
}

impl BlendReplication {
    /// Totals of one inbound queue over all intervals.
    pub fn inbound_total(&self, queue: usize) -> Counters {
        let mut total = Counters::default();
        for c in &self.inbound[queue] {
            add_counters(&mut total, c);
        }
        total
    }

    /// Totals of all inbound queues.
    pub fn inbound_all(&self) -> Counters {
        let mut total = Counters::default();
        for q in 0..self.inbound.len() {
            add_counters(&mut total, &self.inbound_total(q));
        }
        total
    }

    /// Totals of one campaign over all intervals.
    pub fn outbound_total(&self, campaign: usize) -> OutboundCounters {
        let mut total = OutboundCounters::default();
        for c in &self.outbound[campaign] {
            total.add(c);
        }
        total
    }

    /// The inbound service level of all queues together: answered within the queue's
    /// threshold over calls offered less those abandoned within it (1 with no calls).
    pub fn inbound_service_level(&self) -> f64 {
        let t = self.inbound_all();
        let base = t.offered.saturating_sub(t.abandoned_within);
        if base == 0 {
            1.0
        } else {
            t.answered_within as f64 / base as f64
        }
    }

    /// The inbound average speed of answer, seconds (0 with no answers).
    pub fn inbound_asa(&self) -> f64 {
        let t = self.inbound_all();
        if t.answered == 0 {
            0.0
        } else {
            t.wait_answered / t.answered as f64
        }
    }

    /// Inbound calls abandoned over those offered (0 with none).
    pub fn inbound_abandonment(&self) -> f64 {
        let t = self.inbound_all();
        if t.offered == 0 {
            0.0
        } else {
            t.abandoned as f64 / t.offered as f64
        }
    }

    /// A campaign's people joined to agents per hour counted.
    pub fn contacts_per_hour(&self, campaign: usize) -> f64 {
        if self.measured <= 0.0 {
            return 0.0;
        }
        self.outbound_total(campaign).connected as f64 * 3600.0 / self.measured
    }

    /// The rolling abandonment rate of a campaign read at the end of each interval: people
    /// abandoned over people answered among the lines dialled in the last `window`
    /// intervals (fewer at the start), with the number answered. Intervals with no answer
    /// in the window give a rate of 0.
    pub fn rolling_abandonment(&self, campaign: usize, window: usize) -> Vec<(f64, u64)> {
        let window = window.max(1);
        let v = &self.outbound[campaign];
        let mut out = Vec::with_capacity(v.len());
        let (mut answered, mut abandoned) = (0u64, 0u64);
        for (b, c) in v.iter().enumerate() {
            answered += c.person;
            abandoned += c.abandoned;
            if b >= window {
                answered -= v[b - window].person;
                abandoned -= v[b - window].abandoned;
            }
            let rate = if answered == 0 {
                0.0
            } else {
                abandoned as f64 / answered as f64
            };
            out.push((rate, answered));
        }
        out
    }

    /// Working time over logged-in time of all groups (0 with none logged in).
    pub fn utilization(&self) -> f64 {
        let busy: f64 = self.busy.iter().flatten().sum();
        let staffed: f64 = self.staffed.iter().flatten().sum();
        if staffed <= 0.0 {
            0.0
        } else {
            busy / staffed
        }
    }

    /// Working time over logged-in time of one group (0 with none logged in).
    pub fn group_utilization(&self, group: usize) -> f64 {
        let busy: f64 = self.busy[group].iter().sum();
        let staffed: f64 = self.staffed[group].iter().sum();
        if staffed <= 0.0 {
            0.0
        } else {
            busy / staffed
        }
    }
}
