"""The fingerprint an approval is bound to: one exact action by one agent on one resource.

A keyed HMAC (the home's audit HMAC key) over length-prefixed parts, so the store and the
audit log can say "the same request" without holding it, and a changed byte anywhere (the
volume id, a header that selects the target, the method) is a different action that the
approval does not cover.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def action_fingerprint(key: bytes, parts: Iterable[bytes | str]) -> str:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        mac.update(len(data).to_bytes(8, "big"))
        mac.update(data)
    return mac.hexdigest()
