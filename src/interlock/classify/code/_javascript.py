"""Judging JavaScript source by what it calls, with tree-sitter's JavaScript grammar.

The same reading as for Python (`_python`): calls are resolved through `require`, `import`
and destructuring, then looked up in `javascript.toml`. Commands go to the shell classifier,
literal SQL and HTTP to theirs, deletions and writes to the path judgement; `eval`,
`new Function`, `vm`, `require`/`import()` of a computed name and calls through a computed
property (`obj[name]()`) make the result unknown. Code that does not parse as JavaScript
(TypeScript's type annotations included) is unknown.

The grammar is the `tree-sitter-javascript` package; without it JavaScript stays unknown.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from importlib import resources

from interlock.classify.code._findings import TEMP, CodeSink, Findings
from interlock.model import Action, Verb

try:  # an optional grammar: without it, JavaScript is not read
    import tree_sitter
    import tree_sitter_javascript  # type: ignore[import-not-found, unused-ignore]

    _PARSER: tree_sitter.Parser | None = tree_sitter.Parser(
        tree_sitter.Language(tree_sitter_javascript.language())
    )
except ImportError:  # pragma: no cover - depends on the installation
    _PARSER = None

MAX_SOURCE_CHARS = 200_000
MAX_NODES = 80_000

_DATA = tomllib.loads(resources.files(__package__).joinpath("javascript.toml").read_text("utf-8"))
_CALLS = {key: frozenset(values) for key, values in _DATA["calls"].items()}
_SQL_METHODS = frozenset(_DATA["methods"]["sql"])
_PY = tomllib.loads(resources.files(__package__).joinpath("python.toml").read_text("utf-8"))
_DESTRUCTIVE_METHODS = frozenset(_PY["methods"]["destructive"]) | frozenset(
    _DATA["methods"]["destructive"]
)
_DESTRUCTIVE_PREFIXES = tuple(_PY["methods"]["destructive_prefixes"])
_HARMLESS_METHODS = frozenset(_PY["methods"]["harmless"])
_SCRATCH_DATABASES = tuple(_PY["scratch"]["databases"])
_DATABASE_SERVERS = tuple(_PY["scratch"]["servers"])
_SQL_START = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|WITH|PRAGMA|BEGIN|COMMIT|"
    r"GRANT|REVOKE|REPLACE|MERGE|VACUUM|EXPLAIN|SHOW|SET|COPY|RENAME)\b",
    re.IGNORECASE,
)
_PLACEHOLDER = "$INTERLOCK_RUNTIME_VALUE"
# Method names distinctive enough to mean their module's function on any receiver.
_MODULE_OF_METHOD = {
    **dict.fromkeys(
        ["exec", "execSync", "spawn", "spawnSync", "execFile", "execFileSync"], "child_process"
    ),
    **dict.fromkeys(
        ["rm", "rmSync", "rmdir", "rmdirSync", "unlink", "unlinkSync", "writeFile",
         "writeFileSync", "appendFile", "appendFileSync", "copyFile", "copyFileSync",
         "rename", "renameSync", "cp", "cpSync", "truncate", "truncateSync", "chmod",
         "chmodSync"],
        "fs",
    ),
}  # fmt: skip


def javascript_available() -> bool:
    return _PARSER is not None


def _module_name(spec: str) -> str:
    name = spec.removeprefix("node:")
    return "fs.promises" if name == "fs/promises" else name


@dataclass(slots=True, kw_only=True)
class _Reader(Findings):
    source: bytes
    aliases: dict[str, str] = field(default_factory=dict)
    values: dict[str, list[tree_sitter.Node]] = field(default_factory=dict)
    scratch_database: bool = False

    def text_of(self, node: tree_sitter.Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # -- bindings ---------------------------------------------------------------------------

    def collect(self, nodes: list[tree_sitter.Node]) -> None:
        for node in nodes:
            kind = node.type
            if kind == "variable_declarator":
                self._declarator(node)
            elif kind == "import_statement":
                self._import(node)
            elif kind == "assignment_expression":
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                if left is not None and right is not None and left.type == "identifier":
                    self.values.setdefault(self.text_of(left), []).append(right)

    def _declarator(self, node: tree_sitter.Node) -> None:
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name is None or value is None:
            return
        module = self.required(value)
        if name.type == "identifier":
            local = self.text_of(name)
            if module is not None:
                self.aliases[local] = module
            self.values.setdefault(local, []).append(value)
        elif name.type == "object_pattern" and module is not None:
            for child in name.named_children:
                if child.type == "shorthand_property_identifier_pattern":
                    local = self.text_of(child)
                    self.aliases[local] = f"{module}.{local}"
                elif child.type == "pair_pattern":
                    key = child.child_by_field_name("key")
                    target = child.child_by_field_name("value")
                    if key is not None and target is not None and target.type == "identifier":
                        self.aliases[self.text_of(target)] = f"{module}.{self.text_of(key)}"

    def _import(self, node: tree_sitter.Node) -> None:
        source = node.child_by_field_name("source")
        if source is None:
            return
        spec = self.string(source)
        if spec is None:
            return
        module = _module_name(spec)
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":  # default import
                    self.aliases[self.text_of(part)] = module
                elif part.type == "namespace_import":
                    for ident in part.named_children:
                        self.aliases[self.text_of(ident)] = module
                elif part.type == "named_imports":
                    for spec_node in part.named_children:
                        imported = spec_node.child_by_field_name("name")
                        local = spec_node.child_by_field_name("alias") or imported
                        if imported is not None and local is not None:
                            self.aliases[self.text_of(local)] = f"{module}.{self.text_of(imported)}"

    def required(self, node: tree_sitter.Node) -> str | None:
        """The module of `require("m")` / `await import("m")` (`node:fs` is `fs`)."""
        if node.type == "await_expression" and node.named_children:
            node = node.named_children[0]
        if node.type != "call_expression":
            return None
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None or arguments is None or not arguments.named_children:
            return None
        if function.type == "import" or self.text_of(function) == "require":
            spec = self.string(arguments.named_children[0])
            return _module_name(spec) if spec is not None else None
        return None

    # -- values -----------------------------------------------------------------------------

    def string(self, node: tree_sitter.Node | None, depth: int = 0) -> str | None:
        """The string an expression always has, or None when it is computed."""
        if node is None or depth > 8:
            return None
        kind = node.type
        if kind == "string":
            return "".join(
                self.text_of(c) if c.type == "string_fragment" else _escape(self.text_of(c))
                for c in node.named_children
            )
        if kind == "template_string":
            parts = []
            for child in node.named_children:
                if child.type == "template_substitution":
                    inner = child.named_children[0] if child.named_children else None
                    fixed = self.string(inner, depth + 1)
                    if fixed is None:
                        return None
                    parts.append(fixed)
                elif child.type == "escape_sequence":
                    parts.append(_escape(self.text_of(child)))
                else:
                    parts.append(self.text_of(child))
            return "".join(parts)
        if kind == "identifier":
            bound = self.values.get(self.text_of(node), [])
            return self.string(bound[0], depth + 1) if len(bound) == 1 else None
        if kind == "binary_expression":
            left = self.string(node.child_by_field_name("left"), depth + 1)
            right = self.string(node.child_by_field_name("right"), depth + 1)
            operator = node.child_by_field_name("operator")
            if operator is not None and self.text_of(operator) == "+" and None not in (left, right):
                return (left or "") + (right or "")
            return None
        if kind == "parenthesized_expression" and node.named_children:
            return self.string(node.named_children[0], depth + 1)
        return None

    def shell_text(self, node: tree_sitter.Node) -> str:
        """Shell text for a string whose computed parts become run-time placeholders."""
        if node.type == "template_string":
            parts = []
            for child in node.named_children:
                if child.type == "template_substitution":
                    inner = child.named_children[0] if child.named_children else None
                    fixed = self.string(inner)
                    parts.append(fixed if fixed is not None else _PLACEHOLDER)
                else:
                    parts.append(self.text_of(child))
            return "".join(parts)
        fixed = self.string(node)
        return fixed if fixed is not None else _PLACEHOLDER

    def path(self, node: tree_sitter.Node | None, depth: int = 0) -> object:
        """A fixed path, TEMP (made by `os.tmpdir()`/`mkdtemp`), or None when computed."""
        if node is None or depth > 8:
            return None
        kind = node.type
        if kind == "identifier":
            name = self.text_of(node)
            if name == "__dirname" and self.sink.script_path:
                return self.sink.script_path.rsplit("/", 1)[0] or "/"
            bound = self.values.get(name, [])
            return self.path(bound[0], depth + 1) if len(bound) == 1 else None
        if kind == "call_expression":
            name = self.dotted(node.child_by_field_name("function")) or ""
            arguments = node.child_by_field_name("arguments")
            args = arguments.named_children if arguments is not None else []
            if name in ("os.tmpdir", "fs.mkdtempSync", "fs.promises.mkdtemp", "fs.mkdtemp"):
                return TEMP
            if name in ("path.join", "path.resolve", "path.posix.join") and args:
                parts = [self.path(a, depth + 1) for a in args]
                if parts[0] is TEMP:
                    return TEMP
                if all(isinstance(p, str) for p in parts):
                    joined = ""
                    for part in parts:
                        assert isinstance(part, str)
                        joined = part if part.startswith("/") or not joined else joined + "/" + part
                    return joined
            return None
        if kind == "template_string" and node.named_children:
            first = node.named_children[0]
            inner = first.named_children[0] if first.named_children else None
            if first.type == "template_substitution" and self.path(inner, depth + 1) is TEMP:
                return TEMP
        return self.string(node, depth + 1)

    # -- calls ------------------------------------------------------------------------------

    def dotted(self, node: tree_sitter.Node | None, depth: int = 0) -> str | None:
        if node is None or depth > 8:
            return None
        kind = node.type
        if kind == "identifier":
            name = self.text_of(node)
            if name in self.aliases:
                return self.aliases[name]
            bound = self.values.get(name, [])
            if len(bound) == 1 and bound[0].type in ("member_expression", "identifier"):
                return self.dotted(bound[0], depth + 1) or name
            return name
        if kind == "member_expression":
            base = self.dotted(node.child_by_field_name("object"), depth + 1)
            prop = node.child_by_field_name("property")
            if base is None or prop is None:
                return None
            return f"{base}.{self.text_of(prop)}"
        if kind == "subscript_expression":
            base = self.dotted(node.child_by_field_name("object"), depth + 1)
            index = self.string(node.child_by_field_name("index"))
            return None if base is None or index is None else f"{base}.{index}"
        if kind == "call_expression":
            return self.required(node)
        if kind == "parenthesized_expression" and node.named_children:
            return self.dotted(node.named_children[-1], depth + 1)
        return None

    def call(self, node: tree_sitter.Node) -> None:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        args = [a for a in (arguments.named_children if arguments is not None else [])
                if a.type != "comment"]  # fmt: skip
        if function is None:
            return
        label = self.sink.label
        if function.type == "import" or self.text_of(function) == "require":
            if not args or self.string(args[0]) is None:
                self.add(
                    "javascript dynamic",
                    Verb.UNKNOWN,
                    f"{label} loads a module whose name is computed",
                )
            return
        if (
            function.type == "subscript_expression"
            and self.string(function.child_by_field_name("index")) is None
        ):
            self.add(
                "javascript dynamic",
                Verb.UNKNOWN,
                f"{label} calls a function through a computed property",
            )
            return
        name = self.dotted(function)
        method = None
        if function.type == "member_expression":
            prop = function.child_by_field_name("property")
            method = self.text_of(prop) if prop is not None else None
        if name is not None and self._call_by_name(name, args, node):
            return
        if method is not None:
            # A module object handed through a callback or a promise (`import("fs").then(m =>
            # m.rmSync(...))`) has no name here: its distinctive methods still mean the same.
            module = _MODULE_OF_METHOD.get(method)
            literal_first = bool(args) and args[0].type in ("string", "template_string")
            if module is not None and (method not in ("exec", "spawn") or literal_first):
                self._call_by_name(f"{module}.{method}", args, node)
                return
            self._call_by_method(method, args)

    def _call_by_name(
        self, name: str, args: list[tree_sitter.Node], node: tree_sitter.Node
    ) -> bool:
        calls = _CALLS
        label = self.sink.label
        if name in calls["dynamic"]:
            self.add(
                "javascript dynamic",
                Verb.UNKNOWN,
                f"{label} calls {name}, which runs code Interlock cannot read",
            )
            return True
        if name in calls["run"]:
            self._run(name, args)
            return True
        if name in calls["delete"] or name in calls["delete_tree"]:
            self._delete(name, args[0] if args else None, name in calls["delete_tree"])
            return True
        if name in calls["write_first"]:
            self._overwrite(name, args[0] if args else None)
            return True
        if name in calls["write_second"]:
            self._overwrite(name, args[1] if len(args) > 1 else None)
            return True
        if name in calls["signal"]:
            self.add(name, Verb.WRITE, f"{label} sends a signal to a process ({name})")
            return True
        if name in calls["http"]:
            self._http(name, args)
            return True
        return False

    def _call_by_method(self, method: str, args: list[tree_sitter.Node]) -> None:
        label = self.sink.label
        if method in _SQL_METHODS and args:
            sql = self.string(args[0])
            if sql is not None and _SQL_START.match(sql):
                if not self.scratch_database:
                    self.extend(self.sink.nested("sql", sql))
            elif sql is None and args[0].type == "template_string":
                text = self.shell_text(args[0])
                if _SQL_START.match(text) and not self.scratch_database:
                    self.add(
                        "javascript sql",
                        Verb.UNKNOWN,
                        f"{label} runs SQL built at run time (.{method})",
                    )
            return
        if method in _HARMLESS_METHODS:
            return
        if method in _DESTRUCTIVE_METHODS or method.startswith(_DESTRUCTIVE_PREFIXES):
            if self.scratch_database:
                self.add(
                    f"javascript {method}",
                    Verb.WRITE,
                    f"{label} calls .{method}() on a database in memory (scratch)",
                )
            else:
                self.add(
                    f"javascript {method}",
                    Verb.DESTRUCTIVE,
                    f"{label} calls .{method}(), which deletes data",
                )

    # -- effects ----------------------------------------------------------------------------

    def _run(self, name: str, args: list[tree_sitter.Node]) -> None:
        via = f"{self.sink.label} ({name})"
        if not args:
            self.add("javascript run", Verb.UNKNOWN, f"{via} runs a command Interlock cannot see")
            return
        text = self.shell_text(args[0])
        if len(args) > 1 and args[1].type == "array" and name.split(".")[-1] in (
            "spawn", "spawnSync", "execFile", "execFileSync", "fork"
        ):  # fmt: skip
            words = [self.string(e) for e in args[1].named_children]
            text += " " + " ".join(
                shlex.quote(w) if w is not None else f'"{_PLACEHOLDER}"' for w in words
            )
        if text.startswith(_PLACEHOLDER):
            self.add("javascript run", Verb.UNKNOWN, f"{via} runs a command built at run time")
            return
        self.extend(self.sink.shell(text, via))

    def _delete(self, name: str, target: tree_sitter.Node | None, recursive: bool) -> None:
        self.deletes(name, self.path(target), recursive)

    def _overwrite(self, name: str, target: tree_sitter.Node | None) -> None:
        self.overwrites(name, self.path(target))

    def _http(self, name: str, args: list[tree_sitter.Node]) -> None:
        label = self.sink.label
        method = name.rsplit(".", 1)[-1].upper() if "." in name else ""
        if method in ("REQUEST", "") or method not in (
            "GET",
            "POST",
            "PUT",
            "PATCH",
            "DELETE",
            "HEAD",
        ):
            method = self._method_option(args[1] if len(args) > 1 else None) or "GET"
            if name.endswith(("request", "axios")) and args and args[0].type == "object":
                method = self._method_option(args[0]) or "GET"
        url = self.string(args[0]) if args else None
        if url is None or not url.startswith(("http://", "https://")):
            if method in ("GET", "HEAD"):
                self.add("javascript http", Verb.READ, f"{label} fetches a URL named at run time")
            else:
                self.add(
                    "javascript http",
                    Verb.UNKNOWN,
                    f"{label} sends an HTTP request Interlock cannot see in full",
                )
            return
        self.extend(self.sink.nested("http", {"method": method, "url": url, "headers": {}}))

    def _method_option(self, node: tree_sitter.Node | None) -> str | None:
        if node is None or node.type != "object":
            return None
        for pair in node.named_children:
            if pair.type != "pair":
                continue
            key = pair.child_by_field_name("key")
            if key is not None and self.text_of(key).strip("'\"") == "method":
                value = self.string(pair.child_by_field_name("value"))
                return value.upper() if value is not None else "UNKNOWN"
        return None


def _escape(text: str) -> str:
    simple = {"\\n": "\n", "\\t": "\t", "\\\\": "\\", "\\'": "'", '\\"': '"', "\\/": "/"}
    return simple.get(text, text[1:] if text.startswith("\\") else text)


def _nodes(root: tree_sitter.Node) -> list[tree_sitter.Node] | None:
    out = [root]
    index = 0
    while index < len(out):
        out.extend(out[index].named_children)
        index += 1
        if len(out) > MAX_NODES:
            return None
    return out


def judge_javascript(source: str, sink: CodeSink) -> list[Action]:
    """Every effect Interlock can see in JavaScript `source`; at least one action."""
    label = sink.label
    if _PARSER is None:
        reason = f"{label} runs JavaScript, which Interlock reads only with tree-sitter-javascript"
        return [sink.action("javascript", Verb.UNKNOWN, reason, ())]
    if len(source) > MAX_SOURCE_CHARS:
        return [
            sink.action("javascript", Verb.UNKNOWN, f"{label}: the code is too large to read", ())
        ]
    data = source.encode("utf-8", "replace")
    tree = _PARSER.parse(data)
    if tree.root_node.has_error:
        reason = f"{label}: the code does not parse as JavaScript"
        return [sink.action("javascript", Verb.UNKNOWN, reason, ())]
    nodes = _nodes(tree.root_node)
    if nodes is None:
        return [
            sink.action("javascript", Verb.UNKNOWN, f"{label}: the code is too large to read", ())
        ]
    reader = _Reader(sink=sink, source=data)
    reader.scratch_database = any(s in source for s in _SCRATCH_DATABASES) and not any(
        s in source for s in _DATABASE_SERVERS
    )
    reader.collect(nodes)
    for node in nodes:
        if node.type == "call_expression":
            reader.call(node)
        elif node.type == "new_expression":
            constructor = node.child_by_field_name("constructor")
            if constructor is not None and reader.dotted(constructor) in ("Function", "vm.Script"):
                reader.add(
                    "javascript dynamic",
                    Verb.UNKNOWN,
                    f"{label} builds code from text (new Function)",
                )
    if not reader.actions:
        reason = (
            f"{label} runs JavaScript that deletes nothing, runs no command and sends no "
            "request Interlock can see"
        )
        return [sink.action("javascript", Verb.WRITE, reason, ())]
    return reader.actions
