"""PostgreSQL beyond tables: LISTEN for new jobs and advisory locks for one-at-a-time duties.

Both need a connection of their own that lives as long as the process (a pooled session would
drop the LISTEN or the lock when it goes back to the pool), so this is the one module that talks
to asyncpg directly. asyncpg is imported lazily: SQLite installations do without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Final

from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

# The channel a submitted (or requeued) job is announced on, in the same transaction.
JOBS_CHANNEL: Final = "hoerclub_jobs"
# A lost listening connection is reopened after this long (seconds); the workers' slow poll
# covers the gap.
RECONNECT_SECONDS: Final = 2.0
# Seconds a lock-holding connection may take to answer a liveness check before it counts as lost.
PING_TIMEOUT: Final = 5.0


def asyncpg_dsn(url: str) -> str:
    """The plain ``postgresql://`` DSN asyncpg takes, from our SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _connect(url: str) -> Any:
    import asyncpg  # noqa: PLC0415 — only PostgreSQL installations have it

    return await asyncpg.connect(asyncpg_dsn(url))


class JobListener:
    """LISTENs on the jobs channel and calls `on_job` for every notification (reconnecting)."""

    def __init__(self, url: str, on_job: Callable[[], None]) -> None:
        self._url = url
        self._on_job = on_job
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        """Start listening in a background task; returns at once."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="hoerclub-job-listener")

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _notified(self, *_args: object) -> None:
        self._on_job()

    async def _run(self) -> None:
        while True:
            conn = None
            try:
                conn = await _connect(self._url)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(JOBS_CHANNEL, self._notified)
                self.connected.set()
                logger.info("listening for new jobs on %s", JOBS_CHANNEL)
                self._on_job()  # anything submitted while we were not listening
                await lost.wait()
                logger.warning("the job listener lost its connection; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("job listener: %r; retrying in %.0f s", exc, RECONNECT_SECONDS)
            finally:
                self.connected.clear()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), PING_TIMEOUT)
            await asyncio.sleep(RECONNECT_SECONDS)


class AdvisoryLock:
    """A session-level advisory lock on a connection of its own; gone when the process dies.

    PostgreSQL releases it as soon as the holding connection ends, so a killed holder's lock is
    free for the next `try_acquire` of another process.
    """

    def __init__(self, url: str, key: int) -> None:
        self._url = url
        self._key = key
        self._conn: Any = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock (as far as it knows)."""
        return self._conn is not None

    async def try_acquire(self) -> bool:
        """Take the lock if free; True when held afterwards."""
        if self._conn is not None:
            return True
        conn = await _connect(self._url)
        try:
            got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", self._key))
        except BaseException:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def still_held(self) -> bool:
        """Check that the holding connection is alive; on failure the lock counts as lost."""
        conn = self._conn
        if conn is None:
            return False
        try:
            await asyncio.wait_for(conn.fetchval("SELECT 1"), PING_TIMEOUT)
        except Exception as exc:
            logger.warning("the connection holding lock %#x is gone: %r", self._key, exc)
            await self.release()
            return False
        return True

    async def release(self) -> None:
        """Give the lock up by closing its connection."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), PING_TIMEOUT)
            if not conn.is_closed():
                conn.terminate()
