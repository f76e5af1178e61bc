"""The identity master key and sealing of secrets at rest (AES-256-GCM).

    $INTERLOCK_MASTER_KEY          base64 of 32 bytes; when set it wins over the file
    <home>/keys/identity-master.key  32 random bytes, 0600, created by `ensure_identity_keys`

Upstream credentials and TOTP secrets are sealed with this key. Each sealed blob is
`key id (8 bytes) || nonce (12 bytes) || ciphertext+tag`, and the associated data binds it
to its purpose and row (`credential:orders-db`), so a blob copied onto another row does not
open. Whoever can read the key (or the variable) can read every stored credential: keep it
out of reach of agents exactly like the audit signing key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from interlock.errors import ConfigError
from interlock.home import MASTER_KEY_ENV, Home, ensure_master_key

_KEY_ID_BYTES = 8
_NONCE_BYTES = 12


def ensure_identity_keys(home: Home) -> list[str]:
    """Create the master key file if neither it nor `$INTERLOCK_MASTER_KEY` exists.

    Returns the paths created (for `interlock init` to list). Safe to call any time.
    """
    return ensure_master_key(home)


def _key_from_env(value: str) -> bytes:
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigError(f"${MASTER_KEY_ENV} must be base64 of exactly 32 bytes")
    return key


class Sealer:
    """Encrypts and decrypts small secrets with the master key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ConfigError("the identity master key must be 32 bytes")
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(b"interlock-master-key-id\x00" + key).digest()[:_KEY_ID_BYTES]

    @classmethod
    def for_home(cls, home: Home, *, create: bool = False) -> Sealer:
        """The home's sealer: `$INTERLOCK_MASTER_KEY`, else keys/identity-master.key."""
        env = os.environ.get(MASTER_KEY_ENV)
        if env:
            return cls(_key_from_env(env))
        if create:
            ensure_master_key(home)
        path = home.master_key
        try:
            key = path.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"{path}: cannot read the identity master key ({exc.strerror}); "
                f"run `interlock init` or set ${MASTER_KEY_ENV}"
            ) from None
        if len(key) != 32:
            raise ConfigError(f"{path}: the identity master key must be exactly 32 bytes")
        return cls(key)

    def seal(self, plaintext: str, purpose: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())
        return self.key_id + nonce + sealed

    def open(self, blob: bytes, purpose: str) -> str:
        """Decrypt a sealed blob; raises `ConfigError` (without any secret) when it cannot."""
        key_id, rest = blob[:_KEY_ID_BYTES], blob[_KEY_ID_BYTES:]
        if key_id != self.key_id:
            raise ConfigError(
                f"{purpose}: sealed with another master key (key id {key_id.hex()}, "
                f"current {self.key_id.hex()}); restore that key or store the secret again"
            )
        try:
            plain = self._aead.decrypt(rest[:_NONCE_BYTES], rest[_NONCE_BYTES:], purpose.encode())
        except InvalidTag:
            raise ConfigError(f"{purpose}: the sealed secret is corrupted or was moved") from None
        return plain.decode()
