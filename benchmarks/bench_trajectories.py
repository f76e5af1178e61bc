"""The flag rate of coding-agent trajectories replayed as the hook sees them (with a cwd, the
agent's scripts on disk): the share of commands that come out unknown or destructive.
Issue 14's bar is at most 3%.

`trajectories_flag_pct` is measured on the published runs named by $INTERLOCK_TRAJECTORIES
(scripts/trajectories_to_replay.py makes the file; tests/classify/corpus/trajectories/
README.md), on every fifth trajectory to stay quick; `trajectories_families_flag_pct` on the
authored corpus the repository keeps (families.jsonl).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.classify.corpus.trajectories import flag_rate, published, replay


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="interlock-trajectories-") as base:
        families = replay(Path(base) / "families")
        figures["trajectories_families_flag_pct"] = round(flag_rate(families), 2)
        corpus = published()
        if corpus is not None:
            runs = replay(Path(base) / "published", corpus, every=5)
            figures["trajectories_flag_pct"] = round(flag_rate(runs), 2)
            figures["trajectories_commands"] = float(len(runs))
    return figures
