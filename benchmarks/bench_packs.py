"""Route packs: loading every shipped pack at start-up (`packs_load_ms`, a fresh process's
first load and the median of reloads), and classifying a call on a generated pack's host
(DigitalOcean's droplet actions, whose body decides) with all of them loaded."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from benchmarks._timing import percentiles_us
from interlock.classify import http
from interlock.classify.http import load_packs

_ACTION = {
    "method": "POST",
    "url": "https://api.digitalocean.com/v2/droplets/3164494/actions",
    "headers": {"Authorization": "Bearer x", "Content-Type": "application/json"},
    "body": '{"type": "power_off"}',
}
# A fresh process: the classifier imported (its own cost, not the packs'), then the first
# load of every shipped pack, as `interlock proxy http` or a hook does once at start-up.
_COLD = (
    "import time; from interlock.classify.http import load_packs;"
    "t = time.perf_counter(); load_packs(); print((time.perf_counter() - t) * 1000)"
)


def run() -> dict[str, float]:
    cold = [
        float(
            subprocess.run(
                [sys.executable, "-c", _COLD], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    warm = []
    for _ in range(10):
        start = time.perf_counter()
        load_packs()
        warm.append((time.perf_counter() - start) * 1000)
    action = percentiles_us(lambda: http.classify(_ACTION, 0), iterations=10_000)
    return {
        "packs_load_ms": round(statistics.median(cold), 2),
        "packs_reload_ms": round(statistics.median(warm), 2),
        "classify_http_pack_action_p50_us": action["p50"],
    }
