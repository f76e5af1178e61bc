"""Everyday idioms whose meaning does not depend on the program's own table entry.

- Asking any program for help or its version (`docker compose up --help`, `terraform
  -version`, `go help test`) only prints text.
- `eval "$(direnv hook bash)"`, `source <(fzf --zsh)`: running the shell set-up that a
  well-known tool prints is that tool's set-up, not arbitrary code.
- Stopping the processes of a developer's session by name or by port (`pkill -f vite`,
  `kill $(lsof -ti:3000)`) is ordinary work; stopping anything else by name stays destructive.
"""

from __future__ import annotations

import re

from interlock.classify.shell._lists import LISTS, is_environment_setup
from interlock.classify.shell._parse import parse
from interlock.classify.shell._words import Word

HELP_FLAGS = frozenset({"--help", "-help", "--version", "-version", "--usage", "-help-all"})
SHORT_HELP = frozenset({"-h", "-V", "-?", "-v"})
# A subcommand-like word: no dots or slashes (which would make it a file to run, as in
# `go run main.go --help`).
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_:-]{0,40}$")
# Subcommands that run something else, whose `--help` belongs to that something.
_RUNS_SOMETHING = frozenset({"run", "exec", "x", "dlx", "start", "serve", "watch", "dev"})
# Programs whose `help` word is a name the repository defines (a make target, a task).
TASK_RUNNERS = frozenset({"make", "gmake", "just", "task", "rake", "invoke", "inv", "mage"})


def asks_for_help(args: list[Word]) -> bool:
    """`PROG [SUB…] --help`, `PROG -h`, `PROG help [SUB…]`: only prints usage or a version.

    Every other word must be a plain subcommand-like word, so `rm -rf / --help` or
    `docker run img --help` (where `--help` belongs to another program) are not taken.
    """
    values = [w.value for w in args]
    if not values or len(values) > 5 or any(v is None for v in values):
        return False
    words = [v for v in values if v is not None]
    if len(words) == 1 and words[0] in SHORT_HELP:
        return True
    if words[0] == "help":
        return all(_PLAIN.match(v) for v in words[1:])
    if any(v in _RUNS_SOMETHING for v in words):
        return False
    flags = [v for v in words if v.startswith("-")]
    if not flags or not all(f in HELP_FLAGS for f in flags) or words[-1] not in HELP_FLAGS:
        return False
    plain = [v for v in words if not v.startswith("-")]
    return len(plain) <= 2 and all(_PLAIN.match(v) for v in plain)


# --- processes of a developer's session ---------------------------------------------------

_PATTERN_SPLIT = re.compile(r"[|()]")


def development_pattern(pattern: str) -> bool:
    """Whether a `pkill`/`pgrep` pattern names only processes of a developer's session.

    `vite`, `python manage.py runserver`, `node.*server`, `[v]ite`, `uvicorn|celery` are;
    `postgres`, `ssh`, `.` are not. Each alternative's first word decides.
    """
    alternatives = [a.strip() for a in _PATTERN_SPLIT.split(pattern)]
    alternatives = [a for a in alternatives if a]
    if not alternatives:
        return False
    return all(_development_word(a) for a in alternatives)


def _development_word(alternative: str) -> bool:
    first = alternative.replace("\\", "").split()[0]
    first = re.sub(r"\[(.)\]", r"\1", first).lstrip("^").rstrip("$")
    first = first.split(".*", 1)[0]
    base = first.rsplit("/", 1)[-1]
    if base in LISTS.development_processes:
        return True
    stem = re.sub(r"[0-9.]+$", "", base)  # python3.11, node18
    return bool(stem) and stem in LISTS.development_processes


_PORT = re.compile(r"^(?:tcp|udp|TCP|UDP)?:(\d{1,5})$")


def lsof_port_selection(words: list[str]) -> bool:
    """`lsof -t -i :3000` (or `-ti:3000`, `-i tcp:8000 -t`): the processes on an unprivileged
    port, which on a developer machine are the servers the agent started."""
    if not words or words[0] != "lsof":
        return False
    terse = False
    ports: list[int] = []
    i = 1
    while i < len(words):
        word = words[i]
        if word.startswith("-") and not word.startswith("--"):
            letters = word[1:]
            if "t" in letters:
                terse = True
            if "i" in letters:
                rest = letters[letters.index("i") + 1 :]
                if not rest and i + 1 < len(words):
                    i += 1
                    rest = words[i]
                match = _PORT.match(rest)
                if match is None:
                    return False
                ports.append(int(match.group(1)))
        elif word not in ("-sTCP:LISTEN",):
            return False
        i += 1
    return terse and bool(ports) and all(p >= 1024 for p in ports)


def selects_development_processes(words: list[str]) -> bool:
    """A command printing PIDs of the developer's own processes (`lsof -ti:3000`,
    `pgrep -f vite`, `jobs -p`)."""
    if not words:
        return False
    if words[0] == "lsof":
        return lsof_port_selection(words)
    if words[0] == "jobs":
        return True
    if words[0] in ("pgrep", "pidof"):
        patterns = [w for w in words[1:] if not w.startswith("-")]
        flags = [w for w in words[1:] if w.startswith("-")]
        if any(f in ("-u", "-U", "-g", "-G", "-P", "-t") for f in flags):
            return False
        return bool(patterns) and all(development_pattern(p) for p in patterns)
    return False


# --- substitutions ------------------------------------------------------------------------


def substituted_command(word: Word) -> list[str] | None:
    """The words of the one command inside `$(…)`, `` `…` `` or `<(…)` when `word` is only
    that substitution (quoted or not) and the command's words are fixed; None otherwise."""
    text = word.text.strip()
    if len(text) > 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if text.startswith(("$(", "<(")) and text.endswith(")"):
        inner = text[2:-1]
    elif len(text) > 2 and text[0] == text[-1] == "`":
        inner = text[1:-1]
    else:
        return None
    script = parse(inner)
    if script.has_error or len(script.commands) != 1:
        return None
    command = script.commands[0]
    if command.redirects or command.assignments or any(w.value is None for w in command.words):
        return None
    return [w.value or "" for w in command.words]


def runs_environment_setup(word: Word) -> str | None:
    """The set-up command when `word` is `$(TOOL …)` of a tool that prints shell set-up."""
    words = substituted_command(word)
    if words is None or not is_environment_setup(words):
        return None
    return " ".join(words)
