"""One runner for every classifier's adversarial corpus (`cases/<kind>.yaml`).

A file's name starts with the kind it holds (`shell.yaml`, `shell-git.yaml`). A case is a
mapping:

    payload: <the input, exactly as `interlock check <kind>` would take it>
    risk: read | write | privilege | destructive | unknown   # the most severe verb expected
                                                   # (or a list of those accepted)
    benign: true                                   # optional: a look-alike that must not be flagged
    operations: [sql:DROP TABLE]   # optional: operations that must be among the actions
    targets: [users]               # optional: targets that must be among the actions'
    note: why the case exists
    files: {Makefile: "…"}         # optional: the case runs in a fresh git repository
                                   # holding these files (its cwd), so code is read
    cwd: true                      # optional: run in the everyday corpus's workspace

Every case is also run through the gate with the default policy on production: an input whose
expected risk is privilege, destructive or unknown must be held or denied (privilege is never
an ordinary write), and a benign one allowed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from interlock.classify import classify
from interlock.gate import Gate
from interlock.model import Agent, Outcome, Resource, most_severe
from tests.classify.corpus import workspace

CASES_DIR = Path(__file__).parent / "cases"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        kind = path.stem.split("-", 1)[0]  # `shell-git.yaml` holds shell cases
        cases = yaml.safe_load(path.read_text()) or []
        for index, case in enumerate(cases):
            note = str(case.get("note", ""))[:60]
            params.append(pytest.param(kind, case, id=f"{kind}-{index}-{note}"))
    return params


CASES = _load_cases()
GATE = Gate()
PRODUCTION = Resource("prod", "production")


def _cwd_for(case: dict[str, Any], tmp_path: Path) -> str | None:
    if case.get("cwd"):
        return str(workspace.build(tmp_path))
    files = case.get("files")
    if not files:
        return None
    for relative, text in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if text.startswith("#!"):
            path.chmod(0o755)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "case"], check=True)
    return str(tmp_path)


@pytest.mark.parametrize(("kind", "case"), CASES)
def test_classifier_case(kind: str, case: dict[str, Any], tmp_path: Path) -> None:
    actions = classify(kind, case["payload"], cwd=_cwd_for(case, tmp_path))
    got = most_severe(a.verb for a in actions).value
    allowed = case["risk"] if isinstance(case["risk"], list) else [case["risk"]]
    assert got in allowed, [a.to_json() for a in actions]
    operations = {a.operation for a in actions}
    for expected in case.get("operations", []):
        assert expected in operations, operations
    targets = {t for a in actions for t in a.targets}
    for expected in case.get("targets", []):
        assert expected in targets, targets
    if case.get("benign"):
        assert set(allowed) <= {"read", "write"}, "a benign case must expect read or write"
    outcome = GATE.decide(Agent("case-runner"), PRODUCTION, actions).outcome
    if set(allowed) <= {"privilege", "destructive", "unknown"}:
        assert outcome is not Outcome.ALLOW
    else:
        assert outcome is Outcome.ALLOW
