"""`callroute serve` refuses bad arguments with a typed error (exit 2), before connecting."""

from __future__ import annotations

from pathlib import Path

import pytest
from callroute.cli import main


def test_missing_password_and_bad_listen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "center.yaml"
    cfg.write_text("version: 1\ntenants: {acme: {numbers: ['18005550100']}}\n")
    monkeypatch.delenv("CALLROUTE_ARI_PASSWORD", raising=False)
    base = ["serve", str(cfg), "--ari", "http://127.0.0.1:9", "--ari-user", "u"]
    assert main(base) == 2
    assert "CALLROUTE_ARI_PASSWORD" in capsys.readouterr().err
    assert main([*base, "--ari-password", "p", "--listen", "nowhere"]) == 2
    assert "--listen" in capsys.readouterr().err
