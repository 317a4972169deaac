"""Queries over the feed tables, each working in a caller's session (see bot.storage.db).

The decisions (what is new, who gets it, when) are made in bot.feeds; this module only reads
and writes rows. A delivery's claim is an ``UPDATE … WHERE state = 'pending'`` like the job
queue's, so several consumers can take deliveries without taking one twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Final, cast

from sqlalchemy import CursorResult, and_, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.feeds_models import (
    FeedChatRow,
    FeedDeliveryRow,
    FeedEntryRow,
    FeedRow,
    FeedSubscriptionRow,
)

#: Reasons whose deliveries wait for a round-up rather than going out singly.
ROUNDUP_REASONS: Final[tuple[str, ...]] = ("overflow", "digest")
#: Reasons whose deliveries go out singly (and count towards the daily cap).
SINGLE_REASONS: Final[tuple[str, ...]] = ("new", "first")
# SQLite allows 999 bound parameters per statement in old builds; stay well below.
IN_CHUNK: Final = 400


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


class FeedRepository:
    """Feeds, their seen entries, subscriptions and the chats' delivery settings."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- feeds ---------------------------------------------------------------------------
    async def feed(self, feed_id: int, *, lock: bool = False) -> FeedRow | None:
        """One feed; `lock` holds its row (PostgreSQL) so two writers take turns per feed."""
        query = select(FeedRow).where(FeedRow.id == feed_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def feed_by_url(self, url: str) -> FeedRow | None:
        """The feed first subscribed at `url`, or now fetched from there."""
        query = select(FeedRow).where(or_(FeedRow.url == url, FeedRow.fetch_url == url)).limit(1)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_feed(self, row: FeedRow) -> FeedRow:
        """Insert a feed row (its id is set on return)."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def due_feeds(self, now: dt.datetime, limit: int) -> list[FeedRow]:
        """Active feeds with at least one subscription whose next poll is due, soonest first."""
        followed = exists().where(FeedSubscriptionRow.feed_id == FeedRow.id)
        query = (
            select(FeedRow)
            .where(FeedRow.state == "active", FeedRow.next_poll_at <= now, followed)
            .order_by(FeedRow.next_poll_at, FeedRow.id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def next_poll_at(self) -> dt.datetime | None:
        """When the next followed, active feed is due."""
        followed = exists().where(FeedSubscriptionRow.feed_id == FeedRow.id)
        query = select(func.min(FeedRow.next_poll_at)).where(FeedRow.state == "active", followed)
        result: dt.datetime | None = (await self.session.execute(query)).scalar()
        return result

    # --- entries -------------------------------------------------------------------------
    async def known_keys(
        self,
        feed_id: int,
        entry_keys: Sequence[str],
        link_keys: Sequence[str],
        content_keys: Sequence[str],
    ) -> tuple[set[str], set[str], set[str]]:
        """Which of these entry, link and content keys the feed has seen before."""
        seen_entries: set[str] = set()
        seen_links: set[str] = set()
        seen_contents: set[str] = set()
        table = FeedEntryRow
        for chunk in _chunks(list(entry_keys)):
            query = select(table.entry_key).where(
                table.feed_id == feed_id, table.entry_key.in_(chunk)
            )
            seen_entries.update((await self.session.execute(query)).scalars())
        for chunk in _chunks([key for key in link_keys if key]):
            query = select(table.link_key).where(
                table.feed_id == feed_id, table.link_key.in_(chunk)
            )
            seen_links.update((await self.session.execute(query)).scalars())
        for chunk in _chunks(list(content_keys)):
            query = select(table.content_key).where(
                table.feed_id == feed_id, table.content_key.in_(chunk)
            )
            seen_contents.update((await self.session.execute(query)).scalars())
        return seen_entries, seen_links, seen_contents

    async def add_entries(self, rows: Sequence[FeedEntryRow]) -> None:
        """Remember entries as seen (ids are set on return)."""
        self.session.add_all(rows)
        await self.session.flush()

    async def newest_entries(self, feed_id: int, limit: int) -> list[FeedEntryRow]:
        """The feed's most recent entries (published, else first seen), newest first."""
        order = func.coalesce(FeedEntryRow.published_at, FeedEntryRow.first_seen_at)
        query = (
            select(FeedEntryRow)
            .where(FeedEntryRow.feed_id == feed_id)
            .order_by(order.desc(), FeedEntryRow.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def count_entries(self, feed_id: int) -> int:
        """How many entries of the feed are remembered."""
        query = select(func.count()).where(FeedEntryRow.feed_id == feed_id)
        return int((await self.session.execute(query)).scalar_one())

    # --- subscriptions -------------------------------------------------------------------
    async def count_subscriptions_of_chat(self, chat_id: int) -> int:
        """How many subscriptions the chat holds."""
        query = select(func.count()).where(FeedSubscriptionRow.chat_id == chat_id)
        return int((await self.session.execute(query)).scalar_one())

    async def subscriptions_of(self, feed_id: int) -> list[FeedSubscriptionRow]:
        """Every subscription to one feed, oldest first."""
        query = (
            select(FeedSubscriptionRow)
            .where(FeedSubscriptionRow.feed_id == feed_id)
            .order_by(FeedSubscriptionRow.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def subscriptions_of_chat(
        self, chat_id: int
    ) -> list[tuple[FeedSubscriptionRow, FeedRow]]:
        """A chat's subscriptions with their feeds, in the order they were made."""
        query = (
            select(FeedSubscriptionRow, FeedRow)
            .join(FeedRow, FeedRow.id == FeedSubscriptionRow.feed_id)
            .where(FeedSubscriptionRow.chat_id == chat_id)
            .order_by(FeedSubscriptionRow.id)
        )
        return [(sub, feed) for sub, feed in (await self.session.execute(query)).all()]

    async def subscription(self, subscription_id: int) -> FeedSubscriptionRow | None:
        """One subscription by id."""
        return await self.session.get(FeedSubscriptionRow, subscription_id)

    async def find_subscription(
        self, chat_id: int, feed_id: int, filter_text: str
    ) -> FeedSubscriptionRow | None:
        """The chat's subscription to a feed with exactly this filter."""
        query = select(FeedSubscriptionRow).where(
            FeedSubscriptionRow.chat_id == chat_id,
            FeedSubscriptionRow.feed_id == feed_id,
            FeedSubscriptionRow.filter == filter_text,
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add_subscription(self, row: FeedSubscriptionRow) -> FeedSubscriptionRow:
        """Insert a subscription (its id is set on return)."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete_subscription(self, subscription_id: int) -> None:
        """Remove a subscription and what it still owed (delivered rows stay, for dedupe)."""
        await self.session.execute(
            delete(FeedDeliveryRow).where(
                FeedDeliveryRow.subscription_id == subscription_id,
                FeedDeliveryRow.state == "pending",
            )
        )
        await self.session.execute(
            delete(FeedSubscriptionRow).where(FeedSubscriptionRow.id == subscription_id)
        )

    async def chats_of(self, feed_id: int) -> list[int]:
        """The chats following a feed, each once, in id order."""
        query = (
            select(FeedSubscriptionRow.chat_id)
            .where(FeedSubscriptionRow.feed_id == feed_id)
            .distinct()
            .order_by(FeedSubscriptionRow.chat_id)
        )
        return list((await self.session.execute(query)).scalars())

    # --- chats ---------------------------------------------------------------------------
    async def chat_settings(self, chat_ids: Iterable[int]) -> dict[int, FeedChatRow]:
        """The stored settings of these chats (chats without a row are absent)."""
        ids = sorted(set(chat_ids))
        if not ids:
            return {}
        query = select(FeedChatRow).where(FeedChatRow.chat_id.in_(ids))
        return {row.chat_id: row for row in (await self.session.execute(query)).scalars()}

    async def chat(self, chat_id: int, *, now: dt.datetime) -> FeedChatRow:
        """The chat's settings row, created with the defaults if missing."""
        row = await self.session.get(FeedChatRow, chat_id)
        if row is None:
            row = FeedChatRow(
                chat_id=chat_id,
                timezone="Europe/Berlin",
                roundup_time="07:00",
                roundup_max=8,
                created_at=now,
                updated_at=now,
            )
            self.session.add(row)
            await self.session.flush()
        return row


class DeliveryRepository:
    """The deliveries the poller owes chats, and their claims by the sending side."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: FeedDeliveryRow) -> FeedDeliveryRow:
        """Insert a delivery (its id is set on return)."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def has_story(self, chat_id: int, story_key: str, content_key: str) -> bool:
        """Whether the chat already got (or is owed) this story, by link or by content."""
        query = select(
            exists().where(
                FeedDeliveryRow.chat_id == chat_id,
                or_(
                    FeedDeliveryRow.story_key == story_key,
                    FeedDeliveryRow.content_key == content_key,
                ),
            )
        )
        return bool((await self.session.execute(query)).scalar())

    async def singles_since(self, chat_id: int, since: dt.datetime) -> int:
        """Deliveries sent (or to be sent) singly to the chat since `since`: the daily cap."""
        query = select(func.count()).where(
            FeedDeliveryRow.chat_id == chat_id,
            FeedDeliveryRow.created_at >= since,
            FeedDeliveryRow.reason.in_(SINGLE_REASONS),
        )
        return int((await self.session.execute(query)).scalar_one())

    async def claim(
        self,
        now: dt.datetime,
        *,
        reasons: Sequence[str],
        until: dt.datetime,
        limit: int,
        chat_id: int | None = None,
    ) -> list[FeedDeliveryRow]:
        """Claim due deliveries (pending, or claimed with an expired lease), oldest first."""
        claimable = or_(
            FeedDeliveryRow.state == "pending",
            and_(FeedDeliveryRow.state == "claimed", FeedDeliveryRow.claimed_until < now),
        )
        query = select(FeedDeliveryRow.id).where(
            claimable, FeedDeliveryRow.due_at <= now, FeedDeliveryRow.reason.in_(reasons)
        )
        if chat_id is not None:
            query = query.where(FeedDeliveryRow.chat_id == chat_id)
        query = query.order_by(FeedDeliveryRow.sort_at, FeedDeliveryRow.id).limit(limit)
        ids = list((await self.session.execute(query)).scalars())
        won: list[int] = []
        for delivery_id in ids:
            result = await self.session.execute(
                update(FeedDeliveryRow)
                .where(FeedDeliveryRow.id == delivery_id, claimable)
                .values(state="claimed", claimed_until=until)
            )
            if _rowcount(result) == 1:
                won.append(delivery_id)
        if not won:
            return []
        rows = await self.session.execute(
            select(FeedDeliveryRow)
            .where(FeedDeliveryRow.id.in_(won))
            .order_by(FeedDeliveryRow.sort_at, FeedDeliveryRow.id)
            .execution_options(populate_existing=True)
        )
        return list(rows.scalars())

    async def due_roundup_chats(self, now: dt.datetime) -> list[int]:
        """Chats with round-up deliveries that are due."""
        claimable = or_(
            FeedDeliveryRow.state == "pending",
            and_(FeedDeliveryRow.state == "claimed", FeedDeliveryRow.claimed_until < now),
        )
        query = (
            select(FeedDeliveryRow.chat_id)
            .where(
                claimable,
                FeedDeliveryRow.due_at <= now,
                FeedDeliveryRow.reason.in_(ROUNDUP_REASONS),
            )
            .distinct()
            .order_by(FeedDeliveryRow.chat_id)
        )
        return list((await self.session.execute(query)).scalars())

    async def finish(
        self, ids: Sequence[int], *, now: dt.datetime, job_id: int | None = None
    ) -> int:
        """Mark claimed deliveries as handed over (to a job); returns how many were."""
        if not ids:
            return 0
        result = await self.session.execute(
            update(FeedDeliveryRow)
            .where(FeedDeliveryRow.id.in_(list(ids)), FeedDeliveryRow.state == "claimed")
            .values(state="done", finished_at=now, job_id=job_id, claimed_until=None)
        )
        return _rowcount(result)

    async def release(self, ids: Sequence[int]) -> int:
        """Give claimed deliveries back, to be claimed again."""
        if not ids:
            return 0
        result = await self.session.execute(
            update(FeedDeliveryRow)
            .where(FeedDeliveryRow.id.in_(list(ids)), FeedDeliveryRow.state == "claimed")
            .values(state="pending", claimed_until=None)
        )
        return _rowcount(result)

    async def entries_of(self, rows: Sequence[FeedDeliveryRow]) -> dict[int, FeedEntryRow]:
        """The entry rows of these deliveries, by entry id."""
        ids = sorted({row.entry_id for row in rows})
        if not ids:
            return {}
        query = select(FeedEntryRow).where(FeedEntryRow.id.in_(ids))
        return {row.id: row for row in (await self.session.execute(query)).scalars()}

    async def feed_titles(self, feed_ids: Iterable[int]) -> dict[int, str]:
        """The titles of these feeds, by id."""
        ids = sorted(set(feed_ids))
        if not ids:
            return {}
        query = select(FeedRow.id, FeedRow.title).where(FeedRow.id.in_(ids))
        return dict((await self.session.execute(query)).all())

    async def of_chat(self, chat_id: int) -> list[FeedDeliveryRow]:
        """Every delivery row of a chat, in creation order (for tests and the operator)."""
        query = (
            select(FeedDeliveryRow)
            .where(FeedDeliveryRow.chat_id == chat_id)
            .order_by(FeedDeliveryRow.id)
        )
        return list((await self.session.execute(query)).scalars())
