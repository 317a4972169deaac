"""Parsing RSS, Atom and JSON Feed, and discovering feeds through the real fetcher."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.errors import BadSchemeError
from bot.feeds.discover import NoFeedError, discover_feed, looks_like_source, source_url
from bot.feeds.parse import MalformedFeedError, link_key, normalize_link, parse_feed
from bot.pipeline.fetch import Fetcher
from tests.support.feed_server import FeedServer

SITE = """<!doctype html><html><head><title>Startseite</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="Alle Meldungen" href="/rss/alle.xml">
</head><body><h1>Willkommen</h1></body></html>"""


@pytest.mark.parametrize("kind", ["rss", "atom", "json"])
def test_each_kind_parses_to_the_same_entries(feed_server: FeedServer, kind: str) -> None:
    feed = feed_server.feed("/f", title="Meldungen aus Köln", kind=kind)
    feed.add("Erste <b>Meldung</b> &amp; mehr", summary="<p>Der Rhein steigt.</p>")
    feed.add("Zweite Meldung")
    parsed = parse_feed(feed.body(), url=feed_server.url("/f"))
    assert parsed.title == "Meldungen aus Köln"
    assert [e.title for e in parsed.entries] == ["Zweite Meldung", "Erste Meldung & mehr"]
    first = parsed.entries[1]
    assert first.summary == "Der Rhein steigt."
    assert first.id.endswith("f-1")
    assert first.link == feed_server.url("/artikel/f-1.html")
    assert first.published == dt.datetime(2026, 11, 2, 6, 10, tzinfo=dt.UTC)
    assert first.published.tzinfo is not None


def test_links_lose_tracking_parameters_and_keep_the_rest() -> None:
    link = "https://www.Heise.de/news/x.html?utm_source=rss&wt_mc=rss.red&id=5#ref=rss"
    assert normalize_link(link) == "https://www.heise.de/news/x.html?id=5"
    assert normalize_link("/a/b.html?xtor=RSS-1", "https://taz.de/") == "https://taz.de/a/b.html"
    # The identity ignores scheme, www and trailing slash: the same article however linked.
    assert link_key("http://www.taz.de/a/") == link_key("https://taz.de/a")
    assert normalize_link("javascript:alert(1)") == ""


def test_malformed_and_foreign_bodies_are_refused() -> None:
    with pytest.raises(MalformedFeedError):
        parse_feed(b"<html><body>Keine Feeds hier</body></html>")
    with pytest.raises(MalformedFeedError):
        parse_feed(b'{"items": "nein"}')
    with pytest.raises(MalformedFeedError):
        parse_feed(b"\x00\x01\x02")
    with pytest.raises(MalformedFeedError):  # broke off before its first entry
        parse_feed(b"<rss><channel><title>kaputt</title><item><title>halb")


def test_feedparser_never_fetches_a_body_that_looks_like_a_url(feed_server: FeedServer) -> None:
    feed_server.feed("/geheim.xml").add("Nur über den Fetcher")
    with pytest.raises(MalformedFeedError):
        parse_feed(feed_server.url("/geheim.xml").encode())
    with pytest.raises(MalformedFeedError):
        parse_feed(b"/etc/hostname")
    assert feed_server.fetches("/geheim.xml") == 0


def test_sources_and_topics_are_told_apart() -> None:
    assert source_url("heise.de") == "https://heise.de/"
    assert source_url("www.zeit.de/digital") == "https://www.zeit.de/digital"
    assert source_url("http://example.org/feed") == "http://example.org/feed"
    assert looks_like_source("heise.de")
    assert not looks_like_source("Klimapolitik")
    with pytest.raises(BadSchemeError):
        source_url("Elon Musk")


async def test_a_feed_url_is_taken_as_it_is(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.feed("/feed.json", kind="json", title="JSON").add("Eins")
    found = await discover_feed(fetcher, feed_server.url("/feed.json"))
    assert found.url == feed_server.url("/feed.json")
    assert found.feed.title == "JSON"


async def test_discovery_from_the_sites_alternate_link(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.page("/", SITE)
    feed_server.feed("/rss/alle.xml", title="Alle Meldungen").add("Eins")
    feed_server.feed("/feed", title="Nicht dieser").add("Zwei")
    found = await discover_feed(fetcher, feed_server.url("/"))
    assert found.url == feed_server.url("/rss/alle.xml")
    assert found.feed.title == "Alle Meldungen"
    assert feed_server.fetches("/feed") == 0  # the announced feed comes first


async def test_discovery_from_a_common_path(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.page("/ressort/politik", "<html><head><title>Politik</title></head></html>")
    feed_server.feed("/rss.xml", title="Über den üblichen Pfad", kind="atom").add("Eins")
    found = await discover_feed(fetcher, feed_server.url("/ressort/politik"))
    assert found.url == feed_server.url("/rss.xml")
    assert found.feed.entries[0].title == "Eins"
    # /feed and /rss were tried first and answered 404.
    assert feed_server.fetches("/feed") == 1
    assert feed_server.fetches("/rss") == 1


async def test_no_feed_anywhere(feed_server: FeedServer, fetcher: Fetcher) -> None:
    feed_server.page("/", "<html><head><title>Leer</title></head></html>")
    with pytest.raises(NoFeedError):
        await discover_feed(fetcher, feed_server.url("/"))


async def test_conditional_fetch_returns_304_as_a_value(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    feed_server.feed("/c.xml", last_modified=True).add("Eins")
    first = await fetcher.fetch(feed_server.url("/c.xml"), accept=("application/rss+xml",))
    etag = first.headers["etag"]
    again = await fetcher.fetch(
        feed_server.url("/c.xml"), accept=("application/rss+xml",), etag=etag
    )
    assert (again.status, again.content) == (304, b"")
    by_date = await fetcher.fetch(
        feed_server.url("/c.xml"),
        accept=("application/rss+xml",),
        last_modified=first.headers["last-modified"],
    )
    assert by_date.status == 304
    feed_server.feeds["/c.xml"].add("Zwei")
    changed = await fetcher.fetch(
        feed_server.url("/c.xml"), accept=("application/rss+xml",), etag=etag
    )
    assert changed.status == 200
    assert b"Zwei" in changed.content
