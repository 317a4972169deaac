"""The database: async engine, sessions and programmatic Alembic migrations (in progress)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession


class Database:
    """One async engine for a SQLite file or PostgreSQL, plus its migrations."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic upgrade head)."""
        raise NotImplementedError

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        raise NotImplementedError
        yield  # pragma: no cover

    async def dispose(self) -> None:
        """Close every pooled connection."""
        raise NotImplementedError
