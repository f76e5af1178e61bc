"""`interlock undo` for a coding agent's command: put back the workspace snapshot the hook
took before it ran (see hooks/_undo.py), recorded in the audit log; and `vault restore` of
the snapshots that are not PostgreSQL dumps (a workspace, an HTTP before hook's export)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape

from interlock.cli._common import fail, out, print_json
from interlock.home import Home


def undo_local(home: Home, audit_id: int, by: str, json_out: bool) -> bool:
    """Undo the hook decision `audit_id` if it took a local snapshot; False if it is not
    such a decision (the caller goes on with the PostgreSQL safeguards)."""
    from interlock.hooks import UndoError, local_snapshot_id, restore_workspace
    from interlock.vault import VaultError, open_vault

    snapshot_id = ""
    for record in home.audit_log().records(max(0, audit_id - 1)):
        body = dict(record.body)
        if record.seq == audit_id and record.type == "decision":
            snapshot_id = local_snapshot_id(body) or snapshot_id
        elif (  # a snapshot taken once a human approved a held command
            record.type == "safeguard"
            and body.get("kind") == "workspace"
            and audit_id in (record.seq, body.get("decision_seq"))
            and body.get("vault")
        ):
            snapshot_id = str(body["vault"])
    if not snapshot_id:
        return False
    audit = home.audit_log()
    entry: dict[str, object] = {"decision_seq": audit_id, "snapshot": snapshot_id, "by": by}
    try:
        vault = open_vault(home)
        lines = restore_workspace(vault, vault.get(snapshot_id))
    except (UndoError, VaultError, OSError) as exc:
        audit.append("undo", {**entry, "status": "failed", "error": str(exc)})
        fail(f"undo failed: {escape(str(exc))}")
    audit.append("undo", {**entry, "status": "done", "summary": lines})
    if json_out:
        print_json({"undone": audit_id, "snapshot": snapshot_id, "summary": lines})
    else:
        out.print(f"undone {audit_id} from snapshot {snapshot_id[:12]}:")
        for line in lines or ["nothing was missing"]:
            out.print(f"  {escape(line)}")
    return True


def restore_copy(vault: Any, snapshot: Any, into: str | None) -> str | None:
    """`vault restore` of a snapshot that is not a PostgreSQL dump: a workspace (put back
    where it was, as `interlock undo` does) or an HTTP before hook's export (its body
    written to the file `--into`). None for a PostgreSQL snapshot (the caller's)."""
    from interlock.hooks import UndoError, restore_workspace

    kind = snapshot.manifest.kind
    if kind == "workspace":
        try:
            return "; ".join(restore_workspace(vault, snapshot)) or "nothing was missing"
        except (UndoError, OSError) as exc:
            fail(f"restore failed: {escape(str(exc))}")
    if kind != "http":
        return None
    if not into:
        fail("give --into FILE: where to write the exported copy")
    path = Path(into).expanduser()
    if path.exists():
        fail(f"{escape(str(path))} exists; restore into a new file")
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with open(path, "xb") as handle:
        for block in vault.stream(snapshot, "body"):
            handle.write(block)
            size += len(block)
    return f"{size} bytes written to {path}"
