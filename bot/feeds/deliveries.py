"""What the sending side takes from the poller: claimed deliveries, single or as a round-up.

A claim is a lease: a delivery claimed and neither finished nor released within the lease is
claimable again, so a sender that crashes between claiming and creating its job loses nothing.
The sender makes the job idempotent with `PendingDelivery.job_key` and then calls `finish`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.feeds.schedule import Clock, utc_now
from bot.storage.db import Database
from bot.storage.feeds_models import FeedDeliveryRow
from bot.storage.feeds_repository import ROUNDUP_REASONS, SINGLE_REASONS, DeliveryRepository

# How long a claim holds before the delivery may be claimed again: longer than creating a job
# takes, short enough that a crashed sender's deliveries go out within minutes.
DEFAULT_LEASE: Final = dt.timedelta(minutes=5)
DEFAULT_CLAIM_LIMIT: Final = 50
ROUNDUP_LIMIT: Final = 200


@dataclass(frozen=True)
class PendingDelivery:
    """One entry owed to one chat, with what the sender needs to read it aloud."""

    id: int
    chat_id: int
    subscription_id: int | None
    feed_id: int
    feed_title: str
    link: str
    title: str
    summary: str
    published: dt.datetime | None
    reason: str  # new | first | overflow | digest
    content: str  # summary | full
    due_at: dt.datetime

    @property
    def job_key(self) -> str:
        """A key that makes the job for this delivery idempotent."""
        return f"feed-delivery:{self.id}"


@dataclass(frozen=True)
class Roundup:
    """A chat's due round-up: its stories oldest first, and how many the chat wants at most."""

    chat_id: int
    deliveries: tuple[PendingDelivery, ...]


class DeliveryQueue:
    """Claims, finishes and releases deliveries (see the module docstring)."""

    def __init__(self, db: Database, *, clock: Clock = utc_now) -> None:
        self.db = db
        self.clock = clock

    async def claim_singles(
        self, *, limit: int = DEFAULT_CLAIM_LIMIT, lease: dt.timedelta = DEFAULT_LEASE
    ) -> list[PendingDelivery]:
        """Due single deliveries (quiet hours over), oldest first, claimed for `lease`."""
        now = self.clock()
        async with self.db.session() as session:
            repo = DeliveryRepository(session)
            rows = await repo.claim(now, reasons=SINGLE_REASONS, until=now + lease, limit=limit)
            return await _pending(repo, rows)

    async def claim_roundups(self, *, lease: dt.timedelta = DEFAULT_LEASE) -> list[Roundup]:
        """Every chat's due round-up (digest entries and what went over the daily cap)."""
        now = self.clock()
        out = []
        async with self.db.session() as session:
            repo = DeliveryRepository(session)
            for chat_id in await repo.due_roundup_chats(now):
                rows = await repo.claim(
                    now,
                    reasons=ROUNDUP_REASONS,
                    until=now + lease,
                    limit=ROUNDUP_LIMIT,
                    chat_id=chat_id,
                )
                if rows:
                    out.append(Roundup(chat_id, tuple(await _pending(repo, rows))))
        return out

    async def finish(self, ids: Sequence[int], *, job_id: int | None = None) -> int:
        """Mark claimed deliveries as handed over (to the job `job_id`)."""
        async with self.db.session() as session:
            return await DeliveryRepository(session).finish(ids, now=self.clock(), job_id=job_id)

    async def release(self, ids: Sequence[int]) -> int:
        """Return claimed deliveries to the queue at once."""
        async with self.db.session() as session:
            return await DeliveryRepository(session).release(ids)

    async def of_chat(self, chat_id: int) -> list[PendingDelivery]:
        """Every delivery ever made to a chat, in the order they were made."""
        async with self.db.session() as session:
            repo = DeliveryRepository(session)
            return await _pending(repo, await repo.of_chat(chat_id))


async def _pending(
    repo: DeliveryRepository, rows: Sequence[FeedDeliveryRow]
) -> list[PendingDelivery]:
    entries = await repo.entries_of(rows)
    titles = await repo.feed_titles(row.feed_id for row in rows)
    out = []
    for row in rows:
        entry = entries[row.entry_id]
        out.append(
            PendingDelivery(
                id=row.id,
                chat_id=row.chat_id,
                subscription_id=row.subscription_id,
                feed_id=row.feed_id,
                feed_title=titles.get(row.feed_id, ""),
                link=entry.link,
                title=entry.title,
                summary=entry.summary,
                published=entry.published_at,
                reason=row.reason,
                content=row.content,
                due_at=row.due_at,
            )
        )
    return out
