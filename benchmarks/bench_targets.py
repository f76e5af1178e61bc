"""Target resolution: where each action of a shell command acts (`interlock.targets`).

`targets_resolve_p50_us` is the resolver alone on an already classified command line (a
remote clue, a variable, a local deletion) against a small catalogue, without facts;
`targets_check_cwd_p50_us` is a whole `Checker.check` with a cwd whose `.env` names the
database (classification without the cache, the facts read, resolution, the gate).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks._timing import percentiles_us
from interlock.checking import Checker, CheckRequest
from interlock.classify import classify
from interlock.model import Resource
from interlock.targets import known_targets, resolve

COMMAND = (
    "kubectl --context prod-eu get pods && psql $DATABASE_URL -c 'DROP TABLE orders' "
    "&& rm -rf build"
)
CATALOGUE = known_targets(
    {"orders": Resource("orders", "staging", "postgres")},
    {"orders": "postgres://db.stg.internal:5432/orders"},
    {"orders": ["context:blue"]},
)


def run() -> dict[str, float]:
    actions = classify("shell", COMMAND)
    default = Resource("unregistered-shell-target", "staging")
    alone = percentiles_us(lambda: resolve(actions, default, CATALOGUE), iterations=5000)
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / ".env").write_text("DATABASE_URL=postgres://db.prod.internal/app\n")
        checker = Checker(targets=CATALOGUE)
        request = CheckRequest("shell", COMMAND, env="staging", cwd=directory)
        whole = percentiles_us(lambda: checker.check(request), iterations=300)
    return {"targets_resolve_p50_us": alone["p50"], "targets_check_cwd_p50_us": whole["p50"]}
