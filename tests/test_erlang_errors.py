"""Bad input to the Erlang API: ParameterError naming the parameter (and the array index).

Plus a hypothesis fuzz of every function with arbitrary floats (nan, inf, negatives, huge,
subnormal): the only acceptable outcomes are a ParameterError or a valid result
(probabilities in [0, 1], waits and lengths >= 0, integer staffing >= 0), never another
exception, a NaN or a hang. And a fuzz by domain: inputs all inside their domain always
answer in range, and one input outside its domain always raises the ParameterError naming it.
"""

from __future__ import annotations

import faulthandler
import functools
import inspect
import multiprocessing
import os
import re
import tempfile
import time
import traceback

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st


@pytest.fixture(autouse=True)
def _watchdog():
    """A call that never returns (e.g. a search that loops forever inside Rust, holding the
    GIL) cannot be interrupted from Python: dump the stacks and exit instead of hanging CI."""
    faulthandler.dump_traceback_later(300, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


NAN = float("nan")
INF = float("inf")


def test_exception_hierarchy(cr):
    assert issubclass(cr.CallrouteError, Exception)
    assert issubclass(cr.ParameterError, cr.CallrouteError)
    assert issubclass(cr.ParameterError, ValueError)


# (call, parameter name) for scalar bad inputs
def _bad_calls():
    c = []

    def add(label, param, fn):
        c.append(pytest.param(fn, param, id=label))

    for v, tag in [(-1.0, "neg"), (NAN, "nan"), (-1e-300, "tinyneg"), (-INF, "-inf")]:
        add(f"erlang_b-traffic={tag}", "traffic", lambda cr, v=v: cr.erlang_b(v, 5))
        add(f"erlang_c-traffic={tag}", "traffic", lambda cr, v=v: cr.erlang_c(v, 5))
        add(
            f"service_level-traffic={tag}",
            "traffic",
            lambda cr, v=v: cr.service_level(v, 5, 180, 20),
        )
        add(f"asa-traffic={tag}", "traffic", lambda cr, v=v: cr.asa(v, 5, 180))
        add(f"occupancy-traffic={tag}", "traffic", lambda cr, v=v: cr.erlang.occupancy(v, 5))
        add(f"queue_length-traffic={tag}", "traffic", lambda cr, v=v: cr.erlang.queue_length(v, 5))
        add(
            f"wait_quantile-traffic={tag}",
            "traffic",
            lambda cr, v=v: cr.erlang.wait_quantile(v, 5, 180, 0.8),
        )
        add(
            f"agents_for_blocking-traffic={tag}",
            "traffic",
            lambda cr, v=v: cr.erlang.agents_for_blocking(v, 0.01),
        )
        add(
            f"retrial-traffic={tag}",
            "traffic",
            lambda cr, v=v: cr.erlang.erlang_b_retrial(v, 5, 0.5),
        )
        add(f"erlang_a-traffic={tag}", "traffic", lambda cr, v=v: cr.erlang_a(v, 5, 180, 60))
        add(
            f"agents_for_service_level-traffic={tag}",
            "traffic",
            lambda cr, v=v: cr.agents_for_service_level(v, 180, 20, 0.8),
        )
        add(
            f"agents_for_asa-traffic={tag}",
            "traffic",
            lambda cr, v=v: cr.erlang.agents_for_asa(v, 180, 20),
        )
        add(
            f"agents_for_erlang_a-traffic={tag}",
            "traffic",
            lambda cr, v=v: cr.erlang.agents_for_erlang_a(v, 180, 60, target=20, level=0.8),
        )
    for v, tag in [(-1.0, "neg"), (NAN, "nan"), (-0.5, "neghalf")]:
        add(f"erlang_b-agents={tag}", "agents", lambda cr, v=v: cr.erlang_b(10, v))
        add(
            f"retrial-agents={tag}",
            "agents",
            lambda cr, v=v: cr.erlang.erlang_b_retrial(10, v, 0.5),
        )
        add(f"erlang_c-agents={tag}", "agents", lambda cr, v=v: cr.erlang_c(10, v))
        add(
            f"service_level-agents={tag}",
            "agents",
            lambda cr, v=v: cr.service_level(10, v, 180, 20),
        )
        add(f"asa-agents={tag}", "agents", lambda cr, v=v: cr.asa(10, v, 180))
        add(f"occupancy-agents={tag}", "agents", lambda cr, v=v: cr.erlang.occupancy(10, v))
        add(f"queue_length-agents={tag}", "agents", lambda cr, v=v: cr.erlang.queue_length(10, v))
        add(
            f"wait_quantile-agents={tag}",
            "agents",
            lambda cr, v=v: cr.erlang.wait_quantile(10, v, 180, 0.8),
        )
        add(f"erlang_a-agents={tag}", "agents", lambda cr, v=v: cr.erlang_a(10, v, 180, 60))
    for v, tag in [(0.0, "zero"), (-180.0, "neg"), (NAN, "nan"), (-0.0, "negzero")]:
        add(f"service_level-aht={tag}", "aht", lambda cr, v=v: cr.service_level(10, 12, v, 20))
        add(f"asa-aht={tag}", "aht", lambda cr, v=v: cr.asa(10, 12, v))
        add(
            f"wait_quantile-aht={tag}",
            "aht",
            lambda cr, v=v: cr.erlang.wait_quantile(10, 12, v, 0.8),
        )
        add(f"erlang_a-aht={tag}", "aht", lambda cr, v=v: cr.erlang_a(10, 12, v, 60))
        add(
            f"agents_for_service_level-aht={tag}",
            "aht",
            lambda cr, v=v: cr.agents_for_service_level(10, v, 20, 0.8),
        )
        add(f"agents_for_asa-aht={tag}", "aht", lambda cr, v=v: cr.erlang.agents_for_asa(10, v, 20))
        add(
            f"agents_for_erlang_a-aht={tag}",
            "aht",
            lambda cr, v=v: cr.erlang.agents_for_erlang_a(10, v, 60, target=20, level=0.8),
        )
    for v, tag in [(0.0, "zero"), (1.0, "one"), (-0.2, "neg"), (1.5, "big"), (NAN, "nan")]:
        add(
            f"agents_for_service_level-level={tag}",
            "level",
            lambda cr, v=v: cr.agents_for_service_level(10, 180, 20, v),
        )
        add(
            f"agents_for_erlang_a-level={tag}",
            "level",
            lambda cr, v=v: cr.erlang.agents_for_erlang_a(10, 180, 60, target=20, level=v),
        )
        add(f"wait_quantile-q={tag}", "q", lambda cr, v=v: cr.erlang.wait_quantile(10, 12, 180, v))
        add(
            f"agents_for_blocking-blocking={tag}",
            "blocking",
            lambda cr, v=v: cr.erlang.agents_for_blocking(10, v),
        )
    for v, tag in [(1.0, "one"), (-0.1, "neg"), (NAN, "nan"), (2.0, "two")]:
        add(
            f"retrial-retry_fraction={tag}",
            "retry_fraction",
            lambda cr, v=v: cr.erlang.erlang_b_retrial(10, 12, v),
        )
    for v, tag in [(0.0, "zero"), (-60.0, "neg"), (NAN, "nan")]:
        add(f"erlang_a-patience={tag}", "patience", lambda cr, v=v: cr.erlang_a(10, 12, 180, v))
    for v, tag in [("bogus", "bogus"), ("Offered", "case"), ("", "empty")]:
        add(
            f"erlang_a-sl_definition={tag}",
            "sl_definition",
            lambda cr, v=v: cr.erlang_a(10, 12, 180, 60, target=20, sl_definition=v),
        )
        add(
            f"agents_for_erlang_a-sl_definition={tag}",
            "sl_definition",
            lambda cr, v=v: cr.erlang.agents_for_erlang_a(
                10, 180, 60, target=20, level=0.8, sl_definition=v
            ),
        )
    return c


@pytest.mark.parametrize(("call", "param"), _bad_calls())
def test_bad_scalar_raises_parameter_error(cr, call, param):
    with pytest.raises(cr.ParameterError) as info:
        call(cr)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, cr.CallrouteError)
    msg = str(info.value)
    assert re.search(rf"\b{re.escape(param)}\b", msg), f"message does not name {param!r}: {msg!r}"


def test_message_format_example(cr):
    """The documented example: `traffic must be finite and >= 0, got nan (at index (3,))`."""
    with pytest.raises(cr.ParameterError) as info:
        cr.erlang_b(np.array([1.0, 2.0, 3.0, NAN, -1.0]), 5)
    msg = str(info.value)
    assert "traffic" in msg
    assert "nan" in msg.lower()
    assert "(3,)" in msg, msg


@pytest.mark.parametrize(
    ("call", "param", "index"),
    [
        pytest.param(
            lambda cr: cr.erlang_c(np.array([1.0, 2.0, -3.0, -4.0]), 5),
            "traffic",
            "(2,)",
            id="erlang_c-traffic",
        ),
        pytest.param(
            lambda cr: cr.erlang_b(10.0, np.array([[1.0, 2.0], [3.0, -1.0]])),
            "agents",
            "(1, 1)",
            id="erlang_b-agents-2d",
        ),
        pytest.param(
            lambda cr: cr.service_level(10.0, 12.0, np.array([180.0, 0.0]), 20.0),
            "aht",
            "(1,)",
            id="sl-aht",
        ),
        pytest.param(
            lambda cr: cr.erlang.wait_quantile(10.0, 12.0, 180.0, np.array([0.5, 0.9, 1.0])),
            "q",
            "(2,)",
            id="wq-q",
        ),
        pytest.param(
            lambda cr: cr.agents_for_service_level(
                10.0, 180.0, 20.0, np.array([0.8, 0.9, 1.2, 0.0])
            ),
            "level",
            "(2,)",
            id="afsl-level",
        ),
        pytest.param(
            lambda cr: cr.erlang_a(10.0, 12.0, 180.0, np.array([60.0, -1.0])),
            "patience",
            "(1,)",
            id="ea-patience",
        ),
        pytest.param(
            lambda cr: cr.asa(np.array([[1.0], [NAN]]), np.array([5.0, 6.0]), 180.0),
            "traffic",
            "(1, 0)",
            id="asa-2d",
        ),
        pytest.param(
            lambda cr: cr.erlang.agents_for_blocking(5.0, [0.1, 0.0, 2.0]),
            "blocking",
            "(1,)",
            id="sfb-blocking-list",
        ),
    ],
)
def test_bad_array_names_first_index(cr, call, param, index):
    with pytest.raises(cr.ParameterError) as info:
        call(cr)
    msg = str(info.value)
    assert re.search(rf"\b{re.escape(param)}\b", msg), f"message does not name {param!r}: {msg!r}"
    assert index in msg, f"message does not give the first bad index {index}: {msg!r}"


def test_non_numeric_input(cr):
    # strings or None are not numbers: a ParameterError (or TypeError) but never a crash
    for bad in ("ten", None):
        with pytest.raises((cr.ParameterError, TypeError)):
            cr.erlang_b(bad, 5)


# --------------------------------------------------------------------------------------------
# fuzz

SPECIAL = [
    0.0,
    -0.0,
    1e-300,
    5e-324,
    1e-9,
    0.5,
    0.999999,
    1.0,
    1.5,
    10.0,
    95.0,
    180.0,
    1e4,
    1e6,
    1e12,
    1e300,
    1.7976931348623157e308,
    -1.0,
    -1e300,
    NAN,
    INF,
    -INF,
]
anyfloat = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(SPECIAL))
unit = st.one_of(st.floats(min_value=-0.5, max_value=1.5), st.sampled_from(SPECIAL))

FUZZ = settings(
    max_examples=120,
    deadline=5000,  # ms per example: a search that crawls over 1e300 servers shows up here
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: keep it fast
)


def _prob(v, what):
    assert isinstance(v, float), f"{what}: {v!r} is not a float"
    assert 0.0 <= v <= 1.0, f"{what}: {v!r} is not a probability"


def _nonneg(v, what):
    assert isinstance(v, float), f"{what}: {v!r} is not a float"
    assert v >= 0.0, f"{what}: {v!r} is negative or nan"


def _count(v, what):
    assert isinstance(v, int), f"{what}: {v!r} is not an int"
    assert v >= 0, what


# --- hang detection -------------------------------------------------------------------------
# A call that never returns inside Rust cannot be interrupted from Python.  Each fuzz test
# therefore runs in a forked child; before every call the child records the call in a file,
# so that when the child has to be killed the failure names the exact input that hung.

_LAST_CALL_FILE: str | None = None
PER_CALL_SECONDS = 20
TOTAL_SECONDS = 300


def _record(what: str) -> None:
    if _LAST_CALL_FILE is not None:
        with open(_LAST_CALL_FILE, "w") as f:
            f.write(what)


def _child(test_fn, path, conn):
    global _LAST_CALL_FILE
    _LAST_CALL_FILE = path
    try:
        import callroute

        test_fn(callroute)
    except BaseException:
        conn.send(traceback.format_exc())
    else:
        conn.send(None)
    finally:
        conn.close()


def isolated(test_fn):
    """Run a hypothesis test in a forked child; a hang fails with the offending call.

    The child rewrites the call record before every call, so a record older than
    PER_CALL_SECONDS while the child is alive means that one call has not returned.
    """

    @functools.wraps(test_fn)
    def wrapper(cr):
        ctx = multiprocessing.get_context("fork")
        fd, path = tempfile.mkstemp(prefix="callroute-fuzz-")
        os.close(fd)
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(test_fn, path, child))
        started = time.monotonic()

        def last_call():
            with open(path) as f:
                return f.read() or "<before the first call>"

        try:
            proc.start()
            child.close()
            while not parent.poll(0.5):
                if not proc.is_alive():
                    proc.join()
                    pytest.fail(f"child process died (exit code {proc.exitcode}) in {last_call()}")
                if time.time() - os.path.getmtime(path) > PER_CALL_SECONDS:
                    pytest.fail(f"hang: {last_call()} did not return within {PER_CALL_SECONDS} s")
                if time.monotonic() - started > TOTAL_SECONDS:
                    pytest.fail(f"fuzz run exceeded {TOTAL_SECONDS} s; last call {last_call()}")
            err = parent.recv()
            if err is not None:
                pytest.fail(f"fuzz failure (in a child process):\n{err}", pytrace=False)
        finally:
            if proc.is_alive():
                proc.kill()
            proc.join()
            os.unlink(path)

    # pytest must see a plain (cr) signature, not hypothesis' wrapped one
    wrapper.__signature__ = inspect.Signature(
        [inspect.Parameter("cr", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    )
    del wrapper.__wrapped__
    return wrapper


def _run(cr, fn, check, what):
    _record(what)
    try:
        out = fn()
    except cr.ParameterError:
        return
    check(out, what)


def _run_staffing(cr, fn, check, what):
    """Staffing searches and Erlang A may also say the question has no answer in reach
    (InfeasibleError, the package's documented CallrouteError/ValueError for that)."""
    infeasible = getattr(cr, "InfeasibleError", cr.ParameterError)
    _record(what)
    try:
        out = fn()
    except (cr.ParameterError, infeasible):
        return
    check(out, what)


@isolated
@FUZZ
@given(a=anyfloat, n=anyfloat)
def test_fuzz_erlang_b(cr, a, n):
    _run(cr, lambda: cr.erlang_b(a, n), _prob, f"erlang_b({a!r}, {n!r})")


@isolated
@FUZZ
@given(a=anyfloat, n=anyfloat)
def test_fuzz_erlang_c_occupancy_queue(cr, a, n):
    _run(cr, lambda: cr.erlang_c(a, n), _prob, f"erlang_c({a!r}, {n!r})")
    _run(cr, lambda: cr.erlang.occupancy(a, n), _prob, f"occupancy({a!r}, {n!r})")
    _run(cr, lambda: cr.erlang.queue_length(a, n), _nonneg, f"queue_length({a!r}, {n!r})")


@isolated
@FUZZ
@given(a=anyfloat, n=anyfloat, aht=anyfloat, t=anyfloat)
def test_fuzz_service_level_asa(cr, a, n, aht, t):
    _run(
        cr,
        lambda: cr.service_level(a, n, aht, t),
        _prob,
        f"service_level({a!r}, {n!r}, {aht!r}, {t!r})",
    )
    _run(cr, lambda: cr.asa(a, n, aht), _nonneg, f"asa({a!r}, {n!r}, {aht!r})")


@isolated
@FUZZ
@given(a=anyfloat, n=anyfloat, aht=anyfloat, q=unit)
def test_fuzz_wait_quantile(cr, a, n, aht, q):
    _run(
        cr,
        lambda: cr.erlang.wait_quantile(a, n, aht, q),
        _nonneg,
        f"wait_quantile({a!r}, {n!r}, {aht!r}, {q!r})",
    )


@isolated
@FUZZ
@given(a=anyfloat, b=unit)
def test_fuzz_servers_for_blocking(cr, a, b):
    _run_staffing(
        cr,
        lambda: cr.erlang.agents_for_blocking(a, b),
        _count,
        f"agents_for_blocking({a!r}, {b!r})",
    )


@isolated
@FUZZ
@given(a=anyfloat, n=anyfloat, r=unit)
def test_fuzz_erlang_b_retrial(cr, a, n, r):
    what = f"erlang_b_retrial({a!r}, {n!r}, {r!r})"

    def check(res, what):
        _prob(res.blocking, f"{what}.blocking")
        _nonneg(res.offered_load, f"{what}.offered_load")
        assert res.offered_load >= a * (1 - 1e-12), f"{what}: offered_load < traffic"

    _run(cr, lambda: cr.erlang.erlang_b_retrial(a, n, r), check, what)


def _check_a(res, what, with_target=True):
    _prob(res.p_wait, f"{what}.p_wait")
    _prob(res.p_abandon, f"{what}.p_abandon")
    _prob(res.occupancy, f"{what}.occupancy")
    _nonneg(res.asa, f"{what}.asa")
    _nonneg(res.mean_wait, f"{what}.mean_wait")
    _nonneg(res.queue_length, f"{what}.queue_length")
    if with_target:
        _prob(res.service_level, f"{what}.service_level")


@isolated
@FUZZ
@given(
    a=anyfloat,
    n=anyfloat,
    aht=anyfloat,
    pat=anyfloat,
    t=anyfloat,
    d=st.sampled_from(["offered", "answered", "offered_minus_early_abandons"]),
)
def test_fuzz_erlang_a(cr, a, n, aht, pat, t, d):
    what = f"erlang_a({a!r}, {n!r}, {aht!r}, {pat!r}, target={t!r}, sl_definition={d!r})"
    _run_staffing(
        cr, lambda: cr.erlang_a(a, n, aht, pat, target=t, sl_definition=d), _check_a, what
    )


@isolated
@FUZZ
@given(
    a=anyfloat,
    aht=anyfloat,
    t=anyfloat,
    lvl=unit,
    occ=st.one_of(st.none(), unit),
    frac=st.booleans(),
)
def test_fuzz_agents_for_service_level(cr, a, aht, t, lvl, occ, frac):
    what = (
        f"agents_for_service_level({a!r}, {aht!r}, {t!r}, {lvl!r}, "
        f"max_occupancy={occ!r}, fractional={frac})"
    )
    check = _nonneg if frac else _count
    _run_staffing(
        cr,
        lambda: cr.agents_for_service_level(a, aht, t, lvl, max_occupancy=occ, fractional=frac),
        check,
        what,
    )


@isolated
@FUZZ
@given(a=anyfloat, aht=anyfloat, w=anyfloat, occ=st.one_of(st.none(), unit), frac=st.booleans())
def test_fuzz_agents_for_asa(cr, a, aht, w, occ, frac):
    what = f"agents_for_asa({a!r}, {aht!r}, {w!r}, max_occupancy={occ!r}, fractional={frac})"
    check = _nonneg if frac else _count
    _run_staffing(
        cr,
        lambda: cr.erlang.agents_for_asa(a, aht, w, max_occupancy=occ, fractional=frac),
        check,
        what,
    )


@isolated
@settings(
    max_examples=60,
    deadline=10000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: keep it fast
)
@given(
    a=anyfloat,
    aht=anyfloat,
    pat=anyfloat,
    t=st.one_of(st.none(), anyfloat),
    lvl=st.one_of(st.none(), unit),
    ab=st.one_of(st.none(), unit),
)
def test_fuzz_agents_for_erlang_a(cr, a, aht, pat, t, lvl, ab):
    what = (
        f"agents_for_erlang_a({a!r}, {aht!r}, {pat!r}, target={t!r}, level={lvl!r}, "
        f"max_abandon={ab!r})"
    )
    _run_staffing(
        cr,
        lambda: cr.erlang.agents_for_erlang_a(a, aht, pat, target=t, level=lvl, max_abandon=ab),
        _count,
        what,
    )


@isolated
@FUZZ
@given(
    a=st.lists(anyfloat, min_size=1, max_size=5),
    n=st.lists(
        st.one_of(st.floats(min_value=-2, max_value=200), st.just(NAN)), min_size=1, max_size=5
    ),
)
def test_fuzz_array_inputs(cr, a, n):
    """Arrays with some bad entries: ParameterError, or an all-valid array (shape permitting)."""
    arr_a = np.array(a)[:, None]
    arr_n = np.array(n)[None, :]
    for name in ("erlang_b", "erlang_c", "occupancy"):
        try:
            out = getattr(cr, name)(arr_a, arr_n)
        except cr.ParameterError:
            continue
        assert out.shape == (len(a), len(n))
        assert out.dtype == np.float64
        assert np.all((out >= 0) & (out <= 1)), (name, a, n, out)
    for bad in (arr_a, arr_n):
        if np.any(np.isnan(bad)) or np.any(bad < 0):
            with pytest.raises(cr.ParameterError):
                cr.erlang_c(arr_a, arr_n)


# --- fuzz by domain: valid input always answers in range, invalid input always raises --------
# (the fuzz above draws from both domains at once, so it accepts a ParameterError anywhere)

traffic_ok = st.floats(min_value=0.0, max_value=1e4)
positive_ok = st.floats(min_value=0.0, max_value=1e4, exclude_min=True)  # aht
# Erlang A also needs agents * patience / aht within float range: times in [1 ms, 1e4 s]
seconds_ok = st.floats(min_value=1e-3, max_value=1e4)
target_ok = st.floats(min_value=0.0, max_value=1e4)
q_ok = st.floats(min_value=0.0, max_value=1.0, exclude_min=True, exclude_max=True)


@st.composite
def stable_load(draw):
    """(traffic, agents) with agents in [traffic + 1, 2 traffic + 10]: a stable queue."""
    a = draw(traffic_ok)
    return a, draw(st.floats(min_value=a + 1, max_value=2 * a + 10))


def _answer(what, fn):
    _record(what)
    return fn()


def _finite_nonneg(v, what):
    _nonneg(v, what)
    assert v < INF, f"{what}: {v!r} is infinite for a stable queue"


@isolated
@FUZZ
@given(load=stable_load(), aht=positive_ok, t=target_ok, q=q_ok, a_aht=seconds_ok, pat=seconds_ok)
def test_fuzz_valid_domain_answers_in_range(cr, load, aht, t, q, a_aht, pat):
    a, n = load
    b = _answer(f"erlang_b({a!r}, {n!r})", lambda: cr.erlang_b(a, n))
    c = _answer(f"erlang_c({a!r}, {n!r})", lambda: cr.erlang_c(a, n))
    _prob(b, f"erlang_b({a!r}, {n!r})")
    _prob(c, f"erlang_c({a!r}, {n!r})")
    # C = B / (1 - (a/n)(1 - B)) >= B; equal up to rounding when a/n is tiny
    assert c >= b * (1 - 1e-12), f"erlang_c({a!r}, {n!r}) = {c!r} < erlang_b = {b!r}"
    occ = _answer(f"occupancy({a!r}, {n!r})", lambda: cr.erlang.occupancy(a, n))
    _prob(occ, f"occupancy({a!r}, {n!r})")
    assert occ == pytest.approx(a / n, rel=1e-12)
    _finite_nonneg(
        _answer(f"queue_length({a!r}, {n!r})", lambda: cr.erlang.queue_length(a, n)),
        f"queue_length({a!r}, {n!r})",
    )
    what = f"service_level({a!r}, {n!r}, {aht!r}, {t!r})"
    sl = _answer(what, lambda: cr.service_level(a, n, aht, t))
    _prob(sl, what)
    assert sl >= 1.0 - c - 1e-12, f"{what} = {sl!r} < 1 - erlang_c = {1.0 - c!r}"
    what = f"asa({a!r}, {n!r}, {aht!r})"
    _finite_nonneg(_answer(what, lambda: cr.asa(a, n, aht)), what)
    what = f"wait_quantile({a!r}, {n!r}, {aht!r}, {q!r})"
    _finite_nonneg(_answer(what, lambda: cr.erlang.wait_quantile(a, n, aht, q)), what)
    what = f"erlang_a({a!r}, {n!r}, {a_aht!r}, {pat!r}, target={t!r})"
    _check_a(_answer(what, lambda: cr.erlang_a(a, n, a_aht, pat, target=t)), what)


# bad values per parameter (all else valid): NaN, infinities, and below the domain
_nonneg_bad = st.one_of(st.floats(max_value=-5e-324), st.sampled_from([NAN, INF]))
_positive_bad = st.one_of(st.floats(max_value=0.0), st.sampled_from([NAN, INF, -0.0]))
_BAD = {
    "traffic": _nonneg_bad,
    "servers": _nonneg_bad,
    "agents": _nonneg_bad,
    "target": _nonneg_bad,
    "aht": _positive_bad,
    "patience": _positive_bad,
    "q": st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0), st.just(NAN)),
}
_PARAMS = {
    "erlang_b": ("traffic", "agents"),
    "erlang_c": ("traffic", "agents"),
    "occupancy": ("traffic", "agents"),
    "queue_length": ("traffic", "agents"),
    "service_level": ("traffic", "agents", "aht", "target"),
    "asa": ("traffic", "agents", "aht"),
    "wait_quantile": ("traffic", "agents", "aht", "q"),
    "erlang_a": ("traffic", "agents", "aht", "patience", "target"),
}


@st.composite
def invalid_call(draw):
    """(function, keyword arguments, the one parameter given a value outside its domain)."""
    name = draw(st.sampled_from(sorted(_PARAMS)))
    a, n = draw(stable_load())
    good = {"traffic": a, "servers": n, "agents": n, "aht": draw(seconds_ok)}
    good.update(target=draw(target_ok), patience=draw(seconds_ok), q=draw(q_ok))
    kwargs = {p: good[p] for p in _PARAMS[name]}
    bad = draw(st.sampled_from(_PARAMS[name]))
    kwargs[bad] = draw(_BAD[bad])
    return name, kwargs, bad


@isolated
@FUZZ
@given(call=invalid_call())
def test_fuzz_invalid_domain_always_raises(cr, call):
    name, kwargs, bad = call
    what = f"{name}(**{kwargs!r})"
    _record(what)
    with pytest.raises(cr.ParameterError) as info:
        getattr(cr, name)(**kwargs)
    msg = str(info.value)
    assert re.search(rf"\b{bad}\b", msg), f"{what}: message does not name {bad!r}: {msg!r}"


def test_no_nan_at_extremes(cr):
    """A few hand-picked extremes that often produce NaN (inf/inf, 0*inf, exp overflow)."""
    calls = {
        "erlang_b(1e300, 1)": lambda: cr.erlang_b(1e300, 1.0),
        "erlang_b(1e-300, 1e-300)": lambda: cr.erlang_b(1e-300, 1e-300),
        "erlang_b(1e6, 1e6)": lambda: cr.erlang_b(1e6, 1e6),
        "erlang_c(1e6, 1e6 + 1)": lambda: cr.erlang_c(1e6, 1e6 + 1),
        "service_level(1e6, 1e6 + 1, 1e-300, 1e300)": lambda: cr.service_level(
            1e6, 1e6 + 1, 1e-300, 1e300
        ),
        "service_level(1e-300, 1, 1e300, 0)": lambda: cr.service_level(1e-300, 1.0, 1e300, 0.0),
    }
    for what, fn in calls.items():
        _run(cr, fn, _prob, what)


# --------------------------------------------------------------------------------------------
# directed extremes: each must answer (valid value, ParameterError or InfeasibleError) promptly

MAXF = 1.7976931348623157e308


def _extreme_calls():
    c = []

    def add(label, fn, check):
        c.append(pytest.param(fn, check, id=label))

    for a in (1e15, 1e16, 2.0**53, 1e20, 1e300, MAXF):
        add(f"erlang_b-A=n={a:g}", lambda cr, a=a: cr.erlang_b(a, a), _prob)
        add(f"erlang_b-n=A(1+1e-9)-A={a:g}", lambda cr, a=a: cr.erlang_b(a, a * (1 + 1e-9)), _prob)
        add(
            f"erlang_c-n=nextafter(A)-A={a:g}",
            lambda cr, a=a: cr.erlang_c(a, float(np.nextafter(a, INF))),
            _prob,
        )
        add(
            f"service_level-n=A(1+1e-6)-A={a:g}",
            lambda cr, a=a: cr.service_level(a, a * (1 + 1e-6), 180.0, 20.0),
            _prob,
        )
        add(
            f"agents_for_blocking-A={a:g}",
            lambda cr, a=a: cr.erlang.agents_for_blocking(a, 0.01),
            _count,
        )
        add(
            f"agents_for_service_level-A={a:g}",
            lambda cr, a=a: cr.agents_for_service_level(a, 180.0, 20.0, 0.8),
            _count,
        )
        add(
            f"agents_for_asa-A={a:g}",
            lambda cr, a=a: cr.erlang.agents_for_asa(a, 180.0, 20.0),
            _count,
        )
        add(
            f"retrial-A={a:g}",
            lambda cr, a=a: cr.erlang.erlang_b_retrial(a, a, 0.5).blocking,
            _prob,
        )
    for occ in (1e-6, 1e-20, 1e-203, 5e-324):
        add(
            f"agents_for_asa-max_occupancy={occ:g}",
            lambda cr, occ=occ: cr.erlang.agents_for_asa(10.0, 180.0, 20.0, max_occupancy=occ),
            _count,
        )
        add(
            f"agents_for_service_level-max_occupancy={occ:g}",
            lambda cr, occ=occ: cr.agents_for_service_level(
                10.0, 180.0, 20.0, 0.8, max_occupancy=occ
            ),
            _count,
        )
    for lvl in (1 - 1e-16, 0.9999999999):
        add(
            f"agents_for_service_level-level={lvl!r}",
            lambda cr, lvl=lvl: cr.agents_for_service_level(10.0, 180.0, 20.0, lvl),
            _count,
        )
    add(
        "agents_for_asa-asa=5e-324",
        lambda cr: cr.erlang.agents_for_asa(10.0, 180.0, 5e-324),
        _count,
    )
    add(
        "agents_for_service_level-target=0-aht=tiny",
        lambda cr: cr.agents_for_service_level(10.0, 1e-300, 0.0, 0.99),
        _count,
    )
    for args in [
        (1.0, 0.0, 1.2315298577961221e-195, 1.0),
        (1e6, 1e5, 180.0, 1e9),
        (10.0, 5.0, 1e-300, 1e300),
    ]:
        add(
            f"erlang_a-{args}",
            lambda cr, args=args: cr.erlang_a(*args, target=20.0),
            lambda r, what: _check_a(r, what),
        )
    add(
        "agents_for_erlang_a-max_abandon=1e-300",
        lambda cr: cr.erlang.agents_for_erlang_a(10.0, 180.0, 60.0, max_abandon=1e-300),
        _count,
    )
    return c


@pytest.mark.parametrize(("call", "check"), _extreme_calls())
def test_extreme_inputs_answer_promptly(cr, call, check, request):
    label = request.node.callspec.id
    isolated(lambda cr: _run_staffing(cr, lambda: call(cr), check, label))(cr)
