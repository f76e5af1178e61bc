"""Routes: which registered resource a request path addresses, and what runs before it.

A route is a path prefix on the proxy fronting one resource's upstream, with the real
credential to inject and the before hooks (snapshots) its policy may ask for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from interlock.model import Decision
from interlock.proxy.http._config import BeforeHook

_SEPARATORS = re.compile(r"[/\\]")
# Without one of these a path has no dot segment, doubled slash, encoding or backslash.
_MAY_CHANGE = ("%", "//", "/.", "\\")


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


class PathRefused(ValueError):
    """A request path the proxy will not route: what is wrong with it, for the agent."""


def normalise_target(target: str) -> str:
    """The request target (path and query) with its path normalised the way servers read
    it, so a route is chosen on what the upstream will serve and the upstream receives
    exactly that: dot segments resolved, also when percent-encoded (`%2e%2e`) or carrying
    parameters (`..;x`); doubled slashes merged. Other segments keep their encoding, so an
    encoded slash inside a segment (`group%2Fproject`) still reaches the upstream as one
    segment. Raises `PathRefused` for a path that is not origin-form, that climbs above the
    root, or whose segments hide a dot segment behind an encoded slash or backslash
    (`..%2f`, `%5c..`): servers disagree on those, so none is guessed."""
    path, mark, query = target.partition("?")
    if not path.startswith("/"):
        raise PathRefused("the request target is not a path starting with '/'")
    if not any(sign in path for sign in _MAY_CHANGE):
        return target  # nothing a server would resolve: the common case, kept cheap
    if "\\" in path:
        raise PathRefused("the path contains a backslash, which servers read differently")
    out: list[str] = []
    raw_segments = path.split("/")[1:]
    for index, raw in enumerate(raw_segments):
        last = index == len(raw_segments) - 1
        decoded = _decoded(raw)
        head = decoded.split(";", 1)[0]
        if head in (".", ".."):
            if head == "..":
                if not out:
                    raise PathRefused("the path climbs above the root with '..'")
                out.pop()
            if last:
                out.append("")  # `/a/b/..` is `/a/`: a trailing slash, as RFC 3986 says
            continue
        if any(part in (".", "..") for part in _SEPARATORS.split(decoded)):
            raise PathRefused(
                f"the path segment {raw[:60]!r} hides a dot segment behind an encoded "
                "slash or backslash"
            )
        if raw == "" and not last:
            continue  # `//`: servers merge doubled slashes
        out.append(raw)
    return "/" + "/".join(out) + mark + query


def _decoded(raw: str) -> str:
    """A segment percent-decoded until it stops changing (double encoding: `%252e`)."""
    for _ in range(3):
        if "%" not in raw:
            break
        decoded = unquote(raw)
        if decoded == raw:
            break
        raw = decoded
    return raw


def route_request(routes: Iterable[Route], target: str) -> tuple[Route, str] | None:
    """The route for a request target and the rest of it, on the normalised path.

    Raises `PathRefused` when the path cannot be normalised, or when its normalised form
    leaves the route its literal prefix names (`/staging/../prod/…`): the agent addressed
    one resource and would reach another."""
    routes = tuple(routes)
    normalised = normalise_target(target)
    found = match_route(routes, normalised)
    if normalised != target:
        literal = match_route(routes, target)
        if literal is not None and (found is None or found[0] is not literal[0]):
            raise PathRefused(
                f"the path leaves the route {literal[0].prefix!r} once its dot segments "
                "are resolved"
            )
    return found


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
