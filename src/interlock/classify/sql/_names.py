"""Every name and string a statement holds, as PostgreSQL parsed them.

An enforcement point that keeps objects of its own in the database (the PostgreSQL proxy's
vault and trash schemas) must recognise references to them however they are written:
`interlock_vault`, `"interlock_vault"`, `U&"interlock\005fvault"`, `INTERLOCK_VAULT` all name
the same schema once parsed, and a regclass literal or a search_path value names it in a
string. Text matching sees none of that reliably; the parse tree does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pgparse

from interlock.classify.sql._tree import iter_nodes

__all__ = ["Mentions", "mentions"]


@dataclass(frozen=True, slots=True)
class Mentions:
    """Identifiers (schemas, relations, functions, types, roles: each part of a qualified
    name) and string constants of a statement; `readable` is False when it does not parse."""

    identifiers: frozenset[str]
    strings: tuple[str, ...]
    readable: bool = True


@lru_cache(maxsize=2048)
def mentions(text: str) -> Mentions:
    try:
        tree = pgparse.parse(text)
    except (pgparse.PGQueryError, UnicodeError, RecursionError):
        return Mentions(frozenset(), (), readable=False)
    identifiers: set[str] = set()
    strings: list[str] = []
    try:
        for kind, fields in iter_nodes(tree):
            if kind == "A_Const":
                for key in ("sval", "bsval"):
                    value = (fields.get(key) or {}).get(key)
                    if isinstance(value, str):
                        strings.append(value)
                continue
            for key, value in fields.items():
                if isinstance(value, str) and key not in ("location",):
                    identifiers.add(value)
    except RecursionError:
        return Mentions(frozenset(), (), readable=False)
    return Mentions(frozenset(identifiers), tuple(strings))
