"""`interlock demo`: both acts run on loopback and tell the story; production survives Act 2."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from interlock.cli.demo import human_commands
from interlock.demo import replay
from interlock.demo._cloud import BLANKET_TOKEN, STAGING_TOKEN


@pytest.mark.integration
def test_replay_tells_the_story(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERLOCK_AGENT_TOKEN", raising=False)
    monkeypatch.delenv("INTERLOCK_HOME", raising=False)
    buffer = io.StringIO()
    # How long it takes is `demo_replay_s` in benchmarks/bench_demo.py.
    assert replay(Console(file=buffer, width=200, color_system=None), human_commands) is True
    text = " ".join(buffer.getvalue().split())
    act1, act2 = text.split("Act 2")
    assert "GONE (data and backups)" in act1
    assert "not granted the production environment" in act2
    assert "denied approval request apr_" in act2
    assert "intact: 48,213 orders" in act2.split("afterwards")[1]
    # the approved deletion takes the volume and the backups on it; Interlock's vault copy,
    # taken by the route's before hook, brings the data back
    approved = act2.split("Interlock's own copy first")[1].split("afterwards")[0]
    assert "vol-prod-old9 (production): GONE (data and backups)" in approved
    assert "vol-prod-old9's backup" in approved and "interlock vault restore" in approved
    assert "restored from the vault: 12 orders back" in approved
    # the demo never prints a provider token whole
    assert BLANKET_TOKEN not in text and STAGING_TOKEN not in text
