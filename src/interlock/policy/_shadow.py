"""Permits that can never take effect because a forbid always wins (`policy validate`).

Cedar's rule is simple: any matching forbid beats every permit. So a user who writes
`permit … when { context.targets.contains("node_modules") }` to let `rm -rf node_modules`
through on production has written a permit that does nothing there: the default pack's
`hold-destructive-production` forbid still matches. This module finds such permits.

How, and its limits (said in docs/classifiers/tuning.md too): the analysis is by example,
not a proof. It builds requests from the values the permit and the forbids mention (the
environments, tags, operations, targets, names they compare against), plus ordinary ones,
for every verb class; keeps the requests the permit alone allows; and asks which forbids
match them. A permit is reported when, in some environment, every request it allows there is
also matched by a forbid (naming that forbid). A condition on values the policies do not
spell out (a `like` pattern with several wildcards, arithmetic on `blast_radius`) may hide
shadowing it cannot build an example of; it never reports a permit that some example shows
taking effect.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import cedarpy

from interlock.model import Action, Agent, Resource, Verb
from interlock.policy._evaluate import _entities_json, cedar_request
from interlock.policy._load import Policy, PolicyBundle

_DEFAULT_ENVS = ("production", "staging")
_MAX_VALUES = 6
_MAX_REQUESTS = 6_000


@dataclass(frozen=True, slots=True)
class Shadowed:
    """A permit a forbid always beats, where, and whether the forbid holds or refuses."""

    permit: str
    forbids: tuple[str, ...]
    environments: tuple[str, ...]  # where it never takes effect
    everywhere: bool
    held: bool  # every shadowing forbid is approvable: the permit matters only after approval

    def sentence(self, policies: Mapping[str, Policy]) -> str:
        permit = policies[self.permit]
        forbids = ", ".join(f"{f} ({policies[f].path}:{policies[f].line})" for f in self.forbids)
        where = (
            "anywhere"
            if self.everywhere
            else "in the "
            + ", ".join(self.environments)
            + " environment"
            + ("s" if len(self.environments) > 1 else "")
        )
        what = "holds it for a human's approval" if self.held else "refuses it"
        return (
            f"permit {permit.id} ({permit.path}:{permit.line}) never takes effect {where}: "
            f"forbid {forbids} matches every action it permits there and {what} (a forbid "
            "always beats a permit). To make an exception, add a rule (`interlock rules add "
            "PATTERN --risk write`) or narrow the forbid with an `unless` — see "
            "docs/classifiers/tuning.md"
        )


def shadowed_permits(bundle: PolicyBundle) -> list[Shadowed]:
    """Every permit of `bundle` that a forbid beats in at least one environment."""
    forbids = {pid: p for pid, p in bundle.policies.items() if p.effect == "forbid"}
    if not forbids:
        return []
    as_json = {pid: _policy_json(p) for pid, p in bundle.policies.items()}
    forbid_set = _set({pid: as_json[pid] for pid in forbids})
    found: list[Shadowed] = []
    for pid, policy in bundle.policies.items():
        if policy.effect != "permit" or policy.after_approval:
            continue
        values = _literals(as_json[pid], *(as_json[f] for f in forbids))
        alone = _set({pid: as_json[pid]})
        by_env: dict[str, list[frozenset[str]]] = {}
        for principal, resource, action in _examples(values):
            entities = cedarpy.Entities.from_json_str(
                _entities_json(principal, resource), schema=bundle.schema
            )
            request = cedar_request(principal, resource, action, "", 0)
            if not cedarpy.is_authorized(request, alone, entities).allowed:
                continue
            fired = cedarpy.is_authorized(request, forbid_set, entities).diagnostics.reasons
            by_env.setdefault(resource.environment, []).append(frozenset(fired))
        shadowed_envs = [env for env, hits in by_env.items() if hits and all(hits)]
        if not shadowed_envs:
            continue
        always = frozenset.intersection(*(h for e in shadowed_envs for h in by_env[e]))
        names = tuple(sorted(always)) or tuple(
            sorted(set().union(*(h for e in shadowed_envs for h in by_env[e])))
        )
        found.append(
            Shadowed(
                permit=pid,
                forbids=names,
                environments=tuple(sorted(shadowed_envs)),
                everywhere=len(shadowed_envs) == len(by_env),
                held=all(bundle.policies[f].approvable for f in names),
            )
        )
    return found


def _policy_json(policy: Policy) -> dict[str, object]:
    parsed = json.loads(cedarpy.policies_to_json_str(policy.text))
    (static,) = parsed["staticPolicies"].values()
    return dict(static)


def _set(static: Mapping[str, object]) -> cedarpy.PolicySet:
    doc = {"staticPolicies": dict(static), "templates": {}, "templateLinks": []}
    return cedarpy.PolicySet.from_json_str(json.dumps(doc))


def _literals(*documents: object) -> dict[str, list[str]]:
    """Attribute (`resource.environment`, `context.targets`, …) → strings compared with it."""
    found: dict[str, list[str]] = {}

    def attribute(node: object) -> str | None:
        if isinstance(node, dict) and "." in node:
            inner = node["."]
            var = inner.get("left", {}).get("Var") if isinstance(inner, dict) else None
            if var and isinstance(inner.get("attr"), str):
                return f"{var}.{inner['attr']}"
        return None

    def add(name: str, value: str) -> None:
        bucket = found.setdefault(name, [])
        if value not in bucket and len(bucket) < _MAX_VALUES:
            bucket.append(value)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            entity = node.get("entity")
            if isinstance(entity, dict) and isinstance(entity.get("id"), str):
                kind = {"Agent": "principal.id", "Resource": "resource.id"}.get(
                    str(entity.get("type"))
                )
                if kind:  # a scope naming one agent or resource: `principal == Agent::"x"`
                    add(kind, entity["id"])
            for op, body in node.items():
                if isinstance(body, dict) and "left" in body:
                    name = attribute(body["left"])
                    right = body.get("right")
                    if name and isinstance(right, dict) and isinstance(right.get("Value"), str):
                        add(name, right["Value"])
                    if name and op == "like" and isinstance(body.get("pattern"), list):
                        add(name, _like_example(body["pattern"]))
                    if name and isinstance(right, dict) and isinstance(right.get("Set"), list):
                        for item in right["Set"]:
                            if isinstance(item, dict) and isinstance(item.get("Value"), str):
                                add(name, item["Value"])
                walk(body)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for document in documents:
        walk(document)
    return found


def _like_example(pattern: list[object]) -> str:
    return "".join(p["Literal"] if isinstance(p, dict) else "x" for p in pattern)


def _examples(values: Mapping[str, list[str]]) -> Iterator[tuple[Agent, Resource, Action]]:
    envs = list(dict.fromkeys([*_DEFAULT_ENVS, *values.get("resource.environment", [])]))
    tags = [(), *((t,) for t in values.get("resource.tags", []))]
    operations = values.get("context.operation", []) or ["x:other"]
    targets = [(), *((t,) for t in values.get("context.targets", []))]
    names = ["agent", *values.get("principal.name", []), *values.get("principal.id", [])]
    kinds = ["generic", *values.get("resource.kind", [])]
    resources = ["resource", *values.get("resource.id", []), *values.get("resource.name", [])]
    grid = itertools.product(
        envs, tags, operations, targets, names, kinds, resources, list(Verb), (False, True)
    )
    for env, tag, operation, target, name, kind, res, verb, reversible in itertools.islice(
        grid, _MAX_REQUESTS
    ):
        protocol = operation.partition(":")[0] or "x"
        yield (
            Agent(name=name, id=name),
            Resource(name=res, environment=env, tags=frozenset(tag), kind=kind),
            Action(protocol, operation, verb, tuple(target), reversible=reversible),
        )
