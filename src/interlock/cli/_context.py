"""Building the checker a command needs from the home, or from the built-in defaults."""

from __future__ import annotations

from pathlib import Path

from interlock.checking import Checker
from interlock.errors import ConfigError
from interlock.gate import Gate
from interlock.home import find_home
from interlock.identity import registered_agents, registered_resources, resource_targets
from interlock.policy import load_policies


def make_checker(
    home_dir: Path | None, policies: list[Path] | None = None, *, record: bool = False
) -> Checker:
    """A checker on the home's policies and resources (or the defaults when there is no home).

    `policies` overrides the policy files; `record` writes each decision to the audit log.
    """
    home = find_home(home_dir)
    bundle = load_policies(policies) if policies else (home.load_policies() if home else None)
    gate = Gate(bundle)
    if home is None:
        if record:
            raise ConfigError("--record needs an Interlock home: run `interlock init` first")
        return Checker(gate)
    return Checker(
        gate,
        # interlock.toml wins over the registry (`resource add` refuses a name it has).
        resources={**registered_resources(home), **home.load_config().resources},
        audit=home.audit_log() if record else None,
        agents=registered_agents(home),
        targets=resource_targets(home),
    )
