//! Time and pacing: moving contacts whose retry time came into the ready queues, the next
//! deadline, and [`Dialer::pace`].

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::config::DialMode;
use super::error::{invalid, DialerError};
use super::inbound::{excess_moments_mixed, Inbound};
use super::ledger::{with_false_positives, Us};
use super::pacing::{allowance_count, poisson_mean_for, scan_lines, PacingInput};
use super::state::{ReadyKey, State};
use super::types::{FreeAgents, Pacing, PreviewOffer};
use super::{secs, Dialer, MAX_FREE_AGENTS, MAX_SECONDS};

/// [`abandon_allowance`](super::abandon_allowance)`(limit, risk)`, through a campaign's cache
/// of the last Poisson mean (it changes only when the window's count or the risk does).
fn allowance(cache: &mut Option<(f64, f64, f64)>, limit: f64, risk: f64) -> f64 {
    let k = allowance_count(limit);
    let mu = match *cache {
        Some((ck, cr, mu)) if ck == k && cr == risk => mu,
        _ => {
            let mu = poisson_mean_for(k, risk);
            *cache = Some((k, risk, mu));
            mu
        }
    };
    mu.min(limit.max(0.0))
}

/// The inbound's point masses for `(inbound, kept)`, through a campaign's cache of the last
/// ones (taken out; put them back after use).
fn inbound_masses(cache: &mut Option<(u64, u32, Inbound)>, inbound: f64, kept: u32) -> Inbound {
    if inbound <= 0.0 {
        return Inbound::none();
    }
    match cache.take() {
        Some((bits, k, masses)) if bits == inbound.to_bits() && k == kept => masses,
        _ => Inbound::beyond_kept(inbound, kept),
    }
}

/// The largest time an input can give, µs.
fn to_us_max() -> Us {
    (MAX_SECONDS * 1e6) as Us
}

impl Dialer {
    /// Move the clock to `t` (checked): contacts due by then become ready, ledgers forget
    /// what left their window. Returns how many contacts became ready.
    pub(crate) fn tick(&mut self, t: Us) -> usize {
        self.clock = Some(t);
        let mut moved = 0;
        while let Some(&(at, ci, k)) = self.waiting.first() {
            if at > t {
                break;
            }
            self.waiting.pop_first();
            self.make_ready(ci, k);
            moved += 1;
        }
        for camp in &mut self.campaigns {
            camp.ledger.expire(t);
        }
        moved
    }

    /// Bring the clock to `now`: contacts whose retry time has come become ready to dial.
    /// Returns how many did.
    pub fn advance(&mut self, now: f64) -> Result<usize, DialerError> {
        let t = self.check_time(now)?;
        Ok(self.tick(t))
    }

    /// The next time something becomes dialable without an input: a waiting contact's
    /// retry time, or the opening of a closed zone that holds ready contacts of a running
    /// campaign. Call [`Dialer::pace`] (or [`Dialer::advance`]) then.
    pub fn next_deadline(&self) -> Option<f64> {
        let now = self.clock?;
        let mut best = self.waiting.first().map(|&(t, _, _)| t);
        for camp in self.campaigns.iter().filter(|c| c.running) {
            for zone in camp.zones.iter().filter(|z| !z.ready.is_empty()) {
                if !zone.open_at(now) {
                    if let Some(t) = zone.next_open(now) {
                        best = Some(best.map_or(t, |b| b.min(t)));
                    }
                }
            }
        }
        // a time past the end of time can never be reached by an input: not announced
        best.filter(|&t| t <= to_us_max()).map(secs)
    }

    /// Decide the calls to place (and preview offers to show) now, for the campaigns listed
    /// with the agents they may use (after the blending threshold) and the inbound calls
    /// expected to take them within a ring time. Campaigns not listed, or stopped, get
    /// nothing. A campaign listed twice, an unknown one, or `free` / `freeing` / `inbound`
    /// outside `[0, MAX_FREE_AGENTS]` is an error.
    pub fn pace<S: AsRef<str>>(
        &mut self,
        now: f64,
        free: &[(S, FreeAgents)],
    ) -> Result<Pacing, DialerError> {
        let t = self.check_time(now)?;
        let mut given: Vec<Option<FreeAgents>> = vec![None; self.campaigns.len()];
        for (id, fa) in free {
            let id = id.as_ref();
            let ci = self.campaign_index(id)? as usize;
            if given[ci].is_some() {
                return Err(DialerError::Duplicate {
                    kind: "campaign in a pacing input",
                    id: id.to_owned(),
                });
            }
            let max = f64::from(MAX_FREE_AGENTS);
            let real = |x: f64| x.is_finite() && (0.0..=max).contains(&x);
            if fa.free > MAX_FREE_AGENTS || !real(fa.freeing) || !real(fa.inbound) {
                return Err(invalid(format!(
                    "pacing input for campaign {id:?}: free ({}), freeing ({}) and inbound \
                     ({}) must be in [0, {MAX_FREE_AGENTS}]",
                    fa.free, fa.freeing, fa.inbound
                )));
            }
            given[ci] = Some(*fa);
        }
        self.tick(t);
        let mut out = Pacing::default();
        for (ci, fa) in given.into_iter().enumerate() {
            let Some(fa) = fa else { continue };
            let camp = &mut self.campaigns[ci];
            if !camp.running {
                continue;
            }
            let inbound = inbound_masses(&mut camp.inbound, fa.inbound, fa.kept);
            let cfg = &camp.config;
            let want = match cfg.mode {
                DialMode::Preview => u64::from(fa.free.saturating_sub(camp.offers)),
                DialMode::Progressive => {
                    // a line per agent that will be there when the person answers: the
                    // agents free now less those inbound would take first (pacing.rs,
                    // "Inbound calls")
                    let reserve = inbound.reserve(cfg.abandon_cap);
                    u64::from(fa.free.saturating_sub(reserve))
                        .saturating_sub(u64::from(camp.ringing))
                }
                DialMode::Predictive => {
                    let (ans, ab) = camp.ledger.counts();
                    let (ans, ab) = with_false_positives(ans, ab, cfg.amd_false_positive_rate);
                    // the window's allowance at the campaign's risk, not cap × answers
                    // (pacing.rs, "The confidence margin")
                    let (cap, risk) = (cfg.abandon_cap, cfg.abandon_risk);
                    let allowed = allowance(&mut camp.allowance, cap * ans, risk);
                    let cfg = &camp.config;
                    let mut input = PacingInput {
                        answer_rate: camp.answer_rate,
                        free: fa.free,
                        freeing: fa.freeing,
                        cap,
                        budget: allowed - ab,
                        max_lines_per_agent: cfg.max_lines_per_agent,
                        inbound: fa.inbound,
                        kept: fa.kept,
                    };
                    let scanned = scan_lines(&input, &inbound);
                    let first = scanned.lines();
                    let limit = (cap * ans).max(0.0);
                    // abandonments come in clusters: the margin scales with the standard
                    // deviation, √dispersion times the Poisson one (at the lines just chosen).
                    // It moves nothing when there is no margin (the allowance is cap ×
                    // answers) or the floor decides already: no moments needed then.
                    let lines = if first <= scanned.floor() || limit <= allowed {
                        first
                    } else {
                        let f = f64::from(fa.free) + fa.freeing;
                        let (e1, e2) = excess_moments_mixed(first, input.answer_rate, f, &inbound);
                        if e1 > 1e-300 && e2 > e1 {
                            input.budget = limit - (e2 / e1).sqrt() * (limit - allowed) - ab;
                            // the same scan answers for the smaller budget
                            scanned.lines_for(input.budget)
                        } else {
                            first
                        }
                    };
                    lines.saturating_sub(u64::from(camp.ringing))
                }
            };
            if fa.inbound > 0.0 {
                self.campaigns[ci].inbound = Some((fa.inbound.to_bits(), fa.kept, inbound));
            }
            if want > 0 {
                self.take(ci as u32, want, t, &mut out);
            }
        }
        Ok(out)
    }

    /// Dial (or offer) up to `want` ready contacts of campaign `ci` in open zones, in ready
    /// order across zones.
    fn take(&mut self, ci: u32, want: u64, t: Us, out: &mut Pacing) {
        let preview = self.campaigns[ci as usize].config.mode == DialMode::Preview;
        let mut heads: BinaryHeap<Reverse<(ReadyKey, u32)>> = self.campaigns[ci as usize]
            .zones
            .iter()
            .enumerate()
            .filter(|(_, z)| z.open_at(t))
            .filter_map(|(zi, z)| z.ready.first().map(|&k| Reverse((k, zi as u32))))
            .collect();
        let mut done = 0;
        while done < want {
            let Some(Reverse((key, zi))) = heads.pop() else {
                break;
            };
            let zone = &mut self.campaigns[ci as usize].zones[zi as usize];
            zone.ready.pop_first();
            if let Some(&next) = zone.ready.first() {
                heads.push(Reverse((next, zi)));
            }
            let k = key.3;
            if preview {
                let Some(i) = self.pick_number(ci, k) else {
                    self.finish(ci, k, super::types::FinalOutcome::Dnc);
                    continue;
                };
                let camp = &mut self.campaigns[ci as usize];
                camp.offers += 1;
                let c = &mut camp.contacts[k as usize];
                c.state = State::Offered;
                out.offers.push(PreviewOffer {
                    campaign: camp.id.clone(),
                    contact: c.id.clone(),
                    number: c.numbers[i as usize].clone(),
                    priority: c.priority,
                    data: c.data.clone(),
                    attempts: c.attempts,
                });
                done += 1;
            } else if let Some(d) = self.dial(ci, k, t, None) {
                out.dials.push(d);
                done += 1;
            }
        }
    }
}
