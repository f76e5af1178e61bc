"""Load Cedar policy files into a validated, ready-to-evaluate `PolicyBundle`.

Loading happens once; evaluation reuses the parsed handles (parsing on the hot path costs
milliseconds, evaluation tens of microseconds). Each policy keeps its own id (its `@id`
annotation, or `file:line`), its source location and its annotations, because Cedar's
answers name policies by id and Interlock reads meaning from annotations:

- `@approval("required")` on a forbid: the action is held for a human rather than refused.
- `@safeguard("snapshot")` (comma-separated for several) on a permit: what must run first.
- `@reason("...")`: the sentence shown to the agent and the approver.
- `@approvers("2")` on an approvable forbid: how many distinct humans must approve.
- `@after_approval("true")` on a permit: it only applies once a human approved; where no
  forbid holds the action (a shipped forbid edited away), it holds the action itself rather
  than allow it in a human's name.
- `@approve_in("console")` on an approvable forbid: not approvable from Slack's buttons.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import cedarpy

from interlock.errors import PolicyError
from interlock.policy._rules import RuleSet, find_rules_file, load_rules
from interlock.policy._source import Statement, UnterminatedText, split_statements

SCHEMA_FILE = "schema.cedarschema"


@dataclass(frozen=True, slots=True)
class Policy:
    """One loaded policy: its id, effect, where it came from and what it is annotated with."""

    id: str
    effect: str  # "permit" | "forbid"
    path: str
    line: int
    text: str
    annotations: Mapping[str, str]

    @property
    def approvable(self) -> bool:
        return self.effect == "forbid" and self.annotations.get("approval") == "required"

    @property
    def after_approval(self) -> bool:
        """`@after_approval("true")` on a permit: it says what may run once a human approved
        (under an approvable forbid); on its own it allows nothing, so it holds."""
        return self.effect == "permit" and self.annotations.get("after_approval") == "true"

    @property
    def safeguards(self) -> tuple[str, ...]:
        raw = self.annotations.get("safeguard", "")
        return tuple(s.strip() for s in raw.split(",") if s.strip())

    @property
    def reason(self) -> str:
        return self.annotations.get("reason", "")

    @property
    def approvers(self) -> int:
        try:
            return max(1, int(self.annotations.get("approvers", "1")))
        except ValueError:
            return 1


@dataclass(frozen=True, slots=True)
class PolicyBundle:
    """A validated policy set with the parsed Cedar handles evaluation needs.

    `permits_only` is the same set without approvable forbids: when the full set denies and
    every forbid that fired is approvable, `permits_only` says whether a permit exists that
    an approval can rest on (hold) or not (deny by default).
    """

    policies: Mapping[str, Policy]
    schema: cedarpy.Schema
    policy_set: cedarpy.PolicySet
    permits_only: cedarpy.PolicySet
    version: str
    sources: tuple[str, ...]
    rules: RuleSet = field(default_factory=RuleSet)


def default_policy_dir() -> Path:
    """The directory of the built-in "protect production" pack."""
    return Path(str(resources.files("interlock.policy") / "default"))


def load_schema() -> cedarpy.Schema:
    text = (resources.files("interlock.policy") / SCHEMA_FILE).read_text()
    return cedarpy.Schema.from_str(text)


def policy_files(paths: Iterable[Path]) -> list[Path]:
    """Expand directories into their `*.cedar` files, sorted, so load order is stable."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.cedar"))
            if not found:
                raise PolicyError("no .cedar files in this directory", path=str(path))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise PolicyError("no such policy file or directory", path=str(path))
    return files


def load_policies(
    paths: Iterable[Path] | None = None, *, rules: Path | RuleSet | None = None
) -> PolicyBundle:
    """Parse and validate the policies in `paths` (files or directories of `.cedar` files).

    With no paths, the built-in default pack. Raises `PolicyError` naming the file and line
    of the first policy that does not parse or validate against Interlock's schema.

    `rules` is the rules file (or rule set) to apply before the policies; by default the
    `rules.toml` of the first policy directory given (the built-in pack has none).
    """
    given = list(paths) if paths is not None else None
    files = policy_files(given if given is not None else [default_policy_dir()])
    bundle = load_policy_texts((str(f), _read(f)) for f in files)
    if rules is None and given is not None:
        rules = find_rules_file(given)
    if rules is None:
        return bundle
    return with_rules(bundle, rules if isinstance(rules, RuleSet) else load_rules(rules))


def with_rules(bundle: PolicyBundle, rules: RuleSet) -> PolicyBundle:
    """`bundle` with `rules` in force (its version then names both)."""
    if not rules:
        return replace(bundle, rules=rules)
    version = hashlib.sha256(f"{bundle.version}+{rules.digest}".encode()).hexdigest()[:16]
    return replace(bundle, rules=rules, version=version)


def load_policy_texts(named_texts: Iterable[tuple[str, str]]) -> PolicyBundle:
    """Like `load_policies`, from (name, text) pairs already in memory."""
    schema = load_schema()
    policies: dict[str, Policy] = {}
    cedar_json: dict[str, object] = {}
    digest = hashlib.sha256()
    sources: list[str] = []
    for name, text in named_texts:
        sources.append(name)
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
        for statement in _statements(name, text):
            policy, as_json = _compile(name, statement, schema)
            if policy.id in policies:
                other = policies[policy.id]
                raise PolicyError(
                    f"duplicate policy id {policy.id!r} (also at {other.path}:{other.line})",
                    path=name,
                    line=statement.line,
                )
            policies[policy.id] = policy
            cedar_json[policy.id] = as_json
    if not policies:
        raise PolicyError("no policies found: nothing would ever be allowed")
    permits_only = {k: v for k, v in cedar_json.items() if not policies[k].approvable}
    return PolicyBundle(
        policies=policies,
        schema=schema,
        policy_set=_policy_set(cedar_json),
        permits_only=_policy_set(permits_only),
        version=digest.hexdigest()[:16],
        sources=tuple(sources),
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy file: {exc}", path=str(path)) from None


def _statements(name: str, text: str) -> list[Statement]:
    try:
        return split_statements(text)
    except UnterminatedText as exc:
        raise PolicyError(str(exc), path=name, line=exc.line) from None


def _compile(name: str, statement: Statement, schema: cedarpy.Schema) -> tuple[Policy, object]:
    """Parse and validate one statement; return the policy and its Cedar JSON form."""
    try:
        parsed = json.loads(cedarpy.policies_to_json_str(statement.text))
    except ValueError as exc:
        raise PolicyError(f"does not parse: {exc}", path=name, line=statement.line) from None
    static = parsed.get("staticPolicies", {})
    if len(static) != 1 or parsed.get("templates"):
        raise PolicyError(
            "expected exactly one static policy (templates are not supported)",
            path=name,
            line=statement.line,
        )
    (as_json,) = static.values()
    validation = cedarpy.validate_policies(statement.text, schema)
    if not validation.validation_passed:
        first = validation.errors[0].error if validation.errors else "invalid"
        raise PolicyError(
            f"does not match Interlock's schema: {first}", path=name, line=statement.line
        )
    annotations = {str(k): str(v) for k, v in as_json.get("annotations", {}).items()}
    policy_id = annotations.get("id") or f"{Path(name).name}:{statement.line}"
    policy = Policy(
        id=policy_id,
        effect=str(as_json["effect"]),
        path=name,
        line=statement.line,
        text=statement.text.strip(),
        annotations=annotations,
    )
    if policy.effect == "permit" and "approval" in annotations:
        raise PolicyError(
            "@approval belongs on a forbid (it turns a refusal into a hold)",
            path=name,
            line=statement.line,
        )
    return policy, as_json


def _policy_set(static: Mapping[str, object]) -> cedarpy.PolicySet:
    doc = {"staticPolicies": dict(static), "templates": {}, "templateLinks": []}
    return cedarpy.PolicySet.from_json_str(json.dumps(doc))
