"""Running lookup hooks: the imperative shell's helper.

It starts a thread; nothing else in this package does I/O or threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from .messages import Lookup, LookupResult

# --------------------------------------------------------------------------------------
# Running lookup hooks (the imperative shell's helper)


def run_lookup(
    action: Lookup, hooks: Mapping[str, Callable[[Mapping[str, Any]], Any]]
) -> LookupResult:
    """Run the hook ``hooks[action.name](action.request)`` in a daemon thread, waiting at
    most ``action.timeout`` seconds; return the :class:`LookupResult` to feed back.

    The result carries ``action.token``. A missing hook gives ``error="unknown lookup
    hook"``, a hook that raises ``error="<ExceptionType>: <message>"``, a hook still
    running at the timeout ``error="timeout"`` (the thread is abandoned, not killed).
    """
    hook = hooks.get(action.name)
    if hook is None:
        return LookupResult(error=f'unknown lookup hook "{action.name}"', token=action.token)
    box: list[LookupResult] = []

    def call() -> None:
        try:
            box.append(LookupResult(value=hook(action.request), token=action.token))
        except Exception as exc:
            box.append(LookupResult(error=f"{type(exc).__name__}: {exc}", token=action.token))

    worker = threading.Thread(target=call, name=f"callroute-lookup-{action.name}", daemon=True)
    worker.start()
    worker.join(action.timeout)
    return box[0] if box else LookupResult(error="timeout", token=action.token)
