"""The gate: the pure decision core every enforcement point calls.

    self-protection → rules (a human's verb class) → identity (the agent's grant)
        → baseline (behavioural risk) → policy (Cedar) → decision

No network or disk I/O happens here, so a decision costs microseconds and can run in-process
in every proxy and hook. One input may carry several actions; its decision is the most
restrictive of theirs (deny > hold > allow).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from interlock.model import (
    FOREIGN_CREDENTIAL_PROTOCOL,
    FOREIGN_CREDENTIAL_RULE,
    LOCAL_KIND,
    NO_RISK,
    SELF_PROTECTION_RULE,
    SELF_PROTOCOL,
    Action,
    ActionDecision,
    Agent,
    Decision,
    Human,
    Outcome,
    Principal,
    Resource,
    Risk,
    Verb,
    most_severe,
)
from interlock.policy import PolicyBundle, PolicyEvaluator, load_policies

GRANT_POLICY = "grant"
SELF_REFUSAL = (
    f"{SELF_PROTECTION_RULE}: agents may not change, read the secrets of, switch off or "
    "administer Interlock; only a human does that, outside the agent's session"
)
FOREIGN_CREDENTIAL_REFUSAL = (
    f"{FOREIGN_CREDENTIAL_RULE}: agents use only credentials Interlock issued to them; do not "
    "use a credential found in a file, a command or the environment. Ask the user for a scoped "
    "Interlock token for this task (`interlock agent create NAME --env ENVIRONMENT --task "
    "'WHAT IT IS FOR'`) and send the request through Interlock, which adds the real credential"
)


class Baseline(Protocol):
    """How unusual an action is for the principal doing it (`interlock.baseline`).

    Pure from the gate's side: the baseline answers from the profile it holds in memory;
    learning from what was decided happens after the decision is recorded. `session` is the
    agent's session (hooks, the proxies) and `credential` says whether the input itself
    carries a credential (one Interlock did not issue).
    """

    def assess(
        self,
        principal: Principal,
        resource: Resource,
        action: Action,
        *,
        session: str = "",
        credential: bool = False,
    ) -> Risk: ...


class NoBaseline:
    """No behavioural history (`interlock check` without a home, tests): every risk is none."""

    def assess(
        self,
        principal: Principal,
        resource: Resource,
        action: Action,
        *,
        session: str = "",
        credential: bool = False,
    ) -> Risk:
        return NO_RISK


class Gate:
    """Decides what happens to an input's actions, from policies loaded once."""

    def __init__(self, bundle: PolicyBundle | None = None, baseline: Baseline | None = None):
        self.bundle = bundle if bundle is not None else load_policies()
        self.evaluator = PolicyEvaluator(self.bundle)
        self.baseline: Baseline = baseline if baseline is not None else NoBaseline()

    def decide(
        self,
        principal: Principal,
        resource: Resource,
        actions: Sequence[Action],
        *,
        stated_reason: str = "",
        session: str = "",
        credential: bool = False,
    ) -> Decision:
        """`session` and `credential` are facts of the whole input, for the baseline."""
        if not actions:
            # Nothing to vouch for is not the same as harmless: fail closed.
            actions = (Action("none", "none:empty", Verb.UNKNOWN, reason="no action was found"),)
        # An action the target resolver placed (`Action.target`) is decided on its own resource.
        decisions = tuple(
            self._decide_one(
                principal,
                a.target.resource if a.target else resource,
                a,
                stated_reason,
                session,
                credential,
            )
            for a in actions
        )
        return aggregate(decisions)

    def _decide_one(
        self,
        principal: Principal,
        resource: Resource,
        action: Action,
        stated_reason: str,
        session: str,
        credential: bool,
    ) -> ActionDecision:
        if action.protocol == SELF_PROTOCOL and not isinstance(principal, Human):
            # Built in, not a policy file: no edit of the policy directory removes it, no
            # grant or approval covers it, and it holds in every environment.
            return ActionDecision(
                action, Outcome.DENY, (_describe(action), SELF_REFUSAL), (SELF_PROTECTION_RULE,)
            )
        if action.protocol == FOREIGN_CREDENTIAL_PROTOCOL and not isinstance(principal, Human):
            # Built in for the same reason: the incident's own move (a found token sent with
            # curl) is refused whatever the environment and whatever the policy files say.
            return ActionDecision(
                action,
                Outcome.DENY,
                (_describe(action), FOREIGN_CREDENTIAL_REFUSAL),
                (FOREIGN_CREDENTIAL_RULE,),
            )
        # A human's rule re-classes the action (never one aimed at Interlock itself: that
        # was refused above); the grant and the policies then judge the new verb class.
        rule = self.bundle.rules.match(action) if self.bundle.rules else None
        classified = action.verb
        if rule is not None:
            action = rule.apply(action)
        rule_id = rule.id if rule is not None else ""
        was = classified if rule is not None else None
        refusal = grant_refusal(principal, resource, action)
        if refusal is not None:
            return ActionDecision(
                action,
                Outcome.DENY,
                (_describe(action), refusal),
                (GRANT_POLICY,),
                rule=rule_id,
                classified=was,
            )
        risk = self.baseline.assess(
            principal, resource, action, session=session, credential=credential
        )
        answer = self.evaluator.evaluate(
            principal, resource, action, stated_reason=stated_reason, risk=risk
        )
        unusual = (_unusual(risk),) if risk.reasons else ()
        return ActionDecision(
            action,
            answer.outcome,
            (_describe(action), *answer.reasons, *unusual),
            answer.policies,
            answer.safeguards,
            answer.approvers,
            risk=risk,
            rule=rule_id,
            classified=was,
        )


def grant_refusal(principal: Principal, resource: Resource, action: Action) -> str | None:
    """Why the agent's own grant rules the action out before any policy is asked, or None.

    The grant is the outer fence: an agent scoped to staging never reaches production,
    whatever the policies say. Verbs are compared on the grant's order (`Verb.grant_rank`):
    a `destructive` grant does not cover a privilege action, and unknown counts as
    destructive.
    """
    if not isinstance(principal, Agent):
        return None
    local = resource.kind == LOCAL_KIND
    # The machine the agent runs on (its workspace, home, system) is no environment of the
    # organisation's a grant names: the policies protect it (its environment is production).
    if not local and not principal.may_touch(resource.environment):
        granted = ", ".join(sorted(principal.environments or ())) or "none"
        return (
            f"agent {principal.name!r} is not granted the {resource.environment} environment "
            f"(granted: {granted})"
        )
    if not local and not principal.may_use(resource.name):
        granted = ", ".join(sorted(principal.resources or ())) or "none"
        return (
            f"agent {principal.name!r} is not granted the resource {resource.name!r} "
            f"(granted: {granted})"
        )
    if action.verb.grant_rank > principal.max_verb.grant_rank:
        if action.verb is Verb.PRIVILEGE:
            return (
                f"agent {principal.name!r} is not granted privilege actions (its grant goes up "
                f"to {principal.max_verb.value}); this one creates or widens credentials or "
                "privileges, which only a human's explicit grant of `privilege` allows"
            )
        return (
            f"agent {principal.name!r} may do at most {principal.max_verb.value} actions; "
            f"this one is {action.verb.value}"
        )
    return None


def _describe(action: Action) -> str:
    what = action.operation
    if action.targets:
        what += " on " + ", ".join(action.targets[:5])
    text = f"{what} is {action.verb.value}"
    return f"{text}: {action.reason}" if action.reason else text


def _unusual(risk: Risk) -> str:
    return f"unusual for this agent ({risk.level.value} risk): " + "; ".join(risk.reasons)


def aggregate(decisions: Iterable[ActionDecision]) -> Decision:
    """The most restrictive of per-action decisions, with the reasons that made it."""
    decisions = tuple(decisions)
    outcome = max((d.outcome for d in decisions), key=lambda o: o.severity)
    deciding = [d for d in decisions if d.outcome is outcome]
    return Decision(
        outcome=outcome,
        risk=most_severe(d.action.verb for d in decisions),
        actions=decisions,
        reasons=_unique(r for d in deciding for r in d.reasons),
        policies=_unique(p for d in deciding for p in d.policies),
        safeguards=_unique(s for d in decisions for s in d.safeguards),
        approvers=max((d.approvers for d in deciding), default=0),
        baseline=max((d.risk for d in decisions), key=lambda r: r.score, default=NO_RISK),
    )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
