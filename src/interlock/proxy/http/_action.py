"""What the gate is asked about one HTTP request, sans-I/O: its `ActionRequest`.

- `classify_payload`: what the HTTP classifier reads (method, the provider's URL, the
  headers that change meaning, the body as text; never a credential).
- `binding`: what else an approval is bound to (see below).
- `request_line` / `with_operations`: the one line a human reads in the approval queue.
- `oversized_decision`: a body too large to read cannot be classified: an unknown action,
  refused by the `proxy-max-body` rule.

The fingerprint an approval is bound to (`interlock.enforce.request_fingerprint`) covers the
agent, the resource, the classifier payload and this binding: the route, the method, the
path and query exactly as sent, the body's bytes (the payload holds it as text, where two
binary bodies could read alike), and every forwarded header that changes what the request
means or where it lands: `bound_header`. An approval for one tenant, method or API version
does not cover another; headers that only vary between retries (tracing ids, user agents,
`Accept`) are left out so an approved request sent again still matches.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from interlock.audit import canonical_json
from interlock.classify.http import CLASSIFIED_HEADERS
from interlock.enforce import ActionRequest
from interlock.model import Action, ActionDecision, Agent, Decision, Outcome, Resource, Verb
from interlock.proxy.http._routes import Route

SOURCE = "proxy:http"
MAX_BODY_POLICY = "proxy-max-body"


# Headers bound by name: how the body is read, and which operation a generic endpoint runs.
BOUND_HEADERS = frozenset(
    {
        *CLASSIFIED_HEADERS,
        "content-encoding",
        "content-language",
        "forwarded",
        "depth",  # WebDAV: how much of a tree a DELETE / COPY / MOVE covers
        "overwrite",
        "if-match",
        "if-none-match",
        "if-unmodified-since",
    }
)
# Headers bound by a word in their name (split on `-` and `_`): the tenant, account or
# project a request acts in, who it acts as, where it goes, which API version reads it.
BOUND_NAME_WORDS = frozenset(
    {
        # tenant and account selectors
        "tenant",
        "account",
        "org",
        "organization",
        "organisation",
        "project",
        "workspace",
        "team",
        "namespace",
        "subscription",
        "customer",
        "company",
        "site",
        "space",
        "realm",
        "domain",
        "instance",
        "cluster",
        "database",
        "db",
        "shard",
        "partition",
        "region",
        "zone",
        "env",
        "environment",
        "stage",
        # who the request acts as
        "impersonate",
        "sudo",
        "behalf",
        "user",
        "as",
        "role",
        "group",
        "principal",
        "scope",
        # what runs, where, and how it is read
        "method",
        "override",
        "target",
        "destination",
        "action",
        "operation",
        "url",
        "uri",
        "path",
        "host",
        "range",
        "version",
    }
)
# Never bound although a word matches: they describe the client, not the request.
UNBOUND_HEADERS = frozenset(
    {
        "user-agent",
        "sec-fetch-site",
        "sec-fetch-mode",
        "sec-fetch-user",
        "sec-fetch-dest",
    }
)
_NAME_WORDS = re.compile(r"[-_.]+")


@functools.lru_cache(maxsize=4096)
def bound_header(name: str) -> bool:
    """True when a header (lower-case name) changes what a request means or where it lands."""
    if name in BOUND_HEADERS:
        return True
    if name in UNBOUND_HEADERS:
        return False
    return not BOUND_NAME_WORDS.isdisjoint(_NAME_WORDS.split(name))


def binding(
    route: Route, method: str, rest: str, headers: Iterable[tuple[str, str]], body: bytes
) -> tuple[str | bytes, ...]:
    """The parts an approval is bound to besides the payload (see the module docstring).
    `headers` are the agent's headers that go upstream (`forwarded_headers`: without the
    injected credential); their order does not matter."""
    bound = [(lower, v) for n, v in headers if bound_header(lower := n.lower())]
    if not bound:
        return (route.name, method, rest, body)
    bound.sort()
    return (route.name, method, rest, body, *(part for pair in bound for part in pair))


def action_request(
    agent: Agent,
    resource: Resource,
    route: Route,
    method: str,
    rest: str,
    classified: Mapping[str, object],
    forwarded: Iterable[tuple[str, str]],
    body: bytes,
    *,
    reason: str = "",
    waits: float = 0.0,
) -> ActionRequest:
    """The request as the pipeline sees it. `classified` is what the classifier reads
    (`classify_payload`); the payload is its canonical JSON, serialised once here for the
    fingerprint and the record. `forwarded`: the agent's headers that go upstream. `reason`
    is the agent's stated reason; `waits`, how long a hold keeps it waiting (the approval
    page shows both, with the upstream's host)."""
    context: dict[str, object] = {"upstream": {"host": urlsplit(route.upstream).netloc}}
    if waits > 0:
        context["agent_waits"] = waits
    return ActionRequest(
        source=SOURCE,
        agent=agent,
        resource=resource,
        kind="http",
        payload=canonical_json(classified),
        binding=binding(route, method, rest, forwarded, body),
        summary=request_line(method, route, rest),
        stated_reason=reason,
        context=context,
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


def request_line(method: str, route: Route, rest: str) -> str:
    """`METHOD /prefix/path` (no query: it may carry secrets) for the approval queue."""
    return f"{method} {route.prefix}{rest.split('?', 1)[0]}"


def with_operations(line: str, decision: Decision) -> str:
    """The one line a human reads in `interlock approvals list`: the request line and the
    operations the gate found in it."""
    ops = ", ".join(
        d.action.operation + (f"({', '.join(d.action.targets[:2])})" if d.action.targets else "")
        for d in decision.actions[:3]
    )
    return f"{line}: {ops}"[:300]


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
