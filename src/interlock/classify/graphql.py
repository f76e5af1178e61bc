"""Placeholder graphql classifier: everything is unknown until the real one lands."""

from __future__ import annotations

from interlock.model import Action, unknown_action


def classify(payload: object, depth: int) -> list[Action]:
    return [unknown_action("graphql", "no graphql classifier yet")]
