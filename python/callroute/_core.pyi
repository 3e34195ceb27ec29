"""Stubs of the native module ``callroute._core`` (private: import ``callroute``)."""

import numpy as np
import numpy.typing as npt

_F = npt.NDArray[np.float64]

__all__ = [
    "__version__",
    "agents_for_asa",
    "agents_for_asa_array",
    "agents_for_erlang_a",
    "agents_for_erlang_a_array",
    "agents_for_service_level",
    "agents_for_service_level_array",
    "asa",
    "asa_array",
    "erlang_a",
    "erlang_a_array",
    "erlang_b",
    "erlang_b_array",
    "erlang_b_retrial",
    "erlang_b_retrial_array",
    "erlang_c",
    "erlang_c_array",
    "occupancy",
    "occupancy_array",
    "queue_length",
    "queue_length_array",
    "servers_for_blocking",
    "servers_for_blocking_array",
    "service_level",
    "service_level_array",
    "wait_quantile",
    "wait_quantile_array",
]

__version__: str

def erlang_b(traffic: float, servers: float) -> float: ...
def erlang_b_array(traffic: _F, servers: _F, shape: list[int]) -> _F: ...
def erlang_c(traffic: float, agents: float) -> float: ...
def erlang_c_array(traffic: _F, agents: _F, shape: list[int]) -> _F: ...
def occupancy(traffic: float, agents: float) -> float: ...
def occupancy_array(traffic: _F, agents: _F, shape: list[int]) -> _F: ...
def queue_length(traffic: float, agents: float) -> float: ...
def queue_length_array(traffic: _F, agents: _F, shape: list[int]) -> _F: ...
def asa(traffic: float, agents: float, aht: float) -> float: ...
def asa_array(traffic: _F, agents: _F, aht: _F, shape: list[int]) -> _F: ...
def service_level(traffic: float, agents: float, aht: float, target: float) -> float: ...
def service_level_array(traffic: _F, agents: _F, aht: _F, target: _F, shape: list[int]) -> _F: ...
def wait_quantile(traffic: float, agents: float, aht: float, q: float) -> float: ...
def wait_quantile_array(traffic: _F, agents: _F, aht: _F, q: _F, shape: list[int]) -> _F: ...
def servers_for_blocking(traffic: float, blocking: float) -> float: ...
def servers_for_blocking_array(traffic: _F, blocking: _F, shape: list[int]) -> _F: ...
def erlang_b_retrial(
    traffic: float, servers: float, retry_fraction: float
) -> tuple[float, float]: ...
def erlang_b_retrial_array(
    traffic: _F, servers: _F, retry_fraction: _F, shape: list[int]
) -> tuple[_F, _F]: ...
def agents_for_service_level(
    traffic: float,
    aht: float,
    target: float,
    level: float,
    max_occupancy: float | None,
    fractional: bool,
) -> float: ...
def agents_for_service_level_array(
    traffic: _F,
    aht: _F,
    target: _F,
    level: _F,
    shape: list[int],
    max_occupancy: float | None,
    fractional: bool,
) -> _F: ...
def agents_for_asa(
    traffic: float, aht: float, asa: float, max_occupancy: float | None, fractional: bool
) -> float: ...
def agents_for_asa_array(
    traffic: _F,
    aht: _F,
    asa: _F,
    shape: list[int],
    max_occupancy: float | None,
    fractional: bool,
) -> _F: ...
def erlang_a(
    traffic: float,
    agents: float,
    aht: float,
    patience: float,
    target: float | None,
    sl_definition: str,
) -> list[float]: ...
def erlang_a_array(
    traffic: _F,
    agents: _F,
    aht: _F,
    patience: _F,
    target: _F | None,
    shape: list[int],
    sl_definition: str,
) -> list[_F]: ...
def agents_for_erlang_a(
    traffic: float,
    aht: float,
    patience: float,
    target: float | None,
    level: float | None,
    max_abandon: float | None,
    max_occupancy: float | None,
    sl_definition: str,
    fractional: bool,
) -> float: ...
def agents_for_erlang_a_array(
    traffic: _F,
    aht: _F,
    patience: _F,
    shape: list[int],
    target: float | None,
    level: float | None,
    max_abandon: float | None,
    max_occupancy: float | None,
    sl_definition: str,
    fractional: bool,
) -> _F: ...
