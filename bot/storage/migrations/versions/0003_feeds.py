"""Topic feeds: feeds, feed_entries, feed_subscriptions, feed_chats, feed_deliveries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
KEY = sa.String(length=40)


def upgrade() -> None:
    """Create the feed tables."""
    op.create_table(
        "feeds",
        sa.Column("id", BIG_PK, autoincrement=True, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("fetch_url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("site_link", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("body_hash", KEY, nullable=True),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", TS, nullable=False),
        sa.Column("last_polled_at", TS, nullable=True),
        sa.Column("last_success_at", TS, nullable=True),
        sa.Column("last_new_entry_at", TS, nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("deactivated_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feeds")),
        sa.UniqueConstraint("url", name=op.f("uq_feeds_url")),
    )
    op.create_index("ix_feeds_state_next_poll", "feeds", ["state", "next_poll_at"])
    op.create_table(
        "feed_entries",
        sa.Column("id", BIG_PK, autoincrement=True, nullable=False),
        sa.Column("feed_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_key", KEY, nullable=False),
        sa.Column("link_key", KEY, nullable=False),
        sa.Column("content_key", KEY, nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feeds.id"],
            name=op.f("fk_feed_entries_feed_id_feeds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_entries")),
        sa.UniqueConstraint("feed_id", "entry_key", name="uq_feed_entries_entry"),
    )
    op.create_index("ix_feed_entries_link", "feed_entries", ["feed_id", "link_key"])
    op.create_index("ix_feed_entries_content", "feed_entries", ["feed_id", "content_key"])
    op.create_table(
        "feed_subscriptions",
        sa.Column("id", BIG_PK, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("feed_id", sa.BigInteger(), nullable=False),
        sa.Column("filter", sa.Text(), nullable=False),
        sa.Column("club", sa.String(length=64), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("content", sa.String(length=8), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("digest_time", sa.String(length=5), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feeds.id"],
            name=op.f("fk_feed_subscriptions_feed_id_feeds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_subscriptions")),
        sa.UniqueConstraint("chat_id", "feed_id", "filter", name="uq_feed_subscriptions_chat"),
    )
    op.create_index("ix_feed_subscriptions_feed", "feed_subscriptions", ["feed_id"])
    op.create_table(
        "feed_chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("daily_cap", sa.Integer(), nullable=True),
        sa.Column("roundup_time", sa.String(length=5), nullable=False),
        sa.Column("roundup_max", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_feed_chats")),
    )
    op.create_table(
        "feed_deliveries",
        sa.Column("id", BIG_PK, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("subscription_id", sa.BigInteger(), nullable=True),
        sa.Column("feed_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("story_key", KEY, nullable=False),
        sa.Column("content_key", KEY, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("content", sa.String(length=8), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("sort_at", TS, nullable=False),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["feed_subscriptions.id"],
            name=op.f("fk_feed_deliveries_subscription_id_feed_subscriptions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feeds.id"],
            name=op.f("fk_feed_deliveries_feed_id_feeds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["feed_entries.id"],
            name=op.f("fk_feed_deliveries_entry_id_feed_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_deliveries")),
        sa.UniqueConstraint("chat_id", "story_key", name="uq_feed_deliveries_story"),
    )
    op.create_index("ix_feed_deliveries_state_due", "feed_deliveries", ["state", "due_at"])
    op.create_index("ix_feed_deliveries_chat_created", "feed_deliveries", ["chat_id", "created_at"])
    op.create_index(
        "ix_feed_deliveries_chat_content", "feed_deliveries", ["chat_id", "content_key"]
    )


def downgrade() -> None:
    """Drop the feed tables."""
    op.drop_table("feed_deliveries")
    op.drop_table("feed_chats")
    op.drop_table("feed_subscriptions")
    op.drop_table("feed_entries")
    op.drop_table("feeds")
