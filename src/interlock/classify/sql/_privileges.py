"""Roles, grants, ownership and everything else that creates, changes or widens credentials
or privileges: the `privilege` class, never a write.

`CREATE USER u PASSWORD 'x'` or `GRANT postgres TO u` gives whoever holds the password a way
into the database that does not pass through Interlock; `ALTER DEFAULT PRIVILEGES`, an owner
change or a `SECURITY DEFINER` function lend privileges to code or roles that run later.

Some of these statements also stop an application (a role that can no longer log in, one
whose name changes under it): those are destructive, with the privilege effect kept as
`Finding.privilege` so that the grant and the policies about privilege still see it. Roles
given SUPERUSER, BYPASSRLS or REPLICATION, or made members of the predefined roles that reach
outside the database (`pg_execute_server_program`, …), are destructive in the same way: such
a role can destroy anything and run commands on the server.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from interlock.classify.sql._common import (
    Handler,
    destroy,
    list_of,
    names_of,
    object_name,
    object_words,
    option_value,
    privilege,
    targets_of,
    write,
)
from interlock.classify.sql._finding import Finding
from interlock.classify.sql._tree import Node, node_type, qualified_name, relation_name

if TYPE_CHECKING:
    from interlock.classify.sql._analyser import Analyser

__all__ = [
    "POWERFUL_ROLES",
    "alter_default_privileges",
    "alter_function",
    "alter_owner",
    "alter_role",
    "change_owner",
    "create_role",
    "drop_role_like",
    "grant",
    "grant_role",
    "policy_statement",
    "reassign_owned",
    "rename_role",
    "role_name",
    "schema_owner",
    "security_definer",
    "security_label",
    "user_mapping",
]

POWERFUL_ROLES = frozenset(
    {
        "pg_execute_server_program",
        "pg_write_server_files",
        "pg_read_server_files",
        "pg_write_all_data",
        "pg_signal_backend",
        "pg_checkpoint",
        "pg_create_subscription",
        "pg_signal_autovacuum_worker",
    }
)
_POWERFUL_OPTIONS = {"superuser", "bypassrls", "replication"}
_MEMBERSHIP = ("rolemembers", "addroleto", "adminmembers")
_SELF = frozenset({"current_user", "current_role", "session_user"})


def role_name(spec: Node | None) -> str:
    """A RoleSpec's name (`current_user` for CURRENT_USER, `public` for PUBLIC)."""
    return object_name({"RoleSpec": spec or {}})


def _connection_limit(node: Any) -> int | None:
    typed = node_type(node)
    if typed is not None and typed[0] == "Integer":
        return int(typed[1].get("ival", 0))
    return None


def _in_the_past(node: Any) -> bool:
    """Whether a `VALID UNTIL` value has already passed (so no password login works)."""
    typed = node_type(node)
    if typed is None or typed[0] != "String":
        return False
    text = str(typed[1].get("sval", "")).strip().lower()
    if text in ("-infinity", "epoch"):
        return True
    try:
        until = datetime.date.fromisoformat(text[:10])
    except ValueError:
        return False
    return until < datetime.datetime.now(datetime.UTC).date()


def _role_options(op: str, role: str, options: Any, *, altering: bool) -> Finding:
    """What CREATE/ALTER ROLE does with its options: always privilege, destructive when it
    grants powers that reach past every check, or (when altering) locks the role out."""
    changes: list[str] = []
    danger = ""
    for option in options or []:
        typed = node_type(option)
        if typed is None:
            continue
        opt = typed[1]
        name = str(opt.get("defname", ""))
        arg = opt.get("arg")
        value = True if arg is None else option_value(arg)
        if name in _POWERFUL_OPTIONS and value is not False:
            danger = danger or f"gives role {role} the {name.upper()} attribute"
        elif name in _MEMBERSHIP:
            granted = set(names_of(list_of(arg)))
            powerful = granted & POWERFUL_ROLES
            if powerful:
                danger = danger or f"makes {role} a member of {', '.join(sorted(powerful))}"
            changes.append(f"role membership ({', '.join(sorted(granted))})")
        elif name == "password":
            changes.append("a password")
        elif altering and name == "canlogin" and value is False:
            danger = danger or f"stops role {role} from logging in (NOLOGIN)"
        elif altering and name == "connectionlimit" and _connection_limit(arg) == 0:
            danger = danger or f"stops every new connection of role {role} (CONNECTION LIMIT 0)"
        elif altering and name == "validUntil" and _in_the_past(arg):
            danger = danger or f"expires the password of role {role} (VALID UNTIL in the past)"
        else:
            changes.append(name.lower())
    what = f" ({', '.join(changes)})" if changes else ""
    verb = "creates" if op.startswith("CREATE") else "changes"
    own = privilege(
        op,
        f"{op} {verb} role {role}{what}: a database identity or credential, which is used "
        "around Interlock",
        (role,),
    )
    if danger:
        return destroy(op, f"{op} {danger}", (role,), also=own)
    return own


def create_role(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    role = str(fields.get("role", ""))
    kind = str(fields.get("stmt_type", "ROLESTMT_ROLE")).removeprefix("ROLESTMT_")
    return _role_options(f"CREATE {kind}", role, fields.get("options"), altering=False)


def alter_role(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    role = role_name(fields.get("role"))
    return _role_options("ALTER ROLE", role, fields.get("options"), altering=True)


def rename_role(role: str, new: str) -> Finding:
    """`ALTER ROLE r RENAME TO s`: whoever logs in as `r` is locked out (and an MD5 password,
    salted with the name, is cleared)."""
    own = privilege("ALTER ROLE", f"renames role {role} to {new}", (role,))
    return destroy(
        "ALTER ROLE",
        f"renaming role {role} to {new} locks out every client that logs in as {role} "
        "(and clears an MD5 password)",
        (role,),
        also=own,
    )


def drop_role_like(op: str, roles: tuple[str, ...]) -> Finding:
    """DROP ROLE / DROP OWNED BY: destructive, and a change of privileges too."""
    shown = ", ".join(roles) or "a role"
    also = privilege(op, f"{op} takes away the privileges of {shown}", roles)
    what = "every object owned by " if op == "DROP OWNED BY" else ""
    return destroy(op, f"{op} removes {what}{shown}", roles, also=also)


def grant(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    op = "GRANT" if fields.get("is_grant") else "REVOKE"
    targets = names_of(fields.get("objects"))
    grantees = ", ".join(names_of(fields.get("grantees"))) or "public"
    words = object_words(str(fields.get("objtype", ""))).lower()
    scope = (
        "every " + words + " in schema "
        if fields.get("targtype") == "ACL_TARGET_ALL_IN_SCHEMA"
        else words + " "
    )
    shown = ", ".join(targets) if targets else "its objects"
    return privilege(op, f"{op} changes who may use {scope}{shown} ({grantees})", targets)


def grant_role(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    op = "GRANT" if fields.get("is_grant") else "REVOKE"
    granted = {
        str((node_type(r) or ("", {}))[1].get("priv_name", ""))
        for r in fields.get("granted_roles") or []
    }
    grantees = names_of(fields.get("grantee_roles"))
    listed = ", ".join(sorted(granted))
    if op == "REVOKE":
        return privilege(
            op, f"REVOKE takes role {listed} away from {', '.join(grantees)}", grantees
        )
    own = privilege(
        op,
        f"GRANT makes {', '.join(grantees)} a member of role {listed}, with its privileges",
        grantees,
    )
    powerful = granted & POWERFUL_ROLES
    if powerful:
        return destroy(
            op,
            f"GRANT gives {', '.join(grantees)} {', '.join(sorted(powerful))}, "
            "which reaches outside the database",
            grantees,
            also=own,
        )
    return own


def alter_default_privileges(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    action = fields.get("action") or {}
    roles = names_of(action.get("grantees"))
    return privilege(
        "ALTER DEFAULT PRIVILEGES",
        "ALTER DEFAULT PRIVILEGES changes what every object created later grants "
        f"({', '.join(roles) or 'public'})",
        roles,
    )


def alter_owner(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    words = object_words(str(fields.get("objectType", "")))
    target = relation_name(fields.get("relation")) or object_name(fields.get("object"))
    owner = role_name(fields.get("newowner"))
    return privilege(
        f"ALTER {words}",
        f"hands ownership of {words.lower()} {target} (every privilege on it) to {owner}",
        tuple(filter(None, [target])),
    )


def change_owner(op: str, table: str, owner: str) -> Finding:
    """`ALTER TABLE t OWNER TO r` (an ALTER TABLE subcommand)."""
    return privilege(
        op, f"{op} {table} hands ownership (every privilege on it) to {owner}", (table,)
    )


def reassign_owned(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    roles = names_of(fields.get("roles"))
    owner = role_name(fields.get("newrole"))
    return privilege(
        "REASSIGN OWNED",
        f"REASSIGN OWNED hands every object of {', '.join(roles)} to {owner}",
        roles,
    )


def security_definer(options: Any) -> bool | None:
    """True for SECURITY DEFINER, False for SECURITY INVOKER, None when not said."""
    for option in options or []:
        typed = node_type(option)
        if typed is not None and typed[1].get("defname") == "security":
            return option_value(typed[1].get("arg")) is not False
    return None


def alter_function(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    func = fields.get("func") or {}
    name = qualified_name(func.get("objname"))
    security = security_definer(fields.get("actions"))
    op = f"ALTER {object_words(str(fields.get('objtype', 'OBJECT_FUNCTION')))}"
    if security is None:
        return write(op, f"{op} changes the properties of {name}", (name,))
    mode = (
        "SECURITY DEFINER: it runs with its owner's privileges" if security else "SECURITY INVOKER"
    )
    return privilege(op, f"{op} makes {name} {mode}", (name,))


def policy_statement(op: str) -> Handler:
    def handler(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
        table = relation_name(fields.get("table"))
        name = str(fields.get("policy_name", ""))
        return privilege(
            op, f"{op} {name} changes which rows of {table} each role may see or change", (table,)
        )

    return handler


def user_mapping(op: str) -> Handler:
    def handler(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
        server = str(fields.get("servername", ""))
        user = role_name(fields.get("user"))
        found = privilege(
            op,
            f"{op} for {user} on server {server} stores the credentials used to reach it",
            (server,),
        )
        if op.startswith("DROP"):
            return destroy(
                op, f"{op} removes the credentials of {user} on {server}", (server,), also=found
            )
        return found

    return handler


def security_label(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    targets = targets_of(fields)
    return privilege("SECURITY LABEL", "SECURITY LABEL changes mandatory access control", targets)


def schema_owner(fields: Node) -> Finding | None:
    """`CREATE SCHEMA s AUTHORIZATION r` for another role: that role owns what it creates."""
    owner = fields.get("authrole")
    if not owner:
        return None
    name = role_name(owner)
    if name in _SELF:
        return None
    schema = str(fields.get("schemaname", "")) or name
    return privilege(
        "CREATE SCHEMA",
        f"CREATE SCHEMA {schema} AUTHORIZATION {name} gives {name} ownership",
        (schema,),
    )
