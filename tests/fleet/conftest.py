"""Fixtures of the fleet tests: the fakes, a web or worker process, the job rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import Database
from tests.support.fleet import RoleProcess

# The bot tests' fakes, shared rather than copied: the Bot API server, the article server, the
# fake gTTS, and the guard against aiohttp's multipart deprecation inside the fake's thread.
from tests.telegram.conftest import (  # noqa: F401
    _aiohttp_multipart_deprecation,
    articles,
    fake,
    gtts,
)


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
