"""interlock.toml read in one place: defaults, one clear error per mistake, parsed once, and
never anything but a `ConfigError` whatever the file holds."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlock.config import (
    SECTIONS,
    SHAPES,
    TABLES,
    AuditSettings,
    Config,
    HookSettings,
    IdentitySettings,
    ProxyConfig,
    ProxySettings,
    ServerSettings,
    UpSettings,
    parse_config,
    parse_duration,
    read_config,
)
from interlock.errors import ConfigError, InputError
from interlock.home import Home, init_home

PATH = Path("/srv/agents/.interlock/interlock.toml")


def _error(text: str) -> str:
    """The one error `text` gets once every table is checked."""
    with pytest.raises(ConfigError) as info:
        parse_config(text, PATH).check()
    message = str(info.value)
    assert "\n" not in message, message
    assert message.startswith(f"{PATH}: "), message
    return message


# -- defaults ------------------------------------------------------------------------------


def test_an_empty_file_gives_every_table_its_defaults() -> None:
    """The defaults the loader applies are the dataclasses' own (and the docs' , see
    test_config_docs): an empty file and a default-constructed section are the same thing."""
    config = parse_config("", PATH).check()
    assert config.policy_paths == (PATH.parent / "policies",)
    assert config.audit == AuditSettings() and config.checkpoint_every == 100
    assert dict(config.resources) == {}
    assert config.hooks == HookSettings()
    assert config.proxy_http == ProxyConfig()
    assert config.proxy_pg == ProxySettings()
    assert config.server == ServerSettings()
    assert config.webhooks == ()
    assert config.identity == IdentitySettings()
    assert config.up == UpSettings()


def test_a_full_file_is_typed(tmp_path: Path) -> None:
    path = tmp_path / "interlock.toml"
    path.write_text(
        """
[policies]
paths = ["mine", "/etc/interlock/shared.cedar"]
[audit]
checkpoint_every = 7
[resources.orders-db]
kind = "postgres"
tags = ["pii"]
[hooks]
environment = "staging"
budget_seconds = 1
[[hooks.production_markers]]
variable = "DATABASE_URL"
[proxy.http]
listen = "[::1]:0"
[proxy.http.routes.api]
upstream = "https://api.example/"
[[proxy.http.routes.api.before]]
operation = "graphql:volumeDelete"
path = "/graphql"
method = "put"
[proxy.pg]
wait_for_approval = 5
[proxy.pg.resources.orders-db]
row_limit = 10
[proxy.pg.agents.ci]
wait_for_approval = 0
[server]
listen = "0.0.0.0:9000"
secure_cookies = true
[[webhooks]]
url = "https://hooks.example/x"
events = ["hold"]
secret_env = "HOOK_SECRET"
[identity]
max_ttl = "1h30m"
[up]
hooks = false
[up.pg]
listen = "[::1]:6543"
allow_cleartext_on_loopback = true
"""
    )
    config = read_config(path).check()
    assert config.policy_paths == (tmp_path / "mine", Path("/etc/interlock/shared.cedar"))
    assert config.checkpoint_every == 7
    assert config.resources["orders-db"].kind == "postgres"
    assert config.resources["orders-db"].environment == "production"
    assert config.hooks.environment_for("psql $DATABASE_URL") == "production"
    assert config.hooks.environment_for("psql") == "staging"
    assert config.hooks.budget_seconds == 1.0
    assert (config.proxy_http.host, config.proxy_http.port) == ("::1", 0)
    route = config.proxy_http.routes["api"]
    assert (route.prefix, route.resource, route.upstream) == ("/api", "api", "https://api.example")
    assert route.before[0].method == "PUT"
    assert route.before[0].content_type == "application/json"
    limits = config.proxy_pg.for_agent("ci", "orders-db")
    assert (limits.row_limit, limits.wait_for_approval) == (10, 0.0)
    assert config.proxy_pg.for_agent("other").wait_for_approval == 5.0
    assert (config.server.host, config.server.port) == ("0.0.0.0", 9000)
    assert config.server.secure_cookies == "always"
    assert config.webhooks[0].events == frozenset({"hold"})
    assert config.webhooks[0].secret_env == "HOOK_SECRET"
    assert config.identity.max_ttl == 5400
    assert config.up.hooks is False and config.up.server is True
    assert config.up.pg is not None
    assert (config.up.pg.host, config.up.pg.port) == ("::1", 6543)
    assert config.has("proxy.http.routes.api") and not config.has("proxy.pg.agents.nobody")


# -- one clear error each ------------------------------------------------------------------


def test_a_missing_file_is_one_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "interlock.toml"
    with pytest.raises(ConfigError, match=r"interlock\.toml: cannot read \(No such file"):
        read_config(path)


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_config(tmp_path)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"[hooks\n", "not valid TOML (Expected ']'"),
        (b"a = 1\na = 2\n", "not valid TOML"),
        (b"[hooks]\nenvironment = '\xff'\n", "not valid TOML (not UTF-8 text at byte 23)"),
        # Regressions: tomllib raises ValueError (not TOMLDecodeError) for an integer longer
        # than Python converts, and RecursionError for deep nesting; both were tracebacks.
        (b"[audit]\ncheckpoint_every = " + b"1" * 5000 + b"\n", "not valid TOML (Exceeds"),
        (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", "not valid TOML (nested too deeply)"),
    ],
)
def test_invalid_toml_is_one_error_naming_the_file(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    path = tmp_path / "interlock.toml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as info:
        read_config(path)
    assert str(info.value).startswith(f"{path}: {expected}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[hook]\nenvironment = 'x'\n", "unknown key(s) hook (the tables are policies,"),
        ("debug = true\n", "unknown key(s) debug"),
        ("[proxy.grpc]\n", "[proxy]: unknown key(s) grpc"),
        ("proxy = 3\n", "[proxy] must be a table"),
        ("[hooks]\nenvironmnet = 'dev'\n", "[hooks]: unknown key(s) environmnet"),
        ("[hooks]\nread_limit = 10\n", "[hooks] read_limit must be an integer of at least 1024"),
        ("[hooks]\nread_limit = 4096.0\n", "[hooks] read_limit must be an integer"),
        ("[hooks]\nbudget_seconds = 100\n", "[hooks] budget_seconds must be a number from 0.05"),
        # Regression: a boolean is an int in Python; `true` was accepted as 1 second.
        ("[hooks]\nbudget_seconds = true\n", "[hooks] budget_seconds must be a number"),
        ("[hooks]\nenvironment = ''\n", "[hooks] environment must be a non-empty string"),
        ("[hooks]\nagent = 3\n", "[hooks] agent must be a non-empty string"),
        # Regression: a non-array production_markers was a TypeError.
        ("[hooks]\nproduction_markers = 3\n", "production_markers must be an array of tables"),
        ("[[hooks.production_markers]]\nhost = 'x'\n", "#1: unknown key(s) host"),
        ("[[hooks.production_markers]]\ncontains = ''\n", "#1: give `contains` or `variable`"),
        ("[policies]\npaths = []\n", "[policies] paths must be a non-empty list of strings"),
        ("[audit]\ncheckpoint_every = 0\n", "[audit] checkpoint_every must be a positive integer"),
        ("[resources.db]\ntags = 'pii'\n", "[resources.db] tags must be a list of strings"),
        ("[resources.db]\nenv = 'x'\n", "[resources.db]: unknown key(s) env"),
        ("resources = 1\n", "[resources] must be a table"),
        # Regression: NaN passed every "at least" check (every comparison with NaN is false).
        ("[server]\nsession_idle = nan\n", "[server] session_idle must be a number of at least"),
        ("[proxy.http]\ntimeout = inf\n", "[proxy.http] timeout must be a number of at least"),
        ("[server]\nlisten = 8900\n", '[server] listen must be "HOST:PORT"'),
        # Regression: "²" is a digit to str.isdigit() but not to int().
        ("[server]\nlisten = 'localhost:²'\n", '[server] listen must be "HOST:PORT"'),
        ("[server]\nlisten = 'localhost:70000'\n", "with a port from 0 to 65535"),
        # Regression: 1 == True in Python, so `1` meant "always".
        ("[server]\nsecure_cookies = 1\n", '[server] secure_cookies must be "auto", true or'),
        ("[server]\nowner_separation = 'yes'\n", "[server] owner_separation must be true or"),
        ("[server]\nlogin_rate = 0\n", "[server] login_rate must be an integer of at least 1"),
        ("[proxy.http]\nmax_body = 10\n", "[proxy.http] max_body must be an integer of at least"),
        ("[proxy.http.routes.a]\nupstream = 'ftp://x'\n", "[proxy.http.routes.a] upstream must"),
        ("[proxy.http.routes.a]\ncredential_format = 'x'\n", "must contain {credential}"),
        (
            "[proxy.http.routes.a]\n[proxy.http.routes.b]\nprefix = '/a'\n",
            "[proxy.http]: two routes have the same prefix",
        ),
        ("[[proxy.http.routes.a.before]]\npath = '/x'\n", "operation and an absolute path"),
        ("[proxy.http.routes.a]\nbefore = {}\n", "before must be an array of tables"),
        ("[proxy.pg]\nrow_limit = 0\n", "[proxy.pg] row_limit must be a positive integer"),
        ("[proxy.pg]\nwait_for_approval = -1\n", "[proxy.pg] wait_for_approval must be a"),
        # Regression: a non-table agent entry was silently skipped.
        ("[proxy.pg.agents]\nci = 5\n", "[proxy.pg.agents.ci] must be a table"),
        ("[proxy.pg.agents.ci]\nrows = 5\n", "[proxy.pg.agents.ci]: unknown key(s) rows"),
        ("webhooks = 1\n", "webhooks must be an array of tables ([[webhooks]])"),
        ("[[webhooks]]\nurl = 'https://x'\nsecret = 'abc'\n", "#1: do not put the secret"),
        ("[[webhooks]]\nurl = 'https://x'\n", "[[webhooks]] #1 secret_env must name"),
        ("[[webhooks]]\nurl = 'x'\nsecret_env = 'S'\n", "#1: the url must be an http://"),
        ("[[webhooks]]\nurl = 'https://x'\nsecret_env = 'S'\nformat = 'xml'\n", "format must"),
        ("[[webhooks]]\nurl = 'https://x'\nsecret_env = 'S'\nevents = ['x']\n", "event(s) x"),
        ("[identity]\nmax_ttl = 24\n", "[identity] max_ttl must be a duration string such"),
        ("[identity]\nmax_ttl = 'soon'\n", "[identity] max_ttl: duration 'soon' is not valid"),
        ("[identity]\nmax_ttl = '0h'\n", "[identity] max_ttl: duration '0h' must be longer"),
        ("[up]\nrestart = 1\n", "[up]: unknown key(s) restart"),
        ("[up]\nmax_restarts = -1\n", "[up] max_restarts must be an integer of at least 0"),
        ("[up]\nstop_timeout = 0\n", "[up] stop_timeout must be a number from 0.1 to 300"),
        ("[up]\nserver = 1\n", "[up] server must be true or false"),
        ("[up]\npg = 1\n", "[up.pg] must be a table"),
        ("[up.pg]\nlisten = ':6432'\n", '[up.pg] listen must be "HOST:PORT" with a port from 1'),
        ("[up.pg]\ntls_cert = 'a.crt'\n", "[up.pg]: give both tls_cert and tls_key"),
    ],
)
def test_each_mistake_is_one_error_naming_file_table_and_key(text: str, expected: str) -> None:
    message = _error(text)
    assert expected in message, message


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: shape.header)
def test_every_table_refuses_a_key_it_does_not_know(shape: Any) -> None:
    """Every table the docs list refuses an unknown key, naming itself."""
    header = shape.header.replace("NAME", "x")
    message = _error(f"{header}\nno_such_key = 1\n")
    assert f"{header}" in message and "unknown key(s) no_such_key" in message


def test_a_table_is_checked_when_it_is_used() -> None:
    """A mistake in one component's table does not stop another component."""
    config = parse_config("[proxy.http]\nlisten = 'x'\n[hooks]\nenvironment = 'dev'\n", PATH)
    assert config.hooks.environment == "dev"
    with pytest.raises(ConfigError, match=r"\[proxy.http\] listen"):
        config.proxy_http  # noqa: B018
    with pytest.raises(ConfigError, match=r"\[proxy.http\] listen"):
        config.check()


# -- read once -----------------------------------------------------------------------------


def test_the_file_is_parsed_once_per_content(tmp_path: Path) -> None:
    path = tmp_path / "interlock.toml"
    path.write_text("[hooks]\nenvironment = 'dev'\n")
    first = read_config(path)
    assert read_config(path) is first
    assert first.hooks is read_config(path).hooks
    path.write_text("[hooks]\nenvironment = 'staging'\n")
    second = read_config(path)
    assert second is not first and second.hooks.environment == "staging"


def test_the_old_entry_points_read_the_same_config(tmp_path: Path) -> None:
    from interlock.hooks._decide import HookSettings as DecideHookSettings
    from interlock.hooks._decide import load_hook_settings
    from interlock.identity import max_ttl_from_config
    from interlock.proxy.http import load_proxy_config
    from interlock.proxy.pg._login import load_settings
    from interlock.server import load_server_settings

    home, _ = init_home(tmp_path / "home")
    home.config_path.write_text(
        home.config_path.read_text()
        + "[hooks]\nenvironment = 'dev'\n[proxy.pg]\nrow_limit = 3\n[identity]\nmax_ttl = '2h'\n"
        + "[proxy.http.routes.a]\n[server]\nlisten = '127.0.0.1:1'\n"
    )
    config = read_config(home.config_path)
    assert DecideHookSettings is HookSettings
    assert load_hook_settings(home.config_path) is config.hooks
    assert load_proxy_config(home.config_path) is config.proxy_http
    assert load_settings(home.config_path) is config.proxy_pg
    assert load_settings(tmp_path / "none.toml") == ProxySettings()
    assert load_server_settings(home.config_path) is config.server
    assert max_ttl_from_config(home) == 7200
    assert Home(home.root).load_config() is config


def test_a_duration_is_parsed_by_one_function() -> None:
    from interlock.identity import parse_duration as identity_parse_duration

    assert identity_parse_duration is parse_duration
    assert parse_duration("1h30m") == 5400 and parse_duration(" 2D ") == 172800
    for text in ("", "5", "h", "1x", "٣h", "9" * 5000 + "s"):
        with pytest.raises(InputError):
            parse_duration(text)


# -- whatever the file holds: it loads, or one ConfigError ---------------------------------

_KEYS = sorted(
    {key for shape in SHAPES for key in (*shape.keys, *shape.nested)}
    | set(TABLES)
    | {"http", "pg", "x", "NAME"}
)
_PLAUSIBLE = [
    "",
    "x",
    "production",
    "127.0.0.1:8181",
    "[::1]:0",
    ":1",
    "24h",
    "0s",
    "https://example.test",
    "http://u:p@h",
    "/p",
    "json",
    "slack",
    "auto",
    "hold",
    "{credential}",
]
_key = st.one_of(st.sampled_from(_KEYS), st.text(max_size=6))
_scalar = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=-2, max_value=70000),
    st.floats(),
    st.sampled_from(_PLAUSIBLE),
    st.text(max_size=12),
    st.dates(),
    st.datetimes(),
)
_value = st.recursive(
    _scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_key, inner, max_size=4)),
    max_leaves=24,
)
_document = st.dictionaries(
    st.one_of(st.sampled_from(TABLES), _key),
    st.one_of(st.dictionaries(_key, _value, max_size=5), _value),
    max_size=5,
)
_SHAPES = {shape.name: shape for shape in SHAPES}


def _shaped(name: str) -> Any:
    """Documents that follow the loader's own shapes (keys right, values anything), so the
    property reaches every table's checks rather than stopping at an unknown key (those
    are the plain document test's and the per-table test's)."""
    shape = _SHAPES.get(name)
    if shape is None and f"{name}.NAME" in _SHAPES:
        names = st.one_of(st.sampled_from(["a", "orders-db"]), st.text(max_size=4))
        return st.dictionaries(names, _shaped(f"{name}.NAME"), max_size=2)
    keys = list(shape.keys) if shape else []
    nested = (
        list(shape.nested)
        if shape
        else sorted({s.name.split(".")[1] for s in SHAPES if s.name.startswith(name + ".")})
    )
    table = st.fixed_dictionaries(
        {},
        optional={
            **{key: _value for key in keys},
            **{key: _shaped(f"{name}.{key}") for key in nested},
        },
    )
    return st.lists(table, max_size=2) if shape and shape.array else table


_shaped_document = st.fixed_dictionaries({}, optional={table: _shaped(table) for table in TABLES})


def _toml_string(text: str) -> str:
    escaped = "".join(
        "\\\\"
        if c == "\\"
        else '\\"'
        if c == '"'
        else f"\\u{ord(c):04x}"
        if ord(c) < 0x20 or c == "\x7f"
        else c
        for c in text
    )
    return f'"{escaped}"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{_toml_string(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _toml_document(document: dict[str, Any]) -> str:
    return "".join(f"{_toml_string(k)} = {_toml_value(v)}\n" for k, v in document.items())


def _loads_or_config_error(text: str) -> None:
    try:
        config = parse_config(text, PATH)
    except ConfigError:
        return
    for name in SECTIONS:
        try:
            getattr(config, name)
        except ConfigError:
            continue


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_document)
def test_any_toml_document_loads_or_raises_config_error(document: dict[str, Any]) -> None:
    _loads_or_config_error(_toml_document(document))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_shaped_document)
def test_any_document_of_the_right_shape_loads_or_raises_config_error(
    document: dict[str, Any],
) -> None:
    _loads_or_config_error(_toml_document(document))


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("[]{}=\"'.,#\n \\abcdehklnoprstuwxy0123:-_")), max_size=80
    )
)
def test_any_text_loads_or_raises_config_error(text: str) -> None:
    _loads_or_config_error(text)


def test_the_generator_writes_toml_the_loader_reads() -> None:
    """The property tests mean something only if their documents reach the tables."""
    text = _toml_document(
        {"hooks": {"environment": 'dev\n"x"', "read_limit": 2048}, "server": {"x": math.nan}}
    )
    config = parse_config(text, PATH)
    assert config.hooks == HookSettings(environment='dev\n"x"', read_limit=2048)
    with pytest.raises(ConfigError, match="unknown key"):
        config.server  # noqa: B018
    assert isinstance(config, Config)
