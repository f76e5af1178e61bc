"""Putting a PostgreSQL snapshot back from the vault, and proving that it can be (drills).

    restore(vault, snapshot, url, password)            into any database: everything, or
                                                       (`only_missing`) only what is gone
    drill(vault, snapshot, server_url, password)       restore into a scratch database,
                                                       compare rows and checksums, drop it

A restore runs `pg_restore` to turn the dump into SQL (only the table-of-contents items
chosen) and `psql --single-transaction` to run it after the prelude: it happens whole or not
at all. Restoring into the database the snapshot came from (`interlock undo`) puts back the
tables that no longer exist, with everything they had, and for targets that still exist
(a DELETE, an UPDATE, a TRUNCATE) replaces their rows; tables kept only as context (what
foreign keys point at) are left alone when they exist.
"""

from __future__ import annotations

import secrets
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from interlock.proxy.pg._dump import (
    DUMP,
    KIND,
    PRELUDE,
    client_env,
    pg_dump_major,
    qualified,
    stats_sql,
)
from interlock.vault import Snapshot, Vault, VaultError

TIMEOUT = 3600.0
_TYPES = (
    "SEQUENCE OWNED BY",
    "SEQUENCE SET",
    "FK CONSTRAINT",
    "CHECK CONSTRAINT",
    "INDEX ATTACH",
    "ROW SECURITY",
    "TABLE DATA",
    "CONSTRAINT",
    "SEQUENCE",
    "DEFAULT",
    "TRIGGER",
    "COMMENT",
    "POLICY",
    "INDEX",
    "TABLE",
    "RULE",
    "ACL",
)
_BY_TABLE_TAG = ("TABLE", "TABLE DATA", "ROW SECURITY")
_BY_FIRST_WORD = (
    "DEFAULT",
    "CONSTRAINT",
    "FK CONSTRAINT",
    "CHECK CONSTRAINT",
    "TRIGGER",
    "POLICY",
    "RULE",
)
_SEQUENCE_TYPES = ("SEQUENCE", "SEQUENCE OWNED BY", "SEQUENCE SET")
_DATA_TYPES = ("TABLE DATA", "SEQUENCE SET")


class RestoreFailed(Exception):
    """A restore or a drill could not be done; the message says which step and why."""


@dataclass(frozen=True, slots=True)
class TocItem:
    """One line of `pg_restore --list`: its type, schema and tag."""

    line: str
    kind: str
    schema: str
    tag: str


def parse_toc(text: str) -> list[TocItem]:
    """`ID; OID OID TYPE SCHEMA TAG OWNER` lines (comments skipped)."""
    items = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        head, _, rest = line.partition("; ")
        words = rest.split(" ", 2)
        if len(words) < 3 or not head.strip().isdigit():
            continue
        body = words[2]
        kind = next((t for t in _TYPES if body.startswith(t + " ")), "")
        if not kind:
            items.append(TocItem(line, body.split(" ", 1)[0], "", ""))
            continue
        schema, _, tail = body[len(kind) + 1 :].partition(" ")
        tag = tail.rsplit(" ", 1)[0] if " " in tail else tail
        items.append(TocItem(line, kind, schema, tag))
    return items


def owner_of(item: TocItem, tables: Sequence[dict[str, Any]]) -> tuple[str, str] | None:
    """The (schema, table) a table-of-contents item belongs to, when it belongs to one."""
    in_schema = [t for t in tables if t["schema"] == item.schema]
    name: str | None = None
    if item.kind in _BY_TABLE_TAG:
        name = item.tag
    elif item.kind in _BY_FIRST_WORD:
        name = item.tag.split(" ", 1)[0]
    elif item.kind in ("COMMENT", "ACL"):
        what, _, rest = item.tag.partition(" ")
        if what in ("TABLE", "COLUMN"):
            name = rest.split(".", 1)[0] if what == "COLUMN" else rest
        elif what == "SEQUENCE":
            return _owning(in_schema, "sequences", rest)
        elif what == "INDEX":
            return _owning(in_schema, "indexes", rest)
    elif item.kind in _SEQUENCE_TYPES:
        return _owning(in_schema, "sequences", item.tag)
    elif item.kind in ("INDEX", "INDEX ATTACH"):
        return _owning(in_schema, "indexes", item.tag)
    if name is None:
        return None
    return (item.schema, name) if any(t["name"] == name for t in in_schema) else None


def _owning(tables: Sequence[dict[str, Any]], part: str, name: str) -> tuple[str, str] | None:
    for table in tables:
        if name in table.get(part, ()):
            return table["schema"], table["name"]
    return None


# --- running the client programs ---------------------------------------------------------


def _run(args: list[str], password: str | None, what: str, stdin: bytes | None = None) -> str:
    try:
        done = subprocess.run(
            args,
            input=stdin,
            capture_output=True,
            env=client_env(password),
            timeout=TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise RestoreFailed(
            f"{args[0]} is not installed (Debian: apt-get install postgresql-client)"
        ) from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise RestoreFailed(f"{what}: {exc}") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        errors = [line for line in lines if "ERROR" in line or "FATAL" in line] or lines
        raise RestoreFailed(f"{what}: {errors[0] if errors else f'exit {done.returncode}'}")
    return done.stdout.decode(errors="replace")


def _psql(url: str, password: str | None, sql: str, what: str) -> list[list[str]]:
    out = _run(
        ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
        password,
        what,
    )
    return [line.split("\t") for line in out.splitlines() if line]


def _sibling(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(database, safe="")))


def _existing(url: str, password: str | None, tables: Sequence[dict[str, Any]]) -> set[str]:
    if not tables:
        return set()
    names = ", ".join(
        "'" + qualified(t["schema"], t["name"]).replace("'", "''") + "'" for t in tables
    )
    rows = _psql(
        url,
        password,
        f"SELECT x FROM unnest(ARRAY[{names}]::text[]) x WHERE to_regclass(x) IS NOT NULL",  # noqa: S608
        "cannot look at the database",
    )
    return {r[0] for r in rows}


# --- restore -----------------------------------------------------------------------------


def restore(
    vault: Vault,
    snapshot: Snapshot,
    url: str,
    password: str | None,
    *,
    only_missing: bool = False,
    workdir: Path | None = None,
) -> str:
    """Restore `snapshot` into the database at `url`; a summary of what came back."""
    manifest = snapshot.manifest
    if manifest.kind != KIND:
        raise RestoreFailed(f"snapshot {snapshot.id} is a {manifest.kind} snapshot, not pg")
    tables: list[dict[str, Any]] = list(manifest.labels.get("tables", []))
    major = pg_dump_major("pg_restore")
    if major and major < int(manifest.labels.get("server_major", 0)):
        raise RestoreFailed(f"pg_restore {major} cannot read a dump of a newer server")
    with tempfile.TemporaryDirectory(dir=workdir, prefix="interlock-restore-") as tmp:
        dump = Path(tmp) / "dump"
        with dump.open("wb") as handle:
            for block in vault.stream(snapshot, DUMP):
                handle.write(block)
        toc = parse_toc(_run(["pg_restore", "--list", str(dump)], None, "cannot read the dump"))
        present = _existing(url, password, tables) if only_missing else set()
        chosen, head, back = _choose(toc, tables, present)
        listing = Path(tmp) / "list"
        listing.write_text("\n".join(item.line for item in chosen) + "\n")
        script = _run(
            ["pg_restore", "--use-list", str(listing), "--file", "-", str(dump)],
            None,
            "cannot turn the dump into SQL",
        )
        prelude = vault.read(snapshot, PRELUDE).decode()
        _run(
            [
                "psql",
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-d",
                url,
                "-f",
                "-",
            ],
            password,
            "the restore failed (nothing was changed)",
            stdin=(prelude + head + script).encode(),
        )
    return ", ".join(back) or "nothing to restore (every table is there)"


def _choose(
    toc: list[TocItem], tables: list[dict[str, Any]], present: set[str]
) -> tuple[list[TocItem], str, list[str]]:
    """Which items to restore, the SQL to run before them, and what comes back (names)."""
    if not present:
        whole = [f"{t['schema']}.{t['name']}" for t in tables]
        return toc, "", whole
    chosen: list[TocItem] = []
    head: list[str] = []
    back: list[str] = []
    modes: dict[tuple[str, str], str] = {}
    rank = _ranks(tables)
    # Rows go back referenced tables first; they are deleted referencing tables first.
    for t in sorted(tables, key=lambda t: -rank[(t["schema"], t["name"])]):
        key = (t["schema"], t["name"])
        if qualified(*key) not in present:
            modes[key] = "whole"
            back.append(f"{key[0]}.{key[1]} (re-created)")
        elif t.get("role") == "target":
            modes[key] = "rows"
            head.append(f"DELETE FROM {qualified(*key)};")  # noqa: S608 (quoted names)
            back.append(f"{key[0]}.{key[1]} (rows)")
    for item in toc:
        owner = owner_of(item, tables)
        mode = modes.get(owner) if owner is not None else None
        if mode == "whole" or (mode == "rows" and item.kind in _DATA_TYPES):
            chosen.append(item)
    slots = [i for i, item in enumerate(chosen) if item.kind == "TABLE DATA"]
    data = sorted(
        (chosen[i] for i in slots),
        key=lambda item: rank.get(owner_of(item, tables) or ("", ""), 0),
    )
    for i, item in zip(slots, data, strict=True):
        chosen[i] = item
    return chosen, "\n".join(head) + ("\n" if head else ""), back


def _ranks(tables: Sequence[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """How deep each table sits in the foreign-key graph among the snapshot's tables (a
    table referenced by others comes first); cycles are cut."""
    by_name = {qualified(t["schema"], t["name"]): (t["schema"], t["name"]) for t in tables}
    refs = {
        (t["schema"], t["name"]): [
            by_name[_requote(r)] for r in t.get("references", ()) if _requote(r) in by_name
        ]
        for t in tables
    }
    ranks: dict[tuple[str, str], int] = {}

    def rank(key: tuple[str, str], seen: frozenset[tuple[str, str]]) -> int:
        if key in ranks:
            return ranks[key]
        deeper = [rank(r, seen | {key}) + 1 for r in refs.get(key, []) if r not in seen | {key}]
        ranks[key] = max(deeper, default=0)
        return ranks[key]

    for key in refs:
        rank(key, frozenset())
    return ranks


def _requote(name: str) -> str:
    """`schema.table` as quote_ident wrote it → our `"schema"."table"` form."""
    schema, _, table = _split_ident(name)
    return qualified(schema, table)


def _split_ident(text: str) -> tuple[str, str, str]:
    parts: list[str] = []
    current, quoted, i = "", False, 0
    while i < len(text):
        c = text[i]
        if c == '"':
            if quoted and i + 1 < len(text) and text[i + 1] == '"':
                current += '"'
                i += 1
            else:
                quoted = not quoted
        elif c == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += c
        i += 1
    parts.append(current)
    return (parts[0], ".", parts[1]) if len(parts) == 2 else ("", "", text)


# --- proof -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DrillResult:
    snapshot: str
    ok: bool
    scratch: str
    tables: list[dict[str, Any]]  # name, rows/checksum expected and found, ok
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "ok": self.ok,
            "scratch": self.scratch,
            "tables": self.tables,
            "error": self.error,
        }


def compare(
    url: str, password: str | None, tables: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each table's rows and checksum in the database at `url`, against the manifest's."""
    out = []
    for t in tables:
        rows = _psql(url, password, stats_sql(t["schema"], t["name"]), "cannot count rows")
        count, checksum = (rows[0] + ["", ""])[:2] if rows else ("", "")
        found_rows = int(count) if count.isdigit() else -1
        out.append(
            {
                "table": f"{t['schema']}.{t['name']}",
                "rows": t.get("rows"),
                "rows_found": found_rows,
                "checksum_ok": checksum == t.get("checksum"),
                "ok": found_rows == t.get("rows") and checksum == t.get("checksum"),
            }
        )
    return out


def drill(
    vault: Vault,
    snapshot: Snapshot,
    server_url: str,
    password: str | None,
    *,
    workdir: Path | None = None,
) -> DrillResult:
    """Restore into a new scratch database on the server at `server_url`, compare every
    table with the manifest, and drop the scratch database whatever happened."""
    scratch = f"interlock_drill_{secrets.token_hex(6)}"
    tables = list(snapshot.manifest.labels.get("tables", []))
    try:
        _psql(server_url, password, "SELECT 1", "cannot reach the server")
    except RestoreFailed:  # the resource's own database may be the one that is gone
        server_url = _sibling(server_url, "postgres")
    _psql(server_url, password, f'CREATE DATABASE "{scratch}"', "cannot create a scratch database")
    try:
        url = _sibling(server_url, scratch)
        try:
            restore(vault, snapshot, url, password, workdir=workdir)
            compared = compare(url, password, tables)
        except (RestoreFailed, VaultError) as exc:  # a failure is the drill's finding
            return DrillResult(snapshot.id, False, scratch, [], str(exc))
        return DrillResult(snapshot.id, all(c["ok"] for c in compared), scratch, compared)
    finally:
        _psql(
            server_url,
            password,
            f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)',
            "cannot drop the scratch database",
        )
