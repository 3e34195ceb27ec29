"""Reading center files and simulation models safely (``callroute._internal.files``).

Hostile runs: a 617-byte YAML alias bomb made ``callroute check`` run 300 s at 3 GB, and one
under an unknown key made ``simulate`` expand it (through ``json.dumps``) before validation;
``load_model`` on non-UTF-8 raised ``UnicodeDecodeError``. The reader bounds a document's size
and, in YAML, its aliases and its size as expanded, before any object is built; every problem
is the caller's typed error naming the file.

The end-to-end bomb tests run in a child process with a memory cap, so that a regression
fails (MemoryError, or the child is stopped) instead of taking the machine down.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import callroute
import pytest
from callroute._internal.files import read_document

# Nine anchors, each a list of nine aliases of the one before: 9**9 (387 million) leaves
# once expanded, in about 600 bytes.
BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

GUARD = 300  # seconds before a stuck child counts as a failure


def run_capped(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a child Python with its memory capped at 1 GiB."""
    prelude = textwrap.dedent(
        """\
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )


def test_the_bomb_is_small() -> None:
    assert len(BOMB.encode()) < 620


def test_callroute_check_refuses_an_alias_bomb(tmp_path: Path) -> None:
    path = tmp_path / "center.yaml"
    path.write_text("queues:\n  - name: q\n    bomb:\n      " + BOMB.replace("\n", "\n      "))
    child = run_capped(
        f"""
        import sys
        from callroute.cli import main
        sys.exit(main(["check", {str(path)!r}]))
        """
    )
    assert child.returncode == 2, child.stderr[-2000:]
    out = child.stdout + child.stderr
    assert "too big" in out
    assert str(path) in out


def test_a_simulation_model_with_a_bomb_under_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text("unknown_key:\n  " + BOMB.replace("\n", "\n  "))
    child = run_capped(
        f"""
        import callroute
        from callroute.sim import load_model
        try:
            load_model({str(path)!r})
        except callroute.ModelError as exc:
            print("ModelError:", exc)
        """
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.startswith("ModelError:")
    assert "too big" in child.stdout
    assert str(path) in child.stdout


def test_the_bomb_fails_at_composition(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    with pytest.raises(callroute.ConfigError, match="too big: expands to more than") as info:
        read_document(path)
    assert info.value.source == str(path)


def test_expansion_is_counted_with_aliases_as_copies(tmp_path: Path) -> None:
    # 10 aliases of a 10-element list: 1 + 10 * 11 = 111 nodes for the list of lists, plus
    # the root mapping (1), its two keys (2) and the anchored list (1 + 10 scalars): 125
    path = tmp_path / "x.yaml"
    path.write_text("a: &a [0,1,2,3,4,5,6,7,8,9]\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n")
    assert read_document(path, max_nodes=125)["b"][9] == list(range(10))
    with pytest.raises(callroute.ConfigError, match="more than 124 nodes"):
        read_document(path, max_nodes=124)
    with pytest.raises(callroute.ConfigError, match="more than 9 aliases"):
        read_document(path, max_aliases=9)


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\n")
    with pytest.raises(callroute.ConfigError, match=r"recursive: alias \*a \(line 1\)"):
        read_document(path)


def test_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("base: &base {x: 1, y: 2}\nuse:\n  <<: *base\n  y: 3\n")
    assert read_document(path) == {"base": {"x": 1, "y": 2}, "use": {"x": 1, "y": 3}}


def test_size_limit_for_every_format(tmp_path: Path) -> None:
    for name, text in (
        ("big.json", json.dumps({"k": "x" * 200})),
        ("big.yaml", "k: " + "x" * 200),
        ("big.toml", 'k = "' + "x" * 200 + '"'),
    ):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(callroute.ConfigError, match="larger than 100 bytes"):
            read_document(path, max_bytes=100)
        assert read_document(path, max_bytes=1000) == {"k": "x" * 200}


def test_load_model_on_non_utf8_is_a_model_error(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_bytes(b"horizon: 10\nname: caf\xe9\n")
    with pytest.raises(callroute.ModelError, match=r"not UTF-8 text \(byte 21\)") as info:
        callroute.sim.load_model(path)
    assert str(path) in str(info.value)


def test_load_center_problems_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(callroute.ConfigError, match="cannot read") as info:
        callroute.load_center(missing)
    assert info.value.source == str(missing)
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(callroute.ConfigError, match="cannot parse") as info:
        callroute.load_center(bad)
    assert info.value.source == str(bad)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(callroute.ConfigError, match="cannot parse"):
        callroute.load_center(deep)
