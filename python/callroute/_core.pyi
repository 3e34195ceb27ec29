"""Stubs of the native module ``callroute._core`` (private: import ``callroute``)."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, final

import numpy as np
import numpy.typing as npt
from typing_extensions import Unpack

from .types import AgentState as _AgentState
from .types import CallState as _CallState
from .types import DataValue as _DataValue
from .types import ExitReason as _ExitReason
from .types import QueueSpec as _QueueSpec
from .types import RevokeReason as _RevokeReason
from .types import Seconds as _Seconds

_F = npt.NDArray[np.float64]

__all__ = [
    "AgentStateChanged",
    "AgentStats",
    "CallInfo",
    "CallView",
    "Dial",
    "Dialer",
    "Engine",
    "Exit",
    "IntervalStats",
    "Offer",
    "Overflow",
    "PreviewOffer",
    "QueueStats",
    "Queued",
    "Revoked",
    "SimModel",
    "StepReached",
    "Totals",
    "__version__",
    "agents_for_asa",
    "agents_for_asa_array",
    "agents_for_erlang_a",
    "agents_for_erlang_a_array",
    "agents_for_service_level",
    "agents_for_service_level_array",
    "asa",
    "asa_array",
    "blend_check",
    "blend_run",
    "blending_threshold",
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
    "sim_model",
    "sim_run",
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

# ------------------------------------------------------------------ routing engine

@final
class Offer:
    """Offer ``call`` to ``agent`` until ``expires``; ``callback``: the agent calls back.

    ``auto_answer``: the agent answers by itself; the call is connected already, there is
    nothing to accept or decline, and ``expires`` is the time of the offer. ``data``: the
    call's attached data (``call_arrived(data=...)``), a read-only mapping in the order it
    came, for the agent's screen-pop.
    """

    __match_args__ = ("call", "agent", "queue", "expires", "callback", "auto_answer", "data")
    def __new__(
        cls,
        call: str,
        agent: str,
        queue: str,
        expires: _Seconds,
        callback: bool,
        auto_answer: bool = False,
        data: Mapping[str, _DataValue] = ...,
    ) -> Offer: ...
    @property
    def call(self) -> str: ...
    @property
    def agent(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def expires(self) -> _Seconds: ...
    @property
    def callback(self) -> bool: ...
    @property
    def auto_answer(self) -> bool: ...
    @property
    def data(self) -> Mapping[str, _DataValue]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Queued:
    """The call waits at ``position`` (1 = next), ``expected_wait`` seconds from now."""

    __match_args__ = ("call", "queue", "position", "expected_wait")
    def __new__(cls, call: str, queue: str, position: int, expected_wait: _Seconds) -> Queued: ...
    @property
    def call(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def position(self) -> int: ...
    @property
    def expected_wait(self) -> _Seconds: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Revoked:
    """An offer was taken back (no_answer, abandoned, transferred, logged_out)."""

    __match_args__ = ("call", "agent", "reason")
    def __new__(cls, call: str, agent: str, reason: _RevokeReason) -> Revoked: ...
    @property
    def call(self) -> str: ...
    @property
    def agent(self) -> str: ...
    @property
    def reason(self) -> _RevokeReason: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Overflow:
    """The call moved to another queue at its max wait."""

    __match_args__ = ("call", "from_queue", "to_queue")
    def __new__(cls, call: str, from_queue: str, to_queue: str) -> Overflow: ...
    @property
    def call(self) -> str: ...
    @property
    def from_queue(self) -> str: ...
    @property
    def to_queue(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Exit:
    """The call leaves unanswered (max_wait, closed, no_agents)."""

    __match_args__ = ("call", "queue", "reason")
    def __new__(cls, call: str, queue: str, reason: _ExitReason) -> Exit: ...
    @property
    def call(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def reason(self) -> _ExitReason: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class StepReached:
    """A relaxation step (1-based) applied to a waiting call."""

    __match_args__ = ("call", "queue", "step")
    def __new__(cls, call: str, queue: str, step: int) -> StepReached: ...
    @property
    def call(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def step(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class AgentStateChanged:
    """An agent's new state; ``reason`` is set for ``not_ready``."""

    __match_args__ = ("agent", "state", "reason")
    def __new__(cls, agent: str, state: _AgentState, reason: str | None) -> AgentStateChanged: ...
    @property
    def agent(self) -> str: ...
    @property
    def state(self) -> _AgentState: ...
    @property
    def reason(self) -> str | None: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class QueueStats:
    """Live statistics of a queue; times in seconds."""

    __match_args__ = (
        "offered",
        "answered",
        "answered_within_sl",
        "abandoned",
        "short_abandoned",
        "exited",
        "moved_out",
        "completed",
        "wait_answered",
        "wait_abandoned",
        "talk",
        "wrapup",
        "asa",
        "aht",
        "service_level",
        "waiting",
        "offering",
        "longest_wait",
        "agents_logged_in",
        "agents_available",
        "expected_wait",
    )
    def __new__(
        cls,
        offered: int,
        answered: int,
        answered_within_sl: int,
        abandoned: int,
        short_abandoned: int,
        exited: int,
        moved_out: int,
        completed: int,
        wait_answered: float,
        wait_abandoned: float,
        talk: float,
        wrapup: float,
        asa: float,
        aht: float,
        service_level: float,
        waiting: int,
        offering: int,
        longest_wait: float,
        agents_logged_in: int,
        agents_available: int,
        expected_wait: float,
    ) -> QueueStats: ...
    @property
    def offered(self) -> int: ...
    @property
    def answered(self) -> int: ...
    @property
    def answered_within_sl(self) -> int: ...
    @property
    def abandoned(self) -> int: ...
    @property
    def short_abandoned(self) -> int: ...
    @property
    def exited(self) -> int: ...
    @property
    def moved_out(self) -> int: ...
    @property
    def completed(self) -> int: ...
    @property
    def wait_answered(self) -> float: ...
    @property
    def wait_abandoned(self) -> float: ...
    @property
    def talk(self) -> float: ...
    @property
    def wrapup(self) -> float: ...
    @property
    def asa(self) -> float: ...
    @property
    def aht(self) -> float: ...
    @property
    def service_level(self) -> float: ...
    @property
    def waiting(self) -> int: ...
    @property
    def offering(self) -> int: ...
    @property
    def longest_wait(self) -> float: ...
    @property
    def agents_logged_in(self) -> int: ...
    @property
    def agents_available(self) -> int: ...
    @property
    def expected_wait(self) -> float: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class IntervalStats:
    """A queue's counters over the interval starting at ``start`` (seconds)."""

    __match_args__ = (
        "start",
        "offered",
        "answered",
        "answered_within_sl",
        "abandoned",
        "short_abandoned",
        "exited",
        "moved_out",
        "completed",
        "wait_answered",
        "wait_abandoned",
        "talk",
        "wrapup",
        "asa",
        "aht",
        "service_level",
    )
    def __new__(
        cls,
        start: float,
        offered: int,
        answered: int,
        answered_within_sl: int,
        abandoned: int,
        short_abandoned: int,
        exited: int,
        moved_out: int,
        completed: int,
        wait_answered: float,
        wait_abandoned: float,
        talk: float,
        wrapup: float,
        asa: float,
        aht: float,
        service_level: float,
    ) -> IntervalStats: ...
    @property
    def start(self) -> float: ...
    @property
    def offered(self) -> int: ...
    @property
    def answered(self) -> int: ...
    @property
    def answered_within_sl(self) -> int: ...
    @property
    def abandoned(self) -> int: ...
    @property
    def short_abandoned(self) -> int: ...
    @property
    def exited(self) -> int: ...
    @property
    def moved_out(self) -> int: ...
    @property
    def completed(self) -> int: ...
    @property
    def wait_answered(self) -> float: ...
    @property
    def wait_abandoned(self) -> float: ...
    @property
    def talk(self) -> float: ...
    @property
    def wrapup(self) -> float: ...
    @property
    def asa(self) -> float: ...
    @property
    def aht(self) -> float: ...
    @property
    def service_level(self) -> float: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class AgentStats:
    """An agent's statistics; times in seconds, ``not_ready`` per reason."""

    __match_args__ = (
        "handled",
        "offered",
        "declined",
        "missed",
        "talk",
        "wrapup",
        "idle",
        "offered_time",
        "not_ready",
        "occupancy",
    )
    def __new__(
        cls,
        handled: int,
        offered: int,
        declined: int,
        missed: int,
        talk: float,
        wrapup: float,
        idle: float,
        offered_time: float,
        not_ready: dict[str, float],
        occupancy: float,
    ) -> AgentStats: ...
    @property
    def handled(self) -> int: ...
    @property
    def offered(self) -> int: ...
    @property
    def declined(self) -> int: ...
    @property
    def missed(self) -> int: ...
    @property
    def talk(self) -> float: ...
    @property
    def wrapup(self) -> float: ...
    @property
    def idle(self) -> float: ...
    @property
    def offered_time(self) -> float: ...
    @property
    def not_ready(self) -> dict[str, float]: ...
    @property
    def occupancy(self) -> float: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Totals:
    """Conservation totals over the engine's life."""

    __match_args__ = ("arrived", "completed", "abandoned", "exited", "rejected", "active")
    def __new__(
        cls,
        arrived: int,
        completed: int,
        abandoned: int,
        exited: int,
        rejected: int,
        active: int,
    ) -> Totals: ...
    @property
    def arrived(self) -> int: ...
    @property
    def completed(self) -> int: ...
    @property
    def abandoned(self) -> int: ...
    @property
    def exited(self) -> int: ...
    @property
    def rejected(self) -> int: ...
    @property
    def active(self) -> int: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class CallInfo:
    """Where a call is: ``state`` is waiting, offered or connected."""

    __match_args__ = (
        "call",
        "queue",
        "state",
        "agent",
        "position",
        "expected_wait",
        "arrival",
        "priority",
        "step",
        "callback",
        "data",
    )
    def __new__(
        cls,
        call: str,
        queue: str,
        state: _CallState,
        agent: str | None,
        position: int | None,
        expected_wait: float | None,
        arrival: float,
        priority: int,
        step: int,
        callback: bool,
        data: dict[str, _DataValue],
    ) -> CallInfo: ...
    @property
    def call(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def state(self) -> _CallState: ...
    @property
    def agent(self) -> str | None: ...
    @property
    def position(self) -> int | None: ...
    @property
    def expected_wait(self) -> float | None: ...
    @property
    def arrival(self) -> float: ...
    @property
    def priority(self) -> int: ...
    @property
    def step(self) -> int: ...
    @property
    def callback(self) -> bool: ...
    @property
    def data(self) -> dict[str, _DataValue]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class CallView:
    """What a custom scorer sees of a call."""

    __match_args__ = ("id", "queue", "priority", "waited", "data")
    def __new__(
        cls,
        id: str,
        queue: str,
        priority: int,
        waited: float,
        data: dict[str, _DataValue],
    ) -> CallView: ...
    @property
    def id(self) -> str: ...
    @property
    def queue(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def waited(self) -> float: ...
    @property
    def data(self) -> dict[str, _DataValue]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

_Decision = Offer | Queued | Revoked | Overflow | Exit | StepReached | AgentStateChanged
_Scorer = Callable[[CallView, list[str]], Sequence[float]]

@final
class Engine:
    """The routing engine: events in, decisions out, explicit time (seconds)."""

    EVENT_METHODS: ClassVar[tuple[str, ...]]

    def __new__(cls, *, seed: int = 0, interval: _Seconds = 1800.0) -> Engine: ...
    def add_queue(self, name: str, **spec: Unpack[_QueueSpec]) -> None: ...
    def add_agent(
        self,
        name: str,
        *,
        tenant: str = "default",
        skills: Mapping[str, int] | None = None,
        capacity: Mapping[str, int] | None = None,
        exclusive: Sequence[str] | None = None,
        weight: float = 1.0,
        auto_answer: bool = False,
    ) -> None: ...
    def set_agent_skills(
        self, agent: str, skills: Mapping[str, int], now: _Seconds
    ) -> list[_Decision]: ...
    def set_queue_open(self, queue: str, open: bool) -> None: ...
    def agent_ready(self, agent: str, now: _Seconds) -> list[_Decision]: ...
    def agent_not_ready(
        self, agent: str, now: _Seconds, reason: str = "break"
    ) -> list[_Decision]: ...
    def agent_logout(self, agent: str, now: _Seconds) -> list[_Decision]: ...
    def wrapup_done(self, agent: str, now: _Seconds) -> list[_Decision]: ...
    def call_arrived(
        self,
        call: str,
        now: _Seconds,
        *,
        queue: str | None = None,
        skills: Mapping[str, int] | None = None,
        priority: int = 0,
        media: str | None = None,
        tenant: str | None = None,
        data: Mapping[str, _DataValue] | None = None,
    ) -> list[_Decision]: ...
    def offer_accepted(self, call: str, now: _Seconds) -> list[_Decision]: ...
    def offer_declined(self, call: str, now: _Seconds) -> list[_Decision]: ...
    def call_ended(self, call: str, now: _Seconds) -> list[_Decision]: ...
    def call_abandoned(self, call: str, now: _Seconds) -> list[_Decision]: ...
    def transfer(self, call: str, now: _Seconds, queue: str) -> list[_Decision]: ...
    def callback_requested(self, call: str, now: _Seconds) -> list[_Decision]: ...
    def advance(self, now: _Seconds) -> list[_Decision]: ...
    def next_deadline(self) -> _Seconds | None: ...
    @property
    def now(self) -> _Seconds | None: ...
    def feed(self, events: Iterable[Sequence[Any]]) -> list[_Decision]: ...
    def queue_stats(self, queue: str) -> QueueStats: ...
    def interval_stats(self, queue: str) -> list[IntervalStats]: ...
    def agent_stats(self, agent: str) -> AgentStats: ...
    def agent_state(self, agent: str) -> _AgentState: ...
    def agent_skills(self, agent: str) -> dict[str, int]: ...
    def agent_reason(self, agent: str) -> str | None: ...
    def call_info(self, call: str) -> CallInfo: ...
    def position(self, call: str) -> int | None: ...
    def totals(self) -> Totals: ...
    def queues(self) -> list[str]: ...
    def agents(self) -> list[str]: ...
    def calls(self) -> list[str]: ...
    def eligible_agents(
        self, tenant: str, skills: Mapping[str, int]
    ) -> tuple[list[str], list[str]]: ...
    def snapshot(self) -> bytes: ...
    @staticmethod
    def restore(blob: bytes | bytearray | memoryview) -> Engine: ...
    def audit(self) -> None: ...
    def set_scorer(self, scorer: _Scorer | None) -> None: ...
    @property
    def scorer_failures(self) -> int: ...

# --- simulator ---------------------------------------------------------------------

@final
class SimModel:
    """A simulation model, parsed once and checked up front (see :func:`sim_model`)."""

def sim_model(model_json: str) -> SimModel: ...
def sim_run(
    model: SimModel, seed: int, indices: list[int], threads: int
) -> list[dict[str, Any]]: ...

# --- blended-day simulator ---------------------------------------------------------

def blend_check(model_json: str) -> None: ...
def blend_run(
    model_json: str, seed: int, indices: list[int], threads: int
) -> list[dict[str, Any]]: ...

# --- outbound dialer ----------------------------------------------------------------

@final
class Dial:
    """A decision to place a call: originate ``number`` for ``contact`` on ``line``."""

    def __new__(
        cls,
        line: int,
        campaign: str,
        contact: str,
        number: str,
        caller_id: str,
        attempt: int,
        agent: str | None = None,
    ) -> Dial: ...
    @property
    def line(self) -> int: ...
    @property
    def campaign(self) -> str: ...
    @property
    def contact(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def caller_id(self) -> str: ...
    @property
    def attempt(self) -> int: ...
    @property
    def agent(self) -> str | None: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class PreviewOffer:
    """A contact to show to an agent of ``campaign`` before dialling."""

    @property
    def campaign(self) -> str: ...
    @property
    def contact(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def data(self) -> dict[str, str]: ...
    @property
    def attempts(self) -> int: ...

@final
class Dialer:
    """The outbound dialer: campaigns, contacts, lines and pacing, explicit time."""

    def __new__(cls) -> Dialer: ...
    def add_campaign(self, config: Mapping[str, Any], now: _Seconds) -> None: ...
    def add_contacts(
        self, campaign: str, contacts: Sequence[Mapping[str, Any]], now: _Seconds
    ) -> None: ...
    def set_zone_windows(
        self, campaign: str, zone: int, spans: Sequence[tuple[float, float]], now: _Seconds
    ) -> None: ...
    def set_dnc(
        self, numbers: Sequence[str], now: _Seconds, campaign: str | None = None
    ) -> None: ...
    def start_campaign(self, campaign: str, now: _Seconds) -> None: ...
    def stop_campaign(self, campaign: str, now: _Seconds) -> None: ...
    def pace(
        self,
        now: _Seconds,
        free: dict[
            str,
            int | tuple[int, float] | tuple[int, float, float] | tuple[int, float, float, int],
        ],
    ) -> tuple[list[Dial], list[PreviewOffer]]: ...
    def preview_accepted(
        self, campaign: str, contact: str, now: _Seconds, agent: str | None = None
    ) -> Dial | None: ...
    def preview_rejected(self, campaign: str, contact: str, now: _Seconds) -> None: ...
    def outcome(
        self, line: int, outcome: str, now: _Seconds, at: _Seconds | None = None
    ) -> None: ...
    def agent_connected(self, line: int, now: _Seconds) -> None: ...
    def connect_timeout(self, line: int, now: _Seconds) -> None: ...
    def next_deadline(self) -> _Seconds | None: ...
    def advance(self, now: _Seconds) -> None: ...
    @property
    def now(self) -> _Seconds | None: ...
    def stats(self, campaign: str) -> dict[str, Any]: ...
    def contact(self, campaign: str, contact: str) -> dict[str, Any]: ...
    def contacts(self, campaign: str) -> list[dict[str, Any]]: ...
    def lines(self) -> list[dict[str, Any]]: ...
    def campaigns(self) -> list[str]: ...
    def snapshot(self) -> bytes: ...
    @staticmethod
    def restore(blob: bytes | bytearray | memoryview) -> Dialer: ...

def blending_threshold(
    blending: int | str,
    agents: int,
    *,
    traffic: float | None = None,
    aht: float | None = None,
    answer_within: float | None = None,
    target: float | None = None,
) -> int: ...
