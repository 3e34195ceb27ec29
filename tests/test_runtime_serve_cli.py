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


def test_the_http_api_binds_to_loopback_unless_told_otherwise() -> None:
    from callroute.cli import _parser
    from callroute.cli.serve import _listen

    base = ["serve", "center.yaml", "--ari", "http://x", "--ari-user", "u"]
    args = _parser().parse_args([*base, "--campaign", "c.yaml:l.csv"])  # campaigns too
    assert _listen(args.listen) == ("127.0.0.1", 8099)
    assert _listen(":8100") == ("127.0.0.1", 8100)  # a port alone: still loopback
    assert _listen("0.0.0.0:8099") == ("0.0.0.0", 8099)  # only when asked
    assert _listen("") is None
