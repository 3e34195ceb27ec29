//! The random strategies by distribution: the oracle checks that every random pick is one
//! the rules allow; here the picks' frequencies are checked against the rules
//! (`random`: uniform; `weighted_random`: weight / Σ weights).

use callroute_core::acd::{
    AgentConfig, CallSpec, Decision, Engine, EngineOptions, QueueConfig, Strategy,
};

/// Offer `n` calls one at a time with every agent free; count who gets each.
fn picks(strategy: Strategy, weights: &[f64], n: usize, seed: u64) -> Vec<usize> {
    let mut e = Engine::new(EngineOptions {
        seed,
        ..EngineOptions::default()
    })
    .unwrap();
    let mut q = QueueConfig::new("q", "t");
    q.strategy = strategy;
    e.add_queue(q).unwrap();
    for (i, w) in weights.iter().enumerate() {
        let mut a = AgentConfig::new(&format!("a{i}"), "t");
        a.weight = *w;
        e.add_agent(a).unwrap();
        e.agent_ready(&format!("a{i}"), 0.0).unwrap();
    }
    let mut counts = vec![0; weights.len()];
    for k in 0..n {
        let t = 1.0 + k as f64;
        let spec = CallSpec {
            id: format!("c{k}"),
            queue: Some("q".into()),
            ..CallSpec::default()
        };
        let ds = e.call_arrived(&spec, t).unwrap();
        let Some(Decision::Offer { agent, .. }) = ds.first() else {
            panic!("no offer: {ds:?}");
        };
        counts[agent[1..].parse::<usize>().unwrap()] += 1;
        e.offer_accepted(&spec.id, t).unwrap();
        e.call_ended(&spec.id, t + 0.5).unwrap();
    }
    counts
}

/// Each count within 5 standard deviations of n·p.
fn check(counts: &[usize], probs: &[f64]) {
    let n: usize = counts.iter().sum();
    for (c, p) in counts.iter().zip(probs) {
        let mean = n as f64 * p;
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (*c as f64 - mean).abs() < 5.0 * sd,
            "counts {counts:?} against probabilities {probs:?}"
        );
    }
}

#[test]
fn random_picks_uniformly() {
    for seed in [1, 2] {
        let counts = picks(Strategy::Random, &[1.0, 2.0, 3.0, 0.5], 12_000, seed);
        check(&counts, &[0.25; 4]);
    }
}

#[test]
fn weighted_random_picks_by_weight() {
    for seed in [1, 2] {
        let weights = [1.0, 2.0, 3.0, 0.5];
        let counts = picks(Strategy::WeightedRandom, &weights, 12_000, seed);
        let sum: f64 = weights.iter().sum();
        let probs: Vec<f64> = weights.iter().map(|w| w / sum).collect();
        check(&counts, &probs);
    }
}
