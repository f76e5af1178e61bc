"""What a detection is: a `Finding` names where a credential is and what kind, never its value."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Confidence(StrEnum):
    """How sure a rule is that the value is a live credential."""

    LOW = "low"  # shape of a credential in a weak context (a short password literal, a test key)
    MEDIUM = "medium"  # a credential format shared with non-secrets, or a generic assignment
    HIGH = "high"  # a provider's distinctive token format or a private key

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}


def preview(secret: str) -> str:
    """A recognisable but useless stub: at most the first four characters and the length.

    Short values show fewer characters (a quarter of their length), so a short password is
    never mostly printed.
    """
    shown = secret[: min(4, len(secret) // 4)]
    return f"{shown}…({len(secret)} chars)"


@dataclass(frozen=True, slots=True)
class Finding:
    """One probable credential in a text: where it is and which rule saw it.

    `start` and `end` are offsets into the scanned text (so callers can mask the span); the
    value itself is never kept, so a `Finding` can be printed, logged or serialised safely.
    """

    rule: str
    provider: str
    confidence: Confidence
    line: int  # 1-based
    column: int  # 1-based, in characters
    preview: str
    length: int
    start: int
    end: int
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "provider": self.provider,
            "confidence": self.confidence.value,
            "preview": self.preview,
            "length": self.length,
        }

    def __str__(self) -> str:
        where = f"{self.path}:" if self.path else ""
        return (
            f"{where}{self.line}:{self.column}: {self.rule} ({self.provider}, "
            f"{self.confidence.value}) {self.preview}"
        )
