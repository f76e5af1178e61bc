"""`interlock undo` for a coding agent's command: put back the workspace snapshot the hook
took before it ran (see hooks/_undo.py), recorded in the audit log."""

from __future__ import annotations

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
