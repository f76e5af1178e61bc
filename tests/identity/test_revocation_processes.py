"""Revocation and suspension reach other processes sharing the state within one second.

Each test runs a real second Python process with its own warm verifier cache; CLOCK_MONOTONIC
is system-wide on Linux, so both processes' timestamps compare directly.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.home import Home
from interlock.identity import AgentRegistry, AgentTokenRefused, AgentVerifier, IdentityState
from tests.identity.conftest import ALICE

WATCHER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from interlock.identity import AgentTokenRefused, AgentVerifier, IdentityState

    state = IdentityState(Path(sys.argv[1]))
    verifier = AgentVerifier(state)
    token = sys.stdin.readline().strip()
    verifier.verify(token)
    print("ready", flush=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            verifier.verify(token)
        except AgentTokenRefused as exc:
            print("refused", exc.reason.value, time.monotonic(), flush=True)
            break
        time.sleep(0.005)
    else:
        print("never refused", flush=True)
    """
)


@pytest.fixture
def watcher(home: Home) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WATCHER, str(home.database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


def _start(proc: subprocess.Popen[str], token: str) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(token + "\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.3)  # let it verify from its warm cache for a while


def _refusal(proc: subprocess.Popen[str]) -> tuple[str, float]:
    assert proc.stdout is not None
    words = proc.stdout.readline().split()
    assert words[:1] == ["refused"], words
    return words[1], float(words[2])


@pytest.mark.parametrize(
    ("action", "reason"),
    [("revoke", "agent_revoked"), ("suspend", "agent_suspended"), ("rotate", "token_revoked")],
)
def test_other_process_refuses_within_a_second(
    home: Home, watcher: subprocess.Popen[str], action: str, reason: str
) -> None:
    registry = AgentRegistry.for_home(home)
    _, minted = registry.create(
        ALICE, "builder", environments=["staging"], task="t", owner="alice@example.com"
    )
    _start(watcher, minted.token)
    getattr(registry, action)(ALICE, "builder")
    changed = time.monotonic()
    seen, refused_at = _refusal(watcher)
    assert seen == reason
    assert refused_at - changed < 1.0


def test_this_process_sees_a_revocation_made_elsewhere(home: Home) -> None:
    registry = AgentRegistry.for_home(home)
    _, minted = registry.create(ALICE, "builder", environments=["dev"], task="t", owner="o")
    verifier = AgentVerifier(IdentityState(home.database))
    verifier.verify(minted.token)  # warm
    script = textwrap.dedent(
        """
        import sys
        from interlock.home import Home
        from interlock.identity import AgentRegistry
        from interlock.model import Human
        AgentRegistry.for_home(Home(__import__("pathlib").Path(sys.argv[1]))).suspend(
            Human("bob", "admin"), "builder")
        """
    )
    subprocess.run([sys.executable, "-c", script, str(home.root)], check=True, timeout=30)
    changed = time.monotonic()
    while True:
        try:
            verifier.verify(minted.token)
        except AgentTokenRefused as exc:
            assert exc.reason.value == "agent_suspended"
            break
        assert time.monotonic() - changed < 1.0, "still accepted a second after suspension"
        time.sleep(0.005)


def test_same_process_revocation_is_immediate(home: Home) -> None:
    registry = AgentRegistry.for_home(home)
    _, minted = registry.create(ALICE, "builder", environments=["dev"], task="t", owner="o")
    verifier = AgentVerifier(IdentityState(home.database), epoch_interval=3600)
    verifier.verify(minted.token)
    registry.suspend(ALICE, "builder")
    with pytest.raises(AgentTokenRefused):
        verifier.verify(minted.token)
