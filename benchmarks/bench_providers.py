"""Real providers' calls labelled by their own semantics (`tests/classify/cases/providers`):
the share of destructive and privilege calls stopped and of harmless ones passed, and the
same for the MCP calls sent as `interlock check mcp` usually gets them (no server, no
annotations)."""

from __future__ import annotations

from tests.classify import providers


def run() -> dict[str, float]:
    cases = providers.load()
    score = providers.score(cases)["all"]
    serverless = providers.score(providers.serverless(cases))["all"]
    return {
        "providers_destructive_stopped_pct": score.stopped_pct,
        "providers_harmless_passed_pct": score.passed_pct,
        "providers_serverless_destructive_stopped_pct": serverless.stopped_pct,
        "providers_serverless_harmless_passed_pct": serverless.passed_pct,
    }
