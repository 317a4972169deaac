"""The feed tables: feeds, subscriptions, per-chat delivery settings, seen entries, deliveries.

Registered on the same `Base` as the other tables (bot.storage imports this module), so one
Alembic history and one metadata serve both. Keys that identify entries are SHA-1 hex digests,
so the unique indexes stay short on every dialect however long the feed's ids and links are.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, BigIntPK, UtcDateTime

KEY_LENGTH = 40  # a SHA-1 hex digest


class FeedRow(Base):
    """One feed, fetched once per interval however many chats follow it."""

    __tablename__ = "feeds"
    __table_args__ = (Index("ix_feeds_state_next_poll", "state", "next_poll_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(Text, unique=True)  # as first subscribed: the identity
    fetch_url: Mapped[str] = mapped_column(Text)  # where it lives now (moves on 301/308)
    title: Mapped[str] = mapped_column(Text, default="")
    site_link: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="active")  # active | inactive
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(Text, nullable=True)
    body_hash: Mapped[str | None] = mapped_column(String(KEY_LENGTH), nullable=True)
    interval_seconds: Mapped[int] = mapped_column(Integer)
    next_poll_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_polled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_new_entry_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row
    failing_since: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class FeedEntryRow(Base):
    """An entry the poller has seen: remembered so nothing is delivered twice after a restart."""

    __tablename__ = "feed_entries"
    __table_args__ = (
        UniqueConstraint("feed_id", "entry_key", name="uq_feed_entries_entry"),
        Index("ix_feed_entries_link", "feed_id", "link_key"),
        Index("ix_feed_entries_content", "feed_id", "content_key"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    feed_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    link_key: Mapped[str] = mapped_column(String(KEY_LENGTH))  # "" without a link
    content_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    link: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    first_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class FeedSubscriptionRow(Base):
    """A chat following a feed, with a topic filter and how it wants new entries."""

    __tablename__ = "feed_subscriptions"
    __table_args__ = (
        UniqueConstraint("chat_id", "feed_id", "filter", name="uq_feed_subscriptions_chat"),
        Index("ix_feed_subscriptions_feed", "feed_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # who subscribed
    feed_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("feeds.id", ondelete="CASCADE"))
    filter: Mapped[str] = mapped_column(Text, default="")  # bot.feeds.match syntax; "" = all
    club: Mapped[str | None] = mapped_column(String(64), nullable=True)
    mode: Mapped[str] = mapped_column(String(8), default="each")  # each | digest
    content: Mapped[str] = mapped_column(String(8), default="summary")  # summary | full
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_time: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "HH:MM", local
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class FeedChatRow(Base):
    """A chat's delivery settings: time zone, quiet hours, daily cap, round-up time and size."""

    __tablename__ = "feed_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "22:00"
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "07:00"
    daily_cap: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the default
    roundup_time: Mapped[str] = mapped_column(String(5), default="07:00")
    roundup_max: Mapped[int] = mapped_column(Integer, default=8)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class FeedDeliveryRow(Base):
    """An entry owed to a chat: sent alone (`ready`) or in the next round-up (`roundup`)."""

    __tablename__ = "feed_deliveries"
    __table_args__ = (
        UniqueConstraint("chat_id", "story_key", name="uq_feed_deliveries_story"),
        Index("ix_feed_deliveries_state_due", "state", "due_at"),
        Index("ix_feed_deliveries_chat_created", "chat_id", "created_at"),
        Index("ix_feed_deliveries_chat_content", "chat_id", "content_key"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    subscription_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("feed_subscriptions.id", ondelete="SET NULL"), nullable=True
    )
    feed_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("feeds.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("feed_entries.id", ondelete="CASCADE")
    )
    story_key: Mapped[str] = mapped_column(String(KEY_LENGTH))  # the link's key, else the entry's
    content_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    # ready | roundup | claimed | done
    state: Mapped[str] = mapped_column(String(12))
    # new | first (the newest entry on subscribing) | overflow (over the daily cap) | digest
    reason: Mapped[str] = mapped_column(String(12))
    content: Mapped[str] = mapped_column(String(8), default="summary")
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)  # after quiet hours / round-up time
    sort_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)  # published, else first seen
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    job_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
