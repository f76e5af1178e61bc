"""GraphQL classification cost: a small mutation through the module's `classify`.

Warm figures reuse one document text (the parse cache hits, as it does for an agent that
repeats its requests); the cold figure parses a document never seen before on every call.
The fan-out figure is a hostile document, never seen before: 41 fragments each spreading the
next twice, 2**40 paths to one `volumeDelete` (each fragment must be expanded once).
"""

from __future__ import annotations

import itertools

from benchmarks._timing import percentiles_us
from interlock.classify import graphql

_REQUEST = {
    "query": "mutation Drop($v: String!) { a: volumeDelete(volumeId: $v) }",
    "operationName": "Drop",
    "variables": {"v": "vol-prod-123"},
}


def run() -> dict[str, float]:
    warm = percentiles_us(lambda: graphql.classify(_REQUEST, 0), iterations=20_000)
    counter = itertools.count()

    def cold() -> object:
        n = next(counter)
        return graphql.classify({"query": f'mutation {{ volumeDelete(volumeId: "vol-{n}") }}'}, 0)

    cold_figures = percentiles_us(cold, iterations=3_000, warmup=50)
    spreads = " ".join(
        f"fragment F{i} on Mutation {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)
    )

    def fan_out() -> object:
        n = next(counter)
        leaf = f'fragment F40 on Mutation {{ volumeDelete(volumeId: "vol-{n}") }}'
        return graphql.classify({"query": f"mutation {{ ...F0 }} {spreads} {leaf}"}, 0)

    fan_out_figures = percentiles_us(fan_out, iterations=300, warmup=10)
    return {
        "classify_graphql_p50_us": warm["p50"],
        "classify_graphql_p99_us": warm["p99"],
        "classify_graphql_cold_p50_us": cold_figures["p50"],
        "classify_graphql_fan_out_p50_us": fan_out_figures["p50"],
    }
