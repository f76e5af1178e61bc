"""Issue 16's provider-CLI misreadings and issue 15's shell privileges, through the real
`interlock check --batch` process (the console script a hook runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# (command line, risk, decision on production)
EXPECTED = [
    # misread before: a group entry swallowed the subcommand after it
    ("supabase projects delete abcdefghijkl", "destructive", "hold"),
    ("railway environment delete staging -y", "destructive", "hold"),
    ("vercel env rm NAME production --yes", "destructive", "hold"),
    # held before: harmless calls of CLIs the table did not know
    ("neonctl projects list", "read", "allow"),
    ("nginx -s reload", "write", "allow"),
    ("rclone lsd remote:", "read", "allow"),
    ("vault kv get -mount=secret app", "read", "allow"),
    ("kafka-topics --bootstrap-server k:9092 --list", "read", "allow"),
    ("velero backup get", "read", "allow"),
    # privileges from the shell are never a write, and are held in every environment
    ("gcloud projects add-iam-policy-binding p --member=user:a --role=roles/owner", "privilege",
     "hold"),
    ("aws iam create-access-key --user-name ci", "privilege", "hold"),
    ("gh repo deploy-key add key.pub --allow-write", "privilege", "hold"),
    ("fly tokens create deploy -a app", "privilege", "hold"),
    ("git config --global credential.helper store", "privilege", "hold"),
    ("kubectl create clusterrolebinding x --clusterrole=cluster-admin --user=bob", "privilege",
     "hold"),
    # an unknown subcommand of a known CLI stays unknown
    ("neonctl projects frobnicate p", "unknown", "hold"),
]  # fmt: skip


def test_provider_clis_through_the_console_script(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("interlock")
    lines = [json.dumps({"kind": "shell", "payload": command}) for command, _, _ in EXPECTED]
    lines += [
        json.dumps({"kind": "shell", "payload": command, "env": "staging"})
        for command, risk, _ in EXPECTED
        if risk == "privilege"
    ]
    done = subprocess.run(
        [str(exe), "check", "--batch", "-"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    got = [(a["risk"], a["decision"]) for a in answers[: len(EXPECTED)]]
    assert got == [(risk, decision) for _, risk, decision in EXPECTED]
    staging = answers[len(EXPECTED) :]
    assert staging and all((a["risk"], a["decision"]) == ("privilege", "hold") for a in staging)
