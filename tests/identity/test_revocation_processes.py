"""Revocation and suspension reach other processes sharing the state.

Each test runs a real second Python process with its own warm verifier cache. A cached grant
lives until the token expires (hours here), so a refusal seen at all came from the
revocation epoch the verifier polls; how fast it arrives is measured by
`benchmarks/bench_identity.py` (`revocation_seen_*_ms`), not asserted here.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.home import Home
from interlock.identity import AgentRegistry, AgentTokenRefused, AgentVerifier, IdentityState
from tests._wait import wait_until
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
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            verifier.verify(token)
        except AgentTokenRefused as exc:
            print("refused", exc.reason.value, flush=True)
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


def _refusal(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    words = proc.stdout.readline().split()
    assert words[:1] == ["refused"], words
    return words[1]


@pytest.mark.parametrize(
    ("action", "reason"),
    [("revoke", "agent_revoked"), ("suspend", "agent_suspended"), ("rotate", "token_revoked")],
)
def test_other_process_refuses_once_changed(
    home: Home, watcher: subprocess.Popen[str], action: str, reason: str
) -> None:
    registry = AgentRegistry.for_home(home)
    _, minted = registry.create(
        ALICE, "builder", environments=["staging"], task="t", owner="alice@example.com"
    )
    _start(watcher, minted.token)
    getattr(registry, action)(ALICE, "builder")
    assert _refusal(watcher) == reason


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

    def refusal() -> str | None:
        try:
            verifier.verify(minted.token)
        except AgentTokenRefused as exc:
            return exc.reason.value
        return None

    assert wait_until(refusal, what="the suspension to reach this process") == "agent_suspended"


def test_same_process_revocation_is_immediate(home: Home) -> None:
    registry = AgentRegistry.for_home(home)
    _, minted = registry.create(ALICE, "builder", environments=["dev"], task="t", owner="o")
    verifier = AgentVerifier(IdentityState(home.database), epoch_interval=3600)
    verifier.verify(minted.token)
    registry.suspend(ALICE, "builder")
    with pytest.raises(AgentTokenRefused):
        verifier.verify(minted.token)
