"""Commands that run another command, and how to see through them.

`sudo rm -rf /`, `env -i rm -rf /`, `timeout 5 rm -rf /`, `xargs rm -rf`, `bash -c 'rm -rf /'`
and `ssh prod 'rm -rf /'` all delete the same files. Each wrapper here knows its own options
(which take a value, which change its meaning) and answers one of:

- `Run(words, via)`: the command that really runs, judged again by the same loop, so
  wrappers nest to any depth (`sudo env nice xargs rm`);
- a list of actions: the wrapper carries shell text (`bash -c`, `eval`, `ssh host CMD`,
  `watch`), which is classified as a whole command line one level deeper, or its meaning is
  already decided (`sudo -i` opens a root shell: unknown);
- None: the wrapper is not wrapping anything in this form; the command table decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from interlock.classify.shell._code import shell_script
from interlock.classify.shell._context import Context, Run, stdin_text
from interlock.classify.shell._idioms import runs_environment_setup
from interlock.classify.shell._words import Word, fanout_word, literal
from interlock.model import Action, Verb

Answer = Run | list[Action] | None
Wrapper = Callable[[str, list[Word], Context], Answer]


@dataclass(slots=True)
class Options:
    """The options in front of a wrapped command, and where that command starts."""

    flags: set[str] = field(default_factory=set)
    values: dict[str, Word] = field(default_factory=dict)
    index: int = 0


def split_options(
    args: list[Word], value_opts: frozenset[str] | set[str], *, single_dash_long: bool = False
) -> Options:
    """Read options up to the first positional word (or `--`), getopt style."""
    out = Options()
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None or value == "-" or not value.startswith("-"):
            break
        if value == "--":
            i += 1
            break
        if value.startswith("--") or single_dash_long:
            name, eq, rest = value.partition("=")
            out.flags.add(name)
            if eq:
                out.values[name] = literal(rest)
            elif name in value_opts and i + 1 < len(args):
                out.values[name] = args[i + 1]
                i += 1
        else:
            letters = value[1:]
            for j, letter in enumerate(letters):
                flag = "-" + letter
                out.flags.add(flag)
                if flag in value_opts:
                    rest = letters[j + 1 :]
                    if rest:
                        out.values[flag] = literal(rest)
                    elif i + 1 < len(args):
                        out.values[flag] = args[i + 1]
                        i += 1
                    break
        i += 1
    out.index = i
    return out


def _join(words: list[Word]) -> str | None:
    """Join words into shell text the way `eval`/`ssh`/`watch` do; None if any is dynamic."""
    if any(w.value is None for w in words):
        return None
    return " ".join(w.value or "" for w in words)


def _shell_text(text: str | None, via: str, ctx: Context, source: list[Word]) -> list[Action]:
    if text is None:
        shown = next((w.text for w in source if w.value is None), "?")
        reason = f"{via} runs shell text containing {shown}, which is only known at run time"
        return [ctx.unknown(via, reason)]
    return ctx.shell(text, via, ctx)


# --- privilege and environment wrappers ---------------------------------------------------

_SUDO_VALUES = frozenset(
    {"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user", "--group",
     "--host", "--prompt", "--close-from", "--chdir", "--role", "--type", "--other-user",
     "--command-timeout"}
)  # fmt: skip


def _sudo(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, _SUDO_VALUES if name == "sudo" else frozenset({"-u", "-C"}))
    rest = args[opts.index :]
    if opts.flags & {"-e", "--edit"}:
        return Run([literal("sudoedit"), *rest], name)
    if opts.flags & {"-s", "--shell", "-i", "--login"}:
        if not rest:
            return [ctx.unknown(name, f"{name} opens an interactive root shell")]
        return _shell_text(_join(rest), f"{name} -s", ctx, rest)
    if not rest:
        listing = {"-l", "--list", "-v", "--validate", "-k", "-K", "--reset-timestamp",
                   "--remove-timestamp", "-V", "--version", "-h", "--help"}  # fmt: skip
        if opts.flags & listing or not opts.flags:
            return [ctx.action(name, Verb.READ, f"{name} only checks or lists privileges")]
        return [ctx.unknown(name, f"{name} with these options runs nothing Interlock can see")]
    return Run(rest, name)


_ENV_VALUES = frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string", "-P"})


def _env(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, _ENV_VALUES)
    rest = args[opts.index :]
    split = opts.values.get("-S") or opts.values.get("--split-string")
    if split is not None:
        text = _join([split, *rest])
        return _shell_text(text, "env -S", ctx, [split, *rest])
    assignments: list[tuple[str, Word]] = []
    while rest and rest[0].value is not None and _is_assignment(rest[0].value):
        key, _, value = rest[0].value.partition("=")
        assignments.append((key, literal(value)))
        rest = rest[1:]
    from interlock.classify.shell._environment import judge_assignments

    extra = judge_assignments(assignments, ctx)
    if not rest:
        if opts.flags or assignments:
            return [*extra, ctx.action(name, Verb.READ, "env prints a chosen environment")]
        from interlock.classify.shell._handlers import environment_read

        return [environment_read(name, [], ctx)]
    if extra:
        return [*extra, *ctx.judge(rest, ctx)]
    return Run(rest, name)


def _is_assignment(value: str) -> bool:
    key, eq, _ = value.partition("=")
    return bool(eq) and key.replace("_", "a").isalnum() and not key[0].isdigit()


def _simple(value_opts: frozenset[str], positionals: int = 0, empty: str = "") -> Wrapper:
    """A wrapper of the form `NAME [options] [N fixed positionals] COMMAND…`."""

    def unwrap(name: str, args: list[Word], ctx: Context) -> Answer:
        opts = split_options(args, value_opts)
        rest = args[opts.index + positionals :]
        if not rest:
            if empty:
                return [ctx.action(name, Verb.READ, empty)]
            return [
                ctx.unknown(name, f"{name} without a command does something Interlock cannot see")
            ]
        return Run(rest, name)

    return unwrap


def _command_builtin(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, frozenset())
    rest = args[opts.index :]
    if opts.flags & {"-v", "-V"} or not rest:
        return [ctx.action(name, Verb.READ, f"{name} -v only looks a command up")]
    return Run(rest, name)


def _exec(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, frozenset({"-a"}))
    rest = args[opts.index :]
    if not rest:
        return [ctx.action(name, Verb.READ, "exec without a command only applies redirections")]
    return Run(rest, name)


def _nice(name: str, args: list[Word], ctx: Context) -> Answer:
    value_opts = {
        "nice": frozenset({"-n", "--adjustment"}),
        "ionice": frozenset({"-c", "-n", "--class", "--classdata", "-p", "-P", "-u", "--pid"}),
        "chrt": frozenset(),
        "taskset": frozenset({"-c", "--cpu-list"}),
    }[name]
    opts = split_options(args, value_opts)
    if opts.flags & {"-p", "--pid", "-P", "-u", "--pgid", "--uid", "-a", "--all-tasks"}:
        return [ctx.action(name, Verb.WRITE, f"{name} changes the scheduling of a running process")]
    skip = 1 if name in ("chrt", "taskset") else 0
    rest = args[opts.index + skip :]
    if not rest:
        return [ctx.action(name, Verb.READ, f"{name} only shows scheduling settings")]
    return Run(rest, name)


def _timeout(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, frozenset({"-s", "-k", "--signal", "--kill-after"}))
    rest = args[opts.index + 1 :]
    if not rest:
        return [ctx.unknown(name, "timeout without a command")]
    return Run(rest, name)


def _chroot(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, frozenset({"--userspec", "--groups"}))
    rest = args[opts.index + 1 :]
    if not rest:
        return [ctx.unknown(name, "chroot without a command opens a shell")]
    return Run(rest, name)


def _flock(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(
        args, frozenset({"-w", "-E", "-c", "--timeout", "--conflict-exit-code", "--command"})
    )
    text = opts.values.get("-c") or opts.values.get("--command")
    if text is not None:
        return _shell_text(text.value, "flock -c", ctx, [text])
    rest = args[opts.index + 1 :]
    # `flock FILE -c CMD` puts the option after the file.
    if rest and rest[0].value in ("-c", "--command") and len(rest) > 1:
        return _shell_text(rest[1].value, "flock -c", ctx, rest[1:2])
    if not rest:
        return [ctx.action(name, Verb.READ, "flock on a descriptor only takes a lock")]
    return Run(rest, name)


def _su(name: str, args: list[Word], ctx: Context) -> Answer:
    value_opts = frozenset({"-c", "--command", "-s", "--shell", "-g", "--group", "-u", "--user",
                            "-w", "--whitelist-environment", "-G", "--supp-group"})  # fmt: skip
    opts = split_options(args, value_opts)
    text = opts.values.get("-c") or opts.values.get("--command")
    rest = args[opts.index :]
    if text is None:
        # `su - user -c CMD`: options may follow the user name.
        for i, word in enumerate(rest):
            if word.value in ("-c", "--command") and i + 1 < len(rest):
                text = rest[i + 1]
                break
    if text is not None:
        return _shell_text(text.value, f"{name} -c", ctx, [text])
    if name == "runuser" and "-u" in opts.values and rest:
        return Run(rest, name)
    if name == "sg" and len(rest) > 1:
        return _shell_text(_join(rest[1:]), "sg", ctx, rest[1:])
    return [ctx.unknown(name, f"{name} opens a shell as another user")]


# --- wrappers that run a command once per input item ------------------------------------

_XARGS_VALUES = frozenset(
    {"-I", "-n", "-L", "-P", "-s", "-d", "-E", "-a", "--arg-file", "--delimiter",
     "--max-args", "--max-procs", "--max-lines", "--max-chars", "--eof", "--process-slot-var"}
)  # fmt: skip


def _xargs(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, _XARGS_VALUES)
    rest = args[opts.index :]
    if not rest:
        return [ctx.action(name, Verb.READ, "xargs without a command only echoes its input")]
    replace = opts.values.get("-I") or opts.values.get("--replace")
    if "-i" in opts.flags and replace is None:
        replace = literal("{}")
    items = "the items xargs reads from its input"
    if replace is not None and replace.value:
        marker = replace.value
        words = [
            fanout_word(items) if w.value is not None and marker in w.value else w for w in rest
        ]
        return Run(words, "xargs")
    return Run([*rest, fanout_word(items)], "xargs")


_PARALLEL_VALUES = frozenset(
    {"-j", "--jobs", "-S", "--sshlogin", "-a", "--arg-file", "--colsep", "-d", "--delimiter",
     "-E", "--halt", "--joblog", "--results", "-n", "-N", "--timeout", "--delay", "-I",
     "--tmpdir", "--workdir", "--env", "--tag-string", "-L", "--max-lines"}
)  # fmt: skip


def _parallel(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, _PARALLEL_VALUES)
    rest = args[opts.index :]
    for i, word in enumerate(rest):
        if word.value in (":::", "::::", ":::+", "::::+"):
            rest = rest[:i]
            break
    if not rest:
        return [ctx.unknown(name, "parallel runs commands read from its input")]
    items = "the items parallel substitutes"
    if len(rest) == 1 and rest[0].value is not None and " " in rest[0].value:
        return _shell_text(rest[0].value, "parallel", ctx, rest)
    words = [
        fanout_word(items) if w.value is not None and "{" in w.value and "}" in w.value else w
        for w in rest
    ]
    if not any(w.fanout for w in words):
        words.append(fanout_word(items))
    return Run(words, "parallel")


def _watch(name: str, args: list[Word], ctx: Context) -> Answer:
    value_opts = frozenset({"-n", "--interval", "-q", "--equexit"})
    opts = split_options(args, value_opts)
    rest = args[opts.index :]
    if not rest:
        return [ctx.action(name, Verb.READ, "watch without a command")]
    if opts.flags & {"-x", "--exec"}:
        return Run(rest, "watch")
    # watch joins its arguments with spaces and gives them to `sh -c`, so the quoting of
    # `watch sh -c 'git reset --hard'` is lost; versions and habits differ, so judge both
    # readings: the joined text and the words as given.
    joined = _shell_text(_join(rest), "watch", ctx, rest)
    return [*joined, *ctx.judge(rest, ctx)] if len(rest) > 1 else joined


# --- shells and shell-text carriers -------------------------------------------------------

_SHELL_VALUES = frozenset({"-o", "+o", "-O", "+O", "--rcfile", "--init-file"})


def _shell(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, _SHELL_VALUES)
    rest = args[opts.index :]
    via = f"{name} -c"
    if "-c" in opts.flags:
        # `bash -c TEXT [NAME ARGS…]`; `bash -lc`, `bash -xec` keep `c` in the bundle.
        text = opts.values.get("-c") if "-c" in opts.values else (rest[0] if rest else None)
        if text is None:
            return [ctx.unknown(via, f"{via} without a command")]
        return _shell_text(text.value, via, ctx, [text])
    if rest and "-s" not in opts.flags:
        script = rest[0]
        if script.value is None:
            reason = f"{name} runs a script named at run time ({script.text})"
            return [ctx.unknown(name, reason)]
        return shell_script(name, script.value, None, ctx, rest[1:])
    return _from_stdin(name, ctx, "shell commands")


def _from_stdin(name: str, ctx: Context, what: str) -> list[Action]:
    """A shell reading its commands from standard input."""
    text = stdin_text(ctx.stdin)
    if text is not None:
        return ctx.shell(text, f"{name} reading standard input", ctx)
    stdin = ctx.stdin
    if stdin is None:
        return [ctx.unknown(name, f"{name} opens an interactive session")]
    if stdin.kind == "file":
        return [
            ctx.unknown(name, f"{name} runs {what} from {stdin.source}, which Interlock cannot see")
        ]
    return [ctx.unknown(name, f"{name} runs {what} produced at run time by the previous command")]


def _eval(name: str, args: list[Word], ctx: Context) -> Answer:
    if not args:
        return [ctx.action(name, Verb.READ, "eval of nothing")]
    if len(args) == 1:
        setup = runs_environment_setup(args[0])
        if setup is not None:
            reason = f"eval runs the shell set-up that `{setup}` prints"
            return [ctx.action(name, Verb.WRITE, reason, (setup,))]
    return _shell_text(_join(args), "eval", ctx, args)


def _trap(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, frozenset())
    rest = args[opts.index :]
    if not rest or opts.flags & {"-l", "-p"} or len(rest) == 1:
        return [ctx.action(name, Verb.READ, "trap only lists or resets handlers")]
    if rest[0].value in ("-", ""):
        return [ctx.action(name, Verb.READ, "trap resets signal handlers")]
    return _shell_text(rest[0].value, "trap", ctx, rest[:1])


def _alias(name: str, args: list[Word], ctx: Context) -> Answer:
    actions: list[Action] = []
    for word in args:
        if word.value is None:
            actions.append(
                ctx.unknown("alias", f"alias defined from {word.text}, only known at run time")
            )
            continue
        _, eq, body = word.value.partition("=")
        if eq:
            actions.extend(ctx.shell(body, "alias", ctx))
    return actions or [ctx.action(name, Verb.READ, "alias only lists aliases")]


def _source(name: str, args: list[Word], ctx: Context) -> Answer:
    if not args:
        return [ctx.unknown(name, f"{name} without a file")]
    path = args[0]
    shown = path.shown
    setup = runs_environment_setup(path) if path.value is None else None
    if setup is not None:
        reason = f"{name} runs the shell set-up that `{setup}` prints"
        return [ctx.action(name, Verb.WRITE, reason, (setup,))]
    if path.value is not None and _is_environment_setup(path.value):
        return [
            ctx.action(name, Verb.WRITE, f"{name} {shown} sets up a tool environment", (shown,))
        ]
    if path.value is not None:
        return shell_script(name, path.value, None, ctx, args[1:])
    return [
        ctx.unknown(
            name, f"{name} runs the commands in {shown}, which Interlock cannot see", (shown,)
        )
    ]


def _is_environment_setup(path: str) -> bool:
    """Virtualenv activation and version-manager set-up scripts, sourced all day long."""
    base = path.rsplit("/", 1)[-1]
    if base in ("activate", "activate.fish", "activate.csh") and "/bin/" in "/" + path:
        return True
    return path in ("~/.cargo/env", "$HOME/.cargo/env", "~/.nvm/nvm.sh", "$NVM_DIR/nvm.sh")


# --- remote and container execution -------------------------------------------------------

_SSH_VALUES = frozenset(
    {"-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p",
     "-Q", "-R", "-S", "-W", "-w", "-B", "-P"}
)  # fmt: skip


def _ssh(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, _SSH_VALUES)
    rest = args[opts.index :]
    if not rest:
        return [ctx.action(name, Verb.READ, "ssh without a host only prints usage")]
    host = rest[0].shown
    remote = rest[1:]
    # Options may also follow the host (`ssh host -t cmd`).
    more = split_options(remote, _SSH_VALUES)
    remote = remote[more.index :]
    if opts.flags & {"-N", "-O", "-W"} or more.flags & {"-N"}:
        return [ctx.action(name, Verb.WRITE, f"ssh to {host} only forwards ports", (host,))]
    if not remote:
        text = stdin_text(ctx.stdin)
        if text is not None:
            return ctx.shell(text, f"ssh {host}", ctx)
        return [ctx.unknown(name, f"ssh opens an interactive session on {host}", (host,))]
    return _shell_text(_join(remote), f"ssh {host}", ctx, remote)


_DOCKER_GLOBAL = frozenset({"-H", "--host", "--context", "-c", "--config", "-l", "--log-level"})
_DOCKER_EXEC = frozenset({"-e", "--env", "--env-file", "-u", "--user", "-w", "--workdir",
                          "--detach-keys", "--index"})  # fmt: skip
_DOCKER_RUN = _DOCKER_EXEC | frozenset(
    {"-v", "--volume", "-p", "--publish", "--name", "--network", "--net", "--entrypoint", "-m",
     "--memory", "--cpus", "--mount", "-l", "--label", "--platform", "--hostname", "-h",
     "--restart", "--add-host", "--cap-add", "--cap-drop", "--device", "--dns", "--gpus",
     "--ipc", "--pid", "--pull", "--runtime", "--security-opt", "--shm-size", "--tmpfs",
     "--ulimit", "--volumes-from", "--log-driver", "--log-opt", "--label-file", "--cidfile",
     "--stop-signal", "--stop-timeout", "--health-cmd", "--user", "--group-add", "--expose",
     "--link", "--ip", "--mac-address", "--userns", "--uts", "--cgroupns", "--cpu-shares",
     "--memory-swap", "-a", "--attach"}
)  # fmt: skip


def _docker(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, _DOCKER_GLOBAL)
    rest = args[opts.index :]
    words = [w.value for w in rest[:2]]
    if words[:1] in (["container"], ["compose"]) and len(rest) > 1:
        group, verb, rest = words[0], words[1], rest[2:]
    elif words[:1] in (["exec"], ["run"]):
        group, verb, rest = "", words[0], rest[1:]
    else:
        return None
    if verb not in ("exec", "run"):
        return None
    value_opts = _DOCKER_EXEC if verb == "exec" else _DOCKER_RUN
    if group == "compose":
        value_opts = value_opts | {"--name", "-p", "--publish", "--entrypoint"}
    inner = split_options(rest, value_opts)
    rest = rest[inner.index :]
    label = " ".join(p for p in (name, group, verb) if p)
    if not rest:
        return [ctx.unknown(label, f"{label} without a target")]
    target = rest[0].shown
    command = rest[1:]
    started: list[Action] = []
    if verb == "run":
        started.append(ctx.action(label, Verb.WRITE, f"{label} starts a container from {target}",
                                  (target,)))  # fmt: skip
        if not command:
            return started
    elif not command:
        return [ctx.unknown(label, f"{label} without a command")]
    if _is_interactive_shell(command):
        return [*started, ctx.unknown(label, f"{label} opens an interactive shell in {target}",
                                      (target,))]  # fmt: skip
    return [*started, *ctx.judge(command, ctx)]


def _is_interactive_shell(command: list[Word]) -> bool:
    names = ("bash", "sh", "zsh", "ash", "dash", "fish", "/bin/bash", "/bin/sh")
    return len(command) == 1 and command[0].value in names


_KUBECTL_VALUES = frozenset({"-n", "--namespace", "-c", "--container", "--context",
                             "--kubeconfig", "--cluster", "--user", "-f", "--filename",
                             "--pod-running-timeout", "--image", "--as"})  # fmt: skip


def _kubectl(name: str, args: list[Word], ctx: Context) -> Answer:
    opts = split_options(args, _KUBECTL_VALUES)
    rest = args[opts.index :]
    if not rest or rest[0].value not in ("exec", "run", "debug"):
        return None
    verb = rest[0].value
    split = next((i for i, w in enumerate(rest) if w.value == "--"), None)
    label = f"{name} {verb}"
    if split is None:
        if verb == "exec":
            return [
                ctx.unknown(label, f"{label} without `--` runs a command Interlock cannot find")
            ]
        return None
    command = rest[split + 1 :]
    started: list[Action] = []
    if verb != "exec":
        started.append(ctx.action(label, Verb.WRITE, f"{label} starts a pod"))
    if not command:
        return [*started, ctx.unknown(label, f"{label} without a command")]
    if _is_interactive_shell(command):
        return [*started, ctx.unknown(label, f"{label} opens an interactive shell in a pod")]
    return [*started, *ctx.judge(command, ctx)]


# --- tool runners (`npx X`, `uv run X`, `poetry run X`, …) --------------------------------

_RUNNER_VALUES = frozenset(
    {"-p", "--package", "--with", "--python", "--from", "--project", "--directory", "--extra",
     "--group", "--env-file", "--index", "--cache", "--registry", "-w", "--workspace",
     "--filter", "-F", "--cwd", "-e", "--environment", "-n", "--name", "--prefix"}
)  # fmt: skip
# A runner is `TOOL SUBCOMMAND` (None: the tool name alone, like `npx`).
_RUNNERS: dict[str, frozenset[str | None]] = {
    "npx": frozenset({None}),
    "pnpx": frozenset({None}),
    "bunx": frozenset({None}),
    "uvx": frozenset({None}),
    "uv": frozenset({"run", "tool"}),
    "poetry": frozenset({"run"}),
    "pipenv": frozenset({"run"}),
    "pdm": frozenset({"run"}),
    "hatch": frozenset({"run"}),
    "rye": frozenset({"run"}),
    "pixi": frozenset({"run", "exec"}),
    "conda": frozenset({"run"}),
    "mamba": frozenset({"run"}),
    "micromamba": frozenset({"run"}),
    "bundle": frozenset({"exec"}),
    "npm": frozenset({"exec", "x"}),
    "pnpm": frozenset({"exec", "dlx"}),
    "yarn": frozenset({"exec", "dlx"}),
    "bun": frozenset({"x"}),
    "pipx": frozenset({"run"}),
    "devbox": frozenset({"run"}),
    "op": frozenset({"run"}),
    "doppler": frozenset({"run"}),
    "infisical": frozenset({"run"}),
    "dotenv": frozenset({None}),
    "aws-vault": frozenset({"exec"}),
    "direnv": frozenset({"exec"}),
    "railway": frozenset({"run"}),  # runs a local command with the service's variables
    "heroku": frozenset({"run"}),  # runs a command on a one-off dyno, judged as the command
}
# Options of a runner's own that take a value (`railway run -s api npm start`).
_RUNNER_OWN_VALUES: dict[str, frozenset[str]] = {
    "railway": frozenset({"-s", "--service", "-e", "--environment", "-p", "--project"}),
    "heroku": frozenset({"-a", "--app", "-r", "--remote", "-s", "--size", "-e", "--env",
                         "-t", "--team", "--type"}),
}  # fmt: skip


def _runner(name: str, args: list[Word], ctx: Context) -> Answer:
    subs = _RUNNERS[name]
    rest = list(args)
    label = name
    values = _RUNNER_VALUES | _RUNNER_OWN_VALUES.get(name, frozenset())
    if None not in subs:
        opts = split_options(rest, values)
        rest = rest[opts.index :]
        if not rest or rest[0].value not in subs:
            return None
        label = f"{name} {rest[0].value}"
        if name == "uv" and rest[0].value == "tool":
            if len(rest) < 2 or rest[1].value != "run":
                return None
            rest = rest[1:]
        rest = rest[1:]
    opts = split_options(rest, values)
    call = opts.values.get("-c") or opts.values.get("--call")
    if call is not None:
        return _shell_text(call.value, f"{label} -c", ctx, [call])
    rest = rest[opts.index :]
    if name in ("aws-vault", "direnv") and rest:
        rest = rest[1:]  # the profile / directory
        if rest and rest[0].value == "--":
            rest = rest[1:]
    if not rest:
        return [ctx.unknown(label, f"{label} without a command")]
    head = rest[0]
    if (head.value is not None and head.value.startswith("@")) or "@" in (head.value or "")[1:]:
        # `npx @scope/tool@1.2` runs `tool`.
        package = (head.value or "").rsplit("/", 1)[-1].split("@", 1)[0]
        rest = [literal(package), *rest[1:]]
    return Run(rest, label)


WRAPPERS: dict[str, Wrapper] = {
    "sudo": _sudo,
    "doas": _sudo,
    "env": _env,
    "nohup": _simple(frozenset()),
    "time": _simple(frozenset({"-f", "-o", "--format", "--output"}), empty="time of nothing"),
    "stdbuf": _simple(frozenset({"-i", "-o", "-e", "--input", "--output", "--error"})),
    "setsid": _simple(frozenset()),
    "unbuffer": _simple(frozenset()),
    "caffeinate": _simple(frozenset({"-t", "-w"}), empty="caffeinate keeps the machine awake"),
    "catchsegv": _simple(frozenset()),
    "torsocks": _simple(frozenset()),
    "proxychains": _simple(frozenset({"-f"})),
    "proxychains4": _simple(frozenset({"-f"})),
    "xvfb-run": _simple(
        frozenset(
            {
                "-n",
                "-s",
                "-f",
                "-e",
                "-p",
                "--server-num",
                "--server-args",
                "--auth-file",
                "--error-file",
            }
        )
    ),
    "dbus-run-session": _simple(frozenset()),
    "busybox": _simple(frozenset()),
    "builtin": _simple(frozenset()),
    "strace": _simple(frozenset({"-o", "-e", "-s", "-u", "-E", "-a", "-S", "-O", "-P", "-X"})),
    "ltrace": _simple(frozenset({"-o", "-e", "-s", "-u", "-E", "-a", "-S", "-l", "-n"})),
    "valgrind": _simple(frozenset()),
    "command": _command_builtin,
    "exec": _exec,
    "nice": _nice,
    "ionice": _nice,
    "chrt": _nice,
    "taskset": _nice,
    "timeout": _timeout,
    "gtimeout": _timeout,
    "chroot": _chroot,
    "flock": _flock,
    "su": _su,
    "runuser": _su,
    "sg": _su,
    "xargs": _xargs,
    "parallel": _parallel,
    "watch": _watch,
    "bash": _shell,
    "sh": _shell,
    "zsh": _shell,
    "dash": _shell,
    "ksh": _shell,
    "mksh": _shell,
    "ash": _shell,
    "fish": _shell,
    "rbash": _shell,
    "eval": _eval,
    "trap": _trap,
    "alias": _alias,
    "source": _source,
    ".": _source,
    "ssh": _ssh,
    "docker": _docker,
    "podman": _docker,
    "nerdctl": _docker,
    "kubectl": _kubectl,
    "oc": _kubectl,
    **dict.fromkeys(_RUNNERS, _runner),
}
