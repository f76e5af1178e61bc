"""Each storage interface is tested through a fixture per implementation (SQLite today), so
a PostgreSQL implementation joins by adding a parameter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.state import (
    ApprovalStorage,
    BaselineStorage,
    IdentityStorage,
    SQLiteApprovalStorage,
    SQLiteBaselineStorage,
    SQLiteIdentityStorage,
    SQLiteWebhookStorage,
    WebhookStorage,
)


@pytest.fixture(params=["sqlite"])
def approvals(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ApprovalStorage]:
    storage = SQLiteApprovalStorage(tmp_path / "state.db")
    yield storage
    storage.close()


@pytest.fixture(params=["sqlite"])
def identity(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IdentityStorage]:
    storage = SQLiteIdentityStorage(tmp_path / "state.db")
    yield storage
    storage.close()


@pytest.fixture(params=["sqlite"])
def webhooks(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WebhookStorage]:
    storage = SQLiteWebhookStorage(tmp_path / "state.db")
    yield storage
    storage.close()


@pytest.fixture(params=["sqlite"])
def baselines(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaselineStorage]:
    storage = SQLiteBaselineStorage(tmp_path / "state.db")
    yield storage
    storage.close()
