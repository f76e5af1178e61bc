"""Answering one hook event in this process: `interlock hook AGENT` and the client's fallback.

Everything that can go wrong (no home, a broken config, an unreadable event, a bug) ends in
the agent's explicit deny, never in an exit status the agent would read as "go ahead".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from interlock.hooks._protocols import AGENTS, HookAnswer, deny_answer

MAX_EVENT_BYTES = 8 * 1024 * 1024


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
