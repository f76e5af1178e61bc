"""Internal statements: queries the proxy itself runs on the agent's connection.

A safeguard (`_safeguards`: snapshot, soft drop) is a plan, a generator that yields SQL and
receives each `QueryResult`. The relay runs it on the agent's own upstream connection once
the server has answered everything before it, so the plan sees the agent's transaction; the
server's answers to these queries go to the plan, not to the client (notifications and
parameter changes excepted: they belong to the client).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from interlock.proxy.pg._commands import Command
from interlock.proxy.pg._results import Plan, PlanFailed, QueryResult


@dataclass(frozen=True, slots=True)
class Finished:
    """The plan is over: its summary, or None with `failure` saying why it failed."""

    summary: str | None
    failure: str = ""


Step = str | Finished | None
"""What a plan does next: send this SQL, it is finished, or (None) wait for more messages."""


@dataclass(slots=True)
class InternalQuery:
    """One plan in progress, and what happens when it ends (`then(summary or None)`)."""

    plan: Plan
    then: Callable[[Finished], list[Command]]
    result: QueryResult = field(default_factory=QueryResult)

    def start(self) -> Step:
        try:
            return next(self.plan)
        except StopIteration as done:
            return Finished(str(done.value))
        except PlanFailed as exc:
            return Finished(None, str(exc))

    def answer(self, kind: bytes, body: bytes) -> Step:
        """Take one server message of the current query's answer."""
        if not self.result.add(kind, body):
            return None
        result, self.result = self.result, QueryResult()
        try:
            return self.plan.send(result)
        except StopIteration as done:
            return Finished(str(done.value))
        except PlanFailed as exc:
            return Finished(None, str(exc))
