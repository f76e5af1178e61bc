"""Coding-agent hooks: Interlock inside Claude Code, Cursor, Codex and Gemini CLI.

    parse_event(agent, raw) -> ToolCall         the agent's event JSON, normalised
    HookDecider.answer(agent, raw) -> HookAnswer  the verdict in the agent's exact protocol
    client.py                                   the tiny stdlib-only hook command
    serve(home)                                 the resident process on <home>/state/hooks.sock
                                                (or, as a service, on a socket it is given)
    install(agent, scope) / uninstall(...)      the agents' hook settings, merged and backed up
    refresh_launcher()                          this machine's fast `interlock-hook` (sh, -I -S)
    LocalSnapshots / restore_workspace          the `snapshot` safeguard: what an allowed
                                                destructive command would lose, to the vault

See docs/hooks.md.
"""

from interlock.hooks._daemon import (
    Caller,
    caller_of,
    check_socket_directory,
    pid_path,
    ping,
    serve,
    socket_path,
)
from interlock.hooks._decide import HookDecider, load_hook_settings, settings_table
from interlock.hooks._install import (
    ServiceEndpoint,
    changeable_code,
    hook_command,
    install,
    installed,
    settings_file,
    uninstall,
)
from interlock.hooks._launcher import LauncherResult, launcher_path, refresh_launcher
from interlock.hooks._local import MAX_EVENT_BYTES, evaluate, evaluate_read_only
from interlock.hooks._pins import PinSet, PinWatch, load_pins, pin, pin_holds, repin
from interlock.hooks._protocols import (
    AGENTS,
    HookAnswer,
    Permission,
    ToolCall,
    ToolKind,
    Verdict,
    deny_answer,
    parse_event,
    render,
)
from interlock.hooks._snapshot import CannotSnapshot, LocalSnapshots
from interlock.hooks._undo import UndoError, local_snapshot_id
from interlock.hooks._undo import restore as restore_workspace

__all__ = [
    "AGENTS",
    "MAX_EVENT_BYTES",
    "Caller",
    "CannotSnapshot",
    "HookAnswer",
    "HookDecider",
    "LauncherResult",
    "LocalSnapshots",
    "Permission",
    "PinSet",
    "PinWatch",
    "ServiceEndpoint",
    "ToolCall",
    "ToolKind",
    "UndoError",
    "Verdict",
    "caller_of",
    "changeable_code",
    "check_socket_directory",
    "deny_answer",
    "evaluate",
    "evaluate_read_only",
    "hook_command",
    "install",
    "installed",
    "launcher_path",
    "load_hook_settings",
    "load_pins",
    "local_snapshot_id",
    "parse_event",
    "pid_path",
    "pin",
    "pin_holds",
    "ping",
    "refresh_launcher",
    "render",
    "repin",
    "restore_workspace",
    "serve",
    "settings_file",
    "settings_table",
    "socket_path",
    "uninstall",
]
