//! Inputs: setup (campaigns, contacts, zone windows, do-not-call lists, start and stop),
//! line outcomes, and preview answers. Each validates everything before it changes anything.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::config::{check_spans, CampaignConfig, ContactSpec, RetryRule};
use super::error::{invalid, unknown, wrong_state, DialerError};
use super::ledger::{Ledger, Us};
use super::state::{ready_key, Campaign, Contact, Counters, Last, Line, State, Zone};
use super::types::{Dial, FinalOutcome, Outcome};
use super::{to_us, Dialer};

/// A span list in µs, checked again after rounding (two spans closer than 1 µs could meet).
fn spans_us(name: &str, spans: &[(f64, f64)]) -> Result<Vec<(Us, Us)>, DialerError> {
    check_spans(name, spans)?;
    let mut out: Vec<(Us, Us)> = Vec::with_capacity(spans.len());
    for (i, &(s, e)) in spans.iter().enumerate() {
        let (s, e) = (to_us(name, s)?, to_us(name, e)?);
        if s >= e || out.last().is_some_and(|&(_, le)| s < le) {
            return Err(invalid(format!(
                "{name}[{i}] is shorter than a microsecond or overlaps the previous span once \
                 rounded to microseconds"
            )));
        }
        out.push((s, e));
    }
    Ok(out)
}

pub(crate) fn final_index(f: FinalOutcome) -> usize {
    match f {
        FinalOutcome::DonePerson => 0,
        FinalOutcome::Exhausted => 1,
        FinalOutcome::Dnc => 2,
        FinalOutcome::Abandoned => 3,
    }
}

impl Dialer {
    pub(crate) fn campaign_index(&self, id: &str) -> Result<u32, DialerError> {
        self.campaign_ids
            .get(id)
            .copied()
            .ok_or_else(|| unknown("campaign", id))
    }

    pub(crate) fn contact_index(
        &self,
        campaign: &str,
        id: &str,
    ) -> Result<(u32, u32), DialerError> {
        let ci = self.campaign_index(campaign)?;
        let k = self.campaigns[ci as usize]
            .contact_ids
            .get(id)
            .copied()
            .ok_or_else(|| unknown("contact", &format!("{campaign}/{id}")))?;
        Ok((ci, k))
    }

    /// Add a campaign (stopped: [`Dialer::start_campaign`] it). Its id must be new.
    pub fn add_campaign(&mut self, config: CampaignConfig, now: f64) -> Result<(), DialerError> {
        let t = self.check_time(now)?;
        config.validate()?;
        if self.campaign_ids.contains_key(config.id.as_str()) {
            return Err(DialerError::Duplicate {
                kind: "campaign",
                id: config.id,
            });
        }
        let mut zones = Vec::with_capacity(config.zones.len());
        for (z, spans) in config.zones.iter().enumerate() {
            zones.push(Zone {
                spans: spans_us(&format!("campaign {:?}: zones[{z}]", config.id), spans)?,
                ..Zone::default()
            });
        }
        let window = to_us("abandon_window", config.abandon_window)?.max(1);
        let id: Arc<str> = Arc::from(config.id.as_str());
        let campaign = Campaign {
            id: id.clone(),
            caller_id: Arc::from(config.caller_id.as_str()),
            running: false,
            dnc: BTreeSet::new(),
            zones,
            contacts: Vec::new(),
            ledger: Ledger::new(window),
            answer_rate: config.answer_rate_prior,
            counters: Counters::default(),
            contact_ids: Default::default(),
            ringing: 0,
            answered: 0,
            offers: 0,
            allowance: None,
            inbound: None,
            config,
        };
        self.tick(t);
        self.campaign_ids.insert(id, self.campaigns.len() as u32);
        self.campaigns.push(campaign);
        Ok(())
    }

    /// Add contacts to a campaign, eligible now (in their zone's windows). Ids must be new
    /// in the campaign; every contact needs at least one non-empty number and a zone of the
    /// campaign's table. A contact whose numbers are all on a do-not-call list ends `dnc`
    /// at once.
    pub fn add_contacts(
        &mut self,
        campaign: &str,
        contacts: Vec<ContactSpec>,
        now: f64,
    ) -> Result<(), DialerError> {
        let t = self.check_time(now)?;
        let ci = self.campaign_index(campaign)?;
        let camp = &self.campaigns[ci as usize];
        let mut batch: BTreeSet<&str> = BTreeSet::new();
        for c in &contacts {
            if c.id.is_empty() {
                return Err(invalid(format!(
                    "campaign {campaign:?}: a contact id must not be empty"
                )));
            }
            if camp.contact_ids.contains_key(c.id.as_str()) || !batch.insert(&c.id) {
                return Err(DialerError::Duplicate {
                    kind: "contact",
                    id: format!("{campaign}/{}", c.id),
                });
            }
            if c.numbers.is_empty() || c.numbers.iter().any(String::is_empty) {
                return Err(invalid(format!(
                    "contact {campaign}/{}: numbers must be a non-empty list of non-empty \
                     numbers",
                    c.id
                )));
            }
            if c.zone as usize >= camp.zones.len() {
                return Err(unknown(
                    "zone",
                    &format!(
                        "{} (contact {campaign}/{}; the campaign has {} zones)",
                        c.zone,
                        c.id,
                        camp.zones.len()
                    ),
                ));
            }
        }
        self.tick(t);
        for spec in contacts {
            self.last_seq += 1;
            let camp = &mut self.campaigns[ci as usize];
            let k = camp.contacts.len() as u32;
            let id: Arc<str> = Arc::from(spec.id.as_str());
            camp.contact_ids.insert(id.clone(), k);
            camp.contacts.push(Contact {
                id,
                numbers: spec.numbers.iter().map(|n| Arc::from(n.as_str())).collect(),
                priority: spec.priority,
                data: spec.data,
                zone: spec.zone,
                attempts: 0,
                next_eligible: t,
                seq: self.last_seq,
                next_number: 0,
                state: State::Pending,
                last: None,
            });
            if self.pick_number(ci, k).is_none() {
                self.finish(ci, k, FinalOutcome::Dnc);
            } else {
                self.make_ready(ci, k);
            }
        }
        Ok(())
    }

    /// Replace the allowed spans of a campaign's zone `zone` (sorted, disjoint `[start,
    /// end)` on the dialer's clock), or add the next zone (`zone` = the number of zones).
    /// The caller extends windows by passing the spans ahead again, further out.
    pub fn set_zone_windows(
        &mut self,
        campaign: &str,
        zone: u32,
        spans: &[(f64, f64)],
        now: f64,
    ) -> Result<(), DialerError> {
        let t = self.check_time(now)?;
        let ci = self.campaign_index(campaign)? as usize;
        let n = self.campaigns[ci].zones.len();
        if zone as usize > n {
            return Err(unknown(
                "zone",
                &format!("{zone} (campaign {campaign:?} has {n} zones; the next is {n})"),
            ));
        }
        let spans = spans_us(&format!("campaign {campaign:?}: zones[{zone}]"), spans)?;
        self.tick(t);
        let camp = &mut self.campaigns[ci];
        if zone as usize == n {
            camp.zones.push(Zone::default());
        }
        camp.zones[zone as usize].spans = spans;
        let f64_spans = camp.zones[zone as usize]
            .spans
            .iter()
            .map(|&(s, e)| (super::secs(s), super::secs(e)))
            .collect();
        if zone as usize == camp.config.zones.len() {
            camp.config.zones.push(f64_spans);
        } else {
            camp.config.zones[zone as usize] = f64_spans;
        }
        Ok(())
    }

    /// Replace a do-not-call list: the dialer's own (every campaign's) with `campaign` =
    /// `None`, else that campaign's. A DNC number is never dialled from then on.
    pub fn set_dnc(
        &mut self,
        campaign: Option<&str>,
        numbers: &[String],
        now: f64,
    ) -> Result<(), DialerError> {
        let t = self.check_time(now)?;
        let ci = campaign.map(|c| self.campaign_index(c)).transpose()?;
        self.tick(t);
        let set = numbers.iter().map(|n| Arc::from(n.as_str())).collect();
        match ci {
            None => self.dnc = set,
            Some(ci) => self.campaigns[ci as usize].dnc = set,
        }
        Ok(())
    }

    /// Let [`Dialer::pace`] dial for the campaign.
    pub fn start_campaign(&mut self, campaign: &str, now: f64) -> Result<(), DialerError> {
        self.set_running(campaign, true, now)
    }

    /// Stop dialing for the campaign (lines and offers already out go on).
    pub fn stop_campaign(&mut self, campaign: &str, now: f64) -> Result<(), DialerError> {
        self.set_running(campaign, false, now)
    }

    fn set_running(&mut self, campaign: &str, on: bool, now: f64) -> Result<(), DialerError> {
        let t = self.check_time(now)?;
        let ci = self.campaign_index(campaign)?;
        self.tick(t);
        self.campaigns[ci as usize].running = on;
        Ok(())
    }

    /// The open line `line` (ringing or answered), or the error saying why not.
    pub(super) fn open_line(&self, line: u64) -> Result<&Line, DialerError> {
        self.lines
            .get(&line)
            .ok_or(if line == 0 || line > self.last_line {
                DialerError::LineNotDialled(line)
            } else {
                DialerError::LineClosed(line)
            })
    }

    /// How a ringing line ended, or `Person`: a person answered (the line waits for
    /// [`Dialer::agent_connected`] or [`Dialer::connect_timeout`]). On a line a person has
    /// answered, only `CallbackRequested` is accepted (it closes the line).
    pub fn outcome(&mut self, line: u64, outcome: Outcome, now: f64) -> Result<(), DialerError> {
        let t = self.check_time(now)?;
        let l = self.open_line(line)?;
        let answered = l.answered_at.is_some();
        let callback_at = match outcome {
            Outcome::CallbackRequested { at } => Some(to_us("callback_requested.at", at)?),
            _ => None,
        };
        if answered && callback_at.is_none() {
            return Err(wrong_state(format!(
                "line {line} was answered by a person: expected agent_connected or \
                 connect_timeout (or callback_requested), not {}",
                outcome.name()
            )));
        }
        let (ci, k) = (l.campaign, l.contact);
        self.tick(t);
        let camp = &mut self.campaigns[ci as usize];
        if !answered {
            let x = f64::from(u8::from(outcome == Outcome::Person));
            camp.answer_rate += camp.config.answer_rate_weight * (x - camp.answer_rate);
        }
        let rules = camp.config.retry;
        let c = &mut camp.counters;
        let (rule, last) = match outcome {
            Outcome::Person => {
                c.person += 1;
                camp.ledger.answered_at(t);
                camp.ringing -= 1;
                camp.answered += 1;
                let l = self.lines.get_mut(&line).expect("open line");
                l.answered_at = Some(t);
                let contact = &mut camp.contacts[k as usize];
                contact.state = State::Answered(line);
                contact.last = Some(Last::Person);
                return Ok(());
            }
            Outcome::Machine => (rules.machine, Last::Machine),
            Outcome::NoAnswer => (rules.no_answer, Last::NoAnswer),
            Outcome::Busy => (rules.busy, Last::Busy),
            Outcome::Failed => (rules.failed, Last::Failed),
            Outcome::CallbackRequested { .. } => {
                (rules.callback_requested, Last::CallbackRequested)
            }
        };
        match last {
            Last::Machine => c.machine += 1,
            Last::NoAnswer => c.no_answer += 1,
            Last::Busy => c.busy += 1,
            Last::Failed => c.failed += 1,
            _ => c.callback_requested += 1,
        }
        self.close_line(line, answered);
        self.campaigns[ci as usize].contacts[k as usize].last = Some(last);
        self.retry_or_end(ci, k, rule, callback_at, FinalOutcome::Exhausted, t);
        Ok(())
    }

    /// A person who answered `line` was joined to an agent: the contact ends `done_person`.
    pub fn agent_connected(&mut self, line: u64, now: f64) -> Result<(), DialerError> {
        let t = self.check_time(now)?;
        let (ci, k) = self.answered_line(line)?;
        self.tick(t);
        self.close_line(line, true);
        let camp = &mut self.campaigns[ci as usize];
        camp.counters.connected += 1;
        camp.contacts[k as usize].last = Some(Last::Connected);
        self.finish(ci, k, FinalOutcome::DonePerson);
        Ok(())
    }

    /// No agent came within the limit for the person who answered `line`: an abandoned
    /// call (it counts toward the cap); the `abandoned` retry rule decides what follows.
    pub fn connect_timeout(&mut self, line: u64, now: f64) -> Result<(), DialerError> {
        let t = self.check_time(now)?;
        let (ci, k) = self.answered_line(line)?;
        self.tick(t);
        self.close_line(line, true);
        let camp = &mut self.campaigns[ci as usize];
        camp.counters.abandoned += 1;
        camp.ledger.abandoned_at(t);
        camp.contacts[k as usize].last = Some(Last::Abandoned);
        let rule = camp.config.retry.abandoned;
        self.retry_or_end(ci, k, rule, None, FinalOutcome::Abandoned, t);
        Ok(())
    }

    fn answered_line(&self, line: u64) -> Result<(u32, u32), DialerError> {
        let l = self.open_line(line)?;
        if l.answered_at.is_none() {
            return Err(wrong_state(format!(
                "line {line} is still ringing: no person has answered it"
            )));
        }
        Ok((l.campaign, l.contact))
    }

    /// The agent accepted a preview: dial the contact now (`agent` is echoed in the
    /// [`Dial`]). `None` if it cannot be dialled now: every number of the contact went on a
    /// do-not-call list since the offer (it ends `dnc`), or its zone's window closed since
    /// (it is pending again, in its old place).
    pub fn preview_accepted(
        &mut self,
        campaign: &str,
        contact: &str,
        agent: Option<&str>,
        now: f64,
    ) -> Result<Option<Dial>, DialerError> {
        let t = self.check_time(now)?;
        let (ci, k) = self.offered(campaign, contact)?;
        self.tick(t);
        let camp = &mut self.campaigns[ci as usize];
        camp.offers -= 1;
        let c = &mut camp.contacts[k as usize];
        if !camp.zones[c.zone as usize].open_at(t) {
            // the window closed since the offer: pending again, as it was
            c.state = State::Pending;
            self.make_ready(ci, k);
            return Ok(None);
        }
        Ok(self.dial(ci, k, t, agent.map(Arc::from)))
    }

    /// The agent rejected a preview: the contact is pending again, eligible now, behind the
    /// contacts of its priority already eligible.
    pub fn preview_rejected(
        &mut self,
        campaign: &str,
        contact: &str,
        now: f64,
    ) -> Result<(), DialerError> {
        let t = self.check_time(now)?;
        let (ci, k) = self.offered(campaign, contact)?;
        self.tick(t);
        self.last_seq += 1;
        let camp = &mut self.campaigns[ci as usize];
        camp.offers -= 1;
        let c = &mut camp.contacts[k as usize];
        c.state = State::Pending;
        c.next_eligible = t;
        c.seq = self.last_seq;
        self.make_ready(ci, k);
        Ok(())
    }

    fn offered(&self, campaign: &str, contact: &str) -> Result<(u32, u32), DialerError> {
        let (ci, k) = self.contact_index(campaign, contact)?;
        let c = &self.campaigns[ci as usize].contacts[k as usize];
        if c.state != State::Offered {
            return Err(wrong_state(format!(
                "contact {campaign}/{contact} has no open preview offer"
            )));
        }
        Ok((ci, k))
    }

    // ------------------------------------------------------------------ shared steps

    /// The index of the first number of contact `k`, from its `next_number` on, that no
    /// do-not-call list holds.
    pub(crate) fn pick_number(&self, ci: u32, k: u32) -> Option<u32> {
        let camp = &self.campaigns[ci as usize];
        let c = &camp.contacts[k as usize];
        let n = c.numbers.len() as u32;
        if self.dnc.is_empty() && camp.dnc.is_empty() {
            return Some(c.next_number % n);
        }
        (0..n).map(|i| (c.next_number + i) % n).find(|&i| {
            let num = &c.numbers[i as usize];
            !self.dnc.contains(num) && !camp.dnc.contains(num)
        })
    }

    /// Dial contact `k` now on a new line, or end it `dnc` (then `None`).
    pub(crate) fn dial(&mut self, ci: u32, k: u32, t: Us, agent: Option<Arc<str>>) -> Option<Dial> {
        let Some(i) = self.pick_number(ci, k) else {
            self.finish(ci, k, FinalOutcome::Dnc);
            return None;
        };
        self.last_line += 1;
        let line = self.last_line;
        let camp = &mut self.campaigns[ci as usize];
        let c = &mut camp.contacts[k as usize];
        let number = c.numbers[i as usize].clone();
        c.attempts = c.attempts.saturating_add(1);
        c.next_number = (i + 1) % c.numbers.len() as u32;
        c.state = State::Dialling(line);
        camp.ringing += 1;
        camp.counters.dials += 1;
        let dial = Dial {
            line_id: line,
            campaign: camp.id.clone(),
            contact: c.id.clone(),
            number: number.clone(),
            caller_id: camp.caller_id.clone(),
            attempt: c.attempts,
            agent,
        };
        self.lines.insert(
            line,
            Line {
                campaign: ci,
                contact: k,
                number,
                dialled_at: t,
                answered_at: None,
            },
        );
        Some(dial)
    }

    fn close_line(&mut self, line: u64, answered: bool) {
        if let Some(l) = self.lines.remove(&line) {
            let camp = &mut self.campaigns[l.campaign as usize];
            if answered {
                camp.answered -= 1;
            } else {
                camp.ringing -= 1;
            }
        }
    }

    pub(crate) fn finish(&mut self, ci: u32, k: u32, f: FinalOutcome) {
        let camp = &mut self.campaigns[ci as usize];
        camp.contacts[k as usize].state = State::Final(f);
        camp.counters.finals[final_index(f)] += 1;
    }

    /// Retry per `rule` (at the later of `delay` after `t` and `at`) or end with `end`.
    fn retry_or_end(
        &mut self,
        ci: u32,
        k: u32,
        rule: RetryRule,
        at: Option<Us>,
        end: FinalOutcome,
        t: Us,
    ) {
        let c = &mut self.campaigns[ci as usize].contacts[k as usize];
        if c.attempts >= rule.max_attempts {
            self.finish(ci, k, end);
            return;
        }
        let delay = crate::acd::keys::round(rule.delay * 1e6);
        let next = t.saturating_add(delay).max(at.unwrap_or(t));
        c.state = State::Pending;
        c.next_eligible = next;
        if next <= t {
            self.make_ready(ci, k);
        } else {
            self.waiting.insert((next, ci, k));
        }
    }

    /// Put a pending contact eligible now into its zone's ready set.
    pub(crate) fn make_ready(&mut self, ci: u32, k: u32) {
        let camp = &mut self.campaigns[ci as usize];
        let c = &camp.contacts[k as usize];
        let key = ready_key(c, k);
        camp.zones[c.zone as usize].ready.insert(key);
    }
}
