//! Property tests of the Erlang functions: bounds, monotonicity, consistency between the
//! models, and minimality of every staffing answer, over randomized inputs.

use callroute_core::erlang::*;
use proptest::prelude::*;

fn traffic() -> impl Strategy<Value = f64> {
    prop_oneof![0.01f64..10.0, 10.0f64..500.0, 500.0f64..10_000.0]
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        ((a - b) / b).abs()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn erlang_b_is_a_probability_falling_in_servers(a in traffic(), k in 0.0f64..3.0) {
        let n = (a * k).floor();
        let b0 = erlang_b(a, n).unwrap();
        let b1 = erlang_b(a, n + 1.0).unwrap();
        prop_assert!((0.0..=1.0).contains(&b0));
        prop_assert!(b1 <= b0);
        let parts = erlang_b_parts(a, n);
        prop_assert!((parts.b + parts.one_minus_b - 1.0).abs() <= 4.0 * f64::EPSILON);
        // the textbook recursion one step up
        let up = a * b0 / (n + 1.0 + a * b0);
        prop_assert!(rel(b1, up) < 1e-12 || b1 < 1e-290, "A={} n={} {} {}", a, n, b1, up);
    }

    #[test]
    fn fractional_servers_are_continuous_and_monotone(a in traffic(), x in 0.0f64..12_000.0) {
        let b = erlang_b(a, x).unwrap();
        let b_more = erlang_b(a, x + 0.37).unwrap();
        prop_assert!(b_more <= b * (1.0 + 1e-13));
        let near = erlang_b(a, x + 1e-7).unwrap();
        prop_assert!(rel(near, b) < 1e-4 || b < 1e-290);
    }

    #[test]
    fn delay_measures_are_consistent(a in traffic(), extra in 0.0f64..4.0, t in 0.0f64..600.0) {
        let n = (a + extra * a.sqrt()).floor() + 1.0;
        let (h, c, b) = (180.0, erlang_c(a, n).unwrap(), erlang_b(a, n).unwrap());
        prop_assert!(c >= b * (1.0 - 1e-13) && c <= 1.0);
        let sl = service_level(a, n, h, t).unwrap();
        prop_assert!((0.0..=1.0).contains(&sl));
        prop_assert!(sl + 1e-15 >= 1.0 - c);
        prop_assert!(service_level(a, n, h, t + 10.0).unwrap() >= sl - 1e-15);
        prop_assert!(service_level(a, n + 1.0, h, t).unwrap() >= sl - 1e-15);
        let w = asa(a, n, h).unwrap();
        prop_assert!(w >= 0.0);
        // Little's law: Lq = λ Wq
        prop_assert!(rel(queue_length(a, n).unwrap(), a / h * w) < 1e-12 || w == 0.0);
    }

    #[test]
    fn staffing_answers_are_minimal(a in traffic(), level in 0.05f64..0.99, t in 0.0f64..120.0) {
        let h = 200.0;
        let n = agents_for_service_level(a, h, t, level, None, false).unwrap();
        prop_assert!(service_level(a, n, h, t).unwrap() >= level);
        if n - 1.0 > a {
            prop_assert!(service_level(a, n - 1.0, h, t).unwrap() < level);
        }
        let x = agents_for_service_level(a, h, t, level, None, true).unwrap();
        prop_assert!(x > n - 1.0 && x <= n);
        let target_asa = 1.0 + t;
        let m = agents_for_asa(a, h, target_asa, None, false).unwrap();
        prop_assert!(asa(a, m, h).unwrap() <= target_asa);
        if m - 1.0 > a {
            prop_assert!(asa(a, m - 1.0, h).unwrap() > target_asa);
        }
    }

    #[test]
    fn blocking_answers_are_minimal(a in traffic(), exp in -12.0f64..-0.1) {
        let target = 10f64.powf(exp);
        let n = servers_for_blocking(a, target).unwrap();
        prop_assert!(erlang_b(a, n).unwrap() <= target);
        if n >= 1.0 {
            prop_assert!(erlang_b(a, n - 1.0).unwrap() > target);
        }
    }

    #[test]
    fn erlang_a_is_coherent(a in 0.01f64..2_000.0, k in 0.3f64..1.6, pat in 1.0f64..3_000.0,
                            t in 0.0f64..300.0) {
        let n = (a * k).ceil();
        let h = 180.0;
        let r = erlang_a(a, n, h, pat, Some(t), ServiceLevelDefinition::Offered).unwrap();
        for p in [r.p_wait, r.p_abandon, r.occupancy, r.service_level.unwrap()] {
            prop_assert!((0.0..=1.0 + 1e-12).contains(&p), "{:?}", r);
        }
        prop_assert!(r.p_abandon <= r.p_wait * (1.0 + 1e-12));
        prop_assert!(rel(r.mean_wait, r.queue_length * h / a) < 1e-9, "{:?}", r);
        prop_assert!(r.asa >= 0.0);
        let answered = erlang_a(a, n, h, pat, Some(t), ServiceLevelDefinition::Answered).unwrap();
        let early = erlang_a(a, n, h, pat, Some(t),
                             ServiceLevelDefinition::OfferedMinusEarlyAbandons).unwrap();
        let offered = r.service_level.unwrap();
        prop_assert!(answered.service_level.unwrap() >= offered * (1.0 - 1e-12));
        prop_assert!(early.service_level.unwrap() >= offered * (1.0 - 1e-12));
        // more agents never hurt
        let more = erlang_a(a, n + 1.0, h, pat, Some(t), ServiceLevelDefinition::Offered).unwrap();
        prop_assert!(more.service_level.unwrap() >= offered - 1e-12);
        prop_assert!(more.p_abandon <= r.p_abandon + 1e-15);
    }

    #[test]
    fn erlang_a_with_endless_patience_is_erlang_c(a in 0.5f64..500.0, extra in 0.5f64..3.0) {
        let n = (a + extra * a.sqrt()).ceil() + 1.0;
        let h = 100.0;
        let r = erlang_a(a, n, h, 1e9, Some(20.0), ServiceLevelDefinition::Offered).unwrap();
        let c = erlang_c(a, n).unwrap();
        prop_assert!((r.p_wait - c).abs() < 1e-5, "{} {}", r.p_wait, c);
        prop_assert!((r.service_level.unwrap() - service_level(a, n, h, 20.0).unwrap()).abs() < 1e-5);
    }
}

#[test]
fn bad_input_is_named() {
    let e = erlang_c(f64::NAN, 3.0).unwrap_err();
    assert_eq!(e.parameter(), Some("traffic"));
    assert_eq!(e.to_string(), "traffic must be finite and >= 0, got NaN");
    assert_eq!(erlang_c(1.0, -1.0).unwrap_err().parameter(), Some("agents"));
    assert_eq!(
        service_level(1.0, 2.0, 0.0, 3.0).unwrap_err().parameter(),
        Some("aht")
    );
    let e = agents_for_service_level(1.0, 10.0, 3.0, 1.0, None, false).unwrap_err();
    assert_eq!(e.parameter(), Some("level"));
    let e = erlang_a(
        1.0,
        2.0,
        3.0,
        f64::INFINITY,
        None,
        ServiceLevelDefinition::Offered,
    );
    assert_eq!(e.unwrap_err().parameter(), Some("patience"));
}
