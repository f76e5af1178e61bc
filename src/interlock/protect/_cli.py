"""Recognising the `interlock` command line however it is invoked, and what it would do.

The agent may ask Interlock what it would decide (`interlock check`, `policy explain`), read
the audit log or list approvals; it may never decide, administer or reconfigure
(`approvals approve`, `agent create`, `hooks uninstall`, `policy reload`, `init`, …).
"""

from __future__ import annotations

import os

PROGRAM = "interlock"
MODULES = frozenset(
    {"interlock", "interlock.cli", "interlock.cli.__main__", "interlock.cli._supervised"}
)
# Words after which a program name stands: wrappers and runners of other commands.
RUNNERS = frozenset(
    {
        "sudo",
        "doas",
        "env",
        "nohup",
        "nice",
        "ionice",
        "time",
        "timeout",
        "exec",
        "command",
        "builtin",
        "xargs",
        "watch",
        "setsid",
        "stdbuf",
        "chrt",
        "taskset",
        "unbuffer",
        "run",
        "--",
        "uv",
        "uvx",
        "pipx",
        "poetry",
        "pdm",
        "hatch",
        "rye",
        "npx",
        "python",
        "python3",
        "sh",
        "bash",
        "zsh",
        "dash",
        "ksh",
        "fish",
        "strace",
        "ltrace",
        "script",
        "flock",
        "su",
        "runuser",
        "chroot",
        "catchsegv",
        "eatmydata",
        "firejail",
        "parallel",
        # find's actions: `find . -exec interlock … \;`
        "-exec",
        "-execdir",
        "-ok",
        "-okdir",
    }
)
# (group, subcommand) pairs that only read; `None` as subcommand: the whole group reads.
READ_ONLY: frozenset[tuple[str, str | None]] = frozenset(
    {
        ("check", None),
        ("version", None),
        ("scan", None),
        ("policy", "explain"),
        ("policy", "test"),
        ("policy", "validate"),
        ("policy", "show"),
        ("audit", "tail"),
        ("audit", "verify"),
        ("audit", "export"),
        ("approvals", "list"),
        ("approvals", "show"),
        ("agent", "list"),
        ("agent", "show"),
        ("agent", "verify"),
        ("hooks", "status"),
        ("resource", "list"),
        ("resource", "show"),
    }
)
HELP = frozenset({"--help", "-h", "help"})
_OPTIONS_WITH_VALUE = frozenset({"--home", "--json-file", "--env", "--agent", "--resource"})


def is_interlock_program(words: list[str], index: int) -> bool:
    """Whether `words[index]` starts an `interlock` command line (by name, path or module)."""
    word = words[index]
    base = os.path.basename(word.rstrip("/")).casefold()
    previous = words[index - 1].casefold() if index > 0 else ""
    if previous == "-m" and word.casefold() in MODULES:
        return True
    if base not in (PROGRAM, f"{PROGRAM}.exe"):
        return False
    if index == 0:
        return True
    # Back over the runner's own options, numbers and VAR=value: `sudo -E`, `timeout 5`, …
    for word_before in reversed(words[:index]):
        name = os.path.basename(word_before).casefold()
        if name in RUNNERS or name.startswith("python"):
            return True
        if not (word_before.startswith("-") or word_before.isdigit() or "=" in word_before):
            return False
    return False


def cli_effect(arguments: list[str]) -> tuple[bool, str]:
    """(reads only?, what it is) for the arguments after the program name."""
    positional: list[str] = []
    skip = False
    for arg in arguments:
        if skip:
            skip = False
            continue
        if arg in HELP:
            return True, "help"
        if arg.startswith("-"):
            skip = arg in _OPTIONS_WITH_VALUE
            continue
        positional.append(arg.casefold())
        if len(positional) == 2:
            break
    if not positional:
        return True, "interlock"
    group = positional[0]
    sub = positional[1] if len(positional) > 1 else None
    what = f"interlock {group}" + (f" {sub}" if sub else "")
    if (group, None) in READ_ONLY or (group, sub) in READ_ONLY:
        return True, what
    return False, what


def imports_interlock(code: str) -> bool:
    """Python text that imports Interlock: administering it from code."""
    folded = code.casefold()
    return (
        "import interlock" in folded
        or "from interlock" in folded
        or ("__import__" in folded and "interlock" in folded)
    )
