"""Real providers' calls labelled by their own semantics (`tests/classify/cases/providers`):
the share of destructive and privilege calls stopped and of harmless ones passed."""

from __future__ import annotations

from tests.classify import providers


def run() -> dict[str, float]:
    score = providers.score(providers.load())["all"]
    return {
        "providers_destructive_stopped_pct": score.stopped_pct,
        "providers_harmless_passed_pct": score.passed_pct,
    }
