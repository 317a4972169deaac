"""`hoerclub worker`: claims jobs, renders and delivers; no update intake. Any number may run.

On PostgreSQL a worker LISTENs for new jobs and polls only as a safety net; one worker of the
fleet at a time also runs the feed dispatcher and the upkeep sweeps (bot.roles.singleton).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final

from bot.app import maintain_forever, open_services
from bot.config import Settings
from bot.roles.common import status_probes, stop_on_signals
from bot.roles.singleton import SingletonDuties
from bot.storage.pgsignals import JobListener
from bot.telegram.factory import (
    start_job_workers,
    start_singletons,
    stop_job_workers,
    stop_singletons,
)
from bot.telegram.webhook import serve_asgi, status_app

logger = logging.getLogger(__name__)

# With LISTEN/NOTIFY a new job wakes a worker at once; this poll only catches what a lost
# notification or a due retry leaves behind (a retry waits 5 s or more anyway).
SAFETY_POLL_SECONDS: Final = 5.0


def run_worker(settings: Settings) -> int:
    """Run a worker until SIGINT/SIGTERM; returns the exit code."""
    return asyncio.run(serve_worker(settings))


async def serve_worker(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Open the services, work jobs (and, when the lock is ours, the singleton duties)."""
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    postgres = not settings.effective_database_url.startswith("sqlite")
    tuning: dict[str, Any] = {"poll_seconds": SAFETY_POLL_SECONDS} if postgres else {}
    services = await open_services(settings, lifecycle=False, **tuning)
    app, db = services.app, services.db
    upkeep: list[asyncio.Task[None]] = []

    async def take_duties() -> None:
        start_singletons(app)
        upkeep.append(asyncio.create_task(maintain_forever(settings, db), name="hoerclub-upkeep"))

    async def drop_duties() -> None:
        await stop_singletons(app)
        for task in upkeep:
            task.cancel()
        await asyncio.gather(*upkeep, return_exceptions=True)
        upkeep.clear()

    duties = SingletonDuties(db, take_duties, drop_duties)
    listener = (
        JobListener(db.url.render_as_string(hide_password=False), services.jobs.wake)
        if postgres
        else None
    )
    try:
        await app.initialize()
        if listener is not None:
            listener.start()
        await start_job_workers(app)
        duties.begin()
        logger.info("worker @%s ready; %d job workers", app.bot.username, settings.workers)
        if settings.metrics_port is not None:
            health, metrics = status_probes(db, settings.redis_url)
            await serve_asgi(
                status_app(health, metrics), settings.web_host, settings.metrics_port, stop,
                started=None,
            )  # fmt: skip
        else:
            await stop.wait()
        logger.info("stopping")
    finally:
        with contextlib.suppress(Exception):
            await duties.end()
        if listener is not None:
            await listener.stop()
        await stop_job_workers(app)
        await services.close()
    return 0
