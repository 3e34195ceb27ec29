//! Comparing the engine with the reference: an input's result, then every statistic.

use callroute_core::acd::{AgentStats, Decision, Engine, EngineError};

use crate::reference::Reference;

type Out = Result<Vec<Decision>, EngineError>;

/// Errors agree in kind (and, for unknown and duplicate ids, in what was looked up).
fn same_error(a: &EngineError, b: &EngineError) -> bool {
    use EngineError as E;
    match (a, b) {
        (E::Unknown { kind: k, id: i }, E::Unknown { kind: l, id: j })
        | (E::Duplicate { kind: k, id: i }, E::Duplicate { kind: l, id: j }) => k == l && i == j,
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

pub fn results(got: &Out, want: &Out) -> Result<(), String> {
    match (got, want) {
        (Ok(g), Ok(w)) if g == w => Ok(()),
        (Ok(g), Ok(w)) => Err(format!(
            "decisions differ\n  engine:    {}\n  reference: {}",
            list(g),
            list(w)
        )),
        (Err(g), Err(w)) if same_error(g, w) => Ok(()),
        _ => Err(format!(
            "outcomes differ\n  engine:    {}\n  reference: {}",
            show(got),
            show(want)
        )),
    }
}

fn show(o: &Out) -> String {
    match o {
        Ok(d) => list(d),
        Err(e) => format!("error {e:?}"),
    }
}

fn list(ds: &[Decision]) -> String {
    let v: Vec<String> = ds.iter().map(|d| format!("{d:?}")).collect();
    format!("[\n    {}\n  ]", v.join(",\n    "))
}

fn differ<T: std::fmt::Debug + PartialEq>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what} differs\n  engine:    {got:?}\n  reference: {want:?}"
        ))
    }
}

/// Agent statistics with the not-ready reasons in name order and NaN equal to NaN.
fn agent_stats(mut s: AgentStats) -> (AgentStats, bool) {
    s.not_ready.sort_by(|x, y| x.0.cmp(&y.0));
    let nan = s.occupancy.is_nan();
    if nan {
        s.occupancy = 0.0;
    }
    (s, nan)
}

/// What is cheap to compare after every event: the clock, totals, next deadline.
pub fn quick(e: &Engine, r: &Reference) -> Result<(), String> {
    differ("now", e.now(), r.now_secs())?;
    differ("totals", e.totals(), r.totals())?;
    differ("next_deadline", e.next_deadline(), r.next_deadline())
}

/// Every statistic and query of the two routers must agree.
pub fn compare(e: &Engine, r: &Reference) -> Result<(), String> {
    quick(e, r)?;
    differ("queue ids", e.queue_ids(), r.queue_ids())?;
    differ("agent ids", e.agent_ids(), r.agent_ids())?;
    let calls = e.call_ids();
    differ("call ids", &calls, &r.call_ids())?;
    for c in &calls {
        differ(&format!("call_info({c})"), e.call_info(c), r.call_info(c))?;
    }
    for q in &e.queue_ids() {
        differ(
            &format!("queue_stats({q})"),
            e.queue_stats(q),
            r.queue_stats(q),
        )?;
        differ(
            &format!("interval_stats({q})"),
            e.interval_stats(q),
            r.interval_stats(q),
        )?;
    }
    for a in &e.agent_ids() {
        differ(
            &format!("agent_state({a})"),
            e.agent_state(a),
            r.agent_state(a),
        )?;
        differ(
            &format!("agent_stats({a})"),
            e.agent_stats(a).map(agent_stats),
            r.agent_stats(a).map(agent_stats),
        )?;
    }
    r.conserving()
        .map_err(|m| format!("the rules' work conservation: {m}"))
}
