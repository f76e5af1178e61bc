"""The Interlock home: config, policies, keys and local state in one directory.

    <home>/interlock.toml          configuration (resources, policy paths, audit settings)
    <home>/policies/*.cedar        the active policies (a copy of the default pack at init)
    <home>/policies/rules.toml     reviewed rules: verb classes a human set (`interlock rules`)
    <home>/keys/audit-signing.key  Ed25519 private key for audit checkpoints (0600)
    <home>/keys/audit-signing.pub  its public key, for `interlock audit verify`
    <home>/keys/audit-hmac.key     key for payload fingerprints in audit records (0600)
    <home>/keys/identity-master.key  AES-256 key sealing credentials and TOTP secrets (0600)
    <home>/keys/vault.key          AES-256 key sealing vault objects (0600)
    <home>/keys/vault-signing.key  Ed25519 key signing vault manifests (0600), and its .pub
    <home>/state/interlock.db      the embedded SQLite state (audit log, …)
    <home>/state/vault/            the embedded vault (unless `[vault] path` puts it elsewhere)

The home is found from `--home`, then `$INTERLOCK_HOME`, then the current directory or any
parent that is a home itself (holds `interlock.toml`) or holds `.interlock/` (as git finds
`.git`), then the user's own home, `$XDG_CONFIG_HOME/interlock` (`~/.config/interlock`):
where `interlock init` puts it by default, outside every workspace an agent works in.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from interlock.audit import (
    AuditLog,
    AuditStore,
    CheckpointSigner,
    CheckpointVerifier,
    SQLiteAuditStore,
    generate_signing_key,
    witnesses_for,
)
from interlock.audit.signing import write_private_file
from interlock.config import AuditSettings, Config, read_config
from interlock.errors import ConfigError
from interlock.policy import RULES_FILE, PolicyBundle, default_policy_dir, load_policies

HOME_DIR_NAME = ".interlock"
CONFIG_NAME = "interlock.toml"
MASTER_KEY_ENV = "INTERLOCK_MASTER_KEY"
"""When set (base64 of 32 bytes) it is the identity master key, and no key file is made."""

_DEFAULT_CONFIG = """\
# Interlock configuration. See docs/configuration.md.

[policies]
# Files or directories of .cedar policies, relative to this file.
paths = ["policies"]

[audit]
# Sign a checkpoint of the audit chain every N records (and on demand).
checkpoint_every = 100

# Resources agents act on. The environment decides which policies apply.
# [resources.orders-db]
# kind = "postgres"
# environment = "production"
# tags = ["pii"]
"""


@dataclass(frozen=True, slots=True)
class Home:
    root: Path

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def signing_key(self) -> Path:
        return self.root / "keys" / "audit-signing.key"

    @property
    def public_key(self) -> Path:
        return self.root / "keys" / "audit-signing.pub"

    @property
    def hmac_key(self) -> Path:
        return self.root / "keys" / "audit-hmac.key"

    @property
    def master_key(self) -> Path:
        return self.root / "keys" / "identity-master.key"

    @property
    def database(self) -> Path:
        return self.root / "state" / "interlock.db"

    @property
    def vault_dir(self) -> Path:
        """The embedded vault: `[vault] path` (relative to this home), else `state/vault`."""
        configured = read_config(self.config_path).vault.path if self.config_path.is_file() else ""
        if configured:
            path = Path(configured).expanduser()
            return path if path.is_absolute() else (self.root / path).resolve()
        return self.root / "state" / "vault"

    def load_config(self) -> Config:
        return load_config(self.config_path)

    @property
    def rules_path(self) -> Path:
        """`policies/rules.toml`: the reviewed rules only a human changes."""
        return self.root / "policies" / RULES_FILE

    def load_policies(self) -> PolicyBundle:
        return load_policies(self.load_config().policy_paths, rules=self.rules_path)

    def audit_settings(self) -> AuditSettings:
        return self.load_config().audit

    def audit_log(self, store: AuditStore | None = None) -> AuditLog:
        """The home's audit log, over `store` (default: a plain SQLite store of the home's
        database)."""
        settings = self.audit_settings()
        try:
            hmac_key = self.hmac_key.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{self.hmac_key}: cannot read the audit HMAC key ({exc})") from None
        return AuditLog(
            store if store is not None else SQLiteAuditStore(self.database),
            signer=CheckpointSigner.from_file(self.signing_key),
            hmac_key=hmac_key,
            checkpoint_every=settings.checkpoint_every,
            witnesses=witnesses_for(settings),
            checkpoint_interval=settings.checkpoint_interval,
            key_pin=settings.key_fingerprint,
        )

    def audit_verifier(self) -> CheckpointVerifier:
        return CheckpointVerifier.from_file(self.public_key)


def find_home(explicit: Path | None = None) -> Home | None:
    """The home to use, or None when there is none (the built-in defaults then apply)."""
    if explicit is not None:
        home = Home(explicit.resolve())
        if not home.config_path.is_file():
            raise ConfigError(
                f"{explicit}: not an Interlock home (no {CONFIG_NAME}); "
                f"run `interlock init --home {explicit}`"
            )
        return home
    env = os.environ.get("INTERLOCK_HOME")
    if env:
        return find_home(Path(env))
    here = Path.cwd().resolve()
    for directory in (here, *here.parents):
        nested = directory / HOME_DIR_NAME
        if (nested / CONFIG_NAME).is_file():
            return Home(nested)
        # A home itself (`interlock init --home X; cd X`): its config next to its keys.
        if (directory / CONFIG_NAME).is_file() and (directory / "keys").is_dir():
            return Home(directory)
    user = user_home_root()
    if (user / CONFIG_NAME).is_file():
        return Home(user)
    return None


KEY_FILES = ("audit-signing.key", "audit-hmac.key", "identity-master.key")


def is_own_key_file(path: Path) -> bool:
    """Whether `path` is one of an Interlock home's own key files (`<home>/keys/...`, next to
    the home's interlock.toml): Interlock's secrets, not a credential someone left lying
    around. The hooks still keep agents from reading them (`interlock.protect`)."""
    try:
        resolved = path.resolve()
    except OSError:
        return False
    keys = resolved.parent
    return (
        resolved.name in KEY_FILES and keys.name == "keys" and (keys.parent / CONFIG_NAME).is_file()
    )


def user_home_root() -> Path:
    """`$XDG_CONFIG_HOME/interlock`, or `~/.config/interlock`: the default home."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "interlock"


def ignore_in_repository(root: Path) -> Path | None:
    """When `root` is inside a git worktree, list it in that worktree's .gitignore (so `git
    add -A` never commits keys); returns the .gitignore written, or None."""
    root = root.resolve()
    for directory in root.parents:
        if (directory / ".git").exists():
            break
    else:
        return None
    entry = "/" + root.relative_to(directory).as_posix() + "/"
    ignore = directory / ".gitignore"
    try:
        lines = ignore.read_text().splitlines() if ignore.exists() else []
    except OSError:
        return None
    if any(line.strip() in (entry, entry.rstrip("/"), entry.lstrip("/")) for line in lines):
        return None
    prefix = "" if not lines or lines[-1] == "" else "\n"
    with ignore.open("a") as handle:
        handle.write(f"{prefix}# the Interlock home: keys and state, never committed\n{entry}\n")
    return ignore


def require_home(explicit: Path | None = None) -> Home:
    home = find_home(explicit)
    if home is None:
        raise ConfigError(
            "no Interlock home here: run `interlock init` (or pass --home, or set INTERLOCK_HOME)"
        )
    return home


def init_home(root: Path, *, force: bool = False) -> tuple[Home, list[str]]:
    """Create a home at `root`; existing files are kept unless `force`. Returns what was made."""
    home = Home(root.resolve())
    made: list[str] = []
    home.root.mkdir(parents=True, exist_ok=True)
    if force or not home.config_path.exists():
        home.config_path.write_text(_DEFAULT_CONFIG)
        made.append(str(home.config_path))
    policies = home.root / "policies"
    if force or not policies.exists():
        policies.mkdir(exist_ok=True)
        for source in sorted(default_policy_dir().glob("*.cedar")):
            shutil.copyfile(source, policies / source.name)
            made.append(str(policies / source.name))
    if force or not home.signing_key.exists():
        generate_signing_key(home.signing_key, home.public_key)
        made += [str(home.signing_key), str(home.public_key)]
    if force or not home.hmac_key.exists():
        write_private_file(home.hmac_key, secrets.token_bytes(32))
        made.append(str(home.hmac_key))
    made += ensure_master_key(home)
    if not home.database.exists():
        SQLiteAuditStore(home.database).close()
        made.append(str(home.database))
    return home, made


def ensure_master_key(home: Home) -> list[str]:
    """Create the identity master key file unless it or `$INTERLOCK_MASTER_KEY` exists.

    Never regenerated, even by `init --force`: a new master key would orphan every sealed
    credential and TOTP enrolment. Returns the paths created. Sealing with the key is
    `interlock.identity.Sealer`'s job; the home only owns the file, like its other keys.
    """
    if os.environ.get(MASTER_KEY_ENV) or home.master_key.exists():
        return []
    write_private_file(home.master_key, secrets.token_bytes(32))
    return [str(home.master_key)]


def load_config(path: Path) -> Config:
    """The home's interlock.toml, with the tables every command uses checked ([policies],
    [audit], [resources.NAME]); each component's own table is checked when it asks for it."""
    return read_config(path).check("policies", "audit", "resources")
