"""Fixtures for the feed tests: a local feed server, a hand-moved clock, a database, a fetcher."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.pipeline.fetch import Fetcher
from bot.storage.db import Database
from tests.storage.dbsupport import backends, database_url, open_database
from tests.support.feed_server import FakeClock, FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A fresh feed server on 127.0.0.1."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when the test says so."""
    return FakeClock()


@pytest.fixture
def feed_settings(settings: Settings) -> Settings:
    """The test settings with the production interval bounds (5 min - 6 h) and a cap of 5."""
    return settings.model_copy(
        update={"feed_min_interval": 300, "feed_max_interval": 6 * 3600, "feed_daily_cap": 5}
    )


@pytest.fixture(params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database (SQLite file in tmp; PostgreSQL when configured)."""
    return database_url(str(request.param), tmp_path)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated database."""
    async for database in open_database(db_url):
        yield database


@pytest.fixture
async def fetcher(feed_settings: Settings) -> AsyncIterator[Fetcher]:
    """The pipeline's fetcher, allowed to reach 127.0.0.1."""
    client = Fetcher(feed_settings)
    yield client
    await client.aclose()
