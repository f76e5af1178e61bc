"""Pinning what switches the guard on: policies, rules, interlock.toml, agents' hook settings.

`interlock hooks pin` (a human) records a keyed fingerprint of each watched file; the hook
checks them on every call (a `stat`, and a hash only when the `stat` changed). Drift — a
changed, removed or added file, or a pin file that does not verify — makes every action but
a read a deny naming the file, until a human pins again. Self-protection already refuses the
routes an agent would use to change these files; pinning catches the route nobody foresaw.

For an agent's settings only what decides whether hooks run is fingerprinted (its `hooks`
and `disableAllHooks` keys, Gemini's `tools.enableHooks`), so a person changing their model
or theme is not drift.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from interlock.audit.signing import write_private_file
from interlock.config import read_config
from interlock.errors import ConfigError
from interlock.home import Home

PIN_FILE = "pins.json"
ABSENT = "absent"
UNREADABLE = "unreadable"
AGENT_SETTINGS = (
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".cursor/hooks.json",
    ".codex/hooks.json",
    ".codex/config.toml",
    ".gemini/settings.json",
)
_HOOK_KEYS = ("hooks", "disableAllHooks", "enableAllProjectMcpServers")


def pin_path(home: Home) -> Path:
    return home.database.parent / PIN_FILE


def watched_files(home: Home, projects: Iterable[Path] = ()) -> list[Path]:
    """interlock.toml, the rules file, every policy file and directory, and the agents'
    settings (user level and in each project where a hook was installed)."""
    files = [home.config_path, home.rules_path]
    try:
        paths = read_config(home.config_path).policy_paths
    except ConfigError:
        paths = ()
    for path in paths:
        files.append(path)
        if path.is_dir():
            files.extend(sorted(path.glob("*.cedar")))
    for base in (Path.home(), *projects):
        files.extend(base / name for name in AGENT_SETTINGS)
    return list(dict.fromkeys(p.absolute() for p in files))


def fingerprint(path: Path) -> str:
    """What is pinned of one file: its content, the hook-deciding keys of agent settings,
    the `.cedar` names of a directory."""
    try:
        if path.is_dir():
            return "dir:" + ",".join(sorted(p.name for p in path.glob("*.cedar")))
        if not path.exists():
            return ABSENT
        data = path.read_bytes()
    except OSError:
        return UNREADABLE
    if path.name in ("settings.json", "settings.local.json", "hooks.json"):
        try:
            settings = json.loads(data)
        except ValueError:
            return "invalid-json:" + hashlib.sha256(data).hexdigest()
        if isinstance(settings, dict):
            kept = {k: settings.get(k) for k in _HOOK_KEYS if k in settings}
            tools = settings.get("tools")
            if isinstance(tools, dict) and "enableHooks" in tools:
                kept["tools.enableHooks"] = tools["enableHooks"]
            data = json.dumps(kept, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class PinSet:
    """Pinned fingerprints by path, and the projects whose settings are watched."""

    files: dict[str, str]
    projects: tuple[str, ...] = ()

    def body(self) -> bytes:
        return json.dumps(
            {"files": self.files, "projects": list(self.projects)}, sort_keys=True
        ).encode()


def pin(home: Home, projects: Iterable[Path] = ()) -> PinSet:
    """Pin the watched files as they are now (a human's act: `interlock hooks pin`)."""
    known = load_pins(home)
    kept = tuple(known.projects) if isinstance(known, PinSet) else ()
    every = tuple(dict.fromkeys((*kept, *(str(p.resolve()) for p in projects))))
    files = {str(p): fingerprint(p) for p in watched_files(home, map(Path, every))}
    pins = PinSet(files, every)
    body = pins.body()
    mac = hmac.new(home.hmac_key.read_bytes(), body, hashlib.sha256).hexdigest()
    write_private_file(
        pin_path(home), json.dumps({"pins": json.loads(body), "mac": mac}, indent=1).encode()
    )
    return pins


def pin_holds(home: Home, path: Path) -> bool | None:
    """Whether `path` is as pinned (absent and never pinned counts); None when nothing is
    pinned or the pins cannot be trusted."""
    known = load_pins(home)
    if not isinstance(known, PinSet):
        return None
    pinned = known.files.get(str(path.absolute()))
    now = fingerprint(path)
    return now == pinned if pinned is not None else now == ABSENT


def repin(home: Home, path: Path) -> bool:
    """Take the pin of one file again, leaving every other pin as it was (a human just changed
    it through Interlock, with the proof `hooks pin` asks for: `interlock rules add`). False
    when nothing is pinned or the pins cannot be trusted (then `interlock hooks pin`)."""
    known = load_pins(home)
    if not isinstance(known, PinSet):
        return False
    files = {**known.files, str(path.absolute()): fingerprint(path)}
    pins = PinSet(files, known.projects)
    body = pins.body()
    mac = hmac.new(home.hmac_key.read_bytes(), body, hashlib.sha256).hexdigest()
    write_private_file(
        pin_path(home), json.dumps({"pins": json.loads(body), "mac": mac}, indent=1).encode()
    )
    return True


def load_pins(home: Home) -> PinSet | str | None:
    """The pins, None when nothing was ever pinned, or why the pin file cannot be trusted."""
    path = pin_path(home)
    try:
        raw = json.loads(path.read_bytes())
        body = json.dumps(raw["pins"], sort_keys=True).encode()
        mac = str(raw["mac"])
        files = {str(k): str(v) for k, v in raw["pins"]["files"].items()}
        projects = tuple(str(p) for p in raw["pins"].get("projects", []))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return f"{path} cannot be read"
    try:
        key = home.hmac_key.read_bytes()
    except OSError:
        return f"{home.hmac_key} cannot be read"
    expected = hmac.new(key, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, mac):
        return f"{path} was changed outside Interlock (its signature does not verify)"
    return PinSet(files, projects)


@dataclass
class PinWatch:
    """The hook's view of the pins: cheap to ask on every call."""

    home: Home
    pins: PinSet | str
    _stats: dict[str, tuple[int, int, int] | None] = field(default_factory=dict)
    _drift: dict[str, str] = field(default_factory=dict)
    _pin_stat: tuple[int, int, int] | None = None

    @classmethod
    def for_home(cls, home: Home) -> PinWatch:
        """The home's pins; the first time, pinned as they are (nothing was trusted before)."""
        loaded = load_pins(home)
        watch = cls(home, pin(home) if loaded is None else loaded)
        watch._pin_stat = _stat(pin_path(home))
        return watch

    def _reload_if_repinned(self) -> None:
        """A human pinned again (or someone rewrote the pin file): read and verify it anew."""
        now = _stat(pin_path(self.home))
        if now == self._pin_stat:
            return
        self._pin_stat = now
        loaded = load_pins(self.home)
        self.pins = loaded if loaded is not None else f"{pin_path(self.home)} was removed"
        self._stats.clear()
        self._drift.clear()

    def drift(self) -> str | None:
        """Why the guard's configuration cannot be trusted now, or None."""
        self._reload_if_repinned()
        if isinstance(self.pins, str):
            return self.pins
        projects = map(Path, self.pins.projects)
        for path in watched_files(self.home, projects):
            key = str(path)
            pinned = self.pins.files.get(key)
            if pinned is None:
                if fingerprint(path) in (ABSENT,):
                    continue
                return f"{key} is new since the pins were taken"
            now = _stat(path)
            if key in self._stats and self._stats[key] == now:
                if key in self._drift:
                    return self._drift[key]
                continue
            self._stats[key] = now
            if fingerprint(path) != pinned:
                self._drift[key] = f"{key} changed since it was pinned"
                return self._drift[key]
            self._drift.pop(key, None)
        return None


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
