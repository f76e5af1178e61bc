"""The sans-I/O pieces: routes, header rewriting, the scrubber, config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.errors import ConfigError
from interlock.proxy.http import CredentialScrubber, Route, load_proxy_config, match_route
from interlock.proxy.http._exchange import agent_token, prefer_wait, upstream_headers

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
        ],
        ROUTES[0],
    )
    assert out == [("Accept", "*/*"), ("Authorization", "Bearer s3cret-value")]
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
