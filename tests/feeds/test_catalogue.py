"""The club catalogue: the built-in data, the operator's file over it, and joining a club."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.config import Settings
from bot.errors import UsageError
from bot.feeds.catalogue import load_catalogue, parse_catalogue
from bot.feeds.deliveries import DeliveryQueue
from bot.feeds.poller import FeedPoller
from bot.feeds.service import FeedService, read_request
from bot.pipeline.fetch import Fetcher
from bot.storage.db import Database
from tests.support.feed_server import FakeClock, FeedServer

CLUBS = {"Tech", "Klima", "Politik", "Wirtschaft", "Wissenschaft", "Sport"}


def test_the_builtin_catalogue_has_every_club_with_real_https_feeds() -> None:
    catalogue = load_catalogue()
    names = {club.name for club in catalogue.clubs.values()}
    assert names >= CLUBS
    assert sum(name.startswith("Regional: ") for name in names) >= 5
    for club in catalogue.clubs.values():
        urls = catalogue.feed_urls(club)
        assert urls, club.id
        assert len(club.sources) == len(set(club.sources))
        for url in urls:
            assert urlsplit(url).scheme == "https", url
    hosts = {urlsplit(u).hostname for s in catalogue.sources.values() for u in s.feeds}
    for outlet in ("tagesschau", "deutschlandfunk", "heise", "spiegel", "kicker", "ndr", "mdr"):
        assert any(outlet in (host or "") for host in hosts), outlet


def test_topics_find_clubs_or_filter_the_general_news() -> None:
    catalogue = load_catalogue()
    assert catalogue.find_club("klimawandel") is catalogue.clubs["klima"]
    assert catalogue.find_club("MUENCHEN") is catalogue.clubs["regional_bayern"]
    plan = catalogue.plan_topic("Elon Musk")
    assert plan.club is None
    assert plan.filter == "Elon Musk"
    assert "https://www.tagesschau.de/index~rss2.xml" in plan.feed_urls
    club_plan = catalogue.plan_topic("Klima")
    assert club_plan.club is not None
    assert club_plan.club.topic_filter.matches("Die Klimakonferenz beginnt")
    assert not club_plan.club.topic_filter.matches("Der Bundestag tagt")


def test_read_request_splits_source_and_filter() -> None:
    assert read_request("heise.de Tesla Akku") == read_request("heise.de  Tesla Akku")
    assert read_request("heise.de Tesla Akku").source == "heise.de"
    assert read_request("heise.de Tesla Akku").filter == "Tesla Akku"
    assert read_request("Elon Musk").source is None


def test_the_operator_file_adds_overrides_and_removes(tmp_path: Path) -> None:
    (tmp_path / "clubs.toml").write_text(
        """
[sources.lokal]
name = "Lokalblatt"
feeds = ["https://lokal.example/feed"]
tags = ["regional"]

[sources.heise]
name = "heise (Atom, nur Top-Meldungen)"
feeds = ["https://www.heise.de/rss/heise-top-atom.xml"]

[clubs.sport]
enabled = false

[clubs.lokal]
name = "Regional: Unsere Stadt"
sources = ["lokal", "gibt-es-nicht"]
""",
        encoding="utf-8",
    )
    catalogue = load_catalogue(tmp_path)
    assert "sport" not in catalogue.clubs
    assert catalogue.clubs["lokal"].sources == ("lokal",)
    assert catalogue.feed_urls(catalogue.clubs["tech"])[0].endswith("heise-top-atom.xml")
    with pytest.raises(UsageError):
        parse_catalogue(("kaputt.toml", "[sources.x]\nfeeds = 3\n"))
    with pytest.raises(UsageError):
        parse_catalogue(("kaputt.toml", "[sources.x\n"))


async def test_joining_a_club_subscribes_to_its_feeds_with_its_filter(
    db: Database,
    fetcher: Fetcher,
    feed_server: FeedServer,
    feed_settings: Settings,
    clock: FakeClock,
) -> None:
    one = feed_server.feed("/eins.xml")
    two = feed_server.feed("/zwei.xml", kind="json")
    for number in range(3):
        one.add(f"Klimaschutz Teil {number}")
        two.add(f"Fußball {number}")
    data_dir = feed_settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "clubs.toml").write_text(
        f"""
[sources.eins]
feeds = ["{feed_server.url("/eins.xml")}"]
[sources.zwei]
feeds = ["{feed_server.url("/zwei.xml")}"]
[clubs.klima]
name = "Klima"
sources = ["eins", "zwei"]
filter = "klima* | erderwärmung"
""",
        encoding="utf-8",
    )
    service = FeedService(
        db, fetcher, feed_settings, catalogue=load_catalogue(data_dir), clock=clock
    )
    joined = await service.join_club(7, "klima")
    assert [s.subscription.filter for s in joined] == ["klima* | erderwaermung"] * 2
    assert feed_server.fetches("/eins.xml") == 0  # joining fetches nothing; the poller does
    poller = FeedPoller(db, fetcher, feed_settings, clock=clock)
    await poller.poll_once()
    one.add("Erderwärmung: neuer Rekord")
    two.add("Bundesliga am Wochenende")
    clock.advance(feed_settings.feed_max_interval)
    await poller.poll_once()
    titles = [d.title for d in await DeliveryQueue(db, clock=clock).of_chat(7)]
    # The backlog gave its newest matching entry; then only new matching ones.
    assert titles == ["Klimaschutz Teil 2", "Erderwärmung: neuer Rekord"]
    with pytest.raises(UsageError):
        await service.join_club(7, "gibt-es-nicht")
    listed = await service.subscriptions(7)
    assert [s.club for s in listed] == ["klima", "klima"]
    assert await service.unsubscribe(7, listed[0].id)
    assert not await service.unsubscribe(8, listed[1].id)  # not that chat's
    paused = await service.update(7, listed[1].id, paused=True, mode="digest", digest_time="6.30")
    assert paused is not None
    assert (paused.paused, paused.mode, paused.digest_time) == (True, "digest", "06:30")
