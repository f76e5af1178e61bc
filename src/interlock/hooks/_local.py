"""Answering one hook event in this process: `interlock hook AGENT` and the client's fallback.

Everything that can go wrong (no home, a broken config, an unreadable event, a bug) ends in
the agent's explicit deny, never in an exit status the agent would read as "go ahead".

In service mode the fallback is `evaluate_read_only`: the service's home is out of this
user's reach, so the event is judged by the built-in policies alone, and only what they call
a read passes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from interlock.hooks._protocols import (
    AGENTS,
    HookAnswer,
    Permission,
    ToolKind,
    deny_answer,
    parse_event,
    render,
)

MAX_EVENT_BYTES = 8 * 1024 * 1024
SERVICE_SILENT = (
    "the Interlock service is not answering (or something else answered in its place), so "
    "only read-only actions are allowed; refused (fail closed). Tell the user to check "
    "`interlock service status`"
)


def evaluate(agent: str, raw: bytes, home: Path | None = None) -> HookAnswer:
    """The answer to one raw event, deciding with the home's policies; never raises."""
    if agent not in AGENTS:
        return deny_answer(agent, f"unknown agent {agent!r}; refused (fail closed)")
    if len(raw) > MAX_EVENT_BYTES:
        return deny_answer(agent, "the hook event is larger than 8 MiB; refused (fail closed)")
    try:
        from interlock.hooks._decide import HookDecider

        decider = HookDecider.for_home(home)
    except Exception as exc:
        return deny_answer(
            agent, f"Interlock could not load its home ({exc}); refused (fail closed)"
        )
    deadline = time.monotonic() + max(decider.settings.budget_seconds, 5.0)
    return decider.answer(agent, raw, deadline=deadline)


def evaluate_read_only(agent: str, raw: bytes) -> HookAnswer:
    """The answer when the service cannot be trusted: the built-in policies' allow of a
    read-only action passes, their deny stays a deny, and everything else (a write, a hold,
    an allow of anything but a read) is a deny saying the service is silent."""
    if agent not in AGENTS:
        return deny_answer(agent, f"unknown agent {agent!r}; refused (fail closed)")
    if len(raw) > MAX_EVENT_BYTES:
        return deny_answer(agent, "the hook event is larger than 8 MiB; refused (fail closed)")
    try:
        from interlock.checking import Checker
        from interlock.gate import Gate
        from interlock.hooks._decide import HookDecider

        call = parse_event(agent, raw)
        verdict = HookDecider(Checker(Gate())).decide(call)
        reads = verdict.permission is Permission.ALLOW and verdict.details.get("risk") == "read"
        refused = verdict.permission is Permission.DENY  # its own reason says more
        if reads or refused or call.kind is ToolKind.IGNORED:  # not a tool call: let it be
            return render(call, agent, verdict)
    except Exception:  # noqa: S110 (an unreadable event, a bug: the deny below)
        pass
    return deny_answer(agent, SERVICE_SILENT)


def read_stdin(limit: int = MAX_EVENT_BYTES) -> bytes:
    """Standard input up to `limit` + 1 bytes (so that "too large" can be told apart)."""
    stream = sys.stdin.buffer
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def write_answer(answer: HookAnswer) -> int:
    sys.stdout.buffer.write(answer.stdout)
    sys.stdout.buffer.flush()
    if answer.stderr:
        sys.stderr.write(answer.stderr + "\n")
        sys.stderr.flush()
    return answer.exit_code


def main(argv: list[str]) -> int:
    """`python -m interlock.hooks AGENT [--home DIR]`."""
    agent = argv[0] if argv else ""
    home: Path | None = None
    if len(argv) >= 3 and argv[1] == "--home":
        home = Path(argv[2])
    try:
        raw = read_stdin()
    except Exception:
        return write_answer(deny_answer(agent, "the hook event could not be read from stdin"))
    return write_answer(evaluate(agent, raw, home))
