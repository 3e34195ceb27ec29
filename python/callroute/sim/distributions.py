"""Durations and arrival processes of a simulation model, as typed values.

Each is a small frozen object (:class:`Exponential`, :class:`Gamma`, ... for durations;
:class:`Poisson`, :class:`Piecewise`, :class:`Trace` for arrivals) built by the lower-case
helpers (:func:`exponential`, :func:`poisson`, ...). :meth:`Distribution.to_json` gives the
form the core reads, the same as a hand-written model file: ``exponential(180).to_json()``
is ``{"exponential": {"mean": 180.0}}`` and ``never().to_json()`` is ``"never"``. A model
may mix these objects with that plain form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError

__all__ = [
    "Arrivals",
    "Deterministic",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "Lognormal",
    "Never",
    "Piecewise",
    "Poisson",
    "Trace",
    "deterministic",
    "empirical",
    "exponential",
    "gamma",
    "lognormal",
    "never",
    "piecewise",
    "poisson",
    "trace",
]


class Distribution:
    """A duration (seconds) or an arrival process of a model; see :meth:`to_json`."""

    __slots__ = ()

    def to_json(self) -> dict[str, Any] | str:
        """The plain JSON value the simulator core reads for this distribution."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Exponential(Distribution):
    """Exponential durations with this ``mean`` (seconds)."""

    mean: float

    def to_json(self) -> dict[str, Any]:
        """``{"exponential": {"mean": mean}}``."""
        return {"exponential": {"mean": self.mean}}


@dataclass(frozen=True, slots=True)
class Lognormal(Distribution):
    """Lognormal durations with this ``mean`` (seconds) and coefficient of variation."""

    mean: float
    cv: float

    def to_json(self) -> dict[str, Any]:
        """``{"lognormal": {"mean": mean, "cv": cv}}``."""
        return {"lognormal": {"mean": self.mean, "cv": self.cv}}


@dataclass(frozen=True, slots=True)
class Gamma(Distribution):
    """Gamma durations with this ``mean`` (seconds) and coefficient of variation."""

    mean: float
    cv: float

    def to_json(self) -> dict[str, Any]:
        """``{"gamma": {"mean": mean, "cv": cv}}``."""
        return {"gamma": {"mean": self.mean, "cv": self.cv}}


@dataclass(frozen=True, slots=True)
class Deterministic(Distribution):
    """Always this duration ``value`` (seconds)."""

    value: float

    def to_json(self) -> dict[str, Any]:
        """``{"deterministic": {"value": value}}``."""
        return {"deterministic": {"value": self.value}}


@dataclass(frozen=True, slots=True)
class Empirical(Distribution):
    """Durations drawn uniformly from observed ``values`` (seconds)."""

    values: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"empirical": {"values": [...]}}``."""
        return {"empirical": {"values": list(self.values)}}


@dataclass(frozen=True, slots=True)
class Never(Distribution):
    """A patience that never runs out (the caller never abandons)."""

    def to_json(self) -> str:
        """The string ``"never"`` (how a model file writes this patience)."""
        return "never"


class Arrivals(Distribution):
    """An arrival process of a model (the ``arrivals`` key)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Poisson(Arrivals):
    """Poisson arrivals at ``rate`` calls per second."""

    rate: float

    def to_json(self) -> dict[str, Any]:
        """``{"poisson": {"rate": rate}}``."""
        return {"poisson": {"rate": self.rate}}


@dataclass(frozen=True, slots=True)
class Piecewise(Arrivals):
    """Poisson arrivals at ``rates[i]`` calls per second in interval ``i`` (``interval``
    seconds long) from ``start``."""

    start: float
    interval: float
    rates: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"piecewise": {"start": ..., "interval": ..., "rates": [...]}}``."""
        return {
            "piecewise": {"start": self.start, "interval": self.interval, "rates": list(self.rates)}
        }


@dataclass(frozen=True, slots=True)
class Trace(Arrivals):
    """Replayed arrival ``times`` (seconds, sorted) with the call type index of each
    (``types``; ``None``: drawn by the call types' shares)."""

    times: tuple[float, ...]
    types: tuple[int, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"trace": {"times": [...], "types": [...]}}`` (``types`` only when given)."""
        out: dict[str, Any] = {"times": list(self.times)}
        if self.types is not None:
            out["types"] = list(self.types)
        return {"trace": out}


# ------------------------------------------------------------------------------ helpers


def exponential(mean: float) -> Exponential:
    """Exponential durations with this mean (seconds).

    Raises ``TypeError``/``ValueError`` when ``mean`` is not a number; the model's check
    (:func:`callroute.simulate`) refuses a mean that is not > 0, with its path.
    """
    return Exponential(float(mean))


def lognormal(mean: float, cv: float) -> Lognormal:
    """Lognormal durations with this mean (seconds) and coefficient of variation."""
    return Lognormal(float(mean), float(cv))


def gamma(mean: float, cv: float) -> Gamma:
    """Gamma durations with this mean (seconds) and coefficient of variation."""
    return Gamma(float(mean), float(cv))


def deterministic(value: float) -> Deterministic:
    """Always this duration (seconds)."""
    return Deterministic(float(value))


def empirical(values: Iterable[float]) -> Empirical:
    """Durations drawn uniformly from observed values (seconds)."""
    return Empirical(tuple(float(v) for v in values))


def never() -> Never:
    """A patience that never runs out (written ``"never"`` in a model file)."""
    return Never()


def poisson(rate: float | None = None, *, calls: float | None = None, per: float = 1.0) -> Poisson:
    """Poisson arrivals: ``rate`` calls per second, or ``calls`` per ``per`` seconds.

    Raises :class:`~callroute.errors.ModelError` when both or neither of ``rate`` and
    ``calls`` are given.
    """
    if (rate is None) == (calls is None):
        raise ModelError("poisson: give rate or calls (per seconds), not both")
    r = float(rate) if rate is not None else float(calls) / float(per)  # type: ignore[arg-type]
    return Poisson(r)


def piecewise(calls: Iterable[float], *, interval: float, start: float = 0.0) -> Piecewise:
    """Poisson arrivals with ``calls[i]`` expected calls in interval ``i`` from ``start``.

    Raises :class:`~callroute.errors.ModelError` when ``interval`` is not > 0 seconds.
    """
    length = float(interval)
    if not length > 0:
        raise ModelError(f"piecewise: interval must be > 0, got {interval}")
    return Piecewise(float(start), length, tuple(float(c) / length for c in calls))


def trace(times: Iterable[float], types: Iterable[int] | None = None) -> Trace:
    """Replay these arrival times (seconds, sorted), with the call type index of each."""
    return Trace(
        tuple(float(t) for t in times), None if types is None else tuple(int(t) for t in types)
    )
