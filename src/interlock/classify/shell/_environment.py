"""Environment variables that smuggle in a command or code.

`GIT_SSH_COMMAND='rm -rf ~' git fetch` runs `rm` although the command line shows `git
fetch`; `PAGER`, `EDITOR`, `GIT_EXTERNAL_DIFF` and friends work the same way, and
`LD_PRELOAD`, `BASH_ENV` or `NODE_OPTIONS` make an ordinary program load arbitrary code.
Assignments to these names are judged wherever they appear (`X=… cmd`, `env X=… cmd`,
`export X=…`): a command-carrying value is classified as shell text, a code-loading one is
unknown.
"""

# ruff: noqa: S108  (temporary directories are named here to be recognised, not used)
from __future__ import annotations

from interlock.classify.shell._context import Context
from interlock.classify.shell._words import Word
from interlock.model import Action

_COMMAND_VARS = frozenset(
    {
        "PAGER",
        "GIT_PAGER",
        "MANPAGER",
        "SYSTEMD_PAGER",
        "PSQL_PAGER",
        "EDITOR",
        "VISUAL",
        "GIT_EDITOR",
        "GIT_SEQUENCE_EDITOR",
        "SVN_EDITOR",
        "KUBE_EDITOR",
        "GIT_SSH",
        "GIT_EXTERNAL_DIFF",
        "GIT_ASKPASS",
        "SSH_ASKPASS",
        "SUDO_ASKPASS",
        "PROMPT_COMMAND",
        "BROWSER",
        "LESSOPEN",
        "LESSCLOSE",
        "RSYNC_RSH",
        "CVS_RSH",
        "FCEDIT",
    }
)
_CODE_VARS = frozenset(
    {
        "LD_PRELOAD",
        "LD_AUDIT",
        "LD_LIBRARY_PATH",
        "DYLD_INSERT_LIBRARIES",
        "DYLD_LIBRARY_PATH",
        "BASH_ENV",
        "ENV",
        "ZDOTDIR",
        "NODE_OPTIONS",
        "PERL5OPT",
        "PERL5LIB",
        "RUBYOPT",
        "PYTHONSTARTUP",
        "PYTHONINSPECT",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_EXEC_PATH",
        "GIT_TEMPLATE_DIR",
        "PS4",
        "SHELLOPTS",
        "BASHOPTS",
        "IFS",
    }
)


def _carries_command(name: str) -> bool:
    return name in _COMMAND_VARS or name.endswith(("_COMMAND", "_CMD"))


def judge_assignments(assignments: list[tuple[str, Word]], ctx: Context) -> list[Action]:
    """Actions for assignments that change what runs; empty when they are plain data."""
    actions: list[Action] = []
    for name, value in assignments:
        if _carries_command(name):
            if value.value is None:
                reason = f"{name} is set to {value.text}, a command only known at run time"
                actions.append(ctx.unknown("env", reason, (name,)))
            elif value.value.strip():
                actions.extend(ctx.shell(value.value, f"the command in {name}", ctx))
        elif name in _CODE_VARS:
            reason = f"setting {name} makes programs load code Interlock cannot see"
            actions.append(ctx.unknown("env", reason, (name,)))
        elif name == "PATH" and _prepends_untrusted(value):
            reason = "PATH is changed so that a command name may run a different program"
            actions.append(ctx.unknown("env", reason, ("PATH",)))
    return actions


def _prepends_untrusted(value: Word) -> bool:
    """A PATH whose first entries are relative or temporary directories."""
    text = value.value if value.value is not None else value.text
    for entry in text.split(":"):
        if entry in ("$PATH", "${PATH}"):
            return False
        if entry in ("", ".") or not entry.startswith(("/", "~", "$HOME", "${HOME}")):
            return True
        if entry.startswith(("/tmp", "/var/tmp", "/dev/shm")):
            return True
    return False
