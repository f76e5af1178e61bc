"""SQL classifier latency: a repeated statement through the registry (cached), and
statements never seen before straight through the SQL module (cold: parse + analysis)."""

from __future__ import annotations

import itertools

from benchmarks._timing import percentiles_us
from interlock.classify import classify as registry_classify
from interlock.classify.sql import classify as classify_sql

TYPICAL = "UPDATE users SET last_login = now() WHERE id = 42"


def run() -> dict[str, float]:
    cached = percentiles_us(lambda: registry_classify("sql", TYPICAL), iterations=20_000)

    counter = itertools.count()
    templates = (
        "SELECT id, email FROM users_{n} WHERE id = {n}",
        "UPDATE orders_{n} SET status = 'shipped' WHERE id = {n}",
    )

    def cold() -> object:
        n = next(counter)
        return classify_sql(templates[n % 2].format(n=n), 0)

    cold_figures = percentiles_us(cold, iterations=10_000)
    return {
        "classify_sql_cached_p50_us": cached["p50"],
        "classify_sql_cold_p50_us": cold_figures["p50"],
        "classify_sql_cold_p99_us": cold_figures["p99"],
    }
