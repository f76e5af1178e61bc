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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from interlock.classify.shell import Command, parse
from interlock.protect._cli import cli_effect, imports_interlock, is_interlock_program
from interlock.protect._places import ENV_PREFIX, Places, classify_path

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

    def command(self, command: Command, reads_only: bool, depth: int) -> None:
        """One simple command: its CLI use, settings, processes, paths and what it runs."""
        found = self.found
        words = _values(command)
        for name, _ in command.assignments:
            if name.startswith(ENV_PREFIX) and name != AGENT_TOKEN_VARIABLE:
                found.append(Finding("env", name, f"it sets {name}, one of Interlock's settings"))
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
            setting = _ENV_IN_TEXT.search(word)
            if setting and _writes_somewhere(command, program):
                found.append(Finding("env", setting.group(1), f"it writes {setting.group(1)}"))
        if program in _PROCESS_CONTROL and any("interlock" in w.casefold() for w in words[1:]):
            found.append(Finding("process", " ".join(words[:3]), "it stops Interlock's processes"))
        # Paths: arguments, `--opt=value` and `key=value` values, redirection targets.
        if not (words and is_interlock_program(words, 0) and cli_reads):
            run = set(_run_words(words, program))
            for candidate in _path_candidates(words, command, run):
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
                texts += _values(stdin.producer)[1:]
            for text in texts:
                if interpreter:
                    self.code(text, "the code on standard input")
                else:
                    self.text(text, reads_only, depth + 1)
        for path in _executed_files(words, program, self.cwd):
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
        if self.cwd and not os.path.isabs(path):
            path = os.path.join(self.cwd, path)
        if os.path.isabs(path):
            kinds.add(classify_path(os.path.normpath(path), self.places))
            with contextlib.suppress(OSError, ValueError):
                kinds.add(classify_path(os.path.realpath(path), self.places))
        if "state" in kinds:
            return Finding("state", raw, f"{raw} is inside Interlock's home (keys, state, audit)")
        if "guard" in kinds and not reads_only:
            why = f"{raw} switches Interlock on (agent hook/MCP settings or its code)"
            return Finding("guard", raw, why)
        return None


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


def _path_candidates(words: list[str], command: Command, run: set[int]) -> Iterator[str]:
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
            yield (
                redirect.target.value if redirect.target.value is not None else redirect.target.text
            )


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
        yield from _join(cwd, _expand(first))
    if program in _SHELLS or program.startswith(_PYTHONS) or program in ("node", "ruby", "perl"):
        for arg in words[1:]:
            if not arg.startswith("-"):
                yield from _join(cwd, _expand(arg))
                break
    if program in _RUNS_FILES:
        for name in _RUNNER_FILES.get(program, ()):
            yield from _join(cwd, name)


def _join(base: str | None, path: str) -> Iterator[str]:
    if os.path.isabs(path):
        yield path
    elif base:
        yield os.path.join(base, path)


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
