"""Registered resources and their upstream credentials, sealed at rest.

A resource registered here is the second source of the resource catalogue (after
`[resources.*]` in interlock.toml; a name may live in only one of them). Its credential is
sealed with the identity master key and comes back out only through `reveal_credential`,
which enforcement points call to inject it upstream. Nothing else returns, prints, logs or
audits it: records say `has_credential` and when it was set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from interlock.audit import AuditLog
from interlock.errors import ConfigError, InputError, InterlockError
from interlock.home import Home
from interlock.identity._errors import HumanRequired, IdentityError
from interlock.identity._keys import Sealer
from interlock.identity._scope import check_name
from interlock.identity._sealed import SealedRegistry
from interlock.identity._tokens import Clock, iso
from interlock.model import Human, Resource
from interlock.redact import is_sensitive_key
from interlock.state import AlreadyStored, ResourceStorage, StoredResource, identity_storage
from interlock.targets import KnownTarget, known_targets

KINDS = ("postgres", "http", "mcp", "generic")
MAX_CREDENTIAL = 64 * 1024
_URL_KINDS = {"postgres": ("postgres", "postgresql"), "http": ("http", "https")}


def _purpose(name: str) -> str:
    return f"credential:{name}"


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    """A registered resource as stored, without its credential."""

    resource: Resource
    upstream: str
    has_credential: bool
    credential_set_at: float | None
    created_at: float
    created_by: str

    def credential_status(self) -> str:
        if not self.has_credential or self.credential_set_at is None:
            return "none"
        return f"stored (encrypted, set {iso(self.credential_set_at)})"

    def to_json(self) -> dict[str, Any]:
        r = self.resource
        return {
            "name": r.name,
            "kind": r.kind,
            "environment": r.environment,
            "tags": sorted(r.tags),
            "owner": r.owner,
            "upstream": self.upstream,
            "credential": self.credential_status(),
            "created_at": iso(self.created_at),
            "created_by": self.created_by,
        }


def check_upstream(kind: str, upstream: str) -> str:
    """The upstream address, refused when it carries a secret (a URL password, a `token=`
    query parameter): credentials go in the sealed store, never in a readable field."""
    upstream = upstream.strip()
    if not upstream:
        raise InputError("--upstream is required: where the proxy forwards to")
    try:
        parts = urlsplit(upstream)
        has_password = parts.password is not None
    except ValueError:
        raise InputError("--upstream is not a valid URL") from None
    if has_password:
        raise InputError(
            "--upstream must not contain a password: give the URL without it and pass the "
            "credential with --credential-from-env, --credential-prompt or --credential-stdin"
        )
    if any(is_sensitive_key(key) for key, _ in parse_qsl(parts.query, keep_blank_values=True)):
        raise InputError(
            "--upstream must not carry a credential in its query string: pass it with "
            "--credential-from-env, --credential-prompt or --credential-stdin"
        )
    schemes = _URL_KINDS.get(kind)
    if schemes is not None and (parts.scheme not in schemes or not parts.netloc):
        raise InputError(
            f"--upstream for a {kind} resource must be a {' or '.join(schemes)}:// URL"
        )
    return upstream


class ResourceRegistry(SealedRegistry[ResourceStorage]):
    """Resources in the identity state; credentials sealed with the master key."""

    def __init__(
        self,
        state: ResourceStorage,
        sealer: Sealer | None = None,
        *,
        audit: AuditLog | None = None,
        clock: Clock = time.time,
        configured: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(state, sealer, audit=audit, clock=clock)
        self.configured = configured

    @classmethod
    def for_home(cls, home: Home, *, with_key: bool = True) -> ResourceRegistry:
        return cls(
            identity_storage(home),
            Sealer.for_home(home, create=True) if with_key else None,
            audit=home.audit_log(),
            configured=frozenset(home.load_config().resources),
        )

    def _no_key(self) -> InterlockError:
        return ConfigError("no identity master key: credentials cannot be sealed or opened")

    def add(
        self,
        by: Human,
        name: str,
        *,
        kind: str,
        environment: str,
        upstream: str,
        credential: str | None,
        tags: list[str] | None = None,
        owner: str = "",
    ) -> ResourceRecord:
        if not isinstance(by, Human):
            raise HumanRequired("only a human can register resources")
        check_name(name, "resource")
        check_name(environment, "environment")
        if kind not in KINDS:
            raise InputError(f"kind {kind!r} is not valid: expected one of {', '.join(KINDS)}")
        if name in self.configured:
            raise IdentityError(
                f"resource {name!r} is already defined in interlock.toml; remove it there first"
            )
        clean_tags = sorted({check_name(t, "tag") for t in tags or ()})
        address = check_upstream(kind, upstream)
        sealed = None
        if credential is not None:
            if not credential or len(credential) > MAX_CREDENTIAL:
                raise InputError(f"the credential must be 1 to {MAX_CREDENTIAL} characters")
            sealed = self.sealer.seal(credential, _purpose(name))
        now = self.clock()
        stored = StoredResource(
            name,
            kind,
            environment,
            frozenset(clean_tags),
            owner.strip(),
            address,
            sealed,
            now if sealed is not None else None,
            now,
            by.name,
        )
        try:
            self.state.add_resource(stored)
        except AlreadyStored:
            raise IdentityError(
                f"a resource named {name!r} is already registered (remove it first)"
            ) from None
        self._log(
            "resource_added",
            resource=name,
            kind=kind,
            environment=environment,
            tags=clean_tags,
            has_credential=sealed is not None,
            by=by.name,
        )
        return self.get(name)

    def get(self, name: str) -> ResourceRecord:
        stored = self.state.resource(name)
        if stored is None:
            raise IdentityError(f"no registered resource named {name!r}")
        return _record(stored)

    def resources(self) -> list[ResourceRecord]:
        return [_record(r) for r in self.state.resources()]

    def remove(self, by: Human, name: str) -> None:
        if not isinstance(by, Human):
            raise HumanRequired("only a human can remove resources")
        if not self.state.remove_resource(name):
            raise IdentityError(f"no registered resource named {name!r}")
        self._log("resource_removed", resource=name, by=by.name)

    def reveal_credential(self, name: str) -> str:
        """The plaintext credential, for an enforcement point to inject upstream. Never show,
        log or return it to an agent."""
        stored = self.state.resource(name)
        if stored is None:
            raise IdentityError(f"no registered resource named {name!r}")
        if stored.credential_sealed is None:
            raise IdentityError(f"resource {name!r} has no stored credential")
        return self.sealer.open(stored.credential_sealed, _purpose(name))

    def _log(self, event: str, **body: Any) -> None:
        if self.audit is not None:
            self.audit.append("identity", {"event": event, **body})


def _record(stored: StoredResource) -> ResourceRecord:
    return ResourceRecord(
        resource=Resource(stored.name, stored.environment, stored.kind, stored.tags, stored.owner),
        upstream=stored.upstream,
        has_credential=stored.credential_sealed is not None,
        credential_set_at=stored.credential_set_at,
        created_at=stored.created_at,
        created_by=stored.created_by,
    )


def registered_resources(home: Home) -> dict[str, Resource]:
    """Every resource registered with `interlock resource add`, by name (no secrets)."""
    state = identity_storage(home)
    try:
        return {r.resource.name: r.resource for r in ResourceRegistry(state).resources()}
    finally:
        state.close()


def registered_upstreams(home: Home) -> dict[str, str]:
    """The upstream address of every registered resource, by name (never a credential:
    `check_upstream` refuses addresses that carry one)."""
    state = identity_storage(home)
    try:
        return {r.resource.name: r.upstream for r in ResourceRegistry(state).resources()}
    finally:
        state.close()


def resource_targets(home: Home) -> tuple[KnownTarget, ...]:
    """The target resolver's catalogue for a home: registered resources with their upstreams,
    then `[resources.NAME]` of interlock.toml with their `upstream` and `targets` (the file
    wins, as in the resource catalogue)."""
    config = home.load_config()
    resources = {**registered_resources(home), **config.resources}
    upstreams = registered_upstreams(home)
    names: dict[str, tuple[str, ...]] = {}
    for name, (upstream, declared) in config.resource_addresses.items():
        upstreams[name] = upstream
        names[name] = declared
    return known_targets(resources, upstreams, names)


def reveal_credential(home: Home, resource: str | Resource) -> str:
    """Decrypt the credential of a registered resource, for injection by a proxy only."""
    name = resource.name if isinstance(resource, Resource) else resource
    state = identity_storage(home)
    try:
        return ResourceRegistry(state, Sealer.for_home(home)).reveal_credential(name)
    finally:
        state.close()
