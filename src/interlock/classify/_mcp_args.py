"""What an MCP tool call's arguments say it does.

A generic tool is only as harmless as what it is handed: `execute_sql` with a `DROP`, a
`kubectl` wrapper with `["delete", "ns", "prod"]`, `http_request` with `method: DELETE`,
`manage_volume` with `action: delete`. This module walks the arguments (bounded in nodes,
depth and hand-offs) and collects:

- embedded languages, handed to their own classifiers through `classify_nested` (SQL under
  `sql`/`statement` keys or a `query` that parses as SQL, shell under `command`/`script` or
  an argv list, HTTP where a URL comes with a method, GraphQL documents, and tool calls
  wrapped inside tool calls);
- verbs carried by values: an `action`/`operation`/`method`/`mode` whose value is a verb
  word, a `force`/`delete_*` flag set to true, a write aimed at a device file;
- targets: the ids, names, paths and tables the call acts on.

Keys are read as words (`sqlStatements`, `shell_command`, `http-method`), like tool names.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from functools import lru_cache

from interlock.classify import _mcp_words as w
from interlock.classify import classify_nested
from interlock.classify._credentials import privilege_subject
from interlock.classify._mcp_name import NameReading
from interlock.classify._mcp_words import word_set
from interlock.classify._names import split_words
from interlock.classify.paths import is_critical_path
from interlock.model import Action, Verb, unknown_action

__all__ = ["Finding", "Inspection", "inspect_arguments", "is_credential_key"]

MAX_NODES = 2000
MAX_LEVEL = 12
MAX_HANDOFFS = 24
MAX_TARGETS = 16
MAX_JSON_STRING = 64 * 1024

_SQL_KEYS = frozenset({"sql", "statement", "statements", "stmt", "stmts", "ddl", "dml"})
_QUERY_KEYS = frozenset({"query", "queries", "q"})
_GRAPHQL_KEYS = frozenset({"graphql", "gql", "mutation", "mutations"})
_SHELL_KEYS = frozenset(
    {"command", "commands", "cmd", "cmds", "cmdline", "commandline", "script", "shell", "bash"}
)
_CODE_KEYS = frozenset(
    {"code", "expression", "function", "javascript", "js", "python", "source", "snippet"}
)
_ACTION_KEYS = frozenset(
    {"action", "actions", "operation", "operations", "op", "ops", "method", "mode", "verb"}
    | {"subcommand", "intent", "command", "cmd"}
)
_ARGV_KEYS = frozenset({"args", "argv", "arguments", "params", "parameters"})
_PROGRAM_KEYS = frozenset({"program", "executable", "binary", "bin", "command", "cmd"})
_URL_KEYS = frozenset({"url", "uri", "endpoint", "href"})
_METHOD_KEYS = frozenset({"method", "verb"})
_BODY_KEYS = ("body", "data", "json", "payload")
_TOOL_KEYS = frozenset({"tool", "toolname", "tool_name"})
_TOOL_ARG_KEYS = ("arguments", "args", "input", "params", "parameters")
_TASK_KEYS = frozenset(
    {"name", "job", "workflow", "task", "target", "recipe", "playbook", "pipeline", "script"}
)
_PATH_KEYS = frozenset(
    {"path", "paths", "file", "filename", "filepath", "destination", "dest", "dst", "to"}
    | {"output", "outfile", "device", "target", "source", "src", "from"}
)
_TARGET_WORDS = word_set(
    """
    id ids name names path paths file files filename filepath dir directory folder table
    tables database databases db schema repo repository repositories branch project bucket
    volume service namespace ns cluster instance resource target source destination dest src
    dst host hostname domain app application collection index topic queue object environment
    env channel deployment pod container image node workflow job key
    """
)
_CREDENTIAL_WORDS = word_set(
    """
    password passwd pwd passphrase token tokens secret secrets authorization auth bearer
    credential credentials cookie cookies otp apikey privatekey signature jwt
    """
)
_KEY_QUALIFIERS = frozenset({"api", "private", "access", "secret", "signing", "ssh", "license"})
_FLAG_SKIP = frozenset({"should", "also", "auto", "then", "and", "do"})
_TRUE = frozenset({"true", "yes", "1", "on"})
_SQL_START = word_set(
    """
    select insert update delete drop create alter truncate with grant revoke copy do call
    merge vacuum analyze explain begin commit rollback set reset show table values comment
    lock refresh reindex cluster discard execute prepare deallocate listen notify unlisten
    load import security reassign savepoint release start end abort checkpoint declare fetch
    move close
    """
)
# Words that, in a query of a language we cannot parse (Cypher, Redis, KQL…), change data.
_QUERY_DESTRUCTIVE = word_set(
    "delete drop truncate detach remove destroy flushall flushdb del wipe purge alter grant "
    "revoke unlink"
)
_QUERY_WRITE = word_set("create merge set insert update upsert")
_REPLACING_STAGES = frozenset({"$out", "$merge"})
# `kind:` lines of a Kubernetes manifest handed as text (`ClusterRoleBinding`, `Role`).
_MANIFEST_KIND = re.compile(r"^\s*kind:\s*[\"']?([A-Za-z]+)", re.MULTILINE)
_REPLICA_KEYS = frozenset(
    {"replicas", "replica", "numreplicas", "replicacount", "desiredcount", "quantity", "scale"}
)
_SHELL_PROGRAMS = frozenset({"bash", "sh", "zsh", "shell", "terminal", "powershell", "pwsh"})


@lru_cache(maxsize=4096)
def is_credential_key(words: tuple[str, ...]) -> bool:
    """A key whose value must never be shown: `password`, `apiKey`, `x-api-key`, …"""
    if any(word in _CREDENTIAL_WORDS for word in words):
        return True
    return "key" in words and any(word in _KEY_QUALIFIERS for word in words)


# Writing to these is harmless; moving or copying a file onto /dev/null destroys it.
_SAFE_DEVICES = frozenset({"/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/stdin"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One verb an argument value supports, and why."""

    verb: Verb
    reason: str


@dataclass(slots=True)
class Inspection:
    """Everything the arguments said: verb findings, inner classifiers' actions, targets.

    `content` is True when something in the arguments says what a carrier tool (`shell`,
    `execute_sql`, `manage_volume`) actually does.
    """

    findings: list[Finding] = field(default_factory=list)
    nested: list[Action] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    content: bool = False
    overflow: bool = False


def _verb_of_value(value: str, *, method: bool) -> tuple[Verb, str] | None:
    """The verb a short `action`-like value names: `delete`, `force-delete`, `GET`."""
    if len(value) > 64 or len(value.split()) > 2:
        return None  # prose ("delete old logs" as a description) is not an action name
    words = split_words(value)
    if not words or len(words) > 4:
        return None
    if method and len(words) == 1 and words[0] in w.HTTP_METHODS:
        return w.HTTP_METHODS[words[0]], words[0]
    verbs = [(word, w.verb_of_word(word)) for word in words]
    for wanted in (Verb.DESTRUCTIVE, Verb.WRITE, Verb.READ):
        for word, verb in verbs:
            if verb is wanted:
                if wanted is Verb.WRITE and any(x in w.MODIFIERS for x in words):
                    return Verb.DESTRUCTIVE, value
                return verb, word
    if any(word in w.MODIFIERS for word in words) or "hard" in words:
        return Verb.DESTRUCTIVE, value
    return None


def _looks_like_graphql(text: str) -> bool:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        rest = stripped[1:].lstrip()
        return bool(rest) and (rest[0].isalpha() or rest[0] in "_}.")
    first = stripped.split(None, 1)[0] if stripped else ""
    head = first.split("(", 1)[0].split("{", 1)[0].lower()
    return head in {"query", "mutation", "subscription", "fragment"} and "{" in stripped


def _parses_as_sql(text: str) -> bool:
    """True when PostgreSQL's own parser accepts `text` (the `query` key is ambiguous:
    search text, a metrics expression or SQL)."""
    stripped = text.lstrip(" \t\r\n(")
    if not stripped:
        return False
    first = split_words(stripped[:24])
    if not stripped.startswith(("--", "/*")) and (not first or first[0] not in _SQL_START):
        return False
    try:
        import pgparse
    except ImportError:  # pragma: no cover - pgparse is a dependency; keyword check suffices
        return True
    try:
        pgparse.parse(text)
    except Exception:
        return False
    return True


class _Walker:
    """One bounded walk over a tool call's arguments."""

    def __init__(self, reading: NameReading, depth: int) -> None:
        self.reading = reading
        self.depth = depth
        self.out = Inspection()
        self.nodes = 0
        self.handoffs = 0

    # ---- hand-offs ----------------------------------------------------------------------

    def _nested(self, kind: str, payload: object, what: str) -> None:
        self.out.content = True
        self.handoffs += 1
        if self.handoffs > MAX_HANDOFFS:
            self.out.overflow = True
            return
        try:
            actions = classify_nested(kind, payload, self.depth)
        except Exception as exc:  # fail closed: an inner classifier that cannot even load
            actions = [unknown_action(kind, f"{what}: classifier unavailable ({exc!r:.80})")]
        self.out.nested.extend(actions)

    def _finding(self, verb: Verb, reason: str, *, content: bool = True) -> None:
        self.out.findings.append(Finding(verb, reason))
        if content:
            self.out.content = True

    def _target(self, value: object) -> None:
        if isinstance(value, bool) or len(self.out.targets) >= MAX_TARGETS:
            return
        if isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            return
        value = value.strip()
        if value and len(value) <= 200 and "\n" not in value and value not in self.out.targets:
            self.out.targets.append(value)

    # ---- the walk -----------------------------------------------------------------------

    def walk(self, value: object, key: tuple[str, ...], level: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES or level > MAX_LEVEL:
            self.out.overflow = True
            return
        if isinstance(value, dict):
            self._dict(value, level)
        elif isinstance(value, list | tuple):
            if key and key[-1] in _TARGET_WORDS:
                for item in value[:MAX_TARGETS]:
                    if isinstance(item, str | int):
                        self._target(item)
            for item in value:
                self.walk(item, key, level + 1)
                if self.out.overflow:
                    return
        elif isinstance(value, str):
            self._string(value, key, level)

    def _dict(self, obj: dict[object, object], level: int) -> None:
        keyed: list[tuple[tuple[str, ...], object]] = [
            (split_words(k) if isinstance(k, str) else (), v) for k, v in obj.items()
        ]
        joined = {"".join(words): value for words, value in keyed}
        self._effects(obj, joined)
        consumed: set[str] = set()
        if self._tool_call(joined, consumed):
            return
        self._graphql_request(joined, consumed)
        self._http(joined, consumed)
        self._argv(joined, consumed)
        owner, repo = joined.get("owner"), joined.get("repo")
        if isinstance(owner, str) and isinstance(repo, str):
            self._target(f"{owner}/{repo}")
        for words, value in keyed:
            if "".join(words) in consumed or is_credential_key(words):
                continue
            if isinstance(value, bool | int | float) or value is None:
                self._flag(words, value)
                if words and words[-1] in _TARGET_WORDS:
                    self._target(value)
                continue
            if isinstance(value, str) and words and words[-1] in _TARGET_WORDS:
                self._target(value)
            self.walk(value, words, level + 1)
            if self.out.overflow:
                return

    def _effects(self, obj: dict[object, object], joined: dict[str, object]) -> None:
        kind = obj.get("kind")
        if isinstance(kind, str) and "apiVersion" in obj:
            subject = privilege_subject(split_words(kind))
            if subject is not None:
                self._finding(Verb.PRIVILEGE, f"the manifest creates or changes a {kind}")
        """Values that destroy whatever the tool's name says: an aggregation stage that
        replaces a collection (`$out`, `$merge`), a replica count of zero."""
        stage = next((k for k in obj if k in _REPLACING_STAGES), None)
        if stage is not None:
            self._finding(Verb.DESTRUCTIVE, f"an aggregation stage {stage} replaces a collection")
        for key in _REPLICA_KEYS.intersection(joined):
            value = joined[key]
            if not isinstance(value, bool) and value in (0, "0"):
                self._finding(Verb.DESTRUCTIVE, f"{key} is 0: it stops every copy of the service")

    def _tool_call(self, joined: dict[str, object], consumed: set[str]) -> bool:
        """A tool call wrapped in the arguments (`call_tool`, batches): classify it as MCP."""
        has_args = any(k in joined for k in _TOOL_ARG_KEYS)
        name = joined.get("tool", joined.get("toolname"))
        if name is not None and not has_args and self.reading.verb is not None:
            name = None
        if name is None and has_args and self.reading.carrier == "exec":
            name = joined.get("name")
        if not isinstance(name, str) or not name.strip():
            return False
        inner_args = next((joined[k] for k in _TOOL_ARG_KEYS if k in joined), {})
        self._nested("mcp", {"tool": name, "arguments": inner_args}, "wrapped tool call")
        consumed.update(joined)
        return True

    def _graphql_request(self, joined: dict[str, object], consumed: set[str]) -> None:
        """`{"query": "mutation …", "variables": {…}}` is a GraphQL request: keep it whole."""
        query = joined.get("query")
        if not isinstance(query, str) or not _looks_like_graphql(query):
            return
        request: dict[str, object] = {"query": query}
        for key, name in (("variables", "variables"), ("operationname", "operationName")):
            if key in joined:
                request[name] = joined[key]
                consumed.add(key)
        consumed.add("query")
        self._nested("graphql", request, "graphql request")

    def _http(self, joined: dict[str, object], consumed: set[str]) -> None:
        """A URL with a method (or in an HTTP tool) is a request: the http classifier decides."""
        url_key = next((k for k in joined if k in _URL_KEYS or k.endswith("url")), None)
        if url_key is None or not isinstance(joined[url_key], str):
            return
        method_key = next((k for k in joined if k in _METHOD_KEYS or k == "httpmethod"), None)
        method = joined.get(method_key) if method_key else None
        body_key = next((k for k in _BODY_KEYS if k in joined), None)
        if not isinstance(method, str):
            named = [x for x in self.reading.words if x in w.HTTP_METHODS]
            if self.reading.carrier == "http" or (named and self.reading.carrier is None):
                method = named[0].upper() if named else ("POST" if body_key else "GET")
            else:
                # `fetch`, `browser_navigate`: a read-named tool with no method of its own
                # reads the page. The http classifier's suspicion of RPC-style paths
                # (`GET /admin/delete`) is for API calls, not for reading a document.
                return
        request: dict[str, object] = {"method": method.upper(), "url": joined[url_key]}
        headers = joined.get("headers")
        if isinstance(headers, dict):
            request["headers"] = headers
        if body_key is not None:
            request["body"] = joined[body_key]
        self._nested("http", request, "http request")
        consumed.update({url_key, "headers", *(k for k in (method_key, body_key) if k)})

    def _argv(self, joined: dict[str, object], consumed: set[str]) -> None:
        """An argv list (`{"args": ["delete", "ns", "prod"]}`) is a command line."""
        argv_key = next((k for k in joined if k in _ARGV_KEYS), None)
        command_key = next((k for k in joined if k in {"command", "cmd"}), None)
        if command_key is not None and isinstance(joined[command_key], list):
            argv_key = command_key  # `{"command": ["rm", "-rf", "/data"]}` is an argv too
        if argv_key is None:
            return
        argv = joined[argv_key]
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            return
        program_key = next((k for k in joined if k in _PROGRAM_KEYS and k != argv_key), None)
        program = joined.get(program_key) if program_key else None
        words: list[str] = [str(a) for a in argv]
        wrapped = self.reading.program
        prefix: list[str] = []
        if isinstance(program, str) and program.strip():
            consumed.add(program_key or "")
            prefix.append(program.strip())
        elif (
            not wrapped
            and argv_key != command_key
            and self.reading.carrier not in {"shell", "exec", "cli"}
        ):
            return
        first = (prefix[0].split() or [""])[0] if prefix else words[0]
        if wrapped and wrapped not in _SHELL_PROGRAMS and first != wrapped:
            prefix.insert(0, wrapped)
        consumed.add(argv_key)
        self._nested("shell", " ".join([*prefix, shlex.join(words)]), "argv")

    def _flag(self, words: tuple[str, ...], value: object) -> None:
        """`force: true` on a write, `delete_source: true` anywhere: the flag decides."""
        if value is not True:
            return
        meaningful = [word for word in words if word not in _FLAG_SKIP]
        if not meaningful:
            return
        head = meaningful[0]
        if w.verb_of_word(head) is Verb.DESTRUCTIVE and head not in {"clear"}:
            self._finding(Verb.DESTRUCTIVE, f"argument {'_'.join(words)!r} is set", content=False)
        elif head in w.MODIFIERS and self.reading.verb is Verb.WRITE:
            self._finding(Verb.DESTRUCTIVE, f"{head!r} flag on a write", content=False)

    def _string(self, text: str, key: tuple[str, ...], level: int) -> None:
        joined = "".join(key)
        last = key[-1] if key else ""
        if text.strip() == "":
            return
        if text.strip().lower() in _TRUE:
            self._flag(key, True)
            return
        if any(word in _SQL_KEYS for word in key) and (
            "sql" in key or last in _SQL_KEYS or self.reading.sql_tool
        ):
            self._nested("sql", text, "sql argument")
            return
        graphql_key = last in _GRAPHQL_KEYS or joined in _GRAPHQL_KEYS
        if graphql_key and _looks_like_graphql(text):
            self._nested("graphql", {"query": text}, "graphql argument")
            return
        if last in _QUERY_KEYS:
            self._query(text)
            return
        if last in _ACTION_KEYS or joined in _ACTION_KEYS:
            single = len(text.split()) == 1
            if last not in {"command", "cmd"} or (single and self.reading.carrier is None):
                found = _verb_of_value(text, method=last in _METHOD_KEYS or joined == "httpmethod")
                if found is not None:
                    verb, word = found
                    self._finding(verb, f"argument {joined!r} is {word!r}")
                    return
        if joined in _SHELL_KEYS or last in _SHELL_KEYS or joined in {"commandline", "cmdline"}:
            if last == "script" and self.reading.carrier == "code":
                self._finding(Verb.UNKNOWN, "the tool runs code Interlock cannot analyse")
                return
            self._shell(text)
            return
        if last in _CODE_KEYS and self.reading.carrier == "code":
            self._finding(Verb.UNKNOWN, "the tool runs code Interlock cannot analyse")
            return
        if last in _TASK_KEYS and self.reading.runs_named_task:
            stems = [x for x in split_words(text[:200]) if w.verb_of_word(x) is Verb.DESTRUCTIVE]
            if stems:
                self._finding(Verb.DESTRUCTIVE, f"the task it runs is named {stems[0]!r}")
        if last in _PATH_KEYS and self.reading.verb in {Verb.WRITE, None}:
            path = text.strip()
            if path.startswith("/dev/") and path not in _SAFE_DEVICES:
                self._finding(Verb.DESTRUCTIVE, "a write aimed at a device file", content=False)
            elif is_critical_path(path):
                self._finding(
                    Verb.DESTRUCTIVE,
                    f"a write aimed at {path}, a system or credential file",
                    content=False,
                )
        for kind in _MANIFEST_KIND.findall(text[:MAX_JSON_STRING]):
            subject = privilege_subject(split_words(kind))
            if subject is not None:
                self._finding(Verb.PRIVILEGE, f"the manifest creates or changes a {kind}")
        stripped = text.lstrip()
        if stripped[:1] in {"{", "["} and len(text) <= MAX_JSON_STRING:
            try:
                parsed = json.loads(text)
            except ValueError:
                return
            self.walk(parsed, key, level + 1)

    def _query(self, text: str) -> None:
        """A `query` may be GraphQL, SQL, search text or another query language."""
        if _looks_like_graphql(text):
            self._nested("graphql", {"query": text}, "graphql query")
            return
        if self.reading.natural_language:
            return
        if self.reading.sql_tool or _parses_as_sql(text):
            self._nested("sql", text, "sql query")
            return
        words = set(split_words(text[:4096]))
        destructive = sorted(words & _QUERY_DESTRUCTIVE)
        if destructive:
            self._finding(
                Verb.UNKNOWN,
                f"query in a language Interlock cannot parse says {destructive[0]!r}",
            )
        elif words & _QUERY_WRITE:
            self._finding(Verb.WRITE, "query in a language Interlock cannot parse writes")

    def _shell(self, text: str) -> None:
        program = self.reading.program
        line = text
        if program and program not in _SHELL_PROGRAMS:
            first = text.split(None, 1)[0] if text.split() else ""
            if first != program:
                line = f"{program} {text}"
        self._nested("shell", line, "shell command")


def inspect_arguments(arguments: object, reading: NameReading, depth: int) -> Inspection:
    """Walk `arguments` for embedded operations, verb-carrying values and targets."""
    walker = _Walker(reading, depth)
    walker.walk(arguments, (), 0)
    return walker.out
