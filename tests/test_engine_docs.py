"""The engine explains itself at runtime: ``help(Engine.method)`` shows each method's
arguments, result and errors; ``Engine.EVENT_METHODS`` is the one list of event methods."""

from __future__ import annotations

import inspect
import pydoc
import re

import callroute
import pytest
from callroute import Engine

PUBLIC = sorted(
    name
    for name, _ in inspect.getmembers(Engine)
    if not name.startswith("_") and name != "EVENT_METHODS"
)


def test_every_public_member_is_listed() -> None:
    assert {"add_queue", "call_arrived", "feed", "set_scorer", "now", "restore"} <= set(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_method_has_a_docstring(name: str) -> None:
    member = inspect.getattr_static(Engine, name)
    doc = inspect.getdoc(getattr(Engine, name) if not isinstance(member, property) else member)
    assert doc, f"Engine.{name} has no docstring"
    assert len(doc) > 30, doc


@pytest.mark.parametrize("name", [n for n in PUBLIC if callable(getattr(Engine, n))])
def test_help_shows_the_signature_and_the_arguments(name: str) -> None:
    method = getattr(Engine, name)
    signature = inspect.signature(method)
    text = pydoc.render_doc(method, renderer=pydoc.plaintext)
    params = [p for p in signature.parameters if p != "self"]
    for param in params:
        assert param in text, f"help(Engine.{name}) does not show {param!r}:\n{text}"
    if params and name not in ("add_queue", "add_agent"):
        # the docstring itself names the arguments (the options of add_* are listed by name)
        doc = method.__doc__ or ""
        for param in params:
            assert re.search(rf"`{param}`|\b{param}\b", doc), (name, param)


def test_add_queue_help_lists_its_options_and_errors() -> None:
    text = pydoc.render_doc(Engine.add_queue, renderer=pydoc.plaintext)
    for option in ("tenant", "strategy", "offer_timeout", "max_wait", "overflow", "steps",
                   "shared_with", "expected_aht", "DuplicateIdError", "ConfigError"):  # fmt: skip
        assert option in text


def test_event_methods_are_the_methods_feed_takes() -> None:
    methods = Engine.EVENT_METHODS
    assert len(methods) == len(set(methods)) == 16
    for name in methods:
        assert callable(getattr(Engine, name)), name
    # an unknown method is refused with exactly this list
    with pytest.raises(callroute.ConfigError) as info:
        Engine().feed([("no_such_event", 1.0)])
    assert str(info.value).endswith("expected one of " + ", ".join(methods))
    # each one is known to feed: a batch naming it fails on its arguments, not on its name
    for name in methods:
        with pytest.raises(callroute.CallrouteError) as info:
            Engine().feed([(name, object(), object(), object(), {"zzz": 1})])
        assert "unknown event method" not in str(info.value), name
