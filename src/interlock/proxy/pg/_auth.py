"""Authentication on both sides of the proxy.

Toward the client (the agent): the agent's password is its Interlock token. Tokens are
stored only as SHA-256 digests, so the proxy cannot hold the SCRAM verifier a SCRAM exchange
needs (SCRAM proves knowledge of a password the *server* has salted and hashed beforehand).
The proxy therefore asks for the password in clear (AuthenticationCleartextPassword) and
verifies the token exactly as every other enforcement point does — and only over TLS, or on
loopback when the operator explicitly allowed it (`--allow-cleartext-on-loopback`).
See docs/proxy-pg.md for the trade-off.

Toward the server: the resource's real credential, by whatever method the server asks for:
trust (no request), cleartext, MD5, or SCRAM-SHA-256 (client side by `scramp`).
"""

from __future__ import annotations

import hashlib

from scramp import ScramClient  # type: ignore[import-untyped]

from interlock.proxy.pg import _messages as m


class UpstreamAuthError(Exception):
    """The server asked for something the proxy cannot answer (or answered wrongly)."""


class UpstreamAuth:
    """Answers the server's authentication requests with the injected credential."""

    def __init__(self, user: str, password: str | None) -> None:
        self.user = user
        self.password = password
        self._scram: ScramClient | None = None

    def respond(self, code: int, data: bytes) -> bytes | None:
        """The message answering authentication request `code`, or None (nothing to send)."""
        if code == m.AUTH_OK:
            return None
        if code == m.AUTH_CLEARTEXT:
            return m.password_message(self._need_password("cleartext"))
        if code == m.AUTH_MD5:
            password = self._need_password("MD5")
            inner = hashlib.md5((password + self.user).encode()).hexdigest()  # noqa: S324
            outer = hashlib.md5(inner.encode() + data[:4]).hexdigest()  # noqa: S324
            return m.password_message("md5" + outer)
        if code == m.AUTH_SASL:
            mechanisms = [x.decode() for x in data.split(b"\x00") if x]
            if "SCRAM-SHA-256" not in mechanisms:
                raise UpstreamAuthError(f"server offers no supported SASL mechanism {mechanisms}")
            self._scram = ScramClient(["SCRAM-SHA-256"], "", self._need_password("SCRAM"))
            first = self._scram.get_client_first().encode()
            return m.sasl_initial_response("SCRAM-SHA-256", first)
        if code == m.AUTH_SASL_CONTINUE:
            if self._scram is None:
                raise UpstreamAuthError("SASL continue without a SASL start")
            try:
                self._scram.set_server_first(data.decode())
            except Exception as exc:  # scramp raises its own ScramException and ValueError
                raise UpstreamAuthError(f"bad SCRAM server-first message ({exc})") from None
            return m.sasl_response(self._scram.get_client_final().encode())
        if code == m.AUTH_SASL_FINAL:
            if self._scram is None:
                raise UpstreamAuthError("SASL final without a SASL start")
            try:
                self._scram.set_server_final(data.decode())
            except Exception as exc:
                raise UpstreamAuthError(f"the server's SCRAM signature is wrong ({exc})") from None
            return None
        raise UpstreamAuthError(f"unsupported authentication method {code} requested by server")

    def _need_password(self, method: str) -> str:
        if self.password is None:
            raise UpstreamAuthError(
                f"the server asks for {method} authentication but the resource has no "
                "stored credential (interlock resource add … --credential-…)"
            )
        return self.password
