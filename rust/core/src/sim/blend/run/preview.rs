//! Preview campaigns: a contact shown to an agent holds that agent (an offer call in the
//! campaign's queue, connected at once) while the agent decides; an accepted contact is
//! dialled for that agent alone, who stays held while the line rings and, if a person
//! answers, talks to them and wraps up. A rejected contact goes back to the list.

use super::*;

impl Blend<'_> {
    /// Show contact `contact` (attempt `attempt` to come) of campaign `c` to a free agent.
    pub(super) fn show(&mut self, c: usize, contact: u64, attempt: u32) -> Result<(), SimError> {
        let caller = ((c as u64) << 40) | contact;
        let n = self.shown.entry(caller).or_insert(0);
        *n += 1;
        let bucket = self.bucket(self.now);
        if let Some(k) = self.outbound_counters(c as u16, bucket) {
            k.offers += 1;
        }
        self.offers_open[c] += 1;
        let slot = self.admit(Admit::Outbound(c))?;
        let call = &mut self.calls[slot as usize];
        call.gen = call.gen.wrapping_add(1);
        call.phase = Phase::Waiting;
        call.line = 0;
        call.kind = c as u16;
        call.stat = c as u32;
        call.bucket = bucket;
        call.arrival = self.now;
        call.handle = 0.0;
        call.caller = caller;
        call.attempt = attempt;
        call.offer = true;
        self.decisions()?;
        if self.calls[slot as usize].phase == Phase::Waiting {
            // no agent took it after all (the dialer offers only for agents free): back to
            // the list
            self.inputs += 1;
            self.engine
                .abandon_raw(slot, self.now)
                .map_err(engine_err)?;
            self.calls[slot as usize].phase = Phase::Free;
            self.offers_open[c] -= 1;
            let id = &self.model.campaigns[c].campaign.id;
            self.dialer
                .preview_rejected(id, &contact.to_string(), secs(self.now))
                .map_err(dialer_err)?;
            self.decisions()?;
        }
        Ok(())
    }

    /// An agent took the offer call `slot`: it decides after the campaign's preview time.
    pub(super) fn offer_taken(&mut self, slot: u32) -> Result<(), SimError> {
        let c = self.calls[slot as usize];
        let n = self.shown.get(&c.caller).copied().unwrap_or(0);
        let d = self.model.campaigns[c.kind as usize]
            .preview
            .sample(&mut CallStream::new(
                self.out_key,
                c.caller,
                c.attempt,
                DECIDE,
                n,
            ));
        let call = &mut self.calls[slot as usize];
        call.phase = Phase::Connected;
        let gen = call.gen;
        self.schedule(after(self.now, d, false), Ev::Decide { slot, gen });
        Ok(())
    }

    /// The agent holding offer call `slot` decides: an accepted contact is dialled for
    /// them; a rejected one goes back to the list and the agent is free.
    pub(super) fn decide(&mut self, slot: u32) -> Result<(), SimError> {
        let call = self.calls[slot as usize];
        let c = call.kind as usize;
        self.offers_open[c] -= 1;
        let cm = &self.model.campaigns[c];
        let contact = call.caller & ((1u64 << 40) - 1);
        let name = contact.to_string();
        let n = self.shown.get(&call.caller).copied().unwrap_or(0);
        let accept = cm.preview_accept >= 1.0
            || CallStream::new(self.out_key, call.caller, call.attempt, ACCEPT, n).unit()
                <= cm.preview_accept;
        let t = secs(self.now);
        if !accept {
            if let Some(k) = self.outbound_counters(c as u16, call.bucket) {
                k.rejected += 1;
            }
            self.dialer
                .preview_rejected(&cm.campaign.id, &name, t)
                .map_err(dialer_err)?;
            return self.free_offer(slot);
        }
        let dial = self
            .dialer
            .preview_accepted(&cm.campaign.id, &name, None, t)
            .map_err(dialer_err)?;
        match dial {
            Some(d) => {
                let call = &mut self.calls[slot as usize];
                call.line = d.line_id;
                call.attempt = d.attempt;
                self.dial(c, contact, d.attempt, d.line_id, slot);
                self.rearm_wake();
                Ok(())
            }
            // (its zone closed or its numbers went on a do-not-call list meanwhile)
            None => self.free_offer(slot),
        }
    }

    /// The agent holding offer call `slot` is free again (no talk, no wrap-up).
    pub(super) fn free_offer(&mut self, slot: u32) -> Result<(), SimError> {
        self.inputs += 1;
        self.engine
            .end_raw(slot, self.now, Some(0))
            .map_err(engine_err)?;
        self.calls[slot as usize].phase = Phase::Free;
        self.dirty = true;
        self.rearm_wake();
        self.decisions()
    }

    /// A person answered the preview line held by offer call `slot`: the agent talks to
    /// them now (then wraps up, as after any outbound call).
    pub(super) fn talk_pinned(&mut self, slot: u32, line: u64, talk: f64) -> Result<(), SimError> {
        let l = self.lines.remove(&line).expect("an open line");
        self.dialer
            .agent_connected(line, secs(self.now))
            .map_err(dialer_err)?;
        if let Some(k) = self.outbound_counters(l.campaign, l.bucket) {
            k.connected += 1;
            k.talk += talk;
        }
        let call = &mut self.calls[slot as usize];
        call.handle = talk;
        let gen = call.gen;
        self.schedule(after(self.now, talk, false), Ev::End { slot, gen });
        Ok(())
    }
}
