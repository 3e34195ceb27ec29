//! The snapshot file format (docs/engine.md, "Snapshots"): a 24-byte header (magic,
//! version, body length, CRC-32 of the body) before the postcard body.
//!
//! The header is checked here against the documented layout with an independent CRC-32
//! (bitwise, from the definition), and a golden snapshot of this format version, made by the
//! deterministic [`scenario`], is restored and checked through the public API.
//!
//! The golden file is `tests/fixtures/engine_snapshot_v4.bin`. When the format changes (any
//! field, its order or type, an enum's tags), bump `VERSION` in
//! `rust/core/src/acd/snapshot_format.rs` — this test then fails, refusing the old golden by
//! its version — and write the new golden file, named after the new version:
//!
//! ```text
//! GOLDEN_WRITE=1 cargo test -p callroute-core --test snapshot_format golden
//! ```
//!
//! (then rename `GOLDEN` below to the new file, keeping the old one if useful).

use callroute_core::acd::{
    AgentConfig, AgentState, CallSpec, Decision, Engine, EngineError, EngineOptions, QueueConfig,
    StepConfig, Strategy,
};

const GOLDEN: &str = "tests/fixtures/engine_snapshot_v4.bin";
const THIS_VERSION: u32 = 4;

/// The golden snapshot of the format before (3: tasks did not keep their call's interval).
const GOLDEN_V3: &str = "tests/fixtures/engine_snapshot_v3.bin";

/// CRC-32 (IEEE, reflected, as zlib's), bitwise from the definition.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A snapshot of the documented layout around `body`, with the given version.
fn sealed(version: u32, body: &[u8]) -> Vec<u8> {
    let mut out = b"CRENGSNP".to_vec();
    out.extend(version.to_le_bytes());
    out.extend((body.len() as u64).to_le_bytes());
    out.extend(crc32(body).to_le_bytes());
    out.extend(body);
    out
}

fn refusal(bytes: &[u8]) -> String {
    match Engine::restore(bytes) {
        Err(EngineError::Snapshot(m)) => m,
        Err(e) => panic!("not a snapshot error: {e:?}"),
        Ok(_) => panic!("restored"),
    }
}

fn call(id: &str, queue: &str) -> CallSpec {
    CallSpec {
        id: id.into(),
        queue: Some(queue.into()),
        data: vec![("account".into(), format!("{id}-42"))],
        ..CallSpec::default()
    }
}

/// A small center at t = 20 s, reached by a fixed script (the state every check below
/// derives by hand from it):
///
/// - queues (tenant t1), in this order: `general` (round robin), `sales` (skill en ≥ 2, longest idle, wrap-up 10 s, offers 20 s,
///   retry 30 s, max wait 300 s overflowing to `general`, a step at 60 s to en ≥ 1 with
///   priority +2), `chat` (media chat, fewest calls);
/// - agents: a0 (en 3), a1 (en 1), a2 (en 2, two chats), a3 (en 3); a0, a2 ready at 0,
///   a1 not ready "lunch" at 0, a3 logged out until 19;
/// - c1 → sales at 10: offered to a0 (a0 and a2 idle since 0: the earlier added), accepted
///   at 11, ended at 16 (5 s talk): a0 in wrap-up until 26;
/// - c2 → sales at 12: offered to a2, declined at 13 (a2 excluded until 43);
/// - c3 → chat at 14: offered to a2, accepted at 15;
/// - c4 → general at 18: nobody free (a0 wrapping up, a1 not ready, a2 on a chat, voice
///   being exclusive; a3 logged out): waits;
/// - a3 ready at 19: takes the older of the waiting calls it can answer, c2 (offer until 39).
fn scenario() -> Engine {
    let mut e = Engine::new(EngineOptions {
        seed: 7,
        interval: 60.0,
        ..EngineOptions::default()
    })
    .unwrap();
    let mut sales = QueueConfig::new("sales", "t1");
    sales.skills = vec![("en".into(), 2)];
    sales.wrapup = 10.0;
    sales.offer_timeout = 20.0;
    sales.retry = 30.0;
    sales.max_wait = Some(300.0);
    sales.overflow = Some("general".into());
    sales.steps = vec![StepConfig {
        after: 60.0,
        skills: Some(vec![("en".into(), 1)]),
        priority_boost: 2,
        ..StepConfig::default()
    }];
    let mut general = QueueConfig::new("general", "t1");
    general.strategy = Strategy::RoundRobin;
    let mut chat = QueueConfig::new("chat", "t1");
    chat.media = "chat".into();
    chat.strategy = Strategy::FewestCalls;
    for q in [general, sales, chat] {
        e.add_queue(q).unwrap();
    }
    for (name, level) in [("a0", 3), ("a1", 1), ("a2", 2), ("a3", 3)] {
        let mut a = AgentConfig::new(name, "t1");
        a.skills = vec![("en".into(), level)];
        if name == "a2" {
            a.capacity.push(("chat".into(), 2));
        }
        e.add_agent(a).unwrap();
    }
    e.agent_ready("a0", 0.0).unwrap();
    e.agent_not_ready("a1", 0.0, "lunch").unwrap();
    e.agent_ready("a2", 0.0).unwrap();
    e.call_arrived(&call("c1", "sales"), 10.0).unwrap();
    e.offer_accepted("c1", 11.0).unwrap();
    e.call_arrived(&call("c2", "sales"), 12.0).unwrap();
    e.offer_declined("c2", 13.0).unwrap();
    e.call_arrived(&call("c3", "chat"), 14.0).unwrap();
    e.offer_accepted("c3", 15.0).unwrap();
    e.call_ended("c1", 16.0).unwrap();
    e.call_arrived(&call("c4", "general"), 18.0).unwrap();
    e.agent_ready("a3", 19.0).unwrap();
    e.advance(20.0).unwrap();
    e
}

/// The state of [`scenario`], through the public API.
fn check_state(e: &Engine) {
    e.audit().unwrap();
    assert_eq!(e.now(), Some(20.0));
    let strs = |v: Vec<std::sync::Arc<str>>| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(strs(e.queue_ids()), ["general", "sales", "chat"]);
    assert_eq!(strs(e.agent_ids()), ["a0", "a1", "a2", "a3"]);
    let mut calls = strs(e.call_ids());
    calls.sort();
    assert_eq!(calls, ["c2", "c3", "c4"]);
    let t = e.totals();
    assert_eq!(
        (t.arrived, t.completed, t.abandoned, t.exited, t.rejected),
        (4, 1, 0, 0, 0)
    );

    assert_eq!(e.agent_state("a0").unwrap(), AgentState::WrapUp);
    assert_eq!(
        e.agent_state("a1").unwrap(),
        AgentState::NotReady("lunch".into())
    );
    assert_eq!(e.agent_state("a2").unwrap(), AgentState::Busy);
    assert_eq!(e.agent_state("a3").unwrap(), AgentState::Offered);

    let c2 = e.call_info("c2").unwrap();
    assert_eq!(
        (&*c2.queue, c2.state, c2.agent.as_deref()),
        ("sales", "offered", Some("a3"))
    );
    assert_eq!((c2.arrival, c2.step), (12.0, 0));
    assert_eq!(c2.data, [("account".into(), "c2-42".into())]);
    let c3 = e.call_info("c3").unwrap();
    assert_eq!(
        (&*c3.queue, c3.state, c3.agent.as_deref()),
        ("chat", "connected", Some("a2"))
    );
    let c4 = e.call_info("c4").unwrap();
    assert_eq!(
        (&*c4.queue, c4.state, c4.position),
        ("general", "waiting", Some(1))
    );

    let sales = e.queue_stats("sales").unwrap();
    assert_eq!(
        (
            sales.counters.offered,
            sales.counters.answered,
            sales.counters.completed
        ),
        (2, 1, 1)
    );
    assert_eq!(sales.counters.talk_us, 5_000_000);
    assert_eq!((sales.waiting, sales.offering), (0, 1));
    let general = e.queue_stats("general").unwrap();
    assert_eq!((general.counters.offered, general.waiting), (1, 1));
    let chat = e.queue_stats("chat").unwrap();
    assert_eq!((chat.counters.offered, chat.counters.answered), (1, 1));

    let a0 = e.agent_stats("a0").unwrap();
    assert_eq!((a0.offered, a0.handled, a0.talk), (1, 1, 5.0));
    let a2 = e.agent_stats("a2").unwrap();
    assert_eq!((a2.offered, a2.declined, a2.handled), (2, 1, 1));
    let a1 = e.agent_stats("a1").unwrap();
    assert_eq!(a1.not_ready, [("lunch".to_string(), 20.0)]);

    // the earliest timer: a0's wrap-up, 10 s after c1 ended at 16
    assert_eq!(e.next_deadline(), Some(26.0));
}

/// Where the golden file lives (tests run in the crate's directory).
fn golden_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN)
}

/// A snapshot of the previous format is refused by its version, not misread.
#[test]
fn the_previous_golden_is_refused_by_version() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN_V3);
    let old = std::fs::read(&path).unwrap();
    match Engine::restore(&old) {
        Err(EngineError::Snapshot(m)) => assert_eq!(
            m,
            format!("unsupported snapshot version 3 (this build reads {THIS_VERSION})")
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn scenario_reaches_the_state_described() {
    check_state(&scenario());
}

/// The golden snapshot of this format version restores into the state its scenario
/// describes, continues as that state must, and snapshots back to the same bytes.
/// `GOLDEN_WRITE=1` writes it from [`scenario`] first (see the module documentation).
#[test]
fn golden_snapshot_restores() {
    let path = golden_path();
    if std::env::var_os("GOLDEN_WRITE").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, scenario().snapshot()).unwrap();
    }
    let golden = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (GOLDEN_WRITE=1 makes it)", path.display()));
    let mut e = match Engine::restore(&golden) {
        Ok(e) => e,
        Err(err) => panic!(
            "the golden snapshot {} no longer restores: {err}. If the format changed on \
             purpose, bump the version and write a new golden (module documentation).",
            path.display()
        ),
    };
    check_state(&e);
    assert!(
        e.snapshot() == golden,
        "the golden snapshot restores but snapshots to other bytes: the format changed \
         without a version bump (see the module documentation)"
    );
    // a0's wrap-up ends at 26: it takes the call waiting for it, c4
    let decisions = e.advance(26.0).unwrap();
    assert!(
        decisions.iter().any(|d| matches!(d,
            Decision::Offer { call, agent, queue, expires, .. }
                if &**call == "c4" && &**agent == "a0" && &**queue == "general"
                    && *expires == 26.0 + 15.0)),
        "{decisions:?}"
    );
    e.audit().unwrap();
}

#[test]
fn header_is_as_documented() {
    let snap = scenario().snapshot();
    assert_eq!(&snap[..8], b"CRENGSNP");
    assert_eq!(
        u32::from_le_bytes(snap[8..12].try_into().unwrap()),
        THIS_VERSION
    );
    let body = &snap[24..];
    assert_eq!(
        u64::from_le_bytes(snap[12..20].try_into().unwrap()),
        body.len() as u64
    );
    assert_eq!(
        u32::from_le_bytes(snap[20..24].try_into().unwrap()),
        crc32(body)
    );
    // the documented layout, rebuilt independently, restores
    assert!(Engine::restore(&sealed(THIS_VERSION, body)).is_ok());
}

#[test]
fn other_versions_are_refused_by_name() {
    let snap = scenario().snapshot();
    let body = &snap[24..];
    for v in [0, 1, 2, THIS_VERSION + 1, 1000, u32::MAX] {
        assert_eq!(
            refusal(&sealed(v, body)),
            format!("unsupported snapshot version {v} (this build reads {THIS_VERSION})")
        );
    }
    // the format before the header: `CRENG\0\0` and a version byte, then the body
    let mut legacy = b"CRENG\0\0\x02".to_vec();
    legacy.extend(body);
    assert_eq!(
        refusal(&legacy),
        format!("unsupported snapshot version 2 (this build reads {THIS_VERSION})")
    );
    assert_eq!(refusal(b""), "not a callroute engine snapshot");
    assert_eq!(
        refusal(b"{\"engine\": 1}"),
        "not a callroute engine snapshot"
    );
}

#[test]
fn trailing_and_missing_bytes_are_refused() {
    let snap = scenario().snapshot();
    for junk in [&[0u8][..], b"\n", &[0xff; 100]] {
        let mut bytes = snap.clone();
        bytes.extend(junk);
        let m = refusal(&bytes);
        assert!(
            m.contains(&format!("followed by {} bytes", junk.len())),
            "{m}"
        );
    }
    for cut in [1, 10, snap.len() - 24] {
        let m = refusal(&snap[..snap.len() - cut]);
        assert!(m.starts_with("truncated engine snapshot"), "{m}");
    }
    for cut in [1, 12, 23] {
        assert!(Engine::restore(&snap[..cut]).is_err());
    }
    // junk inside a consistent header (length and checksum cover it): the body has bytes
    // the state does not use
    let mut body = snap[24..].to_vec();
    body.push(0);
    let m = refusal(&sealed(THIS_VERSION, &body));
    assert!(m.contains("1 bytes left over"), "{m}");
}

/// Every single-bit flip anywhere in a realistic snapshot (header included) is refused:
/// none restores into another state.
#[test]
fn every_single_bit_flip_is_refused() {
    let snap = scenario().snapshot();
    let mut refused = 0;
    for i in 0..snap.len() {
        for bit in 0..8 {
            let mut bytes = snap.clone();
            bytes[i] ^= 1 << bit;
            match Engine::restore(&bytes) {
                Err(EngineError::Snapshot(_)) => refused += 1,
                Err(e) => panic!("byte {i} bit {bit}: {e:?}"),
                Ok(_) => panic!("byte {i} bit {bit}: a flipped snapshot restored"),
            }
        }
    }
    assert_eq!(refused, snap.len() * 8);
    assert!(refused > 1000, "{refused}");
}

/// The bytes of the body of a new engine after its `calls` field: its length (0) and the
/// fields after it, all zero (no free slots, no timers, counters and seed 0).
const AFTER_CALLS: usize = 13;

/// A body of a new engine whose `calls` say `n` slots, all free (`None`, one byte each),
/// with no free list: decoding it would build `n` call slots of ~280 bytes each.
fn free_slots_body(n: usize) -> Vec<u8> {
    let empty = Engine::new(EngineOptions::default()).unwrap().snapshot();
    let body = &empty[24..];
    let at = body.len() - AFTER_CALLS;
    assert!(body[at - 8..].iter().all(|&b| b == 0), "layout: {body:?}");
    let mut out = body[..at].to_vec();
    let mut len = n as u64;
    while len >= 0x80 {
        out.push(len as u8 | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend(std::iter::repeat_n(0, n));
    out.extend(&body[at + 1..]);
    out
}

#[test]
fn crafted_expansion_is_refused() {
    // a few free slots decode (and are refused later, as they are in no free list)...
    let m = refusal(&sealed(THIS_VERSION, &free_slots_body(10)));
    assert!(m.contains("inconsistent"), "{m}");
    // ...a run of them that would decode to ~280 bytes per byte is refused while decoding
    let m = refusal(&sealed(THIS_VERSION, &free_slots_body(100_000)));
    assert!(m.contains("would decode to more than"), "{m}");
}

/// The allowance admits what real engines hold: call slots freed after a burst, each
/// restored to ~280 bytes from its 1-byte marker and its entry in the free list: 1 byte for
/// the first 128 slots, 2 up to 16,383 (the largest ratio a real
/// snapshot has), 3 beyond.
#[test]
fn an_engine_after_a_burst_restores() {
    for n in [128, 300, 16_384] {
        let mut e = Engine::new(EngineOptions::default()).unwrap();
        e.add_queue(QueueConfig::new("q", "t")).unwrap();
        for i in 0..n {
            e.call_arrived(&call(&format!("c{i}"), "q"), 1.0).unwrap();
        }
        for i in 0..n {
            e.call_abandoned(&format!("c{i}"), 2.0).unwrap();
        }
        let snap = e.snapshot();
        let restored = Engine::restore(&snap).unwrap_or_else(|err| panic!("{n} slots: {err}"));
        assert_eq!(restored.snapshot(), snap);
        assert_eq!(restored.totals().abandoned, n as u64);
    }
}
