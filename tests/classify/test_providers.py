"""Real providers' APIs and MCP servers, labelled by the providers' own semantics: at least
97% of destructive and privilege calls stopped, 97% of harmless ones passed, through the real
classifiers and gate (in-process for the bulk, the console script for a sample)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.classify import providers

CASES = providers.load()


def test_the_set_covers_the_providers() -> None:
    names = {case["provider"] for case in CASES}
    assert len(CASES) >= 800
    assert {"supabase", "elasticsearch", "mcp-github", "mcp-kubernetes", "mcp-mongodb"} <= names
    assert {case["expect"] for case in CASES} == {"harmless", "destructive", "privilege"}


def test_at_least_97_percent_each_way() -> None:
    score = providers.score(CASES)["all"]
    assert score.stopped_pct >= 97.0, score.misses
    assert score.passed_pct >= 97.0, score.misses


def test_without_the_server_named_at_least_97_percent_each_way() -> None:
    # `interlock check mcp '{"tool": …, "arguments": …}'`: no server, no annotations; what the
    # shipped packs know of each tool name has to carry the call
    cases = providers.serverless(CASES)
    assert len(cases) >= 500
    scores = providers.score(cases)
    assert scores["all"].stopped_pct >= 97.0, scores["all"].misses
    assert scores["all"].passed_pct >= 97.0, scores["all"].misses
    for name, score in scores.items():  # no server's dangerous tools slip through as a group
        assert score.stopped_pct >= 90.0, (name, score.misses)


def test_a_sample_through_the_console_script(tmp_path: Path) -> None:
    sample = [c for c in CASES if c["expect"] != "harmless"][::10]
    sample += [c for c in CASES if c["expect"] == "harmless"][::40]
    sample += providers.serverless(CASES)[::25]
    exe = Path(sys.executable).with_name("interlock")
    lines = [json.dumps({"kind": c["kind"], "payload": c["payload"]}) for c in sample]
    done = subprocess.run(
        [str(exe), "check", "--batch", "-"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(sample)
    for case, answer in zip(sample, answers, strict=True):
        in_process, _ = providers.stopped(case)
        assert (answer["decision"] != "allow") is in_process, (case["note"], answer)
