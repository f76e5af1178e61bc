"""Interlock protects itself: attempts on its home, keys, state, settings, code, CLI,
settings variables and processes are refused, in every environment, whatever the policies
say (a built-in rule of the gate, not a policy file an agent could move).

    scan_shell(text, places, cwd=…, reads_only=…)  findings in a command line
    scan_paths(paths, places, cwd=…, change=…)     findings for file tools / MCP arguments
    tampering_actions(kind, payload, places, …)     the same, as actions the gate refuses

See docs/security-model.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from interlock.model import SELF_PROTECTION_RULE, SELF_PROTOCOL, Action, Verb
from interlock.protect._cli import cli_effect, is_interlock_program
from interlock.protect._places import Places, classify_path, installation_places
from interlock.protect._scan import Finding, scan_paths, scan_shell

PROTOCOL = SELF_PROTOCOL
RULE = SELF_PROTECTION_RULE

__all__ = [
    "PROTOCOL",
    "RULE",
    "Finding",
    "Places",
    "as_action",
    "classify_path",
    "cli_effect",
    "installation_places",
    "is_interlock_program",
    "scan_paths",
    "scan_shell",
    "tampering_actions",
]


def tampering_actions(
    kind: str,
    payload: object,
    places: Places,
    *,
    cwd: str | None = None,
    actions: Sequence[Action] = (),
) -> list[Action]:
    """Actions on Interlock itself found in `payload` (classified as `actions`)."""
    reads_only = bool(actions) and all(a.verb is Verb.READ for a in actions)
    if kind == "shell" and isinstance(payload, str):
        findings = scan_shell(payload, places, cwd=cwd, reads_only=reads_only)
    elif kind == "mcp":
        findings = _scan_mcp(payload, places, cwd, reads_only)
    else:
        findings = []
    return [as_action(f) for f in findings]


def as_action(finding: Finding) -> Action:
    return Action(
        PROTOCOL,
        f"{PROTOCOL}:{finding.kind}",
        Verb.DESTRUCTIVE,
        (finding.target,),
        reason=f"an attempt on Interlock itself: {finding.why}",
        detail=finding.target[:200],
    )


def _scan_mcp(payload: object, places: Places, cwd: str | None, reads_only: bool) -> list[Finding]:
    if not isinstance(payload, dict):
        return []
    found: list[Finding] = []
    for text in _strings(payload.get("arguments"), 0):
        if "\n" in text or " " in text:
            found += scan_shell(text, places, cwd=cwd, reads_only=reads_only)
        else:
            found += scan_paths([text], places, cwd=cwd, change=not reads_only)
    return list(dict.fromkeys(found))


def _strings(value: object, depth: int) -> Iterator[str]:
    if depth > 8:
        return
    if isinstance(value, str):
        if len(value) <= 65536:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value[:256]:
            yield from _strings(item, depth + 1)
