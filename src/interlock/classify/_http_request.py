"""Turn an `http` check payload into one normalised request, or say why it cannot be read.

Two payload shapes arrive (docs/check.md, `interlock check`): an object
`{"method", "url", "headers"?, "body"?}` and a small HTTP request as text (`METHOD URL`,
`Name: value` header lines, an empty line, the body). Both become a `Request` whose host is
lower-case with no userinfo, port or trailing dot, and whose path is percent-decoded and
resolved (`/a/./b/../c` is `/a/c`), so that routes match what the server will route and not
what the text happened to look like.

Wrong *types* in an object payload are the caller's mistake (`PayloadError`); text that is
not a readable request is input like any other and comes back as a reason string, which the
classifier turns into an `unknown` action.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from interlock.classify._routes import UNREADABLE
from interlock.classify.graphql import DuplicateKeyError, loads_strict
from interlock.errors import PayloadError

__all__ = ["Request", "parse_payload"]

_METHOD = re.compile(r"^[A-Za-z][A-Za-z0-9_!#$%&'*+.^`|~-]{0,31}$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_SCHEMES = frozenset({"http", "https", "ws", "wss"})


@dataclass(frozen=True, slots=True)
class Request:
    """A request reduced to what classification looks at. Holds no credentials on purpose:
    header values are kept only for the few headers classification reads."""

    method: str
    host: str
    path: str  # normalised: decoded segments joined by "/", no trailing slash
    segments: tuple[str, ...]
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]  # lower-case name -> value, only the headers we read
    body_text: str | None  # the body as sent when it was text
    body: Any  # parsed JSON value, None when there is no body, UNREADABLE when not JSON
    body_problem: str | None = None
    """Why a body that is (or says it is) JSON cannot be read as one well-formed UTF-8 JSON
    value: malformed, a repeated key, not UTF-8. Servers' parsers disagree on such bodies."""


# Headers that change what a request does, so the classifier reads them (and an enforcement
# point hands them on). Everything else (Authorization, Cookie, API keys) is dropped at the
# door so it cannot leak into an action's detail, targets or reason.
CLASSIFIED_HEADERS = (
    "content-type",
    "content-encoding",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
    "x-amz-target",
    "soapaction",
    "x-original-url",
    "x-rewrite-url",
)
_KEPT_HEADERS = frozenset({"host", *CLASSIFIED_HEADERS})


def parse_payload(payload: object) -> Request | str:
    """A `Request`, or a reason the payload cannot be read (for an `unknown` action)."""
    if isinstance(payload, str):
        return _from_text(payload)
    if not isinstance(payload, Mapping):
        raise PayloadError(
            "an http payload is an object with method and url, or text; "
            f"got {type(payload).__name__}"
        )
    method, url = payload.get("method"), payload.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        raise PayloadError("an http payload needs `method` and `url` as strings")
    headers = payload.get("headers") or {}
    pairs: list[tuple[str, str]] = []
    if isinstance(headers, Mapping):
        items = list(headers.items())
    elif isinstance(headers, list) and all(
        isinstance(h, list | tuple) and len(h) == 2 for h in headers
    ):
        items = [(h[0], h[1]) for h in headers]
    else:
        raise PayloadError("http `headers` must be an object of name: value")
    for name, value in items:
        if not isinstance(name, str):
            raise PayloadError("http header names must be strings")
        values = value if isinstance(value, list) else [value]
        pairs.extend((name, str(v)) for v in values)
    body = payload.get("body")
    return _build(method, url, pairs, body)


def _from_text(text: str) -> Request | str:
    head, separator, body = text.lstrip("\r\n").partition("\n\n")
    if not separator:
        head, separator, body = text.lstrip("\r\n").partition("\r\n\r\n")
    lines = head.replace("\r\n", "\n").split("\n")
    request_line = lines[0].split()
    if len(request_line) == 3 and request_line[2].upper().startswith("HTTP/"):
        request_line = request_line[:2]
    if len(request_line) != 2:
        return "the first line is not `METHOD URL`"
    pairs: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and pairs:  # obsolete line folding
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if not colon or not _HEADER_NAME.match(name.strip()):
            return "a header line is not `Name: value`"
        pairs.append((name.strip(), value.strip()))
    return _build(request_line[0], request_line[1], pairs, body if separator else None)


def _build(method: str, url: str, pairs: list[tuple[str, str]], body: Any) -> Request | str:
    if not _METHOD.match(method):
        return "the method is not an HTTP method token"
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key in _KEPT_HEADERS:
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
    location = _split_url(url.strip(), headers.get("host", ""))
    if isinstance(location, str):
        return location
    host, raw_path, raw_query = location
    segments = _segments(raw_path)
    body_text: str | None = None
    parsed: Any = None
    problem: str | None = None
    if isinstance(body, str):
        body_text = body
        if body.strip():
            parsed, problem = _parse_body(body, headers.get("content-type", ""))
    elif isinstance(body, bytes | bytearray):
        body_text, parsed = None, UNREADABLE
    else:
        parsed = body
    if "," in headers.get("content-type", "").split(";", 1)[0] and body:
        problem = "several Content-Type values: servers pick different ones"
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding and encoding != "identity":
        parsed = UNREADABLE if body is not None else None
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if body and (media.endswith("json") or media in _UNTYPED):
            problem = f"the body is {encoding}-encoded: it cannot be read to be classified"
    return Request(
        method=method.upper(),
        host=host,
        path="/" + "/".join(segments),
        segments=segments,
        query=tuple(parse_qsl(raw_query, keep_blank_values=True)),
        headers=headers,
        body_text=body_text,
        body=parsed,
        body_problem=problem,
    )


def _split_url(url: str, host_header: str) -> tuple[str, str, str] | str:
    if not url or any(c in url for c in "\x00\r\n\t "):
        return "the URL is empty or contains whitespace"
    if url.startswith("/") and not url.startswith("//"):
        url = f"http://{host_header.strip() or 'unknown-host'}{url}"
    elif "://" not in url and not url.startswith("//"):
        url = f"http://{url}"  # curl and friends default to http for bare host/path
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return "the URL cannot be parsed"
    if parts.scheme and parts.scheme.lower() not in _SCHEMES:
        return f"the URL scheme {parts.scheme!r} is not HTTP"
    if not host:
        return "the URL has no host"
    return host, parts.path, parts.query


def _segments(raw_path: str) -> tuple[str, ...]:
    """Decoded path segments with `.`/`..` resolved and matrix parameters (`;x=1`) dropped."""
    out: list[str] = []
    for raw in raw_path.replace("\\", "/").split("/"):
        segment = unquote(raw.split(";", 1)[0])
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return tuple(out)


def _ndjson(text: str) -> Any:
    """Newline-delimited JSON (Elasticsearch `_bulk`, OpenSearch, Loki): a list of the
    values, one per line; UNREADABLE when any line is not JSON."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or len(lines) > 10_000:
        return UNREADABLE
    values: list[Any] = []
    for line in lines:
        try:
            values.append(loads_strict(line))
        except (DuplicateKeyError, ValueError, RecursionError):
            return UNREADABLE
    return values


# What a body that is not UTF-8 looks like once the proxy has decoded it: U+FFFD for bytes
# that are not UTF-8, NUL for the zero bytes of UTF-16/32 (which JSON text never holds raw).
_NOT_UTF8 = ("\ufffd", "\x00")


def _parse_body(body: str, content_type: str) -> tuple[Any, str | None]:
    """A text body as JSON, as a form, or UNREADABLE, and why a JSON body cannot be read
    (malformed, a repeated key, not UTF-8); never raises."""
    media = content_type.split(";", 1)[0].strip().lower()
    stripped = body.strip().lstrip("\ufeff").strip()
    # JSON by its media type, or by its first character when the type says nothing more
    # (servers that parse without looking at the type read it as JSON).
    json_media = media.endswith(("/json", "+json")) or media == "json"
    # No type, or the one curl -d sends: a `{` or `[` makes it JSON. Plain text only by `{`
    # (a line of text often starts with `[`).
    starts = _UNTYPED_STARTS.get(media, ())
    if any(mark in stripped for mark in _NOT_UTF8):
        looks = stripped.translate(_DROP_NOT_UTF8).lstrip("\ufeff").lstrip()
        if json_media or looks[:1] in starts:
            return UNREADABLE, "the JSON body is not UTF-8 (UTF-16/32 or stray bytes)"
    if stripped[:1] in ("{", "[", '"') or media.endswith("json"):
        try:
            return loads_strict(stripped), None
        except DuplicateKeyError as exc:
            return UNREADABLE, f"the JSON body repeats the key {str(exc)[:60]!r}"
        except (ValueError, RecursionError):
            lines = _ndjson(stripped)  # Elasticsearch `_bulk` and the like: every line judged
            if lines is not UNREADABLE:
                return lines, None
            if json_media or stripped[:1] in starts:
                return UNREADABLE, "the JSON body is not well-formed"
            return UNREADABLE, None
    if media == "application/x-www-form-urlencoded" or (
        "=" in stripped and not any(c.isspace() for c in stripped)
    ):
        return dict(parse_qsl(stripped, keep_blank_values=True)), None
    return UNREADABLE, None


_DROP_NOT_UTF8 = str.maketrans("", "", "".join(_NOT_UTF8))
_UNTYPED_STARTS = {
    "": ("{", "["),
    "application/x-www-form-urlencoded": ("{", "["),
    "text/plain": ("{",),
}
_UNTYPED = frozenset(_UNTYPED_STARTS)
