"""TLS toward the upstream server: `sslmode` and `sslrootcert` as libpq reads them.

    disable, allow   no SSLRequest (`allow` does not retry with TLS when refused)
    prefer           SSLRequest; TLS without certificate checks if the server agrees,
                     cleartext if it answers N (libpq's default, and ours)
    require          TLS or nothing; no certificate checks — unless `sslrootcert` is given,
                     then as verify-ca (libpq does the same)
    verify-ca        TLS; the server's certificate must chain to `sslrootcert`
    verify-full      verify-ca, and the certificate must name the host of the URL

`sslrootcert=system` uses the system's trust store. Contexts are cached per (mode, root),
so a connection costs no file reads. Client certificates (`sslcert`/`sslkey`) are not
supported yet: the upstream credential is a password.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass, field

from interlock.errors import ConfigError

MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
DEFAULT_MODE = "prefer"


@dataclass(frozen=True, slots=True)
class UpstreamTLS:
    """How the session opens TLS to the server (None in `Upstream`: it does not)."""

    mode: str  # prefer | require | verify-ca | verify-full
    context: ssl.SSLContext = field(repr=False, compare=False)
    server_hostname: str | None = None

    @property
    def required(self) -> bool:
        return self.mode != "prefer"


def upstream_tls(where: str, host: str, mode: str | None, root: str | None) -> UpstreamTLS | None:
    """The TLS settings of one upstream URL; raises ConfigError naming `where`."""
    mode = (mode or DEFAULT_MODE).strip().lower()
    if mode not in MODES:
        raise ConfigError(f"{where}: sslmode={mode!r} is not one of {', '.join(MODES)}")
    if mode in ("disable", "allow"):
        return None
    if mode == "require" and root:
        mode = "verify-ca"
    if mode in ("verify-ca", "verify-full") and not root:
        raise ConfigError(
            f"{where}: sslmode={mode} needs sslrootcert (a PEM file of the server's CA, "
            "or 'system')"
        )
    try:
        context = _context(mode, root or "")
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{where}: cannot load sslrootcert {root!r} ({exc})") from None
    return UpstreamTLS(mode, context, host if mode == "verify-full" else None)


@functools.lru_cache(maxsize=32)
def _context(mode: str, root: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if mode in ("prefer", "require"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if root == "system":
        context.load_default_certs()
    else:
        context.load_verify_locations(cafile=root)
    context.check_hostname = mode == "verify-full"
    context.verify_mode = ssl.CERT_REQUIRED
    return context
