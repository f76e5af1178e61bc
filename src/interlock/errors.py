"""One exception hierarchy for everything Interlock raises on purpose.

    InterlockError                 base: every deliberate failure, with a one-line message
    ├── InputError                 the caller's input is wrong (CLI exit status 1)
    │   └── PayloadError           a check payload has the wrong shape for its kind
    ├── ConfigError                a config file, key or home directory is missing or invalid
    ├── PolicyError                a policy file or schema does not parse or validate
    │                              (carries file and line)
    └── AuditError                 the audit store cannot be read or written

Messages are written for the person at the terminal: they name the file, line, field or
value that was wrong and, where it helps, what to do. They never contain secrets.
"""

from __future__ import annotations


class InterlockError(Exception):
    """Base of every error Interlock raises deliberately."""


class InputError(InterlockError):
    """The caller's input (arguments, a batch line, a payload) cannot be used."""


class PayloadError(InputError):
    """A payload has the wrong type or shape for the kind it was given as."""


class ConfigError(InterlockError):
    """Configuration or the Interlock home directory is missing or invalid."""


class PolicyError(InterlockError):
    """A policy file or the schema is invalid; the message names the file and line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")


class AuditError(InterlockError):
    """The audit store cannot be opened, read or appended to."""
