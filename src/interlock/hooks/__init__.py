"""Coding-agent hooks: Interlock inside Claude Code, Cursor, Codex and Gemini CLI.

    parse_event(agent, raw) -> ToolCall         the agent's event JSON, normalised
    HookDecider.answer(agent, raw) -> HookAnswer  the verdict in the agent's exact protocol
    client.py                                   the tiny stdlib-only hook command
    serve(home)                                 the resident process on <home>/state/hooks.sock
    install(agent, scope) / uninstall(...)      the agents' hook settings, merged and backed up

See docs/hooks.md.
"""

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
    "HookAnswer",
    "Permission",
    "ToolCall",
    "ToolKind",
    "Verdict",
    "deny_answer",
    "parse_event",
    "render",
]
