"""Routes: which registered resource a request path addresses, and what runs before it.

A route is a path prefix on the proxy fronting one resource's upstream, with the real
credential to inject and the before hooks (snapshots) its policy may ask for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from interlock.model import Decision
from interlock.proxy.http._config import BeforeHook


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
    before: tuple[BeforeHook, ...] = ()  # run first when the policy asks for a snapshot

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


def before_hooks(route: Route, decision: Decision) -> tuple[tuple[BeforeHook, str], ...]:
    """The route's before hooks for the decision's actions, each with the target it is
    run for (the action's first target, `{target}` in the hook's body)."""
    found = []
    for item in decision.actions:
        for hook in route.before:
            if hook.operation == item.action.operation:
                found.append((hook, item.action.targets[0] if item.action.targets else ""))
    return tuple(found)
