"""`interlock report`: what a period of decisions looked like, from the audit log.

What was held or refused (or would have been, in shadow mode), why, by whom and what, and
the false-alarm candidates: families of holds that humans approved again and again and never
refused, each with the rule that would stop asking (for a human to consider, never applied).
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from interlock.tuning._recorded import RecordedDecision

TOP = 10
MIN_APPROVALS = 2


@dataclass(frozen=True, slots=True)
class Report:
    since: datetime
    until: datetime
    decisions: tuple[RecordedDecision, ...]
    top: int = TOP
    min_approvals: int = MIN_APPROVALS

    def to_json(self) -> dict[str, Any]:
        stopped = [d for d in self.decisions if d.outcome != "allow"]
        shadowed = [d for d in self.decisions if d.shadow]
        return {
            "since": self.since.isoformat(timespec="seconds"),
            "until": self.until.isoformat(timespec="seconds"),
            "decisions": len(self.decisions),
            "decided": dict(Counter(d.outcome for d in self.decisions)),
            "enforced": dict(Counter(d.enforced for d in self.decisions)),
            "shadow": {
                "decisions": len(shadowed),
                "would_hold": sum(d.outcome == "hold" and d.enforced == "allow" for d in shadowed),
                "would_deny": sum(d.outcome == "deny" and d.enforced == "allow" for d in shadowed),
            },
            "approvals": {
                "approved": sum(d.approved for d in self.decisions),
                "refused": sum(d.refused_by_human for d in self.decisions),
            },
            "held_or_denied": [_line(d) for d in stopped[-self.top :]],
            "top_reasons": _top((r for d in stopped for r in _why(d)), self.top, "reason"),
            "top_policies": _top((p for d in stopped for p in d.policies), self.top, "policy"),
            "top_agents": self._agents(),
            "top_actions": self._actions(stopped),
            "false_alarm_candidates": self._false_alarms(stopped),
        }

    def _agents(self) -> list[dict[str, Any]]:
        counts: dict[str, Counter[str]] = {}
        for d in self.decisions:
            counts.setdefault(d.agent or "?", Counter())[d.outcome] += 1
        ranked = sorted(
            counts.items(), key=lambda kv: (-(kv[1]["hold"] + kv[1]["deny"]), -kv[1].total())
        )
        return [
            {
                "agent": name,
                "decisions": c.total(),
                "held": c["hold"],
                "denied": c["deny"],
            }
            for name, c in ranked[: self.top]
        ]

    def _actions(self, stopped: Sequence[RecordedDecision]) -> list[dict[str, Any]]:
        counts: Counter[tuple[str, str, str]] = Counter()
        for d in stopped:
            counts[(d.kind, d.what(), d.outcome)] += 1
        return [
            {"kind": kind, "what": what, "decision": outcome, "count": n}
            for (kind, what, outcome), n in counts.most_common(self.top)
        ]

    def _false_alarms(self, stopped: Sequence[RecordedDecision]) -> list[dict[str, Any]]:
        families: dict[tuple[str, ...], list[RecordedDecision]] = {}
        for d in stopped:
            if d.outcome == "hold":
                families.setdefault(d.family(), []).append(d)
        found: list[dict[str, Any]] = []
        for _family, members in families.items():
            approved = sum(m.approved for m in members)
            refused = sum(m.refused_by_human for m in members)
            if approved < self.min_approvals or refused:
                continue
            first = members[-1]
            found.append(
                {
                    "kind": first.kind,
                    "resource": first.resource,
                    "what": first.what(),
                    "holds": len(members),
                    "approved": approved,
                    "agents": sorted({m.agent for m in members}),
                    "suggestion": _suggestion(first),
                }
            )
        found.sort(key=lambda f: (-int(f["approved"]), -int(f["holds"])))
        return found[: self.top]


def _line(d: RecordedDecision) -> dict[str, Any]:
    return {
        "seq": d.seq,
        "ts": d.ts.isoformat(timespec="seconds"),
        "agent": d.agent,
        "resource": d.resource,
        "kind": d.kind,
        "what": d.what(),
        "decision": d.outcome,
        "enforced": d.enforced,
        "shadow": d.shadow,
        "policies": list(d.policies),
    }


def _why(d: RecordedDecision) -> list[str]:
    """The decision's reasons without the descriptions of its actions: why, not what."""
    operations = tuple(a.action.operation for a in d.actions)
    return [r for r in d.reasons if not r.startswith(operations)] or list(d.reasons[:1])


def _top(items: Any, limit: int, name: str) -> list[dict[str, Any]]:
    return [{name: item, "count": n} for item, n in Counter(items).most_common(limit)]


def _suggestion(d: RecordedDecision) -> str:
    """The rule a human might add for this family (shell and HTTP), or ""."""
    actions = [a for a in d.deciding if a.action.protocol in ("shell", "http", "mcp")]
    if len(actions) != 1:
        return ""
    action = actions[0].action
    if action.protocol == "shell" and action.detail and not action.detail.endswith("…"):
        return f"interlock rules add {shlex.quote(action.detail)} --risk write"
    if action.protocol == "http" and len(action.targets) == 1:
        path = "/" + action.targets[0].partition("/")[2]
        method = action.operation.partition(":")[2]
        return f"interlock rules add {shlex.quote(f'{method} {path}')} --risk write"
    if action.protocol == "mcp":
        tool = action.operation.partition(":")[2]
        return f"interlock rules add {shlex.quote(tool)} --kind mcp --risk write"
    return ""
