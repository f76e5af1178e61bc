"""Prometheus metrics, kept by hand in the text exposition format (version 0.0.4).

Counters and one latency histogram behind a lock; the "holds waiting" gauge is read from
the approval store when scraped. Decisions and approvals are counted from the audit log as
the server follows it, so the counts include every enforcement point (proxies, hooks,
`/v1/decide`), not only this process's requests.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterable

# Seconds; POST /v1/decide is expected to sit in the first few buckets.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

Labels = tuple[tuple[str, str], ...]


class Metrics:
    """The control plane's counters, histogram and gauges."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = {}
        self._help: dict[str, tuple[str, str]] = {}
        self._buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self._latency_sum = 0.0
        self._latency_count = 0
        self._gauges: dict[str, tuple[str, Callable[[], float]]] = {}
        self.describe("interlock_decisions_total", "counter", "Decisions recorded, by outcome.")
        self.describe(
            "interlock_approvals_total", "counter", "Approval requests closed, by outcome."
        )
        self.describe(
            "interlock_webhook_deliveries_total", "counter", "Webhook deliveries, by result."
        )
        self.describe("interlock_logins_total", "counter", "Console logins, by result.")

    def describe(self, name: str, kind: str, text: str) -> None:
        self._help[name] = (kind, text)
        self._counters.setdefault(name, {})

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._counters.setdefault(name, {})
            series[key] = series.get(key, 0.0) + amount

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._counters.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def observe_decide(self, seconds: float) -> None:
        with self._lock:
            self._buckets[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
            self._latency_sum += seconds
            self._latency_count += 1

    def gauge(self, name: str, text: str, read: Callable[[], float]) -> None:
        self._gauges[name] = (text, read)

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            for name, series in sorted(self._counters.items()):
                kind, text = self._help.get(name, ("counter", name))
                lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
                for labels, value in sorted(series.items()):
                    lines.append(f"{name}{_labels(labels)} {_number(value)}")
            name = "interlock_decide_seconds"
            lines += [
                f"# HELP {name} Time to answer POST /v1/decide (classify, decide, record).",
                f"# TYPE {name} histogram",
            ]
            cumulative = 0
            for bound, count in zip((*LATENCY_BUCKETS, None), self._buckets, strict=True):
                cumulative += count
                le = "+Inf" if bound is None else repr(bound)
                lines.append(f'{name}_bucket{{le="{le}"}} {cumulative}')
            lines.append(f"{name}_sum {_number(self._latency_sum)}")
            lines.append(f"{name}_count {self._latency_count}")
        for name, (text, read) in sorted(self._gauges.items()):
            try:
                value = read()
            except Exception as exc:  # a gauge that cannot be read is left out, never a 500
                lines.append(f"# {name} unavailable: {type(exc).__name__}")
                continue
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", f"{name} {_number(value)}"]
        return "\n".join(lines) + "\n"


def _labels(labels: Iterable[tuple[str, str]]) -> str:
    parts = [f'{k}="{_escape(v)}"' for k, v in labels]
    return "{" + ",".join(parts) + "}" if parts else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
