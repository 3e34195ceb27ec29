//! Read-only views: campaigns, contacts, lines, statistics.

use std::sync::Arc;

use super::blend::blending_threshold;
use super::config::CampaignConfig;
use super::error::DialerError;
use super::inputs::final_index;
use super::ledger::with_false_positives;
use super::state::{Campaign, Contact, State};
use super::types::{
    CampaignStats, ContactStatus, ContactView, FinalOutcome, InboundLoad, LineView,
};
use super::{secs, Dialer};

fn view(c: &Contact) -> ContactView {
    ContactView {
        id: c.id.clone(),
        numbers: c.numbers.clone(),
        priority: c.priority,
        zone: c.zone,
        data: c.data.clone(),
        attempts: c.attempts,
        next_eligible: secs(c.next_eligible),
        status: match c.state {
            State::Pending => ContactStatus::Pending,
            State::Offered => ContactStatus::Offered,
            State::Dialling(line) => ContactStatus::Dialling { line },
            State::Answered(line) => ContactStatus::Answered { line },
            State::Final(f) => ContactStatus::Final(f),
        },
        last_outcome: c.last.map(|l| l.name()),
    }
}

impl Dialer {
    fn campaign(&self, id: &str) -> Result<&Campaign, DialerError> {
        Ok(&self.campaigns[self.campaign_index(id)? as usize])
    }

    /// The campaigns' ids, in the order they were added.
    pub fn campaign_ids(&self) -> Vec<Arc<str>> {
        self.campaigns.iter().map(|c| c.id.clone()).collect()
    }

    /// A campaign's configuration (zones as last set).
    pub fn campaign_config(&self, campaign: &str) -> Result<&CampaignConfig, DialerError> {
        Ok(&self.campaign(campaign)?.config)
    }

    /// Whether the campaign is started.
    pub fn is_running(&self, campaign: &str) -> Result<bool, DialerError> {
        Ok(self.campaign(campaign)?.running)
    }

    /// One contact's state.
    pub fn contact(&self, campaign: &str, contact: &str) -> Result<ContactView, DialerError> {
        let (ci, k) = self.contact_index(campaign, contact)?;
        Ok(view(&self.campaigns[ci as usize].contacts[k as usize]))
    }

    /// Every contact of the campaign, in the order they were added (the results export).
    pub fn contacts(&self, campaign: &str) -> Result<Vec<ContactView>, DialerError> {
        Ok(self.campaign(campaign)?.contacts.iter().map(view).collect())
    }

    /// An open line; [`DialerError::LineClosed`] or [`DialerError::LineNotDialled`] if not.
    pub fn line(&self, line: u64) -> Result<LineView, DialerError> {
        let l = self.open_line(line)?;
        let camp = &self.campaigns[l.campaign as usize];
        Ok(LineView {
            line_id: line,
            campaign: camp.id.clone(),
            contact: camp.contacts[l.contact as usize].id.clone(),
            number: l.number.clone(),
            dialled_at: secs(l.dialled_at),
            answered_at: l.answered_at.map(secs),
        })
    }

    /// The ids of the open lines, in increasing order.
    pub fn open_lines(&self) -> Vec<u64> {
        self.lines.keys().copied().collect()
    }

    /// A campaign's statistics, as of the last input.
    pub fn campaign_stats(&self, campaign: &str) -> Result<CampaignStats, DialerError> {
        let camp = self.campaign(campaign)?;
        let c = &camp.counters;
        let r = camp.config.amd_false_positive_rate;
        let (_, abandoned_with_amd) = with_false_positives(c.person, c.abandoned, r);
        let (ans, ab) = camp.ledger.counts();
        let (window_answered, window_abandoned) = with_false_positives(ans, ab, r);
        let done: u64 = c.finals.iter().sum();
        Ok(CampaignStats {
            dials: c.dials,
            person: c.person,
            machine: c.machine,
            no_answer: c.no_answer,
            busy: c.busy,
            failed: c.failed,
            callback_requested: c.callback_requested,
            connected: c.connected,
            abandoned: c.abandoned,
            abandoned_with_amd,
            window_answered,
            window_abandoned,
            abandonment_rate: if window_answered > 0.0 {
                window_abandoned / window_answered
            } else {
                0.0
            },
            budget: camp.config.abandon_cap * window_answered - window_abandoned,
            answer_rate: camp.answer_rate,
            lines_open: u64::from(camp.ringing) + u64::from(camp.answered),
            offers_open: u64::from(camp.offers),
            contacts: camp.contacts.len() as u64,
            contacts_done: done,
            contacts_pending: camp.contacts.len() as u64 - done,
            finals: FinalOutcome::ALL
                .iter()
                .map(|&f| (f.name().to_owned(), c.finals[final_index(f)]))
                .collect(),
        })
    }

    /// The blending threshold of the campaign's policy for a group of `agents` (see
    /// [`blending_threshold`]).
    pub fn blending_threshold(
        &self,
        campaign: &str,
        agents: u32,
        inbound: Option<&InboundLoad>,
    ) -> Result<u32, DialerError> {
        blending_threshold(self.campaign(campaign)?.config.blending, agents, inbound)
    }
}
