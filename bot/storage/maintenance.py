"""Keeping the database bounded and whole: retention, integrity checks, watching, backups."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import delete

from bot.errors import StorageUnavailableError
from bot.storage.db import Database
from bot.storage.health import (
    PROBLEM_LOG_INTERVAL,
    DatabaseWatch,
    ProblemLog,
    is_corruption,
    sqlite_path,
    storage_problem,
)
from bot.storage.models import AudioCacheRow, JobRow, UsageRow

logger = logging.getLogger(__name__)

# The database's health checks live in bot.storage.health (the database uses them too); they
# are named here as well, where the upkeep and its callers have always found them.
__all__ = [
    "FINISHED_STATES",
    "PROBLEM_LOG_INTERVAL",
    "DatabaseWatch",
    "ProblemLog",
    "PruneReport",
    "Retention",
    "backup_sqlite",
    "check_database_file",
    "is_corruption",
    "prune_tables",
    "quick_check",
    "sqlite_path",
    "storage_problem",
]

# Job states after which a row only serves history and the shared-result lookup (an hour).
FINISHED_STATES: Final = ("delivered", "failed", "cancelled")


@dataclass(frozen=True)
class Retention:
    """How many days finished jobs, usage counts and reusable uploads are kept."""

    job_days: float
    usage_days: float
    audio_cache_days: float


@dataclass(frozen=True)
class PruneReport:
    """How many rows each table lost."""

    jobs: int
    usage: int
    audio_cache: int


async def prune_tables(db: Database, retention: Retention, now: dt.datetime) -> PruneReport:
    """Delete finished jobs, usage days and uploads older than their retention."""
    job_cutoff = now - dt.timedelta(days=retention.job_days)
    usage_cutoff = (now - dt.timedelta(days=retention.usage_days)).date()
    upload_cutoff = now - dt.timedelta(days=retention.audio_cache_days)
    async with db.session() as session:
        jobs = await session.execute(
            delete(JobRow).where(JobRow.state.in_(FINISHED_STATES), JobRow.updated_at < job_cutoff)
        )
        usage = await session.execute(delete(UsageRow).where(UsageRow.day < usage_cutoff))
        uploads = await session.execute(
            delete(AudioCacheRow).where(AudioCacheRow.created_at < upload_cutoff)
        )
    return PruneReport(_count(jobs), _count(usage), _count(uploads))


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def quick_check(path: Path) -> str | None:
    """What is wrong with a SQLite file (PRAGMA quick_check), or None when it is whole."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=15)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    found = [str(row[0]) for row in rows]
    return None if found == ["ok"] else "; ".join(found[:3])


def check_database_file(url: str) -> None:
    """Raise StorageUnavailableError in one line if the SQLite file exists and is damaged."""
    path = sqlite_path(url)
    if path is None or not path.exists():
        return
    problem = quick_check(path)
    if problem is not None:
        raise StorageUnavailableError(
            f"the database {path.name} is damaged ({problem}): restore a backup "
            "(hoerclub maintenance --backup makes one) or move the file away to start empty"
        )


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy a live SQLite database with its online backup API, atomically; returns bytes.

    The copy is written next to `target` and renamed onto it when complete, so a backup cut
    short by a full disk never replaces a good one.
    """
    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".tmp-{target.name}")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=15)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    with contextlib.suppress(OSError):
        partial.chmod(0o600)
    partial.replace(target)
    return target.stat().st_size
