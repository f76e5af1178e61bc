"""What an enforcement point counts and says: Prometheus counters and one log line per
decision.

Every point (the proxies, the hooks daemon, the control plane) records its decisions
through `EnforcementPoint`, so counting and logging them there covers all of them. The
counters are rendered in Prometheus' text format (0.0.4) by `/metrics` on the HTTP proxy
and on the PostgreSQL proxy's metrics listener. The log line (logger
`interlock.decisions`, level INFO) names the decision, the agent, the resource, the
operations and the approval request; never the payload, which may carry data or secrets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

DECISIONS_LOG = logging.getLogger("interlock.decisions")

Labels = tuple[tuple[str, str], ...]

_HELP = {
    "interlock_decisions_total": "Decisions recorded, by enforcement point and outcome.",
    "interlock_outcomes_total": "What happened after a decision, by enforcement point.",
}


class PointMetrics:
    """Counters behind a lock (a proxy's loop and its state thread both count)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[str, dict[Labels, float]] = {name: {} for name in _HELP}

    def inc(self, name: str, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._series.setdefault(name, {})
            series[key] = series.get(key, 0.0) + 1

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._series.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def render(self) -> str:
        """The Prometheus text exposition of every counter."""
        lines: list[str] = []
        with self._lock:
            for name, series in self._series.items():
                lines.append(f"# HELP {name} {_HELP.get(name, name)}")
                lines.append(f"# TYPE {name} counter")
                for labels, value in sorted(series.items()):
                    inner = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
                    lines.append(f"{name}{{{inner}}} {value:g}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def decision_line(body: Mapping[str, Any], outcome: str | None = None) -> str:
    """One line for a decision record's body: what a tail of the log should show. `outcome`
    replaces the gate's word when something else settled it (a human's approval)."""
    decision = body.get("decision")
    decided = decision if isinstance(decision, Mapping) else {}
    principal = body.get("principal")
    resource = body.get("resource")
    agent = principal.get("name", "") if isinstance(principal, Mapping) else ""
    where = ""
    if isinstance(resource, Mapping):
        where = f"{resource.get('name', '')} ({resource.get('environment', '')})"
    actions = decided.get("actions")
    operations = (
        ", ".join(str(a.get("operation", "")) for a in actions if isinstance(a, Mapping))
        if isinstance(actions, list)
        else ""
    )
    policies = decided.get("policies")
    line = (
        f"{outcome or str(decided.get('decision', '?')).upper()} {body.get('source', '')} "
        f"agent={agent} resource={where} op={operations or '-'}"
    )
    if isinstance(policies, list) and policies:
        line += f" policy={','.join(str(p) for p in policies[:3])}"
    return " ".join(line.split())
