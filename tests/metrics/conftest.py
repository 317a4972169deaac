"""Fixtures for the metrics tests: the same databases as the storage tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.db import Database
from tests.storage.dbsupport import backends, database_url, open_database


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database (SQLite file in tmp; PostgreSQL when configured)."""
    return database_url(str(request.param), tmp_path)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database."""
    async for database in open_database(db_url):
        yield database
