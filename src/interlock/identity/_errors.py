"""What the identity layer refuses, as one branch of the Interlock exception tree.

    InterlockError
    └── IdentityError                 an identity operation cannot be done (CLI exit 1)
        ├── AgentTokenRefused         an agent token was refused; `str()` is always the
        │                             generic "invalid or expired agent token", `.reason`
        │                             (recorded in the audit log) says which check failed
        ├── AuthenticationFailed      a human's name, password or code is wrong (one message
        │                             for all three)
        ├── HumanRequired             an agent (or nobody) tried a human-only operation
        └── WideningRefused           a child token would be broader than its parent

Messages never contain a token, password, TOTP secret or credential.
"""

from __future__ import annotations

import enum

from interlock.errors import InterlockError

GENERIC_TOKEN_ERROR = "invalid or expired agent token"  # noqa: S105
GENERIC_LOGIN_ERROR = "invalid name, password or code"


class RefusalReason(enum.StrEnum):
    """Why an agent token was refused: the word recorded as `reason` in the audit log."""

    WRONG_PREFIX = "wrong_prefix"  # not an Interlock agent token at all
    MALFORMED = "malformed"  # right prefix, wrong shape (parts, id format)
    BAD_ENCODING = "bad_encoding"  # the secret is not base64url of 32 bytes
    UNKNOWN_TOKEN = "unknown_token"  # noqa: S105 — well formed, but no such token id (or agent id)
    WRONG_SECRET = "wrong_secret"  # noqa: S105 — the id exists, the secret does not match
    EXPIRED = "expired"
    TOKEN_REVOKED = "token_revoked"  # noqa: S105 — this token was revoked or rotated away
    AGENT_REVOKED = "agent_revoked"
    AGENT_SUSPENDED = "agent_suspended"
    PARENT_REVOKED = "parent_revoked"  # an ancestor token or agent was revoked
    PARENT_SUSPENDED = "parent_suspended"
    PARENT_EXPIRED = "parent_expired"


class IdentityError(InterlockError):
    """An identity operation (agent, user, resource, credential) cannot be done."""


class AgentTokenRefused(IdentityError):
    """An agent token was refused. The caller only ever sees the generic message."""

    def __init__(self, reason: RefusalReason) -> None:
        super().__init__(GENERIC_TOKEN_ERROR)
        self.reason = reason


class AuthenticationFailed(IdentityError):
    """A human could not be authenticated; which part was wrong is only in the audit log."""

    def __init__(self) -> None:
        super().__init__(GENERIC_LOGIN_ERROR)


class HumanRequired(IdentityError):
    """Only an authenticated human may do this (approve, administer, create agents)."""


class WideningRefused(IdentityError):
    """A child token asked for more than its parent holds; the message names what."""
