//! Snapshots: the dialer's state as bytes (a magic and a version, then postcard), and a
//! restore that checks what it decodes and rebuilds every index from the contacts' states.
//!
//! ```text
//! offset  size  field
//!      0     8  magic, b"CRDIALSN"
//!      8     4  format version, u32 little-endian (VERSION)
//!     12     -  body: the dialer state, postcard
//!      -     -  tail (version 2 on): the campaigns' settings added since version 1, postcard
//! ```
//!
//! The body encodes each campaign's configuration as version 1 did (postcard has no field
//! names: a field added to `CampaignConfig` would shift every byte after it); the settings
//! added since travel in the tail, one entry per campaign in order. A version 1 snapshot
//! restores with their defaults (`abandon_risk` 0.05).

use serde::{Deserialize, Serialize};

use super::config::{Blending, CampaignConfig, DialMode, RetryRules};
use super::error::DialerError;
use super::state::{State, Zone};
use super::Dialer;
use std::collections::BTreeSet;

const MAGIC: &[u8; 8] = b"CRDIALSN";

/// Bump with every change to the encoded state.
const VERSION: u32 = 2;

/// The oldest version read (its campaigns get the defaults of what came since).
const OLDEST: u32 = 1;

impl Dialer {
    /// The whole state as bytes; [`Dialer::restore`] continues from it identically.
    pub fn snapshot(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&postcard::to_allocvec(self).expect("dialer state serializes"));
        let tail: Vec<Since1> = self
            .campaigns
            .iter()
            .map(|c| Since1::of(&c.config))
            .collect();
        out.extend_from_slice(&postcard::to_allocvec(&tail).expect("settings serialize"));
        out
    }

    /// A dialer from [`Dialer::snapshot`] bytes. Never panics: bytes of another format or
    /// version, that do not decode, or that decode to an inconsistent state give
    /// [`DialerError::Snapshot`] saying which.
    pub fn restore(bytes: &[u8]) -> Result<Self, DialerError> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(DialerError::Snapshot(
                "not a callroute dialer snapshot".into(),
            ));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if !(OLDEST..=VERSION).contains(&version) {
            return Err(DialerError::Snapshot(format!(
                "dialer snapshot format version {version}; this build reads versions \
                 {OLDEST} to {VERSION}"
            )));
        }
        let bad = |e: postcard::Error| {
            DialerError::Snapshot(format!("dialer snapshot does not decode: {e}"))
        };
        let (mut dialer, mut rest): (Dialer, &[u8]) =
            postcard::take_from_bytes(&bytes[12..]).map_err(bad)?;
        if version >= 2 {
            let (tail, after): (Vec<Since1>, &[u8]) =
                postcard::take_from_bytes(rest).map_err(bad)?;
            if tail.len() != dialer.campaigns.len() {
                return Err(DialerError::Snapshot(format!(
                    "dialer snapshot has settings for {} campaigns, {} in its body",
                    tail.len(),
                    dialer.campaigns.len()
                )));
            }
            for (camp, since) in dialer.campaigns.iter_mut().zip(tail) {
                since.apply(&mut camp.config);
            }
            rest = after;
        }
        if !rest.is_empty() {
            return Err(DialerError::Snapshot(format!(
                "dialer snapshot has {} bytes after its end",
                rest.len()
            )));
        }
        dialer
            .rebuild()
            .map_err(|e| DialerError::Snapshot(format!("inconsistent dialer snapshot: {e}")))?;
        Ok(dialer)
    }

    /// Check the decoded state and rebuild the indices (id maps, ready sets, waiting set,
    /// line and offer counts) from it.
    fn rebuild(&mut self) -> Result<(), String> {
        let clock = self.clock.unwrap_or(i64::MIN);
        // counters far from overflow: every input adds at most one to each
        const ROOM: u64 = 1 << 62;
        if self.last_line >= ROOM || self.last_seq >= ROOM {
            return Err("line or contact sequence out of range".into());
        }
        self.campaign_ids.clear();
        self.waiting = BTreeSet::new();
        for (ci, camp) in self.campaigns.iter_mut().enumerate() {
            camp.config.validate().map_err(|e| e.to_string())?;
            if *camp.id != *camp.config.id || *camp.caller_id != *camp.config.caller_id {
                return Err(format!(
                    "campaign {ci}: ids disagree with its configuration"
                ));
            }
            if self
                .campaign_ids
                .insert(camp.id.clone(), ci as u32)
                .is_some()
            {
                return Err(format!("campaign {:?} given twice", camp.id));
            }
            camp.ledger.check()?;
            let k = &camp.counters;
            if [
                k.dials,
                k.person,
                k.machine,
                k.no_answer,
                k.busy,
                k.failed,
                k.callback_requested,
                k.connected,
                k.abandoned,
            ]
            .iter()
            .any(|&x| x >= ROOM)
                || camp.contacts.len() >= u32::MAX as usize
            {
                return Err(format!("campaign {:?}: counters out of range", camp.id));
            }
            if !(camp.answer_rate.is_finite() && (0.0..=1.0).contains(&camp.answer_rate)) {
                return Err(format!("campaign {:?}: answer rate out of range", camp.id));
            }
            if camp.zones.len() != camp.config.zones.len() {
                return Err(format!("campaign {:?}: zone tables disagree", camp.id));
            }
            for z in &mut camp.zones {
                if z.spans.windows(2).any(|w| w[0].1 > w[1].0) || z.spans.iter().any(|s| s.0 >= s.1)
                {
                    return Err(format!("campaign {:?}: zone spans unsorted", camp.id));
                }
                *z = Zone {
                    spans: std::mem::take(&mut z.spans),
                    ready: BTreeSet::new(),
                };
            }
            let mut finals = [0u64; 4];
            for c in &camp.contacts {
                if let State::Final(f) = c.state {
                    finals[super::inputs::final_index(f)] += 1;
                }
            }
            if finals != camp.counters.finals {
                return Err(format!(
                    "campaign {:?}: final-outcome counts disagree with its contacts",
                    camp.id
                ));
            }
            camp.contact_ids.clear();
            camp.ringing = 0;
            camp.answered = 0;
            camp.offers = 0;
            for (k, c) in camp.contacts.iter().enumerate() {
                let at = || format!("contact {}/{}", camp.id, c.id);
                if c.id.is_empty() || camp.contact_ids.insert(c.id.clone(), k as u32).is_some() {
                    return Err(format!("{}: empty or given twice", at()));
                }
                if c.numbers.is_empty() || c.next_number as usize >= c.numbers.len() {
                    return Err(format!("{}: numbers out of range", at()));
                }
                if c.zone as usize >= camp.zones.len() || c.seq > self.last_seq {
                    return Err(format!("{}: zone or sequence out of range", at()));
                }
                match c.state {
                    State::Pending if c.next_eligible <= clock => {
                        let key = super::state::ready_key(c, k as u32);
                        camp.zones[c.zone as usize].ready.insert(key);
                    }
                    State::Pending => {
                        self.waiting.insert((c.next_eligible, ci as u32, k as u32));
                    }
                    State::Offered => camp.offers += 1,
                    State::Dialling(l) | State::Answered(l) => {
                        let line = self
                            .lines
                            .get(&l)
                            .ok_or_else(|| format!("{}: its line {l} is not open", at()))?;
                        let answered = matches!(c.state, State::Answered(_));
                        if (line.campaign, line.contact) != (ci as u32, k as u32)
                            || line.answered_at.is_some() != answered
                        {
                            return Err(format!("{}: its line {l} disagrees", at()));
                        }
                        if answered {
                            camp.answered += 1;
                        } else {
                            camp.ringing += 1;
                        }
                    }
                    State::Final(_) => {}
                }
            }
        }
        // every line's contact points back at it (so lines and contacts match one to one)
        for (&l, line) in &self.lines {
            if l == 0 || l > self.last_line {
                return Err(format!("line {l} beyond the last line given"));
            }
            let c = self
                .campaigns
                .get(line.campaign as usize)
                .and_then(|camp| camp.contacts.get(line.contact as usize))
                .ok_or_else(|| format!("line {l}: campaign or contact out of range"))?;
            if !matches!(c.state, State::Dialling(x) | State::Answered(x) if x == l) {
                return Err(format!("line {l}: its contact is not on it"));
            }
        }
        Ok(())
    }
}

/// A campaign's settings added after snapshot version 1 (the snapshot's tail).
#[derive(Serialize, Deserialize)]
struct Since1 {
    abandon_risk: f64,
}

impl Since1 {
    fn of(c: &CampaignConfig) -> Self {
        Self {
            abandon_risk: c.abandon_risk,
        }
    }

    fn apply(self, c: &mut CampaignConfig) {
        c.abandon_risk = self.abandon_risk;
    }
}

/// A campaign's configuration as snapshot version 1 encodes it (every field but those of
/// [`Since1`]); the field order is the encoding: never change it.
#[derive(Serialize, Deserialize)]
struct ConfigV1 {
    id: String,
    tenant: String,
    skills: Vec<(String, u8)>,
    mode: DialMode,
    caller_id: String,
    retry: RetryRules,
    abandon_cap: f64,
    abandon_window: f64,
    connect_within: f64,
    amd_false_positive_rate: f64,
    max_lines_per_agent: f64,
    answer_rate_prior: f64,
    answer_rate_weight: f64,
    blending: Blending,
    zones: Vec<Vec<(f64, f64)>>,
}

/// `#[serde(with)]` codec of `Campaign::config` in a snapshot's body.
pub(crate) mod config_v1 {
    use super::{CampaignConfig, ConfigV1};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(c: &CampaignConfig, s: S) -> Result<S::Ok, S::Error> {
        let c = c.clone();
        ConfigV1 {
            id: c.id,
            tenant: c.tenant,
            skills: c.skills,
            mode: c.mode,
            caller_id: c.caller_id,
            retry: c.retry,
            abandon_cap: c.abandon_cap,
            abandon_window: c.abandon_window,
            connect_within: c.connect_within,
            amd_false_positive_rate: c.amd_false_positive_rate,
            max_lines_per_agent: c.max_lines_per_agent,
            answer_rate_prior: c.answer_rate_prior,
            answer_rate_weight: c.answer_rate_weight,
            blending: c.blending,
            zones: c.zones,
        }
        .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CampaignConfig, D::Error> {
        let v = ConfigV1::deserialize(d)?;
        Ok(CampaignConfig {
            id: v.id,
            tenant: v.tenant,
            skills: v.skills,
            mode: v.mode,
            caller_id: v.caller_id,
            retry: v.retry,
            abandon_cap: v.abandon_cap,
            abandon_window: v.abandon_window,
            connect_within: v.connect_within,
            amd_false_positive_rate: v.amd_false_positive_rate,
            max_lines_per_agent: v.max_lines_per_agent,
            answer_rate_prior: v.answer_rate_prior,
            answer_rate_weight: v.answer_rate_weight,
            blending: v.blending,
            zones: v.zones,
            ..CampaignConfig::default()
        })
    }
}
