"""The HTTP exchange, sans-I/O: what comes in, what goes upstream, what the agent is told.

Nothing here touches a socket, the clock or the disk. The server shell (`_server`) feeds a
parsed request head and body in and carries out the answer; tests call these functions
directly.

- `Route` / `match_route`: which registered resource a request path addresses.
- `agent_token`: the Interlock token the agent presents (`Authorization: Bearer ilk_…`).
- `upstream_headers` / `downstream_headers`: hop-by-hop headers and the agent's token out,
  the resource's real credential in; the credential scrubbed from anything coming back.
- `CredentialScrubber`: masks the real credential in a streamed body, across chunk edges,
  keeping its length (so `Content-Length` stays true).
- `Reply` and the `*_reply` builders: the JSON bodies and sentences an agent is given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from interlock.model import Decision, Outcome

Headers = Sequence[tuple[str, str]]

# RFC 9110 §7.6.1 connection-specific headers, plus what a reverse proxy sets itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
INTERLOCK_HEADER_PREFIX = "interlock-"


@dataclass(frozen=True, slots=True)
class Route:
    """A path prefix fronting one resource's upstream."""

    name: str
    prefix: str
    upstream: str  # scheme://host[:port][/base], no trailing slash
    resource: str
    credential: str | None = field(default=None, repr=False)
    credential_header: str = "Authorization"
    credential_format: str = "Bearer {credential}"
    classify_host: str = ""
    wait: float = 0.0
    delay: float = 0.0

    def upstream_url(self, rest: str) -> str:
        return self.upstream + rest

    def classify_url(self, rest: str) -> str:
        """The URL the classifier sees: the provider's own host when configured, so its
        route pack applies even when the upstream is a local stand-in or a private mirror."""
        if not self.classify_host:
            return self.upstream_url(rest)
        parts = urlsplit(self.upstream)
        return f"{parts.scheme or 'https'}://{self.classify_host}{parts.path}{rest}"

    def credential_value(self) -> str | None:
        if self.credential is None:
            return None
        return self.credential_format.replace("{credential}", self.credential)


def match_route(routes: Iterable[Route], target: str) -> tuple[Route, str] | None:
    """The longest-prefix route for a request target and the rest of it (path and query)."""
    path = target.split("?", 1)[0]
    best: Route | None = None
    for route in routes:
        matches = path == route.prefix or path.startswith(route.prefix + "/")
        if matches and (best is None or len(route.prefix) > len(best.prefix)):
            best = route
    if best is None:
        return None
    rest = target[len(best.prefix) :]
    if not rest.startswith("/"):
        rest = "/" + rest
    return best, rest


def agent_token(headers: Mapping[str, str]) -> str:
    """The token from `Authorization: Bearer …` (empty when absent: refused as malformed)."""
    value = headers.get("authorization", "")
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def prefer_wait(headers: Mapping[str, str]) -> float | None:
    """`Prefer: wait=N` (RFC 7240) in seconds, or None."""
    for part in headers.get("prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "wait":
            try:
                seconds = float(value.strip().strip('"'))
            except ValueError:
                return None
            return seconds if seconds >= 0 else None
    return None


def upstream_headers(headers: Headers, route: Route) -> list[tuple[str, str]]:
    """The agent's headers minus hop-by-hop ones, its token, `Prefer: wait` and Interlock's
    own; plus the resource's real credential."""
    inject = route.credential_value()
    injected_name = route.credential_header.lower()
    out = []
    for name, value in headers:
        lower = name.lower()
        if (
            lower in HOP_BY_HOP
            or lower == "authorization"
            or lower == injected_name
            or lower.startswith(INTERLOCK_HEADER_PREFIX)
            or (lower == "prefer" and value.strip().lower().startswith("wait"))
        ):
            continue
        out.append((name, value))
    if inject is not None:
        out.append((route.credential_header, inject))
    return out


def downstream_headers(
    headers: Iterable[tuple[str, str]], credential: str | None
) -> list[tuple[str, str]]:
    """The upstream's response headers for the agent: hop-by-hop out, the credential masked."""
    out = []
    for name, value in headers:
        if name.lower() in HOP_BY_HOP:
            continue
        if credential and credential in value:
            value = value.replace(credential, "*" * len(credential))
        out.append((name, value))
    return out


class CredentialScrubber:
    """Masks every occurrence of a secret in a byte stream fed chunk by chunk.

    It holds back the last `len(secret) - 1` bytes of each chunk (a secret may straddle two
    chunks) and replaces the secret with as many `*`, so the body's length is unchanged.
    """

    def __init__(self, secret: str | None) -> None:
        self._secret = secret.encode() if secret and len(secret) >= 4 else b""
        self._mask = b"*" * len(self._secret)
        self._tail = b""

    def feed(self, chunk: bytes) -> bytes:
        if not self._secret:
            return chunk
        data = (self._tail + chunk).replace(self._secret, self._mask)
        keep = len(self._secret) - 1
        self._tail = data[-keep:] if keep else b""
        return data[: len(data) - len(self._tail)]

    def flush(self) -> bytes:
        tail, self._tail = self._tail, b""
        return tail


def classify_payload(
    method: str, route: Route, rest: str, headers: Mapping[str, str], body: bytes
) -> dict[str, object]:
    """What the HTTP classifier is given: no credential headers, the body as text."""
    return {
        "method": method,
        "url": route.classify_url(rest),
        "headers": {
            k: v
            for k, v in headers.items()
            if k
            in (
                "content-type",
                "x-http-method-override",
                "x-http-method",
                "x-method-override",
                "x-amz-target",
                "soapaction",
            )
        },
        "body": body.decode("utf-8", "replace"),
    }


def describe_request(method: str, route: Route, rest: str, decision: Decision) -> str:
    """One line a human reads in `interlock approvals list`: method, route, operations."""
    ops = ", ".join(
        d.action.operation + (f"({', '.join(d.action.targets[:2])})" if d.action.targets else "")
        for d in decision.actions[:3]
    )
    path = rest.split("?", 1)[0]
    return f"{method} {route.prefix}{path}: {ops}"[:300]


# -- what the agent is told ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """A response Interlock writes itself (never the upstream's)."""

    status: int
    body: dict[str, object]
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode() + b"\n"


def _operations(decision: Decision) -> str:
    deciding = [d for d in decision.actions if d.outcome is decision.outcome] or list(
        decision.actions
    )
    parts = []
    for item in deciding[:3]:
        action = item.action
        on = f" on {', '.join(action.targets[:3])}" if action.targets else ""
        parts.append(f"{action.operation}{on} ({action.verb.value})")
    return "; ".join(parts) or "this request"


def _policy_words(decision: Decision) -> str:
    deciding = [d for d in decision.actions if d.outcome is decision.outcome]
    reasons = list(dict.fromkeys(r for d in deciding for r in d.policy_reasons))
    return "; ".join(reasons[:3]) or "; ".join(decision.reasons[:2])


def deny_reply(decision: Decision, audit_seq: int | None, *, human_note: str = "") -> Reply:
    what = _operations(decision)
    why = human_note or _policy_words(decision)
    message = (
        f"Interlock refused this request: {what}. Why: {why}. Do not retry it and do not look "
        "for another way to do it (other credentials, tokens found in files, other endpoints "
        "or tools): tell the user what you were trying to do and let a human do it or change "
        "your grant."
    )
    return Reply(
        403,
        {
            "error": "denied_by_interlock",
            "decision": "deny",
            "message": message,
            "policies": list(decision.policies),
            "reasons": list(decision.reasons),
            "risk": decision.risk.value,
            "audit_record": audit_seq,
        },
    )


def hold_reply(decision: Decision, request_id: str, audit_seq: int | None, waited: float) -> Reply:
    what = _operations(decision)
    waited_words = f" Waited {waited:.0f} s without a decision." if waited else ""
    message = (
        f"Interlock is holding this request for a human's approval: {what}. Why: "
        f"{_policy_words(decision)}. Approval request {request_id} was created.{waited_words} "
        f"Wait for a human to approve {request_id}; do not look for another way to do this "
        "(other credentials, tokens found in files, other endpoints or tools). Once it is "
        "approved, send exactly the same request again (or send it with `Prefer: wait=300` "
        "to wait for the decision); it will run once."
    )
    return Reply(
        403,
        {
            "error": "approval_required",
            "decision": "hold",
            "approval_request": request_id,
            "message": message,
            "policies": list(decision.policies),
            "reasons": list(decision.reasons),
            "risk": decision.risk.value,
            "approvers_needed": max(1, decision.approvers),
            "audit_record": audit_seq,
        },
        (("Interlock-Approval-Request", request_id),),
    )


def denied_by_human_reply(
    decision: Decision, request_id: str, human: str, comment: str, status: str
) -> Reply:
    said = f': "{comment}"' if comment else ""
    message = (
        f"A human ({human}) {status} approval request {request_id} for {_operations(decision)}"
        f"{said}. It will not run. Do not retry it or look for another way to do it; tell the "
        "user, and continue with other work."
    )
    return Reply(
        403,
        {
            "error": f"{status}_by_human",
            "decision": "deny",
            "approval_request": request_id,
            "message": message,
            "by": human,
            "comment": comment,
        },
        (("Interlock-Approval-Request", request_id),),
    )


def scheduled_reply(decision: Decision, request_id: str, runs_in: float) -> Reply:
    message = (
        f"Interlock scheduled this request: {_operations(decision)}. It runs in {runs_in:.0f} s "
        f"unless a human cancels it (`interlock approvals cancel {request_id}`); its outcome "
        "is recorded in the audit log. Do not send it again."
    )
    return Reply(
        202,
        {
            "status": "scheduled",
            "approval_request": request_id,
            "runs_in_seconds": round(runs_in, 1),
            "message": message,
        },
        (("Interlock-Approval-Request", request_id),),
    )


def unauthorized_reply(generic: str) -> Reply:
    return Reply(
        401,
        {
            "error": "unauthorized",
            "message": (
                f"{generic}. Send your own Interlock agent token as `Authorization: Bearer "
                "ilk_…` (ask the user for one: `interlock agent create`). Do not use other "
                "credentials."
            ),
        },
        (("WWW-Authenticate", 'Bearer realm="interlock"'),),
    )


def no_route_reply(target: str, prefixes: Iterable[str]) -> Reply:
    known = ", ".join(sorted(prefixes)) or "none configured"
    return Reply(
        404,
        {
            "error": "no_such_route",
            "message": f"Interlock fronts no resource at {target.split('?', 1)[0]!r} "
            f"(routes: {known}).",
        },
    )


def too_large_reply(limit: int) -> Reply:
    return Reply(
        413,
        {
            "error": "body_too_large",
            "message": f"The request body is larger than Interlock's {limit}-byte limit, so it "
            "cannot be checked and was not forwarded. Send smaller requests.",
        },
    )


def upstream_failed_reply(status: int, resource: str, why: str, audit_seq: int | None) -> Reply:
    return Reply(
        status,
        {
            "error": "upstream_unavailable" if status == 502 else "upstream_timeout",
            "message": f"Interlock allowed this request but could not complete it: the upstream "
            f"of {resource} {why}. Nothing was changed by Interlock; retry later.",
            "audit_record": audit_seq,
        },
    )


def safeguard_failed_reply(what: str, audit_seq: int | None) -> Reply:
    return Reply(
        409,
        {
            "error": "safeguard_failed",
            "decision": "deny",
            "message": f"Interlock did not forward this request: the safeguard that must run "
            f"first failed ({what}). Do not retry it or look for another way; tell the user.",
            "audit_record": audit_seq,
        },
    )


def outcome_word(decision: Decision) -> str:
    return {Outcome.ALLOW: "allow", Outcome.HOLD: "hold", Outcome.DENY: "deny"}[decision.outcome]
