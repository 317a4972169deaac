"""Feeds that misbehave: malformed XML, huge feeds, old entries under new ids, feeds that move.

Run against the feed server, a real database and the pipeline's fetcher, with the clock moved
by hand (as in tests/feeds). What a subscriber gets is the delivery queue: each queued entry
becomes one audio. Nothing is delivered twice, nothing new is lost, and a broken feed is said
in one clear error, never a crash.
"""

from __future__ import annotations

import resource
import time

import pytest

from bot.config import Settings
from bot.errors import SourceError
from bot.feeds.deliveries import DeliveryQueue
from bot.feeds.poller import FeedPoller
from bot.feeds.service import FeedService
from bot.pipeline.fetch import Fetcher
from bot.storage.db import Database
from tests.feeds.test_poller import _feed_row, _poll_when_due, _titles
from tests.support.feed_server import FakeClock, FeedServer

CHAT = 4242


def _parts(
    db: Database, fetcher: Fetcher, settings: Settings, clock: FakeClock
) -> tuple[FeedService, FeedPoller, DeliveryQueue]:
    return (
        FeedService(db, fetcher, settings, clock=clock),
        FeedPoller(db, fetcher, settings, clock=clock),
        DeliveryQueue(db, clock=clock),
    )


@pytest.mark.reliability("Feed: kaputtes XML", sees="klare Fehlermeldung beim Abonnieren")
@pytest.mark.parametrize(
    "body",
    [
        b"<rss><channel><title>kaputt</title><item><title>halb",
        b"<?xml version='1.0'?><rss version='2.0'><channel>" + b"<item>" * 5000,
        b"\x00\xff\xfe" * 300,
    ],
    ids=["cut-off", "unclosed-nesting", "binary"],
)
async def test_a_malformed_feed_is_refused_with_a_clear_error(
    db: Database,
    *,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
    body: bytes,
) -> None:
    url = feed_server.http.add_route("/kaputt.xml", body=body, content_type="application/rss+xml")
    service, _, queue = _parts(db, fetcher, feed_settings, clock)
    with pytest.raises(SourceError) as caught:
        await service.subscribe(CHAT, url)
    assert caught.value.key.startswith("error.")
    assert caught.value.key != "error.unexpected"
    assert await _titles(queue) == []


@pytest.mark.reliability(
    "Feed: kaputtes XML", sees="nichts Falsches; neue Meldung kommt, sobald der Feed heil ist"
)
async def test_a_feed_that_breaks_for_a_while_loses_and_repeats_nothing(
    db: Database,
    *,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
) -> None:
    feed = feed_server.feed("/wacklig.xml")
    feed.add("Erste Meldung")
    url = feed_server.url("/wacklig.xml")
    service, poller, queue = _parts(db, fetcher, feed_settings, clock)
    await service.subscribe(CHAT, url)
    feed.malformed = True
    for _ in range(3):
        await _poll_when_due(poller, db, url, clock)
    row = await _feed_row(db, url)
    assert row.failures == 3
    assert row.state == "active"  # three bad answers do not switch a feed off
    feed.malformed = False
    feed.add("Nach der Panne")
    await _poll_when_due(poller, db, url, clock)
    await _poll_when_due(poller, db, url, clock)
    assert await _titles(queue) == ["Erste Meldung", "Nach der Panne"]
    assert (await _feed_row(db, url)).failures == 0


@pytest.mark.reliability("Feed: riesig", sees="höchstens die neueste Meldung, Speicher begrenzt")
@pytest.mark.parametrize("kind", ["rss", "atom", "json"])
async def test_a_huge_feed_is_read_in_bounded_time_and_memory_without_a_flood(
    db: Database,
    *,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
    kind: str,
) -> None:
    feed = feed_server.feed(f"/riesig-{kind}.xml", kind=kind)
    for number in range(3000):
        feed.add(f"Meldung {number}", summary="Lang " * 150)
    assert len(feed.body()) > 2_000_000
    url = feed_server.url(f"/riesig-{kind}.xml")
    service, poller, queue = _parts(db, fetcher, feed_settings, clock)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    await service.subscribe(CHAT, url)
    assert await _titles(queue) == ["Meldung 2999"]  # the backlog is no flood
    feed.add("Ganz neu")
    await _poll_when_due(poller, db, url, clock)
    assert await _titles(queue) == ["Meldung 2999", "Ganz neu"]
    assert time.monotonic() - started < 30
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, grown_mb


@pytest.mark.reliability("Feed: alte Meldungen mit neuen IDs", sees="keine Wiederholung")
@pytest.mark.parametrize("kind", ["rss", "json"])
async def test_old_entries_under_new_ids_are_not_news(
    db: Database,
    *,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
    kind: str,
) -> None:
    feed = feed_server.feed(f"/cms-{kind}.xml", kind=kind)
    for number in range(4):
        feed.add(f"Meldung {number}")
    url = feed_server.url(f"/cms-{kind}.xml")
    service, poller, queue = _parts(db, fetcher, feed_settings, clock)
    await service.subscribe(CHAT, url)
    for _ in range(3):
        feed.republish_with_new_ids()
        await _poll_when_due(poller, db, url, clock)
    feed.add("Wirklich neu")
    await _poll_when_due(poller, db, url, clock)
    assert await _titles(queue) == ["Meldung 3", "Wirklich neu"]


@pytest.mark.reliability("Feed: umgezogen (301)", sees="Meldungen von der neuen Adresse, einmal")
@pytest.mark.parametrize("kind", ["rss", "json"])
async def test_a_feed_that_moves_twice_is_followed_and_nothing_repeats(
    db: Database,
    *,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
    kind: str,
) -> None:
    first = feed_server.feed(f"/alt-{kind}.xml", kind=kind)
    first.add("Vor dem Umzug")
    url = feed_server.url(f"/alt-{kind}.xml")
    service, poller, queue = _parts(db, fetcher, feed_settings, clock)
    await service.subscribe(CHAT, url)
    previous = first
    for step in (1, 2):
        moved = feed_server.feed(f"/neu{step}-{kind}.xml", kind=kind)
        moved.entries = list(previous.entries)
        moved.add(f"Nach Umzug {step}")
        previous.moved_to = f"/neu{step}-{kind}.xml"
        await _poll_when_due(poller, db, url, clock)
        previous = moved
    await _poll_when_due(poller, db, url, clock)
    assert (await _feed_row(db, url)).fetch_url == feed_server.url(f"/neu2-{kind}.xml")
    assert await _titles(queue) == ["Vor dem Umzug", "Nach Umzug 1", "Nach Umzug 2"]
