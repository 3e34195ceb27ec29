//! The blended-day simulator against theory and the dialer's promise:
//! - the threshold policy against its birth-death chain (issue 16), solved here numerically;
//! - the predictive pacer holds the abandonment cap over 200 campaign days with answer rates
//!   that change through the day, and keeps agents busier than progressive dialing on the
//!   same contacts;
//! - a blended day's trade-off: inbound service level against outbound contacts per hour, by
//!   threshold (printed as a table with `--nocapture`).

mod stats;
use stats::ci;

use callroute_core::acd::QueueConfig;
use callroute_core::outbound::{Blending, CampaignConfig, DialMode};
use callroute_core::sim::blend::{
    run_blend_replications, BlendGroup, BlendModel, BlendReplication, CampaignModel, InboundType,
    Reach, ReachRow,
};
use callroute_core::sim::{Arrivals, Dist, Staffing};

fn check(name: &str, values: &[f64], truth: f64) {
    let (m, half) = ci(values);
    assert!(
        (m - truth).abs() <= half + 1e-9 * truth.abs().max(1.0),
        "{name}: simulated {m:.5} ± {half:.5} (99 %) misses the exact {truth:.5}"
    );
}

fn group(count: u32) -> BlendGroup {
    BlendGroup {
        name: "g".into(),
        tenant: "default".into(),
        skills: vec![],
        staffing: Staffing::Fixed { count },
    }
}

fn inbound_queue(sl: f64) -> QueueConfig {
    let mut q = QueueConfig::new("in", "default");
    q.sl_threshold = sl;
    q.max_no_answer = 0;
    q
}

fn inbound(aht: f64, patience: Dist) -> InboundType {
    InboundType {
        name: "in".into(),
        queue: "in".into(),
        priority: 0,
        share: 1.0,
        handle: Dist::Exponential { mean: aht },
        patience,
        wrapup: None,
    }
}

fn campaign(mode: DialMode, blending: Blending) -> CampaignConfig {
    let mut c = CampaignConfig::new("c", "default");
    c.mode = mode;
    c.blending = blending;
    c
}

fn always_person() -> Reach {
    Reach {
        start: 0.0,
        period: 3600.0,
        periods: vec![ReachRow {
            person: 1.0,
            machine: 0.0,
            busy: 0.0,
            failed: 0.0,
            callback: 0.0,
        }],
        person_by_attempt: vec![1.0],
        amd_false_positive: 0.0,
        callback_after: Dist::Deterministic { value: 3600.0 },
    }
}

// ------------------------------------------------------------ the threshold policy's chain

/// The chain's figures: outbound throughput (per second), the inbound mean wait,
/// P(wait <= tau), agent utilization.
struct Chain {
    outbound: f64,
    asa: f64,
    sl: f64,
    utilization: f64,
}

/// The busy count (agents busy plus inbound calls waiting) k >= s - t: births at `lambda`,
/// deaths at min(k, s) mu for k > s - t (at s - t a completion is replaced by an outbound
/// call). Solved by the balance equations up to where the tail is negligible.
fn chain(s: u32, t: u32, lambda: f64, mu: f64, tau: f64) -> Chain {
    let lo = s - t;
    let mut pi = vec![1.0f64];
    let mut k = lo;
    loop {
        let last = *pi.last().unwrap();
        let next = last * lambda / (f64::from((k + 1).min(s)) * mu);
        pi.push(next);
        k += 1;
        if k > s && next < 1e-18 * pi.iter().sum::<f64>() {
            break;
        }
    }
    let total: f64 = pi.iter().sum();
    for p in &mut pi {
        *p /= total;
    }
    let state = |i: usize| lo + i as u32;
    let busy: f64 = pi
        .iter()
        .enumerate()
        .map(|(i, p)| p * f64::from(state(i).min(s)))
        .sum();
    let (mut asa, mut late) = (0.0, 0.0);
    let rate = f64::from(s) * mu;
    for (i, p) in pi.iter().enumerate() {
        let k = state(i);
        if k >= s {
            // an arrival finds k: it waits for k - s + 1 completions at rate s mu
            let n = k - s + 1;
            asa += p * f64::from(n) / rate;
            // P(Erlang(n, s mu) > tau) = sum_{j < n} e^-x x^j / j!
            let x = rate * tau;
            let (mut term, mut tail) = ((-x).exp(), 0.0);
            for j in 0..n {
                if j > 0 {
                    term *= x / f64::from(j);
                }
                tail += term;
            }
            late += p * tail;
        }
    }
    Chain {
        outbound: mu * busy - lambda,
        asa,
        sl: 1.0 - late,
        utilization: busy / f64::from(s),
    }
}

fn threshold_model(s: u32, t: u32, lambda: f64, aht: f64, tau: f64, horizon: f64) -> BlendModel {
    let contacts = (2.0 * f64::from(s) / aht * horizon) as u64 + 100;
    let mut ring = campaign(DialMode::Progressive, Blending::Fixed(t));
    ring.retry.no_answer.max_attempts = 1;
    BlendModel {
        queues: vec![inbound_queue(tau)],
        inbound: vec![inbound(aht, Dist::Never)],
        arrivals: Arrivals::Poisson { rate: lambda },
        groups: vec![group(s)],
        campaigns: vec![CampaignModel {
            campaign: ring,
            contacts,
            reach: always_person(),
            ring: Dist::Deterministic { value: 0.0 },
            no_answer_after: 25.0,
            busy_after: 3.0,
            talk: Dist::Exponential { mean: aht },
            wrapup: None,
            inbound_target: None,
            priority: 0,
            preview: Dist::Deterministic { value: 10.0 },
            preview_accept: 1.0,
        }],
        start: 0.0,
        horizon,
        warmup: horizon * 0.05,
        interval: horizon,
        pace_every: 1.0,
    }
}

#[test]
fn threshold_policy_matches_its_chain() {
    // (agents, threshold, inbound calls per second); handle 100 s, SL threshold 10 s
    let aht = 100.0;
    let tau = 10.0;
    for &(s, t, lambda) in &[
        (5u32, 1u32, 0.03),
        (10, 2, 0.08),
        (10, 5, 0.05),
        (20, 0, 0.15),
    ] {
        let horizon = 1_000.0 * aht;
        let model = threshold_model(s, t, lambda, aht, tau, horizon);
        let reps = run_blend_replications(&model, 5, 10, 2).unwrap();
        let truth = chain(s, t, lambda, 1.0 / aht, tau);
        let what = format!("s = {s}, t = {t}, lambda = {lambda}");
        let col = |f: &dyn Fn(&BlendReplication) -> f64| reps.iter().map(f).collect::<Vec<_>>();
        for r in &reps {
            let o = r.outbound_total(0);
            assert_eq!(
                o.abandoned, 0,
                "{what}: ring 0, an agent free for every dial"
            );
            assert_eq!(o.person, o.dials);
        }
        check(
            &format!("{what}: outbound per second"),
            &col(&|r| r.outbound_total(0).connected as f64 / r.measured),
            truth.outbound,
        );
        check(
            &format!("{what}: inbound ASA"),
            &col(&|r| r.inbound_asa()),
            truth.asa,
        );
        check(
            &format!("{what}: inbound SL"),
            &col(&|r| r.inbound_service_level()),
            truth.sl,
        );
        check(
            &format!("{what}: utilization"),
            &col(&|r| r.utilization()),
            truth.utilization,
        );
    }
}

// ------------------------------------------------------------ the predictive pacer's cap

/// A campaign day of `agents` agents and no inbound: `hours` hours with the person answer
/// rate changing every hour, machines, busy and failed lines, lognormal rings, 1 %
/// AMD false positives, paced to the 3 % cap over a rolling window of `window` seconds with
/// the probability `risk` of ending a window above it.
fn campaign_day(mode: DialMode, agents: u32, hours: usize, window: f64, risk: f64) -> BlendModel {
    let mut c = campaign(mode, Blending::Fixed(0));
    c.abandon_window = window;
    c.abandon_cap = 0.03;
    c.abandon_risk = risk;
    c.amd_false_positive_rate = 0.01;
    c.answer_rate_prior = 0.25;
    let person = [0.35, 0.2, 0.3, 0.15, 0.25, 0.4];
    BlendModel {
        queues: vec![],
        inbound: vec![],
        arrivals: Arrivals::Poisson { rate: 0.0 },
        groups: vec![group(agents)],
        campaigns: vec![CampaignModel {
            campaign: c,
            contacts: 5_000 * u64::from(agents) * hours as u64 / 60 + 1_000,
            reach: Reach {
                start: 0.0,
                period: 3600.0,
                periods: (0..hours)
                    .map(|h| ReachRow {
                        person: person[h % person.len()],
                        machine: 0.15,
                        busy: 0.05,
                        failed: 0.02,
                        callback: 0.0,
                    })
                    .collect(),
                person_by_attempt: vec![1.0, 0.8, 0.6],
                amd_false_positive: 0.01,
                callback_after: Dist::Deterministic { value: 3600.0 },
            },
            ring: Dist::Lognormal {
                mean: 12.0,
                cv: 0.5,
            },
            no_answer_after: 25.0,
            busy_after: 3.0,
            talk: Dist::Exponential { mean: 120.0 },
            wrapup: Some(Dist::Deterministic { value: 10.0 }),
            inbound_target: None,
            priority: 0,
            preview: Dist::Deterministic { value: 10.0 },
            preview_accept: 1.0,
        }],
        start: 0.0,
        horizon: hours as f64 * 3600.0,
        warmup: 0.0,
        interval: 900.0,
        pace_every: 1.0,
    }
}

/// The UK rule: at most 3 % of live answers abandoned over 24 hours, paced at that legal cap
/// with `abandon_risk` 5 %: the pacer's margin (pacing.rs, "The confidence margin") keeps
/// the probability that a window ends above the cap within the risk, so at most 5 % of the
/// 200 days (one 24 h window each, holding the whole day) may end above 3 %. (Without the
/// margin the pacer sat on the cap in expectation: 114 of these 200 days ended above it.)
/// The rolling rate read every 15 minutes within the day is reported, not asserted: the
/// margin is planned for the window the pacer fills, and readings early in the day (few
/// answers, the answer rate's estimate catching up with an hourly change) exceed the cap
/// a little more often than the risk (92 of 1,600 readings when written; printed with
/// `--nocapture`). Over the same
/// contacts (common random numbers: each contact's attempt draws the same outcome, ring and
/// talk time), predictive dialing keeps the agents busier and reaches more people per hour
/// than progressive dialing (paired differences, 99 % intervals).
#[test]
fn predictive_pacing_holds_the_cap_and_beats_progressive() {
    let (agents, hours, days) = (10, 3, 200);
    let (legal_cap, risk) = (0.03, 0.05);
    let day = 86_400.0;
    let pred = run_blend_replications(
        &campaign_day(DialMode::Predictive, agents, hours, day, risk),
        9,
        days,
        2,
    )
    .unwrap();
    // progressive on the first 40 of the same days (same seed: same contacts' draws)
    let prog = run_blend_replications(
        &campaign_day(DialMode::Progressive, agents, hours, day, risk),
        9,
        40,
        2,
    )
    .unwrap();
    // one window per day: the day's rate (the 24 h window holds the whole day)
    let rates: Vec<f64> = pred
        .iter()
        .map(|r| r.outbound_total(0).abandonment_rate())
        .collect();
    let over = rates.iter().filter(|&&x| x > legal_cap).count();
    // the rolling 24 h rate read every 15 min (from the end of the first hour): shown only,
    // early readings rest on few answers
    let (mut readings, mut readings_over) = (0, 0);
    for r in &pred {
        for (rate, _) in r.rolling_abandonment(0, 96).into_iter().skip(4) {
            readings += 1;
            readings_over += usize::from(rate > legal_cap);
        }
    }
    let (m, h) = ci(&rates);
    let util = |rs: &[BlendReplication]| rs.iter().map(|r| r.utilization()).collect::<Vec<_>>();
    let gain: Vec<f64> = util(&pred[..prog.len()])
        .iter()
        .zip(util(&prog))
        .map(|(a, b)| a - b)
        .collect();
    let reach: Vec<f64> = pred
        .iter()
        .zip(&prog)
        .map(|(a, b)| a.contacts_per_hour(0) - b.contacts_per_hour(0))
        .collect();
    let (g, gh) = ci(&gain);
    let (c, chw) = ci(&reach);
    let (up, _) = ci(&util(&pred[..prog.len()]));
    let (uq, _) = ci(&util(&prog));
    println!(
        "predictive at the {legal_cap} cap, risk {risk}: day rate {m:.4} ± {h:.4}, {over} of {days} days over \
         {legal_cap}; rolling readings over it {readings_over} of {readings}; utilization \
         {up:.3} vs progressive {uq:.3} (gain {g:.4} ± {gh:.4}); people per hour +{c:.1} ± {chw:.1}"
    );
    for r in &prog {
        // progressive: a line per free agent, so only AMD false positives are abandoned
        let o = r.outbound_total(0);
        assert_eq!(o.abandoned, o.amd_false_positives);
    }
    assert!(
        over as f64 <= risk * days as f64,
        "{over} of {days} days over the {legal_cap} cap (at most {risk} allowed)"
    );
    assert!(g - gh > 0.0, "predictive utilization gain {g} ± {gh}");
    assert!(c - chw > 0.0, "predictive people per hour gain {c} ± {chw}");
}

// ------------------------------------------------------------ the blended day's trade-off

/// A 6-hour day of 30 blended agents: inbound in hourly steps (12 to 22 Erlangs at 4 min
/// handle, patience 3 min), and a campaign (at the 3 % cap when predictive) taking the agents
/// the threshold leaves free.
fn blended_day(mode: DialMode, threshold: Blending) -> BlendModel {
    let mut c = campaign(mode, threshold);
    c.abandon_window = 86_400.0;
    let erlangs = [12.0, 16.0, 20.0, 22.0, 18.0, 14.0];
    BlendModel {
        queues: vec![inbound_queue(20.0)],
        inbound: vec![inbound(240.0, Dist::Exponential { mean: 180.0 })],
        arrivals: Arrivals::Piecewise {
            start: 0.0,
            interval: 3600.0,
            rates: erlangs.iter().map(|e| e / 240.0).collect(),
        },
        groups: vec![group(30)],
        campaigns: vec![CampaignModel {
            campaign: c,
            contacts: 10_000,
            reach: Reach {
                start: 0.0,
                period: 3600.0,
                periods: vec![ReachRow {
                    person: 0.3,
                    machine: 0.15,
                    busy: 0.05,
                    failed: 0.02,
                    callback: 0.0,
                }],
                person_by_attempt: vec![1.0, 0.8],
                amd_false_positive: 0.0,
                callback_after: Dist::Deterministic { value: 3600.0 },
            },
            ring: Dist::Lognormal {
                mean: 12.0,
                cv: 0.5,
            },
            no_answer_after: 25.0,
            busy_after: 3.0,
            talk: Dist::Exponential { mean: 180.0 },
            wrapup: None,
            inbound_target: Some(callroute_core::sim::blend::InboundTarget {
                answer_within: 20.0,
                target: 0.8,
            }),
            priority: 0,
            preview: Dist::Deterministic { value: 10.0 },
            preview_accept: 1.0,
        }],
        start: 0.0,
        horizon: erlangs.len() as f64 * 3600.0,
        warmup: 0.0,
        interval: 3600.0,
        pace_every: 1.0,
    }
}

/// The trade-off, as a table (`cargo test --release --test sim_blend -- --nocapture`):
/// keeping more agents idle for inbound raises the inbound service level and lowers the
/// outbound contacts per hour. The threshold acts at dial time, as in the runtime: the
/// campaign dials for the agents free less the threshold, and a person who answers queues
/// at once for any agent. The pacer also counts the inbound calls expected to reach the
/// agents during a ring, beyond the idle agents the threshold keeps (pacing.rs, "Inbound
/// calls"), so at a low threshold it keeps agents back itself.
///
/// Progressive, between each threshold and the next (same seeds, paired): the SL never
/// falls, and the contacts per hour and the outbound abandonment never rise, by more than
/// the 99 % interval allows; from 0 to 8 the SL rises and the contacts fall beyond it.
/// Predictive stays under its cap at every threshold (mean over the days) and its curve
/// need not be monotone: its abandonment sits near the allowance of its window whatever
/// the threshold (a threshold that saves abandonments is budget spent on more lines), so
/// a larger threshold can dial harder (on this day, 4 against 0 and 2); from 4 to 8 the
/// SL rises and the contacts fall beyond the interval. Keeping every agent idle is an
/// inbound-only center (nothing dialled).
#[test]
fn blended_day_trades_inbound_service_for_outbound_contacts() {
    let reps = 8;
    for mode in [DialMode::Predictive, DialMode::Progressive] {
        println!("{mode:?}");
        println!(
            "threshold  inbound SL  ASA (s)  abandoned  contacts/h  outbound abandoned  \
             utilization"
        );
        let mut rows = Vec::new();
        for blending in [0u32, 2, 4, 8, 30]
            .iter()
            .map(|&k| Blending::Fixed(k))
            .chain([Blending::Auto])
        {
            let model = blended_day(mode, blending);
            let cap = model.campaigns[0].campaign.abandon_cap;
            let rs = run_blend_replications(&model, 3, reps, 2).unwrap();
            let mean = |f: &dyn Fn(&BlendReplication) -> f64| {
                rs.iter().map(f).sum::<f64>() / rs.len() as f64
            };
            let abandonment = mean(&|r| r.outbound_total(0).abandonment_rate());
            println!(
                "{:>9}  {:>10.3}  {:>7.1}  {:>9.3}  {:>10.1}  {:>18.4}  {:>11.3}",
                match blending {
                    Blending::Fixed(k) => k.to_string(),
                    Blending::Auto => "auto".into(),
                },
                mean(&|r| r.inbound_service_level()),
                mean(&|r| r.inbound_asa()),
                mean(&|r| r.inbound_abandonment()),
                mean(&|r| r.contacts_per_hour(0)),
                abandonment,
                mean(&|r| r.utilization()),
            );
            if mode == DialMode::Predictive {
                assert!(
                    abandonment <= cap,
                    "{blending:?}: predictive abandonment {abandonment} over the cap {cap}"
                );
            }
            if blending == Blending::Fixed(30) {
                // every agent kept for inbound: nothing dialled
                assert!(rs.iter().all(|r| r.outbound_total(0).dials == 0));
            }
            let per_day = |f: &dyn Fn(&BlendReplication) -> f64| rs.iter().map(f).collect();
            rows.push((
                per_day(&|r| r.inbound_service_level()),
                per_day(&|r| r.contacts_per_hour(0)),
                per_day(&|r| r.outbound_total(0).abandonment_rate()),
            ));
        }
        let paired = |a: &Vec<f64>, b: &Vec<f64>| {
            ci(&a.iter().zip(b).map(|(x, y)| x - y).collect::<Vec<_>>())
        };
        // rows: thresholds 0, 2, 4, 8, 30 (then auto, not compared)
        let fixed = [0, 2, 4, 8, 30];
        for i in 0..fixed.len() - 1 {
            let (lo, hi) = (&rows[i], &rows[i + 1]);
            let step = format!("{mode:?}, threshold {} to {}", fixed[i], fixed[i + 1]);
            let (dsl, hsl) = paired(&hi.0, &lo.0);
            let (dc, hc) = paired(&hi.1, &lo.1);
            let (da, ha) = paired(&hi.2, &lo.2);
            println!(
                "{step}: SL {dsl:+.4} ± {hsl:.4}, contacts/h {dc:+.1} ± {hc:.1}, \
                 outbound abandoned {da:+.4} ± {ha:.4}"
            );
            if mode == DialMode::Progressive {
                assert!(dsl + hsl >= 0.0, "{step}: inbound SL falls");
                assert!(da - ha <= 0.0, "{step}: outbound abandonment rises");
                assert!(dc - hc <= 0.0, "{step}: contacts/h rise");
            }
        }
        // progressive: from 0 to 8; predictive: from 4 to 8 (at 0 and 2 the pacer holds
        // lines back for the inbound it expects to take its agents, so its SL is high there
        // already)
        let from = if mode == DialMode::Progressive { 0 } else { 2 };
        let (dsl, hsl) = paired(&rows[3].0, &rows[from].0);
        assert!(
            dsl - hsl > 0.0,
            "{mode:?}: SL gain of threshold 8 over {}: {dsl} ± {hsl}",
            fixed[from]
        );
        let (dc, hc) = paired(&rows[from].1, &rows[3].1);
        assert!(
            dc - hc > 0.0,
            "{mode:?}: contacts/h lost at threshold 8 from {}: {dc} ± {hc}",
            fixed[from]
        );
    }
}

/// The cap is a legal limit whatever threshold the user chose. At threshold 0 every idle
/// agent is dialled for, and an inbound call arriving while a line rings takes the agent the
/// line was dialled for (inbound has priority): the pacer counts the inbound expected to
/// take the campaign's agents within a ring time (pacing.rs, "Inbound calls"). Over 200 days
/// of the blended example's shape (30 agents, inbound 12 to 22 Erlangs, 4-minute calls,
/// 3 % cap over the UK's 24 h window, so one window per day, `abandon_risk` 5 %), at most
/// 5 % of the days end above the cap, for predictive and for progressive dialing alike (a
/// line per agent that will be there when the person answers: its floor keeps back the
/// agents inbound would take but with probability at most cap / 2, so its days sit well
/// under the cap; the cap binds every mode).
#[test]
fn blended_day_at_threshold_zero_holds_the_cap() {
    let days = 200;
    for mode in [DialMode::Progressive, DialMode::Predictive] {
        let model = blended_day(mode, Blending::Fixed(0));
        let (cap, risk) = (
            model.campaigns[0].campaign.abandon_cap,
            model.campaigns[0].campaign.abandon_risk,
        );
        let rs = run_blend_replications(&model, 11, days, 2).unwrap();
        let rates: Vec<f64> = rs
            .iter()
            .map(|r| r.outbound_total(0).abandonment_rate())
            .collect();
        let over = rates.iter().filter(|&&x| x > cap).count();
        let (m, h) = ci(&rates);
        let per_hour = rs.iter().map(|r| r.contacts_per_hour(0)).sum::<f64>() / days as f64;
        let sl = rs.iter().map(|r| r.inbound_service_level()).sum::<f64>() / days as f64;
        println!(
            "{mode:?} at threshold 0: day abandonment {m:.4} ± {h:.4}, {over} of {days} days \
             over {cap}; contacts/h {per_hour:.1}; inbound SL {sl:.3}"
        );
        assert!(
            over as f64 <= risk * days as f64,
            "{mode:?}: {over} of {days} days over the {cap} cap (at most {risk} allowed)"
        );
    }
}

/// A model that cannot run is refused with the field at fault named; a run is the same for
/// the same seed and index, whatever the threads.
#[test]
fn bad_models_are_named_and_runs_repeat() {
    let good = threshold_model(3, 1, 0.01, 100.0, 10.0, 2_000.0);
    let refused = |f: &dyn Fn(&mut BlendModel), field: &str| {
        let mut m = good.clone();
        f(&mut m);
        let err = callroute_core::sim::blend::run_blend(&m, 1, 0)
            .unwrap_err()
            .to_string();
        assert!(err.contains(field), "{field}: {err}");
    };
    refused(
        &|m| m.campaigns[0].reach.periods[0].machine = 0.5,
        "campaigns[0].reach.periods[0]",
    );
    refused(
        &|m| m.campaigns[0].preview_accept = 0.0,
        "campaigns[0].preview_accept",
    );
    refused(
        &|m| m.campaigns[0].preview = Dist::Never,
        "campaigns[0].preview",
    );
    refused(
        &|m| m.campaigns[0].reach.periods[0].callback = 1.5,
        "campaigns[0].reach.periods[0].callback",
    );
    refused(
        &|m| m.campaigns[0].reach.callback_after = Dist::Never,
        "campaigns[0].reach.callback_after",
    );
    refused(
        &|m| m.campaigns[0].campaign.blending = Blending::Auto,
        "campaigns[0].inbound_target",
    );
    refused(
        &|m| m.campaigns[0].campaign.abandon_cap = 1.5,
        "abandon_cap",
    );
    refused(
        &|m| m.inbound[0].queue = "nowhere".into(),
        "inbound[0].queue",
    );
    refused(
        &|m| m.groups[0].staffing = Staffing::Shifts { shifts: vec![] },
        "groups[0].staffing",
    );
    refused(&|m| m.pace_every = 0.0, "pace_every");
    let one = callroute_core::sim::blend::run_blend(&good, 4, 2).unwrap();
    let many = run_blend_replications(&good, 4, 3, 2).unwrap();
    assert_eq!(one, many[2]);
    assert_ne!(many[0], many[1]);
}
