"""Self-protection's scan of a command line (run on every hook call and `interlock check`):
the everyday corpus in its workspace, and attacks that make it decode, expand and walk.

`protect_scan_everyday_p50_us` / `_p99_us`: one everyday command each call, in turn.
`protect_scan_hidden_p50_us`: a line with variables, a glob, a `find` and encoded text.
`protect_everyday_flag_pct`: the share of the everyday corpus self-protection refuses
(expected 0).
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from tests.classify.corpus import workspace

from benchmarks._timing import percentiles_us
from interlock.protect import installation_places, scan_shell

HIDDEN = (
    "d=~/.config/interl; cd ~ && rm -rf ${d}ock ~/.conf*/x; "
    "find ~ -name interlock.db -delete; echo cm0gLXJmIH4vLmNvbmZpZy9pbnRlcmxvY2s= | base64 -d | sh"
)


def run() -> dict[str, float]:
    root = workspace.build(Path(tempfile.mkdtemp(prefix="interlock-bench-")))
    places = installation_places(root / ".interlock")
    commands = workspace.commands()
    cwd = str(root)
    turn = itertools.cycle(commands)
    everyday = percentiles_us(
        lambda: scan_shell(next(turn), places, cwd=cwd), iterations=2000, warmup=50
    )
    hidden = percentiles_us(lambda: scan_shell(HIDDEN, places, cwd=cwd), iterations=300, warmup=10)
    flagged = sum(1 for c in commands if scan_shell(c, places, cwd=cwd))
    return {
        "protect_scan_everyday_p50_us": everyday["p50"],
        "protect_scan_everyday_p99_us": everyday["p99"],
        "protect_scan_hidden_p50_us": hidden["p50"],
        "protect_everyday_flag_pct": 100.0 * flagged / len(commands),
    }
