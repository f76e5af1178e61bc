"""Threads, and processes of threads, racing on approval requests, for test_races.py.

    python -m tests.approvals._racer claim HOME THREADS REQUEST_ID,FINGERPRINT ...
    python -m tests.approvals._racer open HOME THREADS FINGERPRINT ...

Each thread opens its own store (its own SQLite connections, as separate proxies have).
Every round (one per argument after THREADS) the process prints `ready` once all its
threads wait at a barrier, and releases them when a line arrives on stdin. At the end it
prints one JSON line: per round, what each thread got (the request id claimed or opened,
or null).
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from interlock.approvals import ApprovalStore
from interlock.home import Home

from .conftest import AGENT, PROD, held

TIMEOUT = 120.0


def attempt(store: ApprovalStore, what: str, args: list[str]) -> str | None:
    """`claim` [request id, fingerprint] or `open` [fingerprint]: the id got, or None."""
    if what == "claim":
        claimed = store.claim(args[0], args[1])
        return claimed.id if claimed is not None else None
    return store.open_request(
        fingerprint=args[0],
        agent=AGENT,
        resource=PROD,
        decision=held(),
        summary="raced",
        source="test:race",
    ).id


class Racers:
    """`count` threads, each with its own store, released together once per round."""

    def __init__(self, home: Home, count: int, what: str, rounds: list[list[str]]) -> None:
        self.results: list[list[str | None]] = [[None] * count for _ in rounds]
        self.errors: list[BaseException] = []
        self._ready = threading.Barrier(count + 1, timeout=TIMEOUT)
        self._gate = threading.Barrier(count + 1, timeout=TIMEOUT)
        self._threads = [
            threading.Thread(target=self._run, args=(i, home, what, rounds)) for i in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def _run(self, index: int, home: Home, what: str, rounds: list[list[str]]) -> None:
        store = ApprovalStore.for_home(home)
        try:
            for number, args in enumerate(rounds):
                self._ready.wait()
                self._gate.wait()
                self.results[number][index] = attempt(store, what, args)
        except BaseException as exc:  # reported to the test, which fails on any
            self.errors.append(exc)
            self._ready.abort()
            self._gate.abort()
        finally:
            store.close()
            if store.audit is not None:
                store.audit.store.close()

    def ready(self) -> None:
        """Wait until every thread waits for the next round."""
        self._ready.wait()

    def go(self) -> None:
        """Release every thread at once."""
        self._gate.wait()

    def finish(self) -> list[list[str | None]]:
        for thread in self._threads:
            thread.join(TIMEOUT)
        if self.errors:
            raise self.errors[0]
        return self.results


def main(argv: list[str]) -> None:
    what, home, count = argv[0], Home(Path(argv[1])), int(argv[2])
    rounds = [arg.split(",") for arg in argv[3:]]
    racers = Racers(home, count, what, rounds)
    for _ in rounds:
        racers.ready()
        print("ready", flush=True)
        sys.stdin.readline()
        racers.go()
    print(json.dumps(racers.finish()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
