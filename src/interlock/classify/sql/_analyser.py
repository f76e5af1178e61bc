"""The walk that ties the pieces together, and the state one input carries across its
statements (prepared statements, functions defined earlier in the same input).

`statement()` judges one statement: the table entry for its node type gives its own
finding, then `scan()` walks everything nested in it — every sub-statement (WITH queries,
sub-selects, rule actions, CREATE SCHEMA elements) is judged by its own entry, every
function call by `_functions` — and `combine()` keeps the most severe.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pgparse

from interlock.classify import MAX_DEPTH
from interlock.classify.sql._finding import Finding, combine, unknown
from interlock.classify.sql._functions import classify_call
from interlock.classify.sql._settings import Setting
from interlock.classify.sql._statements import STATEMENT_TYPES, STATEMENTS
from interlock.classify.sql._tree import iter_nodes, node_type
from interlock.model import Verb

__all__ = ["MAX_STATEMENTS", "Analyser", "Statement"]

MAX_STATEMENTS = 5_000

Statement = tuple[Finding, str]


def parse_error_reason(exc: pgparse.PGQueryError) -> str:
    message = str(exc.args[0]) if exc.args else str(exc)
    return f"PostgreSQL's parser rejects it: {message}"


def split(text: str) -> list[tuple[Any, str]]:
    """Parse `text` into (statement node, statement text) pairs. Raises PGQueryError."""
    parsed = pgparse.parse(text)
    raw = text.encode("utf-8", "surrogatepass")
    out = []
    for item in parsed:
        start = int(item.get("stmt_location", 0))
        length = int(item.get("stmt_len", 0))
        chunk = raw[start : start + length] if length else raw[start:]
        out.append((item.get("stmt"), chunk.decode("utf-8", "replace").strip()))
    return out


class Analyser:
    """Judges the statements of one input; holds what earlier statements defined."""

    def __init__(self) -> None:
        self.prepared: dict[str, Finding] = {}
        self.prepared_queries: dict[str, Any] = {}  # PREPARE's statement, for EXECUTE's values
        self.functions: dict[str, Finding] = {}
        self.work = 0
        self._firing = 0
        self.settings: list[Setting] = []  # every setting the input changes (see `Setting`)

    @property
    def in_firing(self) -> bool:
        """Whether the statement being judged runs later, once per event that fires it (the
        body of a trigger function, the actions of a rule): there a bounded UPDATE or DELETE
        has no bound, since the rows that fire it choose the rows it reaches."""
        return self._firing > 0

    @contextlib.contextmanager
    def firing(self, on: bool = True) -> Iterator[None]:
        """Judge what runs inside the block as code that fires on events (`in_firing`)."""
        if not on:
            yield
            return
        self._firing += 1
        try:
            yield
        finally:
            self._firing -= 1

    def analyse_text(self, text: str, depth: int) -> list[Statement]:
        """One (finding, statement text) per statement of `text`; [] when there is none."""
        if depth > MAX_DEPTH:
            return [(unknown("unknown", f"SQL nested more than {MAX_DEPTH} levels deep"), text)]
        if "\x00" in text:
            # the C parser stops at a NUL and would never see what follows it
            return [(unknown("unknown", "the input contains a NUL character"), text)]
        try:
            statements = split(text)
        except pgparse.PGQueryError as exc:
            return [(unknown("unknown", parse_error_reason(exc)), text)]
        except UnicodeError:
            return [(unknown("unknown", "the input is not valid Unicode text"), text)]
        return [(self.statement(node, chunk, depth), chunk) for node, chunk in statements]

    def nested_sql(self, text: str, depth: int) -> Finding:
        """SQL embedded in SQL (a function body, an EXECUTE string, dblink_exec's argument),
        judged one level deeper, as a single finding: the most severe of its statements."""
        findings = [f for f, _ in self.analyse_text(text, depth + 1)]
        if not findings:
            return Finding(Verb.READ, "EMPTY", "no statement", (), True)
        return combine(
            Finding(Verb.READ, findings[0].operation, findings[0].reason, (), True), findings
        )

    def statement(self, node: Any, text: str, depth: int) -> Finding:
        """The finding for one statement node (and everything nested in it)."""
        self.work += 1
        if self.work > MAX_STATEMENTS:
            return unknown("unknown", "too many nested statements to analyse")
        typed = node_type(node)
        if typed is None:
            return unknown("unknown", "the parser returned an empty statement")
        kind, fields = typed
        entry = STATEMENTS.get(kind)
        if entry is None:
            return unknown("unknown", f"statement type {kind} is not one Interlock recognises")
        own = entry.handler(fields, self, text, depth)
        if not entry.scan:
            return own
        return combine(own, self.scan(fields, depth))

    def scan(self, root: Any, depth: int) -> list[Finding]:
        """Findings for every statement and function call nested under `root`."""
        found: list[Finding] = []
        for kind, fields in iter_nodes(root, STATEMENT_TYPES):
            if kind in STATEMENT_TYPES:
                found.append(self.statement({kind: fields}, "", depth))
            elif kind == "FuncCall":
                call = classify_call(fields, self, depth)
                if call is not None:
                    found.append(call)
        return found
