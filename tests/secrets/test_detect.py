"""Detection of each provider's format, and silence on look-alikes that are not secrets."""

from __future__ import annotations

import pytest

from interlock.secrets import (
    RULES,
    Confidence,
    contains_secret,
    find_secrets,
    redact_secrets,
)
from tests.secrets._fakes import Plant, gcp_service_account, plants

PLANTS = plants()


@pytest.mark.parametrize("plant", PLANTS, ids=lambda p: f"{p.provider}:{p.rule}")
def test_each_provider_format_is_found_exactly(plant: Plant) -> None:
    text = f"# config\n{plant.line}\n# end\n"
    findings = find_secrets(text, path="conf.env")
    spans = [(f.rule, text[f.start : f.end]) for f in findings]
    assert (plant.rule, plant.value) in spans
    finding = next(f for f in findings if f.rule == plant.rule)
    assert finding.confidence.rank >= Confidence.MEDIUM.rank
    assert finding.line == 2
    assert finding.length == len(plant.value)
    assert contains_secret(text)


def test_at_least_twenty_providers_are_planted() -> None:
    assert len({p.provider for p in PLANTS}) >= 20
    assert {p.rule for p in PLANTS} <= {r.id for r in RULES}


def test_gcp_service_account_json_is_found_as_such() -> None:
    text, key = gcp_service_account()
    findings = find_secrets(text)
    assert [f.rule for f in findings] == ["gcp-service-account"]
    found = text[findings[0].start : findings[0].end]
    assert found.startswith("-----BEGIN PRIVATE KEY-----") and found in key
    assert findings[0].line == 5


def test_finding_never_holds_or_prints_the_secret() -> None:
    for plant in PLANTS:
        for finding in find_secrets(plant.line):
            for rendered in (repr(finding), str(finding), str(finding.to_json())):
                assert plant.value not in rendered
            assert len(finding.preview.split("…")[0]) <= 4


def test_column_is_one_based() -> None:
    plant = next(p for p in PLANTS if p.rule == "github-token")
    (finding,) = find_secrets("x\n  " + plant.value)
    assert (finding.line, finding.column) == (2, 3)


# Ordinary source that looks a little like a credential and is not one.
BENIGN = [
    'commit = "3f786850e387550fdab836ed7e6dc881de23001b"',
    "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    'request_id = "123e4567-e89b-12d3-a456-426614174000"',
    'data = "SGVsbG8sIFdvcmxkISBUaGlzIGlzIGEgYmFzZTY0IHRlc3Qgc3RyaW5nLg=="',
    'password = os.environ["DB_PASSWORD"]',
    'password = os.getenv("DB_PASSWORD")',
    "token = get_token()",
    "token = self.session.token",
    "api_key = settings.API_KEY",
    "secret = secrets.token_hex(32)",
    "def __init__(self, private_key: Ed25519PrivateKey) -> None:",
    "def connect(token: str | None = None, password: Optional[str] = None): ...",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
    '"integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17'
    'LhbZVGedAJv8XZ1tvj5FvSg=="',
    "resolved https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz#679591c564c3bffaae8454",
    "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
    "RAILWAY_TOKEN=${RAILWAY_TOKEN}",
    "api_key: <your-api-key>",
    'API_KEY = "changeme"',
    "SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxx",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    'token_type = "bearer_access_token_v2"',
    'password_hash = "pbkdf2_sha256$260000$abc123def456"',
    "token_url = https://oauth2.googleapis.com/token",
    "-----BEGIN RSA PRIVATE KEY-----  (the marker alone, as in documentation)",
    "postgres://user:password@localhost:5432/app",
    "DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app",
    "Authorization: Bearer $TOKEN",
    "x = 'ghp_' + 'A' * 36",
    "ghp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "e2e0b2b5c5c6a1b0f4e8d7c6b5a4f3e2d1c0b9a8 refs/heads/main",
    'cache_key = "user:42:profile:v3"',
    "key = hashlib.sha256(data).hexdigest()",
    'os.environ["OPENAI_API_KEY"] = api_key',
    "the token expires in 3600 seconds; refresh it with the refresh_token grant",
]


@pytest.mark.parametrize("text", BENIGN)
def test_benign_look_alikes_are_not_reported(text: str) -> None:
    reported = [f for f in find_secrets(text) if f.confidence.rank >= Confidence.MEDIUM.rank]
    assert reported == [], [str(f) for f in reported]
    assert not contains_secret(text)


def test_low_confidence_is_kept_apart() -> None:
    findings = find_secrets('password = "hunter22"\nSTRIPE=sk_test_' + "aB3dE5gH7jK9mN1pQ3rS5tU7")
    assert {f.rule for f in findings} == {"password-assignment", "stripe-test-key"}
    assert all(f.confidence is Confidence.LOW for f in findings)
    assert not contains_secret('password = "hunter22"')
    assert contains_secret('password = "hunter22"', min_confidence=Confidence.LOW)


def test_ignore_marker_silences_one_line() -> None:
    plant = next(p for p in PLANTS if p.rule == "github-token")
    text = f"{plant.line}  # interlock:ignore-secret\n{plant.line}\n"
    assert [f.line for f in find_secrets(text)] == [2]


def test_redact_replaces_each_secret_with_its_rule() -> None:
    text = "\n".join(p.line for p in PLANTS)
    redacted = redact_secrets(text)
    for plant in PLANTS:
        assert plant.value not in redacted
    assert "[redacted:github-token]" in redacted
    assert "[redacted:aws-access-key-id]" in redacted
    assert "DATABASE_URL=postgres://app:[redacted:database-url-password]@db.prod.internal" in (
        redacted
    )
    assert find_secrets(redacted) == []


def test_many_secrets_in_one_text_are_all_found() -> None:
    text = "\n".join(p.line for p in PLANTS)
    found = {(f.rule, text[f.start : f.end]) for f in find_secrets(text)}
    for plant in PLANTS:
        assert (plant.rule, plant.value) in found


def test_windows_line_endings_and_unicode_keep_positions() -> None:
    plant = next(p for p in PLANTS if p.rule == "github-token")
    text = "İstanbul ünïcode\r\n" + plant.line + "\r\n"
    (finding,) = find_secrets(text)
    assert text[finding.start : finding.end] == plant.value
    assert finding.line == 2
