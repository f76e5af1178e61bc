"""The identity tables in the home's SQLite file.

identity_meta       revocation_epoch: bumped by every revoke, suspend, resume, rotate,
                    so every process's token cache notices within its poll interval
identity_agents     one row per agent (children point at their parent)
identity_tokens     one row per token: its id, SHA-256 digest (never the token), scope,
                    expiry, parent token, revocation time
identity_humans     users: argon2id hash, TOTP secret sealed with the master key
identity_resources  registered resources; the credential sealed with the master key
identity_macs       one HMAC per agent and per token (their grant), under the home's key

With a key, every write to an agent or a token seals it and every read checks the seal: an
agent or token row edited in the file by anything but this code (wider environments, a
stronger verb, a later expiry, a revocation undone) grants nothing — the token is not
found, the agent reads as revoked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import sqlite3
from dataclasses import fields
from pathlib import Path

from interlock.state._identity import StoredAgent, StoredHuman, StoredResource, StoredToken
from interlock.state._sqlite import SQLiteFile, columns, insert, read, seal_key

_SCHEMA = """
CREATE TABLE IF NOT EXISTS identity_meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO identity_meta (key, value) VALUES ('revocation_epoch', 0);
CREATE TABLE IF NOT EXISTS identity_agents (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    parent_id    TEXT,
    owner        TEXT NOT NULL,
    task         TEXT NOT NULL,
    environments TEXT NOT NULL,
    resources    TEXT,
    max_verb     TEXT NOT NULL,
    status       TEXT NOT NULL,
    created_at   REAL NOT NULL,
    created_by   TEXT NOT NULL,
    changed_at   REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS identity_agents_live_name
    ON identity_agents (name) WHERE status != 'revoked';
CREATE TABLE IF NOT EXISTS identity_tokens (
    id              TEXT PRIMARY KEY,
    agent_id        TEXT NOT NULL,
    parent_token_id TEXT,
    digest          BLOB NOT NULL,
    environments    TEXT NOT NULL,
    resources       TEXT,
    max_verb        TEXT NOT NULL,
    issued_at       REAL NOT NULL,
    expires_at      REAL NOT NULL,
    revoked_at      REAL
);
CREATE INDEX IF NOT EXISTS identity_tokens_agent ON identity_tokens (agent_id);
CREATE INDEX IF NOT EXISTS identity_tokens_parent ON identity_tokens (parent_token_id);
CREATE TABLE IF NOT EXISTS identity_humans (
    name           TEXT PRIMARY KEY,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    totp_sealed    BLOB NOT NULL,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    created_at     REAL NOT NULL,
    created_by     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS identity_resources (
    name              TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    environment       TEXT NOT NULL,
    tags              TEXT NOT NULL,
    owner             TEXT NOT NULL,
    upstream          TEXT NOT NULL,
    credential_sealed BLOB,
    credential_set_at REAL,
    created_at        REAL NOT NULL,
    created_by        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS identity_macs (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    mac  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
"""
_AGENT_COLUMNS = columns(StoredAgent)
_TOKEN_COLUMNS = columns(StoredToken)

_TOKEN_WITH_AGENT = (
    f"SELECT {columns(StoredToken, 't.')}, {columns(StoredAgent, 'a.')}"  # noqa: S608
    " FROM identity_tokens t JOIN identity_agents a ON a.id = t.agent_id WHERE t.id = ?"
)
_TOKEN_FIELDS = len(fields(StoredToken))
_BUMP_EPOCH = "UPDATE identity_meta SET value = value + 1 WHERE key = 'revocation_epoch'"


class SQLiteIdentityStorage:
    """`IdentityStorage` in one SQLite file, shared by threads and processes."""

    def __init__(self, path: Path, *, mac_key: bytes | None = None) -> None:
        self.path = path
        mac_key = mac_key if mac_key is not None else seal_key(path)
        self._file = SQLiteFile(path, _SCHEMA, "the identity state")
        self._key = mac_key
        if mac_key is not None:
            self._seal_existing()

    def _seal_existing(self) -> None:
        """Once per file: seal the agents written before seals existed (the upgrade trusts
        what is there at that moment, as the rows were trusted until then)."""
        if self._file.one("SELECT 1 FROM identity_meta WHERE key = 'sealed'") is not None:
            return
        with self._file.writing() as db:
            if db.execute("SELECT 1 FROM identity_meta WHERE key = 'sealed'").fetchone():
                return
            for (agent_id,) in db.execute("SELECT id FROM identity_agents").fetchall():
                self._seal(db, agent_id)
            db.execute("INSERT INTO identity_meta (key, value) VALUES ('sealed', 1)")

    # -- seals over grants

    def _mac(self, kind: str, record: StoredAgent | StoredToken) -> str:
        assert self._key is not None
        body = json.dumps([kind, dataclasses.asdict(record)], sort_keys=True, default=_canonical)
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    def _valid(self, kind: str, record: StoredAgent | StoredToken) -> bool:
        if self._key is None:
            return True
        row = self._file.one(
            "SELECT mac FROM identity_macs WHERE kind = ? AND id = ?", (kind, record.id)
        )
        return row is not None and hmac.compare_digest(str(row[0]), self._mac(kind, record))

    def _checked(self, agent: StoredAgent) -> StoredAgent:
        return (
            agent if self._valid("agent", agent) else dataclasses.replace(agent, status="revoked")
        )

    def _seal(self, db: sqlite3.Connection, agent_id: str) -> None:
        """Seal the agent and every token of it, as stored now (inside the write)."""
        if self._key is None:
            return
        rows = db.execute(
            f"SELECT {_AGENT_COLUMNS} FROM identity_agents WHERE id = ?",  # noqa: S608
            (agent_id,),
        ).fetchall()
        sealed: list[tuple[str, StoredAgent | StoredToken]] = [
            ("agent", read(StoredAgent, r)) for r in rows
        ]
        tokens = db.execute(
            f"SELECT {_TOKEN_COLUMNS} FROM identity_tokens WHERE agent_id = ?",  # noqa: S608
            (agent_id,),
        ).fetchall()
        sealed += [("token", read(StoredToken, r)) for r in tokens]
        for kind, record in sealed:
            db.execute(
                "INSERT OR REPLACE INTO identity_macs (kind, id, mac) VALUES (?, ?, ?)",
                (kind, record.id, self._mac(kind, record)),
            )

    def close(self) -> None:
        self._file.close()

    # -- tokens and the epoch

    def token(self, token_id: str) -> tuple[StoredToken, StoredAgent] | None:
        row = self._file.one(_TOKEN_WITH_AGENT, (token_id,))
        if row is None:
            return None
        token, agent = read(StoredToken, row), read(StoredAgent, row, _TOKEN_FIELDS)
        if not (self._valid("token", token) and self._valid("agent", agent)):
            return None  # a grant that fails its seal grants nothing
        return token, agent

    def revocation_epoch(self) -> int:
        row = self._file.one("SELECT value FROM identity_meta WHERE key = 'revocation_epoch'")
        return int(row[0]) if row else 0

    # -- agents

    def agent(self, name_or_id: str) -> StoredAgent | None:
        found = self._file.first(
            StoredAgent,
            "identity_agents",
            "WHERE id = ? OR name = ? "
            "ORDER BY id = ? DESC, status != 'revoked' DESC, created_at DESC LIMIT 1",
            name_or_id,
            name_or_id,
            name_or_id,
        )
        return self._checked(found) if found is not None else None

    def agents(self, *, include_revoked: bool = False) -> list[StoredAgent]:
        where = "" if include_revoked else "WHERE status != 'revoked'"
        found = self._file.select(
            StoredAgent, "identity_agents", f"{where} ORDER BY name, created_at"
        )
        return [self._checked(a) for a in found]

    def tokens(self, agent_id: str) -> list[StoredToken]:
        return self._file.select(
            StoredToken, "identity_tokens", "WHERE agent_id = ? ORDER BY issued_at", agent_id
        )

    def add_agent(self, agent: StoredAgent, token: StoredToken) -> None:
        with self._file.writing() as db:
            insert(db, "identity_agents", agent)
            insert(db, "identity_tokens", token)
            self._seal(db, agent.id)

    def revoke_agent(self, agent_id: str, at: float) -> list[str]:
        with self._file.writing() as db:
            ids = [
                r[0]
                for r in db.execute(
                    "WITH RECURSIVE tree(id) AS (SELECT ? UNION "
                    "SELECT a.id FROM identity_agents a JOIN tree ON a.parent_id = tree.id) "
                    "SELECT id FROM tree",
                    (agent_id,),
                )
            ]
            for revoked in ids:
                db.execute(
                    "UPDATE identity_agents SET status = 'revoked', changed_at = ? WHERE id = ?",
                    (at, revoked),
                )
                _revoke_tokens(db, revoked, at)
                self._seal(db, revoked)
            db.execute(_BUMP_EPOCH)
        return ids

    def set_agent_status(self, agent_id: str, status: str, at: float) -> None:
        with self._file.writing() as db:
            db.execute(
                "UPDATE identity_agents SET status = ?, changed_at = ? WHERE id = ?",
                (status, at, agent_id),
            )
            self._seal(db, agent_id)
            db.execute(_BUMP_EPOCH)

    def replace_tokens(self, agent_id: str, token: StoredToken, at: float) -> None:
        with self._file.writing() as db:
            _revoke_tokens(db, agent_id, at)
            insert(db, "identity_tokens", token)
            self._seal(db, agent_id)
            db.execute(_BUMP_EPOCH)

    # -- humans

    def human(self, name: str) -> StoredHuman | None:
        return self._file.first(StoredHuman, "identity_humans", "WHERE name = ?", name)

    def humans(self) -> list[StoredHuman]:
        return self._file.select(StoredHuman, "identity_humans", "ORDER BY name")

    def add_human(self, human: StoredHuman) -> None:
        self._file.add("identity_humans", human)

    def remove_human(self, name: str) -> bool:
        return bool(self._file.change("DELETE FROM identity_humans WHERE name = ?", (name,)))

    def set_password_hash(self, name: str, password_hash: str) -> None:
        self._file.change(
            "UPDATE identity_humans SET password_hash = ? WHERE name = ?", (password_hash, name)
        )

    def claim_totp_step(self, name: str, step: int) -> bool:
        return bool(
            self._file.change(
                "UPDATE identity_humans SET totp_last_step = ? "
                "WHERE name = ? AND totp_last_step < ?",
                (step, name, step),
            )
        )

    # -- resources

    def resource(self, name: str) -> StoredResource | None:
        return self._file.first(StoredResource, "identity_resources", "WHERE name = ?", name)

    def resources(self) -> list[StoredResource]:
        return self._file.select(StoredResource, "identity_resources", "ORDER BY name")

    def add_resource(self, resource: StoredResource) -> None:
        self._file.add("identity_resources", resource)

    def remove_resource(self, name: str) -> bool:
        return bool(self._file.change("DELETE FROM identity_resources WHERE name = ?", (name,)))


def _canonical(value: object) -> object:
    """One spelling per value, in every process (a set's order is not)."""
    if isinstance(value, (set, frozenset)):
        return sorted(str(v) for v in value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _revoke_tokens(db: sqlite3.Connection, agent_id: str, at: float) -> None:
    db.execute(
        "UPDATE identity_tokens SET revoked_at = ? WHERE agent_id = ? AND revoked_at IS NULL",
        (at, agent_id),
    )
