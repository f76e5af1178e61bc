"""The shell classifier proper: parse once, then judge every simple command.

For each command the judgement is a loop: look at the command name; if it is a wrapper
(`sudo`, `xargs`, `bash -c`, …) take the command it wraps and look again; then ask the
carriers and handlers, then the command table. Redirections and command-carrying
environment variables add actions of their own. Everything that cannot be seen — a
dynamic command name, a script file, an unknown program, a syntax error — is `unknown`.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace

from interlock.classify import MAX_DEPTH, classify_nested
from interlock.classify.code import (
    Workspace,
    command_line_state,
    current_workspace,
    judge_overwrite,
    using_workspace,
)
from interlock.classify.paths import (
    is_device,
    is_harmless_sink,
    is_system_path,
    runs_code_later,
)
from interlock.classify.shell._carriers import CARRIERS
from interlock.classify.shell._code import (
    after_cd,
    conftests,
    local_builds,
    package_script,
    program_file,
    remember_writes,
    task_files,
)
from interlock.classify.shell._context import PROTOCOL, Context, Run, static_output
from interlock.classify.shell._environment import judge_assignments
from interlock.classify.shell._foreign import foreign_credentials, remember_origins
from interlock.classify.shell._frameworks import FRAMEWORK_HANDLERS
from interlock.classify.shell._handlers import HANDLERS, INTERPRETERS
from interlock.classify.shell._idioms import TASK_RUNNERS, asks_for_help
from interlock.classify.shell._lists import is_critical_configuration
from interlock.classify.shell._options import FINDERS
from interlock.classify.shell._parse import MAX_COMMANDS, Command, Redirect, parse
from interlock.classify.shell._redact import detail_for
from interlock.classify.shell._removal import judge_overwrite_targets, judge_removal
from interlock.classify.shell._scope import (
    command_clues,
    mounts_this_machine,
    programs_of,
    remember_variables,
    stamp,
)
from interlock.classify.shell._table import TABLE, Verdict, evaluate
from interlock.classify.shell._words import Word
from interlock.classify.shell._wrappers import WRAPPERS
from interlock.errors import PayloadError
from interlock.model import Action, Verb, unknown_action

MAX_UNWRAP = 16

# Directories whose programs are the system's own: `/usr/bin/rm` is `rm`.
_TRUSTED_DIRS = frozenset(
    {"/bin", "/usr/bin", "/usr/local/bin", "/sbin", "/usr/sbin", "/usr/local/sbin",
     "/opt/homebrew/bin", "/snap/bin", "/usr/libexec", "/bin/busybox"}
)  # fmt: skip
# Tool directories of a project: `.venv/bin/pytest` is `pytest`.
_TOOL_DIR_SUFFIXES = (".venv/bin", "venv/bin", "node_modules/.bin", ".tox/bin")
# Programs whose first argument names code to run (a script, a make target): `--help` is
# then that code's business, so the help idiom does not apply.
_RUNS_NAMED_CODE = INTERPRETERS | TASK_RUNNERS
_PACKAGE_MANAGERS = frozenset({"npm", "yarn", "pnpm", "bun"})
_TEST_RUNNERS = frozenset({"pytest", "py.test"})
# Build-tool wrappers projects commit at their root by convention: `./gradlew test` is Gradle.
_PROJECT_WRAPPERS = frozenset({"gradlew", "mvnw"})
# Framework binstubs generated into a project's bin/ (`bin/rails db:drop` is `rails db:drop`).
_BINSTUBS = frozenset({"rails", "rake", "bundle", "rspec", "spring"})


def classify(payload: object, depth: int) -> list[Action]:
    """Classify a bash command line; one action per command it would run (at least one)."""
    if not isinstance(payload, str):
        raise PayloadError(
            f"a shell payload must be a string (the command line), not {type(payload).__name__}"
        )
    if depth > MAX_DEPTH:
        return [unknown_action(PROTOCOL, f"nested more than {MAX_DEPTH} levels deep")]
    script = parse(payload)
    actions: list[Action] = []
    if script.has_error:
        actions.append(unknown_action(PROTOCOL, "the command line does not parse", payload.strip()))
    if script.truncated:
        actions.append(
            unknown_action(PROTOCOL, f"the command line runs more than {MAX_COMMANDS} commands")
        )
    # The command line's own state: the cwd's workspace, or one that only remembers the
    # files this command line writes (so a script written here and run here is read).
    workspace: Workspace | None = command_line_state() or Workspace.detached()
    variables: dict[str, str | None] = {}  # what `export X=…` set for later commands
    origins: dict[str, str] = {}  # variables filled from files (`X=$(cat f)`, `source .env`)
    jobs: set[str] = set()  # variables holding the PID of a job started here (`P=$!`)
    for command in script.commands:
        with using_workspace(workspace):  # None once a `cd` went somewhere unknown
            judged = _judge_command(command, depth, script.functions, origins, frozenset(jobs))
        programs = programs_of(command)
        clues = command_clues(command, variables, programs)
        mounts = mounts_this_machine(command)
        actions.extend(stamp(judged, programs, clues, _known_cwd(workspace), mounts))
        remember_variables(command, variables)
        remember_origins(command, origins)
        for name, word in command.assignments:
            (jobs.add if word.text in _LAST_JOB else jobs.discard)(name)
        if workspace is not None:
            remember_writes(command, workspace)
            workspace = after_cd(command, workspace)
    if not actions:
        actions.append(
            Action(
                protocol=PROTOCOL,
                operation=f"{PROTOCOL}:none",
                verb=Verb.READ,
                reversible=True,
                reason="the command line runs no command (empty, or only comments)",
            )
        )
    return actions


def _known_cwd(workspace: Workspace | None) -> str | None:
    """The directory a command runs in, when the check gave one (or a `cd` named one)."""
    if workspace is None or (not workspace.grounded and workspace.cwd == "/"):
        return None
    return workspace.cwd


_LAST_JOB = frozenset({"$!", "${!}", '"$!"', '"${!}"'})


def _judge_command(
    command: Command,
    depth: int,
    functions: frozenset[str],
    origins: dict[str, str],
    jobs: frozenset[str] = frozenset(),
) -> list[Action]:
    ctx = Context(
        command=command,
        depth=depth,
        functions=functions,
        detail=detail_for(command),
        judge=_judge_words,
        shell=_classify_text,
        own_jobs=jobs,
    )
    actions = foreign_credentials(command, ctx, origins)
    actions.extend(judge_assignments(command.assignments, ctx))
    actions.extend(_judge_redirects(command.redirects, ctx))
    if command.words:
        actions.extend(_judge_words(command.words, ctx))
    elif not actions:
        actions.append(ctx.action("assignment", Verb.READ, "only sets shell variables"))
    return actions


def _classify_text(text: str, via: str, ctx: Context) -> list[Action]:
    """Shell text carried by a command (`bash -c`, `eval`, `ssh host CMD`), one level deeper."""
    nested = classify_nested("shell", text, ctx.depth)
    return [_via(a, via) for a in nested]


def _via(action: Action, via: str) -> Action:
    if not via or via in action.reason:
        return action
    return replace(action, reason=f"{action.reason} (run through {via})")


def _judge_words(words: list[Word], ctx: Context) -> list[Action]:
    """Judge one argument vector: the command it runs, and the commands its options run."""
    extras: list[Action] = []
    actions = _unwrap(words, ctx, extras)
    return [*extras, *actions]


def _unwrap(words: list[Word], ctx: Context, extras: list[Action]) -> list[Action]:
    """The unwrap loop: see through wrappers, then ask carriers, handlers and the table."""
    vias: list[str] = []
    for _ in range(MAX_UNWRAP):
        if not words:
            return [ctx.action("none", Verb.READ, "runs no command")]
        head = words[0]
        if head.value is None:
            reason = f"the command name {head.text} is only known at run time"
            return _annotate([ctx.unknown("dynamic", reason, (head.text,))], vias)
        name = command_name(head.value)
        if name is None:
            found = program_file(head.value, words[1:], ctx)
            if found is not None:
                return _annotate(found, vias)
            reason = f"runs {head.value}, a program Interlock cannot see into"
            return _annotate([ctx.unknown("program", reason, (head.value,))], vias)
        if name in ctx.functions:
            reason = f"calls the function {name} defined in this command line (judged there)"
            return _annotate([ctx.action(f"function {name}", Verb.READ, reason)], vias)
        finder = FINDERS.get(name)
        if finder is not None:
            extras.extend(_annotate(finder(name, words[1:], ctx), vias))
        wrapper = WRAPPERS.get(name)
        if wrapper is not None:
            answer = wrapper(name, words[1:], ctx)
            if isinstance(answer, Run):
                words = answer.words
                vias.append(answer.via)
                continue
            if answer is not None:
                return _annotate(answer, vias)
        fetched = bool(vias) and name not in TABLE  # `npx pkg --help` runs the package
        if name not in _RUNS_NAMED_CODE and not fetched and asks_for_help(words[1:]):
            shown = " ".join(w.value or "" for w in words[:4])
            reason = f"{shown} only prints usage or version information"
            return _annotate([ctx.action(name, Verb.READ, reason)], vias)
        if name in _PACKAGE_MANAGERS:
            scripted = package_script(name, words[1:], ctx)
            if scripted is not None:
                return _annotate(scripted, vias)
        if name in _TEST_RUNNERS:
            extras.extend(_annotate(conftests(words[1:], ctx), vias))
        if name in ("pip", "pip3"):
            extras.extend(_annotate(local_builds(words[1:], ctx), vias))
        if name in ("tox", "nox") and not asks_for_help(words[1:]):
            extras.extend(_annotate(task_files(name, words[1:], ctx), vias))
        special = CARRIERS.get(name) or HANDLERS.get(name)
        if special is not None:
            return _annotate(special(name, words[1:], ctx), vias)
        verdict = evaluate(name, tuple(words[1:]))
        if verdict is None:
            reason = f"{name} is not a command Interlock knows"
            return _annotate([ctx.unknown(name, reason, (name,))], vias)
        if verdict.entry.handler:
            handler = (
                HANDLERS.get(verdict.entry.handler)
                or CARRIERS.get(verdict.entry.handler)
                or FRAMEWORK_HANDLERS.get(verdict.entry.handler)
            )
            if handler is not None:
                return _annotate(handler(verdict.operation, list(verdict.args), ctx), vias)
        return _annotate([_verdict_action(verdict, ctx)], vias)
    return [ctx.unknown("wrappers", f"more than {MAX_UNWRAP} nested wrappers")]


def _annotate(actions: list[Action], vias: list[str]) -> list[Action]:
    if not vias:
        return actions
    chain = ", ".join(vias)
    return [_via(a, chain) if a.protocol == PROTOCOL else a for a in actions]


def _verdict_action(verdict: Verdict, ctx: Context) -> Action:
    removal = judge_removal(verdict, ctx) or judge_overwrite_targets(verdict, ctx)
    if removal is not None:
        return removal
    return ctx.action(verdict.operation, verdict.verb, verdict.reason(), verdict.targets)


def command_name(value: str) -> str | None:
    """The table name of a command word, or None for a program by path we cannot trust.

    `/usr/bin/rm` and `.venv/bin/pytest` are `rm` and `pytest`; `./deploy.sh` or
    `/tmp/x/ls` could be anything.
    """
    if "/" not in value:
        return value
    directory, _, base = value.rpartition("/")
    if not base:
        return None
    if directory in _TRUSTED_DIRS or directory.endswith(_TOOL_DIR_SUFFIXES):
        return base
    if directory == "." and base in _PROJECT_WRAPPERS:
        return base
    if directory in ("bin", "./bin") and base in _BINSTUBS:
        return base
    return None


# --- redirections ---------------------------------------------------------------------

_WRITE_OPS = frozenset({">", ">|", "&>", ">>", "&>>", "<>", ">&"})


def _visible_configuration(path: str, ctx: Context) -> bool:
    """An application's configuration under /etc written with text the human can read
    (`cat <<'EOF' > /etc/nginx/conf.d/app.conf`); not the files that decide logins, boot,
    schedules or name resolution."""
    normal = posixpath.normpath(path)
    if not normal.startswith("/etc/") or is_critical_configuration(normal):
        return False
    return static_output(ctx.command, 0) is not None


def _judge_redirects(redirects: list[Redirect], ctx: Context) -> list[Action]:
    actions: list[Action] = []
    for redirect in redirects:
        if redirect.op in ("<", "<>") and redirect.target is not None:
            source = redirect.target.value
            if source is not None and not source.startswith("/dev/"):
                # `cat < .env` reads the file as surely as `cat .env` (the hooks look inside).
                reason = f"input is read from {source}"
                actions.append(ctx.action("redirect <", Verb.READ, reason, (source,)))
        if redirect.op not in _WRITE_OPS or redirect.target is None:
            continue
        target = redirect.target
        value = target.value
        if redirect.op == ">&" and (value is None or value.isdigit() or value == "-"):
            continue  # `2>&1`, `>&2`: duplicating a descriptor writes nothing
        append = redirect.op in (">>", "&>>")
        verb_text = "appends to" if append else "overwrites"
        if value is None:
            reason = f"output {verb_text} {target.text}, a file named at run time"
            actions.append(ctx.action("redirect", Verb.WRITE, reason, (target.text,)))
        elif is_harmless_sink(value):
            continue
        elif runs_code_later(value):
            reason = f"output {verb_text} {value}, which git runs or obeys on its next command"
            actions.append(ctx.unknown("redirect", reason, (value,)))
        elif is_device(value):
            reason = f"output {verb_text} the device {value}, destroying what is on it"
            actions.append(ctx.action("redirect", Verb.DESTRUCTIVE, reason, (value,)))
        elif is_system_path(value) and _visible_configuration(value, ctx):
            reason = f"output {verb_text} {value} with content shown in the command line"
            actions.append(ctx.action("redirect", Verb.WRITE, reason, (value,)))
        elif is_system_path(value):
            reason = f"output {verb_text} {value}, a system or credential file"
            actions.append(ctx.action("redirect", Verb.DESTRUCTIVE, reason, (value,)))
        else:
            place = judge_overwrite(value, current_workspace())
            if place is not None and place.verb is Verb.DESTRUCTIVE:
                reason = f"output {verb_text} {value}: {place.why}"
                actions.append(ctx.action("redirect", Verb.DESTRUCTIVE, reason, (value,)))
                continue
            reason = f"output {verb_text} {value}"
            actions.append(ctx.action("redirect", Verb.WRITE, reason, (value,)))
    return actions
