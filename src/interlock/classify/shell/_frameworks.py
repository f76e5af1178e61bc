"""Framework tasks that carry code or another language (`rails runner CODE`,
`manage.py shell -c CODE`, `manage.py dbshell <<< SQL`).

The command table names each framework's destructive tasks; these handlers look inside the
few tasks whose meaning is the code or SQL they are given.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from interlock.classify import classify_nested
from interlock.classify.shell._code import python_source
from interlock.classify.shell._context import Context, stdin_text
from interlock.classify.shell._words import Word
from interlock.model import Action, Verb

Handler = Callable[[str, list[Word], Context], list[Action]]

# ActiveRecord and Ruby calls that delete data or run SQL or commands.
_RUBY_DESTRUCTIVE = re.compile(
    r"\b(delete_all|destroy_all|destroy!?|delete|drop_table|drop_database|truncate|"
    r"purge_current_database|remove_column|remove_index|rm_rf|rm_r|rmtree|purge)\b"
)


def _ruby_code(operation: str, args: list[Word], ctx: Context) -> list[Action]:
    """`rails runner CODE`: Ruby is not parsed here; calls that delete are destructive and
    anything else is unknown (a file, or code Interlock cannot judge)."""
    code = next((w for w in args if not (w.value or "x").startswith("-")), None)
    if code is None or code.value is None:
        return [ctx.unknown(operation, f"{operation} runs Ruby code Interlock cannot see")]
    found = _RUBY_DESTRUCTIVE.search(code.value)
    if found is not None:
        reason = f"{operation} runs Ruby code calling {found.group(1)}, which deletes data"
        return [ctx.action(operation, Verb.DESTRUCTIVE, reason)]
    return [ctx.unknown(operation, f"{operation} runs Ruby code Interlock cannot judge")]


def _django_shell(operation: str, args: list[Word], ctx: Context) -> list[Action]:
    """`manage.py shell -c CODE` is Python, judged by the code reader; a bare shell reads
    its commands from standard input (judged when fixed) or is interactive."""
    code: Word | None = None
    for index, word in enumerate(args):
        if word.value in ("-c", "--command") and index + 1 < len(args):
            code = args[index + 1]
        elif word.value is not None and word.value.startswith("--command="):
            code = Word(value=word.value.split("=", 1)[1], text=word.text)
    if code is None:
        text = stdin_text(ctx.stdin)
        if text is None:
            return [ctx.unknown(operation, f"{operation} opens an interactive Python session")]
        code = Word(value=text, text=text)
    if code.value is None:
        return [ctx.unknown(operation, f"{operation} runs Python built at run time")]
    return python_source(code.value, f"{operation} -c", ctx)


def _django_dbshell(operation: str, args: list[Word], ctx: Context) -> list[Action]:
    """`manage.py dbshell` runs the SQL on its standard input (or opens a session)."""
    text = stdin_text(ctx.stdin)
    if text is None:
        return [ctx.unknown(operation, f"{operation} opens a database session")]
    return classify_nested("sql", text, ctx.depth)


FRAMEWORK_HANDLERS: dict[str, Handler] = {
    "ruby_code": _ruby_code,
    "django_shell": _django_shell,
    "django_dbshell": _django_dbshell,
}
