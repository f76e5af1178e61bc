"""The identity tables in the home's SQLite file.

identity_meta       revocation_epoch: bumped by every revoke, suspend, resume, rotate,
                    so every process's token cache notices within its poll interval
identity_agents     one row per agent (children point at their parent)
identity_tokens     one row per token: its id, SHA-256 digest (never the token), scope,
                    expiry, parent token, revocation time
identity_humans     users: argon2id hash, TOTP secret sealed with the master key
identity_resources  registered resources; the credential sealed with the master key
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from interlock.state._identity import StoredAgent, StoredHuman, StoredResource, StoredToken
from interlock.state._sqlite import SQLiteFile

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
"""

_AGENT_COLUMNS = (
    "id",
    "name",
    "parent_id",
    "owner",
    "task",
    "environments",
    "resources",
    "max_verb",
    "status",
    "created_at",
    "created_by",
    "changed_at",
)
_TOKEN_COLUMNS = (
    "id",
    "agent_id",
    "parent_token_id",
    "digest",
    "environments",
    "resources",
    "max_verb",
    "issued_at",
    "expires_at",
    "revoked_at",
)
_AGENT = ", ".join(_AGENT_COLUMNS)
_TOKEN = ", ".join(_TOKEN_COLUMNS)
_TOKEN_WITH_AGENT = (
    "SELECT "  # noqa: S608 (column names from the constants above)
    + ", ".join(f"t.{c}" for c in _TOKEN_COLUMNS)
    + ", "
    + ", ".join(f"a.{c} AS agent_{c}" for c in _AGENT_COLUMNS)
    + " FROM identity_tokens t JOIN identity_agents a ON a.id = t.agent_id WHERE t.id = ?"
)
_BUMP_EPOCH = "UPDATE identity_meta SET value = value + 1 WHERE key = 'revocation_epoch'"


class SQLiteIdentityStorage:
    """`IdentityStorage` in one SQLite file, shared by threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = SQLiteFile(path, _SCHEMA, "the identity state")

    def close(self) -> None:
        self._file.close()

    def _one(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Row | None:
        with self._file.reading() as db:
            row: sqlite3.Row | None = db.execute(sql, params).fetchone()
            return row

    def _all(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self._file.reading() as db:
            return list(db.execute(sql, params).fetchall())

    # -- tokens and the epoch

    def token(self, token_id: str) -> tuple[StoredToken, StoredAgent] | None:
        row = self._one(_TOKEN_WITH_AGENT, (token_id,))
        return None if row is None else (_token(row), _agent(row, "agent_"))

    def revocation_epoch(self) -> int:
        row = self._one("SELECT value FROM identity_meta WHERE key = 'revocation_epoch'")
        return int(row[0]) if row else 0

    # -- agents

    def agent(self, name_or_id: str) -> StoredAgent | None:
        row = self._one(
            f"SELECT {_AGENT} FROM identity_agents WHERE id = ? OR name = ? "  # noqa: S608
            "ORDER BY id = ? DESC, status != 'revoked' DESC, created_at DESC LIMIT 1",
            (name_or_id, name_or_id, name_or_id),
        )
        return _agent(row) if row is not None else None

    def agents(self, *, include_revoked: bool = False) -> list[StoredAgent]:
        where = "" if include_revoked else "WHERE status != 'revoked'"
        rows = self._all(f"SELECT {_AGENT} FROM identity_agents {where} ORDER BY name, created_at")  # noqa: S608
        return [_agent(r) for r in rows]

    def tokens(self, agent_id: str) -> list[StoredToken]:
        rows = self._all(
            f"SELECT {_TOKEN} FROM identity_tokens WHERE agent_id = ? ORDER BY issued_at",  # noqa: S608
            (agent_id,),
        )
        return [_token(r) for r in rows]

    def add_agent(self, agent: StoredAgent, token: StoredToken) -> None:
        with self._file.writing() as db:
            db.execute(
                f"INSERT INTO identity_agents ({_AGENT}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
                (
                    agent.id,
                    agent.name,
                    agent.parent_id,
                    agent.owner,
                    agent.task,
                    _names(agent.environments),
                    _names(agent.resources),
                    agent.max_verb,
                    agent.status,
                    agent.created_at,
                    agent.created_by,
                    agent.changed_at,
                ),
            )
            _insert_token(db, token)

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
            db.execute(_BUMP_EPOCH)
        return ids

    def set_agent_status(self, agent_id: str, status: str, at: float) -> None:
        with self._file.writing() as db:
            db.execute(
                "UPDATE identity_agents SET status = ?, changed_at = ? WHERE id = ?",
                (status, at, agent_id),
            )
            db.execute(_BUMP_EPOCH)

    def replace_tokens(self, agent_id: str, token: StoredToken, at: float) -> None:
        with self._file.writing() as db:
            _revoke_tokens(db, agent_id, at)
            _insert_token(db, token)
            db.execute(_BUMP_EPOCH)

    # -- humans

    def human(self, name: str) -> StoredHuman | None:
        row = self._one("SELECT * FROM identity_humans WHERE name = ?", (name,))
        return _human(row) if row is not None else None

    def humans(self) -> list[StoredHuman]:
        return [_human(r) for r in self._all("SELECT * FROM identity_humans ORDER BY name")]

    def add_human(self, human: StoredHuman) -> None:
        with self._file.writing() as db:
            db.execute(
                "INSERT INTO identity_humans (name, role, password_hash, totp_sealed,"
                " totp_last_step, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    human.name,
                    human.role,
                    human.password_hash,
                    human.totp_sealed,
                    human.totp_last_step,
                    human.created_at,
                    human.created_by,
                ),
            )

    def remove_human(self, name: str) -> bool:
        with self._file.writing() as db:
            return bool(db.execute("DELETE FROM identity_humans WHERE name = ?", (name,)).rowcount)

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self._file.writing() as db:
            db.execute(
                "UPDATE identity_humans SET password_hash = ? WHERE name = ?",
                (password_hash, name),
            )

    def claim_totp_step(self, name: str, step: int) -> bool:
        with self._file.writing() as db:
            claimed = db.execute(
                "UPDATE identity_humans SET totp_last_step = ? "
                "WHERE name = ? AND totp_last_step < ?",
                (step, name, step),
            ).rowcount
        return bool(claimed)

    # -- resources

    def resource(self, name: str) -> StoredResource | None:
        row = self._one("SELECT * FROM identity_resources WHERE name = ?", (name,))
        return _resource(row) if row is not None else None

    def resources(self) -> list[StoredResource]:
        return [_resource(r) for r in self._all("SELECT * FROM identity_resources ORDER BY name")]

    def add_resource(self, resource: StoredResource) -> None:
        with self._file.writing() as db:
            db.execute(
                "INSERT INTO identity_resources (name, kind, environment, tags, owner,"
                " upstream, credential_sealed, credential_set_at, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    resource.name,
                    resource.kind,
                    resource.environment,
                    _names(resource.tags),
                    resource.owner,
                    resource.upstream,
                    resource.credential_sealed,
                    resource.credential_set_at,
                    resource.created_at,
                    resource.created_by,
                ),
            )

    def remove_resource(self, name: str) -> bool:
        with self._file.writing() as db:
            gone = db.execute("DELETE FROM identity_resources WHERE name = ?", (name,)).rowcount
        return bool(gone)


def _insert_token(db: sqlite3.Connection, token: StoredToken) -> None:
    db.execute(
        f"INSERT INTO identity_tokens ({_TOKEN}) VALUES (?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
        (
            token.id,
            token.agent_id,
            token.parent_token_id,
            token.digest,
            _names(token.environments),
            _names(token.resources),
            token.max_verb,
            token.issued_at,
            token.expires_at,
            token.revoked_at,
        ),
    )


def _revoke_tokens(db: sqlite3.Connection, agent_id: str, at: float) -> None:
    db.execute(
        "UPDATE identity_tokens SET revoked_at = ? WHERE agent_id = ? AND revoked_at IS NULL",
        (at, agent_id),
    )


def _names(values: frozenset[str] | None) -> str | None:
    return None if values is None else json.dumps(sorted(values))


def _name_set(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(json.loads(text))


def _agent(row: sqlite3.Row, prefix: str = "") -> StoredAgent:
    values = {c: row[prefix + c] for c in _AGENT_COLUMNS}
    return StoredAgent(
        **{
            **values,
            "environments": _name_set(values["environments"]) or frozenset(),
            "resources": _name_set(values["resources"]),
        }
    )


def _token(row: sqlite3.Row) -> StoredToken:
    values = {c: row[c] for c in _TOKEN_COLUMNS}
    return StoredToken(
        **{
            **values,
            "digest": bytes(values["digest"]),
            "environments": _name_set(values["environments"]) or frozenset(),
            "resources": _name_set(values["resources"]),
        }
    )


def _human(row: sqlite3.Row) -> StoredHuman:
    return StoredHuman(**{**dict(row), "totp_sealed": bytes(row["totp_sealed"])})


def _resource(row: sqlite3.Row) -> StoredResource:
    sealed = row["credential_sealed"]
    return StoredResource(
        **{
            **dict(row),
            "tags": frozenset(json.loads(row["tags"])),
            "credential_sealed": None if sealed is None else bytes(sealed),
        }
    )
