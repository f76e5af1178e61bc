"""Perl one-liners used as text filters (`perl -lpe 's/a/b/'`, `… | perl -ne 'print if /x/'`).

Agents reach for perl where sed falls short: packing bits, multi-line substitutions, sums.
Such a one-liner only turns standard input (or the files it names) into standard output.
It is judged by its code: a read when the code uses none of perl's ways of acting on the
world (running commands, opening or removing files, loading modules, evaluating strings,
reaching the environment or its own argument list, calling through references); `-i`
edits the named files in place
(a write); anything else stays unknown. The check is lexical and conservative: a word from
the list anywhere in the code (even inside a string) is enough to refuse to vouch.
"""

from __future__ import annotations

import re

# Perl built-ins and syntax that act beyond text: processes, files, modules, dynamic code,
# the environment, sockets, and the `e` substitution modifier (code in the replacement).
_ACTING = re.compile(
    r"\b(?:system|exec|qx|fork|kill|wait|waitpid|syscall|open|sysopen|opendir|close|unlink|"
    r"rmdir|mkdir|rename|link|symlink|chmod|chown|chdir|chroot|utime|truncate|eval|do|require|"
    r"use|no|package|sub|socket|connect|bind|listen|accept|send|recv|dbmopen|tie|select|"
    r"readpipe|sysread|syswrite|fcntl|ioctl|flock|dump|"
    r"ENV|ARGV|INC|CORE|SIG|__FILE__|__END__|__DATA__)\b"
    r"|`|->|::|&\s*[\w${]|\*\s*\{|"
    # s/…/…/e and s{…}{…}e: the replacement is run as code
    r"\bs\s*([^\w\s{(\[<])(?:\\.|(?!\1).)*\1(?:\\.|(?!\1).)*\1[a-z]*e|"
    r"\bs\s*[{(\[<][^})\]>]*[})\]>]\s*[{(\[<][^})\]>]*[})\]>][a-z]*e",
    re.DOTALL,
)


def one_liner(args: list[str | None]) -> tuple[str, str, tuple[str, ...]] | None:
    """(verb name, reason, input files) for `perl` with an inline program, or None if it
    has none.

    `args` are perl's arguments as literal text (None for a word not known until run time).
    Perl reads switches until the first other argument, `-e` code included (`perl -pe CODE
    -i f` edits in place; every `-e` adds a line to the program).
    """
    codes: list[str] = []
    in_place = False
    operands: list[str] = []
    switches = True
    i = 0
    while i < len(args):
        value = args[i]
        if value is None:
            return ("unknown", "perl is given an argument fixed only at run time", ())
        if switches and value == "--":
            switches = False
            i += 1
            continue
        if switches and value.startswith("-") and value != "-":
            if value.startswith(("-M", "-m", "-I", "-x", "-d", "-V:", "-S")):
                return ("unknown", f"perl {value} loads or runs code Interlock cannot see", ())
            letters = value[1:].split("e")[0] if value[1:2] != "-" else ""
            if value.startswith("-i") or "i" in letters:
                in_place = True
            if value[1:2] != "-" and value.endswith(("e", "E")):
                if i + 1 >= len(args) or args[i + 1] is None:
                    return ("unknown", "perl -e is given code fixed only at run time", ())
                codes.append(str(args[i + 1]))
                i += 2
                continue
            i += 1
            continue
        if not codes:
            return None  # a script file: judged as a script
        switches = False
        if value.startswith(("|", ">", "<", "+")) or value.rstrip().endswith("|"):
            # Perl's two-argument open of its input files runs `cmd|` and writes `>file`.
            return ("unknown", f"perl opens {value!r}, which runs a command or writes a file", ())
        operands.append(value)
        i += 1
    if not codes:
        return None
    if _ACTING.search("\n".join(codes)):
        reason = "perl -e runs code that can act beyond text (commands, files, modules)"
        return ("unknown", reason, tuple(operands))
    if in_place:
        shown = ", ".join(operands) or "its input files"
        return ("write", f"perl -i edits {shown} in place", tuple(operands))
    return ("read", "perl -e only transforms text", tuple(operands))
