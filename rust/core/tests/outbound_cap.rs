//! A seeded campaign morning: predictive pacing keeps the rolling abandonment rate under the
//! cap (3 %, `abandon_risk` 5 %: the margin of pacing.rs) and reaches more people than
//! progressive dialing with the same agents.
//!
//! 100 agents, 40,000 contacts, one-second rounds for two hours; lines ring 5–25 s and are
//! answered by a person with probability 0.25 (joined to a free agent, else abandoned after
//! the connect limit); agents talk 60–300 s. The answer rate is not told to the dialer:
//! its prior is 0.5, so it must learn it. The agents expected to free up are those whose call
//! ends within the shortest ring time (5 s). The best any dialer could do is every agent
//! talking all the time: 100 × 7,200 / 180 = 4,000 people.

use callroute_core::outbound::*;

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
        ((self.next() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }
}

const AGENTS: u32 = 100;

/// (people connected, abandonment rate over the morning, worst rate seen after the first
/// 1,000 answers)
fn morning(mode: DialMode, seed: u64) -> (u64, f64, f64) {
    let mut d = Dialer::new();
    let mut c = CampaignConfig::new("c", "acme");
    c.mode = mode;
    c.zones = vec![vec![(0.0, 1e6)]];
    c.answer_rate_prior = 0.5;
    c.abandon_window = 86_400.0;
    d.add_campaign(c, 0.0).unwrap();
    let contacts = (0..40_000)
        .map(|i| ContactSpec::new(&format!("k{i}"), &format!("{i}")))
        .collect();
    d.add_contacts("c", contacts, 0.0).unwrap();
    d.start_campaign("c", 0.0).unwrap();
    let mut g = Gen(seed);
    let mut ringing: Vec<(u64, u64)> = Vec::new();
    let mut answered: Vec<(u64, u64)> = Vec::new(); // (give up at, line)
    let mut talking: Vec<u64> = Vec::new();
    let mut free = AGENTS;
    let mut worst: f64 = 0.0;
    for round in 1..=7200u64 {
        let now = round as f64;
        talking.retain(|&end| {
            let done = end <= round;
            free += u32::from(done);
            !done
        });
        // people waiting for an agent: the longest waiting first
        answered.retain(|&(limit, line)| {
            if free > 0 {
                free -= 1;
                talking.push(round + 60 + g.below(241));
                d.agent_connected(line, now).unwrap();
                false
            } else if limit <= round {
                d.connect_timeout(line, now).unwrap();
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
            if g.chance(0.25) {
                d.outcome(line, Outcome::Person, now).unwrap();
                answered.push((round + 2, line));
            } else {
                d.outcome(line, Outcome::NoAnswer, now).unwrap();
            }
        }
        // agents whose call ends within the shortest ring time (the harness knows; a real
        // system estimates it from the talk time so far)
        let freeing = talking.iter().filter(|&&end| end <= round + 5).count() as f64;
        let p = d
            .pace(now, &[("c", FreeAgents::freeing(free, freeing))])
            .unwrap();
        for dial in p.dials {
            ringing.push((round + 5 + g.below(21), dial.line_id));
        }
        let s = d.campaign_stats("c").unwrap();
        if s.window_answered >= 1000.0 {
            worst = worst.max(s.abandonment_rate);
        }
    }
    let s = d.campaign_stats("c").unwrap();
    (s.connected, s.abandonment_rate, worst)
}

#[test]
fn predictive_holds_the_cap_and_beats_progressive() {
    for seed in [1, 2, 3] {
        let (pred, rate, worst) = morning(DialMode::Predictive, seed);
        let (prog, prog_rate, _) = morning(DialMode::Progressive, seed);
        println!(
            "seed {seed}: predictive {pred} people, rate {rate:.4}, worst rolling {worst:.4}; \
             progressive {prog} people, rate {prog_rate:.4}"
        );
        // abandon_risk 0.05: the morning's window (24 h, it holds the whole morning) ends
        // above the 3 % cap with probability at most 5 %, the rolling rate read as it fills
        // (after 1,000 answers) likewise at each reading: above the cap is a failure of the
        // margin, not noise to tolerate (each seed's chance of it is at most the risk)
        assert!(rate <= 0.03, "seed {seed}: rate {rate}");
        assert!(worst <= 0.03, "seed {seed}: worst rolling rate {worst}");
        // progressive never has more lines than free agents, yet people still wait while
        // agents are counted free for the next pace: it may abandon a few, never many
        assert!(
            prog_rate <= 0.03,
            "seed {seed}: progressive rate {prog_rate}"
        );
        // the same contacts, the same agents: predictive reaches more people, and no dialer
        // more than every agent talking all the time
        assert!(
            pred > prog && pred <= 4_000,
            "seed {seed}: predictive {pred} vs progressive {prog}"
        );
    }
}
