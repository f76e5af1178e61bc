"""Single-use approvals under a hammering, the way PgBouncer tests cancels: a hundred
concurrent claims of one approved request, from threads and from real processes sharing
the SQLite file, exactly one wins; agents retrying one held action from several processes
at once get one request between them.

The racers start together: in every round each thread waits at a barrier that opens only
once every process has reported ready (no sleeps); each thread has its own SQLite
connections. Several rounds, because a race lost once may be won the next time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.approvals import ApprovalStore, Status
from interlock.home import Home
from interlock.model import Human

from ._racer import TIMEOUT, Racers
from .conftest import AGENT, PROD, held

REPO = Path(__file__).resolve().parents[2]
PROCESSES = 3
THREADS_PER_PROCESS = 30
LOCAL_THREADS = 10
ROUNDS = 5


@pytest.fixture
def live_store(home: Home) -> Iterator[ApprovalStore]:
    """A store on the real clock, like the racing processes'."""
    store = ApprovalStore.for_home(home)
    yield store
    store.close()


def _race(home: Home, what: str, rounds: list[list[str]]) -> list[list[str | None]]:
    """`PROCESSES` racing processes and `LOCAL_THREADS` threads of this one, released
    together in each round: per round, what every racer got."""
    command = [sys.executable, "-m", "tests.approvals._racer", what, str(home.root)]
    command += [str(THREADS_PER_PROCESS), *(",".join(args) for args in rounds)]
    procs = [
        subprocess.Popen(
            command,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        local = Racers(home, LOCAL_THREADS, what, rounds)
        for _ in rounds:
            for proc in procs:
                assert proc.stdout is not None
                assert proc.stdout.readline().strip() == "ready", proc.stderr
            local.ready()
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            local.go()
        results = local.finish()
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, err
            for number, got in enumerate(json.loads(out.strip().splitlines()[-1])):
                results[number] += got
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_one_of_a_hundred_concurrent_claims_wins(home: Home, live_store: ApprovalStore) -> None:
    requests = []
    for number in range(ROUNDS):
        request = live_store.open_request(
            fingerprint=f"fp-race-{number}",
            agent=AGENT,
            resource=PROD,
            decision=held(),
            summary="DROP TABLE orders",
            source="proxy:pg",
        )
        live_store.approve(request.id, Human("alice", "approver"))
        requests.append(request)

    results = _race(home, "claim", [[r.id, r.fingerprint] for r in requests])

    used = [r.body.get("id") for r in home.audit_log().records() if r.body.get("event") == "used"]
    for request, got in zip(requests, results, strict=True):
        assert len(got) == PROCESSES * THREADS_PER_PROCESS + LOCAL_THREADS == 100
        assert [r for r in got if r is not None] == [request.id]
        assert live_store.get(request.id).status is Status.USED
        assert used.count(request.id) == 1


def test_concurrent_retries_of_one_held_action_open_one_request(
    home: Home, live_store: ApprovalStore
) -> None:
    fingerprints = [f"fp-retry-{number}" for number in range(ROUNDS)]

    results = _race(home, "open", [[fp] for fp in fingerprints])

    stored = live_store.requests(limit=1000)
    records = home.audit_log().records()
    opened = [r.body.get("fingerprint") for r in records if r.type == "approval_request"]
    for fingerprint, got in zip(fingerprints, results, strict=True):
        assert len(got) == 100 and None not in got
        assert len(set(got)) == 1
        assert [r.id for r in stored if r.fingerprint == fingerprint] == [got[0]]
        assert opened.count(fingerprint) == 1
