"""Judging Python source by what it calls, with the standard library's `ast`.

The reader resolves each call's name through the script's imports and looks it up in
`python.toml`: commands it runs go to the shell classifier, SQL and HTTP with literal
arguments to those classifiers, deletions and writes to the path judgement of `_places`.
Dynamic features (`exec`, `eval`, `getattr` with a computed name, `__import__` of a computed
name) make the result unknown, since what they run cannot be read. Every function body is
read as if it ran: a script may call any of them.

Paths are followed as far as they are fixed in the code: literals, joins, `Path(…) / …`,
names assigned once, `__file__`, and anything made by `tempfile` (scratch).
"""

from __future__ import annotations

import ast
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from importlib import resources

from interlock.classify.code._findings import TEMP, CodeSink, Findings, PathValue
from interlock.model import Action, Verb

MAX_SOURCE_CHARS = 200_000
MAX_NODES = 80_000

_DATA = tomllib.loads(resources.files(__package__).joinpath("python.toml").read_text("utf-8"))
_CALLS = {key: frozenset(values) for key, values in _DATA["calls"].items()}
_KNOWN = frozenset().union(*_CALLS.values()) | {
    "open", "io.open", "codecs.open", "builtins.open", "getattr", "__import__",
    "importlib.import_module",
}  # fmt: skip
_SQL_METHODS = frozenset(_DATA["methods"]["sql"])
_DESTRUCTIVE_METHODS = frozenset(_DATA["methods"]["destructive"])
_DESTRUCTIVE_PREFIXES = tuple(_DATA["methods"]["destructive_prefixes"])
_HARMLESS_METHODS = frozenset(_DATA["methods"]["harmless"])
_SCRATCH_DATABASES = tuple(_DATA["scratch"]["databases"])
_DATABASE_SERVERS = tuple(_DATA["scratch"]["servers"])
_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
_TEMP_FIXTURES = frozenset({"tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory"})
_PLACEHOLDER = "$INTERLOCK_RUNTIME_VALUE"
_PYTHON = "\0python"  # `sys.executable` in an argument vector
# Helpers that only convert a path between str and bytes (`six.text_type(path)`).
_TEXT_CONVERSIONS = ("six.text_type", "upath", "force_str", "force_text", "smart_str")


def _nodes(tree: ast.AST) -> list[ast.AST] | None:
    """Every node of `tree` in breadth-first order, or None past `MAX_NODES` (one pass,
    without the generator overhead of `ast.walk`)."""
    out: list[ast.AST] = [tree]
    index = 0
    while index < len(out):
        node = out[index]
        index += 1
        for name in node._fields:
            if name == "ctx":
                continue  # Load/Store markers: a third of all nodes, never a call
            value = getattr(node, name, None)
            if isinstance(value, list):
                out.extend(v for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                out.append(value)
        if len(out) > MAX_NODES:
            return None
    return out


@dataclass(slots=True, kw_only=True)
class _Reader(Findings):
    tree: ast.Module
    source: str
    nodes: list[ast.AST] = field(default_factory=list)
    shell_seen: dict[str, list[Action]] = field(default_factory=dict)
    star_modules: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    assigned: dict[str, list[ast.expr]] = field(default_factory=dict)
    temp_names: set[str] = field(default_factory=set)
    scratch_database: bool = False

    # -- names ----------------------------------------------------------------------------

    def collect(self) -> None:
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.aliases[local] = alias.name if alias.asname else local
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name == "*":
                        self.star_modules.append(node.module)
                        continue
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.assigned.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(
                node.target, ast.Name
            ):
                if node.value is not None:
                    self.assigned.setdefault(node.target.id, []).append(node.value)
                    if isinstance(node, ast.AugAssign):
                        self.assigned[node.target.id].append(node.value)
            elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                if self._is_tempfile(node.context_expr):
                    self.temp_names.add(node.optional_vars.id)
            elif isinstance(node, ast.arg) and node.arg in _TEMP_FIXTURES:
                self.temp_names.add(node.arg)
        for name, values in self.assigned.items():
            if any(self._is_tempfile(v) for v in values):
                self.temp_names.add(name)
        text = self.source
        self.scratch_database = any(s in text for s in _SCRATCH_DATABASES) and not any(
            s in text for s in _DATABASE_SERVERS
        )

    def dotted(self, node: ast.expr, depth: int = 0) -> str | None:
        """`shutil.rmtree`, `os.path.join`, … for a name or attribute chain, via imports,
        star imports, names bound to such a chain (`f = os.system`) and `getattr(x, "n")`."""
        if depth > 8:
            return None
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            for value in self.assigned.get(node.id, []):
                if isinstance(value, ast.Name | ast.Attribute | ast.Call):
                    bound = self.dotted(value, depth + 1)
                    if bound is not None and bound in _KNOWN:
                        return bound
            for module in self.star_modules:
                if f"{module}.{node.id}" in _KNOWN:
                    return f"{module}.{node.id}"
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value, depth + 1)
            return None if base is None else f"{base}.{node.attr}"
        if not isinstance(node, ast.Call) or not node.args:
            return None
        function = self.dotted(node.func, depth + 1)
        if function in ("__import__", "importlib.import_module"):
            return self.text(node.args[0])  # `__import__("os")` is the module os
        if function in ("getattr", "builtins.getattr") and len(node.args) >= 2:
            name = self.text(node.args[1])
            base = self.dotted(node.args[0], depth + 1)
            if name is not None and base is not None:
                return f"{base}.{name}"
        return None

    def _is_tempfile(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Call):
            name = self.dotted(node.func) or ""
            if name.startswith("tempfile."):
                return True
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("mktemp", "mkdir"):
                return self.path(node.func.value) is TEMP
        if isinstance(node, ast.Attribute) and node.attr == "name":
            return self._is_tempfile(node.value)
        return False

    # -- values ---------------------------------------------------------------------------

    def text(self, node: ast.expr | None, depth: int = 0) -> str | None:
        """The string an expression always has, or None when it is computed."""
        if node is None or depth > 8:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            values = self.assigned.get(node.id, [])
            if len(values) == 1:
                return self.text(values[0], depth + 1)
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.text(node.left, depth + 1), self.text(node.right, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(node, ast.JoinedStr):
            parts = [self.text(v, depth + 1) if not isinstance(v, ast.Constant) else str(v.value)
                     for v in node.values]  # fmt: skip
            return None if None in parts else "".join(p or "" for p in parts)
        if isinstance(node, ast.FormattedValue):
            return self.text(node.value, depth + 1)
        if isinstance(node, ast.Call) and self.dotted(node.func) in (
            "sqlalchemy.text", "sqlalchemy.sql.text", "text", "psycopg2.sql.SQL", "str"
        ):  # fmt: skip
            return self.text(node.args[0], depth + 1) if node.args else None
        return None

    def shell_text(self, node: ast.expr) -> str:
        """Shell text for a string whose computed parts become run-time placeholders."""
        if isinstance(node, ast.JoinedStr):
            out = []
            for value in node.values:
                if isinstance(value, ast.Constant):
                    out.append(str(value.value))
                else:
                    fixed = self.text(value)
                    out.append(fixed if fixed is not None else _PLACEHOLDER)
            return "".join(out)
        fixed = self.text(node)
        return fixed if fixed is not None else _PLACEHOLDER

    def path(self, node: ast.expr | None, depth: int = 0) -> PathValue:
        """Where a path expression points: a fixed path, TEMP, or None when computed."""
        if node is None or depth > 8:
            return None
        if isinstance(node, ast.Name):
            if node.id in self.temp_names:
                return TEMP
            if node.id == "__file__":
                return self.sink.script_path
            values = self.assigned.get(node.id, [])
            return self.path(values[0], depth + 1) if len(values) == 1 else None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if self._is_tempfile(node):
            return TEMP
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.Add):
            left = self.path(node.left, depth + 1)
            if left is TEMP:
                return TEMP
            right = self.text(node.right)
            if isinstance(left, str) and right is not None:
                sep = "/" if isinstance(node.op, ast.Div) else ""
                return left.rstrip("/") + sep + right if sep else left + right
            return None
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.FormattedValue) and self.path(first.value, depth + 1) is TEMP:
                return TEMP
            return self.text(node)
        if isinstance(node, ast.Attribute):
            base = self.path(node.value, depth + 1)
            if node.attr == "parent" and isinstance(base, str):
                return base.rsplit("/", 1)[0] or "/"
            if node.attr == "name" and base is TEMP:
                return TEMP
            return None
        if isinstance(node, ast.Call):
            return self._call_path(node, depth)
        return None

    def _call_path(self, node: ast.Call, depth: int) -> PathValue:
        name = self.dotted(node.func) or ""
        args = node.args
        if name in ("os.path.join", "posixpath.join", "os.path.normpath", "os.path.abspath",
                    "os.path.realpath", "pathlib.Path", "pathlib.PurePath", "Path",
                    "pathlib.PosixPath", "os.fspath", "str", "os.path.expanduser",
                    "unicode", "os.fsencode", "os.fsdecode") or name.endswith(
            _TEXT_CONVERSIONS
        ):  # fmt: skip
            if not args:
                return "." if name.endswith("Path") else None
            parts = [self.path(a, depth + 1) for a in args]
            if parts[0] is TEMP:
                return TEMP
            fixed = [p for p in parts if isinstance(p, str)]
            if len(fixed) != len(parts):
                return None
            joined = fixed[0]
            for part in fixed[1:]:
                joined = part if part.startswith("/") else joined.rstrip("/") + "/" + part
            return joined
        if name in ("os.path.dirname",) and args:
            inner = self.path(args[0], depth + 1)
            # The directory holding a temporary one is the temp root itself: not scratch.
            return inner.rsplit("/", 1)[0] or "/" if isinstance(inner, str) else None
        if (
            len(args) == 1
            and isinstance(args[0], ast.Name)
            and args[0].id == "__file__"
            and not name.startswith(("os.path.dirname", "os.path.basename"))
        ):
            return self.sink.script_path  # `upath(__file__)`, `str(__file__)`: the script
        if name in ("os.getcwd", "pathlib.Path.cwd", "Path.cwd"):
            return "."
        if name == "tempfile.gettempdir":
            return TEMP
        if isinstance(node.func, ast.Attribute) and node.func.attr in (
            "resolve", "absolute", "expanduser", "joinpath", "with_suffix", "with_name"
        ):  # fmt: skip
            base = self.path(node.func.value, depth + 1)
            if node.func.attr == "joinpath" and isinstance(base, str):
                tail = [self.text(a) for a in args]
                return None if None in tail else "/".join([base, *(t or "" for t in tail)])
            if node.func.attr in ("with_suffix", "with_name"):
                return TEMP if base is TEMP else None
            return base
        return None

    # -- calls ----------------------------------------------------------------------------

    def judge(self) -> None:
        for node in self.nodes:
            if isinstance(node, ast.Call):
                self.call(node)

    def call(self, node: ast.Call) -> None:
        name = self.dotted(node.func)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if _reaches_by_name(node.func, self):
            reason = f"{self.sink.label} reaches a function through a namespace by name"
            self.add("python dynamic", Verb.UNKNOWN, reason)
            return
        if name is not None and self._call_by_name(name, node):
            return
        if method is not None:
            self._call_by_method(method, node)

    def _call_by_name(self, name: str, node: ast.Call) -> bool:
        calls = _CALLS
        args = node.args
        if name in calls["dynamic"]:
            self.add(
                "python dynamic",
                Verb.UNKNOWN,
                f"{self.sink.label} calls {name}, which runs code Interlock cannot read",
            )
            return True
        if name in ("__import__", "importlib.import_module", "importlib.__import__"):
            if not args or self.text(args[0]) is None:
                self.add(
                    "python dynamic",
                    Verb.UNKNOWN,
                    f"{self.sink.label} imports a module whose name is computed",
                )
            return True
        if name in ("getattr", "builtins.getattr"):
            if len(args) < 2 or self.text(args[1]) is None:
                self.add(
                    "python dynamic",
                    Verb.UNKNOWN,
                    f"{self.sink.label} reaches an attribute by a computed name ({name})",
                )
            return True
        if name in calls["run"]:
            self._run(name, node)
            return True
        if name in calls["run_argv"]:
            argv = ast.List(elts=list(args), ctx=ast.Load())
            self._run(name, ast.Call(func=node.func, args=[argv], keywords=[]))
            return True
        if name in calls["delete"] or name in calls["delete_tree"]:
            self._delete(
                name, args[0] if args else _keyword(node, "path"), name in calls["delete_tree"]
            )
            return True
        if name in calls["write_destination"]:
            target = args[1] if len(args) > 1 else _keyword(node, "dst")
            self._overwrite(name, target)
            if name in ("shutil.move", "os.rename", "os.renames", "os.replace") and args:
                self._delete(name, args[0], recursive=True, moving=True)
            return True
        if name in calls["permissions"]:
            self._overwrite(name, args[0] if args else None)
            return True
        if name in calls["signal"]:
            self.add(name, Verb.WRITE, f"{self.sink.label} sends a signal to a process ({name})")
            return True
        if name in calls["http"]:
            self._http(name, node)
            return True
        if name in ("open", "io.open", "codecs.open", "builtins.open"):
            mode = self.text(args[1]) if len(args) > 1 else self.text(_keyword(node, "mode"))
            if mode is None and (len(args) > 1 or _keyword(node, "mode") is not None):
                mode = "w"  # a computed mode could be any
            if mode is not None and any(ch in mode for ch in "wax+"):
                self._overwrite("open", args[0] if args else _keyword(node, "file"))
            return True
        return False

    def _call_by_method(self, method: str, node: ast.Call) -> None:
        args = node.args
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        if method in ("unlink", "rmdir") and receiver is not None and not args:
            place = self.path(receiver)
            if place is not None or _looks_like_path(receiver, self):
                self._delete(f"Path.{method}", receiver, recursive=False)
            return
        if method in ("write_text", "write_bytes", "touch") and receiver is not None:
            if self.path(receiver) is not None or _looks_like_path(receiver, self):
                self._overwrite(f"Path.{method}", receiver)
            return
        if method in _SQL_METHODS and args:
            self._sql(method, args[0])
            return
        if method in _HARMLESS_METHODS:
            return
        if method in _DESTRUCTIVE_METHODS or method.startswith(_DESTRUCTIVE_PREFIXES):
            first = self.text(args[0]) if args else None
            if method == "delete" and first is not None and first.startswith(("/", "http")):
                self._client_request("DELETE", first)
                return
            if self.scratch_database:
                self.add(
                    f"python {method}",
                    Verb.WRITE,
                    f"{self.sink.label} calls .{method}() on a database in memory (scratch)",
                )
                return
            self.add(
                f"python {method}",
                Verb.DESTRUCTIVE,
                f"{self.sink.label} calls .{method}(), which deletes data",
            )
            return
        if method in _HTTP_VERBS and args:
            url = self.text(args[0])
            if url is not None and url.startswith(("http://", "https://")):
                self._client_request(method.upper(), url)

    # -- effects --------------------------------------------------------------------------

    def _run(self, name: str, node: ast.Call) -> None:
        args = node.args
        command = args[0] if args else _keyword(node, "args")
        via = f"{self.sink.label} ({name})"
        if name in ("os.execv", "os.execvp", "os.execvpe", "os.execve", "os.spawnv", "os.spawnvp",
                    "os.posix_spawn", "os.posix_spawnp") and len(args) > 1:  # fmt: skip
            command = args[1]
        if name in ("os.execl", "os.execlp", "os.execle", "os.execlpe", "os.spawnl", "os.spawnlp",
                    "asyncio.create_subprocess_exec"):  # fmt: skip
            command = ast.List(
                elts=list(args[1:] if name.startswith("os.") else args), ctx=ast.Load()
            )
        if command is None:
            self.add("python run", Verb.UNKNOWN, f"{via} runs a command Interlock cannot see")
            return
        argv = self.argv(command)
        if argv is not None:
            if self._runs_itself(argv):
                return  # the script starting itself again: nothing it has not already done
            text = " ".join(
                "python"
                if w == _PYTHON
                else (shlex.quote(w) if w is not None else f'"{_PLACEHOLDER}"')
                for w in argv
            )
        else:
            text = self.shell_text(command)
        if text.startswith(_PLACEHOLDER) or text.startswith(f'"{_PLACEHOLDER}"'):
            self.add("python run", Verb.UNKNOWN, f"{via} runs a command built at run time")
            return
        if text not in self.shell_seen:  # the same command run from many places
            self.shell_seen[text] = self.sink.shell(text, via)
            self.extend(self.shell_seen[text])

    def argv(self, node: ast.expr, depth: int = 0) -> list[str | None] | None:
        """The words of a list-valued expression (None for a word computed at run time), or
        None when the expression is not a list: `[sys.executable, __file__, "-v"]`, a name
        bound once to a list, `base + extra` (its unknown tail as one run-time word)."""
        if depth > 8:
            return None
        if isinstance(node, ast.List | ast.Tuple):
            words: list[str | None] = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    words.append(None)
                elif self.dotted(element) == "sys.executable":
                    words.append(_PYTHON)
                else:
                    fixed = self.text(element)
                    if fixed is None and self.path(element) == self.sink.script_path is not None:
                        fixed = self.sink.script_path
                    words.append(fixed)
            return words
        if isinstance(node, ast.Name):
            values = self.assigned.get(node.id, [])
            return self.argv(values[0], depth + 1) if len(values) == 1 else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.argv(node.left, depth + 1)
            if left is None:
                return None
            right = self.argv(node.right, depth + 1)
            return left + (right if right is not None else [None])
        return None

    def _runs_itself(self, argv: list[str | None]) -> bool:
        script = self.sink.script_path
        return (
            script is not None
            and len(argv) > 1
            and (argv[0] == _PYTHON or (argv[0] or "").startswith("python"))
            and argv[1] == script
        )

    def _delete(
        self, name: str, target: ast.expr | None, recursive: bool, moving: bool = False
    ) -> None:
        self.deletes(name, self.path(target), recursive, moving)

    def _overwrite(self, name: str, target: ast.expr | None) -> None:
        self.overwrites(name, self.path(target))

    def _sql(self, method: str, node: ast.expr) -> None:
        if self.scratch_database:
            return
        sql = self.text(node)
        if sql is None:
            self.add(
                "python sql",
                Verb.UNKNOWN,
                f"{self.sink.label} runs SQL built at run time (.{method})",
            )
            return
        self.extend(self.sink.nested("sql", sql))

    def _http(self, name: str, node: ast.Call) -> None:
        args = node.args
        method = name.rsplit(".", 1)[-1].upper()
        url_node = args[0] if args else _keyword(node, "url")
        if method == "REQUEST":
            method = (self.text(args[0]) or "").upper() if args else ""
            url_node = args[1] if len(args) > 1 else _keyword(node, "url")
        elif method in ("URLOPEN", "REQUEST") or name.endswith("Request"):
            method = (self.text(_keyword(node, "method")) or "").upper()
            method = method or (
                "POST" if _keyword(node, "data") is not None or len(args) > 1 else "GET"
            )
        url = self.text(url_node)
        if url is None or not method:
            if method in ("GET", "HEAD", "OPTIONS"):
                self.add(
                    "python http", Verb.READ, f"{self.sink.label} fetches a URL named at run time"
                )
            else:
                self.add(
                    "python http",
                    Verb.UNKNOWN,
                    f"{self.sink.label} sends an HTTP request Interlock cannot see in full",
                )
            return
        self._client_request(method, url)

    def _client_request(self, method: str, url: str) -> None:
        if not url.startswith(("http://", "https://")):
            verb = Verb.READ if method in ("GET", "HEAD", "OPTIONS") else Verb.WRITE
            self.add(
                "python test client",
                verb,
                f"{self.sink.label} calls {method} {url} on a test client",
            )
            return
        self.extend(self.sink.nested("http", {"method": method, "url": url, "headers": {}}))


_NAMESPACES = frozenset(
    {"vars", "globals", "locals", "sys.modules", "builtins.__dict__", "__builtins__"}
)


def _reaches_by_name(func: ast.expr, reader: _Reader) -> bool:
    """`sys.modules["os"].system(...)`, `vars(os)["system"](...)`, `x.__dict__[n](...)`:
    a function found in a namespace by a name, which the reader cannot follow."""
    node = func.value if isinstance(func, ast.Attribute) else func
    while isinstance(node, ast.Attribute | ast.Call):
        node = node.value if isinstance(node, ast.Attribute) else node.func
        if isinstance(node, ast.Subscript):
            break
    if not isinstance(node, ast.Subscript):
        return False
    container = node.value
    if isinstance(container, ast.Call):
        container = container.func
    name = reader.dotted(container) or ""
    return name in _NAMESPACES or name.endswith(("__dict__", ".modules")) or "__" in name


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    for keyword in node.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _looks_like_path(node: ast.expr, reader: _Reader) -> bool:
    """`Path(x)`, `p / "a"`, names built from them: a pathlib object, even when computed."""
    if isinstance(node, ast.Call):
        return (reader.dotted(node.func) or "").endswith(("Path", "PurePath", "PosixPath"))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return True
    if isinstance(node, ast.Name):
        values = reader.assigned.get(node.id, [])
        return any(_looks_like_path(v, reader) for v in values[:1])
    return False


def judge_python(source: str, sink: CodeSink) -> list[Action]:
    """Every effect Interlock can see in `source`; at least one action, never raises."""
    label = sink.label
    if len(source) > MAX_SOURCE_CHARS:
        return [sink.action("python", Verb.UNKNOWN, f"{label}: the code is too large to read", ())]
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return [
            sink.action("python", Verb.UNKNOWN, f"{label}: the code does not parse as Python 3", ())
        ]
    nodes = _nodes(tree)
    if nodes is None:
        return [sink.action("python", Verb.UNKNOWN, f"{label}: the code is too large to read", ())]
    reader = _Reader(sink=sink, tree=tree, source=source, nodes=nodes)
    try:
        reader.collect()
        if sink.imports is not None:
            sink.imports.extend(_top_level_imports(nodes))
        reader.judge()
    except RecursionError:
        return [
            sink.action(
                "python", Verb.UNKNOWN, f"{label}: the code is too deeply nested to read", ()
            )
        ]
    if not reader.actions:
        reason = (
            f"{label} runs Python code that deletes nothing, runs no command and sends no "
            "request Interlock can see"
        )
        return [sink.action("python", Verb.WRITE, reason, ())]
    return reader.actions


def _top_level_imports(nodes: list[ast.AST]) -> list[str]:
    """The first component of every absolute import (`import helpers`, `from util import x`)."""
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names.extend(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module.split(".")[0])
    return list(dict.fromkeys(names))


_MANAGE_CALL = re.compile(r"\bexecute_from_command_line\s*\(")


def framework_command(source: str) -> str | None:
    """The framework command line a script hands its arguments to (Django's manage.py)."""
    if _MANAGE_CALL.search(source):
        return "django-admin"
    return None
