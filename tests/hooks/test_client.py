"""The hook command as agents run it: a separate process whose every failure is a deny.

Claude Code runs the tool when a hook exits with anything but 2 or an explicit deny, so
these tests break the client in every way we could think of and check that it never exits
0 without a decision.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from interlock.home import Home
from interlock.hooks import deny_answer
from interlock.hooks._daemon import HookDaemon, socket_path
from tests.hooks.conftest import Event, run_client, start_daemon, stop_daemon

FAIL_REASON = "the hook could not reach a decision; refused (fail closed)"


def _decision(result: subprocess.CompletedProcess[bytes]) -> str:
    body = json.loads(result.stdout)
    return str(body["hookSpecificOutput"]["permissionDecision"])


def _held(result: subprocess.CompletedProcess[bytes]) -> bool:
    """A production hold: denied with the approval request it opened and what to do."""
    out = json.loads(result.stdout)["hookSpecificOutput"]
    reason = str(out.get("permissionDecisionReason", ""))
    return (
        result.returncode == 2
        and out["permissionDecision"] == "deny"
        and "approval request apr_" in reason
    )


def _assert_client_deny(result: subprocess.CompletedProcess[bytes], agent: str) -> None:
    expected = deny_answer(agent, FAIL_REASON)
    assert result.returncode == 2
    assert result.stdout == expected.stdout
    assert result.stderr.decode().strip() == expected.stderr


@pytest.mark.parametrize("agent", ["claude-code", "cursor", "codex", "gemini"])
def test_the_client_deny_is_byte_for_byte_the_rendered_one(agent: str) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("hook_client", _client_path())
    assert spec is not None and spec.loader is not None
    client = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(client)
    code, out, err = client.deny(agent.encode())
    expected = deny_answer(agent, FAIL_REASON)
    assert (code, out, err.decode()) == (expected.exit_code, expected.stdout, expected.stderr)


def _client_path() -> Path:
    from tests.hooks.conftest import CLIENT

    return CLIENT


# --- without a daemon: the in-process fallback -------------------------------------------


def test_no_daemon_answers_in_process(home: Home, event: Event) -> None:
    result = run_client("claude-code", event("claude-code.bash-incident"), home=home.root)
    assert _held(result)
    result = run_client("claude-code", event("claude-code.read-secret"), home=home.root)
    assert result.returncode == 2 and _decision(result) == "deny"
    result = run_client("claude-code", event("claude-code.bash-ls"), home=home.root)
    assert result.returncode == 0 and _decision(result) == "allow"


def test_no_home_at_all_still_decides(event: Event, tmp_path: Path) -> None:
    result = run_client("gemini", event("gemini.shell-incident"), cwd=tmp_path)
    assert result.returncode == 2 and json.loads(result.stdout)["decision"] == "deny"


@pytest.mark.parametrize(
    "stdin", [b"", b"garbage", b"{", b"\x00\xff" * 100, b'{"tool_name": 3}', b"[]"]
)
def test_garbage_stdin_is_denied(home: Home, stdin: bytes) -> None:
    result = run_client("claude-code", stdin, home=home.root)
    assert result.returncode == 2 and _decision(result) == "deny"


def test_huge_stdin_is_denied_without_evaluating(home: Home) -> None:
    result = run_client("cursor", b"x" * (9 * 1024 * 1024), home=home.root)
    _assert_client_deny(result, "cursor")


@pytest.mark.parametrize("argv_agent", ["", "copilot", "CLAUDE-CODE"])
def test_unknown_agent_is_denied(argv_agent: str, home: Home) -> None:
    result = run_client(argv_agent, b"{}", home=home.root)
    _assert_client_deny(result, "claude-code")  # an unknown agent gets Claude Code's form


def test_a_python_without_interlock_is_a_deny(event: Event, home: Home, tmp_path: Path) -> None:
    # A venv that cannot import Interlock: the fallback import fails, the client still denies.
    venv = tmp_path / "bare"
    subprocess.run(
        [_base_python(), "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    result = run_client(
        "claude-code", event("claude-code.bash-ls"), home=home.root, python=str(venv / "bin/python")
    )
    _assert_client_deny(result, "claude-code")


def _base_python() -> str:
    import sys

    return getattr(sys, "_base_executable", sys.executable)


def test_a_broken_home_is_a_deny(event: Event, tmp_path: Path) -> None:
    result = run_client("claude-code", event("claude-code.bash-ls"), home=tmp_path / "nowhere")
    assert result.returncode == 2 and _decision(result) == "deny"
    assert b"could not load its home" in result.stderr


# --- with a daemon ----------------------------------------------------------------------


def test_the_daemon_answers_and_binds_a_private_socket(
    home: Home, daemon: subprocess.Popen[bytes], event: Event
) -> None:
    path = socket_path(home)
    assert stat.S_ISSOCK(path.lstat().st_mode)
    assert stat.S_IMODE(path.lstat().st_mode) == 0o600
    result = run_client("claude-code", event("claude-code.bash-incident"), home=home.root)
    assert _held(result)
    result = run_client("cursor", event("cursor.read-secret", content=""), home=home.root)
    assert result.returncode == 2 and json.loads(result.stdout) == {"permission": "deny"}
    result = run_client("codex", event("codex.bash-ls"), home=home.root)
    assert (result.returncode, result.stdout) == (0, b"{}\n")
    # Every one of them is in the audit log, written by the daemon.
    types = [r.type for r in home.audit_log().records()]
    assert types.count("approval_request") == 1 and types.count("decision") == 3


def test_home_found_from_the_working_directory(
    home: Home, daemon: subprocess.Popen[bytes], event: Event
) -> None:
    result = run_client("claude-code", event("claude-code.bash-ls"), cwd=home.root.parent)
    assert result.returncode == 0 and _decision(result) == "allow"


def test_a_killed_daemon_falls_back_in_process(home: Home, event: Event) -> None:
    proc = start_daemon(home)
    try:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert socket_path(home).exists()  # a stale socket is left behind
        result = run_client("claude-code", event("claude-code.bash-incident"), home=home.root)
        assert _held(result)
    finally:
        stop_daemon(proc)


def test_killing_the_daemon_mid_run_never_lets_a_tool_through(home: Home, event: Event) -> None:
    proc = start_daemon(home)
    results: list[subprocess.CompletedProcess[bytes]] = []
    try:

        def hammer() -> None:
            for _ in range(6):
                results.append(
                    run_client("claude-code", event("claude-code.bash-incident"), home=home.root)
                )

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        proc.send_signal(signal.SIGKILL)
        for t in threads:
            t.join(timeout=120)
    finally:
        stop_daemon(proc)
    assert len(results) == 18
    for result in results:
        assert result.stdout, result
        assert _decision(result) in ("ask", "deny")


# --- a daemon that answers wrongly --------------------------------------------------------


@pytest.fixture
def fake_daemon(home: Home) -> Iterator[Callable[[bytes | None], None]]:
    """A server on the daemon's socket that answers every request with the given bytes."""
    state = home.root / "state"
    state.mkdir(exist_ok=True)
    reply: list[bytes | None] = [b""]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    here = os.getcwd()
    os.chdir(state)
    try:
        server.bind("hooks.sock")
    finally:
        os.chdir(here)
    server.listen(8)
    stop = threading.Event()

    def loop() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                while conn.recv(65536):  # the whole request, as the real daemon reads it
                    pass
                if reply[0] is None:  # hang: never answer
                    stop.wait(30)
                    continue
                conn.sendall(reply[0])

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()

    def set_reply(data: bytes | None) -> None:
        reply[0] = data

    try:
        yield set_reply
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


@pytest.mark.parametrize(
    "reply",
    [
        b"",
        b"garbage",
        b"0 2 0\n{}extra",  # lengths do not add up
        b"0 10 0\n{}",  # truncated
        b"1 2 0\n{}",  # an exit status agents read as "go ahead"
        b"0 5 0\nhello",  # not JSON
        b"2 2 0\n{}",  # a block without a reason
        b"-1 2 0\n{}",
        b"0 99999999999 0\n{}",
    ],
)
def test_corrupt_answers_fall_back_to_a_correct_decision(
    home: Home, event: Event, fake_daemon: Callable[[bytes | None], None], reply: bytes
) -> None:
    fake_daemon(reply)
    result = run_client("claude-code", event("claude-code.bash-incident"), home=home.root)
    assert _held(result)
    result = run_client("claude-code", event("claude-code.read-secret"), home=home.root)
    assert result.returncode == 2 and _decision(result) == "deny"


def test_a_hanging_daemon_times_out_into_the_fallback(
    home: Home, event: Event, fake_daemon: Callable[[bytes | None], None]
) -> None:
    fake_daemon(None)
    result = run_client("claude-code", event("claude-code.bash-incident"), home=home.root)
    assert _held(result)


def test_a_well_formed_answer_is_relayed_verbatim(
    home: Home, event: Event, fake_daemon: Callable[[bytes | None], None]
) -> None:
    fake_daemon(b'0 19 0\n{"permission": "x"}')
    result = run_client("cursor", event("cursor.shell-ls"), home=home.root)
    assert (result.returncode, result.stdout) == (0, b'{"permission": "x"}')


# --- the daemon's own time bound -----------------------------------------------------------


def test_the_daemon_answers_deny_when_a_decision_is_too_slow(home: Home, event: Event) -> None:
    # The decision is stuck until the test releases it: the daemon must answer on its own
    # budget (had it waited, the reply would be the stuck decision's internal error instead);
    # the late decision then finishes and is recorded.
    daemon = HookDaemon(home, budget=0.2)
    release = threading.Event()
    finished = threading.Event()
    try:
        real = daemon.decider

        class Stuck:
            audit = real.audit
            settings = real.settings

            def answer(self, agent: str, raw: bytes, *, deadline: float | None = None) -> object:
                try:  # a classifier stuck on hostile input
                    assert release.wait(60), "the test never released the stuck decision"
                    return real.answer(agent, raw, deadline=deadline)
                finally:
                    finished.set()

        daemon.decider = Stuck()  # type: ignore[assignment]
        reply = daemon.reply(b"interlock-hook/1 claude-code\n" + event("claude-code.bash-ls"))
        header, _, rest = reply.partition(b"\n")
        assert header.split(b" ")[0] == b"2"
        assert b'"permissionDecision": "deny"' in rest and b"budget" in rest
        release.set()
        assert finished.wait(60), "the late decision never finished"
    finally:
        release.set()
        daemon.close()
    # The late decision is recorded as the deny the agent was given.
    verdicts = [r.body.get("verdict") for r in home.audit_log().records()]
    assert verdicts == ["deny"]


def test_the_daemon_refuses_malformed_requests(home: Home) -> None:
    daemon = HookDaemon(home)
    try:
        for request in (
            b"",
            b"hello\n{}",
            b"interlock-hook/1 copilot\n{}",
            b"interlock-hook/9 cursor\n{}",
        ):
            header = daemon.reply(request).partition(b"\n")[0]
            assert header.split(b" ")[0] == b"2", request
        assert daemon.reply(b"ping\n") == b"pong\n"
    finally:
        daemon.close()


def test_a_second_daemon_refuses_to_start(home: Home, daemon: subprocess.Popen[bytes]) -> None:
    from interlock.errors import ConfigError

    second = HookDaemon(home)
    try:
        with pytest.raises(ConfigError, match="already running"):
            second.bind()
    finally:
        second._worker.shutdown(wait=False)
