"""Split identifiers into lower-case words: `deleteDatabase`, `db.drop`, `repo-destroy`.

Tool names, argument keys and API operation names are written in every convention at once
(snake_case, camelCase, PascalCase, kebab-case, dotted, `mcp__server__tool`). Classifiers
decide on *words*, never on substrings, so `dropdown` is not `drop` and `address` is not
`add`. This module is shared: any classifier that reasons about identifiers can use it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["has_non_ascii_letters", "split_words"]

# One word: an acronym before a capitalised word (HTTPResponse -> HTTP), a capitalised or
# lower-case run, a bare acronym, or a run of digits. Tokenising, not classifying.
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+|[^\W\d_]+")

_MAX_NAME = 256


@lru_cache(maxsize=8192)
def split_words(name: str) -> tuple[str, ...]:
    """The lower-case words of an identifier, in order.

    Separators are anything that is not a letter or digit, so `delete\u200b_db` and
    `delete.db` split the same way as `delete_db`. Compatibility forms are folded first
    (fullwidth `ｄｅｌｅｔｅ` is `delete`). Only the first 256 characters are read.
    """
    text = _strip_invisible(unicodedata.normalize("NFKC", name[:_MAX_NAME]))
    return tuple(w.lower() for w in _WORD.findall(text))


def _strip_invisible(text: str) -> str:
    """Drop zero-width and other format characters: `dele\u200bte` is `delete`."""
    if text.isascii():
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def has_non_ascii_letters(name: str) -> bool:
    """True when `name` (after NFKC folding) still holds non-ASCII characters.

    Such names can hide a verb behind look-alike letters (Cyrillic `е` in `dеlete`) or
    invisible characters, so callers should not vouch for them as harmless.
    """
    return not unicodedata.normalize("NFKC", name[:_MAX_NAME]).isascii()
