"""Every test runs with its own user-level config directory: `interlock init` without --home
writes there, and no test can find (or change) a real `~/.config/interlock` on the machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline anywhere: the machines are shared, so a slow moment would fail a
# property for the wrong reason. Speed is measured by `make bench`, not asserted in tests.
settings.register_profile("interlock", deadline=None)
settings.load_profile("interlock")


@pytest.fixture(autouse=True)
def _own_user_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    config = tmp_path_factory.mktemp("xdg-config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config
