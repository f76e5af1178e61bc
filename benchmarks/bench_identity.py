"""Agent token verification: warm cache (the per-request path) and cold (first sight).

Also how long a suspension made in one process takes to be refused by another process's
warm verifier (`revocation_seen_*_ms`; the design bound is one second). CLOCK_MONOTONIC is
system-wide on Linux, so both processes' timestamps compare directly.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from benchmarks._timing import percentiles_us
from interlock.home import init_home
from interlock.identity import AgentRegistry, AgentVerifier, IdentityState
from interlock.model import Human

ITERATIONS = 20_000
COLD_ITERATIONS = 2_000
REVOCATION_RUNS = 10

# Reads one token a line; verifies it once (warm cache), says "ready", then verifies in a
# loop and prints the monotonic time of the first refusal.
_WATCHER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from interlock.identity import AgentTokenRefused, AgentVerifier, IdentityState

    verifier = AgentVerifier(IdentityState(Path(sys.argv[1])))
    for line in sys.stdin:
        token = line.strip()
        verifier.verify(token)
        print("ready", flush=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                verifier.verify(token)
            except AgentTokenRefused:
                print(time.monotonic(), flush=True)
                break
        else:
            print("never", flush=True)
    """
)


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
        seen = _revocation_seen_ms(home.database, registry, admin)
        state.close()
    return {
        "revocation_seen_p50_ms": round(statistics.median(seen), 1),
        "revocation_seen_max_ms": round(max(seen), 1),
        "token_verify_p50_us": warm["p50"],
        "token_verify_p99_us": warm["p99"],
        "token_verify_cold_p50_us": cold_figures["p50"],
        "token_verify_cold_p99_us": cold_figures["p99"],
        "token_verify_cold_child_p50_us": child_figures["p50"],
    }


def _revocation_seen_ms(database: Path, registry: AgentRegistry, admin: Human) -> list[float]:
    """Milliseconds from a suspension committing here to another process refusing."""
    watcher = subprocess.Popen(
        [sys.executable, "-c", _WATCHER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert watcher.stdin is not None and watcher.stdout is not None
    samples = []
    try:
        for run in range(REVOCATION_RUNS):
            name = f"watched-{run}"
            _, minted = registry.create(
                admin, name, environments=["staging"], task="bench", owner="bench"
            )
            watcher.stdin.write(minted.token + "\n")
            watcher.stdin.flush()
            if watcher.stdout.readline().strip() != "ready":
                raise RuntimeError("the watcher process did not start")
            registry.suspend(admin, name)
            changed = time.monotonic()
            answer = watcher.stdout.readline().strip()
            if answer == "never" or not answer:
                raise RuntimeError("the other process never refused a suspended agent")
            samples.append((float(answer) - changed) * 1000)
    finally:
        watcher.stdin.close()
        watcher.wait(timeout=30)
    return samples


if __name__ == "__main__":
    print(run())
