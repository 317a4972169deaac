"""The one place that wires the bot together: settings → database, jobs, pipeline, Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.config import Settings
from bot.jobs.service import JobService
from bot.pipeline.run import Pipeline
from bot.storage.db import Database
from bot.telegram.factory import build_application, start_application, stop_application

logger = logging.getLogger(__name__)


def run_bot(settings: Settings) -> int:
    """Run the bot with long polling until SIGINT/SIGTERM; returns the exit code."""
    return asyncio.run(serve(settings))


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Open the database, the job service and the pipeline, poll until `stop` or a signal."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await asyncio.to_thread(settings.data_dir.mkdir, parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    await db.migrate()
    jobs = JobService(
        db,
        workers=settings.workers,
        max_waiting_per_user=settings.max_waiting_jobs,
        max_per_day=settings.max_jobs_per_day,
    )
    pipeline = Pipeline(settings)
    app = build_application(settings, pipeline, jobs)
    try:
        await start_application(app)
        custom = "api.telegram.org" not in settings.telegram_api_base_url
        logger.info("polling %s", "a custom Bot API server" if custom else "Telegram")
        await stop.wait()
        logger.info("stopping")
    finally:
        try:
            await stop_application(app)
        finally:
            await pipeline.aclose()
            await db.dispose()
    return 0
