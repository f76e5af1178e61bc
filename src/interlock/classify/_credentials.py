"""Which names are about credentials or privileges: the `privilege` class for APIs and tools.

A GraphQL mutation (`apiTokenCreate`), an RPC or query-API action (`Action=CreateAccessKey`),
a REST path (`POST /repos/o/r/keys`, `PUT …/roleAssignments/{id}`) or an MCP tool
(`add_ssh_key`, `set_iam_policy`) that creates, changes or widens a credential or a privilege
is never an ordinary write: what it makes outlives the action and works around every
enforcement point. Classifiers split names into words (`_names.split_words`) and ask
`privilege_subject` for what credential the words name, and `is_read_command` whether the
name only looks (`listApiTokens`, `verifyToken`, `hasPermission`).

The vocabulary is small and explicit, like `_words`: a reviewer can read every word that
makes an action a privilege action. Some nouns only count next to a word that says which
kind they are (`key` is a credential in `deploy key`, not in `sort key`; `policy` in `iam
policy`, not in `retention policy`), and a few only with a verb that hands them out
(`makeAdmin`, `transferOwnership`).
"""

from __future__ import annotations

from collections.abc import Sequence

from interlock.classify._names import split_words

__all__ = ["carries_credential", "is_read_command", "privilege_subject", "signs_in"]

# Nouns that name a credential or a privilege on their own.
_SUBJECTS: frozenset[str] = frozenset(
    {
        "token",
        "tokens",
        "apitoken",
        "apitokens",
        "accesstoken",
        "accesstokens",
        "authtoken",
        "password",
        "passwords",
        "passwd",
        "passphrase",
        "credential",
        "credentials",
        "creds",
        "secret",
        "secrets",
        "apikey",
        "apikeys",
        "accesskey",
        "accesskeys",
        "sshkey",
        "sshkeys",
        "deploykey",
        "deploykeys",
        "gpgkey",
        "gpgkeys",
        "passkey",
        "passkeys",
        "keypair",
        "keypairs",
        "oauth",
        "oidc",
        "saml",
        "sso",
        "mfa",
        "totp",
        "webauthn",
        "permission",
        "permissions",
        "privilege",
        "privileges",
        "acl",
        "acls",
        "iam",
        "rbac",
        "sts",
        "role",
        "roles",
        "rolebinding",
        "rolebindings",
        "clusterrolebinding",
        "clusterrolebindings",
        "membership",
        "memberships",
        "member",
        "members",
        "collaborator",
        "collaborators",
        "invitation",
        "invitations",
        "invite",
        "invites",
        "serviceaccount",
        "serviceaccounts",
        "grant",
        "grants",
        "impersonation",
        "ownership",
        "authorization",
        "authorizations",
        "jit",
        "scopes",
        "wireguard",
    }
)

# Nouns that are a credential only next to a word saying which kind: (nouns, kinds).
_QUALIFIED: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (
        frozenset({"key", "keys"}),
        frozenset(
            {
                "ssh",
                "deploy",
                "api",
                "access",
                "gpg",
                "pgp",
                "signing",
                "private",
                "client",
                "service",
                "account",
                "auth",
                "authorized",
                "personal",
                "user",
                "app",
                "secret",
                "ephemeral",
            }
        ),
    ),
    (
        frozenset({"policy", "policies"}),
        frozenset(
            {
                "iam",
                "access",
                "bucket",
                "role",
                "user",
                "group",
                "trust",
                "assume",
                "permission",
                "permissions",
                "key",
                "identity",
                "authorization",
                "auth",
                "org",
                "organization",
                "resource",
                "rbac",
            }
        ),
    ),
    (
        frozenset({"user", "users", "account", "accounts"}),
        frozenset({"iam", "service", "sso", "ldap", "database", "db", "machine", "robot", "bot"}),
    ),
    (frozenset({"login", "logins"}), frozenset({"profile", "profiles"})),
    (
        frozenset({"app", "apps", "application", "applications", "client", "clients"}),
        frozenset({"oauth", "github", "oidc", "saml", "integration", "installation"}),
    ),
)

# Nouns that are a privilege only when the name hands them out.
_HANDED_OUT: frozenset[str] = frozenset(
    {"admin", "admins", "administrator", "administrators", "owner", "owners", "superuser"}
)
_HANDING_VERBS: frozenset[str] = frozenset(
    {"add", "make", "grant", "promote", "set", "invite", "assign", "appoint", "transfer", "elevate"}
)

# Verbs that only look: a name led by one of these reads (`listApiTokens`, `hasPermission`).
_READ_VERBS: frozenset[str] = frozenset(
    {
        "get",
        "list",
        "describe",
        "read",
        "show",
        "fetch",
        "view",
        "search",
        "find",
        "lookup",
        "query",
        "count",
        "check",
        "verify",
        "validate",
        "test",
        "inspect",
        "watch",
        "preview",
        "simulate",
        "estimate",
        "whoami",
        "introspect",
        "exists",
        "has",
        "is",
        "can",
    }
)
# Verbs that make or change something: a name with one of these is not a read, whatever
# else it says (`createTestToken`, `getOrCreateApiKey`).
_CHANGE_VERBS: frozenset[str] = frozenset(
    {
        "create",
        "add",
        "new",
        "generate",
        "issue",
        "mint",
        "grant",
        "attach",
        "assign",
        "set",
        "update",
        "upsert",
        "put",
        "patch",
        "change",
        "modify",
        "edit",
        "rotate",
        "regenerate",
        "reset",
        "renew",
        "refresh",
        "invite",
        "bind",
        "enable",
        "import",
        "upload",
        "register",
        "transfer",
        "replace",
        "make",
        "give",
        "share",
        "provision",
        "store",
        "save",
        "apply",
        "associate",
        "join",
        "impersonate",
        "elevate",
        "promote",
        "revoke",
        "delete",
        "remove",
        "accept",
        "approve",
        "link",
    }
)


def _joined(words: Sequence[str]) -> tuple[str, ...]:
    """`OAuth` splits as `o`, `auth`, `WireGuard` as `wire`, `guard`: read them back whole."""
    out: list[str] = []
    for word in words:
        if word == "auth" and out and out[-1] == "o":
            out[-1] = "oauth"
        elif word == "guard" and out and out[-1] == "wire":
            out[-1] = "wireguard"
        else:
            out.append(word)
    return tuple(out)


# Asking for a reset or a reminder sends a link to the owner, who chooses the credential:
# `requestPasswordReset`, `forgotPassword`, `POST /password-reset`. (A request that carries
# the new password itself is caught by `carries_credential`.)
_OWNER_CHOOSES: frozenset[str] = frozenset({"reset", "forgot", "forgotten", "reminder"})
_CHOSEN_BY_OWNER: frozenset[str] = frozenset({"password", "passwords", "passwd"})
# Keys whose value is a credential: a request carrying one sets it.
_CREDENTIAL_KEYS: frozenset[str] = frozenset(
    {"password", "passwd", "passphrase", "secret", "privatekey", "apikey", "accesskey"}
)


def privilege_subject(words: Sequence[str]) -> str | None:
    """The credential or privilege these words name (`deploy key`, `token`), or None."""
    words = _joined(words)
    present = set(words)
    owner_chooses = bool(present & _OWNER_CHOOSES)
    for word in words:
        if word in _SUBJECTS and not (owner_chooses and word in _CHOSEN_BY_OWNER):
            return word
    for nouns, kinds in _QUALIFIED:
        noun = next((w for w in words if w in nouns), None)
        kind = next((w for w in words if w in kinds), None)
        if noun is not None and kind is not None:
            return f"{kind} {noun}"
    handed = next((w for w in words if w in _HANDED_OUT), None)
    if handed is not None and present & _HANDING_VERBS:
        return handed
    return None


def is_read_command(words: Sequence[str]) -> bool:
    """Whether a name only looks at what it names: led or ended by a read verb (`getToken`,
    `apiTokensList`, `hasPermission`) and with no verb that makes or changes anything."""
    if not words or any(word in _CHANGE_VERBS for word in words):
        return False
    return words[0] in _READ_VERBS or words[-1] in _READ_VERBS


def carries_credential(keys: Sequence[str]) -> str | None:
    """The first key whose value is a credential (`password`, `newPassword`, `private_key`,
    `client_secret`), or None: a request that sends one sets a credential."""
    for key in keys:
        words = _joined(split_words(key))
        glued = "".join(words)
        if set(words) & _CREDENTIAL_KEYS or glued in _CREDENTIAL_KEYS:
            return key
        if "key" in words and ({"private", "ssh", "api", "access", "secret"} & set(words)):
            return key
    return None


_SIGN_IN: frozenset[str] = frozenset(
    {"login", "logon", "signin", "authenticate", "session", "sessions"}
)


def signs_in(words: Sequence[str]) -> bool:
    """A name that uses a credential rather than sets one (`login`, `sign in`, `sessions`)."""
    present = set(words)
    return bool(present & _SIGN_IN) or ("sign" in present and ("in" in present or "on" in present))
