"""Coding-agent hooks: Interlock inside Claude Code, Cursor, Codex and Gemini CLI.

    parse_event(agent, raw) -> ToolCall         the agent's event JSON, normalised
    HookDecider.answer(agent, raw) -> HookAnswer  the verdict in the agent's exact protocol
    client.py                                   the tiny stdlib-only hook command
    serve(home)                                 the resident process on <home>/state/hooks.sock
    install(agent, scope) / uninstall(...)      the agents' hook settings, merged and backed up

See docs/hooks.md.
"""

from interlock.hooks._daemon import pid_path, ping, serve, socket_path
from interlock.hooks._decide import HookDecider, load_hook_settings, settings_table
from interlock.hooks._install import install, installed, settings_file, uninstall
from interlock.hooks._local import MAX_EVENT_BYTES, evaluate
from interlock.hooks._pins import PinSet, PinWatch, load_pins, pin
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

__all__ = [
    "AGENTS",
    "MAX_EVENT_BYTES",
    "HookAnswer",
    "HookDecider",
    "Permission",
    "PinSet",
    "PinWatch",
    "ToolCall",
    "ToolKind",
    "Verdict",
    "deny_answer",
    "evaluate",
    "install",
    "installed",
    "load_hook_settings",
    "load_pins",
    "parse_event",
    "pid_path",
    "pin",
    "ping",
    "render",
    "serve",
    "settings_file",
    "settings_table",
    "socket_path",
    "uninstall",
]
