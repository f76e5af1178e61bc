"""Other guards' own test suites (the field data's guards/, kept outside the repository):
Interlock stops their destructive cases and
passes their harmless ones, judged by the real `interlock check --batch` process.

Issue 16's bar: at least 95% of the destructive cases stopped (hold or deny on production)
and at least 90% of the harmless ones allowed. Cases whose label Interlock's documented
semantics disagree with carry a reason and are counted apart; their share is bounded so the
list cannot quietly absorb misses.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.classify.corpus import guard_suites, workspace
from tests.field_data import require_field_data

STOPPED_PCT = 95.0
PASSED_PCT = 90.0
# claude-code-safety-net tests many edge cases Interlock holds on purpose (unparseable lines,
# run-time targets): its share is the larger one.
MAX_DISAGREEMENT_SHARE = 0.15
MAX_DISAGREEMENT_SHARE_ALL = 0.10
LICENCES = {"MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC"}


@pytest.fixture(scope="module")
def cases() -> list[guard_suites.Case]:
    require_field_data("guards")
    found = guard_suites.cases()
    assert len(found) >= 2500
    return found


def _check(verdicts: list[guard_suites.Verdict]) -> None:
    for suite in sorted({v.case.suite for v in verdicts}):
        mine = [v for v in verdicts if v.case.suite == suite]
        score = guard_suites.score(mine)
        missed = [v.case.command for v in mine if not v.agrees and v.case.disagree is None]
        assert score.stopped_pct >= STOPPED_PCT, (suite, score, missed[:40])
        assert score.passed_pct >= PASSED_PCT, (suite, score, missed[:40])
        assert score.disagreements <= MAX_DISAGREEMENT_SHARE * len(mine), (suite, score)
    overall = guard_suites.score(verdicts)
    assert overall.disagreements <= MAX_DISAGREEMENT_SHARE_ALL * len(verdicts), overall


def test_without_a_working_directory(cases: list[guard_suites.Case]) -> None:
    _check(guard_suites.run(cases, None))


def test_in_a_working_directory_where_the_guard_had_one(
    cases: list[guard_suites.Case], tmp_path: Path
) -> None:
    root = workspace.build(tmp_path)
    _check(guard_suites.run(cases, root))


def test_every_suite_names_its_source_and_a_permissive_licence(
    cases: list[guard_suites.Case],
) -> None:
    sources = tomllib.loads(require_field_data("guards", "SOURCES.toml").read_text())
    assert {c.suite for c in cases} == set(sources)
    for suite, source in sources.items():
        assert source["license"] in LICENCES, suite
        assert source["repository"].startswith("https://github.com/"), suite
        assert len(source["commit"]) == 40, suite
        assert source["cases"] == sum(c.suite == suite for c in cases), suite


def test_every_disagreement_names_a_case_and_a_reason(cases: list[guard_suites.Case]) -> None:
    data = tomllib.loads((guard_suites.HERE / "disagreements.toml").read_text())
    known = {(c.label, c.command) for c in cases}
    marked = {(c.label, c.command) for c in cases if c.disagree}
    listed = set()
    for entry in data["disagree"]:
        assert entry["label"] in ("destructive", "harmless")
        assert len(entry["reason"]) > 20
        for command in entry["commands"]:
            assert (entry["label"], command) in known, command
            listed.add((entry["label"], command))
    assert listed == marked
