"""The one answer every enforcement point renders into its protocol."""

from __future__ import annotations

from dataclasses import dataclass, replace

from interlock.approvals import ApprovalRequest
from interlock.enforce._request import ActionRequest
from interlock.model import Decision, Outcome


@dataclass(frozen=True, slots=True)
class Verdict:
    """What happens to one request now, and what the agent is told.

    `outcome` is what the enforcement point does at this moment: ALLOW runs the action, HOLD
    keeps it waiting for a human, DENY refuses it. It starts as the gate's outcome and moves
    when an approval is claimed (HOLD → ALLOW) or a human refuses (HOLD → DENY); `decision`
    stays the gate's answer as recorded. `seq` is the decision's audit record (0 before it is
    written, or where no audit log is kept). `shadow` marks a verdict of a point in shadow
    mode that allows what the gate would have held or refused (nothing is enforced; the
    record keeps the decision that would have applied).
    """

    outcome: Outcome
    decision: Decision
    request: ActionRequest
    fingerprint: str  # `request_fingerprint`; "" for an allowed request until it is scheduled
    seq: int = 0
    approval: ApprovalRequest | None = None
    message: str = ""
    hint: str = ""
    waited: float = 0.0
    shadow: bool = False

    @property
    def approval_id(self) -> str:
        return self.approval.id if self.approval is not None else ""

    @property
    def approved(self) -> bool:
        """Allowed because a human approved exactly this action (the approval is spent)."""
        return self.outcome is Outcome.ALLOW and self.approval is not None

    @property
    def text(self) -> str:
        """Message and hint as one paragraph, for protocols with a single text field."""
        return f"{self.message} {self.hint}".strip()

    def but(self, **changes: object) -> Verdict:
        """A copy with `changes` (the pipeline moves a verdict along; it never mutates one)."""
        return replace(self, **changes)  # type: ignore[arg-type]
