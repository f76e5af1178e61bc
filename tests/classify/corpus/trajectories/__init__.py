"""Replaying coding-agent trajectories (the format: README.md beside this file)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from interlock.classify import classify
from interlock.model import Verb, most_severe
from tests.classify.corpus import workspace

HERE = Path(__file__).parent
FAMILIES = HERE / "families.jsonl"
FLAGGED = (Verb.UNKNOWN, Verb.DESTRUCTIVE)
# A JSONL file of published trajectories in the same format (scripts/trajectories_to_replay.py
# makes one); the published runs themselves are not kept in the repository.
ENVIRONMENT = "INTERLOCK_TRAJECTORIES"


@dataclass(frozen=True, slots=True)
class Run:
    source: str
    command: str
    verb: Verb
    reason: str


def published() -> Path | None:
    """The published-trajectories corpus named by $INTERLOCK_TRAJECTORIES, if any."""
    named = os.environ.get(ENVIRONMENT, "")
    return Path(named) if named and Path(named).is_file() else None


def replay(base: Path, corpus: Path = FAMILIES, *, every: int = 1) -> list[Run]:
    """Every command of every `every`-th trajectory, judged where the agent ran it: in a
    fresh git workspace (the agent's working directory mapped onto it) holding the files the
    agent had written by then."""
    runs: list[Run] = []
    for index, line in enumerate(corpus.read_text().splitlines()[::every]):
        record = json.loads(line)
        root = workspace.build(base / f"t{index}")
        working_dir = record["working_dir"]
        for step in record["steps"]:
            if "write" in step:
                path = root / step["write"].lstrip("/")
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(step["text"])
                except OSError:
                    pass  # a path this workspace cannot hold: the command then cannot read it
                continue
            command = step["run"].replace(working_dir, str(root)).replace("/testbed", str(root))
            actions = classify("shell", command, cwd=str(root))
            verb = most_severe(a.verb for a in actions)
            reason = next((a.reason for a in actions if a.verb is verb), "")
            runs.append(Run(record["source"], step["run"], verb, reason))
    return runs


def flag_rate(runs: list[Run]) -> float:
    """The share of commands flagged (unknown or destructive), in percent."""
    return 100.0 * sum(r.verb in FLAGGED for r in runs) / max(len(runs), 1)
