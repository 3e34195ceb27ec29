//! The blended-day simulator's preview campaigns and callbacks:
//! - preview: each agent's offers form a renewal process (decide, then, if accepted, the
//!   line and the person's talk and wrap-up); offers, people connected and talk per agent
//!   hour against the renewal-reward values computed here;
//! - callbacks: a person asking to be called back is dialled again at the time asked;
//! - the threshold acts at dial time only: it cuts the lines dialled, and a person who
//!   answers queues for any agent at once (scripted days: exact counts);
//! - older model JSON, without the preview and callback fields, still loads.

mod stats;
use stats::ci;

use callroute_core::outbound::{Blending, CampaignConfig, DialMode};
use callroute_core::sim::blend::{
    run_blend_replications, BlendGroup, BlendModel, BlendReplication, CampaignModel, Reach,
    ReachRow,
};
use callroute_core::sim::{Dist, Staffing};

fn check(name: &str, values: &[f64], truth: f64) {
    let (m, half) = ci(values);
    println!("{name}: simulated {m:.6} ± {half:.6}, exact {truth:.6}");
    assert!(
        (m - truth).abs() <= half + 1e-9 * truth.abs().max(1.0),
        "{name}: simulated {m:.6} ± {half:.6} (99 %) misses the exact {truth:.6}"
    );
}

fn row(person: f64, machine: f64, busy: f64, callback: f64) -> ReachRow {
    ReachRow {
        person,
        machine,
        busy,
        failed: 0.0,
        callback,
    }
}

/// A campaign-only day (no inbound) of `agents` agents.
fn outbound_day(agents: u32, mode: DialMode, reach: Reach, horizon: f64) -> BlendModel {
    let mut c = CampaignConfig::new("c", "default");
    c.mode = mode;
    c.blending = Blending::Fixed(0);
    BlendModel {
        queues: vec![],
        inbound: vec![],
        arrivals: callroute_core::sim::Arrivals::Poisson { rate: 0.0 },
        groups: vec![BlendGroup {
            name: "g".into(),
            tenant: "default".into(),
            skills: vec![],
            staffing: Staffing::Fixed { count: agents },
        }],
        campaigns: vec![CampaignModel {
            campaign: c,
            contacts: 100_000,
            reach,
            ring: Dist::Deterministic { value: 8.0 },
            no_answer_after: 25.0,
            busy_after: 3.0,
            talk: Dist::Exponential { mean: 120.0 },
            wrapup: Some(Dist::Deterministic { value: 20.0 }),
            inbound_target: None,
            priority: 0,
            preview: Dist::Deterministic { value: 10.0 },
            preview_accept: 1.0,
        }],
        start: 0.0,
        horizon,
        warmup: 0.0,
        interval: horizon,
        pace_every: 1.0,
    }
}

/// Preview: every agent is always deciding, waiting on a line it accepted, talking or
/// wrapping up; one offer per cycle. A cycle lasts, in expectation,
/// `D + a·[p(1−f)(R + T + W) + p·f·R + m·R + b·B + (1 − p − m − b)·NA]` (decision D,
/// acceptance a, person p, AMD false positive f, machine m, busy b; ring R, talk T, wrap-up
/// W, busy signal B, no answer NA), and holds `a·p·(1−f)` people connected and their talk:
/// per agent-second, offers `1/E[C]`, people `a·p·(1−f)/E[C]`, talk `a·p·(1−f)·T/E[C]`
/// (renewal-reward); the agents are never idle.
#[test]
fn preview_agents_match_the_renewal_reward_cycle() {
    let (d, a, p, f, m, b) = (10.0, 0.8, 0.4, 0.1, 0.2, 0.05);
    let (r, t, w, bs, na) = (8.0, 120.0, 20.0, 3.0, 25.0);
    let agents = 10;
    let horizon = 100_000.0;
    let mut model = outbound_day(
        agents,
        DialMode::Preview,
        Reach {
            start: 0.0,
            period: 3600.0,
            periods: vec![row(p, m, b, 0.0)],
            person_by_attempt: vec![1.0],
            amd_false_positive: f,
            callback_after: Dist::Deterministic { value: 3600.0 },
        },
        horizon,
    );
    model.campaigns[0].preview_accept = a;
    model.campaigns[0].preview = Dist::Deterministic { value: d };
    model.warmup = 1_000.0;
    let cycle =
        d + a * (p * (1.0 - f) * (r + t + w) + p * f * r + m * r + b * bs + (1.0 - p - m - b) * na);
    let reps = run_blend_replications(&model, 11, 10, 2).unwrap();
    let per_agent_s = |r: &BlendReplication, x: f64| x / (f64::from(agents) * r.measured);
    let col = |f: &dyn Fn(&BlendReplication) -> f64| reps.iter().map(f).collect::<Vec<_>>();
    check(
        "offers per agent-second",
        &col(&|r| per_agent_s(r, r.outbound_total(0).offers as f64)),
        1.0 / cycle,
    );
    check(
        "people connected per agent-second",
        &col(&|r| per_agent_s(r, r.outbound_total(0).connected as f64)),
        a * p * (1.0 - f) / cycle,
    );
    check(
        "talk share of agent time",
        &col(&|r| per_agent_s(r, r.outbound_total(0).talk)),
        a * p * (1.0 - f) * t / cycle,
    );
    check(
        "rejected per offer",
        &col(&|r| {
            let o = r.outbound_total(0);
            o.rejected as f64 / o.offers as f64
        }),
        1.0 - a,
    );
    for r in &reps {
        let o = r.outbound_total(0);
        // the person is pinned to the agent who accepted: nobody waits, nobody is abandoned
        // but those taken for machines
        assert_eq!(o.abandoned, o.amd_false_positives);
        assert_eq!(o.connect_wait, 0.0);
        assert!(r.utilization() > 0.999, "utilization {}", r.utilization());
    }
}

/// A person who asks to be called back an hour later (first hour: every person asks; second
/// hour: none does) is dialled again at that time (the callback rule's delay is 0), and
/// talks then.
#[test]
fn a_callback_is_dialled_at_the_time_asked() {
    let mut model = outbound_day(
        1,
        DialMode::Progressive,
        Reach {
            start: 0.0,
            period: 3600.0,
            periods: vec![row(1.0, 0.0, 0.0, 1.0), row(1.0, 0.0, 0.0, 0.0)],
            person_by_attempt: vec![1.0],
            amd_false_positive: 0.0,
            callback_after: Dist::Deterministic { value: 3600.0 },
        },
        7_200.0,
    );
    model.campaigns[0].contacts = 1;
    model.campaigns[0].ring = Dist::Deterministic { value: 5.0 };
    model.interval = 1.0;
    let rep = &run_blend_replications(&model, 3, 1, 1).unwrap()[0];
    let o = &rep.outbound[0];
    // dialled at 0, answered at 5, asks for 5 + 3600: dialled again then, answered at 3610
    let dialled: Vec<usize> = (0..o.len()).filter(|&i| o[i].dials > 0).collect();
    assert_eq!(dialled, vec![0, 3605]);
    assert_eq!(o[0].callbacks, 1);
    assert_eq!(o[0].connected, 0);
    assert_eq!(o[3605].connected, 1);
    assert_eq!(rep.dialer[0].callback_requested, 1);
}

/// Model JSON written before the preview and callback fields loads, with their defaults.
#[test]
fn older_model_json_loads_with_defaults() {
    let model = outbound_day(
        2,
        DialMode::Predictive,
        Reach {
            start: 0.0,
            period: 3600.0,
            periods: vec![row(0.3, 0.1, 0.0, 0.0)],
            person_by_attempt: vec![1.0],
            amd_false_positive: 0.0,
            callback_after: Dist::Deterministic { value: 3600.0 },
        },
        3_600.0,
    );
    let mut json = serde_json::to_value(&model).unwrap();
    let c = &mut json["campaigns"][0];
    for key in ["preview", "preview_accept"] {
        assert!(c.as_object_mut().unwrap().remove(key).is_some());
    }
    assert!(c["reach"]
        .as_object_mut()
        .unwrap()
        .remove("callback_after")
        .is_some());
    assert!(c["reach"]["periods"][0]
        .as_object_mut()
        .unwrap()
        .remove("callback")
        .is_some());
    let back: BlendModel = serde_json::from_value(json).unwrap();
    assert_eq!(back, model);
}

/// A scripted progressive day: every contact a person, ring 10 s, talk 100 s, no wrap-up,
/// `agents` agents at first and `later` from 5 s on, the given threshold and connect limit,
/// dialling for 300 s.
fn scripted_day(agents: u32, later: u32, threshold: u32, within: f64, contacts: u64) -> BlendModel {
    let mut model = outbound_day(
        agents,
        DialMode::Progressive,
        Reach {
            start: 0.0,
            period: 3600.0,
            periods: vec![row(1.0, 0.0, 0.0, 0.0)],
            person_by_attempt: vec![1.0],
            amd_false_positive: 0.0,
            callback_after: Dist::Deterministic { value: 3600.0 },
        },
        300.0,
    );
    model.groups[0].staffing = Staffing::Intervals {
        start: 0.0,
        interval: 5.0,
        counts: vec![agents, later],
    };
    let cm = &mut model.campaigns[0];
    cm.contacts = contacts;
    cm.campaign.blending = Blending::Fixed(threshold);
    cm.campaign.connect_within = within;
    cm.ring = Dist::Deterministic { value: 10.0 };
    cm.talk = Dist::Deterministic { value: 100.0 };
    cm.wrapup = None;
    model
}

/// The threshold cuts the dials: two agents throughout, plenty of contacts. With a threshold
/// of 1, one agent is free to dial for: one line at 0 s, its person talks 10-110 s, the
/// next line at 110 s (talk 120-220 s), the last at 220 s (talk 230-330 s; dialling stops
/// at 300 s): 3 lines, all connected at once. With 0, two lines at each of 0, 110 and
/// 220 s: 6.
#[test]
fn the_threshold_cuts_the_lines_dialled() {
    for (threshold, lines) in [(1, 3), (0, 6)] {
        let model = scripted_day(2, 2, threshold, 2.0, 100);
        let rep = &run_blend_replications(&model, 5, 1, 1).unwrap()[0];
        let o = rep.outbound_total(0);
        let what = format!("threshold {threshold}");
        assert_eq!(o.dials, lines, "{what}");
        assert_eq!(o.person, lines, "{what}");
        assert_eq!(o.connected, lines, "{what}");
        assert_eq!(o.abandoned, 0, "{what}");
        assert_eq!(o.connect_wait, 0.0, "{what}");
    }
}

/// The threshold does not hold an answered person back (as in the runtime, where they join
/// the campaign's queue at once). Threshold 1, three agents at first: two lines are dialled
/// at 0 s (3 free − 1 kept); at 5 s two agents log off, so when both people answer at 10 s
/// one agent is idle. The first person takes it at once, though that leaves none idle for
/// inbound; the second waits in the queue. With a connect limit of 2 s they hang up at
/// 12 s (abandoned); with 200 s they get the agent when the first talk ends at 110 s
/// (waited 100 s). Nothing more is dialled: one agent, kept for inbound. (Holding people
/// for the threshold would abandon both in either case.)
#[test]
fn an_answered_person_queues_at_once_whatever_the_threshold() {
    for (within, connected, abandoned, wait) in [(2.0, 1, 1, 0.0), (200.0, 2, 0, 100.0)] {
        let model = scripted_day(3, 1, 1, within, 100);
        let rep = &run_blend_replications(&model, 5, 1, 1).unwrap()[0];
        let o = rep.outbound_total(0);
        let what = format!("connect within {within} s");
        assert_eq!(o.dials, 2, "{what}");
        assert_eq!(o.person, 2, "{what}");
        assert_eq!(o.connected, connected, "{what}");
        assert_eq!(o.abandoned, abandoned, "{what}");
        assert!(
            (o.connect_wait - wait).abs() < 1e-6,
            "{what}: {}",
            o.connect_wait
        );
    }
}
