"""The vault's two keys, kept in the Interlock home's `keys/` directory (0600):

    keys/vault.key            32 random bytes: AES-256-GCM for objects, HMAC for their ids
    keys/vault-signing.key    Ed25519 private key signing manifests (PEM, PKCS#8)
    keys/vault-signing.pub    its public key, enough to verify (and to list) the vault

Both are created on first use. The keys directory is Interlock's state: self-protection
refuses any agent command that names it, and in service mode it belongs to another OS user.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from interlock.audit.signing import generate_signing_key, raw_public_key, write_private_file
from interlock.vault._model import VaultError
from interlock.vault._seal import KEY_BYTES


def fingerprint(public_key: Ed25519PublicKey) -> str:
    return "sha256:" + hashlib.sha256(raw_public_key(public_key)).hexdigest()


def ensure_keys(keys_dir: Path) -> list[Path]:
    """Create whichever vault key is missing; returns the files made."""
    made: list[Path] = []
    secret = keys_dir / "vault.key"
    if not secret.exists():
        write_private_file(secret, secrets.token_bytes(KEY_BYTES))
        made.append(secret)
    private, public = keys_dir / "vault-signing.key", keys_dir / "vault-signing.pub"
    if not private.exists():
        generate_signing_key(private, public)
        made += [private, public]
    return made


def load_secret(keys_dir: Path) -> bytes:
    path = keys_dir / "vault.key"
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise VaultError(f"{path}: cannot read the vault key ({exc.strerror})") from None
    if len(key) != KEY_BYTES:
        raise VaultError(f"{path}: not a vault key")
    return key


def load_signing(keys_dir: Path) -> Ed25519PrivateKey:
    path = keys_dir / "vault-signing.key"
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError):
        raise VaultError(f"{path}: cannot load the vault signing key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise VaultError(f"{path}: not an Ed25519 key")
    return key


def load_verifying(keys_dir: Path) -> Ed25519PublicKey:
    path = keys_dir / "vault-signing.pub"
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError):
        raise VaultError(f"{path}: cannot load the vault's public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise VaultError(f"{path}: not an Ed25519 key")
    return key
