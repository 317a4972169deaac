"""One poller for all subscriptions: each due feed fetched once, new entries become deliveries.

A cycle (`FeedPoller.poll_once`) fetches the feeds that are due, concurrently and conditionally
(ETag, Last-Modified, and a hash of the body for servers that support neither), then writes each
changed feed in its own transaction: the feed's new state, its new entries and the deliveries they
cause. A crash before that commit leaves the feed's validators unchanged, so the next poller fetches
the same entries again: nothing is lost, and because entries are remembered by id, link and content,
nothing is delivered twice. Unchanged and failed feeds are written together at the end of the cycle.

Deliveries are rows (`feed_deliveries`); `bot.feeds.deliveries.DeliveryQueue` hands them to the
sending side.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.errors import SourceError
from bot.feeds.match import parse_filter
from bot.feeds.parse import FEED_TYPES, Feed, FeedEntry, parse_page
from bot.feeds.schedule import (
    Clock,
    backoff_delay,
    cadence_interval,
    local_day_start,
    next_interval,
    next_local_time,
    not_in_quiet_hours,
    parse_clock_time,
    should_deactivate,
    utc_now,
    zone,
)
from bot.metrics import count_feed_fetches
from bot.models import Page
from bot.pipeline.fetch import Fetcher
from bot.storage.db import Database
from bot.storage.feeds_models import (
    FeedChatRow,
    FeedDeliveryRow,
    FeedEntryRow,
    FeedRow,
    FeedSubscriptionRow,
)
from bot.storage.feeds_repository import DeliveryRepository, FeedRepository

logger = logging.getLogger(__name__)

# Feeds fetched at once: the fetches are I/O-bound, and 8 keep a 2-core machine's CPU busy in
# the feed bench (200 feeds) without queueing on the database.
FETCH_CONCURRENCY: Final = 8
# Feeds looked at per cycle; the rest are due in the next one.
MAX_FEEDS_PER_CYCLE: Final = 500
# The run loop never sleeps longer than this, so a new subscription is polled soon.
MAX_SLEEP: Final = 30.0
DEFAULT_ROUNDUP_TIME: Final = "07:00"


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class EntryKeys:
    """The three identities of an entry, as stored: entry id, link and content digests."""

    entry: str
    link: str  # "" without a link
    content: str

    @classmethod
    def of(cls, entry: FeedEntry) -> EntryKeys:
        """The stored keys of a parsed entry."""
        link_key = entry.link_key
        return cls(
            entry=_digest(entry.entry_key),
            link=_digest(link_key) if link_key else "",
            content=entry.content_key,
        )

    @property
    def story(self) -> str:
        """What a chat must never get twice: the link, else the entry."""
        return self.link or self.entry


@dataclass(frozen=True)
class DeactivatedFeed:
    """A feed switched off after failing for days, and the chats that followed it."""

    feed_id: int
    url: str
    title: str
    last_error: str
    chat_ids: tuple[int, ...]


@dataclass(frozen=True)
class PollReport:
    """What one cycle did."""

    polled: int = 0
    not_modified: int = 0
    changed: int = 0
    failed: int = 0
    new_entries: int = 0
    deliveries: int = 0
    deactivated: tuple[DeactivatedFeed, ...] = ()
    next_due: dt.datetime | None = None


@dataclass
class _Outcome:
    """One feed's fetch, before it is written."""

    feed_id: int
    page: Page | None = None
    feed: Feed | None = None
    error: str | None = None


@dataclass
class _Tally:
    not_modified: int = 0
    changed: int = 0
    failed: int = 0
    new_entries: int = 0
    deliveries: int = 0
    deactivated: list[DeactivatedFeed] = field(default_factory=list)


def body_hash(content: bytes) -> str:
    """The digest of a feed body, to tell an unchanged feed without validators."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


class FeedPoller:
    """Polls every followed feed on its own interval and records what chats are owed."""

    def __init__(
        self,
        db: Database,
        fetcher: Fetcher,
        settings: Settings,
        *,
        clock: Clock = utc_now,
        concurrency: int = FETCH_CONCURRENCY,
    ) -> None:
        self.db = db
        self.fetcher = fetcher
        self.settings = settings
        self.clock = clock
        self.low = settings.feed_min_interval
        self.high = max(settings.feed_max_interval, settings.feed_min_interval)
        self._concurrency = concurrency

    # --- the cycle -----------------------------------------------------------------------
    async def poll_once(self) -> PollReport:
        """Fetch every due feed once and write what changed; returns what happened."""
        now = self.clock()
        async with self.db.session() as session:
            due = await FeedRepository(session).due_feeds(now, MAX_FEEDS_PER_CYCLE)
            targets = [(feed.id, feed.fetch_url, feed.etag, feed.last_modified) for feed in due]
        semaphore = asyncio.Semaphore(self._concurrency)

        async def fetch_one(target: tuple[int, str, str | None, str | None]) -> _Outcome:
            async with semaphore:
                return await self._fetch(*target)

        outcomes = await asyncio.gather(*(fetch_one(target) for target in targets))
        count_feed_fetches(outcomes)
        tally = _Tally()
        quiet: list[_Outcome] = []
        for outcome in outcomes:
            if outcome.feed is not None:
                await self._write_changed(outcome, tally)
            else:
                quiet.append(outcome)
        if quiet:
            await self._write_quiet(quiet, tally)
        async with self.db.session() as session:
            next_due = await FeedRepository(session).next_poll_at()
        return PollReport(
            polled=len(targets),
            not_modified=tally.not_modified,
            changed=tally.changed,
            failed=tally.failed,
            new_entries=tally.new_entries,
            deliveries=tally.deliveries,
            deactivated=tuple(tally.deactivated),
            next_due=next_due,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, sleeping until the next feed is due (at most 30 s)."""
        while not stop.is_set():
            try:
                report = await self.poll_once()
            except Exception:
                logger.exception("feed poll cycle failed")
                report = PollReport()
            delay = MAX_SLEEP
            if report.next_due is not None:
                delay = min(MAX_SLEEP, max(0.0, (report.next_due - self.clock()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(delay, 0.05))

    async def _fetch(
        self, feed_id: int, url: str, etag: str | None, last_modified: str | None
    ) -> _Outcome:
        try:
            page = await self.fetcher.fetch(
                url, accept=FEED_TYPES, etag=etag, last_modified=last_modified
            )
        except SourceError as exc:
            return _Outcome(feed_id, error=f"{type(exc).__name__}: {exc.detail}")
        if page.status == 304:
            return _Outcome(feed_id, page=page)
        try:
            feed = parse_page(page)
        except SourceError as exc:
            return _Outcome(feed_id, page=page, error=f"{type(exc).__name__}: {exc.detail}")
        return _Outcome(feed_id, page=page, feed=feed)

    # --- writing -------------------------------------------------------------------------
    async def _write_quiet(self, outcomes: Sequence[_Outcome], tally: _Tally) -> None:
        """Unchanged and failed feeds: new validators, intervals, backoff, deactivation."""
        now = self.clock()
        async with self.db.session() as session:
            repo = FeedRepository(session)
            for outcome in outcomes:
                feed = await repo.feed(outcome.feed_id, lock=True)
                if feed is None:
                    continue
                feed.last_polled_at = feed.updated_at = now
                if outcome.error is None:
                    tally.not_modified += 1
                    self._succeeded(feed, outcome.page, now, found_new=0)
                    continue
                tally.failed += 1
                gone = await self._failed(repo, feed, outcome.error, now)
                if gone is not None:
                    tally.deactivated.append(gone)

    async def _write_changed(self, outcome: _Outcome, tally: _Tally) -> None:
        """A feed with a new body: its new entries and the deliveries they cause, atomically."""
        if outcome.feed is None or outcome.page is None:
            return
        now = self.clock()
        async with self.db.session() as session:
            repo = FeedRepository(session)
            feed = await repo.feed(outcome.feed_id, lock=True)
            if feed is None:
                return
            elapsed = (now - feed.last_polled_at).total_seconds() if feed.last_polled_at else None
            feed.last_polled_at = feed.updated_at = now
            digest = body_hash(outcome.page.content)
            if digest == feed.body_hash:
                tally.not_modified += 1
                self._succeeded(feed, outcome.page, now, found_new=0)
                return
            tally.changed += 1
            first = feed.last_success_at is None
            new_rows = await record_entries(repo, feed, outcome.feed.entries, now)
            delivered = await deliver_new(
                session, feed, new_rows, now, backlog=first, daily_cap=self.settings.feed_daily_cap
            )
            tally.new_entries += len(new_rows)
            tally.deliveries += delivered
            if outcome.feed.title:
                feed.title = outcome.feed.title
            if outcome.feed.link:
                feed.site_link = outcome.feed.link
            if new_rows:
                feed.last_new_entry_at = now
            if first:
                feed.interval_seconds, _ = cadence_interval(
                    [entry.published for entry in outcome.feed.entries], self.low, self.high
                )
            self._succeeded(
                feed, outcome.page, now, found_new=len(new_rows), adapt=not first, elapsed=elapsed
            )
            feed.body_hash = digest

    def _succeeded(
        self,
        feed: FeedRow,
        page: Page | None,
        now: dt.datetime,
        *,
        found_new: int,
        adapt: bool = True,
        elapsed: float | None = None,
    ) -> None:
        if page is not None:
            if page.status != 304:
                feed.etag = page.headers.get("etag") or None
                feed.last_modified = page.headers.get("last-modified") or None
            elif page.headers.get("etag"):
                feed.etag = page.headers["etag"]
            if page.redirects and all(code in (301, 308) for code in page.redirects):
                if feed.fetch_url != page.final_url:
                    logger.info("feed %d moved permanently to %s", feed.id, page.final_url)
                feed.fetch_url = page.final_url
        if adapt:
            feed.interval_seconds = next_interval(
                feed.interval_seconds,
                found_new=found_new,
                low=self.low,
                high=self.high,
                elapsed=elapsed,
            )
        feed.failures = 0
        feed.failing_since = None
        feed.last_error = None
        feed.last_success_at = now
        feed.next_poll_at = now + dt.timedelta(seconds=feed.interval_seconds)

    async def _failed(
        self, repo: FeedRepository, feed: FeedRow, error: str, now: dt.datetime
    ) -> DeactivatedFeed | None:
        feed.failures += 1
        feed.failing_since = feed.failing_since or now
        feed.last_error = error[:500]
        logger.info("feed %d failed (%d in a row): %s", feed.id, feed.failures, error)
        if should_deactivate(
            feed.failures, feed.failing_since, now, self.settings.feed_deactivate_days
        ):
            feed.state = "inactive"
            feed.deactivated_at = now
            chats = await repo.chats_of(feed.id)
            logger.warning("feed %d switched off after %d failures", feed.id, feed.failures)
            return DeactivatedFeed(feed.id, feed.url, feed.title, feed.last_error, tuple(chats))
        delay = backoff_delay(feed.interval_seconds, feed.failures, high=self.high)
        feed.next_poll_at = now + dt.timedelta(seconds=delay)
        return None


# --- shared with the subscription service ------------------------------------------------
async def record_entries(
    repo: FeedRepository, feed: FeedRow, entries: Sequence[FeedEntry], now: dt.datetime
) -> list[FeedEntryRow]:
    """Store the entries the feed has not shown before (by id, link or content); oldest first."""
    keyed: list[tuple[FeedEntry, EntryKeys]] = []
    seen_entry: set[str] = set()
    seen_link: set[str] = set()
    seen_content: set[str] = set()
    for entry in entries:
        keys = EntryKeys.of(entry)
        if (
            keys.entry in seen_entry
            or (keys.link and keys.link in seen_link)
            or keys.content in seen_content
        ):
            continue  # the same entry twice in one document
        seen_entry.add(keys.entry)
        seen_link.add(keys.link)
        seen_content.add(keys.content)
        keyed.append((entry, keys))
    known_entry, known_link, known_content = await repo.known_keys(
        feed.id,
        [keys.entry for _, keys in keyed],
        [keys.link for _, keys in keyed],
        [keys.content for _, keys in keyed],
    )
    rows = []
    # Feeds list newest first; deliveries go out oldest first, by date where the feed gives one.
    for position, (entry, keys) in enumerate(reversed(keyed)):
        if (
            keys.entry in known_entry
            or (keys.link and keys.link in known_link)
            or keys.content in known_content
        ):
            continue
        published = entry.published
        rows.append(
            FeedEntryRow(
                feed_id=feed.id,
                entry_key=keys.entry,
                link_key=keys.link,
                content_key=keys.content,
                link=entry.link,
                title=entry.title,
                summary=entry.summary,
                published_at=published,
                # Entries seen together keep the feed's order even without dates.
                first_seen_at=now + dt.timedelta(microseconds=position),
            )
        )
    rows.sort(key=lambda row: (_sort_at(row, now), row.first_seen_at))
    if rows:
        await repo.add_entries(rows)
    return rows


def _sort_at(row: FeedEntryRow, now: dt.datetime) -> dt.datetime:
    """When an entry counts as published, for ordering: its date, never later than first seen."""
    if row.published_at is None:
        return row.first_seen_at
    return min(row.published_at, row.first_seen_at, now)


async def deliver_new(
    session: AsyncSession,
    feed: FeedRow,
    new_rows: Sequence[FeedEntryRow],
    now: dt.datetime,
    *,
    backlog: bool,
    daily_cap: int,
    only: Sequence[FeedSubscriptionRow] | None = None,
) -> int:
    """Owe each subscriber the new entries its filter wants; a backlog gives only the newest."""
    repo = FeedRepository(session)
    deliveries = DeliveryRepository(session)
    subscriptions = list(only) if only is not None else await repo.subscriptions_of(feed.id)
    active = [sub for sub in subscriptions if not sub.paused]
    if not new_rows or not active:
        return 0
    chats = await repo.chat_settings(sub.chat_id for sub in active)
    made = 0
    singles: dict[int, int] = {}
    for sub in active:
        wanted = parse_filter(sub.filter)
        rows = [row for row in new_rows if wanted.matches_entry(row.title, row.summary)]
        if backlog:
            rows = rows[-1:]  # at most the newest entry at once, then only new ones
        chat = chats.get(sub.chat_id)
        for row in rows:
            keys_story = row.link_key or row.entry_key
            if await deliveries.has_story(sub.chat_id, keys_story, row.content_key):
                continue
            reason, due = await _placement(
                deliveries,
                sub=sub,
                chat=chat,
                now=now,
                singles=singles,
                daily_cap=daily_cap,
                first=backlog,
            )
            await deliveries.add(
                FeedDeliveryRow(
                    chat_id=sub.chat_id,
                    subscription_id=sub.id,
                    feed_id=feed.id,
                    entry_id=row.id,
                    story_key=keys_story,
                    content_key=row.content_key,
                    state="pending",
                    reason=reason,
                    content=sub.content,
                    due_at=due,
                    sort_at=_sort_at(row, now),
                    created_at=now,
                )
            )
            made += 1
    return made


async def _placement(
    deliveries: DeliveryRepository,
    *,
    sub: FeedSubscriptionRow,
    chat: FeedChatRow | None,
    now: dt.datetime,
    singles: dict[int, int],
    daily_cap: int,
    first: bool,
) -> tuple[str, dt.datetime]:
    """Why and when a delivery goes out: singly now (after quiet hours) or in a round-up."""
    tz = zone(chat.timezone if chat else None)
    quiet_start = chat.quiet_start if chat else None
    quiet_end = chat.quiet_end if chat else None
    roundup_at = parse_clock_time(
        sub.digest_time or (chat.roundup_time if chat else DEFAULT_ROUNDUP_TIME)
    )
    if sub.mode == "digest":
        due = next_local_time(now, roundup_at, tz)
        return "digest", not_in_quiet_hours(due, quiet_start, quiet_end, tz)
    cap = chat.daily_cap if chat and chat.daily_cap else daily_cap
    if sub.chat_id not in singles:
        singles[sub.chat_id] = await deliveries.singles_since(sub.chat_id, local_day_start(now, tz))
    if singles[sub.chat_id] >= cap:
        chat_roundup = parse_clock_time(chat.roundup_time if chat else DEFAULT_ROUNDUP_TIME)
        due = next_local_time(now, chat_roundup, tz)
        return "overflow", not_in_quiet_hours(due, quiet_start, quiet_end, tz)
    singles[sub.chat_id] += 1
    return ("first" if first else "new"), not_in_quiet_hours(now, quiet_start, quiet_end, tz)
