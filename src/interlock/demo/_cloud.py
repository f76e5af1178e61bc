"""A stand-in cloud provider's GraphQL API on loopback, shaped like the one in the incident.

Volumes are directories holding a small SQLite database (`data.db`) and, as in the
incident, their backups in `backups/` on the same volume: deleting the volume deletes both.
Tokens: a "domains" token created for custom domains but valid for everything (the blanket
token of the incident) and a staging project token that only reaches staging volumes.

    query { volumes { id name environment } }
    mutation { volumeDelete(volumeId: "…") }
    mutation { customDomainCreate(domain: "…", environment: "…") }
    mutation { volumeSnapshotCreate(volumeId: "…") { id } }   (copies into a separate vault)
    GET /volumes/ID/backup                                    (the volume's backup, downloaded)
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from graphql import GraphQLError, parse
from graphql.language import FieldNode, OperationDefinitionNode, StringValueNode

BLANKET_TOKEN = "rlwy_domains_demo_blanket_all_access"  # noqa: S105 (a fake for the demo)
STAGING_TOKEN = "rlwy_project_demo_staging_only"  # noqa: S105

VOLUMES = {
    "vol-stg-1a2b": ("db-volume", "staging", 120),
    "vol-prod-7f3a": ("db-volume", "production", 48_213),
    "vol-prod-old9": ("legacy-uploads", "production", 12),
}


@dataclass
class Cloud:
    """The provider's state on disk and its HTTP server."""

    root: Path
    server: ThreadingHTTPServer | None = None
    requests: list[tuple[str, str]] = field(default_factory=list)  # (token kind, operation)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def volume(self, volume_id: str) -> Path:
        return self.root / "volumes" / volume_id

    def provision(self) -> None:
        for volume_id, (name, env, rows) in VOLUMES.items():
            path = self.volume(volume_id)
            (path / "backups").mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path / "data.db")
            db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, cents INT)")
            db.executemany(
                "INSERT INTO orders (customer, cents) VALUES (?, ?)",
                ((f"customer-{i % 997}", 100 + i % 9000) for i in range(rows)),
            )
            db.commit()
            db.close()
            for day in ("2026-11-24", "2026-11-25"):
                shutil.copyfile(path / "data.db", path / "backups" / f"{day}.db")
            (path / "meta.json").write_text(json.dumps({"name": name, "environment": env}))
        (self.root / "vault").mkdir(parents=True, exist_ok=True)

    def describe(self, volume_id: str) -> str:
        path = self.volume(volume_id)
        if not path.exists():
            return "[bold red]GONE[/] (data and backups)"
        db = sqlite3.connect(path / "data.db")
        try:
            rows = db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        finally:
            db.close()
        backups = len(list((path / "backups").glob("*.db")))
        return f"[green]intact[/]: {rows:,} orders, {backups} backups on the volume"

    def vault(self) -> list[str]:
        return sorted(p.name for p in (self.root / "vault").glob("*.db"))

    def start(self) -> Cloud:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # -- the API

    def answer(self, token: str, body: bytes) -> tuple[int, dict[str, Any]]:
        scope = "all" if token == BLANKET_TOKEN else "staging" if token == STAGING_TOKEN else None
        if scope is None:
            return 401, {"errors": [{"message": "Not Authorized"}]}
        try:
            request = json.loads(body)
            document = parse(request["query"])
        except (ValueError, KeyError, TypeError, GraphQLError):
            return 400, {"errors": [{"message": "bad request"}]}
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        field_node = operation.selection_set.selections[0]
        assert isinstance(field_node, FieldNode)
        name = field_node.name.value
        args = {
            a.name.value: a.value.value
            for a in field_node.arguments or ()
            if isinstance(a.value, StringValueNode)
        }
        self.requests.append((scope, name))
        if name == "volumes":
            return 200, {"data": {"volumes": self._volumes(scope)}}
        volume_id = args.get("volumeId", "")
        if name in ("volumeDelete", "volumeSnapshotCreate"):
            path = self.volume(volume_id)
            if not path.exists():
                return 200, {"errors": [{"message": f"volume {volume_id} not found"}]}
            env = json.loads((path / "meta.json").read_text())["environment"]
            if scope != "all" and env != scope:
                return 200, {"errors": [{"message": "Not Authorized"}]}
            if name == "volumeSnapshotCreate":
                snapshot = f"{volume_id}-snapshot.db"
                shutil.copyfile(path / "data.db", self.root / "vault" / snapshot)
                return 200, {"data": {"volumeSnapshotCreate": {"id": snapshot}}}
            shutil.rmtree(path)
            return 200, {"data": {"volumeDelete": True}}
        if name == "customDomainCreate":
            if scope != "all":
                return 200, {"errors": [{"message": "Not Authorized: token lacks domains scope"}]}
            return 200, {"data": {"customDomainCreate": {"domain": args.get("domain")}}}
        return 200, {"errors": [{"message": f"unknown field {name}"}]}

    def backup(self, volume_id: str, scope: str) -> bytes | None:
        """The volume's database as a download, when the token reaches it."""
        path = self.volume(volume_id)
        if "/" in volume_id or not (path / "data.db").is_file():
            return None
        env = json.loads((path / "meta.json").read_text())["environment"]
        if scope != "all" and env != scope:
            return None
        self.requests.append((scope, "backup"))
        return (path / "data.db").read_bytes()

    def _volumes(self, scope: str) -> list[dict[str, str]]:
        out = []
        for path in sorted((self.root / "volumes").glob("*")):
            meta = json.loads((path / "meta.json").read_text())
            if scope in ("all", meta["environment"]):
                out.append({"id": path.name, **meta})
        return out


def _handler(cloud: Cloud) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            """A provider's backup download: the volume's database file, same tokens."""
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            parts = self.path.strip("/").split("/")
            status, payload = 404, b"not found"
            if token not in (BLANKET_TOKEN, STAGING_TOKEN):
                status, payload = 401, b"Not Authorized"
            elif len(parts) == 3 and parts[0] == "volumes" and parts[2] == "backup":
                found = cloud.backup(parts[1], "all" if token == BLANKET_TOKEN else "staging")
                if found is not None:
                    status, payload = 200, found
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ").strip()
            status, answer = cloud.answer(token, body)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
