"""The model file format at the command line (``callroute check``, ``callroute schema model``)
and the README's example of it."""

from __future__ import annotations

import json
from pathlib import Path

import callroute as cr
import jsonschema
import pytest
import yaml
from callroute.cli import main
from callroute.sim import parse_model
from callroute.sim.schema import ModelFile, schema
from conftest import ROOT
from test_model_format import BASIC, FULL, OLD, _write

# ------------------------------------------------------------------------ check and schema


def test_check_recognises_a_model_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, BASIC, "good.yaml")
    assert main(["check", str(good)]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == f"{good}: ok: model file (1 queues, 1 groups, 1 call types)"
    text = BASIC.replace("count: 5", "count: -5").replace("queue: billing", "queue: biling")
    bad = _write(tmp_path, text, "bad.yaml")
    assert main(["check", str(bad)]) == 2
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        f"{bad}: error: groups.tier1.count: must be >= 0, got -5 (bad.yaml line 7)",
        f"{bad}: error: calls.billing.queue: unknown queue 'biling' (did you mean 'billing'?) "
        "(bad.yaml line 10)",
    ]
    assert "model file: 2 errors" in out.err
    old = _write(tmp_path, OLD, "old.yaml")
    assert main(["check", str(old)]) == 1
    out = capsys.readouterr()
    assert "warning: list-shaped model file (deprecated)" in out.out
    # a list-shaped file's fields are checked by the core
    broken = _write(tmp_path, OLD.replace("mean: 180", "mean: -180"), "broken.yaml")
    assert main(["check", str(broken)]) == 2
    out = capsys.readouterr()
    assert "calls[0].handle" in out.out
    assert "model file" in out.err
    # a center file is still a center file
    assert main(["check", str(cr.example_path("center"))]) == 0
    assert "ok (2 tenants" in capsys.readouterr().out


def test_check_of_a_center_based_model(capsys: pytest.CaptureFixture[str]) -> None:
    path = cr.example_path("outsourcer_model")
    assert main(["check", str(path)]) == 0
    assert "ok: model file (queues and agents of" in capsys.readouterr().out


def test_schema_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "model"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == schema()
    assert printed["title"] == "callroute simulation model"
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "callroute center"
    validator = jsonschema.Draft202012Validator(printed)
    for kind in ("model", "contactcenters_simplemsk", "outsourcer_model"):
        path = cr.example_path(kind)  # type: ignore[arg-type]
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert not list(validator.iter_errors(doc)), kind
    doc = yaml.safe_load(FULL)
    assert not list(validator.iter_errors(doc))
    doc["calls"]["sale"]["handle"] = "fast"
    doc["calls"]["sale"]["sahre"] = 1
    assert len(list(validator.iter_errors(doc))) >= 2


# ------------------------------------------------------------------------ README


def _readme_model() -> str:
    section = (
        (ROOT / "README.md")
        .read_text(encoding="utf-8")
        .split("## Simulation model file", 1)[1]
        .split("\n## ", 1)[0]
    )
    blocks = section.split("```yaml\n")
    assert len(blocks) == 2, "the section shows one YAML example"
    return blocks[1].split("```", 1)[0]


def test_the_readme_example_loads_and_runs() -> None:
    text = _readme_model()
    model = parse_model(text, source="README.md")
    assert ModelFile.model_validate(yaml.safe_load(text))
    assert model["calls"]


def test_check_names_what_the_core_finds_at_the_users_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a caller who always calls again at once, with a patience that can be 0: the core's
    # rule (retrials that would never end), reported at the call type's name and line
    text = BASIC.replace(
        "handle: exponential(180)",
        "handle: exponential(180)\n    patience: 0\n    retrial: {probability: 1, delay: 0}",
    )
    path = _write(tmp_path, text, "loop.yaml")
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert out[0].startswith(f"{path}: error: calls.billing.retrial.delay: ")
    assert out[0].endswith("(loop.yaml line 13)")


def test_the_readme_example_runs() -> None:
    result = cr.simulate(parse_model(_readme_model()), replications=4, seed=1)
    assert set(result.lines) == {"billing", "sales", "type:renewals"}
    # the example is a workable day, not an overloaded one
    assert result.kpi("abandon_rate").mean() < 0.1
