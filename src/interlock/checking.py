"""The `interlock check` contract: requests in, decisions out (see docs/check.md).

A `CheckRequest` names the kind and payload and optionally the environment, agent,
resource and the directory the input runs in (`cwd`: the classifiers may then read the code a
command runs and the git facts of the paths it touches). `Checker` classifies the payload,
builds the principal and resource, asks the gate and, when given an audit log, records the
decision. Batch lines that cannot be read are
answered with an error object that still carries `decision: deny` (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interlock.audit import AuditLog
from interlock.classify import KINDS, classify
from interlock.errors import InputError, InterlockError
from interlock.gate import Gate, NoBaseline
from interlock.model import Action, Agent, Decision, Resource
from interlock.protect import Places, installation_places, tampering_actions
from interlock.redact import holds_credential
from interlock.targets import (
    LOCAL_ENVIRONMENT,
    NO_FACTS,
    Facts,
    KnownTarget,
    known_targets,
    resolve,
)

DEFAULT_ENVIRONMENT = "production"
UNNAMED_AGENT = "unnamed-agent"
_LINE_KEYS = {"kind", "payload", "env", "agent", "resource", "reason", "cwd"}


@dataclass(frozen=True, slots=True)
class CheckRequest:
    kind: str
    payload: object
    env: str | None = None
    agent: str | None = None
    resource: str | None = None
    reason: str = ""
    cwd: str | None = None


def parse_batch_line(line: str) -> CheckRequest:
    """Read one batch line; raises `InputError` saying exactly what is wrong with it."""
    if not line.strip():
        raise InputError("empty line: expected a JSON object with kind and payload")
    try:
        raw = json.loads(line)
    except ValueError as exc:
        raise InputError(f"not valid JSON ({exc.args[0] if exc.args else exc})") from None
    if not isinstance(raw, dict):
        raise InputError(f"expected a JSON object, got {type(raw).__name__}")
    return request_from_mapping(raw)


def request_from_mapping(raw: Mapping[str, Any]) -> CheckRequest:
    kind = raw.get("kind")
    if kind is None:
        raise InputError("missing 'kind'")
    if not isinstance(kind, str) or kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
    if "payload" not in raw or raw["payload"] is None:
        raise InputError("missing 'payload'")
    fields: dict[str, str | None] = {}
    for key in ("env", "agent", "resource", "reason", "cwd"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(f"'{key}' must be a string, got {type(value).__name__}")
        if isinstance(value, str) and not value.strip() and key != "reason":
            raise InputError(f"'{key}' must not be empty")
        fields[key] = value
    cwd = fields["cwd"]
    if cwd is not None and not cwd.startswith("/"):
        raise InputError(f"'cwd' must be an absolute path, got {cwd!r}")
    return CheckRequest(
        kind=kind,
        payload=raw["payload"],
        env=fields["env"],
        agent=fields["agent"],
        resource=fields["resource"],
        reason=fields["reason"] or "",
        cwd=cwd,
    )


def coerce_payload(kind: str, payload: object) -> object:
    """Accept JSON text where the contract wants an object (http and mcp payloads).

    Command-line payloads are always text; `{"method": …}` given to `check http` means the
    object, not the small HTTP-request text form.
    """
    if kind in ("http", "mcp") and isinstance(payload, str) and payload.lstrip()[:1] in "{[":
        try:
            return json.loads(payload)
        except ValueError:
            return payload
    return payload


def error_result(message: str) -> dict[str, object]:
    """The answer to a request that could not be read: refused, risk unknown."""
    return {"error": message, "decision": "deny", "risk": "unknown"}


class Checker:
    """Answers check requests with one gate, a resource catalogue and an optional audit log."""

    def __init__(
        self,
        gate: Gate | None = None,
        resources: Mapping[str, Resource] | None = None,
        audit: AuditLog | None = None,
        agents: Mapping[str, Agent] | None = None,
        places: Places | None = None,
        targets: Sequence[KnownTarget] | None = None,
        workspace_environment: str = LOCAL_ENVIRONMENT,
    ) -> None:
        self.gate = gate if gate is not None else Gate()
        self.places = places if places is not None else installation_places()
        self.resources = dict(resources or {})
        # What the target resolver matches hosts, URLs and names against (by default the
        # resources by name only; homes add their upstreams and declared names).
        self.targets = tuple(targets) if targets is not None else known_targets(self.resources)
        self.audit = audit
        self.agents = dict(agents or {})
        self.workspace_environment = workspace_environment

    def principal(self, request: CheckRequest) -> Agent:
        # A registered agent is checked under its own grant (a suspended one has none); any
        # other name is granted every environment, so the answer shows what the policy decides.
        registered = self.agents.get(request.agent or "")
        if registered is not None:
            return registered
        return Agent(name=request.agent or UNNAMED_AGENT)

    def resource(self, request: CheckRequest) -> Resource:
        registered = self.resources.get(request.resource or "")
        if registered is not None:
            # The registered environment is the truth; a request cannot relabel production.
            return registered
        return Resource(
            name=request.resource or f"unregistered-{request.kind}-target",
            environment=request.env or DEFAULT_ENVIRONMENT,
        )

    def check(self, request: CheckRequest) -> Decision:
        """Classify and decide; raises `InputError` only for an unusable payload."""
        payload = coerce_payload(request.kind, request.payload)
        cwd = request.cwd or None
        actions = classify(request.kind, payload, cwd=cwd)
        actions += tuple(
            tampering_actions(request.kind, payload, self.places, cwd=cwd, actions=actions)
        )
        principal = self.principal(request)
        resource = self.resource(request)
        actions = self.place(request, actions, resource)
        credential = not isinstance(self.gate.baseline, NoBaseline) and holds_credential(payload)
        decision = self.gate.decide(
            principal, resource, actions, stated_reason=request.reason, credential=credential
        )
        if self.audit is not None:
            self.audit.record_decision(
                principal=principal,
                resource=resource,
                kind=request.kind,
                payload=request.payload,
                decision=decision,
                source="check",
            )
        return decision

    def place(
        self, request: CheckRequest, actions: Sequence[Action], resource: Resource
    ) -> tuple[Action, ...]:
        """Each action on the resource it acts on (see `interlock.targets`); a request that
        names its resource keeps every action there."""
        if request.resource is not None or not any(a.scope for a in actions):
            return tuple(actions)
        facts = self.facts(request.cwd)
        return resolve(actions, resource, self.targets, facts, self.workspace_environment)

    @staticmethod
    def facts(cwd: str | None) -> Facts:
        """The working directory's facts for the resolver (none without a cwd)."""
        if not cwd or not cwd.startswith("/"):
            return NO_FACTS
        from interlock.classify.code import target_facts

        return target_facts(cwd)

    def check_line(self, line: str) -> dict[str, object]:
        """One batch line in, one JSON-able answer out; never raises on bad input."""
        try:
            return self.check(parse_batch_line(line)).to_json()
        except InterlockError as exc:
            return error_result(str(exc))
