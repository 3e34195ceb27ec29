//! The dialer's rules one at a time: retry timing, zone windows, do-not-call lists, preview,
//! the connect limit, the rolling abandonment ledger, typed errors.

use callroute_core::outbound::*;

const DAY: f64 = 86_400.0;

fn campaign(id: &str, mode: DialMode) -> CampaignConfig {
    let mut c = CampaignConfig::new(id, "acme");
    c.mode = mode;
    c.caller_id = "+15550100".into();
    c.zones = vec![vec![(0.0, 100.0 * DAY)]];
    c
}

/// A dialer with one campaign (added at 0) whose contacts are `(id, number)`, started at 0.
fn dialer(config: CampaignConfig, contacts: &[(&str, &str)]) -> Dialer {
    let specs = contacts
        .iter()
        .map(|(c, n)| ContactSpec::new(c, n))
        .collect();
    started(config, specs, 0.0)
}

/// A dialer with one campaign added at 0, then `specs` added and the campaign started at `at`.
fn started(config: CampaignConfig, specs: Vec<ContactSpec>, at: f64) -> Dialer {
    let mut d = Dialer::new();
    let id = config.id.clone();
    d.add_campaign(config, 0.0).unwrap();
    d.add_contacts(&id, specs, at).unwrap();
    d.start_campaign(&id, at).unwrap();
    d
}

fn pace(d: &mut Dialer, now: f64, free: u32) -> Vec<Dial> {
    d.pace(now, &[("c", FreeAgents::now(free))]).unwrap().dials
}

#[test]
fn progressive_dials_one_line_per_free_agent_in_order() {
    let mut cfg = campaign("c", DialMode::Progressive);
    cfg.retry.no_answer = RetryRule::new(3600.0, 3);
    let mut d = Dialer::new();
    d.add_campaign(cfg, 0.0).unwrap();
    let mut low = ContactSpec::new("low", "1");
    low.priority = 0;
    let mut high = ContactSpec::new("high", "2");
    high.priority = 5;
    let later = ContactSpec::new("later", "3");
    d.add_contacts("c", vec![low, high, later], 0.0).unwrap();
    // stopped: nothing
    assert!(pace(&mut d, 1.0, 2).is_empty());
    d.start_campaign("c", 1.0).unwrap();
    let dials = pace(&mut d, 1.0, 2);
    let who: Vec<&str> = dials.iter().map(|x| &*x.contact).collect();
    assert_eq!(who, ["high", "low"]);
    assert_eq!(dials[0].line_id, 1);
    assert_eq!(dials[1].line_id, 2);
    assert_eq!(&*dials[0].caller_id, "+15550100");
    assert_eq!(dials[0].attempt, 1);
    // two lines ringing already cover the two agents
    assert!(pace(&mut d, 2.0, 2).is_empty());
    assert_eq!(pace(&mut d, 2.0, 3).len(), 1);
}

#[test]
fn retry_timing_and_exhaustion() {
    let mut cfg = campaign("c", DialMode::Progressive);
    cfg.retry.no_answer = RetryRule::new(3600.0, 3);
    cfg.retry.busy = RetryRule::new(60.0, 3);
    let mut d = dialer(cfg, &[("a", "1")]);
    let l1 = pace(&mut d, 10.0, 1)[0].line_id;
    d.outcome(l1, Outcome::NoAnswer, 40.0).unwrap();
    let v = d.contact("c", "a").unwrap();
    assert_eq!(v.status, ContactStatus::Pending);
    assert_eq!(v.next_eligible, 3640.0);
    assert_eq!(v.last_outcome, Some("no_answer"));
    assert_eq!(d.next_deadline(), Some(3640.0));
    assert!(pace(&mut d, 3639.0, 1).is_empty());
    let l2 = pace(&mut d, 3640.0, 1);
    assert_eq!(l2.len(), 1);
    assert_eq!(l2[0].attempt, 2);
    // busy retries after its own delay
    d.outcome(l2[0].line_id, Outcome::Busy, 3650.0).unwrap();
    assert!(pace(&mut d, 3709.0, 1).is_empty());
    let l3 = pace(&mut d, 3710.0, 1);
    assert_eq!(l3[0].attempt, 3);
    // the third attempt with 3 allowed: exhausted
    d.outcome(l3[0].line_id, Outcome::NoAnswer, 3720.0).unwrap();
    let v = d.contact("c", "a").unwrap();
    assert_eq!(v.status, ContactStatus::Final(FinalOutcome::Exhausted));
    assert_eq!(v.attempts, 3);
    assert!(pace(&mut d, 100_000.0, 1).is_empty());
    assert_eq!(d.next_deadline(), None);
    let s = d.campaign_stats("c").unwrap();
    assert_eq!((s.dials, s.no_answer, s.busy), (3, 2, 1));
    assert_eq!((s.contacts_done, s.contacts_pending), (1, 0));
    assert_eq!(s.finals["exhausted"], 1);
}

#[test]
fn callback_is_eligible_at_the_time_asked() {
    let mut d = dialer(campaign("c", DialMode::Progressive), &[("a", "1")]);
    let l = pace(&mut d, 0.0, 1)[0].line_id;
    d.outcome(l, Outcome::CallbackRequested { at: 5000.0 }, 10.0)
        .unwrap();
    assert_eq!(d.next_deadline(), Some(5000.0));
    assert!(pace(&mut d, 4999.0, 1).is_empty());
    assert_eq!(pace(&mut d, 5000.0, 1).len(), 1);
}

#[test]
fn zone_windows_hold_contacts_until_they_open() {
    let mut cfg = campaign("c", DialMode::Progressive);
    // zone 0: open [0, 100) and [1000, 1100); zone 1: always
    cfg.zones = vec![vec![(0.0, 100.0), (1000.0, 1100.0)], vec![(0.0, 1e9)]];
    let mut a = ContactSpec::new("a", "1");
    a.priority = 9;
    let mut b = ContactSpec::new("b", "2");
    b.zone = 1;
    let mut d = started(cfg, vec![a, b], 150.0);
    // zone 0 closed at 150: only b, though a has the higher priority
    let dials = pace(&mut d, 150.0, 5);
    assert_eq!(dials.len(), 1);
    assert_eq!(&*dials[0].contact, "b");
    assert_eq!(d.next_deadline(), Some(1000.0));
    assert!(pace(&mut d, 999.0, 5).is_empty());
    let dials = pace(&mut d, 1000.0, 5);
    assert_eq!(&*dials[0].contact, "a");
    // extending: a new zone and new spans
    d.set_zone_windows("c", 2, &[(2000.0, 3000.0)], 1000.0)
        .unwrap();
    assert!(matches!(
        d.set_zone_windows("c", 4, &[(0.0, 1.0)], 1000.0),
        Err(DialerError::Unknown { kind: "zone", .. })
    ));
    let mut z = ContactSpec::new("z", "3");
    z.zone = 2;
    d.add_contacts("c", vec![z], 1000.0).unwrap();
    assert!(pace(&mut d, 1500.0, 5).is_empty());
    d.set_zone_windows("c", 2, &[(1600.0, 1700.0)], 1500.0)
        .unwrap();
    assert_eq!(d.next_deadline(), Some(1600.0));
    assert_eq!(pace(&mut d, 1650.0, 5).len(), 1);
    assert_eq!(
        d.campaign_config("c").unwrap().zones[2],
        vec![(1600.0, 1700.0)]
    );
}

#[test]
fn retry_into_a_closed_window_waits_for_it() {
    let mut cfg = campaign("c", DialMode::Progressive);
    cfg.zones = vec![vec![(0.0, 100.0), (500.0, 600.0)]];
    cfg.retry.no_answer = RetryRule::new(150.0, 3);
    let mut d = dialer(cfg, &[("a", "1")]);
    let l = pace(&mut d, 10.0, 1)[0].line_id;
    d.outcome(l, Outcome::NoAnswer, 20.0).unwrap();
    // eligible at 170, but the window is closed until 500
    assert_eq!(d.next_deadline(), Some(170.0));
    assert!(pace(&mut d, 170.0, 1).is_empty());
    assert_eq!(d.next_deadline(), Some(500.0));
    assert!(pace(&mut d, 499.0, 1).is_empty());
    assert_eq!(pace(&mut d, 500.0, 1).len(), 1);
}

#[test]
fn dnc_numbers_are_never_dialled() {
    let mut cfg = campaign("c", DialMode::Progressive);
    cfg.retry.busy = RetryRule::new(0.0, 5);
    let mut d = Dialer::new();
    d.add_campaign(cfg, 0.0).unwrap();
    d.set_dnc(None, &["111".into()], 0.0).unwrap();
    d.set_dnc(Some("c"), &["222".into()], 0.0).unwrap();
    let mut two = ContactSpec::new("two", "111");
    two.numbers.push("333".into());
    let only = ContactSpec::new("only", "222");
    let fine = ContactSpec::new("fine", "444");
    d.add_contacts("c", vec![two, only, fine], 0.0).unwrap();
    assert_eq!(
        d.contact("c", "only").unwrap().status,
        ContactStatus::Final(FinalOutcome::Dnc)
    );
    d.start_campaign("c", 0.0).unwrap();
    let dials = pace(&mut d, 0.0, 5);
    let nums: Vec<&str> = dials.iter().map(|x| &*x.number).collect();
    assert_eq!(nums, ["333", "444"]);
    // busy: retried at once, on the next number that is not DNC (333 again)
    d.outcome(dials[0].line_id, Outcome::Busy, 1.0).unwrap();
    let again = pace(&mut d, 1.0, 5);
    assert_eq!(&*again[0].number, "333");
    // 333 goes on the list: the contact ends dnc when it next comes up
    d.outcome(again[0].line_id, Outcome::Busy, 2.0).unwrap();
    d.set_dnc(None, &["111".into(), "333".into()], 2.0).unwrap();
    assert!(pace(&mut d, 3.0, 5).is_empty());
    assert_eq!(
        d.contact("c", "two").unwrap().status,
        ContactStatus::Final(FinalOutcome::Dnc)
    );
    assert_eq!(d.campaign_stats("c").unwrap().finals["dnc"], 2);
}

#[test]
fn numbers_rotate_between_attempts() {
    let mut cfg = campaign("c", DialMode::Progressive);
    cfg.retry.no_answer = RetryRule::new(0.0, 4);
    let mut c = ContactSpec::new("a", "1");
    c.numbers.push("2".into());
    let mut d = started(cfg, vec![c], 0.0);
    let mut seen = Vec::new();
    for t in 0..4 {
        let dial = pace(&mut d, f64::from(t), 1).remove(0);
        seen.push(dial.number.to_string());
        d.outcome(dial.line_id, Outcome::NoAnswer, f64::from(t))
            .unwrap();
    }
    assert_eq!(seen, ["1", "2", "1", "2"]);
}

#[test]
fn person_then_agent_or_timeout() {
    let mut cfg = campaign("c", DialMode::Progressive);
    cfg.retry.abandoned = RetryRule::new(600.0, 3);
    let mut d = dialer(cfg, &[("a", "1"), ("b", "2")]);
    let dials = pace(&mut d, 0.0, 2);
    let (la, lb) = (dials[0].line_id, dials[1].line_id);
    assert!(matches!(
        d.agent_connected(la, 1.0),
        Err(DialerError::WrongState(_))
    ));
    d.outcome(la, Outcome::Person, 1.0).unwrap();
    d.outcome(lb, Outcome::Person, 1.0).unwrap();
    assert_eq!(
        d.contact("c", "a").unwrap().status,
        ContactStatus::Answered { line: la }
    );
    assert!(matches!(
        d.outcome(la, Outcome::Machine, 1.5),
        Err(DialerError::WrongState(_))
    ));
    d.agent_connected(la, 2.0).unwrap();
    d.connect_timeout(lb, 3.0).unwrap();
    assert_eq!(
        d.contact("c", "a").unwrap().status,
        ContactStatus::Final(FinalOutcome::DonePerson)
    );
    let b = d.contact("c", "b").unwrap();
    assert_eq!(b.status, ContactStatus::Pending);
    assert_eq!(b.next_eligible, 603.0);
    assert_eq!(d.agent_connected(la, 4.0), Err(DialerError::LineClosed(la)));
    assert_eq!(
        d.outcome(99, Outcome::Busy, 4.0),
        Err(DialerError::LineNotDialled(99))
    );
    assert_eq!(
        d.outcome(0, Outcome::Busy, 4.0),
        Err(DialerError::LineNotDialled(0))
    );
    let s = d.campaign_stats("c").unwrap();
    assert_eq!((s.person, s.connected, s.abandoned), (2, 1, 1));
    assert_eq!(s.window_answered, 2.0);
    assert_eq!(s.abandonment_rate, 0.5);
    assert!((s.budget - (0.03 * 2.0 - 1.0)).abs() < 1e-15);
}

#[test]
fn abandoned_without_retry_rule_ends_abandoned() {
    let mut d = dialer(campaign("c", DialMode::Progressive), &[("a", "1")]);
    let l = pace(&mut d, 0.0, 1)[0].line_id;
    d.outcome(l, Outcome::Person, 1.0).unwrap();
    d.connect_timeout(l, 3.0).unwrap();
    assert_eq!(
        d.contact("c", "a").unwrap().status,
        ContactStatus::Final(FinalOutcome::Abandoned)
    );
}

#[test]
fn ledger_rolls_out_of_the_window() {
    let mut cfg = campaign("c", DialMode::Predictive);
    cfg.abandon_window = DAY; // the UK's 24 h
    let mut d = dialer(cfg, &[("a", "1"), ("b", "2")]);
    let dials = d.pace(0.0, &[("c", FreeAgents::now(1))]).unwrap().dials;
    let l = dials[0].line_id;
    d.outcome(l, Outcome::Person, 1.0).unwrap();
    d.connect_timeout(l, 3.0).unwrap();
    let s = d.campaign_stats("c").unwrap();
    assert_eq!((s.window_answered, s.window_abandoned), (1.0, 1.0));
    // still inside a day later minus a second
    d.advance(3.0 + DAY - 1.0).unwrap();
    let s = d.campaign_stats("c").unwrap();
    assert_eq!((s.window_answered, s.window_abandoned), (1.0, 1.0));
    // gone once a day (plus the ledger's resolution, a 10,000th of it) has passed
    d.advance(3.0 + DAY * 1.0002).unwrap();
    let s = d.campaign_stats("c").unwrap();
    assert_eq!((s.window_answered, s.window_abandoned), (0.0, 0.0));
    assert_eq!(s.abandonment_rate, 0.0);
    // the lifetime counters keep it
    assert_eq!((s.person, s.abandoned), (1, 1));
}

#[test]
fn amd_false_positives_count_toward_the_cap() {
    let mut cfg = campaign("c", DialMode::Progressive);
    cfg.amd_false_positive_rate = 0.2;
    let mut d = dialer(cfg, &[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]);
    let dials = pace(&mut d, 0.0, 4);
    for x in &dials {
        d.outcome(x.line_id, Outcome::Person, 1.0).unwrap();
    }
    for x in &dials {
        d.agent_connected(x.line_id, 1.5).unwrap();
    }
    // 4 people seen stand for 4 / 0.8 = 5 live answers, one of them taken for a machine
    let s = d.campaign_stats("c").unwrap();
    assert!((s.window_answered - 5.0).abs() < 1e-12);
    assert!((s.window_abandoned - 1.0).abs() < 1e-12);
    assert!((s.abandonment_rate - 0.2).abs() < 1e-12);
}

/// Progressive dialing places a line per agent that will be there when the person
/// answers: with 0.5 inbound calls expected to reach the agents within a ring, the agents
/// free now less the smallest c with P(Poisson(0.5) > c) <= cap / 2 = 1.5 % (c = 2:
/// P(I > 1) = 9.0 %, P(I > 2) = 1.44 %); idle agents the threshold keeps take the first
/// inbound calls (3 kept: P(I > 3) = 0.18 %, none reserved).
#[test]
fn progressive_dials_for_the_agents_inbound_leaves() {
    let ids: Vec<String> = (0..50).map(|i| format!("k{i}")).collect();
    let contacts: Vec<(&str, &str)> = ids.iter().map(|s| (s.as_str(), "5")).collect();
    for (kept, want) in [(0u32, 3usize), (1, 4), (3, 5)] {
        let mut d = dialer(campaign("c", DialMode::Progressive), &contacts);
        let fa = FreeAgents {
            free: 5,
            freeing: 0.0,
            inbound: 0.5,
            kept,
        };
        let dials = d.pace(0.0, &[("c", fa)]).unwrap().dials;
        assert_eq!(dials.len(), want, "kept {kept}");
    }
}

#[test]
fn predictive_spends_the_budget_and_falls_back_to_progressive() {
    let mut cfg = campaign("c", DialMode::Predictive);
    cfg.answer_rate_prior = 0.25;
    cfg.max_lines_per_agent = 3.0;
    let ids: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
    let contacts: Vec<(&str, &str)> = ids.iter().map(|s| (s.as_str(), "5")).collect();
    let mut d = dialer(cfg, &contacts);
    let dials = pace(&mut d, 0.0, 10);
    let want = predictive_lines(&PacingInput {
        answer_rate: 0.25,
        free: 10,
        freeing: 0.0,
        cap: 0.03,
        budget: 0.0,
        max_lines_per_agent: 3.0,
        inbound: 0.0,
        kept: 0,
    });
    assert_eq!(dials.len() as u64, want);
    assert!(want > 10 && want <= 30);
    // every line answered by a person, none with an agent: the budget goes negative
    for x in &dials {
        d.outcome(x.line_id, Outcome::Person, 1.0).unwrap();
    }
    for x in &dials {
        d.connect_timeout(x.line_id, 3.0).unwrap();
    }
    // now only as many lines as agents free now (which cannot abandon anyone)
    assert_eq!(pace(&mut d, 4.0, 10).len(), 10);
}

#[test]
fn preview_offers_then_dials_on_accept() {
    let mut d = dialer(
        campaign("c", DialMode::Preview),
        &[("a", "1"), ("b", "2"), ("c", "3")],
    );
    let p = d.pace(0.0, &[("c", FreeAgents::now(2))]).unwrap();
    assert!(p.dials.is_empty());
    let who: Vec<&str> = p.offers.iter().map(|o| &*o.contact).collect();
    assert_eq!(who, ["a", "b"]);
    // open offers cover the free agents
    assert!(d
        .pace(1.0, &[("c", FreeAgents::now(2))])
        .unwrap()
        .offers
        .is_empty());
    let dial = d
        .preview_accepted("c", "a", Some("agent7"), 2.0)
        .unwrap()
        .unwrap();
    assert_eq!(dial.agent.as_deref(), Some("agent7"));
    assert_eq!(&*dial.number, "1");
    d.preview_rejected("c", "b", 3.0).unwrap();
    assert!(matches!(
        d.preview_rejected("c", "b", 3.0),
        Err(DialerError::WrongState(_))
    ));
    assert!(matches!(
        d.preview_accepted("c", "zz", None, 3.0),
        Err(DialerError::Unknown {
            kind: "contact",
            ..
        })
    ));
    // b goes behind c (c was eligible earlier)
    let p = d.pace(4.0, &[("c", FreeAgents::now(1))]).unwrap();
    assert_eq!(&*p.offers[0].contact, "c");
    let s = d.campaign_stats("c").unwrap();
    assert_eq!((s.offers_open, s.lines_open, s.dials), (1, 1, 1));
}

#[test]
fn bad_inputs_are_typed_errors_and_change_nothing() {
    let mut d = dialer(campaign("c", DialMode::Progressive), &[("a", "1")]);
    let before = d.snapshot();
    let bad = |f: &dyn Fn(&mut CampaignConfig)| {
        let mut c = campaign("x", DialMode::Predictive);
        f(&mut c);
        c
    };
    for (cfg, field) in [
        (bad(&|c| c.abandon_cap = 1.0), "abandon_cap"),
        (bad(&|c| c.abandon_cap = 0.0), "abandon_cap"),
        (bad(&|c| c.abandon_cap = f64::NAN), "abandon_cap"),
        (bad(&|c| c.retry.busy.delay = -1.0), "retry.busy.delay"),
        (bad(&|c| c.abandon_window = 0.0), "abandon_window"),
        (bad(&|c| c.max_lines_per_agent = 0.5), "max_lines_per_agent"),
        (
            bad(&|c| c.amd_false_positive_rate = 1.0),
            "amd_false_positive_rate",
        ),
        (bad(&|c| c.answer_rate_prior = 0.0), "answer_rate_prior"),
        (
            bad(&|c| c.zones = vec![vec![(5.0, 9.0), (1.0, 2.0)]]),
            "zones[0]",
        ),
        (bad(&|c| c.zones = vec![vec![(5.0, 5.0)]]), "zones[0]"),
        (bad(&|c| c.tenant.clear()), "tenant"),
    ] {
        match d.add_campaign(cfg, 1.0) {
            Err(DialerError::InvalidConfig(m)) => assert!(m.contains(field), "{m}"),
            other => panic!("{field}: {other:?}"),
        }
    }
    let mut dup = ContactSpec::new("a", "9");
    assert!(matches!(
        d.add_contacts("c", vec![dup.clone()], 1.0),
        Err(DialerError::Duplicate {
            kind: "contact",
            ..
        })
    ));
    dup.id = "new".into();
    dup.zone = 3;
    assert!(matches!(
        d.add_contacts("c", vec![dup], 1.0),
        Err(DialerError::Unknown { kind: "zone", .. })
    ));
    assert!(matches!(
        d.add_contacts(
            "c",
            vec![ContactSpec {
                id: "n".into(),
                ..Default::default()
            }],
            1.0
        ),
        Err(DialerError::InvalidConfig(_))
    ));
    assert!(matches!(
        d.add_contacts("nope", vec![], 1.0),
        Err(DialerError::Unknown {
            kind: "campaign",
            ..
        })
    ));
    assert!(matches!(
        d.add_campaign(campaign("c", DialMode::Preview), 1.0),
        Err(DialerError::Duplicate {
            kind: "campaign",
            ..
        })
    ));
    assert!(matches!(
        d.pace(1.0, &[("c", FreeAgents::now(1)), ("c", FreeAgents::now(1))]),
        Err(DialerError::Duplicate { .. })
    ));
    assert!(matches!(
        d.pace(
            1.0,
            &[(
                "c",
                FreeAgents {
                    free: 1,
                    freeing: -1.0,
                    inbound: 0.0,
                    kept: 0,
                }
            )]
        ),
        Err(DialerError::InvalidConfig(_))
    ));
    for inbound in [
        -0.5,
        f64::NAN,
        f64::INFINITY,
        f64::from(MAX_FREE_AGENTS) * 2.0,
    ] {
        let err = d
            .pace(
                1.0,
                &[(
                    "c",
                    FreeAgents {
                        free: 1,
                        freeing: 0.0,
                        inbound,
                        kept: 0,
                    },
                )],
            )
            .unwrap_err();
        assert!(
            matches!(&err, DialerError::InvalidConfig(m) if m.contains("inbound")),
            "{inbound}: {err}"
        );
    }
    assert!(matches!(
        d.pace(f64::NAN, &[("c", FreeAgents::now(1))]),
        Err(DialerError::BadTime(_))
    ));
    assert!(matches!(
        d.set_zone_windows("c", 0, &[(3.0, 2.0)], 1.0),
        Err(DialerError::InvalidConfig(_))
    ));
    assert!(matches!(
        d.contact("c", "zz"),
        Err(DialerError::Unknown { .. })
    ));
    assert!(matches!(d.line(1), Err(DialerError::LineNotDialled(1))));
    assert_eq!(d.snapshot(), before, "an error changed the dialer");
    d.advance(10.0).unwrap();
    assert!(matches!(d.advance(9.0), Err(DialerError::BadTime(_))));
}

#[test]
fn snapshots_refuse_garbage() {
    let d = dialer(campaign("c", DialMode::Progressive), &[("a", "1")]);
    let bytes = d.snapshot();
    let back = Dialer::restore(&bytes).unwrap();
    assert_eq!(back.snapshot(), bytes);
    assert!(matches!(
        Dialer::restore(b"nope"),
        Err(DialerError::Snapshot(_))
    ));
    let mut v = bytes.clone();
    v[8] = 99;
    assert!(matches!(Dialer::restore(&v), Err(DialerError::Snapshot(_))));
    for cut in [12, bytes.len() / 2, bytes.len() - 1] {
        assert!(matches!(
            Dialer::restore(&bytes[..cut]),
            Err(DialerError::Snapshot(_))
        ));
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Dialer::restore(&longer),
        Err(DialerError::Snapshot(_))
    ));
    // every single-byte change either is refused or restores to a dialer (never a panic)
    for i in 12..bytes.len() {
        let mut v = bytes.clone();
        v[i] ^= 0x5a;
        let _ = Dialer::restore(&v);
    }
}

#[test]
fn restored_snapshots_of_a_busy_dialer_refuse_or_run() {
    // a dialer with lines ringing and answered, offers open, retries waiting, a ledger:
    // every single-byte change of its snapshot is refused or restores to a dialer that
    // takes the next inputs without a panic
    let mut cfg = campaign("c", DialMode::Progressive);
    cfg.retry.no_answer = RetryRule::new(50.0, 3);
    let mut d = dialer(cfg, &[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]);
    d.add_campaign(campaign("p", DialMode::Preview), 0.0)
        .unwrap();
    d.add_contacts("p", vec![ContactSpec::new("x", "7")], 0.0)
        .unwrap();
    d.start_campaign("p", 0.0).unwrap();
    let dials = pace(&mut d, 1.0, 3);
    d.pace(1.0, &[("p", FreeAgents::now(1))]).unwrap();
    d.outcome(dials[0].line_id, Outcome::NoAnswer, 2.0).unwrap();
    d.outcome(dials[1].line_id, Outcome::Person, 2.0).unwrap();
    d.set_dnc(None, &["9".into()], 2.0).unwrap();
    let bytes = d.snapshot();
    for i in 12..bytes.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut v = bytes.clone();
            v[i] ^= flip;
            if let Ok(mut r) = Dialer::restore(&v) {
                let ids = r.campaign_ids();
                let free: Vec<(std::sync::Arc<str>, FreeAgents)> = ids
                    .iter()
                    .map(|c| (c.clone(), FreeAgents::now(5)))
                    .collect();
                let _ = r.pace(100.0, &free);
                for l in r.open_lines() {
                    let _ = r.outcome(l, Outcome::Person, 101.0);
                    let _ = r.connect_timeout(l, 102.0);
                }
                for c in &ids {
                    let _ = r.campaign_stats(c);
                    let _ = r.contacts(c);
                }
                let _ = r.next_deadline();
                let _ = r.advance(1e6);
            }
        }
    }
}

#[test]
fn pacing_inputs_and_the_campaign_threshold() {
    let mut cfg = campaign("c", DialMode::Progressive);
    cfg.blending = Blending::Fixed(3);
    let mut d = dialer(cfg, &[("a", "1")]);
    assert_eq!(d.blending_threshold("c", 10, None).unwrap(), 3);
    assert!(matches!(
        d.blending_threshold("zz", 10, None),
        Err(DialerError::Unknown {
            kind: "campaign",
            ..
        })
    ));
    assert!(matches!(
        d.pace(1.0, &[("zz", FreeAgents::now(1))]),
        Err(DialerError::Unknown {
            kind: "campaign",
            ..
        })
    ));
    assert!(matches!(
        d.pace(
            1.0,
            &[(
                "c",
                FreeAgents {
                    free: MAX_FREE_AGENTS + 1,
                    freeing: 0.0,
                    inbound: 0.0,
                    kept: 0,
                }
            )]
        ),
        Err(DialerError::InvalidConfig(_))
    ));
    // campaigns not listed get nothing
    let none: [(&str, FreeAgents); 0] = [];
    assert!(d.pace(1.0, &none).unwrap().dials.is_empty());
    // a stopped campaign's closed zone is no deadline
    d.set_zone_windows("c", 0, &[(50.0, 60.0)], 1.0).unwrap();
    assert_eq!(d.next_deadline(), Some(50.0));
    d.stop_campaign("c", 1.0).unwrap();
    assert!(!d.is_running("c").unwrap());
    assert_eq!(d.next_deadline(), None);
    assert_eq!(d.now(), Some(1.0));
}

/// Snapshots of version 1 (before `abandon_risk`) still restore, with its default; version 2
/// keeps the risk; a risk outside (0, 0.5] is refused with the field named.
#[test]
fn abandon_risk_defaults_in_old_snapshots_and_is_checked() {
    // written by the version 1 build: campaign "c" (predictive, cap 0.04, 1 % AMD false
    // positives), contacts k1 and k2, k1 dialled on line 1 at t = 1
    let old = include_bytes!("data/dialer_snapshot_v1.bin");
    assert_eq!(&old[8..12], &1u32.to_le_bytes());
    let mut d = Dialer::restore(old).unwrap();
    let cfg = d.campaign_config("c").unwrap().clone();
    assert_eq!(cfg.abandon_risk, 0.05);
    assert_eq!(cfg.abandon_cap, 0.04);
    assert_eq!(cfg.amd_false_positive_rate, 0.01);
    assert_eq!(cfg.mode, DialMode::Predictive);
    assert_eq!(d.open_lines(), vec![1]);
    assert_eq!(d.contact("c", "k1").unwrap().attempts, 1);
    d.outcome(1, Outcome::NoAnswer, 2.0).unwrap();
    // version 2 keeps a risk other than the default
    let mut c2 = campaign("c2", DialMode::Predictive);
    c2.abandon_risk = 0.2;
    d.add_campaign(c2, 3.0).unwrap();
    let back = Dialer::restore(&d.snapshot()).unwrap();
    assert_eq!(back.campaign_config("c2").unwrap().abandon_risk, 0.2);
    assert_eq!(back.campaign_config("c").unwrap().abandon_risk, 0.05);
    assert_eq!(back.snapshot(), d.snapshot());
    for bad in [0.0, -0.1, 0.51, f64::NAN, f64::INFINITY] {
        let mut c = campaign("x", DialMode::Predictive);
        c.abandon_risk = bad;
        let err = d.add_campaign(c, 3.0).unwrap_err().to_string();
        assert!(err.contains("abandon_risk"), "{bad}: {err}");
    }
    // a version 2 snapshot whose tail lost its last byte is refused
    let bytes = d.snapshot();
    assert!(matches!(
        Dialer::restore(&bytes[..bytes.len() - 1]),
        Err(DialerError::Snapshot(_))
    ));
}
