//! Cost of a predictive pacing decision at 1,000 agents and 100,000 contacts.
//!
//! One predictive campaign, 100,000 contacts over 10 zones (all open), 1,000 agents. Virtual
//! time steps one second a round: ringing lines resolve after 5–25 s (a person with
//! probability 0.3, joined to a free agent or else abandoned; otherwise no answer, busy or a
//! machine, retried a minute later), agents talk 60–300 s, then the dialer paces with the
//! agents free now and those whose call ends within the shortest ring time. Each `pace` call is
//! timed on its own with `Instant` (including the dials it returns; the retries that came
//! due are moved to the ready queues by an `advance` just before, timed apart), as is the
//! start of the
//! day (all 1,000 agents free at once) and the bare pacing rule (`predictive_lines` at
//! f = 1,000, without inbound and with 20 inbound calls expected within a ring time).
//!
//! ```text
//! cargo bench -p callroute-core --bench outbound_pacing                       # full
//! OUTBOUND_BENCH_QUICK=1 cargo bench -p callroute-core --bench outbound_pacing  # seconds
//! ```
//! (`ENGINE_BENCH_QUICK=1` is honoured too.)

use std::hint::black_box;
use std::time::Instant;

use callroute_core::outbound::*;

const AGENTS: u32 = 1_000;
const CONTACTS: usize = 100_000;
const ZONES: u32 = 10;

/// SplitMix64.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 1.0 < p
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn setup() -> Dialer {
    let mut d = Dialer::new();
    let mut c = CampaignConfig::new("c", "acme");
    c.mode = DialMode::Predictive;
    c.caller_id = "+15550100".into();
    c.zones = vec![vec![(0.0, 1e9)]; ZONES as usize];
    c.retry.no_answer = RetryRule::new(60.0, 20);
    c.retry.busy = RetryRule::new(60.0, 20);
    c.retry.machine = RetryRule::new(60.0, 20);
    c.abandon_window = 86_400.0;
    d.add_campaign(c, 0.0).unwrap();
    let mut g = Gen(7);
    let contacts = (0..CONTACTS)
        .map(|i| {
            let mut s = ContactSpec::new(&format!("k{i}"), &format!("+1555{i:07}"));
            s.priority = g.below(3) as i32;
            s.zone = (i as u32) % ZONES;
            s
        })
        .collect();
    d.add_contacts("c", contacts, 0.0).unwrap();
    d.start_campaign("c", 0.0).unwrap();
    d
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let flag = |n: &str| std::env::var_os(n).is_some_and(|v| v != "0");
    let quick = !benching || flag("OUTBOUND_BENCH_QUICK") || flag("ENGINE_BENCH_QUICK");
    let rounds: u64 = if !benching {
        200
    } else if quick {
        2_000
    } else {
        10_000
    };
    println!(
        "outbound_pacing ({} mode): {AGENTS} agents, {CONTACTS} contacts, {rounds} rounds",
        if quick { "quick" } else { "full" }
    );

    // the bare rule at f = 1,000
    let input = PacingInput {
        answer_rate: 0.3,
        free: AGENTS,
        freeing: 0.0,
        cap: 0.03,
        budget: 0.0,
        max_lines_per_agent: 3.0,
        inbound: 0.0,
        kept: 0,
    };
    let reps = if benching { 20_000 } else { 100 };
    let t0 = Instant::now();
    let mut lines = 0;
    for i in 0..reps {
        let mut x = input;
        x.budget = f64::from(i % 7);
        lines = black_box(predictive_lines(black_box(&x)));
    }
    let rule_us = t0.elapsed().as_secs_f64() * 1e6 / f64::from(reps);
    println!("  predictive_lines at f = 1,000, p = 0.3: {rule_us:.2} µs ({lines} lines)");
    // with inbound: 20 calls expected to take the agents within a ring time (6,000 an hour
    // at a 12 s ring), the Poisson's bulk mixed into the rule
    let t0 = Instant::now();
    for i in 0..reps {
        let mut x = input;
        x.budget = f64::from(i % 7);
        x.inbound = 20.0;
        lines = black_box(predictive_lines(black_box(&x)));
    }
    let rule_us = t0.elapsed().as_secs_f64() * 1e6 / f64::from(reps);
    println!(
        "  predictive_lines at f = 1,000, p = 0.3, inbound 20: {rule_us:.2} µs ({lines} lines)"
    );

    // the start of the day: every agent free at once
    let mut d = setup();
    let t0 = Instant::now();
    let first = d.pace(1.0, &[("c", FreeAgents::now(AGENTS))]).unwrap();
    let cold_us = t0.elapsed().as_secs_f64() * 1e6;
    println!(
        "  first pace (1,000 free): {cold_us:.0} µs for {} dials ({:.2} µs per dial)",
        first.dials.len(),
        cold_us / first.dials.len().max(1) as f64
    );

    // the steady state
    let mut g = Gen(42);
    // ringing lines: (resolve at round, line); busy agents: free at round
    let mut ringing: Vec<(u64, u64)> = Vec::new();
    let mut talking: Vec<u64> = Vec::new();
    for dial in &first.dials {
        ringing.push((1 + 5 + g.below(21), dial.line_id));
    }
    let mut times = Vec::with_capacity(rounds as usize);
    let mut dials = 0usize;
    let mut free = AGENTS;
    let mut slowest = (0.0f64, 0usize, 0u32, 0u64);
    let (mut moved, mut advance_us) = (0usize, 0.0f64);
    for round in 2..rounds + 2 {
        let now = round as f64;
        talking.retain(|&end| {
            if end <= round {
                free += 1;
                false
            } else {
                true
            }
        });
        let mut k = 0;
        while k < ringing.len() {
            let (due, line) = ringing[k];
            if due > round {
                k += 1;
                continue;
            }
            ringing.swap_remove(k);
            if g.chance(0.3) {
                d.outcome(line, Outcome::Person, now).unwrap();
                if free > 0 {
                    free -= 1;
                    talking.push(round + 60 + g.below(241));
                    d.agent_connected(line, now).unwrap();
                } else {
                    d.connect_timeout(line, now).unwrap();
                }
            } else {
                let o = match g.below(3) {
                    0 => Outcome::NoAnswer,
                    1 => Outcome::Busy,
                    _ => Outcome::Machine,
                };
                d.outcome(line, o, now).unwrap();
            }
        }
        // agents expected to free up within the shortest ring time: those whose call ends
        // within 5 s (the harness knows; a runtime estimates it)
        let freeing = talking.iter().filter(|&&end| end <= round + 5).count() as f64;
        // retries coming due move to the ready queues first (timed apart: it is the
        // retry bookkeeping of the outcomes, not the decision)
        let t0 = Instant::now();
        moved += d.advance(now).unwrap();
        advance_us += t0.elapsed().as_secs_f64() * 1e6;
        let t0 = Instant::now();
        let p = d
            .pace(now, &[("c", FreeAgents::freeing(free, freeing))])
            .unwrap();
        let us = t0.elapsed().as_secs_f64() * 1e6;
        if us > slowest.0 {
            slowest = (us, p.dials.len(), free, round);
        }
        times.push(us);
        dials += p.dials.len();
        for dial in &p.dials {
            ringing.push((round + 5 + g.below(21), dial.line_id));
        }
    }
    let total: f64 = times.iter().sum();
    times.sort_by(f64::total_cmp);
    let s = d.campaign_stats("c").unwrap();
    println!(
        "  steady state, µs per pace decision: median {:.2}, p90 {:.2}, p99 {:.2}, max {:.1}; \
         mean {:.2} ({:.2} dials per decision, {:.2} µs per dial)",
        pct(&times, 0.5),
        pct(&times, 0.9),
        pct(&times, 0.99),
        times.last().copied().unwrap_or(0.0),
        total / times.len() as f64,
        dials as f64 / times.len() as f64,
        total / dials.max(1) as f64
    );
    println!(
        "  advance (retries due -> ready): {:.2} µs per round, {:.2} µs per contact moved",
        advance_us / times.len() as f64,
        advance_us / moved.max(1) as f64
    );
    println!(
        "  slowest decision: {:.0} µs, {} dials, {} agents free (round {})",
        slowest.0, slowest.1, slowest.2, slowest.3
    );
    println!(
        "  campaign: {} dials, {} people, {} connected, {} abandoned, rolling rate {:.4} \
         (cap 0.03), answer rate {:.3}, {} contacts done",
        s.dials,
        s.person,
        s.connected,
        s.abandoned,
        s.abandonment_rate,
        s.answer_rate,
        s.contacts_done
    );
}
