"""What the session does with one statement message: a `Ruling`.

The enforcement point (`_enforce.StatementGate`) answers each Query or Parse with a ruling:
forward it, forward it after a safeguard, or refuse it as a PostgreSQL error (SQLSTATE,
message, hint), naming the approval request a session may wait on when it is a hold.
(`interlock.enforce.Verdict` is the pipeline's answer; a ruling is its PostgreSQL form.)

When the answer needs Interlock's state (an audit record to write, an approval to claim or
open) the enforcement point returns a `PendingRuling` instead: the session asks the shell to
run its `finish` off the event loop (`Decide`) and waits for the ruling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from interlock.proxy.pg._results import Plan

CANCELLED = "canceling statement due to user request"  # PostgreSQL's own text for 57014


def _not_recorded(summary: str, ok: bool) -> None:
    """The default `SafeguardPlan.done`: nothing to record."""


@dataclass(frozen=True, slots=True)
class SafeguardPlan:
    """What must run before an allowed destructive statement, as internal queries.

    In order: `start` on the agent's connection (finds what the statement reaches);
    `offload(summary)` off the event loop (the snapshot into the vault; returns what to
    tell the client, raises to refuse the statement); `after` on the connection again (a
    soft drop's move into the trash). `replaces_statement`: the plans do the statement's
    job themselves; the client then gets `command_tag`. `done(summary, ok)` records how it
    went (and gives back a human's approval when it failed); it writes, so it runs off the
    loop too.
    """

    start: Callable[[], Plan]
    replaces_statement: bool = False
    command_tag: str = ""
    done: Callable[[str, bool], None] = _not_recorded
    offload: Callable[[str], str] | None = None
    after: Callable[[], Plan] | None = None
    statement_failed: Callable[[], None] | None = None
    """Records that the statement itself failed on the server after the safeguard (and
    gives back the human's approval it used); simple protocol only."""


@dataclass(frozen=True, slots=True)
class Ruling:
    """The enforcement point's answer for one statement message."""

    allowed: bool
    message: str = ""
    hint: str = ""
    sqlstate: str = "42501"
    safeguard: SafeguardPlan | None = None
    held: str = ""  # a hold: the approval request a human may still decide


ALLOW = Ruling(True)


@dataclass(frozen=True, slots=True)
class PendingRuling:
    """A ruling that needs Interlock's state: `finish` reads and writes it (SQLite), so it
    runs off the event loop, and returns the ruling."""

    finish: Callable[[], Ruling]
    # A hold about to be opened: tables to measure first (`_blast`), and where the
    # measurements go (they reach the decision record, and so the approval page).
    measure: tuple[str, ...] = ()
    measured: Callable[[str], None] | None = None


def refusal(message: str, hint: str, sqlstate: str = "42501") -> Ruling:
    return Ruling(False, message, hint, sqlstate)


def fail_closed(what: str, exc: BaseException) -> Ruling:
    """The ruling when the enforcement point itself failed: refuse, never forward."""
    return refusal(
        f"Interlock could not {what} ({type(exc).__name__}); refused (fail closed)",
        "retry later; if it persists, tell the operator",
    )
