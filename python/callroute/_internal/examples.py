"""The bundled examples: one :func:`example_path` for every kind of file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from ..errors import ModelError, ParameterError

__all__ = ["EXAMPLES", "ExampleKind", "example_path"]

ExampleKind = Literal[
    "center",
    "model",
    "outsourcer_model",
    "forecast",
    "contactcenters_mmc",
    "contactcenters_mmcab",
    "contactcenters_simplemsk",
    "blend",
]

EXAMPLES: dict[str, str] = {
    "center": "example_outsourcer.yaml",
    "model": "example_center.yaml",
    "outsourcer_model": "example_outsourcer_day.yaml",
    "forecast": "bank_weekday.csv",
    "contactcenters_mmc": "contactcenters_mmc.yaml",
    "contactcenters_mmcab": "contactcenters_mmcab.yaml",
    "contactcenters_simplemsk": "contactcenters_simplemsk.yaml",
    "blend": "example_blend.yaml",
}
"""Kind of example -> file name under ``callroute/data``."""

_DATA = Path(__file__).parent.parent / "data"


def example_path(kind: ExampleKind) -> Path:
    """The path of a bundled example file.

    :param kind: ``"center"``, a two-tenant outsourcer's center configuration (for
        :func:`callroute.load_center`); ``"model"``, a bank's weekday with two queues,
        generalists and specialists (for :func:`callroute.load_model` and
        :func:`callroute.simulate`); ``"outsourcer_model"``, a weekday of the ``"center"``
        example as a simulation model; ``"forecast"``, calls per half hour of an average
        weekday of a real bank (Anonymous Bank, February 1999), for
        :func:`callroute.load_forecast`; ``"contactcenters_mmc"``,
        ``"contactcenters_mmcab"`` and ``"contactcenters_simplemsk"``, the M/M/12 day, the
        same with abandonment and the three-type, two-group center of ContactCenters'
        examples of simulation programs, as model files; ``"blend"``, a blended day of
        30 agents answering a service line and dialling a campaign (for
        :func:`callroute.outbound.load_blend`).
    :returns: the file's path (it exists in every installation).
    :raises ~callroute.errors.ParameterError: for any other ``kind``.
    """
    name = EXAMPLES.get(kind) if isinstance(kind, str) else None
    if name is None:
        raise ParameterError(f"no example {kind!r}; kinds: {', '.join(EXAMPLES)}")
    return _DATA / name


# -------------------------------------------------------------- the deprecated helpers


def example_config_path() -> Path:
    """Deprecated: ``example_path("center")``."""
    return example_path("center")


def example_forecast_path() -> Path:
    """Deprecated: ``example_path("forecast")``."""
    return example_path("forecast")


def example_model_path(name: str = "bank") -> Path:
    """Deprecated: ``example_path("model")`` (``name="bank"``) or
    ``example_path("outsourcer_model")`` (``name="outsourcer"``)."""
    kinds: dict[str, ExampleKind] = {"bank": "model", "outsourcer": "outsourcer_model"}
    if name not in kinds:
        raise ModelError(f"no example {name!r}; examples: {', '.join(kinds)}")
    return example_path(kinds[name])
