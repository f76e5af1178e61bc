"""Credentials Interlock did not issue, carried by a shell command (`_foreign.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlock.classify import classify
from interlock.model import FOREIGN_CREDENTIAL_PROTOCOL
from tests.classify.corpus import workspace


def foreign(command: str) -> list[str]:
    return [
        a.reason for a in classify("shell", command) if a.protocol == FOREIGN_CREDENTIAL_PROTOCOL
    ]


@pytest.mark.parametrize(
    "command",
    [
        "curl -H 'Authorization: Bearer 8f2d9c1e7b3a4f6d0e5c9b8a7f6e5d4c' https://api.x.io",  # interlock:ignore-secret (fake)
        "curl -H 'Private-Token: 9a8b7c6d5e4f3a2b' https://gitlab.example.com/api/v4/projects",  # interlock:ignore-secret (fake)
        "curl --header 'X-Api-Key: q7w8e9r0t1y2u3i4' https://api.example.com",  # interlock:ignore-secret (fake)
        "curl https://deploy:s3cr3tPassw0rd@api.example.com/v1/apps",
        "git clone https://x-access-token:Tk9a8b7c6d5e4f3a@github.com/o/r.git",  # interlock:ignore-secret (fake)
        "curl 'https://api.example.com/x?access_token=9c8b7a6d5e4f3a2b1c0d'",  # interlock:ignore-secret (fake)
        "GITHUB_TOKEN=ghp_R4nd0mT0k3nV4lu3W1thD1g1tsQ8w7e6r5t4y3 gh repo delete o/r --yes",  # interlock:ignore-secret (fake)
        "export RAILWAY_TOKEN=7f3e9a1c5b2d8f4e6a0c; railway down",  # interlock:ignore-secret (fake)
        "PGPASSWORD=Sup3rS3cret psql -h db.prod.internal -U app",
        "railway --token 1f2e3d4c5b6a7988 down",
        "vercel --token=Qw8Er7Ty6Ui5Op4A remove app",  # interlock:ignore-secret (fake)
        "curl -u admin:hunter22x https://api.example.com",
        "docker login -u me -p Passw0rd1234 registry.example.com",
        "mysql -h db.example.com -uroot -pS3cretPass1 -e 'DROP DATABASE x'",
        "TOKEN=$(grep -o 'tok_[a-z0-9]*' config/settings.yml); "
        'curl -H "Authorization: Bearer $TOKEN" https://api.example.com',
        'curl -H "Authorization: Bearer $(cat .secrets/token)" https://api.example.com',
        'curl -H "Authorization: Bearer `cat token.txt`" https://api.example.com',
        'source .env && curl -H "X-Api-Key: $API_KEY" https://api.example.com',
        'set -a; . ./.env; set +a; curl -H "Authorization: Bearer $T" https://api.x.io',
        'export $(cat .env | xargs) && curl -H "Authorization: Bearer $T" https://api.x.io',
        'read -r TOKEN < ~/.config/x/token; curl -H "Authorization: Bearer $TOKEN" https://x.io',
        "bash -c \"curl -H 'Authorization: Bearer 8f2d9c1e7b3a4f6d0e5c' https://api.x.io\"",  # interlock:ignore-secret (fake)
    ],
)
def test_foreign_credentials_are_found(command: str) -> None:
    reasons = foreign(command)
    assert reasons, command
    assert all("not one Interlock issued" in r for r in reasons)


@pytest.mark.parametrize(
    "command",
    [
        'curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/user',
        'curl -H "Authorization: token $(gh auth token)" https://api.github.com',
        "curl -H 'Authorization: Bearer ilk_0123abcd4567efgh89' https://proxy.internal/x",  # interlock:ignore-secret (fake)
        "curl -H 'Authorization: Bearer <your-token>' https://api.example.com",
        "curl -H 'Authorization: Bearer ${API_TOKEN}' https://api.example.com",
        "curl -H 'Content-Type: application/json' https://api.example.com",
        "gh auth status",
        "gh auth login --with-token < token.txt",
        "PGPASSWORD=postgres psql -U postgres -c 'select 1'",
        "PGPASSWORD=secret psql -h localhost -U app -c 'select 1'",
        "mysql -uroot -proot -e 'show databases'",
        "curl -u admin:admin http://localhost:8080/api",
        "curl -u admin http://api.example.com",
        "TOKENIZERS_PARALLELISM=false python train.py",
        "SECRET_KEY=dummy python manage.py collectstatic",
        "NPM_TOKEN=xxxxxxxxxxxxxxxx npm publish --dry-run",
        "GIT_ASKPASS=/usr/bin/true git fetch",
        "export HF_TOKEN_PATH=~/.cache/hf/token",
        "echo token",
    ],
)
def test_everyday_credential_handling_is_not_foreign(command: str) -> None:
    assert foreign(command) == [], command


def test_the_everyday_corpus_carries_no_foreign_credential(tmp_path: Path) -> None:
    root = workspace.build(tmp_path)
    found = [
        c
        for c in workspace.commands()
        if any(
            a.protocol == FOREIGN_CREDENTIAL_PROTOCOL for a in classify("shell", c, cwd=str(root))
        )
    ]
    assert found == []


_SECRET = st.text(
    alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=12, max_size=40
)


@settings(max_examples=150, deadline=None)
@given(_SECRET, st.sampled_from(["Authorization: Bearer ", "X-Api-Key: ", "Private-Token: "]))
def test_a_literal_in_a_header_is_foreign_and_never_shown(secret: str, header: str) -> None:
    actions = classify("shell", f"curl -H '{header}{secret}' https://api.example.com/x")
    found = [a for a in actions if a.protocol == FOREIGN_CREDENTIAL_PROTOCOL]
    if len(set(secret)) > 4 and not any(
        w in secret.lower() for w in ("example", "xxxxx", "dummy", "insert", "sample")
    ):
        assert found
    for action in actions:
        assert secret not in str(action.to_json())


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(text: str) -> None:
    classify("shell", f"curl -H {text!r} https://x.io/?token={text[:20]!r}")
