"""/metrics and /stats: Prometheus text that parses, numbers equal to the engine's, scoped."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from _http_util import LocalRuntime, make_center, serve
from prometheus_client.parser import text_string_to_metric_families


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _scenario(rt: LocalRuntime) -> None:
    """bank_billing: 4 calls; anna answers 1 (after 1 s of wait), 1 is abandoned, 2 wait.
    mobile_sales: 1 call waiting. (The clock moves one second per input.)"""
    await rt.agent_ready("anna")  # t=1
    await rt.place_call(
        "b1", tenant="bank", queue="bank_billing", caller="1", dnis="+498001234510"
    )  # t=2: offered to anna at once
    await rt.accept_task("b1")  # t=3: answered after 1 s
    for i, call in enumerate(("b2", "b3", "b4")):
        await rt.place_call(
            call, tenant="bank", queue="bank_billing", caller=str(i), dnis="+498001234510"
        )  # t=4, 5, 6
    await rt.abandon("b2")  # t=7
    await rt.place_call(
        "m1", tenant="mobile", queue="mobile_sales", caller="9", dnis="+498001234520"
    )  # t=8


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def _q(name: str, tenant: str, queue: str, media: str = "voice") -> tuple[str, frozenset[Any]]:
    return (name, frozenset({"tenant": tenant, "queue": queue, "media": media}.items()))


def _agents(tenant: str, state: str) -> tuple[str, frozenset[Any]]:
    return ("callroute_agents", frozenset({"tenant": tenant, "state": state}.items()))


def test_metrics_parse_and_equal_the_engine() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            await _scenario(rt)
            status, _, text = await client.call("GET", "/metrics", "center_admin")
            assert status == 200
            m = _samples(text)
            eng = rt.center.engine
            # the scenario's own truth
            bb = ("bank", "bank_billing")
            assert m[_q("callroute_queue_offered_total", *bb)] == 4
            assert m[_q("callroute_queue_answered_total", *bb)] == 1
            assert m[_q("callroute_queue_abandoned_total", *bb)] == 1
            assert m[_q("callroute_queue_waiting_calls", *bb)] == 2
            assert m[_q("callroute_queue_asa_seconds", *bb)] == 1.0
            # b3 arrived at t=5, the last input was t=8
            assert m[_q("callroute_queue_longest_wait_seconds", *bb)] == 3.0
            assert m[_q("callroute_queue_waiting_calls", "mobile", "mobile_sales")] == 1
            assert math.isnan(m[_q("callroute_queue_asa_seconds", "mobile", "mobile_sales")])
            assert (
                m[("callroute_agents", frozenset({"tenant": "bank", "state": "busy"}.items()))] == 1
            )
            assert (
                m[
                    (
                        "callroute_agents",
                        frozenset({"tenant": "mobile", "state": "logged_out"}.items()),
                    )
                ]
                == 5
            )
            # and every queue's numbers are the engine's queue_stats
            for queue in eng.queues():
                s = eng.queue_stats(queue)
                tenant = rt.center.ownership.queues[queue]
                media = rt.center.queues[queue].media
                for metric, value in (
                    ("callroute_queue_offered_total", s.offered),
                    ("callroute_queue_answered_total", s.answered),
                    ("callroute_queue_abandoned_total", s.abandoned),
                    ("callroute_queue_waiting_calls", s.waiting),
                    ("callroute_queue_longest_wait_seconds", s.longest_wait),
                    ("callroute_queue_service_level_ratio", s.service_level),
                    ("callroute_queue_asa_seconds", s.asa),
                    ("callroute_queue_agents_logged_in", s.agents_logged_in),
                    ("callroute_queue_agents_available", s.agents_available),
                ):
                    got = m[_q(metric, tenant, queue, media)]
                    assert got == value or (math.isnan(got) and math.isnan(value)), (
                        queue,
                        metric,
                    )

    run(go())


def test_metrics_and_stats_are_scoped_to_the_tenant() -> None:
    async def go() -> None:
        rt = LocalRuntime(make_center())
        async with serve(rt) as client:
            await _scenario(rt)
            status, _, text = await client.call("GET", "/metrics", "mobile_analyst")
            assert status == 200
            tenants = {
                s.labels.get("tenant")
                for f in text_string_to_metric_families(text)
                for s in f.samples
            }
            assert tenants == {"mobile"}
            assert "bank" not in text
            status, stats, _ = await client.call("GET", "/stats", "bank_supervisor")
            assert status == 200
            assert set(stats["queues"]) == set(rt.center.ownership.queues_of("bank"))
            assert set(stats["agents"]) == set(rt.center.ownership.agents_of("bank"))
            assert set(stats["agents_by_state"]) == {"bank"}
            billing = stats["queues"]["bank_billing"]
            assert (billing["offered"], billing["answered"], billing["abandoned"]) == (4, 1, 1)
            assert billing["asa"] == 1.0
            # a supervisor cannot widen its scope; a center operator can narrow its own
            status, body, _ = await client.call("GET", "/stats?tenant=mobile", "bank_supervisor")
            assert (status, body["error"]) == (403, "PermissionDenied")
            status, stats, _ = await client.call("GET", "/stats?tenant=mobile", "center_admin")
            assert set(stats["queues"]) == set(rt.center.ownership.queues_of("mobile"))
            status, stats, _ = await client.call("GET", "/stats", "center_admin")
            assert set(stats["queues"]) == set(rt.center.engine.queues())
            assert stats["queues"]["mobile_sales"]["asa"] is None  # NaN is not JSON
            status, queues, _ = await client.call("GET", "/queues", "mobile_supervisor")
            assert {q["queue"] for q in queues["queues"]} == set(
                rt.center.ownership.queues_of("mobile")
            )
            status, calls, _ = await client.call("GET", "/calls", "mobile_supervisor")
            assert [c["call"] for c in calls["calls"]] == ["m1"]
            status, calls, _ = await client.call("GET", "/calls", "anna")
            assert [c["call"] for c in calls["calls"]] == ["b1"]

    run(go())


def test_two_apps_keep_their_own_registries() -> None:
    async def go() -> None:
        rt1, rt2 = LocalRuntime(make_center()), LocalRuntime(make_center())
        async with serve(rt1) as c1, serve(rt2) as c2:
            await _scenario(rt1)
            _, _, t1 = await c1.call("GET", "/metrics", "center_admin")
            _, _, t2 = await c2.call("GET", "/metrics", "center_admin")
            m1, m2 = _samples(t1), _samples(t2)
            key = _q("callroute_queue_offered_total", "bank", "bank_billing")
            assert (m1[key], m2[key]) == (4, 0)

    run(go())
