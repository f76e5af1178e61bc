"""What every part of the shell classifier needs to know about the command being judged.

Wrappers, carriers and handlers are plain functions `(name, args, ctx) -> …`. The context
gives them the command's redirections and standard input, the recursion depth, and two
callbacks into the classifier (judge another argument vector; classify shell text), so
none of them imports the orchestrator and the dependency graph stays a tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from interlock.classify.shell._parse import Command, Stdin
from interlock.classify.shell._words import Word, decode_ansi_c
from interlock.model import Action, Verb

PROTOCOL = "shell"


@dataclass(frozen=True, slots=True)
class Run:
    """A wrapper's answer: "the command that really runs is `words`" (`sudo rm …`)."""

    words: list[Word]
    via: str


@dataclass(frozen=True, slots=True)
class Context:
    command: Command
    depth: int
    functions: frozenset[str]
    detail: str
    judge: Callable[[list[Word], Context], list[Action]]
    shell: Callable[[str, str, Context], list[Action]]
    # Variables this command line set to `$!`: the PIDs of jobs it started itself.
    own_jobs: frozenset[str] = frozenset()

    @property
    def stdin(self) -> Stdin | None:
        return self.command.stdin

    def action(
        self,
        operation: str,
        verb: Verb,
        reason: str,
        targets: tuple[str, ...] | list[str] = (),
        reversible: bool | None = None,
    ) -> Action:
        """A shell action for this command (`operation` without the `shell:` prefix)."""
        return Action(
            protocol=PROTOCOL,
            operation=f"{PROTOCOL}:{operation}",
            verb=verb,
            targets=tuple(t[:120] for t in targets[:8]),
            reversible=verb is Verb.READ if reversible is None else reversible,
            reason=reason,
            detail=self.detail,
        )

    def unknown(self, operation: str, reason: str, targets: tuple[str, ...] = ()) -> Action:
        return self.action(operation, Verb.UNKNOWN, reason, targets)


def stdin_text(stdin: Stdin | None) -> str | None:
    """The text a command will read on standard input, when it is fixed in the command line.

    Heredocs and here-strings carry their text; a pipe carries the output of its producer
    when that producer is `echo`, `printf` or `cat` of fixed text. Anything else is None.
    """
    if stdin is None:
        return None
    if stdin.kind in ("heredoc", "herestring"):
        return stdin.text
    if stdin.kind == "pipe" and stdin.producer is not None:
        return static_output(stdin.producer, 0)
    return None


def static_output(command: Command, hops: int) -> str | None:
    """What `echo`/`printf`/`cat` of fixed text prints, or None when it is not fixed."""
    words = command.words
    if not words or hops > 8 or any(w.value is None for w in words):
        return None
    name = words[0].value
    args = [w.value or "" for w in words[1:]]
    if name == "echo":
        newline, interpret = True, False
        while args and args[0] in ("-n", "-e", "-E", "-ne", "-en"):
            flag = args.pop(0)
            newline = newline and "n" not in flag
            interpret = interpret or "e" in flag
        text = " ".join(args)
        if interpret:
            text = decode_ansi_c(text)
        return text + ("\n" if newline else "")
    if name == "printf" and args:
        return _printf(args[0], args[1:])
    if name == "cat" and len(words) == 1:
        stdin = command.stdin
        if stdin is not None and stdin.kind == "pipe" and stdin.producer is not None:
            return static_output(stdin.producer, hops + 1)
        return stdin_text(stdin)
    return None


def _printf(fmt: str, args: list[str]) -> str | None:
    """`printf` with only `%s` conversions (the common way to print fixed text)."""
    pieces = fmt.replace("%%", "\0").split("%s")
    if any("%" in p for p in pieces):
        return None
    slots = len(pieces) - 1
    decoded = [decode_ansi_c(p).replace("\0", "%") for p in pieces]
    if slots == 0:
        return decoded[0]
    out = []
    remaining = list(args) or [""]
    while remaining:
        chunk, remaining = remaining[:slots], remaining[slots:]
        chunk += [""] * (slots - len(chunk))
        out.append(decoded[0] + "".join(a + p for a, p in zip(chunk, decoded[1:], strict=True)))
    return "".join(out)
