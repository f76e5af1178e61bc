"""The detectors: one `Rule` per credential format, most specific first.

Token formats are exact prefixes, lengths and alphabets published by each provider, so a
regular expression is the right tool here (this is recognising a *format*, not classifying an
action). Every rule names the substrings its pattern cannot match without (`keywords`); the
scanner runs a rule only when one of them occurs in the text, which keeps the common case (a
source file with no credential in it) to a handful of substring searches.

The value of every pattern is the named group `s`. A rule's `check` decides, given the match,
whether it is a credential and how sure it is (placeholders, entropy, context); it returns the
span to report, or None.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from interlock.secrets._entropy import is_placeholder, shannon_entropy
from interlock.secrets._model import Confidence

HIGH, MEDIUM, LOW = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW

# Where a rule's keywords are, which decides how the scanner finds candidates:
VALUE = "value"  # in the credential itself (a token prefix): a long word must contain one
NEAR = "near"  # in the key that names the value (`RAILWAY_TOKEN=`, `"private_key": `)
TEXT = "text"  # like NEAR, for short low-confidence values: only `find_secrets` runs these

Verdict = tuple[int, int, Confidence]
Check = Callable[["Rule", str, "re.Match[str]"], "Verdict | None"]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    provider: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]  # a match starts where one of these occurs (see `anchored`)
    fold: bool  # keywords are lowercase and looked for in lowercased text
    scope: str  # VALUE, NEAR or TEXT (see above)
    anchored: bool  # False when a keyword occurs inside the match rather than at its start
    confidence: Confidence
    min_entropy: float
    check: Check

    def verdict(self, text: str, match: re.Match[str]) -> Verdict | None:
        return self.check(self, text, match)


def _default_check(rule: Rule, text: str, match: re.Match[str]) -> Verdict | None:
    value = match.group("s")
    if is_placeholder(value) or shannon_entropy(value) < rule.min_entropy:
        return None
    return match.start("s"), match.end("s"), rule.confidence


def _rule(
    rule_id: str,
    provider: str,
    pattern: str,
    keywords: tuple[str, ...],
    *,
    confidence: Confidence = HIGH,
    min_entropy: float = 3.0,
    fold: bool = False,
    scope: str = VALUE,
    anchored: bool = True,
    check: Check = _default_check,
) -> Rule:
    fold = fold or scope != VALUE
    flags = re.IGNORECASE if fold else 0
    return Rule(
        rule_id,
        provider,
        re.compile(pattern, flags),
        keywords,
        fold,
        scope,
        anchored,
        confidence,
        min_entropy,
        check,
    )


# `NAME… = value`, `"name…": "value"`, `name…: value`, `NAME…=> value` after a context word.
_ASSIGN = r"""[\w.-]{0,24}["']?[ \t]{0,3}(?:=|:=|:|=>)[ \t]{0,3}["'`]?"""
_END = r"(?![\w+/=-])"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _in_context(names: str, value: str) -> str:
    return rf"(?:{names}){_ASSIGN}(?P<s>{value}){_END}"


# --- private keys ----------------------------------------------------------------------

_PEM_END = re.compile(r"-----END [A-Z0-9 ]{0,40}-----")
_BASE64_CHAR = re.compile(r"[A-Za-z0-9+/]")
_PEM_SCAN_LIMIT = 16_384


def _pem_check(rule: Rule, text: str, match: re.Match[str]) -> Verdict | None:
    """A BEGIN marker is a key only when a real body follows it (docs quote the marker alone)."""
    start = match.start("s")
    body_start = match.end("s")
    end_match = _PEM_END.search(text, body_start, body_start + _PEM_SCAN_LIMIT)
    if end_match is not None:
        end = end_match.end()
        body = text[body_start : end_match.start()]
    else:
        # No END marker (truncated, or cut by a scan window): take the base64 run that follows.
        tail = re.match(r"(?:[A-Za-z0-9+/=\s]|\\[nr])*", text[body_start : body_start + 8192])
        end = body_start + (tail.end() if tail else 0)
        body = text[body_start:end]
    body = body.replace("\\n", "\n").replace("\\r", "\n")
    if len(_BASE64_CHAR.findall(body)) < 64 or is_placeholder(body):
        return None
    if shannon_entropy(re.sub(r"\s", "", body)) < 4.0:
        return None
    return start, end, rule.confidence


_PEM_BEGIN = r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"


# --- database URLs ---------------------------------------------------------------------

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "host", "hostname", "db", "server")  # noqa: S104
_DEFAULT_PASSWORDS = frozenset(
    {
        "postgres",
        "root",
        "admin",
        "test",
        "testing",
        "dev",
        "mysql",
        "redis",
        "guest",
        "pass",
        "password",
        "secret",
        "pwd",
        "passwd",
        "user",
        "mongo",
        "rabbitmq",
        "p",
        "pw",
    }
)


def _db_url_check(rule: Rule, text: str, match: re.Match[str]) -> Verdict | None:
    password = match.group("s")
    if is_placeholder(password) or password.startswith(("$", "%", "{", "[")):
        return None
    host = match.group("host").lower()
    if (
        password.lower() in _DEFAULT_PASSWORDS
        or host in _LOCAL_HOSTS
        or len(password) < 6
        or host.endswith((".example", ".example.com", ".example.org", ".test", ".invalid"))
    ):
        confidence = LOW
    elif len(password) >= 12 and shannon_entropy(password) >= 3.0:
        confidence = HIGH
    else:
        confidence = MEDIUM
    return match.start("s"), match.end("s"), confidence


# --- Azure SAS -------------------------------------------------------------------------


def _azure_sas_check(rule: Rule, text: str, match: re.Match[str]) -> Verdict | None:
    window = text[max(0, match.start() - 600) : match.end() + 600]
    if "sv=" not in window or is_placeholder(match.group("s")):
        return None
    return match.start("s"), match.end("s"), rule.confidence


# --- generic assignments ---------------------------------------------------------------

# Key names that hold something about a credential rather than the credential.
_NOT_A_VALUE_SUFFIXES = (
    "type",
    "name",
    "names",
    "id",
    "ids",
    "file",
    "path",
    "dir",
    "url",
    "uri",
    "endpoint",
    "length",
    "len",
    "size",
    "count",
    "hash",
    "sha",
    "digest",
    "checksum",
    "field",
    "header",
    "prefix",
    "env",
    "var",
    "kind",
    "format",
    "pattern",
    "regex",
    "expires",
    "expiry",
    "ttl",
    "ref",
    "version",
    "label",
    "policy",
    "class",
    "mode",
    "scope",
    "scopes",
    "source",
    "provider",
    "store",
    "manager",
    "required",
    "enabled",
    "key_id",
    "usage",
    "used",
    "limit",
)
_PASSWORD_WORDS = ("passw", "pwd", "passphrase")
_CODE_SHAPES = re.compile(
    r"""[()\[\]{}<>]|^\$|^%|^&|^\*|^!|^@|^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+$|://|^/|^\./|^~/|\\"""
)
_CAMEL_CASE = re.compile(r"(?:[A-Z][a-z0-9]+){2,}$")
_CODE_AFTER = re.compile(r"[ \t]*[),=|]")
_HAS_DIGIT = re.compile(r"\d")
_HAS_LETTER = re.compile(r"[A-Za-z]")


def _generic_check(rule: Rule, text: str, match: re.Match[str]) -> Verdict | None:
    value = match.group("s")
    quoted = bool(match.group("q"))
    suffix = match.group("suffix").lower().strip("_.-")
    keyword = match.group("key").lower()
    # `token_type`, `secret_name`, `password_hash`… (but `api_key` itself carries a value)
    if (
        suffix
        and (suffix in _NOT_A_VALUE_SUFFIXES or suffix.endswith(_NOT_A_VALUE_SUFFIXES))
        and not suffix.endswith(("token", "secret", "key", "password", "passwd"))
    ):
        return None
    if not quoted and (_CAMEL_CASE.match(value) or _CODE_AFTER.match(text, match.end("s"))):
        return None  # `private_key: Ed25519PrivateKey`, `f(token: TokenValue1, …)`
    if is_placeholder(value) or _CODE_SHAPES.search(value):
        return None
    if "redacted" in value.lower() or value.lower() in _DEFAULT_PASSWORDS:
        return None
    entropy = shannon_entropy(value)
    token_like = (
        len(value) >= 16
        and entropy >= 3.3
        and bool(_HAS_DIGIT.search(value))
        and bool(_HAS_LETTER.search(value))
    )
    if token_like:
        return match.start("s"), match.end("s"), MEDIUM
    is_password = any(word in keyword for word in _PASSWORD_WORDS)
    if is_password and quoted and len(value) >= 6 and entropy >= 2.0 and " " not in value:
        return match.start("s"), match.end("s"), LOW
    return None


_VALUE = (
    r"""(?P<suffix>[\w.-]{0,24})["']?[ \t]{0,3}(?:=|:=|:|=>)[ \t]{0,3}(?P<q>["'`]?)"""
    r"""(?P<s>[^\s"'`,;&()\[\]{}<>]{6,512})(?P=q)(?![(\[{])"""
)


def _generic_secret_check(rule: Rule, text: str, match: re.Match[str]) -> Verdict | None:
    verdict = _generic_check(rule, text, match)
    return verdict if verdict is not None and verdict[2] is not LOW else None


_GENERIC = (
    r"(?P<key>token|secret|passw(?:or)?d|passphrase|pwd|api[_-]?key|access[_-]?key"
    r"|private[_-]?key|credentials?|auth[_-]?key)" + _VALUE
)
_PASSWORD = r"(?P<key>passw(?:or)?d|passphrase|pwd)" + _VALUE


RULES: tuple[Rule, ...] = (
    # Private keys (GCP service-account JSON first: it carries a PEM inside a JSON string)
    _rule(
        "gcp-service-account",
        "Google Cloud service-account key",
        rf'"private_key"\s*:\s*"(?P<s>{_PEM_BEGIN})',
        ('"private_key"',),
        scope=NEAR,
        check=_pem_check,
    ),
    _rule(
        "private-key",
        "Private key (PEM / OpenSSH / PGP)",
        rf"(?P<s>{_PEM_BEGIN})",
        ("-----begin",),
        scope=NEAR,
        check=_pem_check,
    ),
    # AWS
    _rule(
        "aws-access-key-id",
        "AWS access key id",
        r"\b(?P<s>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b",
        ("AKIA", "ASIA", "ABIA", "ACCA"),
    ),
    _rule(
        "aws-secret-access-key",
        "AWS secret access key",
        _in_context(r"aws[\w.-]{0,20}secret|secret[_-]?access[_-]?key", r"[A-Za-z0-9/+]{40}"),
        ("aws", "secret"),
        scope=NEAR,
        min_entropy=3.5,
    ),
    _rule(
        "aws-session-token",
        "AWS session token",
        _in_context(r"aws[_-]?session[_-]?token", r"[A-Za-z0-9/+=]{100,2048}"),
        ("aws",),
        scope=NEAR,
        min_entropy=4.0,
    ),
    # Google
    _rule(
        "google-api-key", "Google API key", r"\b(?P<s>AIza[0-9A-Za-z_-]{35})(?![\w-])", ("AIza",)
    ),
    _rule(
        "google-oauth-client-secret",
        "Google OAuth client secret",
        r"\b(?P<s>GOCSPX-[A-Za-z0-9_-]{28})(?![\w-])",
        ("GOCSPX-",),
    ),
    _rule(
        "google-oauth-access-token",
        "Google OAuth access token",
        r"\b(?P<s>ya29\.[A-Za-z0-9_-]{50,})",
        ("ya29.",),
        confidence=MEDIUM,
    ),
    # Azure
    _rule(
        "azure-storage-account-key",
        "Azure storage account key (connection string)",
        r"(?i:AccountKey)=(?P<s>[A-Za-z0-9+/]{86}==)",
        ("accountkey=",),
        fold=True,
    ),
    _rule(
        "azure-shared-access-key",
        "Azure shared access key (Service Bus / Event Hubs / IoT connection string)",
        r"(?i:SharedAccessKey)=(?P<s>[A-Za-z0-9+/]{42,43}=)",
        ("sharedaccesskey=",),
        fold=True,
    ),
    _rule(
        "azure-sas-token",
        "Azure shared access signature (SAS)",
        r"(?<=[?&;])sig=(?P<s>[A-Za-z0-9%+/]{40,100}(?:%3D|%3d|=){0,2})",
        ("sig=",),
        fold=True,
        check=_azure_sas_check,
    ),
    _rule(
        "azure-ad-client-secret",
        "Azure AD / Entra ID client secret",
        r"(?<![\w~.-])(?P<s>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![\w~.-])",
        ("Q~",),
        anchored=False,
        min_entropy=3.5,
    ),
    # Source hosting
    _rule(
        "github-token",
        "GitHub token",
        r"\b(?P<s>gh[pousr]_[A-Za-z0-9]{36,251})\b",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    ),
    _rule(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        r"\b(?P<s>github_pat_[A-Za-z0-9_]{82,251})\b",
        ("github_pat_",),
    ),
    _rule(
        "gitlab-token",
        "GitLab token",
        r"\b(?P<s>(?:glpat|glptt|glrt|gldt|glsoat|glcbt|glft|glimt|glagent)-[A-Za-z0-9_.-]{20,300})"
        r"(?![\w.-])",
        ("glpat-", "glptt-", "glrt-", "gldt-", "glsoat-", "glcbt-", "glft-", "glimt-", "glagent-"),
    ),
    _rule(
        "gitlab-runner-registration-token",
        "GitLab runner registration token",
        r"\b(?P<s>GR1348941[A-Za-z0-9_-]{20,})\b",
        ("GR1348941",),
    ),
    # Chat
    _rule(
        "slack-token",
        "Slack token",
        r"\b(?P<s>xox[abposrce]-[0-9]{6,}-[A-Za-z0-9-]{20,})",
        ("xox",),
    ),
    _rule(
        "slack-config-token",
        "Slack configuration token",
        r"\b(?P<s>xoxe(?:\.xox[bp])?-1-[A-Za-z0-9]{100,})",
        ("xoxe",),
    ),
    _rule(
        "slack-app-token",
        "Slack app-level token",
        r"\b(?P<s>xapp-\d-[A-Z0-9]{8,}-\d{10,}-[a-f0-9]{64})\b",
        ("xapp-",),
    ),
    _rule(
        "slack-webhook",
        "Slack incoming webhook URL",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>T[A-Z0-9]{6,12}/[A-Za-z0-9/]{20,})",
        ("hooks.slack.com",),
    ),
    _rule(
        "discord-webhook",
        "Discord webhook URL",
        r"discord(?:app)?\.com/api/webhooks/(?P<s>\d{15,20}/[A-Za-z0-9_-]{60,80})",
        ("discord.com/api/webhooks/", "discordapp.com/api/webhooks/"),
    ),
    # Payments and messaging
    _rule(
        "stripe-live-key",
        "Stripe live secret / restricted key",
        r"\b(?P<s>(?:sk|rk)_live_[A-Za-z0-9]{24,247})\b",
        ("sk_live_", "rk_live_"),
    ),
    _rule(
        "stripe-test-key",
        "Stripe test secret / restricted key",
        r"\b(?P<s>(?:sk|rk)_test_[A-Za-z0-9]{24,247})\b",
        ("sk_test_", "rk_test_"),
        confidence=LOW,
    ),
    _rule(
        "stripe-webhook-secret",
        "Stripe webhook signing secret",
        r"\b(?P<s>whsec_[A-Za-z0-9+/=]{32,})",
        ("whsec_",),
        confidence=MEDIUM,
    ),
    _rule(
        "twilio-api-key",
        "Twilio API key SID",
        r"\b(?P<s>SK[0-9a-fA-F]{32})\b",
        ("SK",),
        confidence=MEDIUM,
    ),
    _rule(
        "twilio-auth-token",
        "Twilio auth token",
        _in_context(r"twilio[\w.-]{0,20}(?:token|secret)", r"[a-f0-9]{32}"),
        ("twilio",),
        scope=NEAR,
    ),
    _rule(
        "sendgrid-api-key",
        "SendGrid API key",
        r"\b(?P<s>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![\w-])",
        ("SG.",),
    ),
    # AI providers (Anthropic before OpenAI: both start with sk-)
    _rule(
        "anthropic-api-key",
        "Anthropic API key",
        r"\b(?P<s>sk-ant-(?:api|admin|oat|ort|sid)\d{2}-[A-Za-z0-9_-]{80,120})(?![\w-])",
        ("sk-ant-",),
    ),
    _rule(
        "openai-api-key",
        "OpenAI API key",
        r"\b(?P<s>sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,250}"
        r"|[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{48}))(?![\w-])",
        ("sk-",),
        min_entropy=3.5,
    ),
    _rule(
        "huggingface-token",
        "Hugging Face access token",
        r"\b(?P<s>(?:hf_|api_org_)[A-Za-z0-9]{34})\b",
        ("hf_", "api_org_"),
        min_entropy=3.5,
    ),
    _rule("groq-api-key", "Groq API key", r"\b(?P<s>gsk_[A-Za-z0-9]{52})\b", ("gsk_",)),
    _rule("xai-api-key", "xAI API key", r"\b(?P<s>xai-[A-Za-z0-9]{80})\b", ("xai-",)),
    _rule("replicate-api-token", "Replicate API token", r"\b(?P<s>r8_[A-Za-z0-9]{37})\b", ("r8_",)),
    # Package registries
    _rule("npm-token", "npm access token", r"\b(?P<s>npm_[A-Za-z0-9]{36})\b", ("npm_",)),
    _rule(
        "pypi-token",
        "PyPI API token",
        r"\b(?P<s>pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,})",
        ("pypi-",),
    ),
    # Clouds and platforms
    _rule(
        "digitalocean-token",
        "DigitalOcean token",
        r"\b(?P<s>do[opr]_v1_[a-f0-9]{64})\b",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
    ),
    _rule(
        "heroku-api-key",
        "Heroku API key",
        r"\b(?P<s>HRKU-AA[A-Za-z0-9_-]{58})(?![\w-])",
        ("HRKU-",),
    ),
    _rule(
        "heroku-api-key-in-context",
        "Heroku API key",
        _in_context(r"heroku[\w.-]{0,20}(?:key|token|secret)", _UUID),
        ("heroku",),
        scope=NEAR,
    ),
    _rule(
        "railway-token",
        "Railway API / project token",
        _in_context(
            r"railway[\w.-]{0,20}(?:token|key|secret)", rf"{_UUID}|[A-Za-z0-9_-]{{32,128}}"
        ),
        ("railway",),
        scope=NEAR,
        min_entropy=3.3,
    ),
    _rule(
        "fly-token",
        "Fly.io token",
        r"\b(?P<s>fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})",
        ("fo1_", "fm1", "fm2_"),
        min_entropy=3.5,
    ),
    _rule(
        "vercel-token",
        "Vercel access token",
        _in_context(r"vercel[\w.-]{0,20}(?:token|key|secret)", r"[A-Za-z0-9]{24}"),
        ("vercel",),
        scope=NEAR,
        min_entropy=3.5,
    ),
    _rule(
        "cloudflare-api-token",
        "Cloudflare API token / key",
        r"\b(?P<s>cf(?:k|ut|at)_[A-Za-z0-9_-]{40,64})(?![\w-])",
        ("cfk_", "cfut_", "cfat_"),
        min_entropy=3.5,
    ),
    _rule(
        "cloudflare-api-token-in-context",
        "Cloudflare API token / global key",
        _in_context(
            r"(?<![A-Za-z0-9])(?:cloudflare|cf)[_-][\w.-]{0,20}(?:token|key|secret)",
            r"[A-Za-z0-9_-]{40}|[a-f0-9]{37}",
        ),
        ("cloudflare", "cf_", "cf-"),
        scope=NEAR,
        min_entropy=3.5,
    ),
    _rule(
        "cloudflare-origin-ca-key",
        "Cloudflare Origin CA key",
        r"\b(?P<s>v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b",
        ("v1.0-",),
    ),
    _rule(
        "datadog-key",
        "Datadog API / application key",
        _in_context(
            r"(?<![A-Za-z0-9])(?:datadog|dd)[_-]?[\w.-]{0,20}key", r"[a-f0-9]{40}|[a-f0-9]{32}"
        ),
        ("datadog", "dd_", "dd-"),
        scope=NEAR,
    ),
    _rule(
        "databricks-token",
        "Databricks access token",
        r"\b(?P<s>dapi[a-f0-9]{32}(?:-\d)?)\b",
        ("dapi",),
    ),
    _rule(
        "shopify-token",
        "Shopify access token",
        r"\b(?P<s>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})\b",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
    ),
    _rule("linear-api-key", "Linear API key", r"\b(?P<s>lin_api_[A-Za-z0-9]{40})\b", ("lin_api_",)),
    _rule(
        "doppler-token",
        "Doppler token",
        r"\b(?P<s>dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44})\b",
        ("dp.",),
    ),
    _rule(
        "postman-api-key",
        "Postman API key",
        r"\b(?P<s>PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
        ("PMAK-",),
    ),
    _rule(
        "grafana-token",
        "Grafana service-account / cloud token",
        r"\b(?P<s>glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2})",
        ("glsa_", "glc_"),
    ),
    _rule(
        "sentry-token",
        "Sentry auth token",
        r"\b(?P<s>sntrys_eyJ[A-Za-z0-9+/=_-]{50,}|sntryu_[a-f0-9]{64})",
        ("sntrys_", "sntryu_"),
    ),
    _rule("supabase-token", "Supabase access token", r"\b(?P<s>sbp_[a-f0-9]{40})\b", ("sbp_",)),
    _rule(
        "terraform-cloud-token",
        "Terraform Cloud / HCP token",
        r"\b(?P<s>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})",
        (".atlasv1.",),
        anchored=False,
    ),
    _rule(
        "age-secret-key",
        "age secret key",
        r"\b(?P<s>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
        ("AGE-SECRET-KEY-1",),
    ),
    # Connection strings and bearer material
    _rule(
        "database-url-password",
        "Database URL with a password",
        r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver"
        r"|clickhouse|cockroachdb)(?:\+\w+)?://[^\s:/@\"'`<>]{0,128}:(?P<s>[^\s:/@\"'`<>]{1,256})@"
        r"(?P<host>[^\s/:\"'`<>?#@]{1,253})",
        (
            "postgres",
            "mysql",
            "mariadb",
            "mongodb",
            "redis",
            "amqp",
            "mssql",
            "sqlserver",
            "clickhouse",
            "cockroachdb",
        ),
        fold=True,
        check=_db_url_check,
    ),
    _rule(
        "jwt",
        "JSON Web Token",
        r"\b(?P<s>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})",
        ("eyJ",),
        confidence=MEDIUM,
    ),
    _rule(
        "authorization-header",
        "Bearer token in an Authorization header",
        r"(?i)authorization[\"']?\s{0,3}[:=]\s{0,3}[\"']?(?:bearer|token)\s+"
        r"(?P<s>[A-Za-z0-9._~+/-]{20,512}=*)",
        ("authorization",),
        scope=NEAR,
        confidence=MEDIUM,
        min_entropy=3.5,
    ),
    # Last: any high-entropy value assigned to a key that names a credential.
    _rule(
        "generic-secret",
        "High-entropy value assigned to a credential-named key",
        _GENERIC,
        (
            "token",
            "secret",
            "passw",
            "passphrase",
            "pwd",
            "api",
            "access",
            "private",
            "credential",
            "auth",
        ),
        scope=NEAR,
        confidence=MEDIUM,
        check=_generic_secret_check,
    ),
    # Only `find_secrets` runs this one, over the whole text: short password literals (low).
    _rule(
        "password-assignment",
        "Literal value assigned to a password-named key",
        _PASSWORD,
        ("passw", "pwd", "passphrase"),
        scope=TEXT,
        confidence=LOW,
        check=_generic_check,
    ),
)
