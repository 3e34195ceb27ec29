"""The snapshot format (docs/engine.md, "Snapshots"): a 24-byte header (magic, version,
body length, CRC-32 of the body, little-endian) before the state, checked with zlib."""

from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path

import callroute
import pytest
from callroute import Engine

VERSION = 4
GOLDEN = Path(__file__).parent.parent / "rust/core/tests/fixtures/engine_snapshot_v4.bin"


def sealed(version: int, body: bytes) -> bytes:
    return b"CRENGSNP" + struct.pack("<IQI", version, len(body), zlib.crc32(body)) + body


@pytest.fixture
def blob(mid_run_engine: Engine) -> bytes:
    """The snapshot of the small mid-run engine (conftest)."""
    snap: bytes = mid_run_engine.snapshot()
    return snap


def test_header_is_as_documented(blob: bytes) -> None:
    magic, (version, length, crc) = blob[:8], struct.unpack("<IQI", blob[8:24])
    body = blob[24:]
    assert (magic, version, length, crc) == (b"CRENGSNP", VERSION, len(body), zlib.crc32(body))
    assert Engine.restore(sealed(VERSION, body)).snapshot() == blob


@pytest.mark.parametrize("version", [0, 2, VERSION + 1, 2**32 - 1])
def test_other_versions_are_refused_by_name(blob: bytes, version: int) -> None:
    message = f"unsupported snapshot version {version} (this build reads {VERSION})"
    with pytest.raises(callroute.errors.SnapshotError) as info:
        Engine.restore(sealed(version, blob[24:]))
    assert str(info.value) == message


def test_the_format_before_the_header_is_refused_by_its_version(blob: bytes) -> None:
    with pytest.raises(callroute.errors.SnapshotError, match=r"^unsupported snapshot version 2 \("):
        Engine.restore(b"CRENG\0\0\x02" + blob[24:])


def test_trailing_bytes_are_refused(blob: bytes) -> None:
    with pytest.raises(callroute.errors.SnapshotError, match="followed by 1 bytes"):
        Engine.restore(blob + b"\0")
    with pytest.raises(callroute.errors.SnapshotError, match="1 bytes left over"):
        Engine.restore(sealed(VERSION, blob[24:] + b"\0"))


def test_every_single_bit_flip_is_refused(blob: bytes) -> None:
    refused = 0
    for i in range(len(blob)):
        for bit in range(8):
            bad = bytearray(blob)
            bad[i] ^= 1 << bit
            with pytest.raises(callroute.errors.SnapshotError):
                Engine.restore(bytes(bad))
            refused += 1
    assert refused == 8 * len(blob) > 1000


def test_golden_snapshot_restores() -> None:
    """The golden snapshot of this format version made by the Rust tests' scenario (see
    rust/core/tests/snapshot_format.rs): its state, and its bytes back."""
    golden = GOLDEN.read_bytes()
    eng = Engine.restore(golden)
    assert eng.snapshot() == golden
    assert eng.now == 20.0
    assert eng.queues() == ["general", "sales", "chat"]
    assert eng.agents() == ["a0", "a1", "a2", "a3"]
    assert sorted(eng.calls()) == ["c2", "c3", "c4"]
    assert [eng.agent_state(a) for a in eng.agents()] == ["wrapup", "not_ready", "busy", "offered"]
    assert eng.agent_reason("a1") == "lunch"
    c2 = eng.call_info("c2")
    assert (c2.queue, c2.state, c2.agent) == ("sales", "offered", "a3")
    assert c2.data == {"account": "c2-42"}
    assert eng.call_info("c4").position == 1
    sales = eng.queue_stats("sales")
    assert (sales.offered, sales.answered, sales.completed, sales.talk) == (2, 1, 1, 5.0)
    assert eng.next_deadline() == 26.0
    eng.audit()


def test_snapshots_from_threads_while_a_scorer_is_installed() -> None:
    """Snapshots encode detached from the interpreter, under the engine's lock: taken from
    several threads while another routes through a Python scorer, each is a consistent state."""
    eng = Engine()
    eng.add_queue("q", strategy="custom")
    for name in ("a", "b"):
        eng.add_agent(name)
        eng.agent_ready(name, 0.0)

    def scorer(call: callroute.engine.CallView, agents: list[str]) -> Sequence[float]:
        return [1.0 if a == "b" else 0.0 for a in agents]

    eng.set_scorer(scorer)
    blobs: list[bytes] = []
    lock = threading.Lock()

    def snapshots() -> None:
        for _ in range(50):
            b = eng.snapshot()
            with lock:
                blobs.append(b)

    threads = [threading.Thread(target=snapshots) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(200):
        eng.call_arrived(f"c{i}", 1.0 + i, queue="q")
        eng.call_abandoned(f"c{i}", 1.5 + i)
    for t in threads:
        t.join()
    assert len(blobs) == 150
    for b in blobs:
        Engine.restore(b).audit()
