"""Commands whose meaning lives in their own argument syntax, not in flags.

`find` has an expression language (`-delete`, `-exec CMD {} ;`), `dd` has `of=`, `kill`
takes signals as negative numbers, `awk` programs can call `system()`, and interpreters run
code that no shell classifier can judge. Each gets a small function here; everything else
is in the command table.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from interlock.classify import classify_nested
from interlock.classify.code import current_workspace, judge_delete, regenerable
from interlock.classify.paths import is_device, is_system_path, runs_code_later
from interlock.classify.shell._code import (
    javascript_script,
    javascript_source,
    make,
    python_module,
    python_script,
    python_source,
)
from interlock.classify.shell._context import Context, stdin_text
from interlock.classify.shell._idioms import (
    asks_for_help,
    development_pattern,
    selects_development_processes,
    substituted_command,
)
from interlock.classify.shell._perl import one_liner as perl_one_liner
from interlock.classify.shell._words import Word, fanout_word, literal
from interlock.model import Action, Verb
from interlock.redact import is_sensitive_key

Handler = Callable[[str, list[Word], Context], list[Action]]

_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_FIND_WRITES = frozenset({"-fprint", "-fprint0", "-fprintf", "-fls"})
# Tests and options whose next word is their argument, never an action (`-name -delete`
# looks for files named `-delete`).
_FIND_VALUED = frozenset({
    "-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex",
    "-lname", "-ilname", "-type", "-xtype", "-user", "-group", "-uid", "-gid", "-perm",
    "-size", "-mtime", "-mmin", "-atime", "-amin", "-ctime", "-cmin", "-used", "-newer",
    "-anewer", "-cnewer", "-links", "-inum", "-samefile", "-fstype", "-context",
    "-maxdepth", "-mindepth", "-regextype", "-printf", "-files0-from",
})  # fmt: skip


def _find(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """`find` reads, except `-delete`, `-exec`/`-execdir` (judged as commands) and `-fprint`."""
    roots: list[str] = []
    i = 0
    while (
        i < len(args)
        and args[i].value is not None
        and not (args[i].value or "-").startswith(("-", "(", "!"))
    ):
        roots.append(args[i].shown)
        i += 1
    shown_roots = tuple(roots) or (".",)
    scratch = _finds_scratch(shown_roots, args[i:])
    actions: list[Action] = []
    while i < len(args):
        word = args[i]
        value = word.value
        if value is None:
            i += 1
            continue
        if value in _FIND_VALUED:
            i += 2
            continue
        if value == "-delete":
            if scratch:
                reason = f"find -delete deletes {scratch} under {', '.join(shown_roots)}"
                actions.append(ctx.action("find -delete", Verb.WRITE, reason, shown_roots))
            else:
                reason = f"find -delete deletes every match under {', '.join(shown_roots)}"
                actions.append(ctx.action("find -delete", Verb.DESTRUCTIVE, reason, shown_roots))
        elif value in _FIND_EXEC:
            end = i + 1
            while end < len(args) and args[end].value not in (";", "+"):
                end += 1
            inner = [
                fanout_word("the files find matches")
                if w.value is not None and "{}" in w.value
                else w
                for w in args[i + 1 : end]
            ]
            if not any(w.fanout for w in inner):
                inner.append(fanout_word("the files find matches"))
            if scratch and inner and inner[0].value in ("rm", "unlink", "rmdir"):
                reason = f"find runs {inner[0].value} on {scratch} under {', '.join(shown_roots)}"
                actions.append(ctx.action(inner[0].value or "rm", Verb.WRITE, reason, shown_roots))
            else:
                actions.extend(ctx.judge(inner, ctx) if inner else [])
            i = end
        elif value in _FIND_WRITES and i + 1 < len(args):
            target = args[i + 1].shown
            verb = Verb.DESTRUCTIVE if is_system_path(target) else Verb.WRITE
            actions.append(
                ctx.action(f"find {value}", verb, f"find {value} writes {target}", (target,))
            )
            i += 1
        i += 1
    if not actions:
        actions.append(ctx.action("find", Verb.READ, "find only lists files", shown_roots))
    return actions


def _finds_scratch(roots: tuple[str, ...], expression: list[Word]) -> str:
    """The generated files a find expression selects (`-name __pycache__`, `-name '*.pyc'`)
    when every root lies in the workspace; "" when it may select anything else."""
    workspace = current_workspace()
    if workspace is None:
        return ""
    patterns: list[str] = []
    values = [w.value for w in expression]
    for index, value in enumerate(values):
        if value in ("-o", "-or", "!", "-not", "-path", "-wholename", "-regex", "-iregex"):
            return ""  # alternatives and negations make the selection wider than its names
        if value in ("-name", "-iname") and index + 1 < len(values):
            pattern = values[index + 1]
            if pattern is None:
                return ""
            patterns.append(pattern)
    if not patterns or not all(regenerable(p) for p in patterns):
        return ""
    for root in roots:
        place = judge_delete(posixpath.join(root, patterns[0]), recursive=True, workspace=workspace)
        if place is None or place.verb is not Verb.WRITE:
            return ""
    return "generated files (" + ", ".join(patterns) + ")"


def _dd(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """`dd of=X` overwrites X block by block; without `of=` it writes to standard output."""
    for word in args:
        if word.value is None:
            return [ctx.unknown("dd", f"dd has an operand known only at run time ({word.text})")]
        key, eq, value = word.value.partition("=")
        if eq and key == "of":
            if value in ("/dev/null", "/dev/stdout", "/dev/stderr"):
                break
            why = "the device" if is_device(value) else "the file"
            return [
                ctx.action("dd", Verb.DESTRUCTIVE, f"dd of= overwrites {why} {value}", (value,))
            ]
    return [ctx.action("dd", Verb.READ, "dd without of= writes to standard output")]


def _kill(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """`kill PID` is a write; `kill 1` (init) and `kill -9 -1` (every process) are destructive.

    PIDs chosen at run time are a write when they come from a selection of the developer's
    own processes (`kill $(lsof -ti:3000)`, `lsof -ti:3000 | xargs kill`), unknown otherwise.
    """
    targets: list[str] = []
    for index, word in enumerate(args):
        if word.value is None:
            if _selected_pids(word, ctx) or _own_job(word, ctx):
                targets.append(word.text)
                continue
            return [
                ctx.unknown("kill", f"kill targets a process known only at run time ({word.text})")
            ]
        value = word.value
        if value in ("-l", "-L", "--list"):
            return [ctx.action("kill", Verb.READ, "kill -l only lists signals")]
        if value == "1" or (value == "-1" and index > 0):
            reason = "kill targets init or every process, taking the machine down"
            return [ctx.action("kill", Verb.DESTRUCTIVE, reason, (value,))]
        if not value.startswith("-"):
            targets.append(value)
    return [
        ctx.action(
            "kill", Verb.WRITE, "kill stops processes {}".format(", ".join(targets)), targets
        )
    ]


def _own_job(word: Word, ctx: Context) -> bool:
    """Whether a run-time word is the PID of a job this command line started (`$!`, or a
    variable set to it): stopping one's own background server is not touching others'."""
    text = word.text.strip('"')
    if text in ("$!", "${!}"):
        return True
    name = text[2:-1] if text.startswith("${") and text.endswith("}") else text[1:]
    return text.startswith("$") and name in ctx.own_jobs


def _selected_pids(word: Word, ctx: Context) -> bool:
    """Whether a run-time word holds PIDs printed by a selection of development processes."""
    if word.fanout:
        stdin = ctx.stdin
        producer = stdin.producer if stdin is not None and stdin.kind == "pipe" else None
        if producer is None or any(w.value is None for w in producer.words):
            return False
        return selects_development_processes([w.value or "" for w in producer.words])
    words = substituted_command(word)
    return words is not None and selects_development_processes(words)


_PKILL_VALUES = frozenset(
    {"-s", "--signal", "-u", "--euid", "-U", "--uid", "-g", "--pgroup", "-G", "--group",
     "-P", "--parent", "-t", "--terminal", "--session", "--ns", "--nslist", "-o", "-n",
     "--older"}
)  # fmt: skip
_PKILL_SCOPES = frozenset(
    {"-u", "--euid", "-U", "--uid", "-g", "--pgroup", "-G", "--group", "-P", "--parent",
     "-t", "--terminal", "--session", "--ns", "--user", "-a", "--all"}
)  # fmt: skip


def _pkill(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """`pkill`/`killall` by name: a write for the processes of a developer's session (dev
    servers, watchers, test runners), destructive for anything else or a whole user's."""
    patterns: list[Word] = []
    scoped = False
    i = 0
    while i < len(args):
        word = args[i]
        value = word.value
        if value is not None and value.startswith("-") and len(value) > 1:
            option = value.split("=", 1)[0]
            if option in _PKILL_SCOPES or (option[:2] in _PKILL_SCOPES and len(option) > 2):
                scoped = True
            if option in _PKILL_VALUES and "=" not in value:
                i += 1
            i += 1
            continue
        patterns.append(word)
        i += 1
    shown = tuple(w.shown for w in patterns)
    if any(w.value is None for w in patterns):
        reason = f"{name} kills processes matching a pattern known only at run time"
        return [ctx.unknown(name, reason, shown)]
    if not patterns:
        return [ctx.unknown(name, f"{name} without a pattern Interlock can see")]
    if not scoped and all(development_pattern(w.value or "") for w in patterns):
        reason = f"{name} stops the developer's own processes matching {', '.join(shown)}"
        return [ctx.action(name, Verb.WRITE, reason, shown)]
    reason = f"{name} kills every process matching {', '.join(shown)}"
    return [ctx.action(name, Verb.DESTRUCTIVE, reason, shown)]


def _awk(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """awk reads, unless its program runs commands (`system`, pipes) or writes files."""
    value_opts = {
        "-F",
        "-v",
        "-f",
        "--field-separator",
        "--assign",
        "--file",
        "-i",
        "--include",
        "-E",
    }
    program: Word | None = None
    files: list[str] = []
    inputs: list[str] = []
    i = 0
    while i < len(args):
        value = args[i].value
        if value is not None and value in value_opts:
            if value in ("-f", "--file", "-E"):
                target = args[i + 1].shown if i + 1 < len(args) else "?"
                return [
                    ctx.unknown(
                        name, f"{name} runs the program in {target}, which Interlock cannot see"
                    )
                ]
            if (
                value in ("-i", "--include")
                and i + 1 < len(args)
                and args[i + 1].value == "inplace"
            ):
                files.append("inplace")
            i += 2
            continue
        if value is not None and value.startswith("-") and program is None and value != "-":
            i += 1
            continue
        if program is None:
            program = args[i]
        elif value is not None and "=" not in value:
            inputs.append(value)  # an input file (`var=value` operands are assignments)
        i += 1
    if program is None or program.value is None:
        return [ctx.unknown(name, f"{name} runs a program Interlock cannot see")]
    code = program.value
    if "system" in code or "|" in code or "getline" in code:
        return [ctx.unknown(name, f"{name} program runs commands (system, pipes or getline)")]
    if ">" in code and ("print" in code) and _awk_redirects(code):
        return [ctx.action(name, Verb.WRITE, f"{name} program writes to files")]
    if files:
        return [ctx.action(name, Verb.WRITE, f"{name} -i inplace edits files in place")]
    return [ctx.action(name, Verb.READ, f"{name} only transforms text", tuple(inputs))]


def _awk_redirects(code: str) -> bool:
    """A `print … > "file"`: a `>` after a print in the same statement, outside conditions."""
    for statement in code.replace("}", ";").replace("{", ";").split(";"):
        head = statement.strip()
        if head.startswith(("print", "printf")) and ">" in head:
            return True
    return False


# --- interpreters ---------------------------------------------------------------------------

# `python -m MODULE` for modules that are themselves commands in the table.
_PYTHON_MODULES = {
    "pytest": "pytest",
    "pip": "pip",
    "mypy": "mypy",
    "ruff": "ruff",
    "black": "black",
    "isort": "isort",
    "flake8": "flake8",
    "pylint": "pylint",
    "coverage": "coverage",
    "build": "python-tool",
    "twine": "python-tool",
    "venv": "python-tool",
    "virtualenv": "virtualenv",
    "unittest": "python-tool",
    "tox": "tox",
    "nox": "nox",
    "uvicorn": "uvicorn",
    "gunicorn": "gunicorn",
    "http.server": "python-tool",
    "json.tool": "jq",
    "pydoc": "man",
    "ensurepip": "python-tool",
    "pyright": "pyright",
    "poetry": "poetry",
    "uv": "uv",
    "maturin": "maturin",
    "sphinx": "sphinx-build",
    "sphinx.cmd.build": "sphinx-build",
    "sphinx.cmd.quickstart": "sphinx-quickstart",
    "sphinx.ext.apidoc": "sphinx-apidoc",
    "sphinx.ext.autosummary.generate": "sphinx-apidoc",
    "pylint.pyreverse": "pyreverse",
    "mkdocs": "mkdocs",
    "pre_commit": "pre-commit",
    "jupyter": "jupyter",
    "streamlit": "streamlit",
    "flask": "flask",
    "compileall": "python-tool",
    "py_compile": "python-tool",
    "tabnanny": "ls",
    "site": "ls",
    "platform": "ls",
    "sysconfig": "ls",
    "timeit": "python-tool",
}
_VERSION_FLAGS = frozenset(
    {"-V", "--version", "-h", "--help", "-v", "-VV", "-version", "-help", "--help-all"}
)


def _python(name: str, args: list[Word], ctx: Context) -> list[Action]:
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None:
            break
        if value in _VERSION_FLAGS and len(args) == 1:
            return [ctx.action(name, Verb.READ, f"{name} {value} only prints information")]
        if value == "-m" and i + 1 < len(args):
            module = args[i + 1].value
            alias = _PYTHON_MODULES.get(module or "")
            local = python_module(name, module, args[i + 2 :], ctx) if module else None
            if alias is None and local is not None:
                return local  # a module of the workspace: its code, even for `--help`
            if alias is None and asks_for_help(args[i + 2 :]):
                reason = f"{name} -m {args[i + 1].shown} only prints usage or version information"
                return [ctx.action(name, Verb.READ, reason)]
            if alias is None:
                reason = f"{name} -m {args[i + 1].shown} runs a module Interlock does not know"
                return [ctx.unknown(name, reason)]
            return ctx.judge([literal(alias), *args[i + 2 :]], ctx)
        if value.startswith("-m") and len(value) > 2:
            return _python(name, [literal("-m"), literal(value[2:]), *args[i + 1 :]], ctx)
        if value == "-c" or (value.startswith("-c") and len(value) > 2):
            code = args[i + 1] if value == "-c" and i + 1 < len(args) else literal(value[2:])
            if code.value is None:
                return [ctx.unknown(name, f"{name} -c runs code built at run time ({code.text})")]
            return python_source(code.value, f"{name} -c", ctx)
        if value.startswith("-") and value != "-":
            i += 2 if value in ("-W", "-X", "--check-hash-based-pycs") else 1
            continue
        break
    rest = args[i:]
    if rest and rest[0].value != "-":
        return python_script(name, rest[0], rest[1:], ctx)
    text = stdin_text(ctx.stdin)
    if text is not None:
        return python_source(text, f"{name} reading standard input", ctx)
    return _script(name, rest, ctx)


def _node(name: str, args: list[Word], ctx: Context) -> list[Action]:
    for index, word in enumerate(args):
        value = word.value
        if value is None:
            break
        if value in _VERSION_FLAGS and len(args) == 1:
            return [ctx.action(name, Verb.READ, f"{name} {value} only prints information")]
        if value in ("-e", "--eval", "-p", "--print") and name in ("node", "nodejs"):
            code = args[index + 1] if index + 1 < len(args) else None
            if code is None or code.value is None:
                return [ctx.unknown(name, f"{name} {value} runs code built at run time")]
            return javascript_source(code.value, f"{name} {value}", ctx)
        if value in ("-e", "--eval", "-p", "--print", "-r", "--require", "--import", "--loader"):
            return [ctx.unknown(name, f"{name} {value} runs code Interlock cannot judge")]
        if value == "--test" and name == "node":
            return [ctx.action(name, Verb.WRITE, "node --test runs the project's tests")]
        if (
            value in ("test", "fmt", "lint", "check", "task", "install")
            and name in ("deno", "bun")
            and index == 0
        ):
            return [
                ctx.action(f"{name} {value}", Verb.WRITE, f"{name} {value} runs a project step")
            ]
        if not value.startswith("-"):
            if name in ("node", "nodejs") and value.endswith((".js", ".mjs", ".cjs")):
                return javascript_script(name, word, ctx)
            return _script(name, args[index:], ctx)
    return _script(name, [], ctx)


def _interpreter(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """ruby, perl, php, lua, Rscript, …: versions are reads; any code is unknown."""
    if len(args) == 1 and args[0].value in _VERSION_FLAGS:
        return [ctx.action(name, Verb.READ, f"{name} {args[0].value} only prints information")]
    if name == "perl":
        judged = perl_one_liner([w.value for w in args])
        if judged is not None:
            verb, why, operands = Verb(judged[0]), judged[1], judged[2]
            critical = [t for t in operands if is_system_path(t)]
            if verb is Verb.WRITE and critical:  # as `sed -i` on the same paths
                verb, why = Verb.DESTRUCTIVE, f"perl -i changes {critical[0]}, a system path"
            elif verb is Verb.WRITE and any(runs_code_later(t) for t in operands):
                verb, why = Verb.UNKNOWN, "perl -i changes a file that git runs or obeys"
            return [ctx.action(name, verb, why, operands)]
    for word in args:
        if word.value in ("-e", "-E", "-r", "-n", "-p", "-i", "-pi", "-pe", "-ne", "-lne", "-ple"):
            return [
                ctx.unknown(name, f"{name} {word.value} runs inline code Interlock cannot judge")
            ]
    positional = [w for w in args if not (w.value or "x").startswith("-")]
    if name == "php" and positional and positional[0].value == "artisan":
        # Laravel's console: `php artisan migrate:fresh` is judged as that task.
        return ctx.judge([literal("artisan"), *args[args.index(positional[0]) + 1 :]], ctx)
    return _script(name, positional, ctx)


def _script(name: str, rest: list[Word], ctx: Context) -> list[Action]:
    if rest and rest[0].value not in ("-", None):
        script = rest[0].shown
        return [ctx.unknown(name, f"{name} runs {script}, code Interlock cannot see", (script,))]
    stdin = ctx.stdin
    if stdin is None and not rest:
        return [ctx.unknown(name, f"{name} opens an interactive interpreter")]
    return [
        ctx.unknown(name, f"{name} runs code from its standard input, which Interlock cannot judge")
    ]


# --- gh api: an HTTP call to GitHub ---------------------------------------------------------


def _gh_api(operation: str, args: list[Word], ctx: Context) -> list[Action]:
    method: str | None = None
    path: Word | None = None
    fields = False
    i = 0
    while i < len(args):
        value = args[i].value
        if value in ("-X", "--method") and i + 1 < len(args):
            method = (args[i + 1].value or "").upper() or None
            if args[i + 1].value is None:
                return [ctx.unknown(operation, "gh api uses a method known only at run time")]
            i += 2
            continue
        if value in ("-f", "-F", "--field", "--raw-field", "--input"):
            fields = True
            i += 2
            continue
        if value is not None and value.startswith("-"):
            i += (
                2
                if value
                in (
                    "-H",
                    "--header",
                    "-q",
                    "--jq",
                    "-t",
                    "--template",
                    "--hostname",
                    "--cache",
                    "-p",
                    "--preview",
                )
                else 1
            )
            continue
        if path is None:
            path = args[i]
        i += 1
    if path is None or path.value is None:
        return [ctx.unknown(operation, "gh api calls an endpoint Interlock cannot see")]
    method = method or ("POST" if fields else "GET")
    endpoint = path.value
    if endpoint == "graphql":
        return [ctx.unknown(operation, "gh api graphql sends a query Interlock cannot see in full")]
    url = "https://api.github.com/" + endpoint.lstrip("/")
    return classify_nested("http", {"method": method, "url": url, "headers": {}}, ctx.depth)


ENVIRONMENT_TARGET = "env:"
"""Targets `env:NAME` (`env:*` for every variable): environment variables a command prints.
The hooks refuse printing every variable or one named like a credential, as a secret read."""


def environment_read(name: str, names: list[str], ctx: Context) -> Action:
    """`env`, `printenv [NAME…]`: a read of environment variables. Every variable, or one
    named like a credential, is `unknown` (what it prints is a credential as often as not)."""
    targets = tuple(ENVIRONMENT_TARGET + n for n in names) or (ENVIRONMENT_TARGET + "*",)
    if names and not any(is_sensitive_key(n) for n in names):
        return ctx.action(
            name, Verb.READ, f"prints the environment variables {', '.join(names)}", targets
        )
    shown = ", ".join(names) if names else "every environment variable"
    reason = f"prints {shown}, where credentials live (the hooks refuse it as a secret read)"
    return ctx.action(name, Verb.UNKNOWN, reason, targets)


def _printenv(name: str, args: list[Word], ctx: Context) -> list[Action]:
    names = [w.value for w in args if w.value is not None and not w.value.startswith("-")]
    if any(w.value is None for w in args):
        return [ctx.unknown(name, f"{name} prints variables named at run time")]
    return [environment_read(name, names, ctx)]


_ANSIBLE_VALUES = frozenset(
    {"-m", "--module-name", "-a", "--args", "-i", "--inventory", "-l", "--limit", "-u",
     "--user", "-e", "--extra-vars", "-f", "--forks", "-B", "--background", "-P", "--poll",
     "-t", "--tree", "-M", "--module-path", "--become-user", "--become-method", "-c",
     "--connection", "-T", "--timeout", "--private-key", "--key-file", "--vault-id",
     "--vault-password-file", "--playbook-dir"}
)  # fmt: skip
_ANSIBLE_READ = frozenset(
    {"ping", "setup", "gather_facts", "debug", "stat", "service_facts", "package_facts",
     "getent", "find", "slurp", "fetch", "wait_for", "assert"}
)  # fmt: skip
_ANSIBLE_WRITE = frozenset(
    {"copy", "template", "lineinfile", "blockinfile", "replace", "unarchive", "get_url", "git",
     "pip", "npm", "gem", "apt", "yum", "dnf", "package", "apk", "homebrew", "cron", "file",
     "service", "systemd", "systemd_service", "sysvinit", "docker_container", "docker_image",
     "k8s", "mount", "sysctl", "hostname", "timezone", "archive", "synchronize"}
)  # fmt: skip
_ANSIBLE_PRIVILEGE = frozenset(
    {"user", "group", "authorized_key", "mysql_user", "postgresql_user", "postgresql_privs",
     "mongodb_user", "sudoers", "iam_user", "iam_role", "iam_policy", "seboolean",
     "capabilities", "openssh_keypair"}
)  # fmt: skip
_ANSIBLE_SHELLS = frozenset({"shell", "command", "raw"})
# key=value arguments that make a module delete or stop what it manages.
_ANSIBLE_DESTRUCTIVE_ARGS = (
    "state=absent", "state=removed", "state=stopped", "state=purged", "enabled=no",
    "enabled=false", "purge=yes", "purge=true", "remove=yes",
    "delete=yes", "delete=true", "prune=yes",
)  # fmt: skip


def _ansible(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """`ansible HOSTS -m MODULE -a ARGS`: an ad-hoc module, judged by what the module does
    (`shell`/`command` by the command line it runs)."""
    module: Word | None = None
    module_args: Word | None = None
    flags: set[str] = set()
    i = 0
    while i < len(args):
        value = args[i].value
        if value is not None and value.startswith("-") and value != "-":
            option, eq, rest = value.partition("=")
            flags.add(option)
            given = Word(value=rest, text=rest) if eq else None
            if given is None and option in _ANSIBLE_VALUES and i + 1 < len(args):
                given = args[i + 1]
                i += 1
            if option in ("-m", "--module-name"):
                module = given
            elif option in ("-a", "--args"):
                module_args = given
        i += 1
    if flags & {"--list-hosts", "--version", "--syntax-check"}:
        return [ctx.action(name, Verb.READ, f"{name} only lists hosts or checks syntax")]
    if module is not None and module.value is None:
        return [ctx.unknown(name, f"{name} runs a module named at run time ({module.text})")]
    short = (module.value if module is not None else None) or "command"
    short = short.rsplit(".", 1)[-1]  # `ansible.builtin.file` is `file`
    operation = f"{name} -m {short}"
    if module_args is not None and module_args.value is None:
        return [ctx.unknown(operation, f"{operation} takes arguments known only at run time")]
    text = (module_args.value if module_args is not None else "") or ""
    checking = bool(flags & {"-C", "--check"})
    if short in _ANSIBLE_SHELLS:
        if not text:
            return [ctx.unknown(operation, f"{operation} without a command")]
        if checking:
            return [ctx.action(operation, Verb.READ, f"{operation} in check mode runs nothing")]
        return ctx.shell(text, operation, ctx)
    if short in _ANSIBLE_READ:
        return [ctx.action(operation, Verb.READ, f"{operation} only gathers facts or checks")]
    lowered = text.lower().replace(" = ", "=")
    destroys = next((a for a in _ANSIBLE_DESTRUCTIVE_ARGS if a in lowered), "")
    if short in ("reboot", "shutdown") or (
        destroys and short in _ANSIBLE_WRITE | _ANSIBLE_PRIVILEGE
    ):
        why = f"{operation} {destroys or 'restarts or stops the hosts'}"
        verb = Verb.READ if checking else Verb.DESTRUCTIVE
        return [ctx.action(operation, verb, why)]
    if short in _ANSIBLE_PRIVILEGE:
        reason = f"{operation} creates or changes users, keys or grants on the hosts"
        return [ctx.action(operation, Verb.READ if checking else Verb.PRIVILEGE, reason)]
    if short in _ANSIBLE_WRITE:
        reason = f"{operation} changes files, packages or services on the hosts"
        return [ctx.action(operation, Verb.READ if checking else Verb.WRITE, reason)]
    return [ctx.unknown(operation, f"{operation} is a module Interlock does not know")]


HANDLERS: dict[str, Handler] = {
    "printenv": _printenv,
    "find": _find,
    "dd": _dd,
    "kill": _kill,
    "make": make,
    "gmake": make,
    "pkill": _pkill,
    "killall": _pkill,
    "awk": _awk,
    "gawk": _awk,
    "mawk": _awk,
    "nawk": _awk,
    "gh_api": _gh_api,
    "ansible": _ansible,
    "python": _python,
    "python3": _python,
    "python2": _python,
    "pypy": _python,
    "pypy3": _python,
    "node": _node,
    "nodejs": _node,
    "deno": _node,
    "bun": _node,
    "ts-node": _node,
    "tsx": _node,
    **dict.fromkeys(
        ["ruby", "perl", "php", "lua", "luajit", "Rscript", "R", "julia", "osascript", "pwsh",
         "powershell", "tclsh", "wish", "expect", "groovy", "scala", "kotlin", "java", "jshell",
         "irb", "erl", "elixir", "iex", "racket", "guile", "sbcl", "ghci", "runghc", "php-cgi",
         "cmd", "cmd.exe", "wscript", "cscript", "swipl", "gnuplot", "octave", "matlab"],
        _interpreter,
    ),
}  # fmt: skip

# Programs that run code named by their first argument (a script file).
INTERPRETERS = frozenset(
    name for name, handler in HANDLERS.items() if handler in (_python, _node, _interpreter)
)
