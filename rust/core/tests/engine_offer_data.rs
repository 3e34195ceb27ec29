//! An offer carries the call's attached data, so the agent's screen can show it (issue 13).

use std::sync::Arc;

use callroute_core::acd::{AgentConfig, CallSpec, Decision, Engine, EngineOptions, QueueConfig};

fn data(d: &Decision) -> Option<Vec<(String, String)>> {
    match d {
        Decision::Offer { data, .. } => Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        _ => None,
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn every_offer_of_a_call_carries_its_data_in_order() {
    let mut e = Engine::new(EngineOptions::default()).unwrap();
    e.add_queue(QueueConfig::new("sales", "acme")).unwrap();
    e.add_queue(QueueConfig::new("vip", "acme")).unwrap();
    for a in ["a0", "a1"] {
        e.add_agent(AgentConfig::new(a, "acme")).unwrap();
    }
    let mut auto = AgentConfig::new("robot", "acme");
    auto.auto_answer = true;
    e.add_agent(auto).unwrap();
    let attached = pairs(&[("account", "123"), ("authenticated", "yes"), ("a", "")]);
    let spec = CallSpec {
        id: "c1".into(),
        queue: Some("sales".into()),
        data: attached.clone(),
        ..CallSpec::default()
    };
    // queued first: no offer yet
    assert!(e
        .call_arrived(&spec, 0.0)
        .unwrap()
        .iter()
        .all(|d| data(d).is_none()));
    // offered to a0 when ready
    let out = e.agent_ready("a0", 1.0).unwrap();
    assert_eq!(out.iter().find_map(data), Some(attached.clone()));
    // declined: offered again to a1, with the same data
    e.agent_ready("a1", 2.0).unwrap();
    let out = e.offer_declined("c1", 3.0).unwrap();
    assert_eq!(out.iter().find_map(data), Some(attached.clone()));
    // answered, then transferred: the auto-answer agent's offer carries it too
    e.offer_accepted("c1", 4.0).unwrap();
    e.agent_logout("a0", 4.2).unwrap(); // (declining left it ready)
    e.agent_ready("robot", 4.5).unwrap();
    let out = e.transfer("c1", 5.0, "vip").unwrap();
    let offer = out.iter().find(|d| matches!(d, Decision::Offer { .. }));
    match offer {
        Some(Decision::Offer {
            agent, auto_answer, ..
        }) => {
            assert_eq!(agent, &Arc::<str>::from("robot"));
            assert!(auto_answer);
        }
        other => panic!("no offer after the transfer: {out:?} ({other:?})"),
    }
    assert_eq!(out.iter().find_map(data), Some(attached));
}

#[test]
fn a_call_without_data_is_offered_with_none() {
    let mut e = Engine::new(EngineOptions::default()).unwrap();
    e.add_queue(QueueConfig::new("sales", "acme")).unwrap();
    e.add_agent(AgentConfig::new("a0", "acme")).unwrap();
    e.agent_ready("a0", 0.0).unwrap();
    let spec = CallSpec {
        id: "c1".into(),
        queue: Some("sales".into()),
        ..CallSpec::default()
    };
    let out = e.call_arrived(&spec, 1.0).unwrap();
    assert_eq!(out.iter().find_map(data), Some(Vec::new()));
}
