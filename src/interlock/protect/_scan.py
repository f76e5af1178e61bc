"""Finding attempts on Interlock itself in what an agent is about to run.

A shell command line is parsed with the same parser the classifier uses; every simple
command it would run (in pipelines, substitutions, `bash -c` strings, heredocs fed to a
shell, and the scripts and Makefiles it executes, read bounded) is checked for:

- a path into Interlock's state (any use) or into the guard's settings and code (any
  change: a command line that is not read-only);
- the `interlock` CLI deciding or administering, however invoked; Python code importing it;
- an `INTERLOCK_*` setting assigned, exported or unset;
- a process-control command aimed at Interlock's processes.

Paths are matched as written (case-folded, `~` and `$HOME` expanded) and, when the file
system can tell, after resolving symlinks: this part is never cached, because a link made
after a first check would otherwise pass a second one.
"""

from __future__ import annotations

import contextlib
import os
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from interlock.classify.shell import Command, Word, parse
from interlock.protect._cli import cli_effect, imports_interlock, is_interlock_program
from interlock.protect._decode import hidden_texts, joined_literals, literals, static_output
from interlock.protect._places import ENV_PREFIX, GUARD_ENV, STATE_DIRS, Places, classify_path
from interlock.protect._reach import (
    expand_braces,
    find_reaches,
    has_pattern,
    pattern_reaches,
    protected_paths,
)

MAX_DEPTH = 4
MAX_FILE_BYTES = 64 * 1024
MAX_FILES = 8
AGENT_TOKEN_VARIABLE = "INTERLOCK_AGENT_TOKEN"  # noqa: S105 (a variable name)

_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "source", "."})
_PYTHONS = ("python", "python3", "pypy", "pypy3", "ipython")
_PROCESS_CONTROL = frozenset(
    {"kill", "pkill", "killall", "systemctl", "launchctl", "service", "fuser", "skill", "sv"}
)
_RUNS_FILES = frozenset({"make", "gmake", "just", "npm", "yarn", "pnpm", "task", "rake"})
_RUNNER_FILES = {
    "make": ("Makefile", "makefile", "GNUmakefile"),
    "gmake": ("Makefile", "makefile", "GNUmakefile"),
    "just": ("justfile", "Justfile", ".justfile"),
    "npm": ("package.json",),
    "yarn": ("package.json",),
    "pnpm": ("package.json",),
    "task": ("Taskfile.yml", "Taskfile.yaml"),
    "rake": ("Rakefile",),
}
_RUNS_TEXT = frozenset(
    {
        "eval", "ssh", "su", "runuser", "sudo", "doas", "watch", "script", "xargs", "parallel",
        "env", "timeout", "nohup", "time", "nice", "setsid", "stdbuf", "flock", "docker",
        "podman", "kubectl", "nsenter", "tmux", "screen", "at", "batch", "find", "git",
        "chroot", "unshare", "busybox", "exec", "command", "builtin", "trap", "alias",
    }
)  # fmt: skip
_INTERPRETERS = frozenset({"node", "deno", "bun", "ruby", "perl", "php", "lua", "osascript"})
_WRITERS = frozenset({"tee", "sed", "awk", "perl", "dd", "cp", "install", "sponge"})
_ENV_IN_TEXT = re.compile(r"\b(INTERLOCK_(?!AGENT_TOKEN\b)[A-Z0-9_]+)=")
_SETTERS = frozenset({"export", "unset", "env", "declare", "typeset", "readonly", "set"})
_NO_ROOTS = Places(state_roots=(), guard_roots=())
_ENV_WORD = re.compile(r"^(?:export\s+)?(INTERLOCK_[A-Z0-9_]*)(=|$)")
_PATHISH = re.compile(r"""[~.$A-Za-z0-9_@%+=:,/-]*[/.][~.$A-Za-z0-9_@%+=:,/\\-]*""")
_RUN_LATER_NAMES = frozenset(
    {
        "makefile", "gnumakefile", "justfile", ".justfile", "package.json", "taskfile.yml",
        "rakefile", "crontab", ".bashrc", ".bash_profile", ".profile", ".zshrc", ".zshenv",
        ".zprofile", ".bash_login", ".bash_logout", ".envrc", "setup.py", "conftest.py",
        "noxfile.py", "tox.ini", "pyproject.toml", ".gitconfig", "config.fish",
    }
)  # fmt: skip
_RUN_LATER_SUFFIXES = (
    ".sh", ".bash", ".zsh", ".service", ".timer", ".desktop", ".plist",
    ".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".pl", ".php", ".lua",
)  # fmt: skip
_RUN_LATER_DIRS = ("systemd/", "cron", "autostart/", ".git/hooks/", "launchagents/", "/bin/")
# Literals a built path into the guard's settings starts with (`'.claude', 'settings.json'`).
_GUARD_NAMES = (".claude", ".cursor", ".codex", ".gemini", ".mcp", ".vscode", ".github/hooks")
_DECLARERS = frozenset({"export", "declare", "typeset", "local", "readonly"})
_DECODERS = frozenset({"base64", "base32", "xxd", "rev"})
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_GUARD_ENV_WORD = re.compile(r"^(" + "|".join(GUARD_ENV) + r")=")
_UNSET_IN_TEXT = re.compile(r"\bunset\s+(?:-[vf]\s+)?(INTERLOCK_(?!AGENT_TOKEN\b)[A-Z0-9_]+)")
_ALIAS_IN_TEXT = re.compile(
    r"(?:\balias\s+|\bfunction\s+|^\s*)(interlock(?:-[\w-]+)?)\s*(?:=|\(\s*\)|\{)", re.M
)
# Removing or moving these takes what is inside with them.
_MOVERS = frozenset({"mv", "trash", "trash-put", "gio", "srm", "wipe"})
_RECURSIVE = frozenset({"rm", "chmod", "chown", "chgrp", "shred", "setfacl", "chattr", "cp"})
_FIND_ACTIONS = frozenset({"-delete", "-exec", "-execdir", "-ok", "-okdir"})
_READERS = frozenset(
    {
        "cat", "head", "tail", "less", "more", "grep", "rg", "egrep", "wc", "ls", "stat",
        "file", "echo", "printf", "basename", "dirname", "du", "realpath", "readlink",
        "sha256sum", "sha1sum", "md5sum", "jq", "strings", "od", "xxd", "hexdump", "diff",
    }
)  # fmt: skip
# How Interlock's long-running processes appear in a process table.
_DAEMON_LINES = (
    "interlock hooks serve",
    "python3 -m interlock hooks serve",
    "/usr/bin/python3 /usr/local/bin/interlock hooks serve",
    "interlock serve",
    "interlock up",
    "interlock proxy http",
    "interlock proxy pg",
)
_DAEMON_NAMES = ("interlock", "python3", "python")
_HTTP_WRITES = frozenset(
    {"-d", "--data", "--data-raw", "--data-binary", "--json", "-F", "--form", "--post-data",
     "--post-file", "--method", "--request"}
)  # fmt: skip
_DECIDING_URL = re.compile(
    r"/(?:v1|console)/(?:approvals/[^/?#\s]+/(?P<decide>approve|deny|cancel)\b"
    r"|agents\b|resources\b|webhooks\b|policies/reload\b|humans\b|users\b)"
)
_CLI_IN_TEXT = re.compile(
    r"(?:^|[\s;&|(`'\"!=])(?:[\w./~-]*/)?interlock\s+([a-z][\w-]*)(?:\s+([a-z][\w-]*))?"
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One attempt on Interlock: what kind, on what, in a sentence."""

    kind: str  # state | guard | cli | env | process | code
    target: str
    why: str


def scan_shell(
    text: str,
    places: Places,
    *,
    cwd: str | None = None,
    reads_only: bool = False,
) -> list[Finding]:
    """Every attempt on Interlock in a shell command line (empty: none found)."""
    scan = _Scan(places, cwd)
    scan.text(text, reads_only, 0)
    return _unique(scan.found)


def scan_paths(
    paths: Iterable[str], places: Places, *, cwd: str | None = None, change: bool = True
) -> list[Finding]:
    """Paths a file tool or MCP server would touch (`change`: write, move, delete)."""
    scan = _Scan(places, cwd)
    for path in paths:
        scan.path(path, reads_only=not change)
    return _unique(scan.found)


@dataclass
class _Scan:
    """One scan: where Interlock lives, where the command runs, what was found so far, and
    how many files it has read (bounded)."""

    places: Places
    cwd: str | None
    found: list[Finding] = field(default_factory=list)
    files: int = 0
    # What the command line itself sets before using it: `d=~/.config; rm -rf $d/…`, `cd`.
    variables: dict[str, str] = field(default_factory=dict)
    cwds: list[str] = field(default_factory=list)
    _reachable: list[tuple[str, str]] | None = None

    def __post_init__(self) -> None:
        self.variables.setdefault("HOME", self.places.user_home)
        if self.cwd:
            self.cwds.append(self.cwd)

    def reachable(self) -> list[tuple[str, str]]:
        if self._reachable is None:  # per scan only: the file system may change between calls
            self._reachable = protected_paths(self.places, self.cwds)
        return self._reachable

    def text(self, text: str, reads_only: bool, depth: int) -> None:
        """A command line (or a script's text) as the shell would run it."""
        if depth > MAX_DEPTH or not text.strip():
            return
        if imports_interlock(text) and re.search(r"\b(import|from)\s+interlock\b", text):
            self.found.append(
                Finding("code", "interlock", "code that imports Interlock administers it")
            )
        for command in parse(text).commands:
            self.command(command, reads_only, depth)
            self.remember(command)

    def remember(self, command: Command) -> None:
        """Variables and directories later commands of the same line will use. Every
        directory entered is kept (a subshell's `cd` may or may not last): a relative path
        is judged against each, never fewer."""
        words = self.values(command)
        program = os.path.basename(words[0]).casefold() if words else ""
        if not words or program in _DECLARERS:
            for name, word in command.assignments:
                value = word.value if word.value is not None else self.substitute(word.text)
                if value is not None:
                    self.variables[name] = value
        if program in ("cd", "pushd") and len(self.cwds) < 16:
            args = [w for w in words[1:] if not w.startswith("-")]
            target = _expand(args[0]) if args else self.places.user_home
            base = self.cwds[-1] if self.cwds else os.getcwd()
            self.cwds.append(os.path.normpath(os.path.join(base, target)))

    def values(self, command: Command) -> list[str]:
        """The command's words, with the variables this line set substituted where the
        parser could not resolve them."""
        return [self.word(word) for word in command.words]

    def word(self, word: Word) -> str:
        if word.value is not None:
            return word.value
        return self.substitute(word.text) or word.text

    def substitute(self, text: str) -> str | None:
        """`text` with `$name`/`${name}` replaced by values known here (quotes removed);
        None when a variable stays unknown."""
        unknown = False

        def value(match: re.Match[str]) -> str:
            nonlocal unknown
            name = match.group(1) or match.group(2)
            if name in self.variables:
                return self.variables[name]
            unknown = True
            return match.group(0)

        out = _VARIABLE.sub(value, text.replace('"', "").replace("'", ""))
        return None if unknown or "$(" in out or "`" in out else out

    def command(self, command: Command, reads_only: bool, depth: int) -> None:
        """One simple command: its CLI use, settings, processes, paths and what it runs."""
        found = self.found
        words = self.values(command)
        for name, _ in command.assignments:
            if name.startswith(ENV_PREFIX) and name != AGENT_TOKEN_VARIABLE:
                found.append(Finding("env", name, f"it sets {name}, one of Interlock's settings"))
            elif name in GUARD_ENV:
                found.append(Finding("env", name, f"it sets {name}: {GUARD_ENV[name]}"))
        cli_reads = True
        for index in range(len(words)):
            if is_interlock_program(words, index):
                reads, what = cli_effect(words[index + 1 :])
                cli_reads = cli_reads and reads
                if not reads:
                    found.append(Finding("cli", what, f"`{what}` decides or administers Interlock"))
        program = os.path.basename(words[0]).casefold() if words else ""
        for word in words:
            env = _ENV_WORD.match(word)
            if env and env.group(1) != AGENT_TOKEN_VARIABLE and program in _SETTERS:
                found.append(Finding("env", env.group(1), f"it changes {env.group(1)}"))
            guard_env = _GUARD_ENV_WORD.match(word)
            if guard_env and program in _SETTERS:
                name = guard_env.group(1)
                found.append(Finding("env", name, f"it sets {name}: {GUARD_ENV[name]}"))
            setting = _env_in_text(word)
            if setting and _writes_somewhere(command, program):
                found.append(Finding("env", setting, f"it writes {setting}"))
        if program in ("alias", "function") and any(_env_in_text(f"alias {w}") for w in words[1:]):
            found.append(
                Finding("cli", " ".join(words[:2]), "it redefines the `interlock` command")
            )
        if program in _PROCESS_CONTROL and _stops_interlock(program, words[1:]):
            found.append(Finding("process", " ".join(words[:3]), "it stops Interlock's processes"))
        self.installs(words, program)
        self.urls(words)
        self.reach(command, words, program, reads_only)
        self.written(command, words, program, depth)
        self.extracts(words, program)
        # Paths: arguments, `--opt=value` and `key=value` values, redirection targets.
        if not (words and is_interlock_program(words, 0) and cli_reads):
            run = set(_run_words(words, program))
            for candidate in _path_candidates(words, command, run, self.word):
                self.path(candidate, reads_only=reads_only)
        # Text that runs: `bash -c '…'`, `eval "…"`, `ssh host '…'`, `python -c '…'`,
        # heredocs, here-strings and pipes fed to a shell or an interpreter.
        interpreter = program.startswith(_PYTHONS) or program in _INTERPRETERS
        for word in words[1:]:
            if not _looks_like_commands(word):
                continue
            if program in _RUNS_TEXT or program in _SHELLS:
                self.text(word, reads_only, depth + 1)
                self.cli_in_text(word, f"`{program}`")
            if interpreter:
                self.code(word, "the inline code")
        stdin = command.stdin
        if stdin is not None and (program in _SHELLS or interpreter):
            texts = [stdin.text] if stdin.text else []
            if stdin.kind == "pipe" and stdin.producer is not None:
                texts += self.values(stdin.producer)[1:]
                shown = static_output(stdin.producer)
                if shown:
                    texts.append(shown)
            for text in texts:
                if interpreter:
                    self.code(text, "the code on standard input")
                else:
                    self.text(text, reads_only, depth + 1)
        decoded = static_output(command) if program in _DECODERS else None
        if decoded and depth < MAX_DEPTH:  # data made into text here: judged as text anywhere
            self.text(decoded, reads_only, depth + 1)
            self.code(decoded, "the decoded text")
        for path in _executed_files(words, program, self.cwds[-1] if self.cwds else None):
            if self.files >= MAX_FILES:
                break
            self.files += 1
            body = _read_bounded(path)
            if body is not None:  # what a script does is not vouched for by its command line
                self.file(body, path, depth + 1)

    def file(self, body: str, path: str, depth: int) -> None:
        """A script or task file: its commands as shell where it is shell, and in any
        language, paths into Interlock and `interlock` CLI calls written in its text."""
        name = os.path.basename(path)
        if path.endswith((".sh", ".bash", ".zsh")) or (
            body.startswith("#!") and "sh" in body.split("\n", 1)[0]
        ):
            self.text(body, False, depth)
        elif name in ("Makefile", "makefile", "GNUmakefile"):
            recipes = "\n".join(line[1:] for line in body.splitlines() if line.startswith("\t"))
            self.text(recipes, False, depth)
        self.code(body, path)

    def code(self, text: str, where: str) -> None:
        """Code in another language: Interlock imported, its CLI run, paths into it named."""
        if imports_interlock(text):
            self.found.append(Finding("code", "interlock", f"{where} imports Interlock"))
        self.cli_in_text(text, where)
        for token in _PATHISH.findall(text):
            hit = self.judge_path(token.strip("'\"`,;()"), reads_only=False)
            if hit is not None:
                self.found.append(Finding(hit.kind, hit.target, f"{where}: {hit.why}"))
        setting = _env_in_text(text)
        if setting:
            self.found.append(Finding("env", setting, f"{where} changes {setting}"))
        values = literals(text)
        for joined in joined_literals(values):  # pure matching: built paths, no file system
            folded = joined.casefold()
            if "interlock" not in folded and not any(n in folded for n in _GUARD_NAMES):
                continue
            kind = classify_path(_expand(joined), self.places)
            if kind == "state" or kind == "guard":
                why = f"{where} builds {joined}, Interlock's own ({kind})"
                self.found.append(Finding(kind, joined, why))
                break
        if self.files < MAX_FILES * 4:
            for hidden in hidden_texts(values):
                self.files += 1
                self.text(hidden, False, MAX_DEPTH)
                self.cli_in_text(hidden, f"{where} (encoded)")

    def reach(self, command: Command, words: list[str], program: str, reads_only: bool) -> None:
        """Patterns, ancestors and `find` selections that reach Interlock's files."""
        removes = (
            program in _MOVERS
            or (program in _RECURSIVE and any(_recursive(w) for w in words[1:]))
            or _makes_environment(words, program)  # `venv --clear` empties its directory
            or (program == "rsync" and any(w.startswith("--delete") for w in words))
        )
        if (
            program == "git"
            and words[1:2] == ["clean"]
            and any(
                w.startswith("-") and not w.startswith("--") and ("x" in w or "X" in w)
                for w in words[2:]
            )
        ):  # `git clean -fdx` removes ignored files: a home inside the repository with them
            for cwd in self.cwds or [os.getcwd()]:
                inside = [os.path.join(cwd, d) for d in STATE_DIRS]
                inside += [r for r in self.places.state_roots if _under(r, cwd.casefold())]
                home = next((p for p in inside if os.path.lexists(p)), None)
                if home is not None:
                    self.found.append(Finding("state", home, f"git clean -x removes {home}"))
                    return
        targets = [w for w in words[1:] if not w.startswith("-")]
        targets += [self.word(r.target) for r in command.redirects if r.target is not None]
        for target in targets:
            pattern = has_pattern(target)
            if not (pattern or removes):
                continue
            for alternative in expand_braces(target):
                self.reach_one(_expand(alternative), below=removes, reads_only=reads_only)
        if program in ("mv", "cp", "ln", "install", "rsync") and len(targets) >= 2:
            for source in targets[:-1]:  # `mv x ~/.config/` lands at ~/.config/x
                name = os.path.basename(source.rstrip("/"))
                if name:
                    self.path(os.path.join(targets[-1], name), reads_only=False)
        if program == "find":
            actions = [i for i, w in enumerate(words) if w in _FIND_ACTIONS]
            if not actions:
                self.find_by_name(words)
                return
            changes = any(
                words[i] == "-delete" or _find_exec_changes(words[i + 1 : i + 2]) for i in actions
            )
            for cwd in self.cwds or [os.getcwd()]:
                hit = find_reaches(words, cwd, self.reachable())
                if hit is not None and (changes or hit[1] == "state"):
                    what = "changes" if changes else "reads"
                    self.found.append(
                        Finding(hit[1], hit[0], f"this find {what} {hit[0]}, Interlock's own")
                    )
                    return

    def find_by_name(self, words: list[str]) -> None:
        """`find ~ -name interlock.db` (no action): looking up Interlock's state by its
        exact name, to hand it to another command (`sqlite3 $(find …)`)."""
        exact = [
            words[i + 1].casefold()
            for i, w in enumerate(words[:-1])
            if w in ("-name", "-iname") and not has_pattern(words[i + 1])
        ]
        if not exact:
            return
        for cwd in self.cwds or [os.getcwd()]:
            hit = find_reaches(words, cwd, self.reachable())
            if hit is not None and hit[1] == "state" and os.path.basename(hit[0]) in exact:
                self.found.append(Finding("state", hit[0], f"this find looks up {hit[0]}"))
                return

    def reach_one(self, target: str, *, below: bool, reads_only: bool) -> None:
        bases = [""] if os.path.isabs(target) else (self.cwds or [os.getcwd()])
        for base in bases:
            hit = pattern_reaches(os.path.join(base, target), self.reachable(), below=below)
            if hit is None or (hit[1] == "guard" and reads_only):
                continue
            how = "removes or moves" if below else "names"
            self.found.append(Finding(hit[1], target, f"{target} {how} {hit[0]}, Interlock's own"))
            return

    def written(self, command: Command, words: list[str], program: str, depth: int) -> None:
        """Text written into a file something runs later (a Makefile, package.json, a
        script, a shell startup file, a scheduler's unit or table, a git hook): judged now
        as the code it will be, since what runs it later may be outside any hook."""
        targets = [
            self.word(r.target) for r in command.redirects if r.target is not None and ">" in r.op
        ]
        if program in ("tee", "sponge"):
            targets += [w for w in words[1:] if not w.startswith("-")]
        if not any(_runs_later(t) for t in targets):
            return
        texts = [w for w in words[1:] if not w.startswith("-")]
        shown = static_output(command)
        if shown:
            texts.append(shown)
        if command.stdin is not None and command.stdin.text:
            texts.append(command.stdin.text)
        for text in texts:
            self.code(text, f"text written to {targets[0]}")
            if depth < MAX_DEPTH:
                self.text(text.replace("%h", "~"), False, depth + 1)

    def extracts(self, words: list[str], program: str) -> None:
        """An archive unpacked over Interlock's places: its member names are read; an
        archive that cannot be read counts as holding anything."""
        destination, archive = _extraction(words, program)
        if destination is None:
            return
        base = self.cwds[-1] if self.cwds else os.getcwd()
        target = _join(base, _expand(destination))
        if pattern_reaches(target, self.reachable(), below=True) is None:
            return
        members = _members(_join(base, _expand(archive))) if archive else None
        inside_work = any(_under(target, cwd) for cwd in self.cwds)
        if members is None and not inside_work:
            why = f"it unpacks an archive it cannot read over {destination}, above Interlock's own"
            self.found.append(Finding("state", destination, why))
            return
        for member in members or ():
            self.path(os.path.join(target, member), reads_only=False)

    def installs(self, words: list[str], program: str) -> None:
        """A package installer changing Interlock's environment or installing an
        `interlock` of the agent's making."""
        if not ({"install", "uninstall"} & set(words[1:4])) or not (
            program.startswith(("pip", "uv")) or "pip" in words[1:3]
        ):
            return
        first = words[0]
        if "/" in first:
            where = _join(self.cwds[-1] if self.cwds else os.getcwd(), _expand(first))
            if classify_path(os.path.realpath(where), self.places) == "guard":
                self.found.append(
                    Finding("guard", first, f"{first} changes Interlock's environment")
                )
                return
        for arg in words[2:]:
            if (
                not arg.startswith("-")
                and "interlock" in os.path.basename(arg.rstrip("/")).casefold()
            ):
                self.found.append(
                    Finding("guard", arg, f"it installs or removes {arg} as Interlock")
                )
                return

    def urls(self, words: list[str]) -> None:
        """A request to a control plane's deciding or administering endpoints."""
        writes = any(w.split("=", 1)[0] in _HTTP_WRITES or w.startswith("-X") for w in words[1:])
        for word in words[1:]:
            match = _DECIDING_URL.search(word)
            if match and (match.group("decide") or writes):
                what = match.group(0)
                self.found.append(Finding("cli", what, f"{what} decides or administers Interlock"))
                return

    def cli_in_text(self, text: str, where: str) -> None:
        """`interlock SUBCOMMAND` written in text another program runs (a git alias, code)."""
        for match in _CLI_IN_TEXT.finditer(text):
            reads, what = cli_effect([g for g in match.groups() if g])
            if not reads:
                self.found.append(Finding("cli", what, f"{where} runs `{what}`"))

    def path(self, raw: str, *, reads_only: bool) -> None:
        hit = self.judge_path(raw, reads_only=reads_only)
        if hit is not None:
            self.found.append(hit)

    def judge_path(self, raw: str, *, reads_only: bool) -> Finding | None:
        """A path as written, expanded, joined to the cwd and with symlinks resolved."""
        raw = raw.split("\0", 1)[0]  # a program sees its argument up to the first NUL
        if not raw or len(raw) > 4096:
            return None
        path = _expand(raw.strip())
        kinds = {classify_path(path, self.places)}
        absolute = [path] if os.path.isabs(path) else [os.path.join(c, path) for c in self.cwds]
        for full in absolute:
            kinds.add(classify_path(os.path.normpath(full), self.places))
            with contextlib.suppress(OSError, ValueError):
                kinds.add(classify_path(os.path.realpath(full), self.places))
        if "state" in kinds:
            return Finding("state", raw, f"{raw} is inside Interlock's home (keys, state, audit)")
        if "guard" in kinds and not reads_only:
            why = f"{raw} switches Interlock on (agent hook/MCP settings or its code)"
            return Finding("guard", raw, why)
        return None


def _env_in_text(text: str) -> str | None:
    """An `INTERLOCK_*` assignment or unset, or a redefinition of the `interlock` command
    (alias, function), written in text another program runs or a file keeps."""
    for pattern in (_ENV_IN_TEXT, _UNSET_IN_TEXT, _ALIAS_IN_TEXT):
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


def _stops_interlock(program: str, args: list[str]) -> bool:
    """Whether a process-control command selects Interlock's processes: by name, or by a
    pattern (`pkill -f 'hooks serve'`, `killall python3`) that matches how they run."""
    if any("interlock" in a.casefold() for a in args):
        return True
    if program not in ("pkill", "killall", "pgrep", "skill"):
        return False
    full = any(a.startswith("-") and "f" in a.lstrip("-") and len(a) <= 4 for a in args)
    lines = _DAEMON_LINES if full else _DAEMON_NAMES
    for arg in args:
        if arg.startswith("-") or arg.isdigit():
            continue
        try:
            pattern = re.compile(arg)
        except re.error:
            return True
        if any(pattern.search(line) for line in lines):
            return True
    return False


def _under(path: str, root: str) -> bool:
    path, root = os.path.normpath(path), os.path.normpath(root)
    return path == root or path.startswith(root.rstrip("/") + "/")


def _makes_environment(words: list[str], program: str) -> bool:
    return (
        program == "virtualenv"
        or (program.startswith(_PYTHONS) and "venv" in words[1:3] and "-m" in words[1:3])
        or (program == "uv" and words[1:2] == ["venv"])
    )


def _runs_later(target: str) -> bool:
    folded = target.casefold()
    name = os.path.basename(folded)
    return (
        name in _RUN_LATER_NAMES
        or name.endswith(_RUN_LATER_SUFFIXES)
        or any(part in folded for part in _RUN_LATER_DIRS)
    )


def _extraction(words: list[str], program: str) -> tuple[str | None, str | None]:
    """(destination directory, archive) of `tar x… -C DIR` / `unzip … -d DIR`."""
    if program in ("tar", "bsdtar", "gtar"):
        flags = "".join(w.lstrip("-") for w in words[1:3] if not w.startswith("--"))
        if "x" not in flags and "--extract" not in words and "-x" not in words:
            return None, None
        archive = next(
            (words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-f", "--file")), None
        )
        if archive is None:
            archive = next((w for w in words[2:] if not w.startswith("-")), None)
        for i, word in enumerate(words[:-1]):
            if word in ("-C", "--directory"):
                return words[i + 1], archive
            if word.startswith("--directory="):
                return word.split("=", 1)[1], archive
        return ".", archive
    if program == "unzip":
        archive = next((w for w in words[1:] if not w.startswith("-")), None)
        for i, word in enumerate(words[:-1]):
            if word == "-d":
                return words[i + 1], archive
        return ".", archive
    return None, None


def _members(archive: str) -> list[str] | None:
    """Member names of a tar or zip archive (bounded), or None when it cannot be read."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as handle:
                return handle.namelist()[:4096]
        with tarfile.open(archive) as handle:
            names = []
            for member in handle:
                names.append(member.name)
                if len(names) >= 4096:
                    return None
            return names
    except (OSError, tarfile.TarError, zipfile.BadZipFile, ValueError):
        return None


def _recursive(word: str) -> bool:
    return word in ("--recursive", "-R") or (
        word.startswith("-") and not word.startswith("--") and ("r" in word or "R" in word)
    )


def _find_exec_changes(program: list[str]) -> bool:
    return not program or os.path.basename(program[0]) not in _READERS


def _values(command: Command) -> list[str]:
    return [w.value if w.value is not None else w.text for w in command.words]


def _run_words(words: list[str], program: str) -> Iterator[int]:
    """Indexes of words this command runs rather than changes: the program itself and the
    script an interpreter or `source` runs (a project's `.venv/bin/python`, its `activate`).
    Their contents are read and scanned instead (`_executed_files`)."""
    if not words:
        return
    yield 0
    if program in _SHELLS or program.startswith(_PYTHONS) or program in ("node", "ruby", "perl"):
        for index, arg in enumerate(words[1:], start=1):
            if not arg.startswith("-"):
                yield index
                return


def _path_candidates(
    words: list[str], command: Command, run: set[int], resolve: Callable[[Word], str]
) -> Iterator[str]:
    for index, word in enumerate(words):
        if index in run:
            # What runs may be the guard's (a venv's python); Interlock's state never.
            if classify_path(_expand(word), _NO_ROOTS) == "state":
                yield word
            continue
        yield word
        for sep in ("=", ":"):
            if sep in word:
                yield word.split(sep, 1)[1]
    for redirect in command.redirects:
        if redirect.target is not None:
            yield resolve(redirect.target)


def _expand(path: str) -> str:
    home = os.path.expanduser("~")
    for prefix in ("$HOME", "${HOME}"):
        if path.startswith(prefix):
            return home + path[len(prefix) :]
    if not path.startswith("~"):
        return path
    try:
        return os.path.expanduser(path)
    except (ValueError, KeyError):  # `~user` with a NUL or an unknown name: as written
        return path


def _writes_somewhere(command: Command, program: str) -> bool:
    return program in _WRITERS or any(">" in r.op for r in command.redirects)


def _looks_like_commands(word: str) -> bool:
    return any(c in word for c in " \t\n;|&`$(") and len(word) < 65536


def _executed_files(words: list[str], program: str, cwd: str | None) -> Iterator[str]:
    """Files this command runs as code: `./x.sh`, `bash x.sh`, `python x.py`, a Makefile…

    Relative paths only with the caller's working directory: Interlock's own process
    directory says nothing about where the command will run (without a cwd the classifiers
    already judge such a command `unknown`)."""
    if not words:
        return
    first = words[0]
    if "/" in first:
        yield from _in_cwd(cwd, _expand(first))
    if program in _SHELLS or program.startswith(_PYTHONS) or program in ("node", "ruby", "perl"):
        for arg in words[1:]:
            if not arg.startswith("-"):
                yield from _in_cwd(cwd, _expand(arg))
                break
    if program in _RUNS_FILES:
        for name in _RUNNER_FILES.get(program, ()):
            yield from _in_cwd(cwd, name)


def _in_cwd(base: str | None, path: str) -> Iterator[str]:
    """`path` joined to the caller's cwd; nothing for a relative path without one."""
    if os.path.isabs(path):
        yield path
    elif base:
        yield os.path.join(base, path)


def _join(base: str, path: str) -> str:
    return path if os.path.isabs(path) else os.path.join(base, path)


def _read_bounded(path: str) -> str | None:
    try:
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES)
    except OSError:
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", "replace")


def _unique(found: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(found))
