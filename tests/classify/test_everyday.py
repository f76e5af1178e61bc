"""The everyday corpus (corpus/everyday.txt): real coding-agent work is rarely held.

Issue 14's bar for a hidden set of agent commands is at most 3% flagged (unknown or
destructive) on a developer machine; the corpus here is the visible stand-in, run in the
workspace it was written for.
"""

from __future__ import annotations

from pathlib import Path

from interlock.classify import classify
from interlock.model import Verb, most_severe
from tests.classify.corpus import workspace

FLAGGED = (Verb.UNKNOWN, Verb.DESTRUCTIVE)


def test_everyday_commands_are_rarely_flagged(tmp_path: Path) -> None:
    root = workspace.build(tmp_path)
    commands = workspace.commands()
    assert len(commands) >= 300
    flagged = [
        command
        for command in commands
        if most_severe(a.verb for a in classify("shell", command, cwd=str(root))) in FLAGGED
    ]
    assert len(flagged) <= 0.03 * len(commands), flagged


def test_without_a_cwd_code_is_not_vouched_for() -> None:
    # The same corpus without its workspace: scripts, recipes and relative deletions are
    # not known, so more is held (fail closed), never less.
    commands = workspace.commands()
    flagged = [
        command
        for command in commands
        if most_severe(a.verb for a in classify("shell", command)) in FLAGGED
    ]
    assert any("reproduce.py" in command for command in flagged)
    assert any(command.startswith("make") for command in flagged)
