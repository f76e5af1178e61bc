"""Owner separation: when the human approving a hold must not be the agent's owner.

One rule for every approval path (console, API, CLI): a policy that held the action asks
for it with `@separation("owner")`, or the deployment asks for it everywhere with
`[server] owner_separation = true`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from interlock.approvals._request import ApprovalRequest
from interlock.model import Human
from interlock.policy import Policy

SEPARATION_ANNOTATION = "separation"


@dataclass(frozen=True, slots=True)
class Separation:
    """Whether an approver must not be the agent's owner, and what asks for it."""

    required: bool
    because: str = ""


def separation_for(
    request: ApprovalRequest, policies: Mapping[str, Policy], *, everywhere: bool
) -> Separation:
    """What the deployment (`everywhere`) or the policies that held `request` ask for."""
    if everywhere:
        return Separation(True, "[server] owner_separation = true")
    held_by = request.detail.get("policies", [])
    for policy_id in held_by if isinstance(held_by, list) else []:
        policy = policies.get(str(policy_id))
        if policy is not None and policy.annotations.get(SEPARATION_ANNOTATION) == "owner":
            return Separation(True, f'policy {policy.id} (@separation("owner"))')
    return Separation(False)


def is_owner(human: Human, owner: str) -> bool:
    """A user is the owner when the owner field names them, alone or as an address's local
    part (`alice` owns an agent whose owner is `alice` or `alice@example.com`)."""
    owner = owner.strip().lower()
    if not owner:
        return False
    name = human.name.strip().lower()
    return owner == name or owner.partition("@")[0] == name


def owner_refusal(
    request: ApprovalRequest, human: Human, owner: str, separation: Separation
) -> str | None:
    """Why `human` may not approve `request` (they own its agent and separation is
    required), or None when they may."""
    if separation.required and is_owner(human, owner):
        return (
            f"{human.name} owns agent {request.agent!r}: another human must approve "
            f"({separation.because})"
        )
    return None
