//! Wall time of one simulated day of a 200-agent blended center (issue 16: under 1 s on
//! one core).
//!
//! The day: 12 hours; one blended group of 200 agents; inbound calls in half-hour steps
//! rising to a midday peak (about 150 Erlangs at the peak, 4 min handle, 1 min wrap-up
//! included, patience 2 min on average); one predictive campaign of 100,000 contacts with
//! answer rates by hour (20–35 % people, 15 % machines), 15 s rings, 3 min talks, 15 s wrap-up,
//! 1 % AMD false positives, the automatic blending threshold for 80 % of inbound answered in
//! 20 s. Each replication is timed on its own (one thread); the report gives the median and
//! the worst, with the day's counts.
//!
//! ```text
//! cargo bench -p callroute-core --bench blend_day                      # 10 days
//! BLEND_BENCH_QUICK=1 cargo bench -p callroute-core --bench blend_day  # 3 days
//! BLEND_BENCH_DAYS=50 cargo bench -p callroute-core --bench blend_day  # profiling
//! ```

use std::time::Instant;

use callroute_core::acd::QueueConfig;
use callroute_core::outbound::{Blending, CampaignConfig, DialMode};
use callroute_core::sim::blend::{
    run_blend, BlendGroup, BlendModel, CampaignModel, InboundTarget, InboundType, Reach, ReachRow,
};
use callroute_core::sim::{Arrivals, Dist, Staffing};

fn day(hours: usize) -> BlendModel {
    let mut q = QueueConfig::new("in", "acme");
    q.skills = vec![("sales".into(), 1)];
    q.max_no_answer = 0;
    // half-hour inbound rates: a hump from about 60 to 150 Erlangs at midday
    let halves = 2 * hours;
    let rates: Vec<f64> = (0..halves)
        .map(|i| {
            let x = (i as f64 + 0.5) / halves as f64;
            let erlangs = 60.0 + 90.0 * (std::f64::consts::PI * x).sin();
            erlangs / 300.0
        })
        .collect();
    let mut campaign = CampaignConfig::new("renewals", "acme");
    campaign.skills = vec![("sales".into(), 1)];
    campaign.mode = DialMode::Predictive;
    campaign.blending = Blending::Auto;
    campaign.abandon_window = 86_400.0;
    campaign.amd_false_positive_rate = 0.01;
    let periods = (0..hours)
        .map(|h| ReachRow {
            person: [0.2, 0.25, 0.3, 0.35, 0.3, 0.25][h % 6],
            machine: 0.15,
            busy: 0.05,
            failed: 0.02,
            callback: 0.0,
        })
        .collect();
    BlendModel {
        queues: vec![q],
        inbound: vec![InboundType {
            name: "in".into(),
            queue: "in".into(),
            priority: 0,
            share: 1.0,
            handle: Dist::Lognormal {
                mean: 240.0,
                cv: 0.8,
            },
            patience: Dist::Exponential { mean: 120.0 },
            wrapup: Some(Dist::Deterministic { value: 60.0 }),
        }],
        arrivals: Arrivals::Piecewise {
            start: 0.0,
            interval: 1800.0,
            rates,
        },
        groups: vec![BlendGroup {
            name: "blended".into(),
            tenant: "acme".into(),
            skills: vec![("sales".into(), 1)],
            staffing: Staffing::Fixed { count: 200 },
        }],
        campaigns: vec![CampaignModel {
            campaign,
            contacts: 100_000,
            reach: Reach {
                start: 0.0,
                period: 3600.0,
                periods,
                person_by_attempt: vec![1.0, 0.8, 0.6],
                amd_false_positive: 0.01,
                callback_after: Dist::Deterministic { value: 3600.0 },
            },
            ring: Dist::Lognormal {
                mean: 15.0,
                cv: 0.5,
            },
            no_answer_after: 25.0,
            busy_after: 3.0,
            talk: Dist::Exponential { mean: 180.0 },
            wrapup: Some(Dist::Deterministic { value: 15.0 }),
            inbound_target: Some(InboundTarget {
                answer_within: 20.0,
                target: 0.8,
            }),
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

fn main() {
    // `cargo test --benches` runs this without `--bench`: then just prove it works
    let benching = std::env::args().any(|a| a == "--bench");
    let quick = std::env::var_os("BLEND_BENCH_QUICK").is_some_and(|v| v != "0");
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (hours, days) = if !benching {
        (1, 1)
    } else if quick {
        (12, 3)
    } else {
        (12, 10)
    };
    let days: u64 = env("BLEND_BENCH_DAYS").map_or(days, |v| v.parse().expect("days"));
    let model = day(hours);
    println!(
        "blend_day ({} mode): one {hours} h day of a 200-agent blended center, one thread",
        if !benching {
            "smoke"
        } else if quick {
            "quick"
        } else {
            "full"
        }
    );
    let mut times = Vec::new();
    for i in 0..days {
        let t0 = Instant::now();
        let r = run_blend(&model, 42, i).expect("the day runs");
        let dt = t0.elapsed().as_secs_f64();
        times.push(dt);
        let inbound = r.inbound_all();
        let out = r.outbound_total(0);
        println!(
            "  day {i}: {dt:.3} s  inbound {} offered, SL {:.3}, abandoned {:.3}; outbound {} \
             dials, {} connected ({:.0}/h), abandonment {:.4}; utilization {:.3}; {} engine \
             inputs; contacts {} done, {} pending",
            inbound.offered,
            r.inbound_service_level(),
            r.inbound_abandonment(),
            out.dials,
            out.connected,
            r.contacts_per_hour(0),
            out.abandonment_rate(),
            r.utilization(),
            r.engine_inputs,
            r.dialer[0].contacts_done,
            r.dialer[0].contacts_pending,
        );
    }
    times.sort_by(f64::total_cmp);
    println!(
        "  median {:.3} s, worst {:.3} s per simulated day",
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
