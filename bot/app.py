"""The one place that wires the bot together: settings → database, jobs, pipeline, Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.feeds.catalogue import Catalogue, load_catalogue
from bot.feeds.schedule import Clock, utc_now
from bot.feeds.service import FeedService
from bot.jobs.api import RenderPrefs
from bot.jobs.service import JobService
from bot.pipeline.run import Pipeline
from bot.storage.db import Database
from bot.telegram.factory import (
    BotApplication,
    build_application,
    start_application,
    stop_application,
)

logger = logging.getLogger(__name__)


@dataclass
class Services:
    """Everything a running bot holds, closed in reverse order by `close`."""

    settings: Settings
    db: Database
    jobs: JobService
    pipeline: Pipeline
    app: BotApplication
    feeds: FeedService

    async def close(self) -> None:
        """Stop polling and the workers, then close the pipeline and the database."""
        try:
            await stop_application(self.app)
        finally:
            try:
                await self.pipeline.aclose()
            finally:
                await self.db.dispose()


async def open_services(
    settings: Settings,
    *,
    feed_clock: Clock = utc_now,
    catalogue: Catalogue | None = None,
    feed_interval: float | None = None,
    **job_tuning: Any,
) -> Services:
    """Migrate the database and build the job service, the pipeline, the feeds and the bot.

    `job_tuning` passes JobService's tuning knobs (poll and retry intervals) through; the bot
    itself uses the defaults, tests shorten them. Tests also give the feeds a clock they move
    by hand, a catalogue of local feeds and a shorter dispatch interval.
    """
    await asyncio.to_thread(settings.data_dir.mkdir, parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    await db.migrate()
    jobs = JobService(
        db,
        workers=settings.workers,
        max_waiting_per_user=settings.max_waiting_jobs,
        max_per_day=settings.max_jobs_per_day,
        default_prefs=RenderPrefs(intro=settings.host_intro),
        **job_tuning,
    )
    pipeline = Pipeline(settings)
    if catalogue is None:
        catalogue = await asyncio.to_thread(load_catalogue, settings.data_dir)
    feeds = FeedService(db, pipeline.fetcher, settings, catalogue=catalogue, clock=feed_clock)
    app = build_application(settings, pipeline, jobs, feeds, feed_interval=feed_interval)
    return Services(settings, db, jobs, pipeline, app, feeds)


def run_bot(settings: Settings) -> int:
    """Run the bot with long polling until SIGINT/SIGTERM; returns the exit code."""
    return asyncio.run(serve(settings))


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Open the services, poll until `stop` or a signal, close everything."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    services = await open_services(settings)
    try:
        await start_application(services.app)
        custom = "api.telegram.org" not in settings.telegram_api_base_url
        logger.info("polling %s", "a custom Bot API server" if custom else "Telegram")
        await stop.wait()
        logger.info("stopping")
    finally:
        await services.close()
    return 0
