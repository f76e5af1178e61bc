"""Route packs: what an HTTP API's routes do, as data a user can extend without Python.

A pack is a TOML file (`packs/*.toml` ships with Interlock; users add their own directories
through `load_packs(extra_dirs)` or the `INTERLOCK_ROUTE_PACKS` environment variable, a
`os.pathsep`-separated list). Every key is documented in `docs/classifiers/http.md`:

    name = "github"
    hosts = ["api.github.com"]          # host globs the pack's rules apply to by default
    graphql_paths = ["/graphql"]        # endpoints on those hosts that speak GraphQL

    [graphql]                           # GraphQL root-field names that override word rules
    destructive = ["volumeInstanceBackupRestore"]
    write = ["customDomainCreate"]

    [methods]                           # method -> verb for hosts no rule matches
    PROPFIND = "read"

    [[rule]]
    method = "PATCH"                    # a method, a list of them, or "*"
    path = "/repos/{owner}/{repo}/git/refs/{ref*}"   # {p} one segment, {p*} the rest
    when = { force = true }             # JSON body conditions (dotted key path = value)
    nested = { kind = "sql", body = "query" }   # optional: text another classifier reads
    verb = "destructive"
    operation = "github.ref.force_update"
    target = "{owner}/{repo}"
    reason = "force-updating a ref discards the commits it pointed to"

Rules are tried in order: user packs first, then the provider packs shipped here, and the
first rule whose host, method, path and body conditions all match decides. No match falls
through to the generic REST verdict in `interlock.classify.http`.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import resources
from pathlib import Path
from threading import Lock
from typing import Any

from interlock.classify.graphql import ArgumentRule
from interlock.errors import ConfigError
from interlock.model import Verb

__all__ = [
    "ENV_VAR",
    "UNREADABLE",
    "Pack",
    "RouteRule",
    "RouteTable",
    "Verdict",
    "configure",
    "load_packs",
    "parse_pack",
    "route_table",
]

ENV_VAR = "INTERLOCK_ROUTE_PACKS"

UNREADABLE: Any = object()
"""Stands for a body that exists but is not JSON (or is ambiguous JSON)."""

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\*?)\}")
_VERBS = {v.value: v for v in Verb}
_METHOD_TOKEN = re.compile(r"^[A-Z][A-Z0-9_-]{0,31}$")


@dataclass(frozen=True, slots=True)
class RouteRule:
    """One compiled rule of a pack."""

    pack: str
    hosts: tuple[str, ...]  # empty: any host
    methods: frozenset[str] | None  # None: any method
    template: str
    when: tuple[tuple[tuple[str, ...], Any], ...]
    verb: Verb
    operation: str
    reason: str
    target: str
    nested: tuple[str, str, tuple[str, ...]] | None = None
    """(kind, "body" | "param", key path): text in the request another classifier reads."""
    generated: bool = False
    """From a generated pack: the rule settles an `unknown` and raises, never lowers."""

    def match(self, host: str, method: str, path: str, body: Any) -> dict[str, str] | None:
        """Route parameters when this rule applies to the request, else None."""
        if self.methods is not None and method not in self.methods:
            return None
        if self.hosts and not _host_in(host, self.hosts):
            return None
        found = _pattern(self.template).fullmatch(path)
        if found is None:
            return None
        if self.when and not self._body_matches(body):
            return None
        return {k: v for k, v in found.groupdict().items() if v is not None}

    def _body_matches(self, body: Any) -> bool:
        if body is UNREADABLE:
            # A body we cannot read might satisfy the condition: assume the worst.
            return self.verb.is_dangerous
        items = body if isinstance(body, list) and body else [body]
        # In a batch, one item meeting a dangerous rule's condition is enough; a read or
        # write rule must hold for every item.
        quantifier = any if self.verb.is_dangerous else all
        return quantifier(
            all(
                any(_condition_holds(v, expected) for v in _values_at(item, keys))
                for keys, expected in self.when
            )
            for item in items[:256]
        )

    def nested_texts(self, body: Any, query: Sequence[tuple[str, str]]) -> list[str]:
        """The embedded texts `nested` points at (`*` in a key path walks a list)."""
        if self.nested is None:
            return []
        kind, source, keys = self.nested
        if source == "param":
            found = [v for k, v in query if k == keys[0]]
            # a repeated parameter is an argv (`?command=psql&command=-c&command=…`)
            return [shlex.join(found)] if kind == "shell" and len(found) > 1 else found
        texts: list[str] = []
        for value in _values_at(body, keys):
            if isinstance(value, str):
                texts.append(value)
            elif (
                kind == "shell"
                and isinstance(value, list)
                and value
                and all(isinstance(v, str) for v in value)
            ):
                texts.append(shlex.join(value))  # an argv list is one command line
        return texts

    @property
    def prefix(self) -> tuple[str, ...]:
        """The leading literal segments of the path (lower-case, at most two): the index key."""
        out: list[str] = []
        for segment in self.template.strip("/").split("/")[:2]:
            if not segment or "{" in segment or "*" in segment:
                break
            out.append(segment.lower())
        return tuple(out)

    def target_for(self, params: Mapping[str, str]) -> str:
        return _PARAM.sub(lambda m: params.get(m.group(1), ""), self.target) if self.target else ""


def _values_at(body: Any, keys: Sequence[str]) -> list[Any]:
    """The values at a dotted key path; `*` steps into every value of an object or list."""
    values: list[Any] = [body]
    for key in keys:
        step: list[Any] = []
        for value in values:
            if key == "*":
                if isinstance(value, Mapping):
                    step.extend(list(value.values())[:256])
                elif isinstance(value, list):
                    step.extend(value[:256])
            elif isinstance(value, Mapping) and key in value:
                step.append(value[key])
        values = step
    return values


def _condition_holds(value: Any, expected: Any) -> bool:
    """One `when` condition: a plain value (loose equality) or an operator table:
    `{ in = [...] }` (loose membership), `{ le = N }` (a number at most N, numbers written as
    text count), `{ null = true }` (the value is JSON null: an assignment that removes)."""
    if isinstance(expected, Mapping):
        if "in" in expected:
            return any(_loosely_equal(value, option) for option in expected["in"])
        if "le" in expected:
            number = _number(value)
            return number is not None and number <= expected["le"]
        if "null" in expected:
            return (value is None) is bool(expected["null"])
        return False
    return _loosely_equal(value, expected)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


_OPERATORS = frozenset({"in", "le", "null"})


def _loosely_equal(value: Any, expected: Any) -> bool:
    """JSON equality, with booleans also matching "true"/"false" strings and 1/0.

    APIs written in lenient languages coerce `"force": "true"` to true; a condition meant
    to catch a force flag must not be evaded by quoting it.
    """
    if isinstance(expected, bool):
        if isinstance(value, str):
            return value.strip().lower() == ("true" if expected else "false")
        if isinstance(value, int | float):
            return bool(value) is expected
    if isinstance(expected, str) and isinstance(value, str):
        return value.strip().lower() == expected.lower()
    return bool(value == expected)


@dataclass(frozen=True, slots=True)
class Pack:
    """One loaded pack file."""

    name: str
    source: str
    hosts: tuple[str, ...] = ()
    graphql_paths: tuple[str, ...] = ()
    graphql_fields: Mapping[str, Verb] = field(default_factory=dict)
    graphql_arguments: tuple[ArgumentRule, ...] = ()
    methods: Mapping[str, Verb] = field(default_factory=dict)
    rules: tuple[RouteRule, ...] = ()
    servers: tuple[str, ...] = ()
    mcp_tools: Mapping[str, Verb] = field(default_factory=dict)
    origin: Mapping[str, str] = field(default_factory=dict)
    """Where a generated pack came from: `source`, `version`, `licence`, `generator`."""

    @property
    def generated(self) -> bool:
        """A pack made by `interlock packs import`: its verdicts settle an `unknown` and raise
        a verdict, never lower what Interlock's own reading says (a hand-written pack is a
        human's explicit choice and may)."""
        return "generator" in self.origin


@dataclass(frozen=True, slots=True)
class Verdict:
    """A pack's verdict for a GraphQL field or an MCP tool, and whose it is."""

    verb: Verb
    pack: str
    generated: bool


@dataclass(frozen=True, slots=True)
class RouteTable:
    """Every pack, in precedence order, with lookups the HTTP classifier needs.

    Rules are indexed by their leading literal path segments, so a request is tried only
    against the rules that could match it (in their precedence order): thousands of
    generated rules cost about what a handful did.
    """

    packs: tuple[Pack, ...]
    methods: Mapping[str, Verb]
    _index: dict[tuple[str, ...], tuple[RouteRule, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _tools: dict[str, list[Verdict]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        buckets: dict[tuple[str, ...], list[tuple[int, RouteRule]]] = {}
        position = 0
        for pack in self.packs:
            for rule in pack.rules:
                buckets.setdefault(rule.prefix, []).append((position, rule))
                position += 1
        for pack in self.packs:
            for tool, verb in pack.mcp_tools.items():
                known = self._tools.setdefault(tool, [])
                known.append(Verdict(verb, pack.name, pack.generated))
        keys = set(buckets) | {key[:1] for key in buckets} | {()}
        for key in keys:
            # the rules whose literal prefix is a prefix of `key`, in precedence order
            found = [item for size in range(len(key) + 1) for item in buckets.get(key[:size], ())]
            found.sort(key=lambda item: item[0])
            self._index[key] = tuple(rule for _, rule in found)

    def _candidates(self, path: str) -> tuple[RouteRule, ...]:
        segments = path.lower().strip("/").split("/", 2)
        for size in (2, 1, 0):
            found = self._index.get(tuple(segments[:size])) if len(segments) >= size else None
            if found is not None:
                return found
        return ()

    _arguments: dict[str, tuple[ArgumentRule, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def match(
        self, host: str, method: str, path: str, body: Any
    ) -> tuple[RouteRule, dict[str, str]] | None:
        for rule in self._candidates(path):
            params = rule.match(host, method, path, body)
            if params is not None:
                return rule, params
        return None

    def mcp_verdict(self, server: str | None, tool: str) -> Verdict | None:
        """The first pack's verdict for `tool` on `server` (pack `servers` globs). A call
        that names no server matches no pack here: tool names are not unique across
        servers (`mcp_known` lists what every pack says of the name)."""
        if server is None:
            return None
        for pack in self.packs:
            verb = pack.mcp_tools.get(tool)
            if verb is not None and _host_in(server.lower(), pack.servers):
                return Verdict(verb, pack.name, pack.generated)
        return None

    def serves(self, server: str) -> bool:
        """Whether some pack's `servers` globs name `server`: a server Interlock knows."""
        lowered = server.lower()
        return any(pack.mcp_tools and _host_in(lowered, pack.servers) for pack in self.packs)

    def mcp_known(self, tool: str) -> tuple[Verdict, ...]:
        """Every pack's verdict for a tool of this name, whatever its server: what the
        packs know of a call that names no server (or one no pack serves)."""
        return tuple(self._tools.get(tool, ()))

    def graphql_pack(self, host: str, path: str) -> Pack | None:
        """The first pack that declares `host` + `path` a GraphQL endpoint."""
        lowered = path.lower().rstrip("/") or "/"
        for pack in self.packs:
            if _host_in(host, pack.hosts) and any(
                fnmatchcase(lowered, p.lower()) for p in pack.graphql_paths
            ):
                return pack
        return None

    def graphql_overrides(self, host: str) -> Mapping[str, Verdict]:
        """Field name -> the pack's verdict, from every pack whose hosts include `host`."""
        merged: dict[str, Verdict] = {}
        for pack in reversed(self.packs):  # earlier packs take precedence
            if pack.graphql_fields and _host_in(host, pack.hosts):
                merged.update(
                    {
                        k: Verdict(v, pack.name, pack.generated)
                        for k, v in pack.graphql_fields.items()
                    }
                )
        return merged

    def graphql_arguments(self, host: str) -> tuple[ArgumentRule, ...]:
        """The argument rules of every pack whose hosts include `host` (remembered per host:
        a table is immutable once loaded)."""
        found = self._arguments.get(host)
        if found is None:
            found = tuple(
                rule
                for pack in self.packs
                if pack.graphql_arguments and _host_in(host, pack.hosts)
                for rule in pack.graphql_arguments
            )
            if len(self._arguments) < 1024:
                self._arguments[host] = found
        return found


@lru_cache(maxsize=4096)
def _host_in(host: str, globs: tuple[str, ...]) -> bool:
    return bool(globs) and any(fnmatchcase(host, glob) for glob in globs)


@lru_cache(maxsize=8192)
def _pattern(template: str) -> re.Pattern[str]:
    """A rule's path template as a regular expression, compiled on first use (a table of
    thousands of generated rules loads without compiling any)."""
    parts: list[str] = []
    position = 0
    for m in _PARAM.finditer(template):
        literal = template[position : m.start()]
        parts.append(re.escape(literal).replace(r"\*\*", ".*").replace(r"\*", "[^/]*"))
        parts.append(f"(?P<{m.group(1)}>.+)" if m.group(2) else f"(?P<{m.group(1)}>[^/]+)")
        position = m.end()
    tail = template[position:]
    parts.append(re.escape(tail).replace(r"\*\*", ".*").replace(r"\*", "[^/]*"))
    return re.compile("".join(parts).rstrip("/") or "/", re.IGNORECASE)


# -- loading ----------------------------------------------------------------------------


def _verb(value: object, where: str) -> Verb:
    if not isinstance(value, str) or value not in _VERBS:
        raise ConfigError(f"{where}: verb must be one of {', '.join(_VERBS)}, got {value!r}")
    return _VERBS[value]


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: expected a string or a list of strings, got {value!r}")


def _check_path(template: str, where: str) -> str:
    """Validate a path template without compiling it (see `_pattern`)."""
    if not template.startswith("/"):
        raise ConfigError(f"{where}: path must start with '/', got {template!r}")
    names = [m.group(1) for m in _PARAM.finditer(template)]
    if len(names) != len(set(names)):
        raise ConfigError(f"{where}: path {template!r} names a parameter twice")
    leftover = _PARAM.sub("", template)
    if "{" in leftover or "}" in leftover:
        raise ConfigError(f"{where}: path {template!r} has a malformed {{parameter}}")
    return template


def _rule(
    pack: str, hosts: tuple[str, ...], raw: object, where: str, generated: bool = False
) -> RouteRule:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a rule is a table")
    known = {"host", "method", "path", "when", "verb", "operation", "reason", "target", "nested"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    methods_raw = _strings(raw.get("method", "*"), f"{where}.method")
    methods = None if "*" in methods_raw else frozenset(m.upper() for m in methods_raw)
    path = raw.get("path", "/**")
    if not isinstance(path, str):
        raise ConfigError(f"{where}.path: expected a string")
    when_raw = raw.get("when", {})
    if not isinstance(when_raw, dict):
        raise ConfigError(f"{where}.when: expected a table of key path = value")
    operation = raw.get("operation", "")
    reason = raw.get("reason", "")
    target = raw.get("target", "")
    if not all(isinstance(v, str) for v in (operation, reason, target)):
        raise ConfigError(f"{where}: operation, reason and target are strings")
    host_globs = _strings(raw["host"], f"{where}.host") if "host" in raw else hosts
    nested = _nested(raw.get("nested"), f"{where}.nested")
    return RouteRule(
        pack=pack,
        hosts=tuple(h.lower() for h in host_globs if h != "*"),
        methods=methods,
        template=_check_path(path, f"{where}.path"),
        when=tuple(
            (tuple(k.split(".")), _condition(v, f"{where}.when.{k}")) for k, v in when_raw.items()
        ),
        verb=_verb(raw.get("verb"), f"{where}.verb"),
        operation=operation,
        reason=reason,
        target=target,
        nested=nested,
        generated=generated,
    )


def _condition(value: object, where: str) -> object:
    if isinstance(value, dict):
        if len(value) != 1 or not set(value) <= _OPERATORS:
            raise ConfigError(
                f"{where}: an operator table is {{ in = [...] }}, {{ le = N }} or {{ null = true }}"
            )
        if "in" in value and not isinstance(value["in"], list):
            raise ConfigError(f"{where}: `in` takes a list of values")
        if "le" in value and (
            isinstance(value["le"], bool) or not isinstance(value["le"], int | float)
        ):
            raise ConfigError(f"{where}: `le` takes a number")
        if "null" in value and not isinstance(value["null"], bool):
            raise ConfigError(f"{where}: `null` takes true or false")
    return value


def _nested(raw: object, where: str) -> tuple[str, str, tuple[str, ...]] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
        raise ConfigError(f'{where}: expected {{ kind = "sql", body = "key.path" }}')
    sources = [k for k in ("body", "param") if isinstance(raw.get(k), str)]
    if len(sources) != 1 or set(raw) - {"kind", "body", "param"}:
        raise ConfigError(f'{where}: give exactly one of body = "key.path" or param = "name"')
    return raw["kind"], sources[0], tuple(str(raw[sources[0]]).split("."))


def _pack(text: str, source: str) -> Pack:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from exc
    unknown = set(data) - {
        "name",
        "description",
        "hosts",
        "graphql_paths",
        "graphql",
        "methods",
        "rule",
        "servers",
        "mcp",
        "origin",
    }
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise ConfigError(f"{source}: name must be a string")
    hosts = tuple(h.lower() for h in _strings(data.get("hosts", []), f"{source}: hosts"))
    graphql_paths = _strings(data.get("graphql_paths", []), f"{source}: graphql_paths")
    fields: dict[str, Verb] = {}
    graphql = data.get("graphql", {})
    if not isinstance(graphql, dict):
        raise ConfigError(f"{source}: [graphql] must be a table")
    arguments = tuple(
        _argument_rule(name, raw, f"{source}: graphql.arguments {index + 1}")
        for index, raw in enumerate(_tables(graphql.get("arguments", []), source))
    )
    for verb_name, names in graphql.items():
        if verb_name == "arguments":
            continue
        verb = _verb(verb_name, f"{source}: [graphql]")
        for field_name in _strings(names, f"{source}: graphql.{verb_name}"):
            fields[field_name] = verb
    tools: dict[str, Verb] = {}
    mcp = data.get("mcp", {})
    if not isinstance(mcp, dict):
        raise ConfigError(f"{source}: [mcp] must be a table")
    for verb_name, names in mcp.items():
        verb = _verb(verb_name, f"{source}: [mcp]")
        for tool in _strings(names, f"{source}: mcp.{verb_name}"):
            tools[tool] = verb
    servers = tuple(s.lower() for s in _strings(data.get("servers", []), f"{source}: servers"))
    origin = data.get("origin", {})
    if not isinstance(origin, dict) or not all(isinstance(v, str) for v in origin.values()):
        raise ConfigError(f"{source}: [origin] is a table of strings")
    methods_raw = data.get("methods", {})
    if not isinstance(methods_raw, dict):
        raise ConfigError(f"{source}: [methods] must be a table")
    methods = {}
    for method, verb_name in methods_raw.items():
        if not _METHOD_TOKEN.match(method.upper()):
            raise ConfigError(f"{source}: [methods] {method!r} is not an HTTP method")
        methods[method.upper()] = _verb(verb_name, f"{source}: methods.{method}")
    rules_raw = data.get("rule", [])
    if not isinstance(rules_raw, list):
        raise ConfigError(f"{source}: rules are written as [[rule]] tables")
    rules = tuple(
        _rule(name, hosts, raw, f"{source}: rule {index + 1}", "generator" in origin)
        for index, raw in enumerate(rules_raw)
    )
    return Pack(
        name=name,
        source=source,
        hosts=hosts,
        graphql_paths=graphql_paths,
        graphql_fields=fields,
        graphql_arguments=arguments,
        methods=methods,
        rules=rules,
        servers=servers,
        mcp_tools=tools,
        origin=origin,
    )


def parse_pack(text: str, source: str) -> Pack:
    """Parse and validate one pack's TOML text; `ConfigError` names what is wrong."""
    return _pack(text, source)


def _tables(value: object, source: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{source}: argument rules are written as [[graphql.arguments]] tables")
    return value


_ARGUMENT_KEYS = frozenset({"field", "path", "equals", "verb", "reason"})


def _argument_rule(pack: str, raw: dict[str, Any], where: str) -> ArgumentRule:
    """`[[graphql.arguments]]`: a mutation field, an argument path, the value it meets."""
    unknown = set(raw) - _ARGUMENT_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    field_name, path = raw.get("field"), raw.get("path")
    if not isinstance(field_name, str) or not field_name:
        raise ConfigError(f'{where}: `field` is a mutation field name or "*"')
    if not isinstance(path, str) or not path or any(not p for p in path.split(".")):
        raise ConfigError(f'{where}: `path` is a dotted argument path, e.g. "input.replace"')
    if "equals" not in raw or not isinstance(raw["equals"], bool | int | float | str):
        raise ConfigError(f"{where}: `equals` is the value (boolean, number or string) it meets")
    reason = raw.get("reason", "")
    if not isinstance(reason, str):
        raise ConfigError(f"{where}: `reason` must be a string")
    return ArgumentRule(
        field=field_name,
        path=tuple(path.split(".")),
        equals=raw["equals"],
        verb=_verb(raw.get("verb"), f"{where}: verb"),
        reason=reason,
        pack=pack,
    )


def _builtin_packs() -> list[Pack]:
    folder = resources.files("interlock.classify").joinpath("packs")
    entries = sorted(
        (e for e in folder.iterdir() if e.name.endswith(".toml")), key=lambda e: e.name
    )
    return [_pack(e.read_text(encoding="utf-8"), f"packs/{e.name}") for e in entries]


def load_packs(extra_dirs: Iterable[str | os.PathLike[str]] = ()) -> RouteTable:
    """Load user packs from `extra_dirs` (each `*.toml`, sorted) ahead of the built-in ones.

    Raises `ConfigError` naming the file and rule when a pack is invalid.
    """
    packs: list[Pack] = []
    for directory in extra_dirs:
        folder = Path(directory)
        if not folder.is_dir():
            raise ConfigError(f"{folder}: route pack directory does not exist")
        for path in sorted(folder.glob("*.toml")):
            packs.append(_pack(path.read_text(encoding="utf-8"), str(path)))
    user_count = len(packs)
    packs.extend(_builtin_packs())
    methods: dict[str, Verb] = {}
    for pack in reversed(packs):  # user packs, loaded first, override built-in methods
        methods.update(pack.methods)
    # Built-in generic defaults go last among built-ins but user packs still come first.
    ordered = packs[:user_count] + sorted(packs[user_count:], key=lambda p: p.name == "generic")
    return RouteTable(packs=tuple(ordered), methods=methods)


_table: RouteTable | None = None
_lock = Lock()


def configure(extra_dirs: Iterable[str | os.PathLike[str]] | None = None) -> RouteTable:
    """Reload packs: `extra_dirs`, or those named by `INTERLOCK_ROUTE_PACKS` when None."""
    global _table
    if extra_dirs is None:
        env = os.environ.get(ENV_VAR, "")
        extra_dirs = [d for d in env.split(os.pathsep) if d]
    table = load_packs(extra_dirs)
    with _lock:
        _table = table
    from interlock.classify import clear_cache  # answers cached under the old packs

    clear_cache()
    return table


def route_table() -> RouteTable:
    """The packs in force, loaded on first use (see `configure`)."""
    table = _table
    return table if table is not None else configure()
