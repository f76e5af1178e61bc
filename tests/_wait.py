"""Waiting on a condition in tests, instead of sleeping a fixed time and hoping.

The timeout is generous on purpose: it only bounds how long a broken test hangs, so it must
never be what makes a healthy test pass or fail on a slow or busy machine. Speed belongs in
`benchmarks/`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 20.0
_POLL = 0.01


def wait_until(
    predicate: Callable[[], T], timeout: float = DEFAULT_TIMEOUT, what: str = "the condition"
) -> T:
    """Poll `predicate` until it returns something truthy, and return that.

    Raises AssertionError naming `what` when `timeout` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(_POLL)
