"""Identities: agents (short-lived, scoped, revocable tokens), humans (password + TOTP), and
registered resources with their credentials sealed at rest.

What enforcement points call:

    verify_agent_token(token) -> Agent            the agent a token stands for (or refused)
    verify_agent_grant(token) -> AgentGrant       the same plus resources and expiry
    reveal_credential(home, resource) -> str      the upstream credential, to inject
    require_human(credential) -> Human            the human door (agents refused + recorded)
    authenticate_human(name, password, code)      a person's login

What the catalogue uses: `registered_resources(home)`, `registered_agents(home)`.
The registries keep the rules; their records live behind `interlock.state.IdentityStorage`
(`IdentityState` is its SQLite implementation under the name callers already use).
See docs/identity.md.
"""

from interlock.home import MASTER_KEY_ENV
from interlock.identity._agents import (
    BREAKER_ACTOR,
    AgentRecord,
    AgentRegistry,
    TokenRecord,
    max_ttl_from_config,
    registered_agents,
)
from interlock.identity._errors import (
    GENERIC_LOGIN_ERROR,
    GENERIC_TOKEN_ERROR,
    AgentTokenRefused,
    AuthenticationFailed,
    HumanRequired,
    IdentityError,
    RefusalReason,
    WideningRefused,
)
from interlock.identity._humans import (
    AGENT_TOKEN_ENV,
    ROLES,
    Enrolment,
    HumanLogin,
    HumanRecord,
    HumanRegistry,
    authenticate_human,
    local_operator,
    require_human,
)
from interlock.identity._keys import Sealer, ensure_identity_keys
from interlock.identity._resources import (
    KINDS,
    ResourceRecord,
    ResourceRegistry,
    registered_resources,
    registered_upstreams,
    resource_targets,
    reveal_credential,
)
from interlock.identity._scope import Scope, format_duration, parse_duration, parse_verb
from interlock.identity._tokens import (
    TOKEN_PREFIX,
    AgentGrant,
    AgentVerifier,
    MintedToken,
    looks_like_agent_token,
    verifier_for_home,
    verify_agent_grant,
    verify_agent_token,
)
from interlock.state import SQLiteIdentityStorage as IdentityState

__all__ = [
    "AGENT_TOKEN_ENV",
    "BREAKER_ACTOR",
    "GENERIC_LOGIN_ERROR",
    "GENERIC_TOKEN_ERROR",
    "KINDS",
    "MASTER_KEY_ENV",
    "ROLES",
    "TOKEN_PREFIX",
    "AgentGrant",
    "AgentRecord",
    "AgentRegistry",
    "AgentTokenRefused",
    "AgentVerifier",
    "AuthenticationFailed",
    "Enrolment",
    "HumanLogin",
    "HumanRecord",
    "HumanRegistry",
    "HumanRequired",
    "IdentityError",
    "IdentityState",
    "MintedToken",
    "RefusalReason",
    "ResourceRecord",
    "ResourceRegistry",
    "Scope",
    "Sealer",
    "TokenRecord",
    "WideningRefused",
    "authenticate_human",
    "ensure_identity_keys",
    "format_duration",
    "local_operator",
    "looks_like_agent_token",
    "max_ttl_from_config",
    "parse_duration",
    "parse_verb",
    "registered_agents",
    "registered_resources",
    "registered_upstreams",
    "require_human",
    "resource_targets",
    "reveal_credential",
    "verifier_for_home",
    "verify_agent_grant",
    "verify_agent_token",
]
