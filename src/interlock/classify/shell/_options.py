"""Options and arguments that make a program run another command.

`git -c core.sshCommand='rm -rf ~' fetch`, `tar --checkpoint-action=exec=CMD`, `rsync -e CMD`,
`zip -TT CMD`, `sed '1e CMD'`, `ssh -o ProxyCommand=CMD`, `git rebase -x CMD`, `… | crontab -`
and `echo CMD | at now` all run a command that the program's name does not show. Each
function here finds those commands and judges them as shell text (one level deeper); what
it cannot see (a command from a file, a hook directory) is unknown. The program itself is
still judged by the table: these actions come in addition.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from interlock.classify.paths import is_critical_path, is_device, is_everything, is_system_path
from interlock.classify.shell._context import Context, stdin_text
from interlock.classify.shell._words import Word
from interlock.model import Action, Verb

Finder = Callable[[str, list[Word], Context], list[Action]]


def _run(text: str | None, source: Word | None, via: str, ctx: Context) -> list[Action]:
    if text is None:
        shown = source.text if source is not None else "?"
        reason = f"{via} runs a command known only at run time ({shown})"
        return [ctx.unknown(via, reason)]
    if not text.strip():
        return []
    return ctx.shell(text, via, ctx)


def _option_values(args: list[Word], names: frozenset[str]) -> list[tuple[str, Word]]:
    """`--name=value`, `--name value`, `-Xvalue` and `-X value` for the given option names."""
    found: list[tuple[str, Word]] = []
    i = 0
    while i < len(args):
        value = args[i].value
        if value is None:
            i += 1
            continue
        if value == "--":
            break
        name, eq, rest = value.partition("=")
        if name in names and value.startswith("--"):
            if eq:
                found.append((name, Word(value=rest, text=rest)))
            elif i + 1 < len(args):
                found.append((name, args[i + 1]))
                i += 1
        elif value.startswith("-") and not value.startswith("--") and value[:2] in names:
            if len(value) > 2:
                found.append((value[:2], Word(value=value[2:], text=value[2:])))
            elif i + 1 < len(args):
                found.append((value[:2], args[i + 1]))
                i += 1
        i += 1
    return found


# --- git --------------------------------------------------------------------------------

# Configuration keys whose value is a command git runs (or a place it runs hooks from).
_GIT_COMMAND_KEYS = frozenset(
    {"core.sshcommand", "core.pager", "core.editor", "core.fsmonitor", "core.askpass",
     "core.gitproxy", "sequence.editor", "diff.external", "gpg.program", "gpg.ssh.program",
     "gpg.x509.program", "credential.helper", "pager.log", "pager.diff", "pager.show",
     "uploadpack.packobjectshook", "merge.tool-none", "web.browser", "sendemail.smtpserver"}
)  # fmt: skip
_GIT_COMMAND_PATTERNS = (
    re.compile(r"^alias\..+$"),
    re.compile(r"^filter\..+\.(clean|smudge|process)$"),
    re.compile(r"^diff\..+\.(textconv|command)$"),
    re.compile(r"^merge\..+\.driver$"),
    re.compile(r"^(mergetool|difftool)\..+\.cmd$"),
    re.compile(r"^pager\..+$"),
    re.compile(r"^credential\..+\.helper$"),
    re.compile(r"^remote\..+\.(uploadpack|receivepack)$"),
)
_GIT_CODE_KEYS = frozenset({"core.hookspath", "core.worktree", "include.path", "init.templatedir"})


def _git_config_entry(key: str, value: Word, via: str, ctx: Context) -> list[Action]:
    low = key.lower()
    if low in _GIT_CODE_KEYS or low.startswith(("includeif.", "protocol.")):
        reason = f"{via} sets {key}, so later git commands run code Interlock cannot see"
        return [ctx.unknown(via, reason, (key,))]
    if low in _GIT_COMMAND_KEYS or any(p.match(low) for p in _GIT_COMMAND_PATTERNS):
        text = value.value
        if low.startswith("alias.") and text is not None:
            if not text.startswith("!"):
                return []  # an alias of git subcommands runs git itself
            text = text[1:]
        if low == "credential.helper" and text is not None and not text.startswith("!"):
            return []  # a named helper (`store`, `cache`, `osxkeychain`)
        if text is not None and text.startswith("!"):
            text = text[1:]
        return _run(text, value, f"{via} {key}", ctx)
    return []


def _git(name: str, args: list[Word], ctx: Context) -> list[Action]:
    actions: list[Action] = []
    i = 0
    while i < len(args):
        value = args[i].value
        if value in ("-c",) and i + 1 < len(args):
            pair = args[i + 1]
            if pair.value is None:
                actions.append(
                    ctx.unknown("git -c", f"git -c {pair.text} is only known at run time")
                )
            else:
                key, _, setting = pair.value.partition("=")
                actions.extend(_git_config_entry(key, Word(setting, setting), "git -c", ctx))
            i += 2
            continue
        if value == "--config-env" or (value or "").startswith("--config-env="):
            actions.append(
                ctx.unknown("git", "git --config-env sets configuration from a variable")
            )
            i += 1 if "=" in (value or "") else 2
            continue
        if value in ("-C", "--git-dir", "--work-tree", "--namespace", "--exec-path"):
            i += 2
            continue
        if value is not None and value.startswith("-"):
            i += 1
            continue
        break
    rest = args[i:]
    if not rest or rest[0].value is None:
        return actions
    sub, more = rest[0].value, rest[1:]
    if sub == "config":
        positional = [w for w in more if not (w.value or "x").startswith("-")]
        flags = {w.value for w in more if (w.value or "").startswith("-")}
        if (
            len(positional) >= 2
            and positional[0].value is not None
            and not flags & {"--get", "--get-all", "--unset", "--unset-all", "-l", "--list"}
        ):
            actions.extend(_git_config_entry(positional[0].value, positional[1], "git config", ctx))
    elif sub == "rebase":
        for _, word in _option_values(more, frozenset({"--exec", "-x"})):
            actions.extend(_run(word.value, word, "git rebase --exec", ctx))
    elif sub == "bisect" and more and more[0].value == "run":
        actions.extend(ctx.judge(more[1:], ctx) if len(more) > 1 else [])
    elif sub == "submodule" and "foreach" in [w.value for w in more]:
        index = [w.value for w in more].index("foreach")
        command = [w for w in more[index + 1 :] if not (w.value or "").startswith("--")]
        if command:
            values = [w.value for w in command]
            text = None if None in values else " ".join(v or "" for v in values)
            actions.extend(_run(text, command[0], "git submodule foreach", ctx))
    elif sub in ("clone", "fetch", "pull", "ls-remote", "push", "archive"):
        # `-u` is --upload-pack for clone; for push it is --set-upstream.
        programs = {"--upload-pack", "--receive-pack", "--exec"}
        if sub in ("clone", "ls-remote"):
            programs.add("-u")
        for _, word in _option_values(more, frozenset(programs)):
            actions.extend(_run(word.value, word, f"git {sub} --upload-pack", ctx))
        for word in more:
            if (word.value or "").startswith("ext::"):
                actions.extend(_run((word.value or "")[5:], word, "git ext:: transport", ctx))
    elif sub in ("log", "diff", "whatchanged", "blame", "annotate") and "--" in [
        w.value for w in more
    ]:
        # `git log -p -- .env`: the named files' text (past and present) is printed.
        index = [w.value for w in more].index("--")
        named = tuple(w.value for w in more[index + 1 :] if w.value)
        if named:
            reason = f"git {sub} prints the text of {', '.join(named[:3])}"
            actions.append(ctx.action(f"git {sub}", Verb.READ, reason, named))
    elif sub in ("show", "cat-file"):
        # `git show HEAD:.env` prints a file's committed text: a read of that file.
        paths = [
            (w.value or "").split(":", 1)[1]
            for w in more
            if w.value is not None and ":" in w.value and not w.value.startswith("-")
        ]
        paths = [p for p in paths if p]
        if paths:
            reason = f"git {sub} prints the committed text of {', '.join(paths[:3])}"
            actions.append(ctx.action(f"git {sub}", Verb.READ, reason, tuple(paths)))
    elif sub == "grep":
        for _, word in _option_values(more, frozenset({"--open-files-in-pager", "-O"})):
            actions.extend(_run(word.value, word, "git grep -O", ctx))
    return actions


# --- archivers and copiers ------------------------------------------------------------------


def _tar(name: str, args: list[Word], ctx: Context) -> list[Action]:
    actions: list[Action] = []
    names = frozenset({"--checkpoint-action", "--to-command", "--use-compress-program", "-I",
                       "--rsh-command", "--info-script", "--new-volume-script", "-F"})  # fmt: skip
    for option, word in _option_values(args, names):
        text = word.value
        if option == "--checkpoint-action":
            if text is None or not text.startswith(("exec=", "exec ")):
                if text is None:
                    actions.append(
                        ctx.unknown("tar", "tar --checkpoint-action known only at run time")
                    )
                continue
            text = text[5:]
        actions.extend(_run(text, word, f"tar {option}", ctx))
    return actions


def _rsync(name: str, args: list[Word], ctx: Context) -> list[Action]:
    actions: list[Action] = []
    for option, word in _option_values(args, frozenset({"--rsh", "-e", "--rsync-path"})):
        text = word.value
        if text is not None and option in ("-e", "--rsh") and text.split()[:1] == ["ssh"]:
            continue  # the ordinary remote shell
        actions.extend(_run(text, word, f"rsync {option}", ctx))
    return actions


def _zip(name: str, args: list[Word], ctx: Context) -> list[Action]:
    actions: list[Action] = []
    for option, word in _option_values(args, frozenset({"--unzip-command", "-TT"})):
        actions.extend(_run(word.value, word, f"zip {option}", ctx))
    # `-TT` is a two-letter option; _option_values sees it as `-T` with value `T`.
    for index, word in enumerate(args):
        if word.value == "-TT" and index + 1 < len(args):
            actions.extend(_run(args[index + 1].value, args[index + 1], "zip -TT", ctx))
    return actions


def _ssh_like(name: str, args: list[Word], ctx: Context) -> list[Action]:
    actions: list[Action] = []
    for _, word in _option_values(args, frozenset({"-o"})):
        if word.value is None:
            continue
        match = re.match(r"\s*(\w+)\s*(?:=|\s)\s*(.*)$", word.value, re.DOTALL)
        if match is None:
            continue
        key, value = match.group(1), match.group(2)
        if key.lower() in ("proxycommand", "localcommand", "knownhostscommand", "remotecommand"):
            actions.extend(_run(value.strip(), word, f"{name} -o {key}", ctx))
    if name == "scp":
        for _, word in _option_values(args, frozenset({"-S"})):
            actions.extend(_run(word.value, word, "scp -S", ctx))
    return actions


# --- sed ------------------------------------------------------------------------------------

_SED_ADDRESS = re.compile(
    r"^\s*(?:(?:\d+|\$|/(?:[^/\\]|\\.)*/[IM]*)(?:~\d+)?(?:\s*,\s*(?:\d+|\$|/(?:[^/\\]|\\.)*/[IM]*|[+~]\d+))?)?\s*!?\s*"
)


def sed_scripts(args: list[Word]) -> tuple[list[Word], bool]:
    """The sed scripts of a command line and whether one comes from a file (`-f`)."""
    scripts: list[Word] = []
    from_file = False
    positional: list[Word] = []
    i = 0
    while i < len(args):
        value = args[i].value
        if value in ("-e", "--expression") and i + 1 < len(args):
            scripts.append(args[i + 1])
            i += 2
            continue
        if value is not None and value.startswith("--expression="):
            scripts.append(Word(value=value.split("=", 1)[1], text=value))
        elif value in ("-f", "--file") or (value or "").startswith("--file="):
            from_file = True
            i += 1 if "=" in (value or "") else 2
            continue
        elif value in ("-l", "--line-length", "-s", "--separate"):
            i += 2 if value in ("-l", "--line-length") else 1
            continue
        elif value is not None and value.startswith("-") and value != "-":
            if "e" in value[1:] and not value.startswith("--") and i + 1 < len(args):
                scripts.append(args[i + 1])  # `-ne SCRIPT`
                i += 2
                continue
            if "f" in value[1:] and not value.startswith("--"):
                from_file = True
        else:
            positional.append(args[i])
        i += 1
    if not scripts and positional:
        scripts.append(positional[0])
    return scripts, from_file


def _sed(name: str, args: list[Word], ctx: Context) -> list[Action]:
    scripts, from_file = sed_scripts(args)
    actions: list[Action] = []
    if from_file:
        actions.append(
            ctx.unknown(name, f"{name} -f runs a script from a file Interlock cannot see")
        )
    for word in scripts:
        if word.value is None:
            actions.append(
                ctx.unknown(name, f"{name} runs a script known only at run time ({word.text})")
            )
            continue
        actions.extend(_sed_script(name, word.value, ctx))
    return actions


def _sed_commands(script: str) -> list[str]:
    """The commands of a sed script, without the text of `a`, `i` and `c`: that text runs to
    the end of its line (`;` included) and goes on to the next line while the line ends in an
    odd number of backslashes (an even number is escaped backslashes: the text ends there)."""
    commands: list[str] = []
    in_text = False
    for line in script.split("\n"):
        if in_text:
            in_text = _continues(line)
            continue
        for raw in line.split(";"):
            command = _SED_ADDRESS.sub("", raw, count=1).lstrip("{ ").rstrip("} ")
            if command[:1] in ("a", "i", "c") and not command[1:2].isalpha():
                in_text = _continues(line)
                break
            commands.append(command)
    return commands


def _continues(line: str) -> bool:
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _sed_script(name: str, script: str, ctx: Context) -> list[Action]:
    actions: list[Action] = []
    for command in _sed_commands(script):
        if not command:
            continue
        letter, rest = command[0], command[1:].strip()
        if letter == "e":
            if rest:
                actions.extend(_run(rest, None, f"{name} e command", ctx))
            else:
                reason = f"{name} e runs the text being edited as a command"
                actions.append(ctx.unknown(name, reason))
        elif letter in "wW" and rest:
            actions.append(_sed_write(name, rest, ctx))
        elif letter == "s" and len(command) > 1:
            flags = _sed_substitution_flags(command)
            if flags is None:
                continue
            if "e" in flags:
                reason = f"{name} s///e runs the result of the substitution as a command"
                actions.append(ctx.unknown(name, reason))
            if "w" in flags:
                actions.append(_sed_write(name, flags.split("w", 1)[1].strip(), ctx))
    return actions


def _sed_write(name: str, target: str, ctx: Context) -> Action:
    verb = Verb.DESTRUCTIVE if is_system_path(target) or is_device(target) else Verb.WRITE
    return ctx.action(f"{name} w", verb, f"{name} writes to {target}", (target,))


def _sed_substitution_flags(command: str) -> str | None:
    """The flags after `s/re/replacement/`, or None when the command does not parse."""
    delimiter = command[1]
    parts = 0
    i = 2
    while i < len(command):
        ch = command[i]
        if ch == "\\":
            i += 2
            continue
        if ch == delimiter:
            parts += 1
            if parts == 2:
                return command[i + 1 :]
        i += 1
    return None


# --- scheduled commands -------------------------------------------------------------------

_CRON_SPECIAL = re.compile(r"^@(reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)\s+")
_CRON_TIME = re.compile(r"^(\S+\s+){5}")


def _crontab(name: str, args: list[Word], ctx: Context) -> list[Action]:
    values = [w.value for w in args]
    if any(v in ("-l", "-r", "-e", "-i") for v in values):
        return []  # listing, removing (table: destructive) or interactive editing (table)
    files = [w for w in args if not (w.value or "x").startswith("-")]
    if files and files[0].value != "-":
        reason = f"crontab installs the schedule in {files[0].shown}, which Interlock cannot see"
        return [ctx.unknown(name, reason, (files[0].shown,))]
    text = stdin_text(ctx.stdin)
    if text is None:
        return [ctx.unknown(name, "crontab installs a schedule built at run time")]
    actions: list[Action] = []
    for line in text.splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", entry):
            continue
        command = _CRON_SPECIAL.sub("", entry, count=1)
        if command == entry:
            command = _CRON_TIME.sub("", entry, count=1)
        actions.extend(_run(command, None, "crontab entry", ctx))
    return actions


def _at(name: str, args: list[Word], ctx: Context) -> list[Action]:
    values = [w.value for w in args]
    if any(v in ("-l", "-d", "-r", "-c") for v in values):
        return []
    if "-f" in values:
        reason = f"{name} schedules the commands of a file Interlock cannot see"
        return [ctx.unknown(name, reason)]
    text = stdin_text(ctx.stdin)
    if text is None:
        return [ctx.unknown(name, f"{name} schedules commands Interlock cannot see")]
    return _run(text, None, f"{name} (scheduled)", ctx)


# --- copies and archives of files ------------------------------------------------------------

_COPIERS = frozenset({"cp", "scp", "rsync", "install", "ditto"})
_ARCHIVERS = frozenset({"tar", "zip", "7z", "gzip", "bzip2", "xz", "zstd", "base64", "xxd"})


def _sources(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """The files a copy or an archive reads: `cp .env x && cat x` and `tar cf - .env | cat`
    print a file as surely as `cat .env` does, so the sources are reads (the hooks look
    inside read files for credentials)."""
    values = [w.value for w in args if w.value is not None and not w.value.startswith("-")]
    if name in _COPIERS:
        values = values[:-1]
    elif name == "tar" and values and not any((w.value or "").startswith("-") for w in args):
        values = values[1:]  # `tar cf archive files…`: the first word holds the flags
    files = [v for v in values if "=" not in v and ":" not in v]
    if not files:
        return []
    reason = f"{name} reads {', '.join(files[:3])}"
    return [ctx.action(f"{name} sources", Verb.READ, reason, tuple(files))]


_REMOTE = re.compile(r"^(?:[^@/:\s]+@)?(\[[^\]]+\]|[^@/:\s]+):(/.*)$")


def _remote_destination(name: str, args: list[Word], ctx: Context) -> list[Action]:
    """`scp f host:/etc/` and `rsync -a dir/ host:/usr/local/bin/`: a copy onto another
    machine's system files replaces part of its OS, as the same copy here would."""
    values = [w.value for w in args if w.value is not None and not w.value.startswith("-")]
    if len(values) < 2:
        return []
    match = _REMOTE.match(values[-1])
    if match is None:
        return []
    host, path = match.group(1), match.group(2)
    # Into a directory, each source lands under its own name (`host:/home/u/` + `f.txt`).
    landing = [path + posixpath.basename(v.rstrip("/")) for v in values[:-1]]
    if not path.endswith("/"):
        landing = [path]
    if not (is_everything(path) or any(is_critical_path(p) for p in landing)):
        return []
    reason = f"{name} writes {path} on {host}, one of the files of its operating system"
    return [ctx.action(name, Verb.DESTRUCTIVE, reason, (values[-1],))]


def _tar_all(name: str, args: list[Word], ctx: Context) -> list[Action]:
    return [*_tar(name, args, ctx), *_sources(name, args, ctx)]


def _rsync_all(name: str, args: list[Word], ctx: Context) -> list[Action]:
    return [
        *_rsync(name, args, ctx),
        *_sources(name, args, ctx),
        *_remote_destination(name, args, ctx),
    ]


def _zip_all(name: str, args: list[Word], ctx: Context) -> list[Action]:
    return [*_zip(name, args, ctx), *_sources(name, args, ctx)]


def _scp_all(name: str, args: list[Word], ctx: Context) -> list[Action]:
    return [
        *_ssh_like(name, args, ctx),
        *_sources(name, args, ctx),
        *_remote_destination(name, args, ctx),
    ]


FINDERS: dict[str, Finder] = {
    "git": _git,
    "tar": _tar_all,
    "gtar": _tar_all,
    "bsdtar": _tar_all,
    "rsync": _rsync_all,
    "zip": _zip_all,
    "ssh": _ssh_like,
    "scp": _scp_all,
    "cp": _sources,
    "install": _sources,
    "7z": _sources,
    "gzip": _sources,
    "bzip2": _sources,
    "xz": _sources,
    "zstd": _sources,
    "sftp": _ssh_like,
    "sed": _sed,
    "gsed": _sed,
    "crontab": _crontab,
    "at": _at,
    "batch": _at,
}
