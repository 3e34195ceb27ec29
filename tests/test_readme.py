"""The README's promises: the quick start's shape, and every Python example runs."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block, in order."""
    blocks, lang, body = [], None, []
    for line in text.splitlines():
        if line.startswith("```"):
            if lang is None:
                lang, body = line[3:].strip(), []
            else:
                blocks.append((lang, "\n".join(body)))
                lang = None
        elif lang is not None:
            body.append(line)
    return blocks


def _quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    blocks = _fenced_blocks(section)
    assert blocks, "Quick start has no fenced code block"
    return [line for line in blocks[0][1].splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands() -> None:
    lines = _quick_start()
    assert len(lines) == 2
    assert lines[0].startswith("pip install . && callroute simulate --example")
    assert "cargo test" in lines[1]
    assert "pytest" in lines[1]
    assert '".[test]"' in lines[1]


def test_ci_runs_the_quick_start_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _quick_start()[1] in ci


def test_quick_start_main_job_runs() -> None:
    # The part after "pip install . &&", run against the installed package.
    command = _quick_start()[0].split("&&", 1)[1].split()
    assert command[0] == "callroute"
    out = subprocess.run(
        [sys.executable, "-m", "callroute", *command[1:]],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # one KPI row per queue of both tenants, and the total
    for queue in ("bank_billing", "bank_card_loss", "bank_chat", "mobile_sales"):
        assert re.search(rf"^{queue}\s+\d", out, re.MULTILINE), out
    assert re.search(r"^all\s+\d{3}", out, re.MULTILINE), out
    assert "10 replication(s)" in out


PY_BLOCKS = [body for lang, body in _fenced_blocks(README) if lang == "python"]


@pytest.mark.parametrize("code", PY_BLOCKS, ids=[f"block{i}" for i in range(len(PY_BLOCKS))])
def test_readme_python_examples_run(code: str) -> None:
    exec(compile(code, "README.md", "exec"), {})


CLI_LINES = [
    ln
    for lang, body in _fenced_blocks(README)
    if lang == ""
    for ln in body.splitlines()
    if ln.startswith("callroute ") and "FORECAST.csv" not in ln
]


@pytest.mark.parametrize("line", CLI_LINES)
def test_readme_cli_examples_run(line: str, tmp_path: Path) -> None:
    args = shlex.split(line)[1:]
    done = subprocess.run(
        [sys.executable, "-m", "callroute", *args], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
