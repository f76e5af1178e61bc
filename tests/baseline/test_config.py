"""[baseline] and [breaker]: typed, checked, one line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.config import BaselineSettings, BreakerSettings, parse_config
from interlock.errors import ConfigError


def test_defaults_apply_to_an_empty_file() -> None:
    config = parse_config("", Path("/x/interlock.toml"))
    assert config.baseline == BaselineSettings()
    assert config.breaker == BreakerSettings()


def test_values_are_read() -> None:
    text = (
        '[baseline]\nlearning_actions = 5\nlearning_period = "0s"\nhigh = 60\n'
        '[breaker]\ndenials = 0\nwindow = "2m"\n'
    )
    config = parse_config(text, Path("/x/interlock.toml"))
    assert config.baseline.learning_actions == 5 and config.baseline.learning_period == 0
    assert config.baseline.high == 60
    assert config.breaker.denials == 0 and config.breaker.window == 120


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[baseline]\nmedium = 60\n", "the levels must rise"),
        ("[baseline]\nrate_factor = 0.5\n", "rate_factor must be"),
        ('[baseline]\nlearning_actions = "many"\n', "learning_actions must be"),
        ("[breaker]\ndenials = -1\n", "denials must be"),
        ("[breaker]\ntrips = 3\n", "unknown key(s) trips"),
    ],
)
def test_mistakes_are_one_line(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(text, Path("/x/interlock.toml")).check()
    assert says in str(refused.value) and "\n" not in str(refused.value)
