"""``QueueSpec`` is the one spelling of ``Engine.add_queue``'s keyword arguments (issue 12).

The engine's signature, the center file's queue model and the simulator's queues all agree
with it, key for key, so that a setting added to one and not the others fails here.
"""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

import callroute
from callroute.center.schema import QueueConfig, StepConfig, queue_spec
from callroute.types import QueueSpec, StepSpec

SPEC_KEYS = QueueSpec.__required_keys__ | QueueSpec.__optional_keys__
FILE_EXTRAS = {
    "hours",
    "announcements",
    "description",
    "record",
}  # the file's own (record: the live runtime's), not the engine's


def _keywords() -> dict[str, Any]:
    sig = inspect.signature(callroute.Engine.add_queue)
    return {
        n: p.default for n, p in sig.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def test_the_engine_takes_exactly_the_spec() -> None:
    assert set(_keywords()) == SPEC_KEYS
    assert QueueSpec.__required_keys__ == frozenset()  # every setting has a default


def test_the_center_files_queue_is_the_spec_and_its_extras() -> None:
    fields = set(QueueConfig.model_fields)
    assert fields - FILE_EXTRAS == SPEC_KEYS
    assert fields & FILE_EXTRAS == FILE_EXTRAS
    assert set(StepConfig.model_fields) == StepSpec.__required_keys__ | StepSpec.__optional_keys__
    assert StepSpec.__required_keys__ == frozenset({"after"})
    assert set(get_type_hints(QueueSpec)) == SPEC_KEYS


def test_the_file_defaults_are_the_engines() -> None:
    defaults = _keywords()
    for name in SPEC_KEYS - {"tenant"}:  # a file's queue names its tenant
        field = QueueConfig.model_fields[name]
        default = field.get_default(call_default_factory=True)
        engine = defaults[name]
        if isinstance(engine, tuple):  # the engine's () is the file's []
            engine = list(engine)
        if name == "skills" and engine is None:  # the engine's None is "no skills"
            engine = {}
        assert default == engine, name


def test_a_queue_from_a_file_builds_through_its_spec() -> None:
    q = QueueConfig.model_validate(
        {
            "tenant": "bank",
            "skills": {"billing": 5},
            "wrapup": 10,
            "steps": [{"after": 30, "skills": {"billing": 2}}],
            "description": "not the engine's",
        }
    )
    spec = queue_spec(q)
    assert set(spec) == SPEC_KEYS
    assert spec["steps"] == [
        {"after": 30.0, "skills": {"billing": 2}, "also_queues": [], "priority": 0}
    ]
    eng = callroute.Engine()
    eng.add_queue("billing", **spec)
    eng.add_agent("a", tenant="bank", skills={"billing": 2})
    eng.agent_ready("a", 0.0)
    eng.call_arrived("c1", 1.0, queue="billing")
    assert eng.queue_stats("billing").waiting == 1  # level 2 < the queue's 5
    assert any(isinstance(d, callroute.Offer) for d in eng.advance(31.0))
