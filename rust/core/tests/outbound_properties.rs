//! Property tests of the dialer over random campaigns and random event sequences:
//! - every contact is pending or has exactly one final outcome, which never changes;
//! - no dial to a do-not-call number, outside the contact's zone window, or beyond the
//!   largest number of attempts its retry rules allow;
//! - after a pace that dials, the lines ringing are at most the free agents (progressive)
//!   or `max_lines_per_agent × (free + freeing)` (predictive); open offers at most the free
//!   agents (preview);
//! - bad line ids give the typed error and change nothing;
//! - determinism: the same inputs give the same outputs, and a snapshot restored at any
//!   point continues with outputs identical to the uninterrupted run.

use std::collections::{BTreeMap, BTreeSet};

use callroute_core::outbound::*;
use proptest::prelude::*;

const NUMBERS: usize = 8;

#[derive(Clone, Debug)]
struct Setup {
    modes: Vec<DialMode>,
    zones: Vec<Vec<(f64, f64)>>,
    rules: Vec<RetryRule>,
    ceiling: f64,
    amd: f64,
    contacts: Vec<Vec<(Vec<usize>, i32, u32)>>,
}

#[derive(Clone, Debug)]
enum Op {
    Pace(Vec<(u32, u8)>),
    Outcome(usize, u8, u16),
    Connect(usize),
    Timeout(usize),
    Dnc(Option<usize>, Vec<usize>),
    Advance,
    Accept(usize),
    Reject(usize),
    BadLine(u64),
}

fn spans() -> impl Strategy<Value = Vec<(f64, f64)>> {
    prop::collection::vec((0u32..20_000, 1u32..3_000), 0..4).prop_map(|v| {
        let mut out: Vec<(f64, f64)> = Vec::new();
        let mut at = 0.0;
        for (gap, len) in v {
            let s = at + f64::from(gap) / 4.0;
            let e = s + f64::from(len);
            out.push((s, e));
            at = e;
        }
        out
    })
}

fn setup() -> impl Strategy<Value = Setup> {
    let mode = prop_oneof![
        Just(DialMode::Preview),
        Just(DialMode::Progressive),
        Just(DialMode::Predictive)
    ];
    let contact = (prop::collection::vec(0..NUMBERS, 1..3), -2i32..3, 0u32..3);
    (
        prop::collection::vec(mode, 1..3),
        prop::collection::vec(spans(), 3),
        prop::collection::vec(
            (0u32..1500, 0u32..4).prop_map(|(d, m)| RetryRule::new(f64::from(d), m)),
            6,
        ),
        1.0f64..4.0,
        prop_oneof![Just(0.0), 0.0f64..0.3],
        prop::collection::vec(prop::collection::vec(contact, 0..14), 2),
    )
        .prop_map(|(modes, zones, rules, ceiling, amd, contacts)| Setup {
            modes,
            zones,
            rules,
            ceiling,
            amd,
            contacts,
        })
}

fn op() -> impl Strategy<Value = (u16, Op)> {
    let op = prop_oneof![
        4 => prop::collection::vec((0u32..6, 0u8..30), 2).prop_map(Op::Pace),
        5 => (any::<usize>(), 0u8..6, 0u16..3000).prop_map(|(i, k, c)| Op::Outcome(i, k, c)),
        2 => any::<usize>().prop_map(Op::Connect),
        1 => any::<usize>().prop_map(Op::Timeout),
        1 => (prop::option::of(0usize..2), prop::collection::vec(0..NUMBERS, 0..3))
            .prop_map(|(c, n)| Op::Dnc(c, n)),
        1 => Just(Op::Advance),
        2 => any::<usize>().prop_map(Op::Accept),
        1 => any::<usize>().prop_map(Op::Reject),
        1 => (0u64..40).prop_map(Op::BadLine),
    ];
    (0u16..900, op)
}

fn campaign_id(i: usize) -> String {
    format!("c{i}")
}

fn number(i: usize) -> String {
    format!("+1555000{i}")
}

/// What the harness tracks to check the dialer with.
#[derive(Default)]
struct World {
    dnc_all: BTreeSet<String>,
    dnc: Vec<BTreeSet<String>>,
    /// open line -> (campaign index, answered)
    lines: BTreeMap<u64, (usize, bool)>,
    /// open offers, in the order given: (campaign, contact)
    offers: Vec<(usize, String)>,
    /// final outcomes seen
    finals: BTreeMap<(usize, String), FinalOutcome>,
}

fn max_attempts(rules: &[RetryRule]) -> u32 {
    rules
        .iter()
        .map(|r| r.max_attempts)
        .max()
        .unwrap_or(0)
        .max(1)
}

fn open_at(spans: &[(f64, f64)], t: f64) -> bool {
    spans.iter().any(|&(s, e)| s <= t && t < e)
}

fn check_dial(
    d: &Dialer,
    s: &Setup,
    w: &World,
    ci: usize,
    dial: &Dial,
    now: f64,
) -> Result<(), TestCaseError> {
    let num = dial.number.to_string();
    prop_assert!(
        !w.dnc_all.contains(&num) && !w.dnc[ci].contains(&num),
        "DNC dialled: {dial:?}"
    );
    let v = d.contact(&campaign_id(ci), &dial.contact).unwrap();
    prop_assert!(
        open_at(&s.zones[v.zone as usize], now),
        "outside window: {dial:?} at {now}"
    );
    prop_assert!(
        dial.attempt <= max_attempts(&s.rules),
        "too many attempts: {dial:?}"
    );
    prop_assert_eq!(v.attempts, dial.attempt);
    prop_assert!(v.numbers.iter().any(|n| **n == *num));
    Ok(())
}

fn build(s: &Setup) -> Dialer {
    let mut d = Dialer::new();
    for (ci, &mode) in s.modes.iter().enumerate() {
        let mut c = CampaignConfig::new(&campaign_id(ci), "acme");
        c.mode = mode;
        c.zones = s.zones.clone();
        c.retry = RetryRules {
            no_answer: s.rules[0],
            busy: s.rules[1],
            machine: s.rules[2],
            failed: s.rules[3],
            callback_requested: s.rules[4],
            abandoned: s.rules[5],
        };
        c.max_lines_per_agent = s.ceiling;
        c.amd_false_positive_rate = s.amd;
        c.abandon_window = 5000.0;
        d.add_campaign(c, 0.0).unwrap();
        let specs = s.contacts[ci]
            .iter()
            .enumerate()
            .map(|(k, (nums, prio, zone))| ContactSpec {
                id: format!("k{k}"),
                numbers: nums.iter().map(|&n| number(n)).collect(),
                priority: *prio,
                data: BTreeMap::new(),
                zone: *zone,
            })
            .collect();
        d.add_contacts(&campaign_id(ci), specs, 0.0).unwrap();
        d.start_campaign(&campaign_id(ci), 0.0).unwrap();
    }
    d
}

fn run(
    s: &Setup,
    ops: &[(u16, Op)],
    restore_at: Option<usize>,
) -> Result<Vec<String>, TestCaseError> {
    let mut d = build(s);
    let n = s.modes.len();
    let mut w = World {
        dnc: vec![BTreeSet::new(); n],
        ..World::default()
    };
    let mut log = Vec::new();
    let mut now = 0.0;
    for (i, (dt, op)) in ops.iter().enumerate() {
        if restore_at == Some(i) {
            d = Dialer::restore(&d.snapshot()).unwrap();
        }
        now += f64::from(*dt);
        let open: Vec<u64> = w.lines.keys().copied().collect();
        prop_assert_eq!(&open, &d.open_lines());
        match op {
            Op::Pace(free) => {
                let input: Vec<(String, FreeAgents)> = (0..n)
                    .map(|ci| {
                        (
                            campaign_id(ci),
                            FreeAgents {
                                free: free[ci].0,
                                freeing: f64::from(free[ci].1) / 10.0,
                                inbound: 0.0,
                                kept: 0,
                            },
                        )
                    })
                    .collect();
                let p = d.pace(now, &input).unwrap();
                for dial in &p.dials {
                    let ci: usize = dial.campaign[1..].parse().unwrap();
                    check_dial(&d, s, &w, ci, dial, now)?;
                    w.lines.insert(dial.line_id, (ci, false));
                }
                for o in &p.offers {
                    let ci: usize = o.campaign[1..].parse().unwrap();
                    let v = d.contact(&o.campaign, &o.contact).unwrap();
                    prop_assert!(open_at(&s.zones[v.zone as usize], now));
                    w.offers.push((ci, o.contact.to_string()));
                }
                for (ci, &(fr, fg)) in free.iter().enumerate().take(n) {
                    let fg = f64::from(fg) / 10.0;
                    let ringing = w.lines.values().filter(|&&(c, a)| c == ci && !a).count() as f64;
                    let dialled = p.dials.iter().any(|x| *x.campaign == *campaign_id(ci));
                    match s.modes[ci] {
                        DialMode::Progressive if dialled => prop_assert!(ringing <= f64::from(fr)),
                        DialMode::Predictive if dialled => {
                            prop_assert!(
                                ringing <= (s.ceiling * (f64::from(fr) + fg) + 1e-9).floor()
                            )
                        }
                        DialMode::Preview => {
                            let offers = w.offers.iter().filter(|(c, _)| *c == ci).count();
                            let new = p
                                .offers
                                .iter()
                                .filter(|o| *o.campaign == *campaign_id(ci))
                                .count();
                            prop_assert!(new == 0 || offers <= fr as usize);
                        }
                        _ => {}
                    }
                }
                log.push(format!("{p:?}"));
            }
            Op::Outcome(pick, kind, cb) => {
                if open.is_empty() {
                    continue;
                }
                let line = open[pick % open.len()];
                let o = match kind {
                    0 => Outcome::Person,
                    1 => Outcome::Machine,
                    2 => Outcome::NoAnswer,
                    3 => Outcome::Busy,
                    4 => Outcome::Failed,
                    _ => Outcome::CallbackRequested {
                        at: now + f64::from(*cb),
                    },
                };
                let answered = w.lines[&line].1;
                let before = d.snapshot();
                let r = d.outcome(line, o, now);
                if answered && !matches!(o, Outcome::CallbackRequested { .. }) {
                    prop_assert!(matches!(r, Err(DialerError::WrongState(_))), "{r:?}");
                    prop_assert!(d.snapshot() == before);
                } else {
                    prop_assert!(r.is_ok(), "{r:?}");
                    if o == Outcome::Person {
                        w.lines.get_mut(&line).unwrap().1 = true;
                    } else {
                        w.lines.remove(&line);
                    }
                }
                log.push(format!("outcome {line} {o:?} {r:?}"));
            }
            Op::Connect(pick) | Op::Timeout(pick) => {
                let answered: Vec<u64> = w
                    .lines
                    .iter()
                    .filter(|(_, v)| v.1)
                    .map(|(&l, _)| l)
                    .collect();
                if answered.is_empty() {
                    if let Some(&l) = open.first() {
                        let before = d.snapshot();
                        let r = d.agent_connected(l, now);
                        prop_assert!(matches!(r, Err(DialerError::WrongState(_))));
                        prop_assert!(d.snapshot() == before);
                    }
                    continue;
                }
                let line = answered[pick % answered.len()];
                let r = if matches!(op, Op::Connect(_)) {
                    d.agent_connected(line, now)
                } else {
                    d.connect_timeout(line, now)
                };
                prop_assert!(r.is_ok(), "{r:?}");
                w.lines.remove(&line);
                log.push(format!("{op:?} {line}"));
            }
            Op::Dnc(c, nums) => {
                let set: Vec<String> = nums.iter().map(|&i| number(i)).collect();
                let c = c.filter(|&c| c < n);
                d.set_dnc(c.map(campaign_id).as_deref(), &set, now).unwrap();
                match c {
                    None => w.dnc_all = set.into_iter().collect(),
                    Some(c) => w.dnc[c] = set.into_iter().collect(),
                }
            }
            Op::Advance => {
                let moved = d.advance(now).unwrap();
                log.push(format!("advance {moved} {:?}", d.next_deadline()));
            }
            Op::Accept(pick) | Op::Reject(pick) => {
                if w.offers.is_empty() {
                    continue;
                }
                let (ci, contact) = w.offers.remove(pick % w.offers.len());
                let id = campaign_id(ci);
                if matches!(op, Op::Accept(_)) {
                    let r = d.preview_accepted(&id, &contact, Some("ag"), now).unwrap();
                    if let Some(dial) = &r {
                        check_dial(&d, s, &w, ci, dial, now)?;
                        w.lines.insert(dial.line_id, (ci, false));
                    }
                    log.push(format!("accept {r:?}"));
                } else {
                    d.preview_rejected(&id, &contact, now).unwrap();
                }
            }
            Op::BadLine(l) => {
                let before = d.snapshot();
                let r = d.outcome(*l, Outcome::Busy, now);
                if !w.lines.contains_key(l) {
                    prop_assert!(
                        matches!(
                            r,
                            Err(DialerError::LineClosed(_) | DialerError::LineNotDialled(_))
                        ),
                        "{r:?}"
                    );
                    prop_assert!(d.snapshot() == before);
                } else if w.lines[l].1 {
                    prop_assert!(matches!(r, Err(DialerError::WrongState(_))), "{r:?}");
                    prop_assert!(d.snapshot() == before);
                } else {
                    prop_assert!(r.is_ok(), "{r:?}");
                    w.lines.remove(l);
                }
            }
        }
        check_contacts(&d, s, &mut w)?;
    }
    for ci in 0..n {
        log.push(format!("{:?}", d.campaign_stats(&campaign_id(ci)).unwrap()));
        log.push(format!("{:?}", d.contacts(&campaign_id(ci)).unwrap()));
    }
    log.push(format!("{:?}", d.snapshot()));
    Ok(log)
}

fn check_contacts(d: &Dialer, s: &Setup, w: &mut World) -> Result<(), TestCaseError> {
    for ci in 0..s.modes.len() {
        let id = campaign_id(ci);
        let stats = d.campaign_stats(&id).unwrap();
        let mut finals = 0;
        for v in d.contacts(&id).unwrap() {
            prop_assert!(v.attempts <= max_attempts(&s.rules));
            let key = (ci, v.id.to_string());
            match v.status {
                ContactStatus::Final(f) => {
                    finals += 1;
                    let seen = *w.finals.entry(key).or_insert(f);
                    prop_assert_eq!(seen, f, "a final outcome changed");
                }
                other => prop_assert!(!w.finals.contains_key(&key), "final then {other:?}"),
            }
        }
        prop_assert_eq!(stats.contacts_done, finals);
        prop_assert_eq!(stats.contacts_done + stats.contacts_pending, stats.contacts);
        prop_assert_eq!(stats.finals.values().sum::<u64>(), finals);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_sequences_keep_the_rules(
        s in setup(),
        ops in prop::collection::vec(op(), 0..80),
        cut in any::<prop::sample::Index>(),
    ) {
        let plain = run(&s, &ops, None)?;
        let again = run(&s, &ops, None)?;
        prop_assert_eq!(&plain, &again, "not deterministic");
        if !ops.is_empty() {
            let restored = run(&s, &ops, Some(cut.index(ops.len())))?;
            prop_assert_eq!(&plain, &restored, "a restore changed what followed");
        }
    }

    #[test]
    fn draining_ends_every_contact_or_leaves_it_pending(s in setup(), seed in any::<u64>()) {
        let mut d = build(&s);
        let n = s.modes.len();
        let mut now = 0.0;
        let mut x = seed | 1;
        let mut draw = move || { x ^= x << 13; x ^= x >> 7; x ^= x << 17; x };
        for _ in 0..400 {
            let input: Vec<(String, FreeAgents)> =
                (0..n).map(|ci| (campaign_id(ci), FreeAgents::now(3))).collect();
            let p = d.pace(now, &input).unwrap();
            for o in &p.offers {
                if let Some(dial) = d.preview_accepted(&o.campaign, &o.contact, None, now).unwrap() {
                    d.outcome(dial.line_id, Outcome::NoAnswer, now).unwrap();
                }
            }
            for dial in &p.dials {
                match draw() % 4 {
                    0 => {
                        d.outcome(dial.line_id, Outcome::Person, now).unwrap();
                        d.agent_connected(dial.line_id, now).unwrap();
                    }
                    1 => d.outcome(dial.line_id, Outcome::Busy, now).unwrap(),
                    2 => d.outcome(dial.line_id, Outcome::Machine, now).unwrap(),
                    _ => d.outcome(dial.line_id, Outcome::NoAnswer, now).unwrap(),
                }
            }
            match d.next_deadline() {
                Some(t) if p.dials.is_empty() && p.offers.is_empty() => now = t,
                None if p.dials.is_empty() && p.offers.is_empty() => break,
                _ => {}
            }
        }
        prop_assert!(d.open_lines().is_empty());
        for ci in 0..n {
            for v in d.contacts(&campaign_id(ci)).unwrap() {
                match v.status {
                    ContactStatus::Final(_) => {}
                    ContactStatus::Pending => {
                        // only if its window never opens again from where it is eligible
                        let spans = &s.zones[v.zone as usize];
                        let t = v.next_eligible.max(now);
                        prop_assert!(
                            !spans.iter().any(|&(_, e)| e > t),
                            "{v:?} pending with a window ahead at {now}"
                        );
                    }
                    other => prop_assert!(false, "{v:?} left {other:?}"),
                }
            }
        }
    }
}
