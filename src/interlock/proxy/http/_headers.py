"""Headers and bodies between the agent, the proxy and the upstream, sans-I/O.

- `agent_token`: the Interlock token the agent presents (`Authorization: Bearer ilk_…`).
- `prefer_wait`: how long the agent is willing to wait for a human (`Prefer: wait=N`).
- `upstream_headers` / `downstream_headers`: hop-by-hop headers and the agent's token out,
  the resource's real credential in; the credential masked in anything coming back.
- `CredentialScrubber`: masks the real credential in a streamed body, across chunk edges,
  keeping its length (so `Content-Length` stays true).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from interlock.proxy.http._routes import Route

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
# The agent's token, and the codings it accepts: the proxy asks every upstream for an
# identity body, which the credential scrubber can read (`_encodings`).
_NEVER_FORWARDED = HOP_BY_HOP | {"authorization", "accept-encoding"}
ASK_IDENTITY = ("Accept-Encoding", "identity")


def agent_token(headers: Mapping[str, str]) -> str:
    """The token from `Authorization: Bearer …` (empty when absent: refused as malformed)."""
    value = headers.get("authorization", "")
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


REASON_HEADER = "interlock-reason"
MAX_REASON = 500


def stated_reason(headers: Mapping[str, str]) -> str:
    """Why the agent says it sends this request (`Interlock-Reason: …`), shown to the human
    who decides; control characters dropped, bounded. It never goes upstream (every
    `Interlock-*` header stays here) and never changes what an approval covers."""
    raw = headers.get(REASON_HEADER, "")
    text = "".join(c if c.isprintable() else " " for c in raw)
    return " ".join(text.split())[:MAX_REASON]


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


def forwarded_headers(headers: Headers, route: Route) -> list[tuple[str, str]]:
    """The agent's headers that go upstream: not hop-by-hop ones, its token, `Prefer: wait`
    or Interlock's own, nor any header the route's credential goes in."""
    injected_name = route.credential_header.lower()
    out = []
    for name, value in headers:
        lower = name.lower()
        if (
            lower in _NEVER_FORWARDED
            or lower == injected_name
            or lower.startswith(INTERLOCK_HEADER_PREFIX)
            or (lower == "prefer" and value.strip().lower().startswith("wait"))
        ):
            continue
        out.append((name, value))
    return out


def upstream_headers(headers: Headers, route: Route) -> list[tuple[str, str]]:
    """The forwarded headers plus the resource's real credential."""
    return list(with_credential(forwarded_headers(headers, route), route))


def with_credential(forwarded: Headers, route: Route) -> tuple[tuple[str, str], ...]:
    """Headers already filtered for the upstream, plus the resource's real credential and
    the request for an identity-encoded answer."""
    inject = route.credential_value()
    if inject is None:
        return (*forwarded, ASK_IDENTITY)
    return (*forwarded, ASK_IDENTITY, (route.credential_header, inject))


def downstream_headers(
    headers: Iterable[tuple[str, str]], credential: str | None, *, decoded: bool = False
) -> list[tuple[str, str]]:
    """The upstream's response headers for the agent: hop-by-hop out, the credential masked;
    `decoded`: the proxy decompressed the body, so its coding and length no longer hold."""
    out = []
    for name, value in headers:
        lower = name.lower()
        if lower in HOP_BY_HOP or (decoded and lower == "content-encoding"):
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
