"""Percentile timing shared by every benchmark module."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def percentiles_us(
    fn: Callable[[], object], iterations: int, warmup: int = 200
) -> dict[str, float]:
    """Run `fn` `iterations` times after `warmup` calls; return p50 and p99 in microseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(iterations):
        start = clock()
        fn()
        samples.append((clock() - start) / 1000.0)
    samples.sort()
    return {
        "p50": round(statistics.median(samples), 2),
        "p99": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2),
    }
