"""What the `web` and `worker` roles share: stopping on signals, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.health import check_health, refresh_job_gauges
from bot.metrics import exposition
from bot.storage.db import Database
from bot.telegram.webhook import HealthProbe, MetricsProbe

logger = logging.getLogger(__name__)


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop` (where the loop can install handlers)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


def status_probes(db: Database, redis_url: str | None) -> tuple[HealthProbe, MetricsProbe]:
    """The /healthz check (database, and Redis when configured) and the /metrics exposition
    (job counts read from the database first: the whole fleet's, not this process's)."""

    async def health() -> tuple[bool, dict[str, str]]:
        report = await check_health(db, redis_url)
        return report.ok, report.parts

    async def metrics() -> tuple[bytes, str]:
        try:
            await refresh_job_gauges(db)
        except Exception as exc:  # the rest of the metrics are still worth serving
            logger.warning("job counts for /metrics: %r", exc)
        return exposition()

    return health, metrics
