"""The database: one async engine, short transactional sessions and programmatic migrations.

Migrations live in ``bot/storage/migrations`` and run without an ``alembic.ini``, so they ship
inside the package.  SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` transactions (so that
a read-then-write transaction never fails half-way on a lock upgrade); PostgreSQL (asyncpg) needs
nothing special.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.errors import StorageUnavailableError
from bot.storage.health import DatabaseWatch, ProblemLog, storage_problem

logger = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).parent / "migrations"
# PostgreSQL advisory lock id held while migrating (arbitrary, unique within this application).
MIGRATE_LOCK_ID: Final = 0x48_6F_65_72_02

# How long SQLite waits for another connection's write lock before "database is locked".
# 15 s covers a stalled writer in another process (the crash tests) with room to spare.
SQLITE_BUSY_TIMEOUT_MS: Final = 15_000


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (and at a connection, if given)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


class Database:
    """One async engine for a SQLite file or PostgreSQL, plus its migrations."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
                # One connection per process: SQLite has one writer anyway, and queueing in
                # asyncio is fairer and cheaper than SQLite's sleeping busy handler.
                kwargs.update(pool_size=1, max_overflow=0)
        else:
            kwargs.update(pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # A SQLite file deleted or replaced under the open connection would take every write
        # into a file nobody will open again: each session looks first (one stat call).
        self._watch = DatabaseWatch(url)
        self._problems = ProblemLog()

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic upgrade head); idempotent."""
        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Several processes starting at once migrate one after the other.
                await conn.execute(select(func.pg_advisory_xact_lock(MIGRATE_LOCK_ID)))
            await conn.run_sync(_upgrade_head)
        self._watch.arm()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error.

        A database that cannot be used (its file damaged, deleted or unwritable) raises
        StorageUnavailableError, and the operator reads about it once a minute.
        """
        gone = self._watch.problem()
        if gone is not None:
            self._problems.report(
                "gone", f"database cannot be used: {gone}; restore it and restart the bot"
            )
            raise StorageUnavailableError(gone)
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except StorageUnavailableError:
            raise
        except Exception as exc:
            problem = storage_problem(exc)
            if problem is None:
                raise
            self._problems.report(
                "broken",
                f"database cannot be used: {problem}; restore a backup "
                "(hoerclub maintenance --backup makes one) and restart the bot",
            )
            raise StorageUnavailableError(problem) from exc

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _upgrade_head(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, busy timeout, foreign keys, and BEGIN IMMEDIATE instead of the driver's lazy BEGIN."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see the SQLAlchemy docs, "sqlite_transactions").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode")
            row = cursor.fetchone()
            if not row or str(row[0]).lower() != "wal":
                # WAL is a property of the file: set once, it stays.  Two connections opening
                # a new file at once may both try; the loser gets "locked" without waiting for
                # the busy timeout, and the winner's switch is all that is needed.
                try:
                    cursor.execute("PRAGMA journal_mode = WAL")
                except Exception as exc:
                    if "locked" not in str(exc):
                        raise
                    logger.debug("another connection is switching the file to WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
