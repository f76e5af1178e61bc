"""`interlock policy test`: expected decisions, written as data, checked against policies.

A test file (YAML or JSON) looks like:

    policies: [../policies]          # optional, relative to this file
    resources:                       # optional resources the cases can name
      orders-db: {environment: production, kind: postgres, tags: [pii]}
    cases:
      - name: dropping a production table is held
        kind: sql
        payload: DROP TABLE orders
        resource: orders-db          # or env: production
        expect: hold                 # allow | hold | deny
        risk: destructive            # optional
        policies: [hold-destructive-production]   # optional: must be among the deciders

Users keep such files next to their policies and run them in their own CI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from interlock.checking import Checker, request_from_mapping
from interlock.errors import InputError, InterlockError
from interlock.gate import Gate
from interlock.model import Outcome, Resource
from interlock.policy import PolicyBundle, load_policies

_OUTCOMES = {o.value for o in Outcome}


@dataclass(frozen=True, slots=True)
class CaseResult:
    name: str
    passed: bool
    expected: str
    got: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class PolicyTestFile:
    path: Path
    policy_paths: tuple[Path, ...]
    resources: Mapping[str, Resource]
    cases: tuple[Mapping[str, Any], ...]


def read_test_file(path: Path) -> PolicyTestFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    if isinstance(raw, list):
        raw = {"cases": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("cases"), list):
        raise InputError(f"{path}: expected a mapping with a list of 'cases'")
    policies = raw.get("policies", [])
    if isinstance(policies, str):
        policies = [policies]
    if not isinstance(policies, list) or not all(isinstance(p, str) for p in policies):
        raise InputError(f"{path}: 'policies' must be a path or a list of paths")
    resources = raw.get("resources", {}) or {}
    if not isinstance(resources, dict):
        raise InputError(f"{path}: 'resources' must be a mapping of name to attributes")
    return PolicyTestFile(
        path=path,
        policy_paths=tuple(path.parent / p for p in policies),
        resources={name: _resource(path, name, spec) for name, spec in resources.items()},
        cases=tuple(raw["cases"]),
    )


def _resource(path: Path, name: str, spec: Any) -> Resource:
    if not isinstance(spec, dict):
        raise InputError(f"{path}: resource {name!r} must be a mapping")
    tags = spec.get("tags", [])
    if not isinstance(tags, list):
        raise InputError(f"{path}: resource {name!r}: tags must be a list")
    return Resource(
        name=name,
        environment=str(spec.get("environment", "production")),
        kind=str(spec.get("kind", "generic")),
        tags=frozenset(str(t) for t in tags),
        owner=str(spec.get("owner", "")),
    )


def run_policy_tests(
    test_file: PolicyTestFile,
    bundle: PolicyBundle | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run every case; policies come from `bundle`, else the file's, else the defaults."""
    if bundle is None:
        bundle = load_policies(test_file.policy_paths or None)
    checker = Checker(Gate(bundle), resources=test_file.resources)
    results = []
    for index, case in enumerate(test_file.cases, start=1):
        result = _run_case(checker, index, case)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _run_case(checker: Checker, index: int, case: Any) -> CaseResult:
    if not isinstance(case, dict):
        return CaseResult(f"case {index}", False, "?", "error", "a case must be a mapping")
    name = str(case.get("name") or f"case {index}")
    expected = case.get("expect")
    if expected not in _OUTCOMES:
        return CaseResult(
            name, False, str(expected), "error", "'expect' must be allow, hold or deny"
        )
    try:
        decision = checker.check(request_from_mapping(case))
    except InterlockError as exc:
        return CaseResult(name, False, expected, "error", str(exc))
    problems = []
    if decision.outcome.value != expected:
        problems.append(f"expected {expected}, got {decision.outcome.value}")
    if "risk" in case and decision.risk.value != case["risk"]:
        problems.append(f"expected risk {case['risk']}, got {decision.risk.value}")
    for policy in case.get("policies", []) or []:
        if policy not in decision.policies:
            problems.append(f"policy {policy!r} not among deciders {list(decision.policies)}")
    return CaseResult(name, not problems, expected, decision.outcome.value, "; ".join(problems))
