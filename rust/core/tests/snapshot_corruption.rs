//! Corrupted snapshots: `Engine::restore` never panics, whatever the bytes. It returns an
//! error, or an engine that passes `audit` and on which the public operations are safe.
//!
//! Base snapshots are taken along a scripted run that reaches every kind of state (waiting,
//! offered, connected and wrapping-up calls, not-ready agents, relaxation steps, overflow,
//! several tenants, chat capacity, skills-routed calls, exclusions). They are then mutated
//! at the byte level: postcard writes integers as varints, so overwriting a byte below 0x80
//! with another keeps the layout and perturbs one numeric field (an index, a count, a time),
//! while flips, truncations, deletions, insertions and splices break the layout.
//!
//! Snapshots carry a CRC-32 of their body (docs/engine.md, "Snapshots"), which refuses
//! almost every such mutation before decoding (`snapshot_format.rs` tests that). To keep
//! testing the decoder and the checks behind it, every mutated snapshot here is resealed
//! first: its header's body length and checksum are recomputed over what follows it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use callroute_core::acd::{
    AgentConfig, CallSpec, Engine, EngineOptions, QueueConfig, StepConfig, Strategy as Pick,
};
use proptest::prelude::*;

fn queue(name: &str, tenant: &str, f: impl FnOnce(&mut QueueConfig)) -> QueueConfig {
    let mut q = QueueConfig::new(name, tenant);
    f(&mut q);
    q
}

fn agent(name: &str, tenant: &str, f: impl FnOnce(&mut AgentConfig)) -> AgentConfig {
    let mut a = AgentConfig::new(name, tenant);
    f(&mut a);
    a
}

fn skills(s: &[(&str, u8)]) -> Vec<(String, u8)> {
    s.iter().map(|&(n, l)| (n.to_owned(), l)).collect()
}

fn call(id: &str, queue: &str, priority: i32) -> CallSpec {
    CallSpec {
        id: id.into(),
        queue: Some(queue.into()),
        priority,
        data: vec![("k".into(), id.into())],
        ..CallSpec::default()
    }
}

/// Snapshots along a scripted run (each state of interest at least once).
fn bases() -> &'static [Vec<u8>] {
    static BASES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    BASES.get_or_init(|| {
        let mut out = Vec::new();
        let mut e = Engine::new(EngineOptions {
            seed: 11,
            interval: 60.0,
            ..EngineOptions::default()
        })
        .unwrap();
        out.push(e.snapshot()); // empty, no time seen
        e.add_queue(queue("general", "t1", |_| {})).unwrap();
        e.add_queue(queue("sales", "t1", |q| {
            q.skills = skills(&[("en", 2)]);
            q.max_wait = Some(100.0);
            q.overflow = Some("general".into());
            q.wrapup = 5.0;
            q.aging = 0.5;
            q.steps = vec![
                StepConfig {
                    after: 10.0,
                    skills: Some(skills(&[("en", 1)])),
                    priority_boost: 3,
                    ..StepConfig::default()
                },
                StepConfig {
                    after: 20.0,
                    also_queues: vec!["general".into()],
                    ..StepConfig::default()
                },
            ];
        }))
        .unwrap();
        e.add_queue(queue("chat", "t1", |q| {
            q.media = "chat".into();
            q.strategy = Pick::RoundRobin;
            q.retry = 30.0;
        }))
        .unwrap();
        e.add_queue(queue("vip", "t2", |q| {
            q.strategy = Pick::Random;
            q.shared_with = vec!["t1".into()];
            q.wrapup = 30.0;
            q.max_wait = Some(50.0);
        }))
        .unwrap();
        e.add_queue(queue("prof", "t2", |q| {
            q.strategy = Pick::HighestProficiency;
            q.skills = skills(&[("fr", 1)]);
            q.leave_when_empty = true;
        }))
        .unwrap();
        e.add_queue(queue("weighted", "t2", |q| {
            q.strategy = Pick::WeightedRandom;
            q.offer_timeout = 5.0;
            q.max_no_answer = 1;
        }))
        .unwrap();
        out.push(e.snapshot()); // queues only
        for (i, (tenant, sk)) in [
            ("t1", &[("en", 3)][..]),
            ("t1", &[("en", 1), ("fr", 2)][..]),
            ("t1", &[][..]),
            ("t2", &[("fr", 3)][..]),
            ("t2", &[("fr", 1), ("en", 2)][..]),
        ]
        .into_iter()
        .enumerate()
        {
            let name = format!("a{i}");
            e.add_agent(agent(&name, tenant, |a| {
                a.skills = skills(sk);
                a.weight = 1.0 + i as f64;
                if i % 2 == 0 {
                    a.capacity.push(("chat".into(), 3));
                }
            }))
            .unwrap();
        }
        out.push(e.snapshot()); // agents logged out, no time
        let mut now = 1.0;
        for a in ["a0", "a1", "a3"] {
            e.agent_ready(a, now).unwrap();
        }
        e.agent_not_ready("a2", now, "lunch").unwrap();
        let mut tick = |e: &mut Engine, out: &mut Vec<Vec<u8>>, dt: f64| {
            now += dt;
            e.advance(now).unwrap();
            out.push(e.snapshot());
            now
        };
        out.push(e.snapshot());
        let t = tick(&mut e, &mut out, 1.0);
        // calls: offered, waiting, in steps
        for (i, q) in [
            "sales", "general", "chat", "chat", "vip", "sales", "prof", "weighted",
        ]
        .into_iter()
        .enumerate()
        {
            e.call_arrived(&call(&format!("c{i}"), q, i as i32 % 3), t)
                .unwrap();
        }
        e.call_arrived(
            &CallSpec {
                id: "sk".into(),
                skills: Some(skills(&[("fr", 2)])),
                tenant: Some("t2".into()),
                ..CallSpec::default()
            },
            t,
        )
        .unwrap();
        out.push(e.snapshot());
        let t = tick(&mut e, &mut out, 1.0);
        for c in ["c0", "c2", "c1"] {
            let _ = e.offer_accepted(c, t);
        }
        let _ = e.offer_declined("c4", t);
        out.push(e.snapshot());
        let _ = e.callback_requested("c5", t);
        let t = tick(&mut e, &mut out, 6.0); // offers lapse (no answer)
        let _ = e.call_ended("c0", t); // wrap-up
        let _ = e.call_ended("c2", t);
        e.agent_ready("a4", t).unwrap();
        out.push(e.snapshot());
        let t = tick(&mut e, &mut out, 5.0); // steps
        let _ = e.transfer("c3", t, "chat");
        let _ = e.agent_not_ready("a1", t, "break");
        let _ = e.agent_ready("a2", t);
        out.push(e.snapshot());
        for i in 10..16 {
            let q = ["sales", "vip", "chat"][i % 3];
            let _ = e.call_arrived(&call(&format!("c{i}"), q, 1), t);
        }
        out.push(e.snapshot());
        let t = tick(&mut e, &mut out, 12.0);
        for id in e.call_ids() {
            let _ = e.offer_accepted(&id, t);
        }
        out.push(e.snapshot());
        let t = tick(&mut e, &mut out, 3.0);
        let _ = e.agent_logout("a3", t);
        let _ = e.wrapup_done("a0", t);
        out.push(e.snapshot());
        tick(&mut e, &mut out, 40.0); // max waits, overflows
        tick(&mut e, &mut out, 100.0);
        e.audit().unwrap();
        out
    })
}

/// Everything a user might do next; any panic is the test's failure.
fn exercise(mut e: Engine) -> Result<(), String> {
    e.audit()
        .map_err(|m| format!("restored, yet the audit fails: {m}"))?;
    let queues = e.queue_ids();
    let agents = e.agent_ids();
    let calls = e.call_ids();
    for q in &queues {
        let _ = e.queue_stats(q).map_err(|x| x.to_string())?;
        let _ = e.interval_stats(q).map_err(|x| x.to_string())?;
    }
    for a in &agents {
        let _ = e.agent_stats(a).map_err(|x| x.to_string())?;
        let _ = e.agent_state(a).map_err(|x| x.to_string())?;
    }
    for c in &calls {
        let _ = e.call_info(c).map_err(|x| x.to_string())?;
    }
    let _ = (e.totals().active(), e.next_deadline(), e.now());
    let bytes = e.snapshot();
    let again = Engine::restore(&bytes).map_err(|x| format!("re-restore: {x}"))?;
    if again.snapshot() != bytes {
        return Err("snapshot of the restored engine does not round-trip".into());
    }
    // inputs of every kind, then time passes (all timers fire)
    let t = e.now().unwrap_or(0.0) + 0.5;
    for (i, c) in calls.iter().enumerate() {
        let _ = match i % 5 {
            0 => e.offer_accepted(c, t),
            1 => e.call_ended(c, t),
            2 => e.call_abandoned(c, t),
            3 => e.offer_declined(c, t),
            _ => e.transfer(c, t, &queues[i % queues.len()]),
        };
    }
    for (i, a) in agents.iter().enumerate() {
        let _ = match i % 4 {
            0 => e.agent_ready(a, t),
            1 => e.agent_not_ready(a, t, "other"),
            2 => e.wrapup_done(a, t),
            _ => e.agent_logout(a, t),
        };
    }
    for (i, q) in queues.iter().enumerate() {
        let _ = e.call_arrived(&call(&format!("new{i}"), q, 2), t);
    }
    e.audit().map_err(|m| format!("audit after inputs: {m}"))?;
    for dt in [1.0, 10.0, 100.0, 1000.0] {
        e.advance(t + dt).map_err(|x| x.to_string())?;
    }
    e.audit().map_err(|m| format!("audit after advance: {m}"))?;
    for a in &agents {
        let _ = e.agent_stats(a).map_err(|x| x.to_string())?;
    }
    Ok(())
}

/// CRC-32 (IEEE, as zlib's), a byte at a time from a table made bitwise.
fn crc32(bytes: &[u8]) -> u32 {
    static TABLE: OnceLock<[u32; 256]> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    !bytes.iter().fold(!0u32, |crc, &b| {
        (crc >> 8) ^ table[((crc ^ u32::from(b)) & 0xff) as usize]
    })
}

/// Bytes 12..24 of the header: the length and the CRC-32 of the body from byte 24.
const HEADER: usize = 24;

/// `bytes` with the body length and checksum of its header made to match its body.
fn resealed(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if out.len() >= HEADER {
        let body = &bytes[HEADER..];
        out[12..20].copy_from_slice(&(body.len() as u64).to_le_bytes());
        out[20..24].copy_from_slice(&crc32(body).to_le_bytes());
    }
    out
}

/// Restore `bytes` (resealed); `Err` describes a panic or a broken promise.
fn check(bytes: &[u8]) -> Result<bool, String> {
    let bytes = &resealed(bytes)[..];
    let fail = |what: &str| format!("{what} on input {bytes:?}");
    match catch_unwind(AssertUnwindSafe(|| Engine::restore(bytes))) {
        Err(_) => Err(fail("restore panicked")),
        Ok(Err(_)) => Ok(false),
        Ok(Ok(e)) => match catch_unwind(AssertUnwindSafe(|| exercise(e))) {
            Err(_) => Err(fail("a restored engine panicked")),
            Ok(Err(m)) => Err(fail(&m)),
            Ok(Ok(())) => Ok(true),
        },
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    /// overwrite a byte (small values keep the varint layout)
    Set(usize, u8),
    /// add to a byte
    Add(usize, u8),
    /// flip one bit
    Flip(usize, u8),
    /// keep only a prefix
    Truncate(usize),
    /// cut a range out
    Delete(usize, usize),
    /// insert bytes
    Insert(usize, Vec<u8>),
    /// replace a one-byte varint (a small number) by the varint of a large one
    Varint(usize, u64),
    /// copy a range of another base snapshot over a position
    Splice(usize, usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let pos = any::<prop::sample::Index>();
    prop_oneof![
        6 => (any::<usize>(), prop_oneof![0u8..4, 0u8..0x80, any::<u8>()])
            .prop_map(|(p, v)| Mutation::Set(p, v)),
        3 => (any::<usize>(), prop_oneof![Just(1u8), Just(0xff), any::<u8>()])
            .prop_map(|(p, v)| Mutation::Add(p, v)),
        2 => (any::<usize>(), 0u8..8).prop_map(|(p, b)| Mutation::Flip(p, b)),
        3 => (any::<usize>(), prop_oneof![
            Just(u64::from(u32::MAX)),
            Just(u64::from(u32::MAX - 1)),
            Just(1u64 << 31),
            Just(u64::MAX),
            Just(u64::MAX - 1),
            Just(1u64 << 62),
            Just(1u64 << 63),
            any::<u64>(),
        ])
            .prop_map(|(p, v)| Mutation::Varint(p, v)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => (any::<usize>(), 1usize..16).prop_map(|(p, n)| Mutation::Delete(p, n)),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(p, v)| Mutation::Insert(p, v)),
        1 => (pos, any::<usize>(), any::<usize>(), 1usize..64)
            .prop_map(|(b, from, to, n)| Mutation::Splice(b.index(1 << 16), from, to, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    // the header is left alone mostly (a wrong magic or version is refused at once)
    let at = |p: usize, len: usize| if len == 0 { 0 } else { p % len };
    let len = bytes.len();
    match m {
        Mutation::Set(p, v) if len > 0 => bytes[at(*p, len)] = *v,
        Mutation::Add(p, v) if len > 0 => {
            let i = at(*p, len);
            bytes[i] = bytes[i].wrapping_add(*v);
        }
        Mutation::Flip(p, b) if len > 0 => bytes[at(*p, len)] ^= 1 << b,
        Mutation::Truncate(p) => bytes.truncate(at(*p, len + 1)),
        Mutation::Delete(p, n) => {
            let i = at(*p, len + 1);
            bytes.drain(i..(i + n).min(len));
        }
        Mutation::Insert(p, v) => {
            let i = at(*p, len + 1);
            bytes.splice(i..i, v.iter().copied());
        }
        Mutation::Varint(p, v) if len > 0 => {
            let i = at(*p, len);
            if bytes[i] < 0x80 {
                let mut enc = Vec::new();
                let mut v = *v;
                while v >= 0x80 {
                    enc.push(v as u8 | 0x80);
                    v >>= 7;
                }
                enc.push(v as u8);
                bytes.splice(i..=i, enc);
            }
        }
        Mutation::Splice(b, from, to, n) => {
            let other = &bases()[b % bases().len()];
            let from = at(*from, other.len());
            let chunk = &other[from..(from + n).min(other.len())];
            let i = at(*to, len + 1);
            let end = (i + chunk.len()).min(len);
            bytes.splice(i..end, chunk.iter().copied());
        }
        _ => {}
    }
}

#[test]
fn valid_snapshots_restore() {
    for b in bases() {
        assert_eq!(check(b), Ok(true));
    }
    assert!(bases().len() >= 15, "{}", bases().len());
}

/// Every byte of a few base snapshots perturbed in turn (to 0, 1, a flipped low bit, or
/// plus 2, by position): each numeric field is perturbed, the layout mostly kept.
#[test]
fn every_byte_perturbed() {
    let all = bases();
    let mut restored = 0;
    let mut tried = 0;
    for b in [4, all.len() / 2, all.len() - 5] {
        let base = &all[b];
        for i in HEADER..base.len() {
            let v = match (i + b) % 4 {
                0 => 0,
                1 => 1,
                2 => base[i] ^ 1,
                _ => base[i].wrapping_add(2),
            };
            if v == base[i] {
                continue;
            }
            let mut bytes = base.clone();
            bytes[i] = v;
            tried += 1;
            restored += usize::from(check(&bytes).unwrap_or_else(|m| panic!("{m}")));
        }
    }
    // many perturbations are caught, others give another valid state
    assert!(restored > 0 && restored < tried, "{restored} of {tried}");
}

proptest! {
    #![proptest_config(ProptestConfig {
        // CORRUPTION_CASES=n runs more
        cases: std::env::var("CORRUPTION_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(8000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn corrupted_snapshots_never_panic(
        base in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut bytes = bases()[base.index(bases().len())].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        if let Err(m) = check(&bytes) {
            return Err(TestCaseError::fail(format!("{m}\nmutations: {mutations:?}")));
        }
    }
}
