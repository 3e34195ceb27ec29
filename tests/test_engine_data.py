"""A call's attached data: str, int, float and bool values, each back as it went in.

Issue 13 found ``call_arrived`` refusing the IVR's own boolean ``authenticated``
(``ConfigError: data["authenticated"] must be a str, got bool``, also with the README's bank
flow). Data values may be str, int, float or bool; a wrong type is a ``ParameterError``.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from typing import Any

import callroute
import pytest
from callroute import Engine, ivr

DATA: dict[str, Any] = {
    "authenticated": True,
    "blocked": False,
    "account": "123456",
    "attempts": 2,
    "big": -(2**63),
    "balance": 1024.5,
    "tiny": 5e-324,
    "third": 1 / 3,
    "nul": "\0looks like a tag",
    "true": "True",
    "empty": "",
}


def engine() -> Engine:
    eng = Engine()
    eng.add_queue("q", strategy="custom")
    eng.add_agent("a")
    return eng


def same(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got == want
    for key, value in want.items():
        assert type(got[key]) is type(value), (key, got[key], value)


def test_values_come_back_with_their_types() -> None:
    eng = engine()
    eng.call_arrived("c1", 1.0, queue="q", data=DATA)
    same(eng.call_info("c1").data, DATA)


def test_the_scorer_sees_the_typed_values() -> None:
    eng = engine()
    seen: list[dict[str, Any]] = []
    eng.set_scorer(lambda call, agents: seen.append(call.data) or [0.0] * len(agents))
    eng.add_agent("b")
    eng.agent_ready("a", 0.0)
    eng.agent_ready("b", 0.0)
    eng.call_arrived("c1", 1.0, queue="q", data=DATA)  # two candidates: the scorer runs
    same(seen[0], DATA)


def test_types_survive_a_batch_and_a_snapshot() -> None:
    eng = engine()
    eng.feed([("call_arrived", "c1", 1.0, {"queue": "q", "data": DATA})])
    same(Engine.restore(eng.snapshot()).call_info("c1").data, DATA)


def test_special_floats_round_trip() -> None:
    eng = engine()
    eng.call_arrived("c1", 1.0, queue="q", data={"inf": math.inf, "neg": -0.0, "nan": math.nan})
    data = eng.call_info("c1").data
    assert data["inf"] == math.inf
    assert math.copysign(1.0, data["neg"]) == -1.0
    assert math.isnan(data["nan"])


def test_call_info_and_call_view_are_built_with_typed_data() -> None:
    view = callroute.engine.CallView("c1", "q", 0, 0.0, {"ok": True, "n": 3})
    assert view.data == {"ok": True, "n": 3}
    assert view == callroute.engine.CallView("c1", "q", 0, 0.0, {"ok": True, "n": 3})
    assert hash(view) == hash(callroute.engine.CallView("c1", "q", 0, 0.0, {"ok": True, "n": 3}))
    assert view != callroute.engine.CallView("c1", "q", 0, 0.0, {"ok": "True", "n": 3})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"k": None}, r'data\["k"\] must be a str, int, float or bool, got NoneType'),
        ({"k": [1]}, r'data\["k"\] must be a str, int, float or bool, got list'),
        ({"k": b"x"}, r'data\["k"\] must be a str, int, float or bool, got bytes'),
        ({"k": 2**63}, r'data\["k"\] is out of range'),
        ({"k": "\ud800"}, r'data\["k"\] must be valid Unicode text'),
        ({1: "v"}, r"data keys must be a str, got int"),
        ({"\ud800": "v"}, r"data keys must be valid Unicode text"),
        (["k", "v"], r"data must be a mapping, got list"),
    ],
)
def test_a_wrong_value_is_a_parameter_error(data: Any, message: str) -> None:
    eng = engine()
    before = eng.snapshot()
    with pytest.raises(callroute.ParameterError, match=message):
        eng.call_arrived("c1", 1.0, queue="q", data=data)
    assert eng.snapshot() == before
    with pytest.raises(callroute.ParameterError, match="event 0: " + message):
        eng.feed([("call_arrived", "c1", 1.0, {"queue": "q", "data": data})])
    assert eng.snapshot() == before


def test_the_readme_bank_flow_routes_with_its_own_data() -> None:
    center = callroute.load_center(callroute.example_path("center"))
    now = dt.datetime(2026, 3, 3, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    call = ivr.Session(
        center.flows["bank_main"],
        clock=lambda t: now,
        verifiers={"bank_pin": lambda account, pin: pin == "4321"},
    )
    actions = call.start(0.0, caller="+4940123456")
    call.feed(ivr.LookupResult(value="premium", token=actions[-1].token), 0.4)
    call.feed(ivr.Digits("1"), 3.0)
    call.feed(ivr.Digits("123456#"), 6.0)
    [lookup] = call.feed(ivr.Digits("4321"), 9.0)
    call.feed(ivr.LookupResult(value="1024.50", token=lookup.token), 9.5)
    call.feed(ivr.PlaybackDone(), 12.0)
    [route] = call.feed(ivr.Digits("0"), 14.0)
    assert route.data["authenticated"] is True  # the IVR's own boolean
    center.call_arrived(
        "c1", 14.0, tenant="bank", queue=route.queue, priority=route.priority, data=route.data
    )
    same(center.engine.call_info("c1").data, dict(route.data))


# ---------------------------------------------------------------- Offer.data (issue 13)


def test_an_offer_carries_the_calls_data_for_the_screen_pop() -> None:
    eng = engine()
    eng.call_arrived("c1", 1.0, queue="q", data=DATA)  # queued: nobody ready
    offers = [d for d in eng.agent_ready("a", 2.0) if isinstance(d, callroute.Offer)]
    assert len(offers) == 1
    same(dict(offers[0].data), DATA)
    assert list(offers[0].data) == list(DATA)  # in the order it came
    # declined and offered again: the new offer carries the same data
    eng.add_agent("b")
    eng.agent_ready("b", 3.0)
    again = [d for d in eng.offer_declined("c1", 4.0) if isinstance(d, callroute.Offer)]
    assert again
    assert again[0].agent == "b"
    same(dict(again[0].data), DATA)


def test_offer_data_is_read_only_and_leaves_the_offer_unchanged() -> None:
    eng = engine()
    eng.agent_ready("a", 0.0)
    (offer,) = [
        d
        for d in eng.call_arrived("c1", 1.0, queue="q", data={"account": "42"})
        if isinstance(d, callroute.Offer)
    ]
    with pytest.raises(TypeError):
        offer.data["account"] = "43"  # type: ignore[index]
    with pytest.raises(AttributeError):
        offer.data = {}  # type: ignore[misc]
    assert offer.data == {"account": "42"}


def test_offers_of_calls_without_data_are_as_before() -> None:
    eng = engine()
    eng.agent_ready("a", 0.0)
    out = eng.call_arrived("c1", 1.0, queue="q")
    offer = out[0]
    assert isinstance(offer, callroute.Offer)
    assert offer.data == {}
    assert offer == callroute.Offer("c1", "a", "q", 16.0, False)
    assert repr(offer) == (
        "Offer(call='c1', agent='a', queue='q', expires=16.0, callback=False, auto_answer=False)"
    )


def test_offers_with_data_compare_hash_pickle_and_repr_by_value() -> None:
    import pickle

    offer = callroute.Offer("c1", "a", "q", 16.0, False, data={"ok": True, "n": 3})
    assert offer == callroute.Offer("c1", "a", "q", 16.0, False, False, {"ok": True, "n": 3})
    assert hash(offer) == hash(callroute.Offer("c1", "a", "q", 16.0, False, data=offer.data))
    assert offer != callroute.Offer("c1", "a", "q", 16.0, False, data={"ok": "True", "n": 3})
    assert offer != callroute.Offer("c1", "a", "q", 16.0, False)
    assert pickle.loads(pickle.dumps(offer)) == offer
    assert repr(offer).endswith("auto_answer=False, data={'ok': True, 'n': 3})")
    with pytest.raises(TypeError, match="data"):
        callroute.Offer("c1", "a", "q", 16.0, False, data={"k": [1]})  # type: ignore[dict-item]
    match offer:
        case callroute.Offer(call, agent, data=data):
            assert (call, agent, data["ok"]) == ("c1", "a", True)
