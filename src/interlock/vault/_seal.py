"""Sealing objects: compress, then encrypt with AES-256-GCM under the vault key.

Sealed layout: `ILV1`, one codec byte, a 12-byte random nonce, the ciphertext with its tag.
The object's id is bound in as associated data, so a sealed object moved under another
id does not open. Ids are HMAC-SHA256 of the plain bytes under a key derived from the vault
key: equal content is stored once, and an id says nothing about content to whoever lacks
the key. zlib (standard library) compresses: no extra dependency, and a snapshot is written
once on a path that is bounded by the database's own speed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import zlib

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from interlock.vault._model import VaultError

MAGIC = b"ILV1"
CODEC_NONE = 0
CODEC_ZLIB = 1
NONCE = 12
KEY_BYTES = 32
_ID_CONTEXT = b"interlock-vault-object-id\0"
_LEVEL = 3  # zlib: most of the gain at a fraction of level 6's time


class Sealer:
    """Seals and opens objects under one vault key (32 bytes)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise VaultError("the vault key must be 32 bytes")
        self._aead = AESGCM(key)
        self._id_key = hmac.new(key, _ID_CONTEXT, hashlib.sha256).digest()

    def object_id(self, plain: bytes) -> str:
        return hmac.new(self._id_key, plain, hashlib.sha256).hexdigest()

    def seal(self, object_id: str, plain: bytes) -> bytes:
        packed = zlib.compress(plain, _LEVEL)
        codec = CODEC_ZLIB
        if len(packed) >= len(plain):
            packed, codec = plain, CODEC_NONE
        nonce = os.urandom(NONCE)
        header = MAGIC + bytes([codec])
        return header + nonce + self._aead.encrypt(nonce, packed, header + object_id.encode())

    def open(self, object_id: str, sealed: bytes) -> bytes:
        """The plain bytes, checked against the id; VaultError when anything is off."""
        if len(sealed) < len(MAGIC) + 1 + NONCE + 16 or not sealed.startswith(MAGIC):
            raise VaultError(f"object {object_id[:16]}: not a sealed vault object")
        header, nonce = sealed[:5], sealed[5 : 5 + NONCE]
        try:
            packed = self._aead.decrypt(nonce, sealed[5 + NONCE :], header + object_id.encode())
        except InvalidTag:
            raise VaultError(f"object {object_id[:16]}: authentication failed") from None
        codec = header[4]
        if codec == CODEC_ZLIB:
            try:
                plain = zlib.decompress(packed)
            except zlib.error:
                raise VaultError(f"object {object_id[:16]}: cannot decompress") from None
        elif codec == CODEC_NONE:
            plain = packed
        else:
            raise VaultError(f"object {object_id[:16]}: unknown codec {codec}")
        if not hmac.compare_digest(self.object_id(plain), object_id):
            raise VaultError(f"object {object_id[:16]}: content does not match its id")
        return plain
