"""What a definition's words say an operation does: its name, its path, its description.

The same vocabulary the classifiers read live calls with (`_words`, `_credentials`), so a
generated pack agrees with what Interlock would say about the call, plus the one thing a
definition has that a call does not: the provider's own prose ("permanently deletes",
"cannot be undone").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from interlock.classify._credentials import is_read_command, privilege_subject
from interlock.classify._words import destructive_word, disruptive_word, split_words
from interlock.model import Verb

__all__ = ["documented_loss", "documented_privilege", "judge_command", "judge_value"]

# Phrases of documented, irreversible loss. Read in the summary and the first sentences of
# a description, for operations that change something.
_LOSS = re.compile(
    r"\b(permanently|irreversibl[ey]|cannot be (undone|reversed|recovered)|can ?not be undone"
    r"|can't be undone|not reversible|will be lost|is lost|data loss|destroys?|deletes?"
    r"|erases?|wipes?|overwrites?|purges?|removes? all|replaces? all)\b",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(does not|doesn't|will not|won't|never|without)\b[^.]{0,40}$", re.I)


def documented_loss(*texts: str) -> str | None:
    """The phrase of the documentation that says the operation loses data, or None."""
    for text in texts:
        head = " ".join(text.split())[:400]
        for match in _LOSS.finditer(head):
            if _NEGATED.search(head[: match.start()]):
                continue
            return match.group(0).lower()
    return None


def documented_privilege(text: str) -> str | None:
    """The credential or privilege domain the first sentence of a description is about
    ("Create a new IAM user." → `iam`), or None. A single subject word only: words paired
    across a sentence ("a D1 database in your account") say nothing about access."""
    first = " ".join(text.split()).split(". ", 1)[0][:200]
    words = split_words(first)
    if is_read_command(words):
        return None
    subject = privilege_subject(words)
    return subject if subject is not None and " " not in subject else None


def judge_command(words: Sequence[str], *, changing: bool) -> tuple[Verb, str] | None:
    """The verb a command's name gives (`droplets_destroy`, `regenerateRecoveryCodes`,
    `createApiToken`), or None when the name says nothing beyond its method."""
    if not words:
        return None
    word = destructive_word(words, imperative_only=not changing)
    if word is not None:
        return Verb.DESTRUCTIVE, f"its name says {word!r}"
    if not changing:
        return None
    word = disruptive_word(words)
    if word is not None:
        return Verb.DESTRUCTIVE, f"its name says {word!r}"
    if not is_read_command(words):
        subject = privilege_subject(words)
        if subject is not None:
            return Verb.PRIVILEGE, f"it creates or changes a {subject}"
    return None


def judge_value(value: str) -> Verb | None:
    """The verb an action value names (`rebuild`, `power_off`, `password_reset`), or None."""
    words = split_words(value)
    if destructive_word(words, imperative_only=True) or disruptive_word(words):
        return Verb.DESTRUCTIVE
    if privilege_subject(words) is not None and not is_read_command(words):
        return Verb.PRIVILEGE
    return None
