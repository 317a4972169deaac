"""The poller against a local feed server and a real database, with a clock moved by hand."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

from sqlalchemy import select

from bot.config import Settings
from bot.feeds.deliveries import DeliveryQueue
from bot.feeds.poller import DeactivatedFeed, FeedPoller
from bot.feeds.schedule import DEACTIVATE_MIN_FAILURES
from bot.feeds.service import FeedService
from bot.pipeline.fetch import Fetcher
from bot.storage.db import Database
from bot.storage.feeds_models import FeedRow
from tests.support.feed_server import FakeClock, FeedServer

CHAT = 4242
HOUR = 3600


async def _feed_row(db: Database, url: str) -> FeedRow:
    async with db.session() as session:
        row = (await session.execute(select(FeedRow).where(FeedRow.url == url))).scalar_one()
        session.expunge(row)
        return row


async def _due_in(db: Database, url: str, clock: FakeClock) -> float:
    return ((await _feed_row(db, url)).next_poll_at - clock()).total_seconds()


async def _poll_when_due(poller: FeedPoller, db: Database, url: str, clock: FakeClock) -> None:
    """Move the clock to the feed's next poll and run one cycle."""
    clock.advance(max(0.0, await _due_in(db, url, clock)))
    await poller.poll_once()


async def _titles(queue: DeliveryQueue, chat: int = CHAT) -> list[str]:
    return [delivery.title for delivery in await queue.of_chat(chat)]


async def test_each_new_entry_is_delivered_exactly_once_oldest_first(
    db: Database,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
) -> None:
    feed = feed_server.feed("/news.xml", title="Nachrichten")
    for number in range(5):
        feed.add(f"Alte Meldung {number}")
    url = feed_server.url("/news.xml")
    service = FeedService(db, fetcher, feed_settings, clock=clock)
    poller = FeedPoller(db, fetcher, feed_settings, clock=clock)
    queue = DeliveryQueue(db, clock=clock)

    subscribed = await service.subscribe(CHAT, url)
    assert subscribed.created
    assert subscribed.first_delivery
    assert subscribed.preview is not None
    assert subscribed.preview.title == "Nachrichten"
    # The backlog is not a flood: only the newest entry.
    assert await _titles(queue) == ["Alte Meldung 4"]

    await _poll_when_due(poller, db, url, clock)
    assert feed_server.not_modified("/news.xml") == 1  # unchanged: a 304
    assert await _titles(queue) == ["Alte Meldung 4"]

    feed.add("Neu A")
    feed.add("Neu B")
    await _poll_when_due(poller, db, url, clock)
    await _poll_when_due(poller, db, url, clock)
    feed.add("Neu C")
    await _poll_when_due(poller, db, url, clock)
    assert await _titles(queue) == ["Alte Meldung 4", "Neu A", "Neu B", "Neu C"]

    claimed = await queue.claim_singles()
    assert [d.title for d in claimed] == ["Alte Meldung 4", "Neu A", "Neu B", "Neu C"]
    assert await queue.claim_singles() == []  # claimed once
    assert await queue.finish([d.id for d in claimed], job_id=7) == 4
    clock.advance(HOUR)
    assert await queue.claim_singles() == []


async def test_republished_old_entries_and_moves_are_not_news(
    db: Database,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
) -> None:
    feed = feed_server.feed("/cms.xml", kind="atom")
    for number in range(3):
        feed.add(f"Meldung {number}")
    url = feed_server.url("/cms.xml")
    service = FeedService(db, fetcher, feed_settings, clock=clock)
    poller = FeedPoller(db, fetcher, feed_settings, clock=clock)
    queue = DeliveryQueue(db, clock=clock)
    await service.subscribe(CHAT, url)

    feed.republish_with_new_ids()
    await _poll_when_due(poller, db, url, clock)
    # Tracking parameters on the same links change nothing either.
    for entry in feed.entries:
        entry.link += "?utm_source=rss&wt_mc=feed"
        entry.guid += "-wieder"
    feed.version += 1
    await _poll_when_due(poller, db, url, clock)
    assert await _titles(queue) == ["Meldung 2"]

    # The feed moves for good (301): the poller follows and remembers the new address.
    moved = feed_server.feed("/neu/cms.xml", kind="atom")
    moved.entries = list(feed.entries)
    moved.add("Nach dem Umzug")
    feed.moved_to = "/neu/cms.xml"
    await _poll_when_due(poller, db, url, clock)
    assert (await _feed_row(db, url)).fetch_url == feed_server.url("/neu/cms.xml")
    before = feed_server.fetches("/cms.xml")
    await _poll_when_due(poller, db, url, clock)
    assert feed_server.fetches("/cms.xml") == before  # straight to the new address
    assert await _titles(queue) == ["Meldung 2", "Nach dem Umzug"]


async def test_a_hundred_chats_cost_one_fetch_per_interval(
    db: Database,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
) -> None:
    feed = feed_server.feed("/beliebt.xml")
    feed.add("Start")
    url = feed_server.url("/beliebt.xml")
    service = FeedService(db, fetcher, feed_settings, clock=clock)
    for chat in range(100):
        await service.subscribe(1000 + chat, url)
    assert feed_server.fetches("/beliebt.xml") == 100  # each subscription confirms what it found
    poller = FeedPoller(db, fetcher, feed_settings, clock=clock)
    queue = DeliveryQueue(db, clock=clock)

    feed.add("Für alle")
    for _ in range(3):
        await _poll_when_due(poller, db, url, clock)
        report = await poller.poll_once()  # not due again yet: nothing fetched
        assert report.polled == 0
    assert feed_server.fetches("/beliebt.xml") == 103
    claimed = await queue.claim_singles(limit=500)
    per_chat = Counter(d.chat_id for d in claimed if d.title == "Für alle")
    assert len(per_chat) == 100
    assert set(per_chat.values()) == {1}


async def test_restart_in_the_middle_loses_nothing_and_repeats_nothing(
    db: Database,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
) -> None:
    feed = feed_server.feed("/laufend.xml", last_modified=True)
    feed.add("Vorher")
    url = feed_server.url("/laufend.xml")
    await FeedService(db, fetcher, feed_settings, clock=clock).subscribe(CHAT, url)
    poller = FeedPoller(db, fetcher, feed_settings, clock=clock)
    feed.add("Eins")
    await _poll_when_due(poller, db, url, clock)

    # The process dies while a fetch is on the wire: the cycle never commits.
    feed.add("Zwei")
    feed.add("Drei")
    slow = feed_server.http
    original = feed.answer

    def stall(request):  # type: ignore[no-untyped-def]
        route = original(request)
        route.delay = 5.0
        return route

    slow.add_handler("/laufend.xml", stall)
    clock.advance(await _due_in(db, url, clock))
    cycle = asyncio.create_task(poller.poll_once())
    await asyncio.sleep(0.3)
    cycle.cancel()
    await asyncio.gather(cycle, return_exceptions=True)
    await db.dispose()
    slow.add_handler("/laufend.xml", original)

    # A new process: a new database connection and a new poller over the same file.
    restarted = Database(db.url.render_as_string(hide_password=False))
    try:
        again = FeedPoller(restarted, fetcher, feed_settings, clock=clock)
        await again.poll_once()
        feed.add("Vier")
        await _poll_when_due(again, restarted, url, clock)
        await _poll_when_due(again, restarted, url, clock)
        titles = await _titles(DeliveryQueue(restarted, clock=clock))
    finally:
        await restarted.dispose()
    assert titles == ["Vorher", "Eins", "Zwei", "Drei", "Vier"]


async def test_backoff_doubles_and_deactivation_takes_days(
    db: Database,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
) -> None:
    feed = feed_server.feed("/wackelig.xml")
    feed.add("Eins")
    url = feed_server.url("/wackelig.xml")
    service = FeedService(db, fetcher, feed_settings, clock=clock)
    await service.subscribe(CHAT, url)
    await service.subscribe(CHAT + 1, url, filter_text="Eins")
    poller = FeedPoller(db, fetcher, feed_settings, clock=clock)
    interval = (await _feed_row(db, url)).interval_seconds

    feed.status = 503
    delays = []
    for _ in range(4):
        await _poll_when_due(poller, db, url, clock)
        delays.append(await _due_in(db, url, clock))
    # Doubling per failure, never beyond the longest interval (6 h).
    high = feed_settings.feed_max_interval
    assert delays == [min(interval * 2**n, high) for n in (1, 2, 3, 4)]
    assert delays[-1] == high

    # Many failures within minutes never switch a feed off.
    feed.status = None
    await _poll_when_due(poller, db, url, clock)
    assert (await _feed_row(db, url)).failures == 0
    feed.malformed = True
    started = clock()
    gone: tuple[DeactivatedFeed, ...] = ()
    for _ in range(100):
        clock.advance(max(0.0, await _due_in(db, url, clock)))
        gone = (await poller.poll_once()).deactivated
        if gone:
            break
    row = await _feed_row(db, url)
    assert row.state == "inactive"
    assert row.failures >= DEACTIVATE_MIN_FAILURES
    assert clock() - started >= dt.timedelta(days=feed_settings.feed_deactivate_days)
    assert clock() - started < dt.timedelta(days=feed_settings.feed_deactivate_days + 0.5)
    assert gone[0].chat_ids == (CHAT, CHAT + 1)
    assert "MalformedFeedError" in gone[0].last_error
    # Switched off means no more requests.
    before = feed_server.fetches("/wackelig.xml")
    clock.advance(2 * 24 * HOUR)
    assert (await poller.poll_once()).polled == 0
    assert feed_server.fetches("/wackelig.xml") == before


async def test_the_interval_adapts_within_its_bounds(
    db: Database,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
) -> None:
    feed = feed_server.feed("/ruhig.xml", etag=False)  # no validators: the body hash decides
    feed.add("Eins")
    url = feed_server.url("/ruhig.xml")
    await FeedService(db, fetcher, feed_settings, clock=clock).subscribe(CHAT, url)
    poller = FeedPoller(db, fetcher, feed_settings, clock=clock)
    for _ in range(30):
        await _poll_when_due(poller, db, url, clock)
    assert (await _feed_row(db, url)).interval_seconds == feed_settings.feed_max_interval
    for number in range(12):
        feed.add(f"Takt {number}")
        await _poll_when_due(poller, db, url, clock)
    assert (await _feed_row(db, url)).interval_seconds == feed_settings.feed_min_interval
    assert len(await _titles(DeliveryQueue(db, clock=clock))) == 13


async def test_filters_caps_quiet_hours_and_roundups(
    db: Database,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
) -> None:
    feed = feed_server.feed("/viel.xml")
    feed.add("Start")
    url = feed_server.url("/viel.xml")
    service = FeedService(db, fetcher, feed_settings, clock=clock)
    poller = FeedPoller(db, fetcher, feed_settings, clock=clock)
    queue = DeliveryQueue(db, clock=clock)
    filtered = 1
    capped = 2
    digest = 3
    await service.subscribe(filtered, url, filter_text="Straße Köln")
    await service.subscribe(capped, url)
    await service.subscribe(digest, url, mode="digest")
    # 06:30 UTC (the poll) is 07:30 in Berlin: quiet hours until 08:00 hold the capped chat's news.
    await service.set_chat(capped, quiet=("22:00", "08:00"))
    await service.set_chat(digest, roundup_time="18:00")

    for number in range(8):
        feed.add(f"Meldung {number}")
    feed.add("Sperrung der Strasse in Koeln")
    await _poll_when_due(poller, db, url, clock)

    assert await _titles(queue, filtered) == ["Sperrung der Strasse in Koeln"]
    capped_rows = await queue.of_chat(capped)
    reasons = Counter(d.reason for d in capped_rows)
    assert reasons == {"first": 1, "new": 4, "overflow": 5}  # daily cap 5, the rest waits
    # A round-up subscriber gets even the newest backlog entry in its round-up.
    assert {d.reason for d in await queue.of_chat(digest)} == {"digest"}

    async def claim_chats() -> list[int]:
        claimed = await queue.claim_singles()
        await queue.finish([d.id for d in claimed])
        return [d.chat_id for d in claimed]

    # Quiet hours: only the entry owed since subscribing before 08:00 Berlin time, then the rest.
    assert (await claim_chats()).count(capped) == 1
    clock.now = dt.datetime(2026, 11, 2, 6, 59, tzinfo=dt.UTC)
    assert capped not in await claim_chats()
    clock.now = dt.datetime(2026, 11, 2, 7, 0, tzinfo=dt.UTC)
    assert (await claim_chats()).count(capped) == 4

    # Round-ups: the digest chat at 18:00 Berlin, the overflow at the capped chat's 07:00.
    clock.now = dt.datetime(2026, 11, 2, 17, 0, tzinfo=dt.UTC)
    roundups = {r.chat_id: r for r in await queue.claim_roundups()}
    assert set(roundups) == {digest}
    assert len(roundups[digest].deliveries) == 10
    await queue.finish([d.id for d in roundups[digest].deliveries], job_id=99)
    clock.now = dt.datetime(2026, 11, 3, 6, 59, tzinfo=dt.UTC)  # 07:00 falls in quiet hours
    assert await queue.claim_roundups() == []
    clock.now = dt.datetime(2026, 11, 3, 7, 0, tzinfo=dt.UTC)  # 08:00 Berlin, quiet over
    roundups = {r.chat_id: r for r in await queue.claim_roundups()}
    assert set(roundups) == {capped}
    assert [d.reason for d in roundups[capped].deliveries] == ["overflow"] * 5
