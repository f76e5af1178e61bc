"""Commands that run code from a file or from inline text, judged by that code.

`python x.py`, `python -c CODE`, `python -m pkg`, `./tests/runtests.py`, `bash build.sh`,
`make test`, `npm run build` and `pytest` (its conftest.py files) all run code that the
command line does not show. With a workspace (the check's cwd) that code is read, bounded
in size, and judged by its own grammar: Python with `ast` (`interlock.classify.code`), shell
text by this classifier one level deeper, Makefile recipes and package.json scripts as shell.
Without a workspace, or when the file cannot be read, the answer stays `unknown`.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex

from interlock.classify import classify_nested
from interlock.classify.code import (
    CodeSink,
    Workspace,
    command_line_state,
    current_workspace,
    framework_command,
    judge_javascript,
    judge_python,
)
from interlock.classify.shell._context import Context, static_output, stdin_text
from interlock.classify.shell._idioms import substituted_command
from interlock.classify.shell._parse import Command
from interlock.classify.shell._words import Word, literal
from interlock.model import Action, Verb

MAX_MAKE_TARGETS = 16
MAX_SCRIPT_CHARS = 64 * 1024


MAX_IMPORTED_MODULES = 4


def python_source(
    source: str, label: str, ctx: Context, script: str | None = None, *, follow: bool = True
) -> list[Action]:
    """Judge Python `source` (a file's text, `-c` code, a heredoc), and the helper modules
    beside it that it imports (`import helpers` of a `helpers.py` the agent wrote), one level
    deep: their code runs too."""
    sink = _sink(label, ctx, script, imports=[] if follow else None)
    actions = judge_python(source, sink)
    state = command_line_state()
    if not sink.imports or state is None:
        return actions
    directory = posixpath.dirname(script) if script else "."
    followed = 0
    for module in sink.imports:
        candidate = posixpath.join(directory, module + ".py")
        text = state.read_text(candidate) if state.is_file(candidate) else None
        if text is None:
            continue  # a package or an installed module: the project's or a library's code
        followed += 1
        if followed > MAX_IMPORTED_MODULES:
            actions.append(
                ctx.unknown("python", f"{label} imports more helper modules than Interlock reads")
            )
            break
        actions.extend(
            python_source(text, f"{label} (imports {candidate})", ctx, candidate, follow=False)
        )
    return actions


def javascript_source(
    source: str, label: str, ctx: Context, script: str | None = None
) -> list[Action]:
    """Judge JavaScript `source` (a file's text, `node -e` code)."""
    return judge_javascript(source, _sink(label, ctx, script))


def _sink(
    label: str, ctx: Context, script: str | None, *, imports: list[str] | None = None
) -> CodeSink:
    """Where a code reader sends what it finds: actions, shell text, nested languages."""
    workspace = current_workspace()
    script_path = workspace.resolve(script) if workspace is not None and script else script

    def action(operation: str, verb: Verb, reason: str, targets: tuple[str, ...]) -> Action:
        return ctx.action(operation, verb, reason, targets)

    def shell(text: str, via: str) -> list[Action]:
        return ctx.shell(text, via, ctx)

    return CodeSink(
        action=action,
        shell=shell,
        nested=lambda kind, payload: classify_nested(kind, payload, ctx.depth),
        workspace=workspace,
        label=label,
        script_path=script_path,
        imports=imports,
    )


def javascript_script(name: str, script: Word, ctx: Context) -> list[Action]:
    """`node SCRIPT`: the script's code when it can be read, else unknown."""
    shown = script.shown
    if script.value is None:
        return [ctx.unknown(name, f"{name} runs a script named at run time ({script.text})")]
    workspace, source = read_file(script.value)
    if source is None:
        why = "no working directory was given" if workspace is None else "it cannot be read"
        return [
            ctx.unknown(name, f"{name} runs {shown}, code Interlock cannot see ({why})", (shown,))
        ]
    return javascript_source(source, f"{name} {shown}", ctx, script.value)


def read_file(path: str) -> tuple[Workspace | None, str | None]:
    """The text of a file the command runs: from the command line's own writes, or from the
    workspace on disk (None without a cwd)."""
    state = command_line_state()
    if state is None:
        return None, None
    return current_workspace(), state.read_text(path)


def python_script(name: str, script: Word, args: list[Word], ctx: Context) -> list[Action]:
    """`python SCRIPT ARGS…`: the script's code, and the framework command it may be."""
    shown = script.shown
    if script.value is None:
        return [ctx.unknown(name, f"{name} runs a script named at run time ({script.text})")]
    workspace, source = read_file(script.value)
    if source is None:
        why = "no working directory was given" if workspace is None else "it cannot be read"
        reason = f"{name} runs {shown}, code Interlock cannot see ({why})"
        return [ctx.unknown(name, reason, (shown,))]
    actions = python_source(source, f"{name} {shown}", ctx, script.value)
    framework = framework_command(source)
    if framework is not None:
        actions.extend(ctx.judge([literal(framework), *args], ctx))
    return actions


def python_module(name: str, module: str, args: list[Word], ctx: Context) -> list[Action] | None:
    """`python -m MODULE` for a module of the workspace; None when it is not one."""
    workspace = current_workspace()
    if workspace is None or not re.fullmatch(r"[A-Za-z_][\w.]*", module):
        return None
    base = module.replace(".", "/")
    for candidate in (
        f"{base}.py",
        f"{base}/__main__.py",
        f"src/{base}.py",
        f"src/{base}/__main__.py",
    ):
        if workspace.is_file(candidate):
            return python_script(name, literal(candidate), args, ctx)
    return None


# --- files run by path (`./x`, `bin/test`) ------------------------------------------------

_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash"})
_PYTHONS = re.compile(r"^(python|python3|python2|pypy3?)(\.\d+)*$")


def program_file(path: str, args: list[Word], ctx: Context) -> list[Action] | None:
    """A program run by its path: judged by its interpreter line; None when unreadable."""
    _, source = read_file(path)
    if source is None:
        return None
    first = source.split("\n", 1)[0]
    interpreter = ""
    if first.startswith("#!"):
        words = first[2:].split()
        if words and posixpath.basename(words[0]) == "env":
            words = [w for w in words[1:] if not w.startswith("-")]
        interpreter = posixpath.basename(words[0]) if words else ""
    elif path.endswith(".py"):
        interpreter = "python"
    elif path.endswith(".sh"):
        interpreter = "sh"
    if _PYTHONS.match(interpreter):
        return python_script(interpreter, literal(path), args, ctx)
    if interpreter in _SHELLS:
        return shell_script(interpreter, path, source, ctx, args)
    return None


def shell_script(
    name: str, path: str, source: str | None, ctx: Context, args: list[Word] | None = None
) -> list[Action]:
    """A shell script's text, judged as a command line one level deeper (its positional
    parameters replaced by the arguments it is given, when those are fixed)."""
    if source is None:
        _, source = read_file(path)
    if source is None:
        reason = f"{name} runs the script {path}, which Interlock cannot see"
        return [ctx.unknown(name, reason, (path,))]
    if len(source) > MAX_SCRIPT_CHARS:
        return [ctx.unknown(name, f"{name} runs {path}, a script too large to read", (path,))]
    values = [w.value for w in args or []]
    if None not in values:
        source = _with_arguments(source, path, [v or "" for v in values])
    return ctx.shell(source, f"{name} {path}", ctx)


_POSITIONAL = re.compile(r'"\$[@*]"|\$\{[@*]\}|\$[@*]|\$\{?([0-9#])\}?')


def _with_arguments(source: str, path: str, args: list[str]) -> str:
    """The script text with `$0`, `$1`…, `$#` and `"$@"` replaced by what they hold."""

    def value(match: re.Match[str]) -> str:
        digit = match.group(1)
        if digit is None:
            return " ".join(shlex.quote(a) for a in args)
        if digit == "#":
            return str(len(args))
        index = int(digit)
        if index == 0:
            return shlex.quote(path)
        return shlex.quote(args[index - 1]) if index <= len(args) else "''"

    return _POSITIONAL.sub(value, source)


# --- the state a command line builds up (files it writes, directories it enters) -------------


def remember_writes(command: Command, workspace: Workspace) -> None:
    """Files the command writes, for the commands after it: their text when it is fixed
    (`cat > t.py <<'EOF'`), else "unknown" (the file on disk is no longer what will run)."""
    for redirect in command.redirects:
        if redirect.op in (">", ">|", "&>", ">>") and redirect.target is not None:
            target = redirect.target.value
            if target is None or target.startswith("/dev/"):
                continue
            content = static_output(command, 0) if redirect.op != ">>" else None
            workspace.remember_written(target, content)
    words = [w.value for w in command.words]
    if words and words[0] == "tee" and None not in words:
        text = stdin_text(command.stdin)
        for target in words[1:]:
            if target and not target.startswith("-"):
                workspace.remember_written(target, None if "-a" in words else text)
    elif words and words[0] in ("cp", "mv", "install", "ln") and len(words) > 2:
        last = words[-1]
        if last is not None:
            workspace.remember_written(last, None)


def after_cd(command: Command, workspace: Workspace | None) -> Workspace | None:
    """The workspace after `cd DIR` (None when DIR is only known at run time)."""
    if workspace is None or not command.words or command.words[0].value not in ("cd", "pushd"):
        return workspace
    args = [w for w in command.words[1:] if w.value not in ("-P", "-L", "--")]
    if not args:
        return workspace.moved("~")
    target = args[0]
    if target.value is not None:
        return None if target.value == "-" else workspace.moved(target.value)
    fixed = _known_directory(target, workspace)
    return workspace.moved(fixed) if fixed is not None else None


def _known_directory(word: Word, workspace: Workspace) -> str | None:
    """`$(git rev-parse --show-toplevel)`, `$(dirname X)`, `$(pwd)`, `$HOME`: a directory
    that is known before the command runs."""
    text = word.text.strip('"')
    if text in ("$HOME", "${HOME}"):
        return "~"
    if text in ("$PWD", "${PWD}", "$(pwd)"):
        return "."
    match = re.fullmatch(r"(\$\([^()]*\))\"?(/.*)?", text)
    if match is None:
        return None
    words = substituted_command(Word(value=None, text=match.group(1)))
    rest = match.group(2) or ""
    if words == ["git", "rev-parse", "--show-toplevel"]:
        root = workspace.git_root()
        return None if root is None else root + rest
    if words is not None and len(words) == 2 and words[0] == "dirname":
        return (posixpath.dirname(words[1]) or ".") + rest
    if words == ["pwd"]:
        return "." + rest
    return None


# --- make -----------------------------------------------------------------------------------

_ASSIGN = re.compile(
    r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(\?=|:=|::=|\+=|!=|=)\s*(.*)$"
)
_RULE = re.compile(r"^([^:=#\t][^:=#]*?)\s*::?(?!=)\s*(.*)$")
_MAKE_VALUES = frozenset({"-C", "--directory", "-f", "--file", "--makefile", "-j", "--jobs",
                          "-l", "--load-average", "-o", "--old-file", "-W", "--what-if",
                          "-I", "--include-dir"})  # fmt: skip


def _is_rule_line(line: str) -> bool:
    """`target: prerequisites` (a colon before any `=`, and not `:=`)."""
    colon = line.find(":")
    if colon < 0 or line[colon + 1 : colon + 2] == "=" or line[colon + 1 : colon + 3] == ":=":
        return False
    equals = line.find("=")
    return equals < 0 or colon < equals


# Conditionals and other directives: their lines are neither rules nor assignments.
_DIRECTIVES = ("ifeq", "ifneq", "ifdef", "ifndef", "else", "endif", "define", "endef", "unexport")


class _Makefile:
    def __init__(self, text: str) -> None:
        self.variables: dict[str, str] = {}
        self.rules: dict[str, tuple[list[str], list[str]]] = {}
        self.first: str | None = None
        self.dynamic_includes = False
        current: list[str] | None = None
        lines = text.replace("\\\n", " ").split("\n")
        for line in lines:
            if line.startswith("\t"):
                if current is not None:
                    current.append(line[1:])
                continue
            stripped = line.split("#", 1)[0].rstrip()
            if not stripped.strip():
                continue
            current = None
            if stripped.startswith(("include ", "-include ", "sinclude ")):
                self.dynamic_includes = True
                continue
            if stripped.startswith(_DIRECTIVES) and not _RULE.match(stripped):
                continue
            assign = _ASSIGN.match(stripped)
            if assign and not _is_rule_line(stripped):
                name, op, value = assign.groups()
                if op == "+=":
                    self.variables[name] = (self.variables.get(name, "") + " " + value).strip()
                elif op != "?=" or name not in self.variables:
                    self.variables[name] = value
                continue
            rule = _RULE.match(stripped)
            if rule is None:
                continue
            targets, rest = rule.groups()
            prerequisites, _, inline = rest.partition(";")
            recipe: list[str] = [inline] if inline.strip() else []
            for target in targets.split():
                if target.startswith(".") and "/" not in target:
                    continue
                if self.first is None and "%" not in target:
                    self.first = target
                self.rules[target] = (prerequisites.split(), recipe)
            current = recipe

    def expand(self, text: str, target: str, prerequisites: list[str], depth: int = 0) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2) or match.group(3) or ""
            if name == "@":
                return target
            if name in ("<", "^", "+", "?"):
                return (
                    prerequisites[0] if name == "<" and prerequisites else " ".join(prerequisites)
                )
            if name in ("MAKE", "$(MAKE)"):
                return "make"
            if name in self.variables and depth < 8:
                return self.expand(self.variables[name], target, prerequisites, depth + 1)
            if name in ("CURDIR", "PWD"):
                return "."
            return '"$INTERLOCK_MAKE_VALUE"'

        text = text.replace("$$", "\0")
        text = re.sub(r"\$\(([^()]*)\)|\$\{([^{}]*)\}|\$(.)", replace, text)
        return text.replace("\0", "$")


def make(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """`make [TARGET…]`: the recipes of the targets and of their prerequisites."""
    directory = "."
    makefile: str | None = None
    targets: list[str] = []
    overrides: dict[str, str] = {}
    dry_run = False
    i = 0
    while i < len(args):
        word = args[i]
        value = word.value
        if value is None:
            return [
                ctx.unknown(name, f"{name} has an argument known only at run time ({word.text})")
            ]
        if value in _MAKE_VALUES and i + 1 < len(args):
            following = args[i + 1].value
            if following is None:
                return [ctx.unknown(name, f"{name} {value} is known only at run time")]
            if value in ("-C", "--directory"):
                directory = posixpath.join(directory, following)
            elif value in ("-f", "--file", "--makefile"):
                makefile = following
            i += 2
            continue
        if value.startswith("-C") and len(value) > 2:
            directory = posixpath.join(directory, value[2:])
        elif value.startswith(("--directory=",)):
            directory = posixpath.join(directory, value.split("=", 1)[1])
        elif value.startswith(("--file=", "--makefile=")):
            makefile = value.split("=", 1)[1]
        elif value in (
            "-n",
            "--dry-run",
            "--just-print",
            "--recon",
            "-q",
            "--question",
            "-p",
            "--print-data-base",
        ) or (
            value.startswith("-")
            and not value.startswith("--")
            and "n" in value[1:]
            and "=" not in value
        ):
            dry_run = True
        elif not value.startswith("-") and "=" not in value:
            targets.append(value)
        elif not value.startswith("-"):
            key, _, setting = value.partition("=")
            overrides[key.strip()] = setting  # `make deploy ENV=prod` overrides the Makefile
        i += 1
    if dry_run:
        return [ctx.action(name, Verb.READ, f"{name} -n only prints the recipes")]
    workspace = current_workspace()
    if workspace is None:
        return [
            ctx.unknown(
                name,
                f"{name} runs recipes of a Makefile Interlock cannot see (no cwd given)",
            )
        ]
    names = [makefile] if makefile else ["GNUmakefile", "makefile", "Makefile"]
    text = None
    for candidate in names:
        text = workspace.read_text(posixpath.join(directory, candidate))
        if text is not None:
            break
    if text is None:
        return [ctx.unknown(name, f"{name} runs recipes of a Makefile Interlock cannot read")]
    parsed = _Makefile(text)
    parsed.variables.update(overrides)
    goals = targets or ([parsed.first] if parsed.first else [])
    if not goals:
        return [ctx.unknown(name, f"{name}: the Makefile has no target Interlock can find")]
    actions: list[Action] = []
    seen: set[str] = set()
    pending = list(goals)
    while pending:
        target = pending.pop(0)
        if target in seen:
            continue
        seen.add(target)
        if len(seen) > MAX_MAKE_TARGETS:
            actions.append(ctx.unknown(name, f"{name} runs more than {MAX_MAKE_TARGETS} targets"))
            break
        rule = parsed.rules.get(target)
        if rule is None:
            if target in goals:
                reason = (
                    f"{name} {target}: no rule Interlock can read (a pattern rule or an include)"
                )
                actions.append(ctx.unknown(name, reason, (target,)))
            continue
        prerequisites, recipe = rule
        pending.extend(p for p in prerequisites if p in parsed.rules)
        for line in recipe:
            command = parsed.expand(line, target, prerequisites).strip().lstrip("@-+").strip()
            if command:
                actions.extend(ctx.shell(command, f"{name} {target}", ctx))
    if not actions:
        actions.append(
            ctx.action(name, Verb.WRITE, f"{name} {' '.join(goals)} runs no recipe", goals)
        )
    return actions


# --- package.json scripts ---------------------------------------------------------------

# Commands of the package managers that are their own, not the project's scripts.
_BUILTINS = {
    "npm": frozenset(
        {
            "install",
            "i",
            "ci",
            "add",
            "uninstall",
            "remove",
            "rm",
            "update",
            "up",
            "outdated",
            "ls",
            "list",
            "view",
            "info",
            "show",
            "init",
            "create",
            "exec",
            "x",
            "publish",
            "pack",
            "link",
            "audit",
            "fund",
            "cache",
            "config",
            "set",
            "get",
            "version",
            "help",
            "login",
            "logout",
            "whoami",
            "doctor",
            "prune",
            "dedupe",
            "search",
            "root",
            "prefix",
            "bin",
            "explain",
            "why",
            "query",
            "rebuild",
            "shrinkwrap",
            "token",
            "owner",
            "dist-tag",
            "deprecate",
            "unpublish",
            "pkg",
            "ping",
            "hook",
            "profile",
            "team",
            "access",
            "org",
            "star",
            "stars",
            "unstar",
            "completion",
            "edit",
            "explore",
            "docs",
            "repo",
            "bugs",
            "diff",
            "sbom",
            "install-test",
            "it",
            "install-ci-test",
            "cit",
        }
    ),
}
_BUILTINS["yarn"] = frozenset({"install", "add", "remove", "upgrade", "up", "info", "why", "list",
                               "init", "create", "dlx", "exec", "publish", "pack", "link",
                               "unlink", "audit", "cache", "config", "set", "version",
                               "versions", "help", "login", "logout", "global", "bin",
                               "workspaces", "workspace", "outdated", "import", "plugin",
                               "npm", "node", "dedupe", "constraints", "explain", "patch",
                               "patch-commit", "rebuild", "search", "stage", "licenses",
                               "owner", "tag", "team", "check", "autoclean", "generate-lock-entry",
                               "upgrade-interactive", "policies", "unplug"})  # fmt: skip
_BUILTINS["pnpm"] = frozenset({"install", "i", "add", "remove", "rm", "update", "up", "list",
                               "ls", "outdated", "why", "init", "create", "dlx", "exec",
                               "publish", "pack", "link", "unlink", "audit", "store", "config",
                               "help", "import", "fetch", "install-test", "it", "rebuild",
                               "prune", "root", "bin", "env", "setup", "server", "licenses",
                               "patch", "patch-commit", "deploy", "dedupe", "doctor",
                               "recursive", "-r", "self-update", "approve-builds"})  # fmt: skip
_BUILTINS["bun"] = frozenset({"install", "i", "add", "remove", "rm", "update", "outdated",
                              "link", "unlink", "pm", "init", "create", "x", "upgrade",
                              "publish", "pack", "audit", "info", "build", "repl", "exec",
                              "patch", "why", "help"})  # fmt: skip
# npm's shorthands for `npm run NAME`.
_RUN_SHORTHANDS = frozenset({"test", "t", "tst", "start", "stop", "restart"})
_PM_VALUES = frozenset({"--prefix", "-C", "--cwd", "--dir", "-w", "--workspace", "--filter", "-F"})


def package_script(name: str, args: list[Word], ctx: Context) -> list[Action] | None:
    """`npm run X` / `npm test` / `yarn X` / `pnpm X` / `bun run X`: the script in package.json
    (with its pre- and post- scripts); None when the command is the manager's own."""
    directory = "."
    rest = list(args)
    while rest and (rest[0].value or "").startswith("-"):
        option = rest[0].value or ""
        if option in _PM_VALUES and len(rest) > 1:
            if option in ("--prefix", "-C", "--cwd", "--dir") and rest[1].value is not None:
                directory = posixpath.join(directory, rest[1].value)
            elif option not in ("--prefix", "-C", "--cwd", "--dir"):
                return None  # a workspace filter: another package's scripts
            rest = rest[2:]
            continue
        if option.startswith(("--prefix=", "--cwd=", "--dir=")):
            directory = posixpath.join(directory, option.split("=", 1)[1])
        elif option in ("-v", "--version", "-h", "--help"):
            return None
        rest = rest[1:]
    if not rest:
        return (
            None
            if name == "npm"
            else _run_named(name, "install", [], directory, ctx, implicit=True)
        )
    first = rest[0].value
    if first is None:
        return [ctx.unknown(name, f"{name} runs a script named at run time ({rest[0].text})")]
    if first in ("run", "run-script", "rum", "urn"):
        if len(rest) < 2:
            return [ctx.action(f"{name} run", Verb.READ, f"{name} run lists the scripts")]
        script = rest[1].value
        if script is None:
            return [ctx.unknown(name, f"{name} runs a script named at run time ({rest[1].text})")]
        return _run_named(name, script, rest[2:], directory, ctx)
    if name == "npm" and first in _RUN_SHORTHANDS:
        return _run_named(
            name, {"t": "test", "tst": "test"}.get(first, first), rest[1:], directory, ctx
        )
    if (
        name != "npm"
        and first not in _BUILTINS.get(name, frozenset())
        and not first.startswith("-")
    ):
        return _run_named(name, first, rest[1:], directory, ctx, implicit=True)
    return None


def _run_named(
    name: str,
    script: str,
    args: list[Word],
    directory: str,
    ctx: Context,
    *,
    implicit: bool = False,
) -> list[Action] | None:
    workspace = current_workspace()
    label = f"{name} run {script}"
    if workspace is None:
        if implicit:
            return None
        return [
            ctx.unknown(
                label,
                f"{label} runs a package.json script Interlock cannot see (no cwd given)",
            )
        ]
    text = workspace.read_text(posixpath.join(directory, "package.json"))
    scripts: dict[str, object] = {}
    if text is not None:
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict) and isinstance(loaded.get("scripts"), dict):
            scripts = loaded["scripts"]
    body = scripts.get(script)
    if not isinstance(body, str):
        if implicit:
            return None  # `yarn vitest`: a binary of node_modules/.bin, judged by its name
        return [
            ctx.unknown(
                label, f"{label}: package.json has no such script Interlock can read", (script,)
            )
        ]
    extra = [w.value for w in args if w.value != "--"]
    if any(v is None for v in extra):
        return [ctx.unknown(label, f"{label} passes arguments known only at run time")]
    actions: list[Action] = []
    for stage, text_body in (
        ("pre" + script, scripts.get("pre" + script)),
        (script, body),
        ("post" + script, scripts.get("post" + script)),
    ):
        if not isinstance(text_body, str) or not text_body.strip():
            continue
        command = text_body
        if stage == script and extra:
            command += " " + " ".join(shlex.quote(v or "") for v in extra)
        actions.extend(ctx.shell(command, f"{name} run {stage}", ctx))
    return actions or [ctx.action(label, Verb.WRITE, f"{label} runs an empty script")]


# --- test runners -----------------------------------------------------------------------------


def conftests(args: list[Word], ctx: Context) -> list[Action]:
    """The conftest.py files pytest loads for these arguments (from the workspace's root down
    to each test path), judged as Python; empty without a workspace."""
    workspace = current_workspace()
    if workspace is None:
        return []
    root = workspace.git_root() or workspace.cwd
    directories = {workspace.cwd}
    for word in args:
        value = word.value
        if value is None or value.startswith("-"):
            continue
        path = workspace.resolve(value.split("::", 1)[0])
        directory = (
            path
            if workspace.exists(path) and not workspace.is_file(path)
            else posixpath.dirname(path)
        )
        directories.add(directory)
    files: list[str] = []
    for directory in sorted(directories):
        current = directory
        for _ in range(16):
            candidate = posixpath.join(current, "conftest.py")
            if candidate not in files and workspace.is_file(candidate):
                files.append(candidate)
            if current == root or current in ("/", "") or not current.startswith(root):
                break
            current = posixpath.dirname(current)
    actions: list[Action] = []
    for path in files[:8]:
        source = workspace.read_text(path)
        if source is None:
            actions.append(
                ctx.unknown("pytest", f"pytest loads {path}, which Interlock cannot read", (path,))
            )
            continue
        found = python_source(
            source, f"pytest's {posixpath.relpath(path, workspace.cwd)}", ctx, path
        )
        actions.extend(a for a in found if a.verb is not Verb.WRITE or a.targets)
    return actions


# --- installing a local project -------------------------------------------------------------

_PIP_VALUES = frozenset({"-r", "--requirement", "-c", "--constraint", "-t", "--target",
                         "--prefix", "--root", "-i", "--index-url", "--extra-index-url",
                         "-f", "--find-links", "--python", "--src", "--upgrade-strategy",
                         "--config-settings", "-C"})  # fmt: skip


def local_builds(args: list[Word], ctx: Context) -> list[Action]:
    """`pip install .` / `-e ./pkg`: a local project's setup.py runs during the build, so it
    is read (with a cwd); other build backends are the backend's own code."""
    if not args or args[0].value != "install":
        return []
    state = command_line_state()
    if state is None:
        return []
    actions: list[Action] = []
    i = 1
    while i < len(args):
        value = args[i].value
        if value in _PIP_VALUES:
            i += 2
            continue
        path = (value or "").split("[", 1)[0]
        if value is not None and (path in (".", "..") or path.startswith(("./", "../", "/"))):
            setup = posixpath.join(path, "setup.py")
            source = state.read_text(setup) if state.is_file(setup) else None
            if source is not None:
                actions.extend(python_source(source, f"pip install {value} (setup.py)", ctx, setup))
        i += 1
    return actions


def task_files(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """`nox` runs noxfile.py (Python) and `tox` the `commands` of tox.ini: both are read."""
    state = command_line_state()
    if state is None:
        return []
    if name == "nox":
        source = state.read_text("noxfile.py")
        if source is None:
            return [ctx.unknown(name, "nox runs noxfile.py, which Interlock cannot read")]
        return python_source(source, "nox (noxfile.py)", ctx, "noxfile.py")
    text = state.read_text("tox.ini")
    if text is None:
        return []  # tox configured in pyproject.toml or setup.cfg: not read
    actions: list[Action] = []
    for command in _tox_commands(text):
        actions.extend(ctx.shell(command, "tox", ctx))
    return actions


def _tox_commands(text: str) -> list[str]:
    """The lines of every `commands =` (and `commands_pre`/`_post`) of tox.ini."""
    out: list[str] = []
    inside = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        key = line.split("=", 1)[0].strip()
        if not raw[:1].isspace() and "=" in line:
            inside = key in ("commands", "commands_pre", "commands_post")
            value = line.split("=", 1)[1].strip()
            if inside and value:
                out.append(value)
            continue
        if raw[:1].isspace() and inside and line.strip():
            out.append(line.strip())
        elif not raw[:1].isspace():
            inside = False
    return [re.sub(r"\{[^}]*\}", '"$INTERLOCK_TOX_VALUE"', c) for c in out[:64]]
