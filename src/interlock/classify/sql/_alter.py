"""ALTER of tables, domains, sequences and databases: definitions that change under data.

Most ALTERs are writes. Some lose data (`DROP COLUMN`, a `USING` that ignores the old value),
some hand privileges over (`OWNER TO`, row-level security, `security_invoker`), and some stop
an application without losing a row, which Interlock treats as destructive all the same:

- a CHECK constraint no row can pass (`CHECK (false) NOT VALID` skips the rows already there
  and refuses every later INSERT and UPDATE);
- `SET UNLOGGED`: the table is emptied after a crash and no longer reaches replicas;
- `ALTER SEQUENCE … RESTART`: numbers already used are issued again, and inserts collide
  with existing keys;
- a database that refuses connections (`ALLOW_CONNECTIONS false`, `CONNECTION LIMIT 0`).

An ALTER with several subcommands takes the most severe; a privilege effect hidden under a
destructive one is kept (`Finding.privilege`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interlock.classify.sql._common import (
    destroy,
    object_words,
    option_value,
    privilege,
    targets_of,
    write,
)
from interlock.classify.sql._finding import Finding, combine
from interlock.classify.sql._privileges import change_owner, role_name
from interlock.classify.sql._tree import Node, node_type, qualified_name, relation_name
from interlock.classify.sql._where import Scope, depends_on_row, row_scope

if TYPE_CHECKING:
    from interlock.classify.sql._analyser import Analyser

__all__ = ["alter_database", "alter_domain", "alter_sequence", "alter_table"]

_DESTRUCTIVE_ALTER = {
    "AT_DropColumn": "drops column {name} and its data",
    "AT_DropConstraint": "drops constraint {name}",
    "AT_SetUnLogged": (
        "makes the table UNLOGGED: it is emptied after a crash and no longer reaches replicas"
    ),
}
_ROW_SECURITY = {
    "AT_EnableRowSecurity": "turns on row-level security",
    "AT_DisableRowSecurity": "turns off row-level security",
    "AT_ForceRowSecurity": "forces row-level security on its owner",
    "AT_NoForceRowSecurity": "exempts its owner from row-level security",
}
_SECURITY_OPTIONS = frozenset({"security_invoker", "security_barrier"})


def never_passes(constraint: Any) -> bool:
    """Whether a CHECK constraint refuses every row (`CHECK (false)`, `CHECK (x <> x)`)."""
    typed = node_type(constraint)
    if typed is None or typed[0] != "Constraint":
        return False
    fields = typed[1]
    if fields.get("contype") != "CONSTR_CHECK":
        return False
    return row_scope(fields.get("raw_expr"), frozenset()) is Scope.NO_ROW


def _subcommand(op: str, table: str, sub: Node) -> Finding:
    subtype = str(sub.get("subtype", ""))
    name = str(sub.get("name", ""))
    if subtype in _DESTRUCTIVE_ALTER:
        return destroy(
            op, f"{op} {table} {_DESTRUCTIVE_ALTER[subtype].format(name=name)}", (table,)
        )
    if subtype == "AT_AlterColumnType":
        column = node_type(sub.get("def"))
        using = column[1].get("raw_default") if column else None
        if using is not None and not depends_on_row(using, frozenset({table, name})):
            return destroy(
                op,
                f"{op} {table} retypes column {name} USING an expression that ignores its "
                "old value, overwriting every row",
                (table,),
            )
    if subtype == "AT_AddConstraint" and never_passes(sub.get("def")):
        return destroy(
            op,
            f"{op} {table} adds a CHECK constraint no row can pass: every later INSERT and "
            "UPDATE fails",
            (table,),
        )
    if subtype == "AT_ChangeOwner":
        return change_owner(op, table, role_name(sub.get("newowner")))
    if subtype in _ROW_SECURITY:
        return privilege(op, f"{op} {table} {_ROW_SECURITY[subtype]}", (table,))
    if subtype in ("AT_SetRelOptions", "AT_ResetRelOptions"):
        items = (node_type(sub.get("def")) or ("", {}))[1].get("items") or []
        options = {str((node_type(i) or ("", {}))[1].get("defname", "")) for i in items}
        touched = sorted(options & _SECURITY_OPTIONS)
        if touched:
            return privilege(
                op,
                f"{op} {table} changes {', '.join(touched)}: whose privileges its rows are "
                "read with",
                (table,),
            )
    return write(op, f"{op} changes the definition of {table}", (table,))


def alter_table(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    words = object_words(str(fields.get("objtype", "OBJECT_TABLE")))
    op = f"ALTER {words}"
    table = relation_name(fields.get("relation"))
    own = write(op, f"{op} changes the definition of {table}", (table,))
    parts = []
    for cmd in fields.get("cmds") or []:
        typed = node_type(cmd)
        if typed is not None:
            parts.append(_subcommand(op, table, typed[1]))
    worst = combine(own, parts)
    return worst


def alter_domain(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = qualified_name(fields.get("typeName"))
    subtype = fields.get("subtype")
    if subtype == "X":
        return destroy(
            "ALTER DOMAIN",
            f"ALTER DOMAIN {name} drops constraint {fields.get('name', '')}",
            (name,),
        )
    if subtype == "C" and never_passes(fields.get("def")):
        return destroy(
            "ALTER DOMAIN",
            f"ALTER DOMAIN {name} adds a CHECK constraint no value can pass: every later write "
            "of a column of this domain fails",
            (name,),
        )
    if subtype == "U":  # OWNER TO
        return privilege("ALTER DOMAIN", f"ALTER DOMAIN {name} changes its owner", (name,))
    return write("ALTER DOMAIN", f"ALTER DOMAIN changes domain {name}", (name,))


def alter_sequence(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = relation_name(fields.get("sequence"))
    for option in fields.get("options") or []:
        typed = node_type(option)
        if typed is not None and typed[1].get("defname") == "restart":
            return destroy(
                "ALTER SEQUENCE",
                f"ALTER SEQUENCE {name} RESTART issues numbers already used again: inserts "
                "collide with existing keys",
                (name,),
            )
    return write("ALTER SEQUENCE", f"ALTER SEQUENCE changes {name}", (name,))


def alter_database(fields: Node, an: Analyser, text: str, depth: int) -> Finding:
    name = str(fields.get("dbname", ""))
    for option in fields.get("options") or []:
        typed = node_type(option)
        if typed is None:
            continue
        opt = typed[1]
        defname = str(opt.get("defname", ""))
        arg = opt.get("arg")
        if defname == "allow_connections" and option_value(arg) is False:
            return destroy(
                "ALTER DATABASE",
                f"ALTER DATABASE {name} ALLOW_CONNECTIONS false refuses every new connection",
                (name,),
            )
        if defname == "connection_limit":
            limit = node_type(arg)
            if limit is not None and limit[0] == "Integer" and not limit[1].get("ival", 0):
                return destroy(
                    "ALTER DATABASE",
                    f"ALTER DATABASE {name} CONNECTION LIMIT 0 refuses every new connection",
                    (name,),
                )
    return write("ALTER DATABASE", f"ALTER DATABASE changes {name}", targets_of(fields))
