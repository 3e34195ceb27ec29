"""What the Erlang and staffing entry points take as numbers, and what they refuse.

Hostile runs found ``OverflowError``/``TypeError`` on ``10**400``, ``max_occupancy="0.9"`` or
an array ``target``; ``"5"`` and ``True`` accepted as numbers; 0-d arrays returned for numpy
scalars; masks ignored. The contract (``callroute.erlang``'s docstring): ``bool`` and ``str``
are not numbers, huge integers are out of range, numpy scalars are scalars, masked arrays are
refused, scalar-only options take one number -- each refusal a ``ParameterError`` naming the
argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import callroute as cr
import numpy as np
import pytest

# every entry point with valid positional arguments, and its keyword options
ENTRY_POINTS: dict[str, tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = {
    "erlang_b": (cr.erlang_b, (10.0, 12), {}),
    "agents_for_blocking": (cr.erlang.agents_for_blocking, (10.0, 0.01), {}),
    "erlang_b_retrial": (cr.erlang.erlang_b_retrial, (10.0, 12, 0.5), {}),
    "erlang_c": (cr.erlang_c, (10.0, 12), {}),
    "service_level": (cr.service_level, (10.0, 12, 180.0, 20.0), {}),
    "asa": (cr.asa, (10.0, 12, 180.0), {}),
    "occupancy": (cr.erlang.occupancy, (10.0, 12), {}),
    "queue_length": (cr.erlang.queue_length, (10.0, 12), {}),
    "wait_quantile": (cr.erlang.wait_quantile, (10.0, 12, 180.0, 0.8), {}),
    "agents_for_service_level": (cr.agents_for_service_level, (10.0, 180.0, 20.0, 0.8), {}),
    "agents_for_asa": (cr.erlang.agents_for_asa, (10.0, 180.0, 20.0), {}),
    "erlang_a": (cr.erlang_a, (10.0, 12, 180.0, 120.0), {"target": 20.0}),
    "agents_for_erlang_a": (
        cr.erlang.agents_for_erlang_a,
        (10.0, 180.0, 120.0),
        {"target": 20.0, "level": 0.8},
    ),
}

POSITIONAL = {
    "erlang_b": ("traffic", "agents"),
    "agents_for_blocking": ("traffic", "blocking"),
    "erlang_b_retrial": ("traffic", "agents", "retry_fraction"),
    "erlang_c": ("traffic", "agents"),
    "service_level": ("traffic", "agents", "aht", "target"),
    "asa": ("traffic", "agents", "aht"),
    "occupancy": ("traffic", "agents"),
    "queue_length": ("traffic", "agents"),
    "wait_quantile": ("traffic", "agents", "aht", "q"),
    "agents_for_service_level": ("traffic", "aht", "target", "level"),
    "agents_for_asa": ("traffic", "aht", "asa"),
    "erlang_a": ("traffic", "agents", "aht", "patience"),
    "agents_for_erlang_a": ("traffic", "aht", "patience"),
}

BAD_VALUES: dict[str, Callable[[Any], Any]] = {
    "str": lambda good: str(good),
    "bool": lambda good: True,
    "huge int": lambda good: 10**400,
    "str in a list": lambda good: [good, str(good)],
    "bool in a list": lambda good: [True, False],
    "bool array": lambda good: np.array([True]),
    "huge int in a list": lambda good: [good, 10**400],
    "masked array": lambda good: np.ma.array([good, good], mask=[False, True]),
    "str array": lambda good: np.array([str(good)]),
}


def cases() -> list[Any]:
    out = []
    for name, params in POSITIONAL.items():
        for i, param in enumerate(params):
            for label in BAD_VALUES:
                out.append(pytest.param(name, i, param, label, id=f"{name}-{param}-{label}"))
    return out


def names_the_argument(message: str, param: str) -> bool:
    return re.search(rf"\b{re.escape(param)}\b", message) is not None


@pytest.mark.parametrize(("name", "index", "param", "label"), cases())
def test_non_numbers_are_refused_by_name(name: str, index: int, param: str, label: str) -> None:
    func, args, options = ENTRY_POINTS[name]
    bad = list(args)
    bad[index] = BAD_VALUES[label](args[index])
    with pytest.raises(cr.ParameterError) as info:
        func(*bad, **options)
    assert names_the_argument(str(info.value), param), str(info.value)


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_numpy_scalars_are_scalars(name: str) -> None:
    func, args, options = ENTRY_POINTS[name]
    plain = func(*args, **options)
    as_numpy = func(*(np.float32(a) if isinstance(a, float) else np.int64(a) for a in args),
                    **options)  # fmt: skip
    as_float64 = func(*(np.float64(a) for a in args), **options)
    for result in (as_numpy, as_float64):
        if isinstance(plain, (int, float)):
            # a Python number, exactly as for Python inputs (not a 0-d array)
            assert type(result) is type(plain), (type(result), type(plain))
            assert result == pytest.approx(plain, rel=1e-6)
        else:  # a result record: every field a Python float
            for field in ("blocking", "p_wait"):
                if hasattr(plain, field):
                    value = getattr(result, field)
                    assert type(value) is float, type(value)
                    assert value == pytest.approx(getattr(plain, field), rel=1e-6)


def test_plain_integers_stay_accepted() -> None:
    # an int that fits a float is a number like any other: Erlang B(1, 1) = 1/2
    assert cr.erlang_b(1, 1) == pytest.approx(0.5)
    assert cr.erlang_b(np.int64(1), np.uint8(1)) == pytest.approx(0.5)
    assert cr.erlang_b([1, 10**8], 1).shape == (2,)


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: cr.agents_for_service_level(10.0, 180.0, 20.0, 0.8, max_occupancy="0.9"),
         "max_occupancy"),
        (lambda: cr.agents_for_service_level(10.0, 180.0, 20.0, 0.8, max_occupancy=True),
         "max_occupancy"),
        (lambda: cr.agents_for_service_level(10.0, 180.0, 20.0, 0.8, max_occupancy=[0.8, 0.9]),
         "max_occupancy"),
        (lambda: cr.agents_for_service_level([10.0, 20.0], 180.0, 20.0, 0.8,
                                             max_occupancy=np.array([0.8, 0.9])),
         "max_occupancy"),
        (lambda: cr.erlang.agents_for_asa(10.0, 180.0, 20.0, max_occupancy=10**400),
         "max_occupancy"),
        (lambda: cr.erlang.agents_for_erlang_a(10.0, 180.0, 120.0, target=[20.0, 30.0], level=0.8),
         "target"),
        (lambda: cr.erlang.agents_for_erlang_a(10.0, 180.0, 120.0, target=20.0, level="0.8"),
         "level"),
        (lambda: cr.erlang.agents_for_erlang_a(10.0, 180.0, 120.0, max_abandon=[0.1]),
         "max_abandon"),
        (lambda: cr.erlang.agents_for_erlang_a([10.0, 5.0], 180.0, 120.0, max_abandon=[0.1, 0.2]),
         "max_abandon"),
        (lambda: cr.erlang_a(10.0, 12, 180.0, 120.0, target="20"), "target"),
        (lambda: cr.erlang_a(10.0, 12, 180.0, 120.0, target=True), "target"),
        (lambda: cr.erlang_a(10.0, 12, 180.0, 120.0, sl_definition=np.array(["offered"])),
         "sl_definition"),
    ],
)  # fmt: skip
def test_scalar_options_take_one_number(call: Callable[[], Any], param: str) -> None:
    with pytest.raises(cr.ParameterError) as info:
        call()
    assert names_the_argument(str(info.value), param), str(info.value)


def test_scalar_options_accept_numpy_numbers() -> None:
    # occupancy <= 0.5 needs 20 agents for 10 Erlangs, whatever the number's type
    for cap in (0.5, np.float32(0.5), np.float64(0.5), np.array(0.5)):
        assert cr.agents_for_service_level(10.0, 180.0, 1.0, 0.01, max_occupancy=cap) == 20


def test_erlang_a_target_still_broadcasts() -> None:
    out = cr.erlang_a(10.0, 12, 180.0, 120.0, target=[10.0, 20.0])
    assert isinstance(out.service_level, np.ndarray)
    assert out.service_level.shape == (2,)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"interval": True}, "interval"),
        ({"aht": "180"}, "aht"),
        ({"aht": 10**400}, "aht"),
        ({"shrinkage": True}, "shrinkage"),
        ({"calls": ["10", "20"]}, "calls"),
        ({"calls": [True, False]}, "calls"),
        ({"calls": np.ma.array([10.0, 20.0], mask=[False, True])}, "calls"),
        ({"max_occupancy": "0.9"}, "max_occupancy"),
    ],
)
def test_staffing_plan_refuses_non_numbers(kwargs: dict[str, Any], param: str) -> None:
    base: dict[str, Any] = {
        "calls": [10.0, 20.0], "interval": 1800.0, "aht": 180.0, "target": 20.0, "level": 0.8,
    }  # fmt: skip
    base.update(kwargs)
    calls = base.pop("calls")
    with pytest.raises(cr.ParameterError) as info:
        cr.staffing_plan(calls, **base)
    assert names_the_argument(str(info.value), param), str(info.value)
