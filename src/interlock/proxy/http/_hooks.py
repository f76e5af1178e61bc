"""A before hook's body for one target, built from typed values, never by pasting text.

The target comes from the agent's own request (a `volumeId` it chose), and the hook runs
with the real credential, so the target must never change what the hook does. A JSON body
template is parsed and walked:

- a string that is exactly `{target}` becomes the target as a JSON string (typed: any
  characters are safe there; the recommended form passes it as a GraphQL variable,
  `"variables": {"id": "{target}"}`);
- `{target}` inside a longer string (a GraphQL document, a URL) is text in another language
  the proxy does not escape, so it is filled in only when the target is a plain identifier
  (`PLAIN_TARGET`: letters, digits, `-`, `_`, `.`, `:`); anything else refuses the hook, and
  with it the action.

A body that is not JSON gets the same identifier-only substitution.
"""

from __future__ import annotations

import json
import re
from typing import Any

from interlock.proxy.http._config import BeforeHook

PLACEHOLDER = "{target}"
PLAIN_TARGET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")
_MAX_DEPTH = 32


class HookRefused(ValueError):
    """The hook cannot be built for this target without letting the target change it."""


def hook_body(hook: BeforeHook, target: str) -> bytes:
    """The hook's body for `target`; raises `HookRefused` saying why it cannot be built."""
    template = hook.body
    if PLACEHOLDER not in template:
        return template.encode()
    try:
        value = json.loads(template)
    except ValueError:
        return _in_text(template, target).encode()
    filled = _fill(value, target, 0)
    return json.dumps(filled, ensure_ascii=False, separators=(",", ":")).encode()


def _fill(value: Any, target: str, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise HookRefused("the hook's body is nested too deeply")
    if isinstance(value, str):
        if value == PLACEHOLDER:
            return target
        return _in_text(value, target) if PLACEHOLDER in value else value
    if isinstance(value, dict):
        return {
            _in_text(k, target) if PLACEHOLDER in k else k: _fill(v, target, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_fill(v, target, depth + 1) for v in value]
    return value


def _in_text(text: str, target: str) -> str:
    """`{target}` inside text of another language: only a plain identifier goes in."""
    if PLAIN_TARGET.fullmatch(target) is None:
        raise HookRefused(
            f"the target {json.dumps(target[:60])} is not a plain identifier and the hook "
            "pastes it into text; pass it as a whole JSON value (a GraphQL variable) instead"
        )
    return text.replace(PLACEHOLDER, target)
