"""What calling a function does, wherever the call appears (SELECT list, WHERE, DEFAULT,
VALUES, a view, a PL/pgSQL expression).

In order: a function defined earlier in the same input is judged by its body; functions
that run SQL given as text (dblink_exec, query_to_xml, cron.schedule…) are judged by that
SQL when it is a constant; set_config() by the setting; then the tables below of volatile
built-ins that destroy, write, or reach outside the database; then the generated list of
built-ins declared IMMUTABLE or STABLE, which PostgreSQL guarantees change nothing. Anything
else is a function whose body Interlock cannot see: `unknown`.

Lookup is by the function's own name whatever schema qualifies it, so
`pg_catalog.pg_terminate_backend(…)` is caught like `pg_terminate_backend(…)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interlock.classify.sql._builtins import NON_VOLATILE
from interlock.classify.sql._finding import Finding, combine
from interlock.classify.sql._fold import UNKNOWN, Env, fold
from interlock.classify.sql._settings import Setting, judge_setting
from interlock.classify.sql._tree import Node, string_list
from interlock.model import Verb

if TYPE_CHECKING:
    from interlock.classify.sql._analyser import Analyser

__all__ = ["classify_call"]

_SERVER_FILES = "reads files on the database server outside the database, which may hold secrets"

DESTRUCTIVE: dict[str, str] = {
    "pg_terminate_backend": "ends another database session and rolls back its work",
    "pg_cancel_backend": "cancels another session's running query",
    "lo_unlink": "deletes a large object",
    "lo_truncate": "truncates a large object",
    "lo_truncate64": "truncates a large object",
    "lo_export": "writes a file on the database server",
    "pg_drop_replication_slot": "drops a replication slot that a replica or consumer may need",
    "pg_replication_origin_drop": "drops a replication origin",
    "pg_replication_slot_advance": "discards changes a replication consumer has not read",
    "pg_logical_slot_get_changes": "consumes changes from a replication slot",
    "pg_logical_slot_get_binary_changes": "consumes changes from a replication slot",
    "pg_promote": "promotes a standby server to primary",
    "pg_file_write": "writes a file on the database server",
    "pg_file_rename": "renames a file on the database server",
    "pg_file_unlink": "deletes a file on the database server",
    "heap_force_kill": "forcibly removes tuples from table pages",
    "heap_force_freeze": "forcibly rewrites tuples in table pages",
    "pg_truncate_visibility_map": "truncates a table's visibility map",
}

UNSEEABLE: dict[str, str] = {
    **dict.fromkeys(
        [
            "pg_read_file",
            "pg_read_binary_file",
            "pg_read_file_old",
            "pg_ls_dir",
            "pg_ls_logdir",
            "pg_ls_waldir",
            "pg_ls_tmpdir",
            "pg_ls_archive_statusdir",
            "pg_ls_logicalmapdir",
            "pg_ls_logicalsnapdir",
            "pg_ls_replslotdir",
            "pg_stat_file",
            "pg_file_read",
            "pg_file_length",
            "pg_logdir_ls",
        ],
        _SERVER_FILES,
    ),
    "lo_import": "reads a file on the database server into the database",
    "pg_reload_conf": (
        "applies whatever the server's configuration files now say, which Interlock cannot see"
    ),
}

_WRITE_TEXT = """
    nextval setval lo_creat lo_create lo_put lowrite lo_from_bytea pg_notify
    pg_create_restore_point pg_switch_wal pg_rotate_logfile pg_rotate_logfile_old
    pg_logfile_rotate pg_backup_start pg_backup_stop pg_start_backup pg_stop_backup
    pg_create_physical_replication_slot pg_create_logical_replication_slot
    pg_copy_physical_replication_slot pg_copy_logical_replication_slot
    pg_replication_origin_create pg_replication_origin_advance
    pg_replication_origin_session_setup pg_replication_origin_session_reset
    pg_replication_origin_xact_setup pg_replication_origin_xact_reset
    pg_logical_emit_message pg_import_system_collations pg_stat_reset pg_stat_reset_shared
    pg_stat_reset_single_table_counters pg_stat_reset_single_function_counters
    pg_stat_reset_slru pg_stat_reset_replication_slot pg_stat_reset_subscription_stats
    pg_stat_statements_reset pg_wal_replay_pause pg_wal_replay_resume pg_advisory_lock
    pg_advisory_lock_shared pg_advisory_xact_lock pg_advisory_xact_lock_shared
    pg_try_advisory_lock pg_try_advisory_lock_shared pg_try_advisory_xact_lock
    pg_try_advisory_xact_lock_shared pg_advisory_unlock pg_advisory_unlock_shared
    pg_advisory_unlock_all brin_summarize_new_values brin_summarize_range
    brin_desummarize_range gin_clean_pending_list pg_extension_config_dump pg_file_sync
    dblink_connect dblink_connect_u dblink_cancel_query postgres_fdw_disconnect
    postgres_fdw_disconnect_all autoprewarm_dump_now autoprewarm_start_worker unschedule
"""
WRITE: frozenset[str] = frozenset(_WRITE_TEXT.split())

# Volatile, but only read (or return something new): clocks, random numbers, sizes, status.
_READ_VOLATILE_TEXT = """
    clock_timestamp random setseed gen_random_uuid gen_random_bytes gen_salt timeofday
    pg_sleep pg_sleep_for pg_sleep_until current_query currval lastval pg_current_logfile
    pg_current_wal_flush_lsn pg_current_wal_insert_lsn pg_current_wal_lsn pg_database_size
    pg_relation_size pg_table_size pg_indexes_size pg_total_relation_size pg_tablespace_size
    pg_is_in_recovery pg_is_wal_replay_paused pg_get_wal_replay_pause_state pg_blocking_pids
    pg_safe_snapshot_blocking_pids pg_collation_actual_version
    pg_database_collation_actual_version pg_control_checkpoint pg_control_init
    pg_control_recovery pg_control_system pg_get_backend_memory_contexts
    pg_get_multixact_members pg_get_shmem_allocations pg_get_wal_resource_managers
    pg_hba_file_rules pg_ident_file_mappings pg_jit_available pg_last_committed_xact
    pg_last_wal_receive_lsn pg_last_wal_replay_lsn pg_last_xact_replay_timestamp
    pg_lock_status pg_notification_queue_usage pg_partition_ancestors pg_partition_tree
    pg_prepared_xact pg_sequence_last_value pg_show_all_file_settings
    pg_show_replication_origin_status pg_stat_clear_snapshot pg_stat_force_next_flush
    pg_stat_get_recovery_prefetch pg_stat_have_stats pg_xact_commit_timestamp
    pg_xact_commit_timestamp_origin pg_xact_status txid_status pg_export_snapshot
    pg_replication_origin_session_is_setup pg_replication_origin_session_progress
    pg_replication_origin_progress pg_log_backend_memory_contexts currtid2 cursor_to_xml
    cursor_to_xmlschema pg_logical_slot_peek_changes pg_logical_slot_peek_binary_changes
    uuid_generate_v1 uuid_generate_v1mc uuid_generate_v4 normal_rand pgp_sym_encrypt
    pgp_sym_encrypt_bytea pgp_pub_encrypt pgp_pub_encrypt_bytea lo_get loread lo_open
    lo_close lo_lseek lo_lseek64 lo_tell lo_tell64 dblink_fetch dblink_get_result
    dblink_is_busy dblink_get_connections dblink_error_message dblink_get_notify
    dblink_get_pkey dblink_current_query dblink_build_sql_insert dblink_build_sql_update
    dblink_build_sql_delete dblink_close dblink_disconnect pg_buffercache_pages pg_freespace
    pgstattuple pgstatindex pgstattuple_approx pgstatginindex pgstathashindex pg_relpages
    pgrowlocks pg_visibility pg_visibility_map pg_visibility_map_summary pg_check_frozen
    pg_check_visible bt_index_check bt_index_parent_check verify_heapam pg_stat_statements
    pg_stat_statements_info pg_prewarm set_limit bernoulli system system_rows system_time
    postgres_fdw_get_connections
"""
READ_VOLATILE: frozenset[str] = frozenset(_READ_VOLATILE_TEXT.split())
_READ_PREFIXES = ("pg_stat_get_xact_", "pg_get_wal_", "ssl_")


def _sql_argument(name: str, args: list[Any], env: Env) -> int | None:
    """Index of the argument holding SQL text for functions that run SQL, else None."""
    if name in ("dblink", "dblink_exec"):
        if len(args) >= 2 and isinstance(fold(args[1], env), str):
            return 1
        return 0
    if name == "dblink_send_query":
        return 1
    if name == "dblink_open":
        return 2 if len(args) >= 3 and isinstance(fold(args[2], env), str) else 1
    if name in ("query_to_xml", "query_to_xml_and_xmlschema", "query_to_xmlschema", "ts_stat"):
        return 0
    if name == "ts_rewrite":
        return 1 if len(args) == 2 else None
    return None


# name -> (the least it does, what it does with the SQL)
_RUNS_SQL: dict[str, tuple[Verb, str]] = {
    "dblink": (Verb.READ, "runs SQL on another database"),
    "dblink_exec": (Verb.WRITE, "runs SQL on another database"),
    "dblink_send_query": (Verb.READ, "runs SQL on another database"),
    "dblink_open": (Verb.READ, "runs SQL on another database"),
    "query_to_xml": (Verb.READ, "runs SQL given as text"),
    "query_to_xml_and_xmlschema": (Verb.READ, "runs SQL given as text"),
    "query_to_xmlschema": (Verb.READ, "runs SQL given as text"),
    "ts_stat": (Verb.READ, "runs SQL given as text"),
    "ts_rewrite": (Verb.READ, "runs SQL given as text"),
}
_SCHEDULERS = {"cron.schedule": -1, "cron.schedule_in_database": 2}


def _runs_sql(
    label: str, floor: Verb, what: str, sql_node: Any, an: Analyser, depth: int
) -> Finding:
    value = fold(sql_node, Env())
    if not isinstance(value, str):
        if value is None:
            return Finding(floor, "CALL", f"{label} {what}, but the SQL is NULL")
        return Finding(Verb.UNKNOWN, "CALL", f"{label} {what} that is only known at run time")
    inner = an.nested_sql(value, depth)
    own = Finding(floor, "CALL", f"{label} {what}", inner.targets, floor is Verb.READ)
    if inner.verb.severity > floor.severity:
        return Finding(inner.verb, "CALL", f"{label} {what}: {inner.reason}", inner.targets)
    return combine(own, [])


_UNRECOGNISED = Finding(Verb.UNKNOWN, "CALL", "not a function Interlock knows")


def classify_call(fields: Node, an: Analyser, depth: int) -> Finding | None:
    """The finding for one function call, or None when it is a plain read.

    A function defined earlier in the input can only make a call more severe: pg_catalog
    comes first on every search path, so a same-named user function does not displace a
    dangerous built-in.
    """
    names = string_list(fields.get("funcname"))
    if not names:
        return Finding(Verb.UNKNOWN, "CALL", "a call to a function with no name")
    label = f"{'.'.join(names)}()"
    builtin = _builtin_call(names, list(fields.get("args") or []), fields, an, depth)
    defined = an.functions.get(names[-1])
    if builtin is _UNRECOGNISED:
        if defined is None:
            return Finding(
                Verb.UNKNOWN, "CALL", f"{label} is a function whose body Interlock cannot see"
            )
        builtin = None  # not a built-in: the definition in this input is what runs
    if defined is None or defined.verb is Verb.READ:
        return builtin
    if builtin is not None and builtin.verb.severity >= defined.verb.severity:
        return builtin
    return Finding(
        defined.verb,
        "CALL",
        f"{label}, defined in this input: {defined.reason}",
        defined.targets,
        privilege=defined.privilege,
    )


def _builtin_call(
    names: list[str], args: list[Any], fields: Node, an: Analyser, depth: int
) -> Finding | None:
    name = names[-1]
    qualified = ".".join(names[-2:])
    label = f"{'.'.join(names)}()"

    if qualified in _SCHEDULERS:
        index = _SCHEDULERS[qualified]
        if not -len(args) <= index < len(args):
            return Finding(Verb.UNKNOWN, "CALL", f"{label} schedules SQL Interlock cannot see")
        return _runs_sql(label, Verb.WRITE, "schedules SQL to run later", args[index], an, depth)

    if name in _RUNS_SQL:
        floor, what = _RUNS_SQL[name]
        position = _sql_argument(name, args, Env())
        if position is None or position >= len(args):
            return Finding(floor, "CALL", f"{label} {what}") if floor is not Verb.READ else None
        found = _runs_sql(label, floor, what, args[position], an, depth)
        return None if found.verb is Verb.READ and not found.targets else found

    if name == "set_config":
        if len(args) < 2:
            return None
        setting, value = fold(args[0], Env()), fold(args[1], Env())
        if not isinstance(setting, str):
            an.settings.append(Setting("?", value))
            return Finding(
                Verb.UNKNOWN, "CALL", f"{label} changes a setting named only at run time"
            )
        an.settings.append(Setting(setting.strip().lower(), value))
        judged = judge_setting(setting, value)
        return Finding(judged[0], "CALL", judged[1]) if judged else None

    if name in DESTRUCTIVE:
        return Finding(Verb.DESTRUCTIVE, "CALL", f"{label} {DESTRUCTIVE[name]}")
    if name in UNSEEABLE:
        return Finding(Verb.UNKNOWN, "CALL", f"{label} {UNSEEABLE[name]}")
    if name in WRITE:
        reversible = name not in ("nextval", "setval")
        return Finding(
            Verb.WRITE, "CALL", f"{label} changes state outside the rows it returns", (), reversible
        )
    if name in NON_VOLATILE or name in READ_VOLATILE or name.startswith(_READ_PREFIXES):
        return None
    if fold({"FuncCall": fields}, Env()) is not UNKNOWN:
        return None
    return _UNRECOGNISED
