"""The result of one simple-protocol query, as internal plans (safeguards, undo) see it.

Plans are generators that yield SQL text and receive a `QueryResult`: the session drives
them over the agent's own upstream connection (so a snapshot sees the agent's transaction),
and `interlock undo` drives the same kind of generator over a connection of its own.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field

from interlock.proxy.pg import _messages as m


@dataclass(slots=True)
class QueryResult:
    """Rows (text format), command tags, the first error's fields, and the final status."""

    rows: list[list[str | None]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    error: dict[str, str] | None = None
    status: bytes = b"I"

    @property
    def ok(self) -> bool:
        return self.error is None

    def add(self, kind: bytes, body: bytes) -> bool:
        """Take one server message; True when it was the final ReadyForQuery."""
        if kind == b"D":
            self.rows.append(
                [
                    None if v is None else v.decode("utf-8", "replace")
                    for v in m.parse_data_row(body)
                ]
            )
        elif kind == b"C":
            self.tags.append(m.parse_command_complete(body))
        elif kind == b"E":
            if self.error is None:
                self.error = m.parse_fields(body)
        elif kind == b"Z":
            self.status = body[:1] or b"I"
            return True
        return False

    def error_text(self) -> str:
        if self.error is None:
            return ""
        return f"{self.error.get('C', '')} {self.error.get('M', '')}".strip()


Plan = Generator[str, QueryResult, str]
"""A plan yields SQL, receives each result, and returns a one-line summary."""


class PlanFailed(Exception):
    """A plan could not complete (the message says which step and why)."""
