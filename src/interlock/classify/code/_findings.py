"""What the Python and JavaScript readers share: where findings go (`CodeSink`), the mark of
a temporary path, and the bounded, de-duplicated list of actions with the wording of deletes
and overwrites, so both languages say the same thing about the same act."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from interlock.classify.code._places import judge_delete, judge_overwrite
from interlock.classify.code._workspace import Workspace
from interlock.model import Action, Verb

MAX_ACTIONS = 24


@dataclass(frozen=True, slots=True)
class CodeSink:
    """Where the reader sends what it finds (the caller's action factory and classifiers)."""

    action: Callable[[str, Verb, str, tuple[str, ...]], Action]
    shell: Callable[[str, str], list[Action]]
    nested: Callable[[str, object], list[Action]]
    workspace: Workspace | None
    label: str
    script_path: str | None = None
    imports: list[str] | None = None  # filled with the top-level modules the code imports


class _Temp:
    """A path made by a temporary-file call (or a pytest temporary-directory fixture)."""


TEMP = _Temp()
PathValue = str | _Temp | None


@dataclass(slots=True)
class Findings:
    """The actions a reader found, each once, at most `MAX_ACTIONS` of them."""

    sink: CodeSink
    actions: list[Action] = field(default_factory=list)
    seen: set[tuple[str, str, tuple[str, ...]]] = field(default_factory=set)

    def add(self, operation: str, verb: Verb, reason: str, targets: tuple[str, ...] = ()) -> None:
        key = (operation, verb.value, targets)
        if key not in self.seen and len(self.actions) < MAX_ACTIONS:
            self.seen.add(key)
            self.actions.append(self.sink.action(operation, verb, reason, targets))

    def extend(self, actions: list[Action]) -> None:
        for action in actions:
            key = (action.operation, action.verb.value, action.targets)
            if key not in self.seen and len(self.actions) < MAX_ACTIONS:
                self.seen.add(key)
                self.actions.append(action)

    def deletes(self, name: str, value: object, recursive: bool, moving: bool = False) -> None:
        """`name` deletes the path `value` (a string, TEMP, or anything else when computed);
        `moving`: a rename, whose source lives on at the judged destination."""
        label = self.sink.label
        if value is TEMP:
            self.add(name, Verb.WRITE, f"{label} deletes a temporary file or directory ({name})")
            return
        if not isinstance(value, str):
            if moving:
                return
            if recursive:
                self.add(name, Verb.UNKNOWN, f"{label} deletes a tree named at run time ({name})")
            else:
                self.add(name, Verb.WRITE, f"{label} deletes a file named at run time ({name})")
            return
        place = judge_delete(
            value, recursive=recursive and not moving, workspace=self.sink.workspace
        )
        if place is not None:
            self.add(name, place.verb, f"{label} deletes {value}: {place.why}", (value,))
        elif recursive and not moving:
            self.add(name, Verb.DESTRUCTIVE, f"{label} deletes {value} recursively", (value,))
        else:
            self.add(name, Verb.WRITE, f"{label} deletes {value}", (value,))

    def overwrites(self, name: str, value: object) -> None:
        """`name` writes over the path `value` (a string, TEMP, or anything else)."""
        label = self.sink.label
        if value is TEMP:
            self.add(name, Verb.WRITE, f"{label} writes a temporary file ({name})")
            return
        if not isinstance(value, str):
            self.add(name, Verb.WRITE, f"{label} writes a file named at run time ({name})")
            return
        place = judge_overwrite(value, self.sink.workspace)
        if place is not None:
            self.add(name, place.verb, f"{label} writes {value}: {place.why}", (value,))
        else:
            self.add(name, Verb.WRITE, f"{label} writes {value}", (value,))
