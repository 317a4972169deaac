"""Database fixtures shared by tests/storage and tests/jobs: SQLite by default, PostgreSQL opt-in.

Set ``HOERCLUB_TEST_POSTGRES_URL`` (e.g. ``postgresql+asyncpg://u:p@127.0.0.1/hoerclub_test``) to
run every database test against PostgreSQL too; that database is wiped before each test.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import Database
from bot.storage.models import Base

POSTGRES_ENV = "HOERCLUB_TEST_POSTGRES_URL"


def backends() -> list[object]:
    """The database backends to run against: always SQLite, PostgreSQL when configured."""
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(POSTGRES_ENV):
        params.append(pytest.param("postgres", id="postgres"))
    return params


def database_url(backend: str, tmp_path: Path) -> str:
    """A URL for a fresh database of that backend."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{(tmp_path / 'db' / 'hoerclub.sqlite3').as_posix()}"
    return os.environ[POSTGRES_ENV]


async def wipe(url: str) -> None:
    """Drop every table of ours (PostgreSQL only; SQLite files are fresh per test)."""
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        await db.dispose()


async def open_database(url: str) -> AsyncIterator[Database]:
    """A migrated database, disposed afterwards."""
    if not url.startswith("sqlite"):
        await wipe(url)
    db = Database(url)
    await db.migrate()
    try:
        yield db
    finally:
        await db.dispose()
