//! The outbound side of the loop: pacing (the agents each campaign may use), dials, line
//! outcomes, and the dialer's wake-ups.

use super::*;

impl Blend<'_> {
    /// A person answered on `line` and got no agent in time.
    pub(super) fn line_abandoned(&mut self, line: u64) -> Result<(), SimError> {
        let l = self.lines.remove(&line).expect("an open line");
        self.dialer
            .connect_timeout(line, secs(self.now))
            .map_err(dialer_err)?;
        if let Some(k) = self.outbound_counters(l.campaign, l.bucket) {
            k.abandoned += 1;
        }
        self.dirty = true;
        self.rearm_wake();
        Ok(())
    }

    /// Tell the dialer how many agents each campaign may use, and place its dials.
    pub(super) fn pace(&mut self) -> Result<(), SimError> {
        self.dirty = false;
        let tick = std::mem::take(&mut self.tick);
        self.free.clear();
        let mut any = false;
        for c in 0..self.camps.len() {
            let (staffed, available) = self.engine.queue_agents_raw(self.camps[c].queue);
            let keep = self.threshold(c, staffed)?;
            let mut free = available.saturating_sub(keep);
            if self.camps[c].preview {
                // the dialer counts its open offers against the agents free; here the
                // agents deciding are no longer free already
                free += self.offers_open[c];
            }
            let freeing = if self.camps[c].predictive && tick {
                // busy agents expected to free up within a ring time, less those the
                // waiting inbound calls and the threshold will take first
                let busy = f64::from(staffed - available.min(staffed));
                let short = f64::from(keep.saturating_sub(available));
                (busy * self.camps[c].freeing - f64::from(self.waiting_inbound) - short).max(0.0)
            } else {
                0.0
            };
            // an idle agent is worth pacing for at once; agents about to free up are
            // counted at the ticks (the lines dialled for them then still ring in between)
            if free > 0 || freeing > 0.0 {
                any = true;
                let id = self.model.campaigns[c].campaign.id.as_str();
                // the inbound calls expected to reach the campaign's agents within a mean
                // ring time; the idle agents the threshold keeps take the first of them
                let inbound = if self.camps[c].preview {
                    0.0 // (a preview line rings for the agent held for it)
                } else {
                    self.model.inbound_rate(secs(self.now)) * self.camps[c].inbound_per_rate
                };
                let kept = available.min(keep);
                self.free.push((
                    id,
                    FreeAgents {
                        free,
                        freeing,
                        inbound,
                        kept,
                    },
                ));
            }
        }
        if !any {
            // (nothing to dial for now; a retry coming due wakes the loop)
            self.rearm_wake();
            return Ok(());
        }
        let pacing = self
            .dialer
            .pace(secs(self.now), &self.free)
            .map_err(dialer_err)?;
        for d in pacing.dials {
            let c = self
                .model
                .campaigns
                .iter()
                .position(|cm| *cm.campaign.id == *d.campaign)
                .expect("the dialer dials the model's campaigns");
            let contact: u64 = d.contact.parse().map_err(|_| {
                SimError(format!(
                    "the dialer named an unknown contact {:?}",
                    d.contact
                ))
            })?;
            self.dial(c, contact, d.attempt, d.line_id, u32::MAX);
        }
        for o in pacing.offers {
            let c = self
                .model
                .campaigns
                .iter()
                .position(|cm| *cm.campaign.id == *o.campaign)
                .expect("the dialer offers the model's campaigns' contacts");
            let contact: u64 = o.contact.parse().map_err(|_| {
                SimError(format!(
                    "the dialer named an unknown contact {:?}",
                    o.contact
                ))
            })?;
            self.show(c, contact, o.attempts + 1)?;
        }
        self.rearm_wake();
        Ok(())
    }

    /// The idle agents campaign `c` keeps for inbound when `agents` are logged in.
    fn threshold(&mut self, c: usize, agents: u32) -> Result<u32, SimError> {
        let cm = &self.model.campaigns[c];
        match cm.campaign.blending {
            Blending::Fixed(k) => Ok(k.min(agents)),
            Blending::Auto => {
                let rate = self.model.inbound_rate(secs(self.now));
                let key = (agents, rate.to_bits());
                if let Some((k, t)) = self.camps[c].auto {
                    if k == key {
                        return Ok(t);
                    }
                }
                let aht = self.model.inbound_aht();
                let t = if rate <= 0.0 || aht <= 0.0 {
                    0
                } else {
                    let target = cm.inbound_target.expect("validated");
                    let load = InboundLoad {
                        traffic: rate * aht,
                        aht,
                        answer_within: target.answer_within,
                        target: target.target,
                    };
                    blending_threshold(Blending::Auto, agents, Some(&load))
                        .map_err(|e| SimError(format!("campaigns[{c}]: {e}")))?
                };
                self.camps[c].auto = Some((key, t));
                Ok(t)
            }
        }
    }

    /// Place a line: draw what the contact does on this attempt and when the line resolves
    /// (`pinned`: the offer call of the preview agent it is dialled for, or `u32::MAX`).
    pub(super) fn dial(&mut self, c: usize, contact: u64, attempt: u32, line: u64, pinned: u32) {
        let cm = &self.model.campaigns[c];
        let caller = ((c as u64) << 40) | contact;
        let key = self.out_key;
        let u = CallStream::new(key, caller, attempt, REACH, 0).unit();
        let reached = cm.reach.outcome(secs(self.now), attempt, u);
        let delay = match reached {
            Reached::Person | Reached::Machine => cm
                .ring
                .sample(&mut CallStream::new(key, caller, attempt, RING, 0)),
            Reached::NoAnswer => cm.no_answer_after,
            Reached::Busy | Reached::Failed => cm.busy_after,
        };
        let bucket = self.bucket(self.now);
        if let Some(k) = self.outbound_counters(c as u16, bucket) {
            k.dials += 1;
        }
        self.lines.insert(
            line,
            Line {
                campaign: c as u16,
                caller,
                attempt,
                reached,
                bucket,
                pinned,
            },
        );
        self.schedule(after(self.now, delay, false), Ev::Outcome { line });
    }

    /// Line `id` resolves now.
    pub(super) fn outcome(&mut self, id: u64) -> Result<(), SimError> {
        let l = *self.lines.get(&id).expect("an open line");
        let c = l.campaign as usize;
        let cm = &self.model.campaigns[c];
        let key = self.out_key;
        let t = secs(self.now);
        self.dirty = true;
        let seen = match l.reached {
            Reached::Person => {
                let fp = cm.reach.amd_false_positive;
                let taken_for_machine =
                    fp > 0.0 && CallStream::new(key, l.caller, l.attempt, AMD, 0).unit() <= fp;
                if let Some(k) = self.outbound_counters(l.campaign, l.bucket) {
                    k.person += 1;
                    if taken_for_machine {
                        k.abandoned += 1;
                        k.amd_false_positives += 1;
                    }
                }
                if taken_for_machine {
                    Outcome::Machine
                } else {
                    self.dialer
                        .outcome(id, Outcome::Person, t)
                        .map_err(dialer_err)?;
                    let p = cm.reach.callback_at(t);
                    let callback = p > 0.0
                        && CallStream::new(key, l.caller, l.attempt, CALLBACK, 0).unit() <= p;
                    if callback {
                        let after_s = cm.reach.callback_after.sample(&mut CallStream::new(
                            key,
                            l.caller,
                            l.attempt,
                            CALLBACK_AFTER,
                            0,
                        ));
                        if let Some(k) = self.outbound_counters(l.campaign, l.bucket) {
                            k.callbacks += 1;
                        }
                        self.lines.remove(&id);
                        let at = secs(after(self.now, after_s, false));
                        self.dialer
                            .outcome(id, Outcome::CallbackRequested { at }, t)
                            .map_err(dialer_err)?;
                        if l.pinned != u32::MAX {
                            return self.free_offer(l.pinned);
                        }
                        self.rearm_wake();
                        return Ok(());
                    }
                    let talk = cm
                        .talk
                        .sample(&mut CallStream::new(key, l.caller, l.attempt, TALK, 0));
                    if l.pinned != u32::MAX {
                        self.talk_pinned(l.pinned, id, talk)?;
                    } else {
                        self.join(c, id, talk)?;
                    }
                    self.rearm_wake();
                    return Ok(());
                }
            }
            Reached::Machine => Outcome::Machine,
            Reached::NoAnswer => Outcome::NoAnswer,
            Reached::Busy => Outcome::Busy,
            Reached::Failed => Outcome::Failed,
        };
        if let Some(k) = self.outbound_counters(l.campaign, l.bucket) {
            match l.reached {
                Reached::Machine => k.machine += 1,
                Reached::NoAnswer => k.no_answer += 1,
                Reached::Busy => k.busy += 1,
                Reached::Failed => k.failed += 1,
                Reached::Person => {}
            }
        }
        self.lines.remove(&id);
        self.dialer.outcome(id, seen, t).map_err(dialer_err)?;
        if l.pinned != u32::MAX {
            return self.free_offer(l.pinned);
        }
        self.rearm_wake();
        Ok(())
    }

    /// The person who answered `line` of campaign `c` joins the campaign's queue in the
    /// engine now (talk `talk` once an agent takes them) and hangs up `connect_within` later
    /// if none did. The blending threshold is not applied here: it held the dialer back
    /// already, and a person kept waiting for it would only be a person abandoned.
    fn join(&mut self, c: usize, line: u64, talk: f64) -> Result<(), SimError> {
        let l = self.lines[&line];
        let within = self.camps[c].connect_within;
        let slot = self.admit(Admit::Outbound(c))?;
        let call = &mut self.calls[slot as usize];
        call.gen = call.gen.wrapping_add(1);
        call.phase = Phase::Waiting;
        call.line = line;
        call.kind = c as u16;
        call.stat = c as u32;
        call.bucket = l.bucket;
        call.arrival = self.now;
        call.handle = talk;
        call.caller = l.caller;
        call.attempt = l.attempt;
        call.offer = false;
        let gen = call.gen;
        self.schedule(after(self.now, within, false), Ev::Abandon { slot, gen });
        self.decisions()
    }

    /// Schedule a wake-up for the dialer's next deadline (a retry coming due), if it is
    /// earlier than the one scheduled.
    pub(super) fn rearm_wake(&mut self) {
        if !self.dialing {
            return;
        }
        if let Some(d) = self.dialer.next_deadline() {
            // (a deadline now or past was handled by the pace that asked: the dialer
            // ticks first)
            let at = us(d);
            if at > self.now && at < self.horizon_end && self.wake.is_none_or(|w| at < w) {
                self.wake = Some(at);
                self.schedule(at, Ev::Wake);
            }
        }
    }
}
