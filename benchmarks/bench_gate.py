"""Gate latency: a full decision on a memo hit and on a miss (a real Cedar evaluation)."""

from __future__ import annotations

import itertools

from benchmarks._timing import percentiles_us
from interlock.checking import Checker, CheckRequest
from interlock.gate import Gate
from interlock.model import Action, Agent, Resource, Verb

ITERATIONS = 5000


def run() -> dict[str, float]:
    gate = Gate()
    agent = Agent("bench-agent")
    prod = Resource("orders-db", "production", "postgres")
    drop = Action("sql", "sql:DROP TABLE", Verb.DESTRUCTIVE, ("orders",), reason="drops orders")

    hit = percentiles_us(lambda: gate.decide(agent, prod, (drop,)), ITERATIONS)

    counter = itertools.count()

    def miss() -> None:
        # A target never seen before: the memo misses and Cedar evaluates (hold path:
        # the full set, then the permits-only set).
        action = Action("sql", "sql:DROP TABLE", Verb.DESTRUCTIVE, (f"t{next(counter)}",))
        gate.decide(agent, prod, (action,))

    miss_figures = percentiles_us(miss, ITERATIONS)

    def miss_read() -> None:
        action = Action("sql", "sql:SELECT", Verb.READ, (f"r{next(counter)}",))
        gate.decide(agent, prod, (action,))

    read_figures = percentiles_us(miss_read, ITERATIONS)

    def miss_new_entities() -> None:
        resource = Resource(f"db-{next(counter)}", "production")
        gate.decide(agent, resource, (drop,))

    entity_figures = percentiles_us(miss_new_entities, 2000)

    checker = Checker(gate)
    request = CheckRequest("sql", "SELECT id FROM orders WHERE id = 42")
    end_to_end = percentiles_us(lambda: checker.check(request), ITERATIONS)

    return {
        "gate_hit_p50_us": hit["p50"],
        "gate_hit_p99_us": hit["p99"],
        "gate_miss_p50_us": miss_figures["p50"],
        "gate_miss_p99_us": miss_figures["p99"],
        "gate_miss_read_p50_us": read_figures["p50"],
        "gate_miss_new_entities_p50_us": entity_figures["p50"],
        "gate_miss_new_entities_p99_us": entity_figures["p99"],
        "check_sql_cached_end_to_end_p50_us": end_to_end["p50"],
    }
