"""Format-valid but fake credentials, generated at run time from a seeded generator.

Nothing here is a literal token (push protection and other scanners would rightly flag one):
each value is assembled from its provider's prefix and random characters of the documented
alphabet and length.
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


@dataclass(frozen=True)
class Plant:
    rule: str
    provider: str
    value: str  # the secret the scanner must find and never print
    line: str  # how it appears in a file


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _uuid(rng: random.Random) -> str:
    h = _r(rng, HEX, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _pem(rng: random.Random, kind: str) -> str:
    body = base64.b64encode(rng.randbytes(600)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join(
        [f"-----BEGIN {kind}PRIVATE KEY-----", *lines, f"-----END {kind}PRIVATE KEY-----"]
    )


def _jwt(rng: random.Random) -> str:
    def seg(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    header = seg(b'{"alg":"HS256","typ":"JWT"}')
    payload = seg(b'{"sub":"' + _r(rng, ALNUM, 12).encode() + b'","iat":1700000000}')
    return f"{header}.{payload}.{seg(rng.randbytes(32))}"


def plants(seed: int = 7) -> list[Plant]:
    """One fake credential per provider format, each in a realistic line."""
    rng = random.Random(seed)
    out: list[Plant] = []

    def add(rule: str, provider: str, value: str, line: Callable[[str], str]) -> None:
        out.append(Plant(rule, provider, value, line(value)))

    add(
        "aws-access-key-id",
        "aws",
        "AKIA" + _r(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
        lambda v: f"aws_access_key_id = {v}",
    )
    add("aws-secret-access-key", "aws", _r(rng, B64, 40), lambda v: f"aws_secret_access_key = {v}")
    add("google-api-key", "google", "AIza" + _r(rng, URLSAFE, 35), lambda v: f'const key = "{v}";')
    add("github-token", "github", "ghp_" + _r(rng, ALNUM, 36), lambda v: f"GITHUB_TOKEN={v}")
    add(
        "github-fine-grained-pat",
        "github",
        "github_pat_" + _r(rng, ALNUM, 22) + "_" + _r(rng, ALNUM, 59),
        lambda v: f"token: {v}",
    )
    add(
        "gitlab-token",
        "gitlab",
        "glpat-" + _r(rng, URLSAFE, 20),
        lambda v: f"export GITLAB_TOKEN='{v}'",
    )
    add(
        "slack-token",
        "slack",
        "xoxb-"
        + _r(rng, string.digits, 12)
        + "-"
        + _r(rng, string.digits, 13)
        + "-"
        + _r(rng, ALNUM, 24),
        lambda v: f"SLACK_BOT_TOKEN={v}",
    )
    add(
        "slack-webhook",
        "slack",
        "T"
        + _r(rng, UPPER_DIGITS, 10)
        + "/B"
        + _r(rng, UPPER_DIGITS, 10)
        + "/"
        + _r(rng, ALNUM, 24),
        lambda v: f"webhook: https://hooks.slack.com/services/{v}",
    )
    add(
        "stripe-live-key",
        "stripe",
        "sk_live_" + _r(rng, ALNUM, 99),
        lambda v: f'stripe.api_key = "{v}"',
    )
    add(
        "sendgrid-api-key",
        "sendgrid",
        "SG." + _r(rng, URLSAFE, 22) + "." + _r(rng, URLSAFE, 43),
        lambda v: f"SENDGRID_API_KEY={v}",
    )
    add("twilio-auth-token", "twilio", _r(rng, HEX, 32), lambda v: f"TWILIO_AUTH_TOKEN={v}")
    add(
        "openai-api-key",
        "openai",
        "sk-proj-" + _r(rng, URLSAFE, 156),
        lambda v: f"OPENAI_API_KEY={v}",
    )
    add(
        "anthropic-api-key",
        "anthropic",
        "sk-ant-api03-" + _r(rng, URLSAFE, 93) + "AA",
        lambda v: f'client = Anthropic(api_key="{v}")',
    )
    add(
        "huggingface-token",
        "huggingface",
        "hf_" + _r(rng, string.ascii_letters, 34),
        lambda v: f"HF_TOKEN={v}",
    )
    add(
        "npm-token",
        "npm",
        "npm_" + _r(rng, ALNUM, 36),
        lambda v: f"//registry.npmjs.org/:_authToken={v}",
    )
    add(
        "pypi-token",
        "pypi",
        "pypi-AgEIcHlwaS5vcmc" + _r(rng, URLSAFE, 120),
        lambda v: f"password = {v}",
    )
    add(
        "digitalocean-token",
        "digitalocean",
        "dop_v1_" + _r(rng, HEX, 64),
        lambda v: f"DIGITALOCEAN_TOKEN={v}",
    )
    add("heroku-api-key-in-context", "heroku", _uuid(rng), lambda v: f"HEROKU_API_KEY={v}")
    add("railway-token", "railway", _uuid(rng), lambda v: f'"RAILWAY_API_TOKEN": "{v}"')
    add("fly-token", "fly", "fo1_" + _r(rng, URLSAFE, 43), lambda v: f"FLY_API_TOKEN={v}")
    add("vercel-token", "vercel", _r(rng, ALNUM, 24), lambda v: f"VERCEL_TOKEN={v}")
    add(
        "cloudflare-api-token",
        "cloudflare",
        "cfut_" + _r(rng, ALNUM, 40) + _r(rng, HEX, 8),
        lambda v: f"CLOUDFLARE_API_TOKEN={v}",
    )
    add(
        "cloudflare-api-token-in-context",
        "cloudflare",
        _r(rng, URLSAFE, 40),
        lambda v: f"CF_API_TOKEN={v}",
    )
    add("datadog-key", "datadog", _r(rng, HEX, 32), lambda v: f"DD_API_KEY={v}")
    add(
        "azure-storage-account-key",
        "azure",
        _r(rng, B64, 86) + "==",
        lambda v: (
            "DefaultEndpointsProtocol=https;AccountName=prodstore;"
            f"AccountKey={v};EndpointSuffix=core.windows.net"
        ),
    )
    add(
        "azure-sas-token",
        "azure",
        _r(rng, ALNUM, 40) + "%3D",
        lambda v: (
            "https://prodstore.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=sco"
            f"&sp=rwdlac&se=2030-01-01T00:00:00Z&sig={v}"
        ),
    )
    add("private-key", "pem", _pem(rng, "RSA "), lambda v: v)
    add("private-key", "pem-openssh", _pem(rng, "OPENSSH "), lambda v: v)
    add("jwt", "jwt", _jwt(rng), lambda v: f"Cookie: session={v}")
    db_password = _r(rng, ALNUM, 20)
    add(
        "database-url-password",
        "postgres",
        db_password,
        lambda v: f"DATABASE_URL=postgres://app:{v}@db.prod.internal:5432/app",
    )
    mongo_password = _r(rng, ALNUM, 18)
    add(
        "database-url-password",
        "mongodb",
        mongo_password,
        lambda v: f'uri = "mongodb+srv://svc:{v}@cluster0.abcde.mongodb.net/prod"',
    )
    add("generic-secret", "generic", _r(rng, ALNUM, 32), lambda v: f'INTERNAL_SERVICE_SECRET="{v}"')
    return out


def gcp_service_account(seed: int = 11) -> tuple[str, str]:
    """A service-account JSON file (as text) and its private key as it appears in the file."""
    rng = random.Random(seed)
    key = _pem(rng, "").replace("\n", "\\n") + "\\n"
    text = (
        "{\n"
        '  "type": "service_account",\n'
        '  "project_id": "prod-project",\n'
        f'  "private_key_id": "{_r(rng, HEX, 40)}",\n'
        f'  "private_key": "{key}",\n'
        '  "client_email": "deployer@prod-project.iam.gserviceaccount.com"\n'
        "}\n"
    )
    return text, key
