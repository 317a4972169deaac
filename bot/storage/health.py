"""Whether the database can be used: a damaged, deleted or unreachable file, said once a minute.

Shared by the database itself (every session checks), the running bot's upkeep and
`hoerclub maintenance`.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Final

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

# Seconds between two log lines about the same database problem: a damaged file fails every
# query, and one line a minute says it as clearly as thirty a second.
PROBLEM_LOG_INTERVAL: Final = 60.0
# Words SQLite uses when the file is not a database any more (SQLITE_CORRUPT, SQLITE_NOTADB).
_CORRUPTION_WORDS: Final = ("malformed", "not a database", "disk image", "file is encrypted")
# Words for a file that cannot be used: its directory gone or unreadable, the disk failing,
# full or read-only. (A deleted file is noticed by DatabaseWatch before any query.)
_GONE_WORDS: Final = (
    "unable to open database file",
    "disk i/o error",
    "readonly database",
    "database or disk is full",
)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None (PostgreSQL, in-memory)."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _driver_errors(exc: BaseException) -> list[str]:
    """The lower-cased messages of the database errors in an exception's chain."""
    found: list[str] = []
    seen: BaseException | None = exc
    for _ in range(10):  # a cause chain is short; a cycle must not loop
        if seen is None:
            break
        if isinstance(seen, sqlite3.DatabaseError | sa_exc.DatabaseError):
            found.append(str(seen).lower())
        seen = seen.__cause__ or seen.__context__
    return found


def is_corruption(exc: BaseException) -> bool:
    """Whether an error from the driver or SQLAlchemy says the database file is damaged."""
    return any(w in text for text in _driver_errors(exc) for w in _CORRUPTION_WORDS)


def storage_problem(exc: BaseException) -> str | None:
    """What an error says is wrong with the database itself (damaged, gone, unwritable), or
    None for an ordinary error (a constraint, a lock, a bug)."""
    for text in _driver_errors(exc):
        if any(word in text for word in _CORRUPTION_WORDS):
            return f"the file is damaged ({text.splitlines()[0][:200]})"
        if any(word in text for word in _GONE_WORDS):
            return f"the file cannot be used ({text.splitlines()[0][:200]})"
    return None


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

    def arm(self) -> None:
        """Take the file as it is now as the one in use (after creating or migrating it)."""
        self._inode = self._identity()

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
