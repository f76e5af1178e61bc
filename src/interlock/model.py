"""The vocabulary every part of Interlock speaks: principals, resources, actions, decisions.

Classifiers produce `Action`s; the gate turns (principal, resource, actions) into a
`Decision`. Everything here is immutable and free of I/O so it can be cached, hashed and
passed between threads without care.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class Verb(enum.StrEnum):
    """What an action does to the world, from harmless to irreversible.

    `UNKNOWN` means the classifier could not tell; the gate treats it like `DESTRUCTIVE`.
    `PRIVILEGE` is an action that creates, changes or widens credentials or privileges (a
    database role or password, a GRANT, an API token, a deploy key, an IAM binding): never
    an ordinary write, because what it makes outlives the action and reaches around every
    enforcement point. It is a class of its own rather than a degree of damage, so it has
    two orders (see `severity` and `grant_rank`).
    """

    READ = "read"
    WRITE = "write"
    PRIVILEGE = "privilege"
    UNKNOWN = "unknown"
    DESTRUCTIVE = "destructive"

    @property
    def severity(self) -> int:
        """Order for "most severe": read < write < privilege < unknown < destructive.

        Unknown ranks with destructive for decisions; it sits just below it so that an input
        with a recognised destructive action reports `destructive` rather than `unknown`.
        """
        return _SEVERITY[self]

    @property
    def grant_rank(self) -> int:
        """Order of an agent's grant (`Agent.max_verb`): read < write < destructive <
        privilege, with unknown counted as destructive.

        A grant covers every verb of lower or equal rank, so `destructive` does not include
        `privilege`: an agent may create or widen credentials only when a human granted
        `privilege` explicitly, and that grant includes everything else.
        """
        return _GRANT_RANK[self]

    @property
    def is_dangerous(self) -> bool:
        """True for verbs the gate must treat as destructive (fail closed)."""
        return self in (Verb.DESTRUCTIVE, Verb.UNKNOWN)


_SEVERITY = {Verb.READ: 0, Verb.WRITE: 1, Verb.PRIVILEGE: 2, Verb.UNKNOWN: 3, Verb.DESTRUCTIVE: 4}
_GRANT_RANK = {Verb.READ: 0, Verb.WRITE: 1, Verb.UNKNOWN: 2, Verb.DESTRUCTIVE: 2, Verb.PRIVILEGE: 3}


def most_severe(verbs: Iterable[Verb]) -> Verb:
    """The most severe verb of `verbs`; an empty input is `UNKNOWN` (nothing to vouch for)."""
    return max(verbs, key=lambda v: v.severity, default=Verb.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Action:
    """One normalised operation, whatever protocol carried it.

    `operation` is `protocol:NAME` (`sql:DROP TABLE`, `shell:rm`, `graphql:volumeDelete`,
    `http:DELETE`, `mcp:delete_database`). `reason` says in a sentence why the classifier
    chose `verb`; `detail` is a short excerpt of the input that produced the action (never a
    credential: classifiers redact what they recognise as one).
    """

    protocol: str
    operation: str
    verb: Verb
    targets: tuple[str, ...] = ()
    reversible: bool = False
    blast_radius: int | None = None
    reason: str = ""
    detail: str = ""
    scope: tuple[str, ...] = ()
    target: Target | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "protocol": self.protocol,
            "operation": self.operation,
            "risk": self.verb.value,
            "targets": list(self.targets),
            "reversible": self.reversible,
        }
        if self.blast_radius is not None:
            out["blast_radius"] = self.blast_radius
        if self.reason:
            out["reason"] = self.reason
        if self.detail:
            out["detail"] = self.detail
        if self.target is not None:
            out["resource"] = self.target.resource.name
            out["environment"] = self.target.resource.environment
            out["target"] = self.target.why
        return out


SELF_PROTOCOL = "interlock"
"""The protocol of actions aimed at Interlock itself (see `interlock.protect`): the gate
refuses them before any grant or policy is consulted."""
SELF_PROTECTION_RULE = "interlock-self-protection"


def unknown_action(protocol: str, reason: str, detail: str = "") -> Action:
    """The action a classifier returns when it cannot tell what the input does."""
    return Action(
        protocol=protocol,
        operation=f"{protocol}:unknown",
        verb=Verb.UNKNOWN,
        reason=reason,
        detail=detail[:200],
    )


@dataclass(frozen=True, slots=True)
class Agent:
    """An autonomous program acting under its own, scoped identity.

    `environments` is the grant: the environments the agent may touch at all (None means
    every environment, used for the unnamed agent of `interlock check`). `resources`, when
    set, narrows it to those resources by name. `max_verb` is the highest verb class its
    grant ever allows, on the grant's order (`Verb.grant_rank`). The default covers every
    class, privilege included, so that the unnamed agent of `interlock check` shows what the
    policy itself decides; registered agents always carry the grant a human gave them.
    """

    name: str
    id: str = ""
    environments: frozenset[str] | None = None
    max_verb: Verb = Verb.PRIVILEGE
    owner: str = ""
    task: str = ""
    resources: frozenset[str] | None = None

    def may_touch(self, environment: str) -> bool:
        return self.environments is None or environment in self.environments

    def may_use(self, resource_name: str) -> bool:
        return self.resources is None or resource_name in self.resources


@dataclass(frozen=True, slots=True)
class Human:
    """A person who can approve held actions or administer Interlock."""

    name: str
    role: str = "approver"


Principal = Agent | Human


@dataclass(frozen=True, slots=True)
class Resource:
    """Something an agent acts on, with the attributes policies look at."""

    name: str
    environment: str = "production"
    kind: str = "generic"
    tags: frozenset[str] = frozenset()
    owner: str = ""


class RiskLevel(enum.StrEnum):
    """How unusual an action is for the agent doing it, as its behavioural baseline sees it.

    Policies read it as `context.risk.level` (this string) and `context.risk.rank` (0-4, for
    comparisons: Cedar compares numbers, not words).
    """

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RISK_RANK[self]


_RISK_RANK = {
    RiskLevel.NONE: 0,
    RiskLevel.LOW: 1,
    RiskLevel.MEDIUM: 2,
    RiskLevel.HIGH: 3,
    RiskLevel.CRITICAL: 4,
}


@dataclass(frozen=True, slots=True)
class Risk:
    """The baseline's answer for one action: a level, a score (0-100), the reasons in words
    and the names of the features that fired (`first_seen_environment`, ...), so a human
    approving sees *why this is unusual*. `learning` is true while the agent's profile is
    too young for novelty to count."""

    level: RiskLevel = RiskLevel.NONE
    score: int = 0
    reasons: tuple[str, ...] = ()
    features: frozenset[str] = frozenset()
    learning: bool = False
    denial_streak: int = 0
    hold_streak: int = 0

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "level": self.level.value,
            "score": self.score,
            "reasons": list(self.reasons),
            "features": sorted(self.features),
        }
        if self.learning:
            out["learning"] = True
        return out


NO_RISK = Risk()


@dataclass(frozen=True, slots=True)
class Target:
    """The resource an action was found to act on, and why (which clue matched what)."""

    resource: Resource
    why: str


LOCAL_KIND = "local"
"""The kind of the local machine's own resources (`workspace`, `home`, `system`): what a
coding agent's file, git and process actions act on. See `interlock.targets`."""
FOREIGN_CREDENTIAL_PROTOCOL = "credential"
"""The protocol of a credential Interlock did not issue, carried by an input (a token in a
header, a URL or an environment variable): the gate refuses it in every environment."""
FOREIGN_CREDENTIAL_RULE = "interlock-foreign-credential"


class Outcome(enum.StrEnum):
    """What happens to an input: it runs, waits for a human, or is refused."""

    ALLOW = "allow"
    HOLD = "hold"
    DENY = "deny"

    @property
    def severity(self) -> int:
        return _OUTCOME_SEVERITY[self]


_OUTCOME_SEVERITY = {Outcome.ALLOW: 0, Outcome.HOLD: 1, Outcome.DENY: 2}


@dataclass(frozen=True, slots=True)
class ActionDecision:
    """The gate's answer for one action of an input.

    `reasons[0]` describes the action as classified; the rest say which policy (or the
    agent's grant) decided, in words.
    """

    action: Action
    outcome: Outcome
    reasons: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    safeguards: tuple[str, ...] = ()
    approvers: int = 0
    rule: str = ""  # the rule (policies/rules.toml) that set the action's verb class
    classified: Verb | None = None  # the classifier's verb class, when a rule changed it
    risk: Risk = NO_RISK  # how unusual the action is for its agent (the baseline)

    @property
    def policy_reasons(self) -> tuple[str, ...]:
        return self.reasons[1:]

    def to_json(self) -> dict[str, object]:
        out = {**self.action.to_json(), "decision": self.outcome.value}
        out["policies"] = list(self.policies)
        if self.rule:
            out["rule"] = self.rule
            if self.classified is not None:
                out["classified_risk"] = self.classified.value
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """The gate's answer for a whole input: the most restrictive of its actions' answers."""

    outcome: Outcome
    risk: Verb
    actions: tuple[ActionDecision, ...] = field(default_factory=tuple)
    reasons: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    safeguards: tuple[str, ...] = ()
    approvers: int = 0  # distinct humans a hold needs
    baseline: Risk = NO_RISK  # the most unusual of the actions, for the agent doing them

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW

    def to_json(self) -> dict[str, object]:
        return {
            "decision": self.outcome.value,
            "risk": self.risk.value,
            "actions": [d.to_json() for d in self.actions],
            "reasons": list(self.reasons),
            "policies": list(self.policies),
            "safeguards": list(self.safeguards),
            **({"approvers": self.approvers} if self.outcome is Outcome.HOLD else {}),
            **({"baseline": self.baseline.to_json()} if self.baseline.reasons else {}),
        }
