"""The "Später hören" list of each user, over the storage: audios put aside, oldest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from bot.jobs.api import Job
from bot.storage.db import Database
from bot.storage.later import LaterRepository, LaterRow


@dataclass(frozen=True)
class LaterItem:
    """One audio on the list: what sends it again, and what to call it."""

    id: int
    job_id: int
    title: str | None
    url: str | None
    format: str  # "audio" | "voice"
    file_ids: tuple[str, ...]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def sendable(job: Job) -> tuple[str, ...]:
    """The file_ids a delivered job's audio can be sent again with (none: not delivered)."""
    if job.state != "delivered":
        return ()
    ids = (job.delivery or {}).get("file_ids") or ()
    return tuple(str(i) for i in ids if isinstance(i, str) and i)


class LaterList:
    """Add, list and remove the audios a user keeps for later."""

    def __init__(self, db: Database, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.db = db
        self._clock = clock

    async def add(self, user_id: int, job: Job) -> bool:
        """Put a delivered job's audio on the user's list; False if it is there already.

        Raises ValueError for a job without a delivered audio.
        """
        file_ids = sendable(job)
        if not file_ids:
            raise ValueError(f"job {job.id} has no delivered audio")
        row = LaterRow(
            user_id=user_id,
            job_id=job.id,
            title=job.title,
            url=job.request.source if job.request.kind == "url" else None,
            format=job.request.options.format,
            file_ids=list(file_ids),
            created_at=self._clock(),
        )
        try:
            async with self.db.session() as session:
                return await LaterRepository(session).add(row)
        except IntegrityError:
            return False  # a second tap at the same moment put it there

    async def items(self, user_id: int) -> list[LaterItem]:
        """The user's list, oldest first."""
        async with self.db.session() as session:
            rows = await LaterRepository(session).items(user_id)
            return [
                LaterItem(
                    id=row.id,
                    job_id=row.job_id,
                    title=row.title,
                    url=row.url,
                    format="voice" if row.format == "voice" else "audio",
                    file_ids=tuple(str(i) for i in row.file_ids or ()),
                )
                for row in rows
            ]

    async def remove(self, user_id: int, item_id: int) -> bool:
        """Take one audio off the user's own list; False when it is not on it."""
        async with self.db.session() as session:
            return await LaterRepository(session).remove(user_id, item_id)

    async def clear(self, user_id: int) -> int:
        """Empty the user's list; how many audios were on it."""
        async with self.db.session() as session:
            return await LaterRepository(session).clear(user_id)
