"""Quiet by design: the everyday corpus, replayed in order, is not made stricter."""

from __future__ import annotations

from tests.baseline.everyday import replay


def test_the_baseline_adds_holds_to_at_most_one_percent_of_everyday_work() -> None:
    result = replay("production")
    assert result.actions > 1000 and result.learning > 0
    assert result.share <= 0.01, result.examples[:10]
