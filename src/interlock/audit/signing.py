"""Ed25519 keys for signing audit checkpoints, created by `interlock init`.

A key is named by its fingerprint (`sha256:` and the SHA-256 of its 32 raw bytes), which
`init` pins in interlock.toml and in every witness, so that a replaced `.pub` file is seen.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from interlock.audit.chain import Checkpoint, checkpoint_message
from interlock.errors import ConfigError

_ROTATION = b"interlock-audit-key-rotation\0"


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


def key_fingerprint(public_key: Ed25519PublicKey) -> str:
    """The name a key is pinned by: `sha256:` and 64 hex digits."""
    return "sha256:" + hashlib.sha256(raw_public_key(public_key)).hexdigest()


def fingerprint_of_hex(key_hex: str) -> str:
    """The fingerprint of a raw public key given as hex (as witnesses hold it)."""
    return "sha256:" + hashlib.sha256(bytes.fromhex(key_hex)).hexdigest()


def load_public_hex(key_hex: str) -> Ed25519PublicKey | None:
    """A public key from its raw bytes in hex, or None when they are not one."""
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex))
    except ValueError:
        return None


def write_private_file(path: Path, data: bytes) -> None:
    """Create `path` readable by its owner only (0600) before any secret byte is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)


def generate_signing_key(private_path: Path, public_path: Path) -> str:
    """Create a new key pair on disk; returns its key id."""
    private = Ed25519PrivateKey.generate()
    write_private_file(
        private_path,
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    public_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key_id(private.public_key())


class CheckpointSigner:
    """Signs chain heads with the private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.key_id = key_id(private_key.public_key())

    @classmethod
    def from_file(cls, path: Path) -> CheckpointSigner:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: cannot load the audit signing key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"{path}: the audit signing key is not an Ed25519 key")
        return cls(key)

    @property
    def public_hex(self) -> str:
        return raw_public_key(self._key.public_key()).hex()

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self._key.public_key())

    def sign(self, seq: int, head_hash: str) -> str:
        return self._key.sign(checkpoint_message(seq, head_hash)).hex()

    def endorse(self, new_public_hex: str) -> str:
        """Vouch for the key that replaces this one (a rotation a witness accepts)."""
        return self._key.sign(_ROTATION + bytes.fromhex(new_public_hex)).hex()


class CheckpointVerifier:
    """Checks checkpoint signatures with the public key."""

    def __init__(self, public_key: Ed25519PublicKey) -> None:
        self._key = public_key
        self.key_id = key_id(public_key)
        self.fingerprint = key_fingerprint(public_key)
        self.public_hex = raw_public_key(public_key).hex()

    @classmethod
    def from_hex(cls, key_hex: str) -> CheckpointVerifier | None:
        key = load_public_hex(key_hex)
        return None if key is None else cls(key)

    @classmethod
    def from_file(cls, path: Path) -> CheckpointVerifier:
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: cannot load the audit public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ConfigError(f"{path}: the audit public key is not an Ed25519 key")
        return cls(key)

    def __call__(self, checkpoint: Checkpoint) -> bool:
        return self._verify(checkpoint.signature, checkpoint.message())

    def endorsed(self, new_public_hex: str, endorsement: str) -> bool:
        """Whether this key vouched for `new_public_hex` (see `CheckpointSigner.endorse`)."""
        try:
            return self._verify(endorsement, _ROTATION + bytes.fromhex(new_public_hex))
        except ValueError:
            return False

    def _verify(self, signature_hex: str, message: bytes) -> bool:
        try:
            self._key.verify(bytes.fromhex(signature_hex), message)
        except (InvalidSignature, ValueError):
            return False
        return True
