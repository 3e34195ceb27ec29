//! Defects found by review and hostile runs (issue 11), each pinned against a rule of
//! docs/engine.md: skill changes, wrap-up in the interval statistics, implicit queue names,
//! the input contract at its edges, and the cost of what used to grow without bound.

use std::sync::Arc;

use callroute_core::acd::{
    AgentConfig, AgentState, CallSpec, Decision, Engine, EngineError, EngineOptions, QueueConfig,
    MAX_SECONDS,
};

fn engine() -> Engine {
    Engine::new(EngineOptions::default()).unwrap()
}

fn skills(s: &[(&str, u8)]) -> Vec<(String, u8)> {
    s.iter().map(|&(n, l)| (n.to_owned(), l)).collect()
}

fn queue(name: &str, s: &[(&str, u8)]) -> QueueConfig {
    let mut q = QueueConfig::new(name, "acme");
    q.skills = skills(s);
    q
}

fn agent(name: &str, s: &[(&str, u8)]) -> AgentConfig {
    let mut a = AgentConfig::new(name, "acme");
    a.skills = skills(s);
    a
}

fn call(id: &str, queue: &str, priority: i32) -> CallSpec {
    CallSpec {
        id: id.to_owned(),
        queue: Some(queue.to_owned()),
        priority,
        ..CallSpec::default()
    }
}

fn skill_call(id: &str, s: &[(&str, u8)]) -> CallSpec {
    CallSpec {
        id: id.to_owned(),
        skills: Some(skills(s)),
        tenant: Some("acme".into()),
        ..CallSpec::default()
    }
}

/// The (call, agent, queue) of every offer among the decisions.
fn offers(out: &[Decision]) -> Vec<(String, String, String)> {
    out.iter()
        .filter_map(|d| match d {
            Decision::Offer {
                call, agent, queue, ..
            } => Some((call.to_string(), agent.to_string(), queue.to_string())),
            _ => None,
        })
        .collect()
}

/// The queue an offer or queued decision names for `call`.
fn queue_of(out: &[Decision], call: &str) -> Arc<str> {
    out.iter()
        .find_map(|d| match d {
            Decision::Offer { call: c, queue, .. } | Decision::Queued { call: c, queue, .. }
                if &**c == call =>
            {
                Some(queue.clone())
            }
            _ => None,
        })
        .expect("the call is offered or queued")
}

/// Snapshot, restore, and check the restored engine snapshots to the same bytes.
fn round_trip(e: &Engine) -> Engine {
    let bytes = e.snapshot();
    let r = Engine::restore(&bytes).expect("the snapshot restores");
    assert!(
        r.snapshot() == bytes,
        "restore then snapshot changed the bytes"
    );
    r.audit().unwrap();
    r
}

/// An input that fails must leave the engine exactly as it was.
fn refused<T: std::fmt::Debug>(
    e: &mut Engine,
    f: impl FnOnce(&mut Engine) -> Result<T, EngineError>,
) -> EngineError {
    let before = e.snapshot();
    let err = f(e).expect_err("the input is refused");
    assert!(e.snapshot() == before, "a refused input changed the engine");
    err
}

// ---------------------------------------------------------------------- skill changes

/// docs/engine.md, "Choosing a call for an agent": an agent that frees up takes, across every
/// queue step it is eligible for, the call of highest priority. An agent given new skills is
/// such an agent: it must take the best call of all its new queues, not the best of whichever
/// queue its memberships happened to be rebuilt first.
#[test]
fn new_skills_take_the_best_call_across_all_queues() {
    let mut e = engine();
    e.add_queue(queue("low", &[("x", 1)])).unwrap();
    e.add_queue(queue("high", &[("y", 1)])).unwrap();
    e.add_agent(agent("a", &[])).unwrap();
    e.agent_ready("a", 0.0).unwrap();
    e.call_arrived(&call("c_low", "low", 0), 1.0).unwrap();
    e.call_arrived(&call("c_high", "high", 5), 2.0).unwrap();
    let out = e
        .set_agent_skills("a", &skills(&[("x", 1), ("y", 1)]), 3.0)
        .unwrap();
    assert_eq!(
        offers(&out),
        [("c_high".into(), "a".into(), "high".into())],
        "{out:?}"
    );
    assert_eq!(e.call_info("c_low").unwrap().state, "waiting");
    e.audit().unwrap();
}

/// The same with equal priorities: the older call wins (rule 3), whatever the queue order.
#[test]
fn new_skills_take_the_oldest_call_at_equal_priority() {
    let mut e = engine();
    e.add_queue(queue("first", &[("x", 1)])).unwrap();
    e.add_queue(queue("second", &[("y", 1)])).unwrap();
    e.add_agent(agent("a", &[])).unwrap();
    e.agent_ready("a", 0.0).unwrap();
    e.call_arrived(&call("young", "first", 0), 5.0).unwrap();
    e.call_arrived(&call("old", "second", 0), 5.0).unwrap();
    e.call_arrived(&call("older", "second", 0), 5.0).unwrap();
    let mut e2 = round_trip(&e);
    // "old" arrived before "older" at the same time: the sequence breaks the tie
    let out = e
        .set_agent_skills("a", &skills(&[("x", 1), ("y", 1)]), 6.0)
        .unwrap();
    assert_eq!(offers(&out), [("young".into(), "a".into(), "first".into())]);
    // now with the young call arriving later
    e2.call_abandoned("young", 6.0).unwrap();
    e2.call_arrived(&call("young", "first", 0), 7.0).unwrap();
    let out = e2
        .set_agent_skills("a", &skills(&[("x", 1), ("y", 1)]), 8.0)
        .unwrap();
    assert_eq!(offers(&out), [("old".into(), "a".into(), "second".into())]);
}

/// An agent with room for several chats takes them best first across its queues.
#[test]
fn new_skills_fill_capacity_best_first() {
    let mut e = engine();
    for (name, s) in [("q1", "x"), ("q2", "y"), ("q3", "z")] {
        let mut q = queue(name, &[(s, 1)]);
        q.media = "chat".into();
        e.add_queue(q).unwrap();
    }
    let mut a = agent("a", &[]);
    a.capacity = vec![("chat".into(), 2)];
    a.exclusive = vec![];
    e.add_agent(a).unwrap();
    e.agent_ready("a", 0.0).unwrap();
    for (id, q, p) in [("c1", "q1", 1), ("c2", "q2", 3), ("c3", "q3", 2)] {
        let mut c = call(id, q, p);
        c.media = Some("chat".into());
        e.call_arrived(&c, 1.0).unwrap();
    }
    let out = e
        .set_agent_skills("a", &skills(&[("x", 1), ("y", 1), ("z", 1)]), 2.0)
        .unwrap();
    let got: Vec<String> = offers(&out).into_iter().map(|o| o.0).collect();
    assert_eq!(got, ["c2", "c3"]);
    e.audit().unwrap();
}

// ---------------------------------------------------------------------- wrap-up statistics

fn wrapup_center(wrapup: f64) -> Engine {
    let mut e = engine();
    let mut q = queue("q", &[]);
    q.wrapup = wrapup;
    e.add_queue(q).unwrap();
    e.add_agent(agent("a", &[])).unwrap();
    e.agent_ready("a", 0.0).unwrap();
    e
}

/// docs/engine.md, "Statistics": talk and wrap-up time are counted per queue and per interval,
/// attributed to the interval in which the call entered the queue. The interval counters must
/// add up to the running ones, and AHT is talk plus after-call work.
#[test]
fn wrapup_reaches_the_interval_of_entry() {
    let mut e = wrapup_center(30.0);
    // enters at 100 s (interval 0 of 1800 s), talks 100 s, wrap-up timer runs out at 230 s
    e.call_arrived(&call("c1", "q", 0), 100.0).unwrap();
    e.offer_accepted("c1", 100.0).unwrap();
    e.call_ended("c1", 200.0).unwrap();
    e.advance(230.0).unwrap();
    // enters at 1790 s (interval 0), talk crosses into interval 1, wrap-up cut after 10 s
    e.call_arrived(&call("c2", "q", 0), 1790.0).unwrap();
    e.offer_accepted("c2", 1790.0).unwrap();
    e.call_ended("c2", 1850.0).unwrap();
    e.wrapup_done("a", 1860.0).unwrap();
    // enters in interval 1
    e.call_arrived(&call("c3", "q", 0), 1900.0).unwrap();
    e.offer_accepted("c3", 1900.0).unwrap();
    e.call_ended("c3", 1920.0).unwrap();
    e.advance(1950.0).unwrap();

    let iv = e.interval_stats("q").unwrap();
    assert_eq!(iv.len(), 2, "{iv:?}");
    let (start0, first) = &iv[0];
    let (start1, second) = &iv[1];
    assert_eq!((*start0, *start1), (0.0, 1800.0));
    assert_eq!(first.completed, 2);
    assert_eq!(first.talk_us, 160_000_000);
    assert_eq!(first.wrapup_us, 40_000_000, "30 s + 10 s of wrap-up");
    assert_eq!(first.aht(), (160.0 + 40.0) / 2.0);
    assert_eq!(second.completed, 1);
    assert_eq!(second.wrapup_us, 30_000_000);
    assert_eq!(second.aht(), 20.0 + 30.0);

    let total = e.queue_stats("q").unwrap().counters;
    assert_eq!(total.wrapup_us, first.wrapup_us + second.wrapup_us);
    assert_eq!(total.talk_us, first.talk_us + second.talk_us);
    assert_eq!(e.agent_stats("a").unwrap().wrapup, 70.0);
    round_trip(&e);
}

/// A connected call transferred away: its agent's wrap-up belongs to the queue (and the
/// interval) where the call was answered, not to the one it moves to.
#[test]
fn wrapup_of_a_transferred_call_stays_with_the_answering_queue() {
    let mut e = wrapup_center(20.0);
    e.add_queue(queue("other", &[])).unwrap();
    e.call_arrived(&call("c1", "q", 0), 10.0).unwrap();
    e.offer_accepted("c1", 10.0).unwrap();
    e.transfer("c1", 40.0, "other").unwrap();
    // the wrap-up runs from 40 s to 60 s, while the transferred call waits in "other"
    e.advance(60.0).unwrap();
    round_trip(&e);
    let iv = e.interval_stats("q").unwrap();
    assert_eq!(iv[0].1.wrapup_us, 20_000_000, "{iv:?}");
    assert_eq!(e.queue_stats("q").unwrap().counters.wrapup_us, 20_000_000);
    let other = e.interval_stats("other").unwrap();
    assert_eq!(other[0].1.wrapup_us, 0);
}

// ---------------------------------------------------------------------- implicit queues

/// docs/engine.md, "Eligibility and relaxation": skills-routed calls go to an implicit queue
/// per distinct (tenant, media, requirements). A user queue may not take a name an implicit
/// queue could have: the name is refused with a typed error, and a skills-routed call that
/// follows gets its own queue; the engine snapshots and restores.
#[test]
fn a_user_queue_cannot_take_an_implicit_queue_name() {
    let mut e = engine();
    e.add_agent(agent("a", &[("x", 1)])).unwrap();
    e.agent_ready("a", 0.0).unwrap();
    let err = refused(&mut e, |e| {
        e.add_queue(queue("skills[x>=1]@acme/voice", &[]))
    });
    assert!(matches!(err, EngineError::InvalidConfig(_)), "{err:?}");
    assert!(err.to_string().contains("skills["), "{err}");
    let out = e.call_arrived(&skill_call("c1", &[("x", 1)]), 1.0).unwrap();
    let implicit = queue_of(&out, "c1");
    assert_eq!(
        offers(&out),
        [("c1".into(), "a".into(), implicit.to_string())]
    );
    // the implicit queue's own name is refused the same way (not a duplicate: reserved)
    let err = refused(&mut e, |e| e.add_queue(queue(&implicit, &[])));
    assert!(matches!(err, EngineError::InvalidConfig(_)), "{err:?}");
    let r = round_trip(&e);
    assert_eq!(r.call_info("c1").unwrap().queue, implicit);
}

/// Two different requirement sets, tenants or media never share an implicit queue name,
/// whatever characters their names hold.
#[test]
fn implicit_queue_names_are_unambiguous() {
    let mut e = engine();
    let mut a = agent("a", &[("x", 1), ("y", 1), ("x>=1,y", 1)]);
    a.capacity = vec![("voice".into(), 1), ("v/w".into(), 1), ("w".into(), 1)];
    e.add_agent(a).unwrap();
    let mut b = AgentConfig::new("b", "acme/v");
    b.capacity = vec![("w".into(), 1)];
    e.add_agent(b).unwrap();
    let mut names = Vec::new();
    let mut specs = vec![
        skill_call("c1", &[("x", 1), ("y", 1)]),
        skill_call("c2", &[("x>=1,y", 1)]),
    ];
    // tenant "acme" with media "v/w" against tenant "acme/v" with media "w"
    let mut c3 = skill_call("c3", &[]);
    c3.media = Some("v/w".into());
    let mut c4 = skill_call("c4", &[]);
    c4.tenant = Some("acme/v".into());
    c4.media = Some("w".into());
    specs.extend([c3, c4]);
    for (k, spec) in specs.iter().enumerate() {
        let out = e.call_arrived(spec, 1.0 + k as f64).unwrap();
        names.push(queue_of(&out, &spec.id));
    }
    for (i, n) in names.iter().enumerate() {
        assert!(!names[..i].contains(n), "{n} named twice: {names:?}");
    }
    let ids = e.queue_ids();
    for n in &names {
        assert!(ids.contains(n), "{n} not listed in {ids:?}");
    }
    round_trip(&e);
}

/// Skills-routed calls with ever new requirements: the implicit queues they made are freed as
/// they empty, so the engine (and its snapshot) stays the size of what is live.
#[test]
fn implicit_queues_are_freed_when_they_empty() {
    let mut e = engine();
    let names: Vec<String> = (0..40).map(|i| format!("s{i}")).collect();
    let all: Vec<(&str, u8)> = names.iter().map(|n| (n.as_str(), 9)).collect();
    e.add_agent(agent("a", &all)).unwrap();
    e.add_agent(agent("b", &all)).unwrap();
    e.add_queue(queue("named", &[])).unwrap();
    e.agent_ready("a", 0.0).unwrap();
    e.agent_ready("b", 0.0).unwrap();
    let mut t = 1.0;
    let mut sizes = Vec::new();
    for i in 0..2000usize {
        // distinct requirements each time: a pair of skills and a level
        let (s1, s2, level) = (i % 40, (i / 40) % 40, 1 + (i / 1600) as u8);
        let spec = skill_call(&format!("c{i}"), &[(&names[s1], level), (&names[s2], 1)]);
        let id = spec.id.clone();
        if s1 == s2 {
            continue;
        }
        let out = e.call_arrived(&spec, t).unwrap();
        let implicit = queue_of(&out, &id);
        e.offer_accepted(&id, t).unwrap();
        assert!(e.queue_stats(&implicit).is_ok(), "live while its call is");
        e.call_ended(&id, t + 1.0).unwrap();
        t += 2.0;
        assert!(
            matches!(e.queue_stats(&implicit), Err(EngineError::Unknown { .. })),
            "{implicit} still there after its last call ended"
        );
        if i % 500 == 499 {
            sizes.push(e.snapshot().len());
        }
    }
    assert_eq!(e.queue_ids(), vec![Arc::<str>::from("named")]);
    // the snapshot does not grow with the number of implicit queues ever made
    assert!(
        sizes.windows(2).all(|w| w[1] <= w[0] + 64),
        "snapshot grows: {sizes:?}"
    );
    e.audit().unwrap();
    round_trip(&e);
}

/// An implicit queue stays while anything refers to it: a waiting call, an offer, a connected
/// call, an agent's wrap-up; then it goes, and a later call with the same requirements makes it
/// again (with fresh statistics).
#[test]
fn an_implicit_queue_lives_while_used() {
    let mut opts = EngineOptions::default();
    opts.skill_queue.wrapup = 10.0;
    let mut e = Engine::new(opts).unwrap();
    e.add_agent(agent("a", &[("x", 1)])).unwrap();
    e.add_queue(queue("named", &[])).unwrap();
    let out = e.call_arrived(&skill_call("c1", &[("x", 1)]), 1.0).unwrap();
    let q = queue_of(&out, "c1");
    let live = |e: &Engine| e.queue_stats(&q).is_ok();
    assert!(live(&e), "waiting");
    e = round_trip(&e);
    e.agent_ready("a", 2.0).unwrap();
    assert!(live(&e), "offered");
    e.offer_accepted("c1", 3.0).unwrap();
    assert!(live(&e), "connected");
    e.call_ended("c1", 4.0).unwrap();
    assert!(live(&e), "in wrap-up");
    assert_eq!(e.queue_stats(&q).unwrap().counters.completed, 1);
    e = round_trip(&e);
    e.advance(14.0).unwrap();
    assert!(!live(&e), "freed after the wrap-up");
    // a call moved out of an implicit queue frees it too
    let out = e
        .call_arrived(&skill_call("c2", &[("x", 1)]), 15.0)
        .unwrap();
    assert_eq!(
        queue_of(&out, "c2"),
        q,
        "the same requirements, the same name"
    );
    assert_eq!(
        e.queue_stats(&q).unwrap().counters.offered,
        1,
        "fresh statistics"
    );
    e.call_arrived(&skill_call("c3", &[("x", 1)]), 15.0)
        .unwrap();
    e.transfer("c3", 16.0, "named").unwrap();
    assert!(live(&e), "c2 is still there");
    // c2 was offered to "a": abandoned, nothing refers to the queue any more
    e.call_abandoned("c2", 17.0).unwrap();
    assert!(!live(&e), "freed when its last call left");
    assert_eq!(e.call_info("c3").unwrap().agent.as_deref(), Some("a"));
    e.audit().unwrap();
    round_trip(&e);
}

/// An implicit queue freed while a free agent is listed in it, its slot taken by a queue of
/// other requirements, then its requirements asked for again: each call goes to the queue of
/// its own requirements (docs/engine.md: one implicit queue per distinct tenant, media and
/// requirements), and the statistics count the agents free for each queue, before and after a
/// restore.
#[test]
fn a_freed_implicit_queue_slot_serves_other_requirements() {
    let mut opts = EngineOptions::default();
    opts.skill_queue.wrapup = 0.0;
    let mut e = Engine::new(opts).unwrap();
    e.add_agent(agent("a", &[("x", 1), ("y", 1)])).unwrap();
    e.add_agent(agent("b", &[("x", 1), ("y", 1)])).unwrap();
    e.add_queue(queue("named", &[])).unwrap();
    e.agent_ready("a", 0.0).unwrap();
    e.agent_ready("b", 0.0).unwrap();
    let qx: Arc<str> = Arc::from("skills[x>=1]@acme/voice");
    let qy: Arc<str> = Arc::from("skills[y>=1]@acme/voice");
    let available = |e: &Engine, q: &str| e.queue_stats(q).unwrap().agents_available;

    // c1 (x) offered to one agent; the other stays free, listed in x's queue
    let out = e.call_arrived(&skill_call("c1", &[("x", 1)]), 1.0).unwrap();
    assert_eq!(queue_of(&out, "c1"), qx);
    assert_eq!(available(&e, &qx), 1);
    assert_eq!(available(&e, "named"), 1);
    e.offer_accepted("c1", 2.0).unwrap();
    // the call ends (no wrap-up): x's queue is unused and goes, the other agent listed in it
    e.call_ended("c1", 3.0).unwrap();
    assert!(e.queue_stats(&qx).is_err(), "x's queue freed");
    assert_eq!(available(&e, "named"), 2);
    e.audit().unwrap();

    // c2 (y) takes the freed slot
    let out = e.call_arrived(&skill_call("c2", &[("y", 1)]), 4.0).unwrap();
    assert_eq!(queue_of(&out, "c2"), qy);
    let second = offers(&out)[0].1.clone();
    assert_eq!(e.queue_ids(), vec![Arc::from("named"), qy.clone()]);
    assert_eq!(available(&e, &qy), 1);
    e.audit().unwrap();

    // c3 (x again): a queue of x's requirements, not y's that holds x's old slot
    let out = e.call_arrived(&skill_call("c3", &[("x", 1)]), 5.0).unwrap();
    assert_eq!(queue_of(&out, "c3"), qx);
    let third = offers(&out)[0].1.clone();
    assert_ne!(second, third);
    assert_eq!(available(&e, &qx), 0);
    assert_eq!(available(&e, &qy), 0);
    assert_eq!(available(&e, "named"), 0);
    e.offer_accepted("c2", 5.0).unwrap();
    e.offer_accepted("c3", 5.0).unwrap();

    // c4 (x) waits: both agents are busy
    let out = e.call_arrived(&skill_call("c4", &[("x", 1)]), 6.0).unwrap();
    assert_eq!(queue_of(&out, "c4"), qx);
    e.advance(9.0).unwrap();
    let stats = e.queue_stats(&qx).unwrap();
    assert_eq!((stats.waiting, stats.longest_wait), (1, 3.0));
    e.audit().unwrap();

    // restored: the same queues, counts and waits
    let mut r = round_trip(&e);
    let stats = r.queue_stats(&qx).unwrap();
    assert_eq!((stats.waiting, stats.longest_wait), (1, 3.0));
    assert_eq!(available(&r, &qx), 0);
    // c2 ends: y's queue goes, its agent takes c4 from x's
    let out = r.call_ended("c2", 10.0).unwrap();
    assert_eq!(
        offers(&out),
        vec![("c4".into(), second.clone(), qx.to_string())]
    );
    assert!(r.queue_stats(&qy).is_err(), "y's queue freed");
    // c5 (y) after the restore: y's queue made again, in the freed slot
    let out = r
        .call_arrived(&skill_call("c5", &[("y", 1)]), 11.0)
        .unwrap();
    assert_eq!(queue_of(&out, "c5"), qy);
    assert_eq!(r.queue_stats(&qy).unwrap().waiting, 1);
    assert_eq!(available(&r, "named"), 0);
    r.audit().unwrap();
    round_trip(&r);
}

// ---------------------------------------------------------------------- input contract

/// docs/engine.md, "Leaving a queue": `transfer` moves a call to another queue.
#[test]
fn transfer_to_the_calls_own_queue_is_refused() {
    let mut e = engine();
    let mut q = queue("q", &[]);
    q.max_wait = Some(60.0);
    e.add_queue(q).unwrap();
    e.call_arrived(&call("c1", "q", 0), 0.0).unwrap();
    let err = refused(&mut e, |e| e.transfer("c1", 50.0, "q"));
    assert!(matches!(err, EngineError::WrongState(_)), "{err:?}");
    // the max wait still runs from the call's entry
    assert_eq!(e.next_deadline(), Some(60.0));
}

/// A call keeps its media: a transfer to a queue of another media is an event that does not
/// fit the call (InvalidEventError in Python), not a configuration error.
#[test]
fn cross_media_transfer_is_an_invalid_event() {
    let mut e = engine();
    e.add_queue(queue("voice", &[])).unwrap();
    let mut chat = queue("chat", &[]);
    chat.media = "chat".into();
    e.add_queue(chat).unwrap();
    e.call_arrived(&call("c1", "voice", 0), 0.0).unwrap();
    let err = refused(&mut e, |e| e.transfer("c1", 1.0, "chat"));
    assert!(matches!(err, EngineError::WrongState(_)), "{err:?}");
    assert!(err.to_string().contains("chat"), "{err}");
}

/// docs/engine.md, "Time": call `advance` at `next_deadline()`. Every deadline it announces
/// must be one `advance` accepts, also for timers armed close to the end of time (10¹² s):
/// a timer due later can never fire (no input reaches its time), so it is not announced.
#[test]
fn next_deadline_is_always_a_time_advance_accepts() {
    let mut e = engine();
    let mut far = queue("far", &[("x", 1)]);
    far.offer_timeout = 15.0;
    far.max_wait = Some(1e6);
    e.add_queue(far).unwrap();
    let mut near = queue("near", &[("y", 1)]);
    near.offer_timeout = 5.0;
    near.max_no_answer = 0;
    e.add_queue(near).unwrap();
    e.add_agent(agent("a", &[("x", 1)])).unwrap();
    e.add_agent(agent("b", &[("y", 1)])).unwrap();
    let t0 = MAX_SECONDS - 10.0;
    e.agent_ready("a", t0).unwrap();
    e.agent_ready("b", t0).unwrap();
    // offered until 10¹² + 5 s (past the end of time), with a max wait as far
    e.call_arrived(&call("c_far", "far", 0), t0).unwrap();
    // offered until 10¹² - 5 s: lapses, comes back, is offered again, until 10¹² + 5 s
    e.call_arrived(&call("c_near", "near", 0), t0).unwrap();
    let mut announced = Vec::new();
    while let Some(d) = e.next_deadline() {
        assert!(d <= MAX_SECONDS, "deadline {d} beyond the end of time");
        announced.push(d);
        e.advance(d)
            .unwrap_or_else(|err| panic!("advance({d}) refused: {err}"));
        assert!(announced.len() < 100, "deadlines do not run out");
    }
    // c_near's first offer lapses; its exclusion from "b" ends at 10¹², when it is offered
    // to "b" again (until past the end of time)
    assert_eq!(announced, [MAX_SECONDS - 5.0, MAX_SECONDS]);
    // the end of time itself is a time advance accepts; the later timers stay pending
    e.advance(MAX_SECONDS).unwrap();
    assert_eq!(e.call_info("c_far").unwrap().state, "offered");
    assert_eq!(e.call_info("c_near").unwrap().state, "offered");
    e.audit().unwrap();
    round_trip(&e);
}

/// Empty tenant and media names are refused like empty queue and agent names.
#[test]
fn empty_tenant_and_media_names_are_refused() {
    let mut e = engine();
    let cases: Vec<(&str, QueueConfig)> = vec![
        ("tenant", QueueConfig::new("q", "")),
        ("media", {
            let mut q = QueueConfig::new("q", "acme");
            q.media = String::new();
            q
        }),
        ("shared_with", {
            let mut q = QueueConfig::new("q", "acme");
            q.shared_with = vec![String::new()];
            q
        }),
    ];
    for (what, q) in cases {
        let err = refused(&mut e, |e| e.add_queue(q));
        assert!(
            matches!(err, EngineError::InvalidConfig(_)),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains("empty"), "{what}: {err}");
    }
    let cases: Vec<(&str, AgentConfig)> = vec![
        ("tenant", AgentConfig::new("a", "")),
        ("capacity", {
            let mut a = AgentConfig::new("a", "acme");
            a.capacity.push((String::new(), 1));
            a
        }),
        ("exclusive", {
            let mut a = AgentConfig::new("a", "acme");
            a.exclusive.push(String::new());
            a
        }),
    ];
    for (what, a) in cases {
        let err = refused(&mut e, |e| e.add_agent(a));
        assert!(
            matches!(err, EngineError::InvalidConfig(_)),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains("empty"), "{what}: {err}");
    }
    e.add_queue(queue("q", &[])).unwrap();
    e.add_agent(agent("a", &[("x", 1)])).unwrap();
    let mut c = call("c1", "q", 0);
    c.media = Some(String::new());
    let err = refused(&mut e, |e| e.call_arrived(&c, 1.0));
    assert!(matches!(err, EngineError::InvalidConfig(_)), "{err:?}");
    assert!(err.to_string().contains("empty"), "{err}");
    let mut c = skill_call("c1", &[("x", 1)]);
    c.tenant = Some(String::new());
    let err = refused(&mut e, |e| e.call_arrived(&c, 1.0));
    assert!(matches!(err, EngineError::InvalidConfig(_)), "{err:?}");
    assert!(err.to_string().contains("empty"), "{err}");
}

// ---------------------------------------------------------------------- bounded growth

/// Distinct not-ready reasons are interned without bound today: past a generous limit a new
/// reason is refused with a typed error, while the reasons already known keep working and the
/// time in each is kept apart.
#[test]
fn distinct_not_ready_reasons_are_bounded() {
    let mut e = engine();
    e.add_agent(agent("a", &[])).unwrap();
    e.add_agent(agent("b", &[])).unwrap();
    let mut t = 0.0;
    let mut n = 0usize;
    let err = loop {
        match e.agent_not_ready("a", t, &format!("r{n}")) {
            Ok(_) => {}
            Err(err) => break err,
        }
        n += 1;
        t += 1.0;
        assert!(n <= 20_000, "no limit on distinct reasons");
    };
    assert!(n >= 1000, "the limit is generous: {n}");
    assert!(matches!(err, EngineError::InvalidConfig(_)), "{err:?}");
    // refused without a change
    let before = e.snapshot();
    assert!(e.agent_not_ready("b", t, &format!("r{n}")).is_err());
    assert!(e.snapshot() == before);
    // known reasons still work, for any agent
    e.agent_not_ready("b", t, "r0").unwrap();
    e.agent_not_ready("a", t + 1.0, "r1").unwrap();
    e.agent_ready("a", t + 3.0).unwrap();
    let stats = e.agent_stats("a").unwrap();
    assert_eq!(stats.not_ready.len(), n);
    let r1: f64 = stats
        .not_ready
        .iter()
        .filter(|(r, _)| r == "r1")
        .map(|(_, s)| s)
        .sum();
    assert_eq!(r1, 1.0 + 2.0, "1 s the first time, 2 s the second");
    assert_eq!(
        e.agent_state("b").unwrap(),
        AgentState::NotReady(Arc::from("r0"))
    );
    e.audit().unwrap();
    round_trip(&e);
}

/// Many queues for the same agents: every queue gets the agents it should, and a call to the
/// last queue added goes to the longest idle of them (the memberships are built per queue,
/// without revisiting the others).
#[test]
fn many_queues_share_their_agents() {
    let mut e = engine();
    for a in 0..20 {
        e.add_agent(agent(&format!("a{a}"), &[("x", 1)])).unwrap();
        e.agent_ready(&format!("a{a}"), f64::from(a)).unwrap();
    }
    for q in 0..2000 {
        e.add_queue(queue(&format!("q{q}"), &[("x", 1)])).unwrap();
    }
    for q in [0, 999, 1999] {
        let s = e.queue_stats(&format!("q{q}")).unwrap();
        assert_eq!((s.agents_logged_in, s.agents_available), (20, 20));
    }
    let out = e.call_arrived(&call("c1", "q1999", 0), 100.0).unwrap();
    assert_eq!(offers(&out), [("c1".into(), "a0".into(), "q1999".into())]);
    let out = e.call_arrived(&call("c2", "q0", 0), 100.0).unwrap();
    assert_eq!(offers(&out), [("c2".into(), "a1".into(), "q0".into())]);
    e.audit().unwrap();
}
