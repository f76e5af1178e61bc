"""What the gate is asked about one HTTP request, sans-I/O.

- `classify_payload`: what the HTTP classifier reads (method, the provider's URL, the
  headers that change meaning, the body as text; never a credential).
- `describe_request`: the one line a human reads in the approval queue.
- `oversized_decision`: a body too large to read cannot be classified: an unknown action,
  refused by the `proxy-max-body` rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from interlock.model import Action, ActionDecision, Decision, Outcome, Verb
from interlock.proxy.http._routes import Route

MAX_BODY_POLICY = "proxy-max-body"

# Headers that change what a request does, so the classifier sees them.
CLASSIFIED_HEADERS = (
    "content-type",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-amz-target",
    "soapaction",
)


def classify_payload(
    method: str, route: Route, rest: str, headers: Mapping[str, str], body: bytes
) -> dict[str, object]:
    """What the HTTP classifier is given: no credential headers, the body as text."""
    return {
        "method": method,
        "url": route.classify_url(rest),
        "headers": {k: v for k, v in headers.items() if k in CLASSIFIED_HEADERS},
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


def oversized_decision(
    method: str, route: Route, rest: str, size: int | None, limit: int
) -> Decision:
    """The refusal of a request whose body is over `limit` bytes (`size` when announced)."""
    action = Action(
        "http",
        f"http:{method}",
        Verb.UNKNOWN,
        (route.prefix + rest.split("?", 1)[0],),
        reason=f"body of {size if size is not None else 'more than ' + str(limit)} bytes "
        f"is over the {limit}-byte limit: it cannot be classified",
    )
    why = f"{MAX_BODY_POLICY}: requests larger than {limit} bytes are not forwarded"
    return Decision(
        Outcome.DENY,
        Verb.UNKNOWN,
        (ActionDecision(action, Outcome.DENY, (action.reason, why), (MAX_BODY_POLICY,)),),
        (action.reason, why),
        (MAX_BODY_POLICY,),
    )
