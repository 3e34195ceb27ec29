//! The predictive pacing rule, its confidence margin and the blending threshold against
//! independent computations: binomial sums taken term by term (the rule, the clusters'
//! dispersion), Poisson tails summed term by term (the allowance at a risk), and the
//! blended birth-death chain summed state by state (and cases worked by hand).

use callroute_core::erlang::service_level;
use callroute_core::outbound::*;
use proptest::prelude::*;

/// C(n, k) p^k q^(n-k), from the product formula (n is small here).
fn binom_pmf(n: u64, k: u64, p: f64) -> f64 {
    let mut c = 1.0f64;
    for i in 0..k {
        c = c * (n - i) as f64 / (i + 1) as f64;
    }
    c * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32)
}

/// E[(Bin(n, p) - f)+] as a plain sum over the outcomes.
fn expected_excess(n: u64, p: f64, f: f64) -> f64 {
    (0..=n)
        .map(|k| (k as f64 - f).max(0.0) * binom_pmf(n, k, p))
        .sum()
}

/// P(Poisson(lambda) = i) for i = 0..200, by the product formula from e^-lambda (lambda is
/// small here: the rest of the tail is far below 1e-30).
fn poisson_pmfs(lambda: f64) -> Vec<f64> {
    let mut out = vec![(-lambda).exp()];
    for i in 1..200 {
        let last = out[i - 1];
        out.push(last * lambda / i as f64);
    }
    out
}

/// The people abandoned, counted outcome by outcome: with k people answered and i inbound
/// calls, `(i - kept)+` of them take the campaign's agents first, and each answered person
/// beyond the `(f - (i - kept)+)+` agents left is abandoned.
fn expected_abandoned(n: u64, p: f64, f: f64, inbound: f64, kept: u32) -> f64 {
    let pi = poisson_pmfs(inbound);
    let mut total = 0.0;
    for (i, w) in pi.iter().enumerate() {
        let taken = (i as f64 - f64::from(kept)).max(0.0);
        let left = (f - taken).max(0.0);
        total += w
            * (0..=n)
                .map(|k| (k as f64 - left).max(0.0) * binom_pmf(n, k, p))
                .sum::<f64>();
    }
    total
}

/// The rule of OUT-SPEC.md with inbound (pacing.rs, "Inbound calls"), evaluated directly:
/// the largest n in [0, ceiling] whose expected abandoned is at most cap·n·p + budget,
/// never below the agents free now less the smallest c with P((I - kept)+ > c) <= cap/2.
fn reference(input: &PacingInput) -> (u64, impl Fn(u64) -> f64) {
    let p = input.answer_rate;
    let f = f64::from(input.free) + input.freeing;
    let ceiling = (input.max_lines_per_agent * f + 1e-9).floor() as u64;
    let (cap, budget) = (input.cap, input.budget);
    let (inbound, kept) = (input.inbound, input.kept);
    let slack =
        move |n: u64| expected_abandoned(n, p, f, inbound, kept) - cap * n as f64 * p - budget;
    let best = (0..=ceiling)
        .filter(|&n| slack(n) <= 0.0)
        .max()
        .unwrap_or(0);
    let pi = poisson_pmfs(inbound);
    let above = |c: u32| -> f64 {
        pi.iter()
            .enumerate()
            .filter(|&(i, _)| i as u64 > u64::from(kept) + u64::from(c))
            .map(|(_, w)| w)
            .sum()
    };
    let reserve = if inbound > 0.0 {
        (0..).find(|&c| above(c) <= cap / 2.0).unwrap()
    } else {
        0
    };
    let floor = u64::from(input.free.saturating_sub(reserve));
    (best.max(floor.min(ceiling)), slack)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn predictive_lines_match_direct_binomial_sums(
        p in 0.02f64..1.0,
        free in 0u32..20,
        freeing in prop_oneof![Just(0.0), 0.0f64..5.0],
        cap in 0.005f64..0.2,
        budget in prop_oneof![Just(0.0), -3.0f64..3.0, 0.0f64..0.5],
        ceiling in 1.0f64..4.0,
        inbound in prop_oneof![Just(0.0), 0.0f64..3.0, 0.0f64..0.3],
        kept in prop_oneof![Just(0u32), 0u32..4],
    ) {
        let input = PacingInput {
            answer_rate: p, free, freeing, cap, budget, max_lines_per_agent: ceiling,
            inbound, kept,
        };
        let got = predictive_lines(&input);
        let (want, slack) = reference(&input);
        if got != want {
            // only a tie at the boundary (|slack| at rounding level) may differ
            let (a, b) = (slack(got), slack(want));
            prop_assert!(a.abs() < 1e-9 || b.abs() < 1e-9,
                "{input:?}: got {got} (slack {a}), want {want} (slack {b})");
        }
    }
}

/// Inbound against a hand count: one agent free, p = 1 (every line answers), 0.5 inbound
/// calls expected within a ring: the one line is abandoned when any inbound call comes,
/// E = 1 - e^-0.5 = 0.3935; with no budget that is over 0.03·1, and the floor keeps the
/// agent back (P(I > 0) = 0.39 > 1.5 %, P(I > 1) = 0.090, P(I > 2) = 0.0144: 2 agents
/// reserved), so no line. Kept idle agents take the first inbound calls: with 3 kept, the
/// line is abandoned when 4 or more come, P = 1.75e-3, and the floor reserves none.
#[test]
fn inbound_hand_count() {
    let one = PacingInput {
        answer_rate: 1.0,
        free: 1,
        freeing: 0.0,
        cap: 0.03,
        budget: 0.0,
        max_lines_per_agent: 3.0,
        inbound: 0.5,
        kept: 0,
    };
    assert_eq!(predictive_lines(&one), 0);
    assert_eq!(inbound_reserve(0.5, 0, 0.03), 2);
    // a budget of 1 - e^-0.5 - 0.03 makes the line fit
    let need = 1.0 - (-0.5f64).exp() - 0.03;
    assert_eq!(
        predictive_lines(&PacingInput {
            budget: need + 1e-9,
            ..one
        }),
        1
    );
    assert_eq!(
        predictive_lines(&PacingInput {
            budget: need - 1e-6,
            ..one
        }),
        0
    );
    // three kept: P(I >= 4) = 1 - e^-0.5 (1 + 0.5 + 0.125 + 0.0208) = 1.7516e-3 <= 0.015
    assert_eq!(inbound_reserve(0.5, 3, 0.03), 0);
    assert_eq!(predictive_lines(&PacingInput { kept: 3, ..one }), 1);
    // no inbound: the reserve is nothing
    assert_eq!(inbound_reserve(0.0, 0, 0.03), 0);
}

#[test]
fn predictive_worked_example() {
    // one agent, p = 0.5, cap 0.03, no history: 2 lines give E[(Y-1)+] = P(Y=2) = 0.25
    // against 0.03·2·0.5 = 0.03: too many, so one line (the agent free now)
    let one = PacingInput {
        answer_rate: 0.5,
        free: 1,
        freeing: 0.0,
        cap: 0.03,
        budget: 0.0,
        max_lines_per_agent: 3.0,
        inbound: 0.0,
        kept: 0,
    };
    assert_eq!(predictive_lines(&one), 1);
    // a budget of 0.25 - 0.03 = 0.22 of spare abandonment makes two lines fit, exactly
    assert_eq!(
        predictive_lines(&PacingInput {
            budget: 0.22,
            ..one
        }),
        2
    );
    assert_eq!(
        predictive_lines(&PacingInput {
            budget: 0.219,
            ..one
        }),
        1
    );
    // ten agents at p = 0.2, ceiling 10 lines each: E[(Bin(n, .2) - 10)+] grows past
    // 0.03·n·0.2 between 10 and 50 lines
    let ten = PacingInput {
        answer_rate: 0.2,
        free: 10,
        max_lines_per_agent: 10.0,
        ..one
    };
    let n = predictive_lines(&ten);
    assert!(expected_excess(n, 0.2, 10.0) <= 0.03 * n as f64 * 0.2);
    assert!(expected_excess(n + 1, 0.2, 10.0) > 0.03 * (n + 1) as f64 * 0.2);
    assert!(n > 10 && n < 50, "{n}");
}

/// The blended chain summed state by state: busy agents + waiting inbound calls k >= s - t,
/// births at A (μ = 1), deaths min(k, s); P(wait) = P(k >= s).
fn chain_wait_probability(s: u32, t: u32, a: f64) -> f64 {
    let lo = s - t.min(s);
    let (mut w, mut total, mut waiting) = (1.0f64, 0.0f64, 0.0f64);
    let mut k = lo;
    loop {
        total += w;
        if k >= s {
            waiting += w;
        }
        if k > s + 10 && w < total * 1e-18 {
            break;
        }
        k += 1;
        w *= a / f64::from(k.min(s));
    }
    waiting / total
}

fn load(traffic: f64, answer_within: f64, target: f64) -> InboundLoad {
    InboundLoad {
        traffic,
        aht: 1.0,
        answer_within,
        target,
    }
}

#[test]
fn blending_hand_worked_case() {
    // s = 2, A = 1, answered within 0: SL = 1 - P(wait).
    // t = 0: the chain lives on k >= 2: every call waits -> SL 0.
    // t = 1: weights 1, 1/2, 1/4, ... on k = 1, 2, 3, ...: P(k >= 2) = 1/2.
    // t = 2: M/M/2 at 1 Erlang: C = 1/3.
    let l = load(1.0, 0.0, 0.5);
    let sl = |t| blended_service_level(2, t, &l).unwrap();
    assert!((sl(0) - 0.0).abs() < 1e-15);
    assert!((sl(1) - 0.5).abs() < 1e-15);
    assert!((sl(2) - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(blending_threshold(Blending::Auto, 2, Some(&l)).unwrap(), 1);
    let l6 = load(1.0, 0.0, 0.6);
    assert_eq!(blending_threshold(Blending::Auto, 2, Some(&l6)).unwrap(), 2);
    // unreachable: all agents kept
    let l9 = load(1.0, 0.0, 0.9);
    assert_eq!(blending_threshold(Blending::Auto, 2, Some(&l9)).unwrap(), 2);
    assert_eq!(blending_threshold(Blending::Fixed(5), 2, None).unwrap(), 2);
    assert_eq!(blending_threshold(Blending::Fixed(1), 2, None).unwrap(), 1);
    assert!(matches!(
        blending_threshold(Blending::Auto, 2, None),
        Err(DialerError::InvalidConfig(_))
    ));
    assert!(matches!(
        blending_threshold(Blending::Auto, 2, Some(&load(1.0, 0.0, 1.5))),
        Err(DialerError::InvalidConfig(_))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn blending_matches_the_chain(
        s in 1u32..40,
        load_share in 0.05f64..0.98,
        t_share in 0.0f64..=1.0,
        within in 0.0f64..0.5,
        target in 0.3f64..0.99,
    ) {
        let a = load_share * f64::from(s);
        let t = (t_share * f64::from(s)).round() as u32;
        let l = load(a, within, target);
        let decay = (-(f64::from(s) - a) * within).exp();
        let want = 1.0 - chain_wait_probability(s, t, a) * decay;
        let got = blended_service_level(s, t, &l).unwrap();
        prop_assert!((got - want).abs() < 1e-12, "s={s} A={a} t={t}: {got} vs {want}");
        // t = s is plain Erlang C
        let plain = service_level(a, f64::from(s), 1.0, within).unwrap();
        let all = blended_service_level(s, s, &l).unwrap();
        prop_assert!((all - plain).abs() < 1e-12);
        // the automatic threshold is the smallest t meeting the target (by the chain)
        let auto = blending_threshold(Blending::Auto, s, Some(&l)).unwrap();
        let first = (0..=s)
            .find(|&t| 1.0 - chain_wait_probability(s, t, a) * decay >= target)
            .unwrap_or(s);
        if auto != first {
            // only a tie at rounding level may differ
            let sl_at = |t| 1.0 - chain_wait_probability(s, t, a) * decay - target;
            prop_assert!(sl_at(auto).abs() < 1e-12 || sl_at(first).abs() < 1e-12);
        }
    }
}

/// P(Poisson(mu) > k), summed term by term in logs (ln j! as a running sum of ln i), for
/// an integer k >= 0: 1 - sum_{j <= k} e^(j ln mu - mu - ln j!).
fn poisson_above(mu: f64, k: u64) -> f64 {
    if mu == 0.0 {
        return 0.0;
    }
    let mut ln_fact = 0.0f64;
    let mut below = 0.0f64;
    for j in 0..=k {
        if j > 0 {
            ln_fact += (j as f64).ln();
        }
        below += (j as f64 * mu.ln() - mu - ln_fact).exp();
    }
    (1.0 - below).max(0.0)
}

/// The margin of pacing.rs: the allowance is the largest Poisson mean whose count exceeds
/// cap × answers with probability at most the risk (checked against the tail summed here),
/// never above cap × answers.
#[test]
fn abandon_allowance_is_the_largest_poisson_mean_within_the_risk() {
    for &limit in &[
        0.0, 0.02, 0.5, 1.0, 2.9999, 3.0, 7.5, 24.0, 100.0, 1_000.0, 4_000.0,
    ] {
        for &risk in &[0.001, 0.01, 0.05, 0.2, 0.5] {
            let a = abandon_allowance(limit, risk);
            let k = (limit + 1e-9).floor() as u64;
            let what = format!("limit {limit}, risk {risk}: allowance {a}");
            assert!(a >= 0.0 && a <= limit, "{what}");
            // (the sum here carries ~1e-9 of rounding at k = 4,000: tolerances above it)
            assert!(poisson_above(a, k) <= risk * (1.0 + 1e-6), "{what}");
            if a < limit {
                // a hair more and the risk is exceeded: the largest such mean
                let more = a * (1.0 + 1e-4) + 1e-12;
                assert!(poisson_above(more, k) > risk, "{what}");
            } else {
                // capped at cap × answers: the Poisson bound alone would allow more
                assert!(poisson_above(limit, k) <= risk, "{what}");
            }
        }
    }
    // worked by hand: k = 0, P(Poisson(mu) > 0) = 1 - e^-mu = r at mu = -ln(1 - r); with
    // cap × answers = 1 the cap binds nothing, the allowance is that mu
    let r: f64 = 0.05;
    assert!((abandon_allowance(0.999, r) - -(1.0 - r).ln()).abs() < 1e-12);
    // the margin grows about as z √limit (z = 1.645 at 5 %): within 10 % at 10,000
    let m = 10_000.0 - abandon_allowance(10_000.0, 0.05);
    assert!((m / (1.645 * 100.0) - 1.0).abs() < 0.1, "{m}");
}

/// The clusters' dispersion E[X²] / E[X], X = (Bin(n, p) - f)+, against the plain sums over
/// the outcomes; 1 where no line can be abandoned; n - f when every line answers.
#[test]
fn abandon_dispersion_matches_direct_binomial_sums() {
    for &(n, p, f) in &[
        (10u64, 0.3, 2.0),
        (20, 0.25, 3.5),
        (40, 0.5, 10.0),
        (60, 0.1, 0.0),
        (30, 0.9, 25.0),
        (50, 0.02, 4.0),
    ] {
        let (mut e1, mut e2) = (0.0, 0.0);
        for k in 0..=n {
            let x = (k as f64 - f).max(0.0);
            e1 += x * binom_pmf(n, k, p);
            e2 += x * x * binom_pmf(n, k, p);
        }
        let got = abandon_dispersion(n, p, f);
        assert!(
            (got - e2 / e1).abs() <= 1e-9 * (e2 / e1),
            "n {n}, p {p}, f {f}: {got} vs {}",
            e2 / e1
        );
        assert!(got >= 1.0);
    }
    assert_eq!(abandon_dispersion(5, 0.3, 5.0), 1.0);
    assert_eq!(abandon_dispersion(0, 0.3, 0.0), 1.0);
    assert!((abandon_dispersion(12, 1.0, 9.5) - 2.5).abs() < 1e-12);
}
