"""Credential scanning cost.

`contains_secret` is what the file-read hooks call on every file an agent opens, so its
figure is for the common case: a typical 2 KB source file with no credential in it.
The per-KB figure is the full `find_secrets` on a larger mixed text (source, config and a
few planted fake tokens), the work `interlock scan` does per file.
"""

from __future__ import annotations

import random
import string

from benchmarks._timing import percentiles_us
from interlock.secrets import contains_secret, find_secrets

# A typical source file: imports, a class with a `token` attribute, a dict, a docstring.
_SOURCE = '''"""Synchronise deployment metadata with the upstream API."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from myservice.client import ApiClient, RetryPolicy
from myservice.settings import load_settings

log = logging.getLogger(__name__)


@dataclass
class SyncJob:
    """One synchronisation run: which project, which environments, how far back."""

    project_id: str
    environments: list[str] = field(default_factory=lambda: ["staging"])
    since_seconds: int = 3600
    token: str | None = None

    def run(self, client: ApiClient) -> dict[str, int]:
        settings = load_settings()
        headers = {"Accept": "application/json", "X-Request-Source": "sync-job"}
        counts: dict[str, int] = {}
        for env in self.environments:
            response = client.get(
                f"/v2/projects/{self.project_id}/deployments",
                params={"environment": env, "since": self.since_seconds},
                headers=headers,
                retry=RetryPolicy(attempts=settings.retries, backoff=0.5),
            )
            counts[env] = len(response.json().get("deployments", []))
            log.info("synced %s deployments for %s", counts[env], env)
        return counts


def write_report(counts: dict[str, int], target: Path) -> None:
    """Write the counts as JSON, sorted by environment, for the dashboard to pick up."""
    target.write_text(json.dumps(dict(sorted(counts.items())), indent=2) + "\\n")


def main() -> int:
    client = ApiClient.from_environment()
    job = SyncJob(project_id="p-1234", environments=["staging", "production"])
    write_report(job.run(client), Path("report.json"))
    return 0
'''


def _mixed_text(kb: int) -> str:
    rng = random.Random(3)
    alnum = string.ascii_letters + string.digits
    token = "ghp_" + "".join(rng.choice(alnum) for _ in range(36))
    config = f"DATABASE_HOST=db.internal\nLOG_LEVEL=info\nGITHUB_TOKEN={token}\n"
    chunk = _SOURCE + config
    return (chunk * (kb * 1024 // len(chunk) + 1))[: kb * 1024]


def run() -> dict[str, float]:
    source = _SOURCE[:2048]
    assert not contains_secret(source)
    contains = percentiles_us(lambda: contains_secret(source), iterations=5_000)
    find_clean = percentiles_us(lambda: find_secrets(source), iterations=3_000)
    mixed = _mixed_text(64)
    assert find_secrets(mixed)
    full = percentiles_us(lambda: find_secrets(mixed), iterations=200, warmup=20)
    return {
        "secrets_contains_p50_us": contains["p50"],
        "secrets_contains_p99_us": contains["p99"],
        "secrets_find_clean_2kb_p50_us": find_clean["p50"],
        "secrets_scan_p50_us_per_kb": round(full["p50"] / 64, 2),
    }
