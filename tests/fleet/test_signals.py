"""PostgreSQL's signals between processes: NOTIFY on submit wakes a listener, and the singleton
lock is held by one holder at a time and passes on when the holder lets go."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from bot.jobs.api import JobRequest
from bot.jobs.service import JobService
from bot.roles.singleton import SingletonDuties
from bot.storage.db import Database
from bot.storage.pgsignals import AdvisoryLock, JobListener
from tests.storage.dbsupport import POSTGRES_ENV, open_database

pytestmark = pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set (PostgreSQL only)"
)


@pytest.fixture
async def pg() -> AsyncIterator[Database]:
    """A wiped, migrated PostgreSQL database."""
    async for database in open_database(os.environ[POSTGRES_ENV]):
        yield database


async def test_a_submitted_job_wakes_a_listener_at_once(pg: Database) -> None:
    woken = asyncio.Event()
    listener = JobListener(os.environ[POSTGRES_ENV], woken.set)
    listener.start()
    try:
        await asyncio.wait_for(listener.connected.wait(), 10)
        await asyncio.sleep(0.1)
        woken.clear()  # the listener wakes once on connecting, for what it may have missed
        jobs = JobService(pg, workers=1, max_waiting_per_user=5, max_per_day=50)
        await asyncio.sleep(0.3)
        assert not woken.is_set()
        await jobs.submit(
            JobRequest(user_id=7, chat_id=7, kind="url", source="https://a.example/x")
        )
        await asyncio.wait_for(woken.wait(), 2.0)
    finally:
        await listener.stop()


async def test_the_lock_has_one_holder_and_passes_on(pg: Database) -> None:
    url = os.environ[POSTGRES_ENV]
    first, second = AdvisoryLock(url, 4711), AdvisoryLock(url, 4711)
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await first.still_held()
        await first.release()
        assert not await first.still_held()
        assert await second.try_acquire()
    finally:
        await first.release()
        await second.release()


async def test_singleton_duties_run_in_one_holder_and_move_when_it_ends(pg: Database) -> None:
    running: list[str] = []

    def duties(name: str) -> SingletonDuties:
        async def start() -> None:
            running.append(name)

        async def stop() -> None:
            running.remove(name)

        return SingletonDuties(pg, start, stop, retry_seconds=0.2)

    a, b = duties("a"), duties("b")
    a.begin()
    await asyncio.sleep(0.5)
    b.begin()
    await asyncio.sleep(0.8)
    assert running == ["a"]
    await a.end()
    for _ in range(50):
        if running == ["b"]:
            break
        await asyncio.sleep(0.1)
    assert running == ["b"]
    await b.end()
    assert running == []
