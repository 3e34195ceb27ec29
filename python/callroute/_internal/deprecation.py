"""Old names kept working for one release: a module ``__getattr__`` that warns once per name."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any

# (module, name) pairs already warned about in this process.
_warned: set[tuple[str, str]] = set()


def warn_once(module: str, name: str, message: str, *, stacklevel: int = 3) -> None:
    """Emit ``DeprecationWarning(message)`` the first time ``module.name`` is used."""
    if (module, name) in _warned:
        return
    _warned.add((module, name))
    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel)


def moved(module: str, names: Mapping[str, str | tuple[str, str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for names that moved or were renamed.

    ``names`` maps an old name of ``module`` to its new home, ``"package.module:attr"``
    (or ``"package.module"`` for a module), or to ``(home, advice)`` when the warning should
    advise something else than the home (a renamed call with other arguments). Using an
    old name warns once per name (``DeprecationWarning`` naming the replacement) and
    returns the object; any other name raises ``AttributeError`` as usual.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 (a module's __getattr__)
        entry = names.get(name)
        if entry is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        target, advice = entry if isinstance(entry, tuple) else (entry, "")
        where, _, attr = target.partition(":")
        advice = advice or (f"{where}.{attr}" if attr else where)
        warn_once(module, name, f"{module}.{name} is deprecated; use {advice}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # one warning, not two
            obj = importlib.import_module(where)
        return getattr(obj, attr) if attr else obj

    return __getattr__
