"""What ``/healthz`` and ``/metrics`` read: the database and Redis answering, and job counts.

The Redis check is the shared limiter's ``ping_redis`` (the ``redis`` client's one home).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import func, select, text

from bot.metrics import JOBS
from bot.storage.db import Database
from bot.storage.models import JobRow
from bot.storage.shared_limits import ping_redis

logger = logging.getLogger(__name__)

# A health probe that waits longer than a load balancer's (typically 5 s) is useless; 2 s
# leaves the other check time within the same probe.
CHECK_TIMEOUT_SECONDS: Final = 2.0
#: Every job state, so a state with no jobs reads 0 rather than disappearing.
JOB_STATES: Final = (
    "queued",
    "running",
    "rendered",
    "delivering",
    "delivered",
    "failed",
    "cancelled",
)


@dataclass(frozen=True)
class HealthReport:
    """Whether every part answered, and each part's word ("ok" or what went wrong)."""

    ok: bool
    parts: dict[str, str]


async def check_health(db: Database, redis_url: str | None) -> HealthReport:
    """Check the database (``SELECT 1``) and, when configured, Redis (``PING``)."""
    parts = {"database": await _check_database(db)}
    if redis_url:
        parts["redis"] = await _check_redis(redis_url)
    return HealthReport(ok=all(word == "ok" for word in parts.values()), parts=parts)


async def refresh_job_gauges(db: Database) -> None:
    """Set ``hoerclub_jobs{state}`` from the database: the whole fleet's jobs, not ours."""
    async with db.session() as session:
        rows = await session.execute(select(JobRow.state, func.count()).group_by(JobRow.state))
        counts = {str(state): int(count) for state, count in rows.all()}
    for state in {*JOB_STATES, *counts}:
        JOBS.labels(state=state).set(counts.get(state, 0))


async def _check_database(db: Database) -> str:
    if _sqlite_file_missing(db):
        return "error: database file missing"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except TimeoutError:
        return "error: timeout"
    except Exception as exc:
        logger.warning("health: database check failed: %s", type(exc).__name__)
        return f"error: {type(exc).__name__}"
    return "ok"


def _sqlite_file_missing(db: Database) -> bool:
    """Whether the database is a SQLite file that is gone (an open connection still reads it)."""
    name = db.url.database or ""
    if not db.is_sqlite or not name or name == ":memory:" or name.startswith("file:"):
        return False
    return not Path(name).expanduser().exists()


async def _check_redis(url: str) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await ping_redis(url)
    except TimeoutError:
        return "error: timeout"
    except OSError as exc:  # ConnectionError included
        logger.warning("health: redis check failed: %s", type(exc).__name__)
        return f"error: {type(exc).__name__}"
    return "ok"
