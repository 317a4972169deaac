"""Fixtures of the fleet tests: the fakes, a web or worker process, the job rows."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import Database
from tests.support.article_server import ArticleServer
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram
from tests.support.fleet import RoleProcess


@pytest.fixture(autouse=True)
def _aiohttp_multipart_deprecation() -> Iterator[None]:
    """aiohttp's multipart reader (inside the fake server's thread) calls its own deprecated
    `unread_data` on some chunk boundaries; with warnings as errors the fake answered 500."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "unread_data", DeprecationWarning)
        yield


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """A fresh fake Bot API server."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def articles() -> Iterator[ArticleServer]:
    """A local article server."""
    with ArticleServer() as server:
        yield server


@pytest.fixture
def gtts() -> Iterator[FakeGTTS]:
    """The local fake of Google's TTS endpoint."""
    server = FakeGTTS().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def processes() -> Iterator[list[RoleProcess]]:
    """Processes started by a test, all stopped afterwards."""
    started: list[RoleProcess] = []
    yield started
    for process in started:
        process.close()


async def job_states(url: str) -> dict[str, int]:
    """How many job rows are in each state."""
    db = Database(url)
    try:
        async with db.session() as session:
            rows = await session.execute(text("SELECT state, count(*) FROM jobs GROUP BY state"))
            return {str(state): int(n) for state, n in rows}
    finally:
        await db.dispose()


def data_dir_url(data: Path) -> str:
    """The default SQLite database of a data directory."""
    return f"sqlite+aiosqlite:///{(data / 'hoerclub.sqlite3').as_posix()}"
