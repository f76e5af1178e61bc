"""Writing Interlock's hook into each agent's settings, merged with what is there.

    agent        file (project scope / user scope)                  event(s)
    claude-code  .claude/settings.json / ~/.claude/settings.json     PreToolUse, matcher "*"
    codex        .codex/hooks.json     / ~/.codex/hooks.json         PreToolUse (all tools)
    cursor       .cursor/hooks.json    / ~/.cursor/hooks.json        beforeShellExecution,
                                                                     beforeMCPExecution,
                                                                     beforeReadFile (failClosed)
    gemini       .gemini/settings.json / ~/.gemini/settings.json     BeforeTool (all tools)

Installing never drops a key it did not write: Interlock's entries are recognised by their
command (it runs `interlock/hooks/client.py`), replaced in place on a re-install, and removed
by `uninstall`. A file that changes is first copied to `<file>.interlock-backup-<time>`; a
file that is not valid JSON is left alone and reported.

With a `ServiceEndpoint` (service mode) the command names the service's socket and the uid
that must be answering on it, instead of a home: `client.py AGENT --socket S --peer-uid U`.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.errors import ConfigError

CLIENT = Path(__file__).resolve().parent / "client.py"
MARKER = "interlock/hooks/client.py"
LAUNCHER = "interlock-hook"  # the portable command: found on PATH (see interlock_hook)
TIMEOUT_SECONDS = 30


@dataclass(frozen=True, slots=True)
class ServiceEndpoint:
    """Where the Interlock service listens, and the uid its answers must come from."""

    socket: Path
    uid: int


@dataclass(frozen=True, slots=True)
class InstallResult:
    path: Path
    changed: bool
    backup: Path | None


def settings_file(agent: str, project: Path | None) -> Path:
    """Where `agent` reads hooks from: in `project`, or the user's own settings."""
    base = project if project is not None else Path.home()
    names = {
        "claude-code": ".claude/settings.json",
        "codex": ".codex/hooks.json",
        "cursor": ".cursor/hooks.json",
        "gemini": ".gemini/settings.json",
    }
    if agent not in names:
        raise ConfigError(f"unknown agent {agent!r}: expected one of {', '.join(names)}")
    return base / names[agent]


def hook_command(
    agent: str,
    home: Path | None,
    python: str | None = None,
    *,
    service: ServiceEndpoint | None = None,
    portable: bool = False,
) -> str:
    """`<python> -I -S <client.py> AGENT [--home HOME | --socket S --peer-uid U]`, quoted for
    a POSIX shell; `portable`: `interlock-hook AGENT [...]`, no path of this machine in it
    (for a project's committed settings: the home is then found as the CLI finds it)."""
    parts = (
        [LAUNCHER, agent]
        if portable
        else [python or sys.executable, "-I", "-S", str(CLIENT), agent]
    )
    if service is not None:
        parts += ["--socket", str(service.socket), "--peer-uid", str(service.uid)]
    elif home is not None:
        parts += ["--home", str(home)]
    return shlex.join(parts)


def changeable_code(python: str | None = None) -> list[Path]:
    """What the hook command runs that this OS user could change: the client, Interlock's
    package, the interpreter and its directory. In service mode each is a way around the
    service, so the installation should belong to root."""
    interpreter = Path(python or sys.executable)
    candidates = [CLIENT, CLIENT.parent, CLIENT.parent.parent, interpreter.parent]
    candidates.append(interpreter.resolve())
    return [path for path in candidates if os.access(path, os.W_OK)]


def _names_ours(command: str) -> bool:
    return MARKER in command or command == LAUNCHER or command.startswith(LAUNCHER + " ")


def is_ours(entry: Any) -> bool:
    return isinstance(entry, dict) and _names_ours(str(entry.get("command", "")))


def _grouped(event_groups: list[Any], group: dict[str, Any]) -> list[Any]:
    """Claude Code / Codex / Gemini: [{matcher?, hooks: [...]}, …] without ours, plus ours."""
    out = []
    for existing in event_groups:
        if isinstance(existing, dict) and isinstance(existing.get("hooks"), list):
            kept = [h for h in existing["hooks"] if not is_ours(h)]
            if len(kept) != len(existing["hooks"]):
                if not kept:
                    continue  # the group held only our hook
                existing = {**existing, "hooks": kept}
        out.append(existing)
    return [*out, group] if group else out


def _flat(entries: list[Any], entry: dict[str, Any]) -> list[Any]:
    """Cursor: [{command, …}, …] without ours, plus ours."""
    kept = [e for e in entries if not is_ours(e)]
    return [*kept, entry] if entry else kept


def _merge(agent: str, settings: dict[str, Any], command: str | None) -> dict[str, Any]:
    """`settings` with Interlock's hook set (or, with `command` None, removed)."""
    result = dict(settings)
    hooks = result.get("hooks", {})
    if not isinstance(hooks, dict):
        raise ConfigError("its `hooks` key is not an object; fix or remove it first")
    hooks = dict(hooks)
    plan: dict[str, tuple[Callable[[list[Any], dict[str, Any]], list[Any]], dict[str, Any]]]
    if agent == "cursor":
        entry: dict[str, Any] = {}
        if command is not None:
            entry = {"command": command, "timeout": TIMEOUT_SECONDS, "failClosed": True}
        plan = {
            event: (_flat, entry)
            for event in ("beforeShellExecution", "beforeMCPExecution", "beforeReadFile")
        }
    else:
        handler: dict[str, Any] = {"type": "command", "command": command}
        if agent == "gemini":
            handler = {**handler, "name": "interlock", "timeout": TIMEOUT_SECONDS * 1000}
        else:
            handler["timeout"] = TIMEOUT_SECONDS
        group: dict[str, Any] = {"hooks": [handler]}
        if agent == "claude-code":
            group = {"matcher": "*", **group}
        event = "BeforeTool" if agent == "gemini" else "PreToolUse"
        plan = {event: (_grouped, group if command is not None else {})}
    for event, (merge, ours) in plan.items():
        current = hooks.get(event, [])
        if not isinstance(current, list):
            raise ConfigError(f"its `hooks.{event}` is not a list; fix or remove it first")
        merged = merge(current, ours)
        if merged:
            hooks[event] = merged
        else:
            hooks.pop(event, None)
    if hooks or settings.get("hooks") == {}:
        result["hooks"] = hooks
    else:
        result.pop("hooks", None)
    if agent == "cursor" and command is not None:
        result.setdefault("version", 1)
    return result


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc}); left unchanged") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: expected a JSON object; left unchanged")
    return value


def _write(path: Path, settings: dict[str, Any]) -> Path | None:
    """Write `settings` atomically, after backing up the file it replaces."""
    backup = None
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o644
    if path.exists():
        mode = path.stat().st_mode & 0o777
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = path.with_name(f"{path.name}.interlock-backup-{stamp}")
        counter = 1
        while backup.exists():
            backup = path.with_name(f"{path.name}.interlock-backup-{stamp}-{counter}")
            counter += 1
        shutil.copy2(path, backup)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(settings, indent=2, ensure_ascii=False) + "\n")
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return backup


def install(
    agent: str,
    *,
    project: Path | None,
    home: Path | None,
    python: str | None = None,
    service: ServiceEndpoint | None = None,
    portable: bool = False,
) -> InstallResult:
    """Add (or refresh) Interlock's hook in `agent`'s settings; idempotent. With `service`,
    the hook asks the Interlock service instead of a home; `portable` writes the command a
    teammate's machine runs too (see `hook_command`)."""
    path = settings_file(agent, project)
    current = _read(path)
    command = hook_command(agent, home, python, service=service, portable=portable)
    try:
        wanted = _merge(agent, current, command)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if wanted == current and path.exists():
        return InstallResult(path, False, None)
    return InstallResult(path, True, _write(path, wanted))


def uninstall(agent: str, *, project: Path | None) -> InstallResult:
    """Remove Interlock's hook from `agent`'s settings, leaving everything else as it was."""
    path = settings_file(agent, project)
    if not path.exists():
        return InstallResult(path, False, None)
    current = _read(path)
    try:
        wanted = _merge(agent, current, None)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if wanted == current:
        return InstallResult(path, False, None)
    return InstallResult(path, True, _write(path, wanted))


def installed(agent: str, project: Path | None) -> bool:
    """Whether Interlock's hook is in `agent`'s settings file."""
    try:
        settings = _read(settings_file(agent, project))
    except ConfigError:
        return False
    text = json.dumps(settings.get("hooks", {}))
    return MARKER in text or f'"{LAUNCHER} ' in text
