"""The sans-I/O pieces: routes, header rewriting, the scrubber, the binding, config errors."""

from __future__ import annotations

import gzip
import json
import random
import zlib
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from interlock.enforce import request_fingerprint
from interlock.errors import ConfigError
from interlock.model import Agent, Resource
from interlock.proxy.http import CredentialScrubber, Route, load_proxy_config, match_route
from interlock.proxy.http._action import (
    BOUND_HEADERS,
    BOUND_NAME_WORDS,
    UNBOUND_HEADERS,
    action_request,
    binding,
    bound_header,
    classify_payload,
)
from interlock.proxy.http._config import BeforeHook
from interlock.proxy.http._encodings import UnscannableEncoding, codings, decoder_for
from interlock.proxy.http._headers import agent_token, prefer_wait, upstream_headers
from interlock.proxy.http._hooks import PLAIN_TARGET, HookRefused, hook_body
from interlock.proxy.http._routes import PathRefused, normalise_target, route_request

ROUTES = [
    Route("a", "/api", "http://up", "a", credential="s3cret-value"),
    Route("b", "/api/v2", "http://up2", "b"),
]


def test_longest_prefix_wins_and_keeps_the_query() -> None:
    assert match_route(ROUTES, "/api/v2/x?y=1") == (ROUTES[1], "/x?y=1")
    assert match_route(ROUTES, "/api?y=1") == (ROUTES[0], "/?y=1")
    assert match_route(ROUTES, "/apix") is None


def test_headers_swap_the_token_for_the_credential() -> None:
    out = upstream_headers(
        [
            ("Authorization", "Bearer ilk_x"),
            ("Connection", "keep-alive"),
            ("Prefer", "wait=10"),
            ("Interlock-Approval", "apr_1"),
            ("Accept", "*/*"),
            ("Accept-Encoding", "gzip, br"),
        ],
        ROUTES[0],
    )
    assert out == [
        ("Accept", "*/*"),
        ("Accept-Encoding", "identity"),  # a body the credential scrubber can read
        ("Authorization", "Bearer s3cret-value"),
    ]
    assert agent_token({"authorization": "Bearer ilk_abc "}) == "ilk_abc"
    assert agent_token({"authorization": "Basic abc"}) == ""
    assert prefer_wait({"prefer": "respond-async, wait=15"}) == 15
    assert prefer_wait({"prefer": "wait=x"}) is None


@pytest.mark.parametrize("cut", range(1, 20))
def test_scrubber_masks_across_chunk_edges(cut: int) -> None:
    body = b"before s3cret-value middle s3cret-value after"
    scrubber = CredentialScrubber("s3cret-value")
    out = scrubber.feed(body[:cut]) + scrubber.feed(body[cut:]) + scrubber.flush()
    assert out == body.replace(b"s3cret-value", b"*" * 12)


def test_config_errors_name_the_table(tmp_path: Path) -> None:
    path = tmp_path / "interlock.toml"
    path.write_text('[proxy.http]\nlisten = "nowhere"\n')
    with pytest.raises(ConfigError, match=r"\[proxy.http\] listen"):
        load_proxy_config(path)
    path.write_text('[proxy.http.routes.x]\nupstream = "https://u:pw@host"\n')
    with pytest.raises(ConfigError, match="must not carry a password"):
        load_proxy_config(path)
    path.write_text("[proxy.http.routes.x]\nbogus = 1\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_proxy_config(path)
    path.write_text("[proxy.http.routes.x]\ndelay = 5\n")
    config = load_proxy_config(path)
    assert config.routes["x"].prefix == "/x" and config.routes["x"].delay == 5.0


# --- what an approval is bound to ------------------------------------------------------

ROUTE = Route("api", "/api", "http://up", "api")
NAME_WORD = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)


@given(
    st.lists(st.tuples(st.sampled_from(sorted(BOUND_HEADERS)), st.text(max_size=12)), max_size=6),
    st.randoms(use_true_random=False),
)
def test_the_binding_does_not_depend_on_header_order(
    headers: list[tuple[str, str]], rnd: random.Random
) -> None:
    shuffled = headers[:]
    rnd.shuffle(shuffled)
    assert binding(ROUTE, "POST", "/x", headers, b"") == binding(ROUTE, "POST", "/x", shuffled, b"")


@given(
    st.lists(NAME_WORD, max_size=2),
    st.sampled_from(sorted(BOUND_NAME_WORDS)),
    st.lists(NAME_WORD, max_size=2),
    st.sampled_from(["-", "_"]),
)
def test_a_header_naming_a_tenant_method_or_target_is_bound(
    before: list[str], word: str, after: list[str], sep: str
) -> None:
    name = sep.join([*before, word, *after])
    assume(name not in UNBOUND_HEADERS)
    one = binding(ROUTE, "DELETE", "/x", [(name.title(), "a")], b"")
    two = binding(ROUTE, "DELETE", "/x", [(name.title(), "b")], b"")
    assert bound_header(name) and one != two


@pytest.mark.parametrize(
    "name",
    [
        "X-HTTP-Method-Override",
        "Content-Type",
        "X-Tenant-Id",
        "OpenAI-Organization",
        "Stripe-Account",
        "X-Goog-User-Project",
        "Impersonate-User",
        "X-Original-URL",
        "Notion-Version",
        "Depth",
    ],
)
def test_headers_that_change_meaning_change_the_fingerprint(name: str) -> None:
    assert _fingerprint([(name, "one")]) != _fingerprint([(name, "two")])


@pytest.mark.parametrize(
    "name", ["User-Agent", "Accept", "Accept-Encoding", "X-Request-Id", "Traceparent"]
)
def test_headers_that_vary_between_retries_do_not(name: str) -> None:
    assert _fingerprint([(name, "one")]) == _fingerprint([(name, "two")])


def test_bodies_that_read_alike_as_text_are_different_actions() -> None:
    # The classifier reads the body as UTF-8 with replacement: both read "\ufffd".
    assert _fingerprint([], b"\xff") != _fingerprint([], b"\xfe")
    assert _fingerprint([], b"", method="PUT") != _fingerprint([], b"", method="DELETE")
    assert _fingerprint([], b"", rest="/x?force=1") != _fingerprint([], b"", rest="/x")


def _fingerprint(
    headers: list[tuple[str, str]], body: bytes = b"", method: str = "POST", rest: str = "/x"
) -> str:
    agent = Agent("bot", id="a1")
    lowered = {name.lower(): value for name, value in headers}
    classified = classify_payload(method, ROUTE, rest, lowered, body)
    request = action_request(
        agent, Resource("api", "production"), ROUTE, method, rest, classified, headers, body
    )
    return request_fingerprint(b"k" * 32, request)


@given(
    st.binary(max_size=4000),
    st.lists(st.integers(1, 500), max_size=20),
    st.sampled_from(["gzip", "deflate", "x-gzip", "deflate, gzip", "identity"]),
)
@settings(max_examples=100)
def test_decoder_undoes_codings_across_any_chunking(
    plain: bytes, cuts: list[int], header: str
) -> None:
    body = plain
    for coding in codings(header):
        body = gzip.compress(body) if "gzip" in coding else zlib.compress(body)
    decoder = decoder_for(header)
    chunks, at = [], 0
    for cut in cuts:
        chunks.append(body[at : at + cut])
        at += cut
    chunks.append(body[at:])
    if decoder is None:
        assert header == "identity"
        return
    out = b"".join(decoder.feed(c) for c in chunks) + decoder.flush()
    assert out == plain


def test_a_coding_the_proxy_cannot_undo_is_refused() -> None:
    with pytest.raises(UnscannableEncoding):
        decoder_for("gzip, zstd")


_PIECES = st.sampled_from(
    ["a", "b", "..", ".", "%2e", "%2E%2e", ".%2e", "%252e%252e", "", "x%2fy", "%2f..", "..;p"]
)


@given(st.lists(_PIECES, max_size=8), st.booleans())
def test_a_normalised_path_holds_no_dot_segment_in_any_encoding(
    pieces: list[str], trailing: bool
) -> None:
    target = "/" + "/".join(pieces) + ("/" if trailing else "") + "?q=%2e%2e"
    try:
        normal = normalise_target(target)
    except PathRefused:
        return
    path, _, query = normal.partition("?")
    assert query == "q=%2e%2e"  # the query is never touched
    assert path.startswith("/") and "//" not in path
    for segment in path.split("/"):
        decoded = unquote(unquote(unquote(segment)))
        assert decoded.split(";", 1)[0] not in (".", "..")
    assert normalise_target(normal) == normal  # idempotent: what is sent is what was judged


def test_a_path_that_leaves_its_route_is_refused() -> None:
    routes = (
        Route(name="stg", prefix="/stg", upstream="http://u", resource="s"),
        Route(name="prod", prefix="/prod", upstream="http://u", resource="p"),
    )
    assert route_request(routes, "/stg/a/../b?x=1") == (routes[0], "/b?x=1")
    assert route_request(routes, "//prod//v1") == (routes[1], "/v1")
    for escape in ("/stg/../prod/v1", "/stg/%2e%2e/prod/v1", "/stg/..%2fprod/v1", "/.."):
        with pytest.raises(PathRefused):
            route_request(routes, escape)


_TYPED = json.dumps(
    {"query": "mutation S($id: String!) { snap(id: $id) }", "variables": {"id": "{target}"}}
)
_PASTED = json.dumps({"query": 'mutation { snap(id: "{target}") }'})


@given(st.text(max_size=80))
def test_a_hook_target_never_changes_the_hooks_document(target: str) -> None:
    typed = BeforeHook("graphql:volumeDelete", "POST", "/g", _TYPED)
    built = json.loads(hook_body(typed, target))
    assert built == {"query": json.loads(_TYPED)["query"], "variables": {"id": target}}
    pasted = BeforeHook("graphql:volumeDelete", "POST", "/g", _PASTED)
    try:
        body = json.loads(hook_body(pasted, target))
    except HookRefused:
        assert PLAIN_TARGET.fullmatch(target) is None
        return
    # only a plain identifier is pasted, so the document keeps its one field
    assert body == {"query": f'mutation {{ snap(id: "{target}") }}'}
    assert all(c.isalnum() or c in "._:-" for c in target) and target.isascii()
