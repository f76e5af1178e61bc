"""Timestamps as people and records read them: UTC, ISO 8601, whole seconds."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_utc(ts: float) -> str:
    """`1800000000.0` → `2027-01-15T08:00:00+00:00`."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")
