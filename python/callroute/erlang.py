"""Erlang B, C and A: blocking, delay and abandonment models, and staffing searches.

Traffic is in Erlangs (arrival rate x average handle time); times are in seconds (any one
unit works as long as ``aht``, ``target``, ``asa`` and ``patience`` share it).

Every function takes scalars or numpy arrays and broadcasts like numpy. Scalar calls return
Python numbers; any array argument gives a numpy array of the broadcast shape. Array work runs
in Rust with the GIL released. Keyword options (``max_occupancy``, ``fractional``,
``sl_definition``...) are scalars.

Inputs, precisely:

* A scalar is a Python ``int`` or ``float`` or a numpy integer or floating scalar
  (``np.float32(0.5)``, ``np.int64(5)``): all scalars in, a Python number out (not a 0-d
  array). Anything array-like (lists, ndarrays, 0-d arrays included) gives an array.
* ``bool`` and ``str`` are not numbers: ``True`` or ``"5"`` (alone or inside an array)
  raise :class:`~callroute.errors.ParameterError` naming the argument, as does an integer
  too large for a float (``10**400``).
* Masked arrays are refused (``ParameterError``): pass ``a.filled(...)`` or
  ``a.compressed()``; a mask silently ignored would give numbers for entries meant to be
  missing.
* A scalar-only option given an array (``max_occupancy=[0.8, 0.9]``, or ``target=`` of
  :func:`agents_for_erlang_a`) raises ``ParameterError``.

Unstable load (agents <= traffic) is explicit: Erlang C gives 1, service level 0 and ASA,
queue length and wait quantiles infinity. No traffic at all is stable whatever the staffing
(even none): nobody waits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar, overload

import numpy as np
import numpy.typing as npt

from . import _core
from ._internal.deprecation import moved, warn_once
from .errors import ParameterError

__all__ = [
    "ErlangAResult",
    "RetrialResult",
    "ServiceLevelDefinition",
    "agents_for_asa",
    "agents_for_blocking",
    "agents_for_erlang_a",
    "agents_for_service_level",
    "asa",
    "erlang_a",
    "erlang_b",
    "erlang_b_retrial",
    "erlang_c",
    "occupancy",
    "queue_length",
    "service_level",
    "wait_quantile",
]

Number: TypeAlias = float | int
ArrayLike: TypeAlias = "npt.ArrayLike"
FloatArray: TypeAlias = "npt.NDArray[np.float64]"
IntArray: TypeAlias = "npt.NDArray[np.int64]"
ServiceLevelDefinition: TypeAlias = Literal["offered", "answered", "offered_minus_early_abandons"]
_F = TypeVar("_F", bound=Callable[..., Any])


def _servers_renamed(func: _F) -> _F:
    """Accept the old keyword ``servers=`` for ``agents=`` (warns once; positional calls
    are unchanged), and name the argument ``agents`` in errors (the core says servers)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "servers" in kwargs:
            if "agents" in kwargs:
                raise TypeError(f"{func.__name__}() got both agents and servers (its old name)")
            warn_once(
                "callroute.erlang",
                f"{func.__name__}(servers=)",
                f"{func.__name__}(servers=...) is deprecated; use agents=...",
            )
            kwargs["agents"] = kwargs.pop("servers")
        try:
            return func(*args, **kwargs)
        except ParameterError as exc:
            message = str(exc)
            if not message.startswith("servers "):
                raise
            raise type(exc)("agents " + message.removeprefix("servers ")) from None

    return wrapper  # type: ignore[return-value]


def _type(value: object) -> str:
    return type(value).__name__


def _scalar(name: str, value: object) -> float | None:
    """``value`` as a float if it is one number, None if it is something else (an array).

    Python and numpy real numbers count; ``bool`` and ``str`` are refused (``True`` is not
    one agent, ``"5"`` is not a number), and so is an integer too large for a float.
    """
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise ParameterError(f"{name} must be a number, got {_type(value)}")
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            raise ParameterError(
                f"{name} is out of range: an integer of {value.bit_length()} bits does not "
                "fit a float"
            ) from None
    if isinstance(value, (float, np.integer, np.floating)):
        return float(value)
    return None


_BIG = 2**1000  # plain ints below this convert to a float exactly enough, never overflow


def _scalars(names: tuple[str, ...], values: tuple[Any, ...]) -> list[float] | None:
    """The inputs as floats when every one is a single number (the fast path), else None."""
    out: list[float] = []
    for v in values:
        t = type(v)
        if t is float or (t is int and -_BIG < v < _BIG):
            out.append(v)
        else:
            return _scalars_slow(names, values)
    return out


def _scalars_slow(names: tuple[str, ...], values: tuple[Any, ...]) -> list[float] | None:
    out = []
    for name, v in zip(names, values, strict=True):
        f = _scalar(name, v)
        if f is None:
            return None
        out.append(f)
    return out


def _option(name: str, value: object) -> float | None:
    """A keyword option that applies to every element: one number (or None)."""
    if value is None:
        return None
    if (
        isinstance(value, np.ndarray)
        and value.ndim == 0
        and not isinstance(value, np.ma.MaskedArray)
    ):
        value = value[()]
    f = _scalar(name, value)
    if f is None:
        raise ParameterError(
            f"{name} must be a single number (it applies to every element), got {_type(value)}"
        )
    return f


def _array(name: str, value: object) -> FloatArray:
    """``value`` as a float64 array, refusing what is not numbers."""
    if isinstance(value, np.ma.MaskedArray):
        raise ParameterError(
            f"{name} is a masked array: masks are not supported; pass {name}.filled(...) or "
            f"{name}.compressed()"
        )
    if _scalar(name, value) is not None:
        return np.asarray(value, dtype=np.float64)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a number or an array of numbers: {exc}") from None
    kind = arr.dtype.kind
    if kind in "iuf":
        return arr.astype(np.float64, copy=False)
    if kind == "O":
        out = np.empty(arr.shape, dtype=np.float64)
        for index, item in np.ndenumerate(arr):
            place = f"{name}[{', '.join(map(str, index))}]" if index else name
            f = _scalar(place, item)
            if f is None:
                raise ParameterError(f"{place} must be a number, got {_type(item)}")
            out[index] = f
        return out
    what = "bool" if kind == "b" else str(arr.dtype)
    raise ParameterError(f"{name} must be a number or an array of numbers, got an array of {what}")


def _arrays(
    names: tuple[str, ...], values: tuple[Any, ...]
) -> tuple[list[FloatArray], tuple[int, ...]]:
    """Broadcast the inputs and flatten them into contiguous float64 arrays."""
    converted = [_array(name, value) for name, value in zip(names, values, strict=True)]
    try:
        broadcast = np.broadcast_arrays(*converted)
    except ValueError as exc:
        shapes = ", ".join(f"{n}{a.shape}" for n, a in zip(names, converted, strict=True))
        raise ParameterError(f"arguments do not broadcast together: {shapes}") from exc
    shape = broadcast[0].shape
    return [np.ascontiguousarray(a).reshape(-1) for a in broadcast], shape


def _vectorized(
    kernel: Callable[..., FloatArray],
    names: tuple[str, ...],
    values: tuple[Any, ...],
    **options: Any,
) -> FloatArray:
    flat, shape = _arrays(names, values)
    out = kernel(*flat, list(shape), **options)
    return out.reshape(shape)


def _check_fractional(fractional: object) -> bool:
    if not isinstance(fractional, bool):
        raise ParameterError(f"fractional must be True or False, got {fractional!r}")
    return fractional


def _as_agents(value: FloatArray, fractional: bool) -> FloatArray | IntArray:
    return value if fractional else value.astype(np.int64)


# --- Erlang B -------------------------------------------------------------------------


@overload
def erlang_b(traffic: Number, agents: Number) -> float: ...
@overload
def erlang_b(traffic: ArrayLike, agents: ArrayLike) -> float | FloatArray: ...
@_servers_renamed
def erlang_b(traffic: ArrayLike, agents: ArrayLike) -> float | FloatArray:
    """Erlang B blocking probability of ``traffic`` Erlangs offered to ``agents`` servers
    (trunks, lines, agents) with no queue.

    :param traffic: offered load in Erlangs, >= 0 (scalar or array).
    :param agents: servers, real >= 0: the continuous extension (incomplete gamma
        function) joins the integer values smoothly. (Formerly ``servers=``: still accepted
        as a keyword, with a ``DeprecationWarning``.)
    :returns: the blocking probability in [0, 1]; an array for array input.
    :raises ~callroute.errors.ParameterError: naming the argument that is not a finite
        number in its domain.
    """
    if (s := _scalars(("traffic", "agents"), (traffic, agents))) is not None:
        return _core.erlang_b(*s)
    return _vectorized(_core.erlang_b_array, ("traffic", "agents"), (traffic, agents))


@overload
def agents_for_blocking(traffic: Number, blocking: Number) -> int: ...
@overload
def agents_for_blocking(traffic: ArrayLike, blocking: ArrayLike) -> int | IntArray: ...
def agents_for_blocking(traffic: ArrayLike, blocking: ArrayLike) -> int | IntArray:
    """Fewest agents (servers, trunks) whose Erlang B blocking is at most ``blocking``
    (formerly ``servers_for_blocking``, still importable with a ``DeprecationWarning``).

    :param traffic: offered load in Erlangs, >= 0.
    :param blocking: the highest blocking probability allowed, in (0, 1).
    :returns: the smallest integer ``n`` with ``erlang_b(traffic, n) <= blocking`` (an
        ``int64`` array for array input).
    :raises ~callroute.errors.ParameterError: naming the argument out of its domain.
    """
    if (s := _scalars(("traffic", "blocking"), (traffic, blocking))) is not None:
        return int(_core.servers_for_blocking(*s))
    out = _vectorized(
        _core.servers_for_blocking_array, ("traffic", "blocking"), (traffic, blocking)
    )
    return out.astype(np.int64)


@dataclass(frozen=True, slots=True)
class RetrialResult:
    """Extended Erlang B: blocking seen by every attempt, and the offered load with retries."""

    blocking: float | FloatArray
    offered_load: float | FloatArray


@_servers_renamed
def erlang_b_retrial(
    traffic: ArrayLike, agents: ArrayLike, retry_fraction: ArrayLike
) -> RetrialResult:
    """Extended Erlang B: a fraction ``retry_fraction`` of blocked callers redial.

    Solves ``y = traffic + retry_fraction * y * B(y, agents)`` for the offered load ``y``
    (first attempts plus retries); ``blocking = B(y, agents)``.

    :param traffic: first-attempt load in Erlangs, >= 0.
    :param agents: servers, >= 0 (formerly ``servers=``, still accepted with a warning).
    :param retry_fraction: the share of blocked attempts that redial, in [0, 1).
    :returns: :class:`RetrialResult` (``blocking``, ``offered_load``).
    :raises ~callroute.errors.ParameterError: naming the argument out of its domain.
    """
    if (
        s := _scalars(("traffic", "agents", "retry_fraction"), (traffic, agents, retry_fraction))
    ) is not None:
        b, y = _core.erlang_b_retrial(*s)
        return RetrialResult(b, y)
    flat, shape = _arrays(
        ("traffic", "agents", "retry_fraction"), (traffic, agents, retry_fraction)
    )
    b_arr, y_arr = _core.erlang_b_retrial_array(flat[0], flat[1], flat[2], list(shape))
    return RetrialResult(b_arr.reshape(shape), y_arr.reshape(shape))


# --- Erlang C -------------------------------------------------------------------------


@overload
def erlang_c(traffic: Number, agents: Number) -> float: ...
@overload
def erlang_c(traffic: ArrayLike, agents: ArrayLike) -> float | FloatArray: ...
def erlang_c(traffic: ArrayLike, agents: ArrayLike) -> float | FloatArray:
    """Erlang C: the probability that a call waits (M/M/n, no abandonment).

    :param traffic: offered load in Erlangs (arrival rate x AHT), >= 0.
    :param agents: agents answering, real >= 0 (the continuous extension between integers).
    :returns: P(wait) in [0, 1]: 1.0 when ``agents <= traffic`` (unstable), except with no
        traffic at all (0.0); an array for array input.
    :raises ~callroute.errors.ParameterError: naming the argument (and, for arrays, the
        first bad index) when a value is not a finite number in its domain.
    """
    if (s := _scalars(("traffic", "agents"), (traffic, agents))) is not None:
        return _core.erlang_c(*s)
    return _vectorized(_core.erlang_c_array, ("traffic", "agents"), (traffic, agents))


@overload
def service_level(traffic: Number, agents: Number, aht: Number, target: Number) -> float: ...
@overload
def service_level(
    traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike, target: ArrayLike
) -> float | FloatArray: ...
def service_level(
    traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike, target: ArrayLike
) -> float | FloatArray:
    """Service level: the fraction of calls answered within ``target`` seconds (Erlang C).

    :param traffic: offered load in Erlangs, >= 0.
    :param agents: agents answering, >= 0.
    :param aht: average handle time in seconds, > 0.
    :param target: the threshold in seconds, >= 0.
    :returns: a fraction in [0, 1] (0.0 when unstable, ``agents <= traffic``).
    :raises ~callroute.errors.ParameterError: naming the argument (and, for arrays, the
        first bad index) when a value is not a finite number in its domain.
    """
    if (
        s := _scalars(("traffic", "agents", "aht", "target"), (traffic, agents, aht, target))
    ) is not None:
        return _core.service_level(*s)
    return _vectorized(
        _core.service_level_array,
        ("traffic", "agents", "aht", "target"),
        (traffic, agents, aht, target),
    )


@overload
def asa(traffic: Number, agents: Number, aht: Number) -> float: ...
@overload
def asa(traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike) -> float | FloatArray: ...
def asa(traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike) -> float | FloatArray:
    """Average speed of answer over all calls (waiting or not), Erlang C.

    :param traffic: offered load in Erlangs, >= 0.
    :param agents: agents answering, >= 0.
    :param aht: average handle time in seconds, > 0.
    :returns: the mean wait in seconds (``inf`` when unstable, ``agents <= traffic``).
    :raises ~callroute.errors.ParameterError: naming the argument (and, for arrays, the
        first bad index) when a value is not a finite number in its domain.
    """
    if (s := _scalars(("traffic", "agents", "aht"), (traffic, agents, aht))) is not None:
        return _core.asa(*s)
    return _vectorized(_core.asa_array, ("traffic", "agents", "aht"), (traffic, agents, aht))


@overload
def occupancy(traffic: Number, agents: Number) -> float: ...
@overload
def occupancy(traffic: ArrayLike, agents: ArrayLike) -> float | FloatArray: ...
def occupancy(traffic: ArrayLike, agents: ArrayLike) -> float | FloatArray:
    """Fraction of agent time spent on calls, ``traffic / agents`` capped at 1."""
    if (s := _scalars(("traffic", "agents"), (traffic, agents))) is not None:
        return _core.occupancy(*s)
    return _vectorized(_core.occupancy_array, ("traffic", "agents"), (traffic, agents))


@overload
def queue_length(traffic: Number, agents: Number) -> float: ...
@overload
def queue_length(traffic: ArrayLike, agents: ArrayLike) -> float | FloatArray: ...
def queue_length(traffic: ArrayLike, agents: ArrayLike) -> float | FloatArray:
    """Mean number of calls waiting (inf when unstable)."""
    if (s := _scalars(("traffic", "agents"), (traffic, agents))) is not None:
        return _core.queue_length(*s)
    return _vectorized(_core.queue_length_array, ("traffic", "agents"), (traffic, agents))


@overload
def wait_quantile(traffic: Number, agents: Number, aht: Number, q: Number) -> float: ...
@overload
def wait_quantile(
    traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike, q: ArrayLike
) -> float | FloatArray: ...
def wait_quantile(
    traffic: ArrayLike, agents: ArrayLike, aht: ArrayLike, q: ArrayLike
) -> float | FloatArray:
    """The ``q``-quantile of the wait over all calls, in seconds (0 if enough never wait)."""
    if (s := _scalars(("traffic", "agents", "aht", "q"), (traffic, agents, aht, q))) is not None:
        return _core.wait_quantile(*s)
    return _vectorized(
        _core.wait_quantile_array, ("traffic", "agents", "aht", "q"), (traffic, agents, aht, q)
    )


def agents_for_service_level(
    traffic: ArrayLike,
    aht: ArrayLike,
    target: ArrayLike,
    level: ArrayLike,
    *,
    max_occupancy: float | None = None,
    fractional: bool = False,
) -> Any:
    """Fewest agents answering ``level`` of calls within ``target`` seconds (Erlang C).

    :param traffic: offered load in Erlangs, >= 0.
    :param aht: average handle time in seconds, > 0.
    :param target: the service-level threshold in seconds, >= 0.
    :param level: the fraction to answer within ``target``, in [0, 1).
    :param max_occupancy: also require ``traffic / agents <= max_occupancy`` (a scalar in
        (0, 1]); ``None``: no cap.
    :param fractional: return the real agent count (continuous extension of Erlang C) at
        which the binding constraint is met exactly.
    :returns: an ``int`` (an ``int64`` array for array input), or a float with
        ``fractional=True``.
    :raises ~callroute.errors.ParameterError: naming the argument (and, for arrays, the
        first bad index) when a value is not a finite number in its domain.
    """
    fractional = _check_fractional(fractional)
    max_occupancy = _option("max_occupancy", max_occupancy)
    if (
        s := _scalars(("traffic", "aht", "target", "level"), (traffic, aht, target, level))
    ) is not None:
        n = _core.agents_for_service_level(s[0], s[1], s[2], s[3], max_occupancy, fractional)
        return n if fractional else int(n)
    out = _vectorized(
        _core.agents_for_service_level_array,
        ("traffic", "aht", "target", "level"),
        (traffic, aht, target, level),
        max_occupancy=max_occupancy,
        fractional=fractional,
    )
    return _as_agents(out, fractional)


def agents_for_asa(
    traffic: ArrayLike,
    aht: ArrayLike,
    asa: ArrayLike,
    *,
    max_occupancy: float | None = None,
    fractional: bool = False,
) -> Any:
    """Fewest agents whose average speed of answer is at most ``asa`` seconds (Erlang C)."""
    fractional = _check_fractional(fractional)
    max_occupancy = _option("max_occupancy", max_occupancy)
    if (s := _scalars(("traffic", "aht", "asa"), (traffic, aht, asa))) is not None:
        n = _core.agents_for_asa(s[0], s[1], s[2], max_occupancy, fractional)
        return n if fractional else int(n)
    out = _vectorized(
        _core.agents_for_asa_array,
        ("traffic", "aht", "asa"),
        (traffic, aht, asa),
        max_occupancy=max_occupancy,
        fractional=fractional,
    )
    return _as_agents(out, fractional)


# --- Erlang A -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Steady state of the M/M/n+M queue (Erlang A). Fields are floats or arrays.

    ``asa`` is the mean wait of answered calls (with zero agents, its limit as agents fall to 0);
    ``mean_wait`` averages over all calls, abandoned ones included; ``service_level`` is
    ``None`` unless a target was given.
    """

    p_wait: float | FloatArray
    p_abandon: float | FloatArray
    asa: float | FloatArray
    mean_wait: float | FloatArray
    occupancy: float | FloatArray
    queue_length: float | FloatArray
    service_level: float | FloatArray | None


def _a_result(cols: Sequence[Any], has_target: bool) -> ErlangAResult:
    return ErlangAResult(
        p_wait=cols[0],
        p_abandon=cols[1],
        asa=cols[2],
        mean_wait=cols[3],
        occupancy=cols[4],
        queue_length=cols[5],
        service_level=cols[6] if has_target else None,
    )


_DEFINITIONS = ("offered", "answered", "offered_minus_early_abandons")


def _check_definition(sl_definition: object) -> str:
    if not isinstance(sl_definition, str) or sl_definition not in _DEFINITIONS:
        raise ParameterError(
            f"sl_definition must be one of {', '.join(map(repr, _DEFINITIONS))}, "
            f"got {sl_definition!r}"
        )
    return str(sl_definition)


def erlang_a(
    traffic: ArrayLike,
    agents: ArrayLike,
    aht: ArrayLike,
    patience: ArrayLike,
    *,
    target: ArrayLike | None = None,
    sl_definition: ServiceLevelDefinition = "offered",
) -> ErlangAResult:
    """Erlang A (M/M/n+M): calls abandon after an exponential patience of mean ``patience``.

    Exact: the state space is summed without truncation and in scaled arithmetic, so long
    queues and large ``agents * target / aht`` are handled.

    :param traffic: offered load in Erlangs, >= 0.
    :param agents: agents answering, >= 0.
    :param aht: average handle time in seconds, > 0.
    :param patience: mean patience in seconds, > 0.
    :param target: the service-level threshold in seconds (``None``: no service level).
    :param sl_definition: what the service level divides by: ``"offered"`` (all calls),
        ``"answered"``, or ``"offered_minus_early_abandons"`` (calls not abandoned before
        ``target``).
    :returns: :class:`ErlangAResult` (``p_wait``, ``p_abandon``, ``asa``, ``mean_wait``,
        ``occupancy``, ``queue_length``, and ``service_level`` when ``target`` is given);
        arrays in it for array input.
    :raises ~callroute.errors.ParameterError: naming the argument (and, for arrays, the
        first bad index) when a value is not a finite number in its domain.
    """
    definition = _check_definition(sl_definition)
    scalar = _scalars(("traffic", "agents", "aht", "patience"), (traffic, agents, aht, patience))
    t = None if target is None else _scalars(("target",), (target,))
    if scalar is not None and (target is None or t is not None):
        row = _core.erlang_a(
            scalar[0], scalar[1], scalar[2], scalar[3], None if t is None else t[0], definition
        )
        return _a_result(row, target is not None)
    names: tuple[str, ...] = ("traffic", "agents", "aht", "patience")
    values: tuple[Any, ...] = (traffic, agents, aht, patience)
    if target is not None:
        names, values = (*names, "target"), (*values, target)
    flat, shape = _arrays(names, values)
    tgt = flat[4] if target is not None else None
    cols = _core.erlang_a_array(flat[0], flat[1], flat[2], flat[3], tgt, list(shape), definition)
    out = [c.reshape(shape) for c in cols]
    return _a_result(out, target is not None)


def agents_for_erlang_a(
    traffic: ArrayLike,
    aht: ArrayLike,
    patience: ArrayLike,
    *,
    target: float | None = None,
    level: float | None = None,
    max_abandon: float | None = None,
    max_occupancy: float | None = None,
    sl_definition: ServiceLevelDefinition = "offered",
    fractional: bool = False,
) -> Any:
    """Fewest agents meeting every given Erlang A constraint.

    Constraints: service level ``level`` within ``target`` seconds (both or neither),
    abandonment at most ``max_abandon``, occupancy at most ``max_occupancy``.
    """
    definition = _check_definition(sl_definition)
    fractional = _check_fractional(fractional)
    target, level = _option("target", target), _option("level", level)
    max_abandon = _option("max_abandon", max_abandon)
    max_occupancy = _option("max_occupancy", max_occupancy)
    if (s := _scalars(("traffic", "aht", "patience"), (traffic, aht, patience))) is not None:
        n = _core.agents_for_erlang_a(
            s[0], s[1], s[2], target, level, max_abandon, max_occupancy, definition, fractional
        )
        return n if fractional else int(n)
    flat, shape = _arrays(("traffic", "aht", "patience"), (traffic, aht, patience))
    out = _core.agents_for_erlang_a_array(
        flat[0],
        flat[1],
        flat[2],
        list(shape),
        target,
        level,
        max_abandon,
        max_occupancy,
        definition,
        fractional,
    ).reshape(shape)
    return _as_agents(out, fractional)


__getattr__ = moved(__name__, {"servers_for_blocking": "callroute.erlang:agents_for_blocking"})
