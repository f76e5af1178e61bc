"""Issue 14, "one environment for everything": each action is judged where it acts.

Every example runs through the real `interlock check` process (one batch per test, so one
process answers many lines), with the facts a hook would give it: the working directory with
its env files, the kubeconfig, the Terraform workspace, and a home's registered resources.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = Path(sys.executable).with_name("interlock")
PROD_URL = "postgres://app:pw@db.prod.internal:5432/orders"  # a password the output never shows


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("INTERLOCK_HOME", "KUBECONFIG")}
    return subprocess.run(
        [str(EXE), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
        check=False,
    )


def batch(lines: list[dict[str, object]], env: dict[str, str] | None = None) -> list[dict]:
    done = run("check", "--batch", "-", stdin="\n".join(json.dumps(x) for x in lines), env=env)
    assert done.returncode == 0, done.stderr
    return [json.loads(x) for x in done.stdout.splitlines()]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / ".env").write_text(f'DATABASE_URL="{PROD_URL}"\nDEBUG=true\n')
    return root


def shell(command: str, **extra: object) -> dict[str, object]:
    return {"kind": "shell", "payload": command, **extra}


def test_staging_no_longer_allows_what_the_issue_lists(project: Path) -> None:
    answers = batch(
        [
            shell("rm -rf ~", env="staging"),
            shell("rm -rf /", env="staging"),
            shell("terraform workspace select prod && terraform destroy", env="staging"),
            shell("TF_WORKSPACE=prod terraform destroy -auto-approve", env="staging"),
            shell("terraform destroy -var-file=prod.tfvars", env="staging"),
            shell("psql $DATABASE_URL -c 'DROP TABLE orders'", env="staging", cwd=str(project)),
            shell("kubectl --context prod-eu delete namespace shop", env="staging"),
            shell("aws s3 rm s3://orders --recursive --profile production", env="staging"),
            shell("gcloud sql instances delete orders --project acme-prod", env="staging"),
            shell("DATABASE_URL=postgres://db.prod.internal/app rails db:drop", env="staging"),
            shell("ssh prod-db 'rm -rf /var/lib/postgresql'", env="staging"),
        ]
    )
    for answer in answers:
        # (`rm -rf ~` and `rm -rf /` also reach Interlock's own home: self-protection denies)
        assert answer["decision"] in ("hold", "deny"), answer
        held = [a for a in answer["actions"] if a["decision"] == "hold"]
        assert all(a["environment"] == "production" for a in held), answer
    assert answers[0]["actions"][0]["resource"] == "local:home"
    assert answers[1]["actions"][0]["resource"] == "local:system"
    psql = answers[5]["actions"][0]
    assert "DATABASE_URL in .env points to db.prod.internal/orders" in psql["target"]
    assert "pw" not in json.dumps(answers[5])  # the URL's password never comes out


def test_staging_still_allows_staging_work(project: Path) -> None:
    answers = batch(
        [
            shell("terraform destroy", env="staging"),  # no workspace named: the configured one
            shell("kubectl delete pod web-1", env="staging"),
            shell("psql $OTHER_URL -c 'DROP TABLE t'", env="staging", cwd=str(project)),
            shell("rm -rf build && npm run build", env="staging", cwd=str(project)),
            shell("ls -la && git status", env="staging", cwd=str(project)),
        ]
    )
    assert [a["decision"] for a in answers[:3]] == ["allow", "allow", "allow"]
    assert answers[4]["decision"] == "allow"
    assert answers[4]["actions"][0]["resource"] == "local:workspace"


def test_the_selected_workspace_and_the_kube_context_are_read_from_the_cwd(
    project: Path, tmp_path: Path
) -> None:
    (project / ".terraform").mkdir()
    (project / ".terraform" / "environment").write_text("production\n")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\ncurrent-context: prod-cluster\nkind: Config\n")
    answers = batch(
        [
            shell("terraform destroy", env="staging", cwd=str(project)),
            shell("kubectl delete ns shop", env="staging", cwd=str(project)),
            shell("kubectl --context kind-dev delete ns shop", env="staging", cwd=str(project)),
        ],
        env={"KUBECONFIG": str(kubeconfig)},
    )
    assert answers[0]["decision"] == "hold"
    assert "selected Terraform workspace production" in answers[0]["actions"][0]["target"]
    assert answers[1]["decision"] == "hold"
    assert "current kube context prod-cluster" in answers[1]["actions"][0]["target"]
    assert answers[2]["decision"] == "allow"  # a context named elsewhere: the configured env


def test_registered_resources_decide_by_host_and_declared_names(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"INTERLOCK_HOME": str(home)}
    assert run("init", env=env).returncode == 0
    config = home / "interlock.toml"
    config.write_text(
        config.read_text()
        + '\n[resources.orders-staging]\nkind = "postgres"\nenvironment = "staging"\n'
        'upstream = "postgres://db.stg.internal:5432/orders"\n'
        'targets = ["context:eu-shop", "tf-workspace:blue"]\n'
        '\n[resources.orders-db]\nkind = "postgres"\nenvironment = "production"\n'
        'upstream = "postgres://10.0.0.5:5432/orders"\n'
    )
    answers = batch(
        [
            # production default, but the host is a registered staging resource
            shell("psql postgres://db.stg.internal/orders -c 'DROP TABLE carts'"),
            shell("kubectl --context eu-shop delete ns shop"),
            shell("TF_WORKSPACE=blue terraform destroy"),
            # staging default, but the address is the registered production database
            shell("psql -h 10.0.0.5 -d orders -c 'DROP TABLE carts'", env="staging"),
            # one target known, one not: the configured environment (fail closed)
            shell(
                "pg_dump postgres://db.stg.internal/orders | psql postgres://db.other/x",
            ),
        ],
        env=env,
    )
    assert [a["decision"] for a in answers[:3]] == ["allow", "allow", "allow"]
    assert answers[0]["actions"][0]["resource"] == "orders-staging"
    assert "registered resource orders-staging (staging)" in answers[1]["actions"][0]["target"]
    assert answers[3]["decision"] == "hold"
    assert answers[3]["actions"][0]["resource"] == "orders-db"
    assert answers[4]["actions"][-1]["environment"] == "production"


CREDENTIAL_CASES = [
    "curl -X POST https://backboard.railway.app/graphql/v2 "
    "-H 'Authorization: Bearer 8f2d9c1e7b3a4f6d0e5c9b8a7f6e5d4c' "  # interlock:ignore-secret (fake)
    """-d '{"query":"mutation { volumeDelete(volumeId: \\"vol-1\\") }"}'""",
    "curl https://deploy:s3cr3tPassw0rd@api.example.com/v1/apps",
    "curl 'https://api.example.com/v1/apps?api_key=9c8b7a6d5e4f3a2b1c0d'",  # interlock:ignore-secret (fake)
    "RAILWAY_TOKEN=7f3e9a1c5b2d8f4e6a0c railway up",  # interlock:ignore-secret (fake)
    "railway --token 1f2e3d4c5b6a7988 down",
    "TOKEN=$(grep -o 'tok_[a-z0-9]*' config/settings.yml); "
    'curl -H "Authorization: Bearer $TOKEN" https://api.example.com',
    'curl -H "Authorization: Bearer $(cat .secrets/token)" https://api.example.com',
    'source .env && curl -H "X-Api-Key: $API_KEY" https://api.example.com',
]


@pytest.mark.parametrize("env", ["staging", "development", "production"])
def test_credentials_interlock_did_not_issue_are_refused_everywhere(env: str) -> None:
    answers = batch([shell(c, env=env) for c in CREDENTIAL_CASES])
    for command, answer in zip(CREDENTIAL_CASES, answers, strict=True):
        assert answer["decision"] == "deny", command
        assert "interlock-foreign-credential" in answer["policies"]
        assert any("scoped Interlock token" in r for r in answer["reasons"])
        text = json.dumps(answer)
        for secret in ("8f2d9c1e7b3a4f6d0e5c", "s3cr3tPassw0rd", "9c8b7a6d5e4f", "7f3e9a1c5b2d"):
            assert secret not in text


def test_everyday_credential_use_is_not_refused() -> None:
    commands = [
        'curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/user',
        "gh auth status",
        'curl -H "Authorization: Bearer ilk_0123abcd4567efgh" https://proxy.internal/x',  # interlock:ignore-secret (fake)
        "PGPASSWORD=postgres psql -U postgres -c 'select 1'",
        "curl -u admin:admin http://localhost:8080/api/health",
        "TOKENIZERS_PARALLELISM=false python -c 'print(1)'",
    ]
    answers = batch([shell(c, env="staging") for c in commands])
    for command, answer in zip(commands, answers, strict=True):
        assert "interlock-foreign-credential" not in answer["policies"], command


def test_explain_shows_where_and_why(project: Path) -> None:
    done = run(
        "policy",
        "explain",
        "shell",
        "psql $DATABASE_URL -c 'DROP TABLE orders'",
        "--env",
        "staging",
        "--cwd",
        str(project),
        env={"COLUMNS": "300"},
    )
    assert done.returncode == 0, done.stderr
    assert "acts on: unregistered-production-target (production)" in done.stdout
    assert "DATABASE_URL in .env points to db.prod.internal/orders" in done.stdout
    assert "hold-destructive-production" in done.stdout
    assert ":pw@" not in done.stdout
    done = run("policy", "explain", "shell", "rm -rf ~", "--env", "staging", env={"COLUMNS": "300"})
    assert "acts on: local:home (production)" in done.stdout
