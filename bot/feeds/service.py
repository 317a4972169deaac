"""Subscriptions as the bot offers them: preview, subscribe, list, pause, change, cancel.

`FeedService` is what the Telegram layer calls. Subscribing fetches the feed once (to confirm
what was found), remembers every entry it shows as already seen, and owes the chat at most the
newest matching one: the backlog never floods a chat.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Final, Literal

from bot.config import Settings
from bot.errors import SubscriptionLimitError, UsageError
from bot.feeds.catalogue import Catalogue
from bot.feeds.discover import FoundFeed, discover_feed, looks_like_source
from bot.feeds.match import parse_filter
from bot.feeds.parse import FeedEntry
from bot.feeds.poller import body_hash, deliver_new, record_entries
from bot.feeds.schedule import (
    DEFAULT_TIMEZONE,
    Clock,
    cadence_interval,
    parse_clock_time,
    utc_now,
    zone,
)
from bot.pipeline.fetch import Fetcher
from bot.storage.db import Database
from bot.storage.feeds_models import FeedRow, FeedSubscriptionRow
from bot.storage.feeds_repository import FeedRepository

logger = logging.getLogger(__name__)

Mode = Literal["each", "digest"]
Content = Literal["summary", "full"]
# Recent entries shown in a preview (`hoerclub feed`, the subscription's confirmation).
PREVIEW_ENTRIES: Final = 10


@dataclass(frozen=True)
class SourceRequest:
    """What a user's `/abo` text asks for: a source (link or domain) and/or a topic filter."""

    source: str | None
    filter: str


def read_request(text: str) -> SourceRequest:
    """Split "heise.de Tesla" into source and filter; a text without a source is all topic."""
    words = text.split()
    if words and looks_like_source(words[0]):
        return SourceRequest(words[0], " ".join(words[1:]))
    return SourceRequest(None, " ".join(words))


@dataclass(frozen=True)
class FeedPreview:
    """What the poller would see at a source: the feed, its recent entries and its pace."""

    url: str
    title: str
    link: str
    entries: tuple[FeedEntry, ...]
    entries_per_day: float | None
    interval_seconds: int


@dataclass(frozen=True)
class SubscriptionInfo:
    """One subscription as listed to its chat."""

    id: int
    chat_id: int
    feed_id: int
    feed_url: str
    feed_title: str
    filter: str
    club: str | None
    mode: str
    content: str
    paused: bool
    digest_time: str | None
    feed_active: bool


@dataclass(frozen=True)
class ChatSettings:
    """A chat's delivery settings as stored (the defaults for a chat never configured)."""

    timezone: str
    quiet: tuple[str, str] | None
    daily_cap: int
    roundup_time: str
    roundup_max: int


@dataclass(frozen=True)
class Subscribed:
    """The outcome of a subscription: what was found and whether the newest entry is owed."""

    subscription: SubscriptionInfo
    preview: FeedPreview | None  # None when the feed could not be fetched right now
    created: bool  # False: the chat already had this subscription
    first_delivery: bool  # the newest matching entry is on its way


class FeedService:
    """Subscriptions of chats to feeds and clubs, and each chat's delivery settings."""

    def __init__(
        self,
        db: Database,
        fetcher: Fetcher,
        settings: Settings,
        *,
        catalogue: Catalogue | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.db = db
        self.fetcher = fetcher
        self.settings = settings
        self.catalogue = catalogue
        self.clock = clock
        self.low = settings.feed_min_interval
        self.high = max(settings.feed_max_interval, settings.feed_min_interval)

    async def preview(self, source: str) -> FeedPreview:
        """Discover and fetch the feed behind a feed URL, site URL or bare domain."""
        return self._preview(await discover_feed(self.fetcher, source))

    def _preview(self, found: FoundFeed) -> FeedPreview:
        interval, per_day = cadence_interval(
            [entry.published for entry in found.feed.entries], self.low, self.high
        )
        return FeedPreview(
            url=found.url,
            title=found.feed.title,
            link=found.feed.link,
            entries=found.feed.entries,
            entries_per_day=per_day,
            interval_seconds=interval,
        )

    async def subscribe(
        self,
        chat_id: int,
        source: str,
        *,
        user_id: int | None = None,
        filter_text: str = "",
        mode: Mode = "each",
        content: Content = "summary",
        club: str | None = None,
    ) -> Subscribed:
        """Subscribe a chat to the feed at `source`, owing it at most the newest matching entry."""
        found = await discover_feed(self.fetcher, source)
        return await self._subscribe_found(
            chat_id,
            found=found,
            user_id=user_id,
            filter_text=filter_text,
            mode=mode,
            content=content,
            club=club,
        )

    async def subscribe_url(
        self,
        chat_id: int,
        feed_url: str,
        *,
        user_id: int | None = None,
        filter_text: str = "",
        mode: Mode = "each",
        content: Content = "summary",
        club: str | None = None,
    ) -> Subscribed:
        """Subscribe to a known feed URL (a club's) without fetching it: the poller primes it."""
        now = self.clock()
        canonical = parse_filter(filter_text).text
        async with self.db.session() as session:
            repo = FeedRepository(session)
            feed = await repo.feed_by_url(feed_url)
            if feed is None:
                feed = await repo.add_feed(self._new_feed(feed_url, feed_url, "", "", now))
            elif feed.state != "active":
                _reactivate(feed, now)
            sub, created = await self._upsert_subscription(
                repo,
                chat_id=chat_id,
                feed=feed,
                user_id=user_id,
                filter_text=canonical,
                mode=mode,
                content=content,
                club=club,
                now=now,
            )
            first = False
            if created and feed.last_success_at is not None:
                newest = await repo.newest_entries(feed.id, limit=PREVIEW_ENTRIES * 5)
                first = (
                    await deliver_new(
                        session,
                        feed,
                        list(reversed(newest)),
                        now,
                        backlog=True,
                        daily_cap=self.settings.feed_daily_cap,
                        only=[sub],
                    )
                    > 0
                )
            return Subscribed(_info(sub, feed), None, created, first)

    async def join_club(
        self, chat_id: int, club_id: str, *, user_id: int | None = None, mode: Mode = "each"
    ) -> list[Subscribed]:
        """Subscribe a chat to every feed of a club, with the club's filter."""
        if self.catalogue is None or club_id not in self.catalogue.clubs:
            raise UsageError(f"no club {club_id!r}", club=club_id)
        club = self.catalogue.clubs[club_id]
        out = []
        for url in self.catalogue.feed_urls(club):
            out.append(
                await self.subscribe_url(
                    chat_id,
                    url,
                    user_id=user_id,
                    filter_text=club.filter,
                    mode=mode,
                    club=club.id,
                )
            )
        return out

    async def _subscribe_found(
        self,
        chat_id: int,
        *,
        found: FoundFeed,
        user_id: int | None,
        filter_text: str,
        mode: Mode,
        content: Content,
        club: str | None,
    ) -> Subscribed:
        now = self.clock()
        preview = self._preview(found)
        canonical = parse_filter(filter_text).text
        async with self.db.session() as session:
            repo = FeedRepository(session)
            feed = await repo.feed_by_url(found.url)
            if feed is None:
                feed = await repo.add_feed(
                    self._new_feed(found.url, found.url, preview.title, preview.link, now)
                )
            else:
                feed = await repo.feed(feed.id, lock=True) or feed
                if feed.state != "active":
                    _reactivate(feed, now)
            fresh = feed.last_success_at is None
            if fresh:
                feed.interval_seconds = preview.interval_seconds
                feed.etag = found.page.headers.get("etag") or None
                feed.last_modified = found.page.headers.get("last-modified") or None
                feed.body_hash = body_hash(found.page.content)
                feed.last_success_at = feed.last_polled_at = now
                feed.next_poll_at = now + dt.timedelta(seconds=feed.interval_seconds)
                # Whatever a new feed shows is the backlog: remembered as seen, never a flood.
                # (A feed already polled keeps its unseen entries for the poller, which owes
                # them to every subscriber, this one included.)
                await record_entries(repo, feed, found.feed.entries, now)
            sub, created = await self._upsert_subscription(
                repo,
                chat_id=chat_id,
                feed=feed,
                user_id=user_id,
                filter_text=canonical,
                mode=mode,
                content=content,
                club=club,
                now=now,
            )
            first = False
            if created:
                newest = await repo.newest_entries(feed.id, limit=max(len(found.feed.entries), 1))
                first = (
                    await deliver_new(
                        session,
                        feed,
                        list(reversed(newest)),
                        now,
                        backlog=True,
                        daily_cap=self.settings.feed_daily_cap,
                        only=[sub],
                    )
                    > 0
                )
            return Subscribed(_info(sub, feed), preview, created, first)

    def _new_feed(
        self, url: str, fetch_url: str, title: str, link: str, now: dt.datetime
    ) -> FeedRow:
        interval, _ = cadence_interval([], self.low, self.high)
        return FeedRow(
            url=url,
            fetch_url=fetch_url,
            title=title,
            site_link=link,
            state="active",
            interval_seconds=interval,
            next_poll_at=now,
            failures=0,
            created_at=now,
            updated_at=now,
        )

    async def _upsert_subscription(
        self,
        repo: FeedRepository,
        *,
        chat_id: int,
        feed: FeedRow,
        user_id: int | None,
        filter_text: str,
        mode: Mode,
        content: Content,
        club: str | None,
        now: dt.datetime,
    ) -> tuple[FeedSubscriptionRow, bool]:
        existing = await repo.find_subscription(chat_id, feed.id, filter_text)
        if existing is not None:
            return existing, False
        limit = self.settings.feed_max_subscriptions
        if await repo.count_subscriptions_of_chat(chat_id) >= limit:
            raise SubscriptionLimitError(limit)
        await repo.chat(chat_id, now=now)
        sub = await repo.add_subscription(
            FeedSubscriptionRow(
                chat_id=chat_id,
                user_id=user_id,
                feed_id=feed.id,
                filter=filter_text,
                club=club,
                mode=mode,
                content=content,
                paused=False,
                created_at=now,
                updated_at=now,
            )
        )
        return sub, True

    # --- managing --------------------------------------------------------------------------
    async def subscriptions(self, chat_id: int) -> list[SubscriptionInfo]:
        """The chat's subscriptions, numbered by their order (1 = the oldest)."""
        async with self.db.session() as session:
            pairs = await FeedRepository(session).subscriptions_of_chat(chat_id)
            return [_info(sub, feed) for sub, feed in pairs]

    async def unsubscribe(self, chat_id: int, subscription_id: int) -> bool:
        """Cancel one of the chat's subscriptions; False if it has no such subscription."""
        async with self.db.session() as session:
            repo = FeedRepository(session)
            sub = await repo.subscription(subscription_id)
            if sub is None or sub.chat_id != chat_id:
                return False
            await repo.delete_subscription(subscription_id)
            return True

    async def update(
        self,
        chat_id: int,
        subscription_id: int,
        *,
        paused: bool | None = None,
        mode: Mode | None = None,
        content: Content | None = None,
        digest_time: str | None = None,
    ) -> SubscriptionInfo | None:
        """Pause or resume, switch single/round-up delivery, summary/full, or the round-up time."""
        async with self.db.session() as session:
            repo = FeedRepository(session)
            sub = await repo.subscription(subscription_id)
            if sub is None or sub.chat_id != chat_id:
                return None
            if paused is not None:
                sub.paused = paused
            if mode is not None:
                sub.mode = mode
            if content is not None:
                sub.content = content
            if digest_time is not None:
                sub.digest_time = _clock_text(digest_time)
            sub.updated_at = self.clock()
            feed = await repo.feed(sub.feed_id)
            return None if feed is None else _info(sub, feed)

    async def chat_settings(self, chat_id: int) -> ChatSettings:
        """The chat's time zone, quiet hours, daily cap and round-up time and size."""
        async with self.db.session() as session:
            row = (await FeedRepository(session).chat_settings([chat_id])).get(chat_id)
            if row is None:
                return ChatSettings(
                    DEFAULT_TIMEZONE, None, self.settings.feed_daily_cap, "07:00", 8
                )
            quiet = (row.quiet_start, row.quiet_end) if row.quiet_start and row.quiet_end else None
            return ChatSettings(
                row.timezone,
                quiet,
                row.daily_cap or self.settings.feed_daily_cap,
                row.roundup_time,
                row.roundup_max,
            )

    async def set_chat(
        self,
        chat_id: int,
        *,
        timezone: str | None = None,
        quiet: tuple[str, str] | Literal[False] | None = None,
        daily_cap: int | None = None,
        roundup_time: str | None = None,
        roundup_max: int | None = None,
    ) -> None:
        """Change a chat's settings; `quiet=False` ends its quiet hours."""
        now = self.clock()
        async with self.db.session() as session:
            row = await FeedRepository(session).chat(chat_id, now=now)
            if timezone is not None:
                if zone(timezone).key != timezone:
                    raise UsageError(f"unknown time zone {timezone!r}", timezone=timezone)
                row.timezone = timezone
            if quiet is False:
                row.quiet_start = row.quiet_end = None
            elif quiet is not None:
                row.quiet_start, row.quiet_end = _clock_text(quiet[0]), _clock_text(quiet[1])
            if daily_cap is not None:
                row.daily_cap = max(1, daily_cap)
            if roundup_time is not None:
                row.roundup_time = _clock_text(roundup_time)
            if roundup_max is not None:
                row.roundup_max = max(1, roundup_max)
            row.updated_at = now


def _clock_text(text: str) -> str:
    try:
        return parse_clock_time(text).strftime("%H:%M")
    except ValueError as exc:
        raise UsageError(f"not a time of day: {text!r}", time=text) from exc


def _reactivate(feed: FeedRow, now: dt.datetime) -> None:
    feed.state = "active"
    feed.failures = 0
    feed.failing_since = None
    feed.deactivated_at = None
    feed.next_poll_at = now


def _info(sub: FeedSubscriptionRow, feed: FeedRow) -> SubscriptionInfo:
    return SubscriptionInfo(
        id=sub.id,
        chat_id=sub.chat_id,
        feed_id=feed.id,
        feed_url=feed.url,
        feed_title=feed.title,
        filter=sub.filter,
        club=sub.club,
        mode=sub.mode,
        content=sub.content,
        paused=sub.paused,
        digest_time=sub.digest_time,
        feed_active=feed.state == "active",
    )
