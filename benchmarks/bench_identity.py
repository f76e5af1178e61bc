"""Agent token verification: warm cache (the per-request path) and cold (first sight)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks._timing import percentiles_us
from interlock.home import init_home
from interlock.identity import AgentRegistry, AgentVerifier, IdentityState
from interlock.model import Human

ITERATIONS = 20_000
COLD_ITERATIONS = 2_000


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home, _ = init_home(Path(tmp) / ".interlock")
        state = IdentityState(home.database)
        registry = AgentRegistry(state)
        admin = Human("bench", "admin")
        _, minted = registry.create(
            admin, "bench-agent", environments=["staging"], task="bench", owner="bench"
        )
        token = minted.token
        verifier = AgentVerifier(state)
        warm = percentiles_us(lambda: verifier.verify(token), ITERATIONS)

        def cold() -> None:
            verifier.invalidate()  # every call pays the SQLite lookup and digest check
            verifier.verify(token)

        cold_figures = percentiles_us(cold, COLD_ITERATIONS, warmup=50)

        _, child = registry.mint_child(token, "sub", max_verb=None)

        def cold_child() -> None:
            verifier.invalidate()
            verifier.verify(child.token)

        child_figures = percentiles_us(cold_child, COLD_ITERATIONS, warmup=50)
        state.close()
    return {
        "token_verify_p50_us": warm["p50"],
        "token_verify_p99_us": warm["p99"],
        "token_verify_cold_p50_us": cold_figures["p50"],
        "token_verify_cold_p99_us": cold_figures["p99"],
        "token_verify_cold_child_p50_us": child_figures["p50"],
    }
