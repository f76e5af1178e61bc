"""What an action is, for the baseline: a network call, a secret read, a credential search.

Recognised from data (`signals.toml`), never from examples: a program list, credential
words and credential file names.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from interlock.model import Action, ActionDecision


@dataclass(frozen=True, slots=True)
class Signals:
    search_programs: frozenset[str]
    credential_words: tuple[str, ...]
    credential_files: tuple[str, ...]
    templates: tuple[str, ...]
    secret_policies: frozenset[str]
    network_protocols: frozenset[str]
    network_programs: frozenset[str]
    failure_outcomes: frozenset[str]
    failure_statuses: frozenset[int]


@cache
def signals() -> Signals:
    data = tomllib.loads(resources.files(__package__).joinpath("signals.toml").read_text())
    return Signals(
        search_programs=frozenset(data["search"]["programs"]),
        credential_words=tuple(w.lower() for w in data["credential"]["words"]),
        credential_files=tuple(f.lower() for f in data["credential"]["files"]),
        templates=tuple(f.lower() for f in data["credential"]["templates"]),
        secret_policies=frozenset(data["credential"]["policies"]),
        network_protocols=frozenset(data["network"]["protocols"]),
        network_programs=frozenset(data["network"]["programs"]),
        failure_outcomes=frozenset(data["failure"]["outcomes"]),
        failure_statuses=frozenset(int(s) for s in data["failure"]["statuses"]),
    )


def program(action: Action) -> str:
    """The program of a shell action (`shell:grep` → grep); "" for other protocols."""
    if action.protocol != "shell":
        return ""
    name = action.operation.partition(":")[2]
    return name.split()[0].rsplit("/", 1)[-1] if name else ""


def is_network(action: Action) -> bool:
    known = signals()
    return action.protocol in known.network_protocols or program(action) in known.network_programs


def hosts(action: Action) -> tuple[str, ...]:
    """The network hosts an action reaches (HTTP and GraphQL targets are `host/path`)."""
    if action.protocol not in ("http", "graphql"):
        return ()
    found = []
    for target in action.targets[:4]:
        host = target.split("/", 1)[0].lower()
        if host and ("." in host or ":" in host or host == "localhost"):
            found.append(host)
    return tuple(dict.fromkeys(found))


def _has_word(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in signals().credential_words)


def _credential_file(target: str) -> bool:
    path = target.lower().rstrip("/")
    tail = path.rsplit("/", 2)
    last, two = tail[-1], "/".join(tail[-2:])
    if any(fnmatch.fnmatchcase(last, pattern) for pattern in signals().templates):
        return False
    return any(
        fnmatch.fnmatchcase(two if "/" in pattern else last, pattern)
        for pattern in signals().credential_files
    )


def secret_probe(decided: ActionDecision) -> str:
    """A short description when the action read a secret or searched for credentials, or ""."""
    action = decided.action
    known = signals()
    if any(p in known.secret_policies for p in decided.policies):
        return f"a secret read ({action.operation})"
    if action.verb.value != "read":
        return ""
    words = action.detail.split()[1:16]
    if program(action) in known.search_programs and (
        any(_has_word(t) for t in action.targets)
        or _has_word(action.detail)
        or any(_credential_file(w.strip("'\"")) for w in words)
    ):
        return f"a credential search ({_excerpt(action)})"
    if any(_credential_file(t) for t in action.targets[:8]):
        return f"a secret read ({_excerpt(action)})"
    return ""


def _excerpt(action: Action) -> str:
    text = action.detail or " ".join((action.operation, *action.targets[:3]))
    return text[:80]


def is_failure(outcome: str, status: object = None) -> bool:
    known = signals()
    if outcome in known.failure_outcomes:
        return True
    return isinstance(status, int) and status in known.failure_statuses
