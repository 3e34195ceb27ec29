"""Prometheus metrics from the runtime's statistics, one registry per HTTP app.

A custom collector turns the ``stats()`` mapping (:func:`callroute.runtime.api.engine_stats`
shape) into metric families at scrape time, so the numbers are the engine's own
``queue_stats`` -- nothing is counted twice. Labels: ``tenant``, ``queue``, ``media`` (and
``state`` for agents). The ``*_total`` families are counters since the engine started (an
implicit queue that is freed and made again starts from zero: a counter reset).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["Metrics", "StatsCollector"]

_QUEUE_LABELS = ["tenant", "queue", "media"]

#: (stats key, metric name, help, kind)
_QUEUE_METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("waiting", "callroute_queue_waiting_calls", "Calls waiting in the queue", "gauge"),
    (
        "longest_wait",
        "callroute_queue_longest_wait_seconds",
        "Wait so far of the longest-waiting call",
        "gauge",
    ),
    ("offered", "callroute_queue_offered", "Calls offered to the queue (arrived)", "counter"),
    ("answered", "callroute_queue_answered", "Calls answered by an agent", "counter"),
    ("abandoned", "callroute_queue_abandoned", "Calls the caller abandoned", "counter"),
    (
        "service_level",
        "callroute_queue_service_level_ratio",
        "Answered within the threshold over calls offered and ended (0..1)",
        "gauge",
    ),
    ("asa", "callroute_queue_asa_seconds", "Average speed of answer (NaN: none yet)", "gauge"),
    ("agents_logged_in", "callroute_queue_agents_logged_in", "Agents logged in", "gauge"),
    ("agents_available", "callroute_queue_agents_available", "Agents free for it", "gauge"),
)


def _value(raw: Any) -> float:
    return math.nan if raw is None else float(raw)


class StatsCollector(Collector):
    """Metric families from the last statistics handed to :meth:`update`."""

    def __init__(self) -> None:
        self._stats: Mapping[str, Any] = {}

    def update(self, stats: Mapping[str, Any]) -> None:
        """Use ``stats`` (the runtime's ``stats()`` mapping) for the next collection."""
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        """The families: per queue, then agents by state per tenant."""
        queues: Mapping[str, Mapping[str, Any]] = self._stats.get("queues", {})
        for key, name, doc, kind in _QUEUE_METRICS:
            family: GaugeMetricFamily | CounterMetricFamily
            if kind == "counter":
                family = CounterMetricFamily(name, doc, labels=_QUEUE_LABELS)
            else:
                family = GaugeMetricFamily(name, doc, labels=_QUEUE_LABELS)
            for queue, q in sorted(queues.items()):
                labels = [str(q.get("tenant") or ""), queue, str(q.get("media") or "")]
                family.add_metric(labels, _value(q.get(key)))
            yield family
        agents = GaugeMetricFamily(
            "callroute_agents", "Agents by reported state", labels=["tenant", "state"]
        )
        by_state: Mapping[str, Mapping[str, int]] = self._stats.get("agents_by_state", {})
        for tenant, counts in sorted(by_state.items()):
            for state, n in sorted(counts.items()):
                agents.add_metric([tenant, state], float(n))
        yield agents


class Metrics:
    """An app's own :class:`~prometheus_client.CollectorRegistry` with one
    :class:`StatsCollector` (never the global registry: two apps in one process, as in
    tests, stay apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.collector = StatsCollector()
        self.registry.register(self.collector)

    def render(self, stats: Mapping[str, Any]) -> bytes:
        """The Prometheus text exposition of ``stats``. Update and render run with no
        ``await`` between them, so concurrent scrapes with different scopes (each token
        sees only its tenants) cannot mix on one event loop."""
        self.collector.update(stats)
        try:
            return generate_latest(self.registry)
        finally:
            self.collector.update({})
