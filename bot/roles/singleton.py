"""Duties one process of a fleet runs at a time: the feed dispatcher and the upkeep sweeps.

On PostgreSQL a session-level advisory lock on a connection of its own decides who runs them;
the others try again every RETRY_SECONDS, so when the holder dies (its connection ends and the
lock with it) another process takes over within that time. On SQLite there is one process
and the lock is always ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from bot.storage.db import Database
from bot.storage.pgsignals import AdvisoryLock

logger = logging.getLogger(__name__)

# Lock id of the singleton duties (arbitrary; unique within this application, beside the
# migration lock in bot.storage.db).
SINGLETON_LOCK_ID: Final = 0x48_6F_65_72_03
# How often a process without the lock tries to take it, and the holder checks it still has
# it: a dead holder is replaced within this many seconds, well inside a minute.
RETRY_SECONDS: Final = 10.0


class SingletonDuties:
    """Runs `start` while this process holds the fleet's singleton lock and `stop` on losing it."""

    def __init__(
        self,
        db: Database,
        start: Callable[[], Awaitable[None]],
        stop: Callable[[], Awaitable[None]],
        *,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._db = db
        self._start = start
        self._stop = stop
        self._retry = retry_seconds
        self._lock = (
            None
            if db.is_sqlite
            else AdvisoryLock(db.url.render_as_string(hide_password=False), SINGLETON_LOCK_ID)
        )
        self._task: asyncio.Task[None] | None = None
        self.running = False

    def begin(self) -> None:
        """Start trying for the lock in a background task; returns at once."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="hoerclub-singleton")

    async def end(self) -> None:
        """Stop the duties (if ours) and give the lock back."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await self._step_down()
        if self._lock is not None:
            await self._lock.release()

    async def _step_down(self) -> None:
        if self.running:
            self.running = False
            await self._stop()

    async def _run(self) -> None:
        if self._lock is None:
            self.running = True
            await self._start()
            return
        lock = self._lock
        while True:
            try:
                if lock.held:
                    if not await lock.still_held():
                        logger.warning("singleton duties lost with their lock; stepping down")
                        await self._step_down()
                elif await lock.try_acquire():
                    logger.info("singleton duties taken: feeds and upkeep run in this process")
                    self.running = True
                    await self._start()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("singleton lock: %r; trying again", exc)
                with contextlib.suppress(Exception):
                    await self._step_down()
                    await lock.release()
            await asyncio.sleep(self._retry)
