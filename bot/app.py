"""The one place that wires the bot together: settings → database, jobs, pipeline, Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from dataclasses import dataclass
from typing import Any, Final

from bot.config import Settings
from bot.errors import StorageUnavailableError
from bot.feeds.catalogue import Catalogue, load_catalogue
from bot.feeds.schedule import Clock, utc_now
from bot.feeds.service import FeedService
from bot.jobs.api import RenderPrefs
from bot.jobs.service import JobService
from bot.pipeline.run import Pipeline
from bot.storage.db import Database
from bot.storage.maintenance import (
    DatabaseWatch,
    ProblemLog,
    PruneReport,
    Retention,
    check_database_file,
    is_corruption,
    prune_tables,
)
from bot.telegram.factory import (
    BotApplication,
    build_application,
    start_application,
    stop_application,
)
from bot.tts.cache import prune_cache

logger = logging.getLogger(__name__)

# Seconds between two rounds of upkeep in a running bot (retention, cache cap, database watch):
# the same rhythm as the audio sweep.
MAINTENANCE_INTERVAL: Final = 600.0


def retention_of(settings: Settings) -> Retention:
    """The retention settings as the storage layer takes them."""
    return Retention(
        job_days=settings.job_retention_days,
        usage_days=settings.usage_retention_days,
        audio_cache_days=settings.audio_cache_retention_days,
    )


async def maintain(settings: Settings, db: Database) -> tuple[PruneReport, int]:
    """One round of upkeep: old rows out of the tables, the clip cache back under its cap;
    returns the rows pruned and the clip files removed."""
    report = await prune_tables(db, retention_of(settings), dt.datetime.now(dt.UTC))
    removed, _ = await asyncio.to_thread(
        prune_cache, settings.cache_dir, settings.cache_max_mb * 1024 * 1024
    )
    return report, removed


async def maintain_forever(
    settings: Settings, db: Database, interval: float = MAINTENANCE_INTERVAL
) -> None:
    """Upkeep every `interval` seconds; says in one line (once a minute at most) when the
    database file is gone or damaged, and goes on once it is back."""
    watch = DatabaseWatch(settings.effective_database_url)
    problems = ProblemLog()
    while True:
        gone = watch.problem()
        if gone is not None:
            problems.report("db-gone", f"database unavailable: {gone}; restore it and restart")
        try:
            report, removed = await maintain(settings, db)
            if report.jobs or report.usage or report.audio_cache or removed:
                logger.info(
                    "upkeep: removed %d jobs, %d usage rows, %d uploads, %d cached clips",
                    report.jobs, report.usage, report.audio_cache, removed,
                )  # fmt: skip
        except Exception as exc:
            if is_corruption(exc):
                problems.report("db-damaged", f"database unavailable: the file is damaged ({exc})")
            else:
                problems.report("upkeep", f"upkeep failed: {exc!r}")
        await asyncio.sleep(interval)


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
    lifecycle: bool = True,
    **job_tuning: Any,
) -> Services:
    """Migrate the database and build the job service, the pipeline, the feeds and the bot.

    `job_tuning` passes JobService's tuning knobs (poll and retry intervals) through; the bot
    itself uses the defaults, tests shorten them. Tests also give the feeds a clock they move
    by hand, a catalogue of local feeds and a shorter dispatch interval. `lifecycle=False`
    leaves starting the workers and the feeds to the caller (the `web` and `worker` roles).
    """
    await asyncio.to_thread(settings.data_dir.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(check_database_file, settings.effective_database_url)
    db = Database(settings.effective_database_url)
    try:
        await db.migrate()
    except Exception as exc:
        await db.dispose()
        if is_corruption(exc):
            raise StorageUnavailableError(f"the database is damaged: {exc}") from exc
        raise
    jobs = JobService(
        db,
        workers=settings.workers,
        max_waiting_per_user=settings.max_waiting_jobs,
        max_per_day=settings.max_jobs_per_day,
        default_prefs=RenderPrefs(intro=settings.host_intro),
        **{
            "lease_seconds": settings.job_lease_seconds,
            "sweep_seconds": settings.job_sweep_seconds,
            **job_tuning,
        },
    )
    pipeline = Pipeline(settings)
    if catalogue is None:
        catalogue = await asyncio.to_thread(load_catalogue, settings.data_dir)
    feeds = FeedService(db, pipeline.fetcher, settings, catalogue=catalogue, clock=feed_clock)
    app = build_application(
        settings, pipeline, jobs, feeds, feed_interval=feed_interval, lifecycle=lifecycle
    )
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
    upkeep = asyncio.create_task(maintain_forever(settings, services.db))
    try:
        await start_application(services.app)
        custom = "api.telegram.org" not in settings.telegram_api_base_url
        logger.info("polling %s", "a custom Bot API server" if custom else "Telegram")
        await stop.wait()
        logger.info("stopping")
    finally:
        upkeep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await upkeep
        await services.close()
    return 0
