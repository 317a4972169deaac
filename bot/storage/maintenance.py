"""Keeping the database bounded and whole: retention, integrity checks, watching, backups."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import delete
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from bot.errors import StorageUnavailableError
from bot.storage.db import Database
from bot.storage.models import AudioCacheRow, JobRow, UsageRow

logger = logging.getLogger(__name__)

# Job states after which a row only serves history and the shared-result lookup (an hour).
FINISHED_STATES: Final = ("delivered", "failed", "cancelled")
# Seconds between two log lines about the same database problem: a damaged file fails every
# query, and one line a minute says it as clearly as thirty a second.
PROBLEM_LOG_INTERVAL: Final = 60.0
# Words SQLite uses when the file is not a database any more (SQLITE_CORRUPT, SQLITE_NOTADB).
_CORRUPTION_WORDS: Final = ("malformed", "not a database", "disk image", "file is encrypted")


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


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None (PostgreSQL, in-memory)."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


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


def is_corruption(exc: BaseException) -> bool:
    """Whether an error from the driver or SQLAlchemy says the database file is damaged."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, sqlite3.DatabaseError | sa_exc.DatabaseError):
            text = str(seen).lower()
            if any(word in text for word in _CORRUPTION_WORDS):
                return True
        seen = seen.__cause__ or seen.__context__
    return False


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


class DatabaseWatch:
    """Notices a SQLite file deleted or replaced under a running bot (its inode changes)."""

    def __init__(self, url: str) -> None:
        self.path = sqlite_path(url)
        self._inode = self._identity()

    def _identity(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        return info.st_dev, info.st_ino

    def problem(self) -> str | None:
        """Why the open database is no longer the file at its path, or None."""
        if self.path is None or self._inode is None:
            return None
        now = self._identity()
        if now is None:
            return f"the database file {self.path} was deleted while the bot runs"
        if now != self._inode:
            return f"the database file {self.path} was replaced while the bot runs"
        return None


class ProblemLog:
    """Logs each problem once per PROBLEM_LOG_INTERVAL seconds, however often it happens."""

    def __init__(self, interval: float = PROBLEM_LOG_INTERVAL) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self.suppressed = 0

    def report(self, topic: str, message: str) -> bool:
        """Log `message` unless `topic` was logged within the interval; whether it was."""
        now = time.monotonic()
        if now - self._last.get(topic, -self.interval) < self.interval:
            self.suppressed += 1
            return False
        self._last[topic] = now
        logger.error("%s", message)
        return True


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
