"""The classifier registry: raw input of a known kind in, normalised `Action`s out.

Each protocol has its own module (`sql`, `shell`, `graphql`, `http`, `mcp`) exposing
`classify(payload, depth) -> list[Action]`. Modules are imported on first use, so a process
that only needs one classifier does not pay for the others' parsers.

Contract every classifier keeps, and this registry enforces:

- It never raises on hostile or malformed input. Only a payload of the wrong *type* for its
  kind (a number given as SQL) raises `PayloadError`, at the top level; anything the
  classifier cannot parse or does not recognise is an action with verb `unknown`.
- It returns at least one action; an empty answer is turned into `unknown` here.
- Input is bounded: strings (and objects, by their JSON) above `MAX_INPUT_CHARS`, and
  nesting deeper than `MAX_DEPTH` (shell handing SQL to the SQL classifier handing a DO
  body back, …), are `unknown`.
- A classifier that hands embedded text to another language calls `classify_nested`,
  which adds one level of depth and never raises.
"""

from __future__ import annotations

import importlib
import json
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from interlock.errors import PayloadError
from interlock.model import Action, unknown_action

__all__ = [
    "KINDS",
    "MAX_DEPTH",
    "MAX_INPUT_CHARS",
    "Classifier",
    "classify",
    "classify_nested",
    "clear_cache",
    "register",
]

Classifier = Callable[[object, int], list[Action]]

MAX_INPUT_CHARS = 256 * 1024
MAX_DEPTH = 8

_MODULES: dict[str, str] = {
    "sql": "interlock.classify.sql",
    "shell": "interlock.classify.shell",
    "graphql": "interlock.classify.graphql",
    "http": "interlock.classify.http",
    "mcp": "interlock.classify.mcp",
}
KINDS: tuple[str, ...] = tuple(_MODULES)

_loaded: dict[str, Classifier] = {}


def register(kind: str, classifier: Classifier) -> None:
    """Add or replace the classifier for `kind` (for plugins and tests)."""
    _loaded[kind] = classifier
    _cache.clear()


def clear_cache() -> None:
    """Forget cached classifications (after a classifier's configuration changed)."""
    _cache.clear()


def _classifier_for(kind: str) -> Classifier:
    fn = _loaded.get(kind)
    if fn is None:
        module_name = _MODULES.get(kind)
        if module_name is None:
            raise PayloadError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
        fn = importlib.import_module(module_name).classify
        _loaded[kind] = fn
    return fn


class _LRU:
    """A small thread-safe LRU for classifications of string payloads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[tuple[str, str], tuple[Action, ...]] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple[str, str]) -> tuple[Action, ...] | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None:
                self._data.move_to_end(key)
            return hit

    def put(self, key: tuple[str, str], value: tuple[Action, ...]) -> None:
        with self._lock:
            self._data[key] = value
            if len(self._data) > self._size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_cache = _LRU(4096)


def classify(
    kind: str, payload: object, *, depth: int = 0, cwd: str | None = None
) -> tuple[Action, ...]:
    """Classify `payload` as `kind`. Raises `PayloadError` only for an unknown kind or a
    payload of the wrong type; every other failure becomes an `unknown` action.

    `cwd` is the directory the input will run in: classifiers may then read the code it runs
    and the git facts of the paths it touches (see `interlock.classify.code`). Such answers
    depend on files, so they are never cached.
    """
    if cwd and cwd.startswith("/"):  # a relative or empty cwd names no place: no facts
        from interlock.classify.code import Workspace, using_workspace

        with using_workspace(Workspace.at(cwd)):
            return _classify(kind, payload, depth=depth, cache=False)
    return _classify(kind, payload, depth=depth, cache=True)


def _classify(kind: str, payload: object, *, depth: int, cache: bool) -> tuple[Action, ...]:
    if kind not in _MODULES and kind not in _loaded:
        raise PayloadError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
    if depth > MAX_DEPTH:
        return (unknown_action(kind, f"nested more than {MAX_DEPTH} levels deep"),)
    key = _cache_key(payload)
    if key is not None:
        if len(key) > MAX_INPUT_CHARS:
            return (unknown_action(kind, f"input of {len(key)} characters exceeds the limit"),)
        cached = _cache.get((kind, key)) if depth == 0 and cache else None
        if cached is not None:
            return cached
    try:
        # Inside the guard: a classifier that fails to import must fail closed too.
        actions = tuple(_classifier_for(kind)(payload, depth))
    except PayloadError:
        raise
    except (RecursionError, MemoryError):
        actions = (unknown_action(kind, "input too deeply nested or too large to analyse"),)
    except Exception as exc:  # fail closed: a classifier bug must never allow an action
        actions = (unknown_action(kind, f"classifier failed ({type(exc).__name__})"),)
    if not actions:
        actions = (unknown_action(kind, "classifier found no operation to vouch for"),)
    if key is not None and depth == 0 and cache:
        _cache.put((kind, key), actions)
    return actions


def _cache_key(payload: object) -> str | None:
    """The text a payload is cached (and size-bounded) by: itself when it is a string, its
    canonical JSON (prefixed so it never equals a string payload) when it is an object or
    array; None when it cannot be serialised (then it is neither cached nor measured)."""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, dict | list):
        try:
            return "\0json:" + json.dumps(
                payload, sort_keys=True, separators=(",", ":"), allow_nan=False
            )
        except (TypeError, ValueError, RecursionError):
            return None
    return None


def classify_nested(kind: str, payload: object, depth: int) -> list[Action]:
    """Classify text embedded in another language (SQL in `psql -c`, a curl body, …).

    Never raises: a wrong-typed payload is `unknown` too.
    """
    try:
        return list(_classify(kind, payload, depth=depth + 1, cache=False))
    except PayloadError as exc:
        return [unknown_action(kind, str(exc))]
