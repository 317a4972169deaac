"""Topic feeds in Telegram: the real bot, the local feed server, a clock moved by hand, the fake
Bot API: subscribing, each new entry as audio once, restarts, many chats, the Morgenrunde,
quiet hours and group admins."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from mutagen.id3 import ID3
from sqlalchemy import select

from bot.app import open_services
from bot.config import load_settings
from bot.feeds.catalogue import Catalogue, parse_catalogue
from bot.feeds.deliveries import PendingDelivery
from bot.feeds.roundup import plan_roundup, same_story
from bot.storage.models import JobRow
from bot.telegram.factory import start_application
from bot.telegram.feeds_delivery import parse_story, story_data
from bot.telegram.feeds_texts import (
    SUBSCRIPTION_PREFIX,
    parse_subscription,
    subscription_data,
)
from bot.telegram.keyboards import CALLBACK_DATA_BYTES
from tests.support.audio import probe
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.support.feed_server import FakeClock, FakeEntry, FakeFeed, FeedServer
from tests.support.pages import article_page
from tests.telegram.conftest import GROUP, USER, BotUnderTest, audios, settle, texts_of

# 10:00 in Berlin on a Monday: outside the quiet hours the tests set.
MORNING = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
HOUR = 3600.0
AUDIO_TIMEOUT = 60.0
MEMBER = 31337
ADMIN = 4711

StartFeedsBot = Callable[..., Awaitable[BotUnderTest]]


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """Feeds and article pages on 127.0.0.1."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    """The feeds' clock, moved by the test."""
    return FakeClock(MORNING)


def _catalogue(server: FeedServer) -> Catalogue:
    """A catalogue whose one general source and one club are feeds of the local server."""
    text = f"""
[sources.lokal]
name = "Lokalblatt"
feeds = ["{server.url("/lokal.xml")}"]
tags = ["nachrichten"]

[clubs.lokales]
name = "Lokales"
description = "Aus der Stadt"
sources = ["lokal"]
filter = ""
tags = ["stadt"]
"""
    return parse_catalogue(("test", text))


@pytest.fixture
async def start_feeds_bot(
    fake: FakeTelegram, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> AsyncIterator[StartFeedsBot]:
    """Start the real bot with the feeds on `clock` and the local catalogue."""
    running: list[BotUnderTest] = []

    async def start(**env: Any) -> BotUnderTest:
        values: dict[str, Any] = {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_FILE_BASE_URL": fake.base_file_url,
            "HOERCLUB_TTS_ENGINE": "espeak",
            "HOERCLUB_DATA_DIR": tmp_path / "data",
            "HOERCLUB_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
            "HOERCLUB_WORKERS": 2,
            "HOERCLUB_FEED_MIN_INTERVAL": 2,
        }
        values.update(env)
        services = await open_services(
            load_settings(**values),
            feed_clock=clock,
            catalogue=_catalogue(feed_server),
            feed_interval=0.1,
            poll_seconds=0.2,
            retry_delays=(0.2,),
        )
        bot = BotUnderTest(fake, services)
        running.append(bot)
        await start_application(services.app)
        await fake.wait_until_polling()
        return bot

    yield start
    for bot in reversed(running):
        with contextlib.suppress(Exception):
            await bot.stop()


def publish(
    server: FeedServer,
    feed: FakeFeed,
    title: str,
    *,
    seed: int = 0,
    published: dt.datetime | None = None,
) -> FakeEntry:
    """A new entry on the feed, with its article page served where its link points."""
    entry = feed.add(title, published=published)
    server.http.add_route(urlsplit(entry.link).path, body=article_page(title, 60, seed=seed))
    return entry


def titles(fake: FakeTelegram, chat: int) -> list[str]:
    """The titles of the audios a chat got, in order."""
    return [str(m.audio["title"]) for m in audios(fake, chat) if m.audio]


async def wait_audios(fake: FakeTelegram, chat: int, count: int) -> list[SentMessage]:
    """Wait until the chat has `count` audios."""
    await fake.wait_for_sent(chat, kind="audio", count=count, timeout=AUDIO_TIMEOUT)
    return audios(fake, chat)


async def reply_to(fake: FakeTelegram, chat: int, text: str, starts: str, **kw: Any) -> str:
    """Send a command and return the bot's answer that (in any version) starts with `starts`."""
    seen = {m.message_id for m in fake.sent(chat)}
    fake.send_text(chat, text, **kw)
    found = await fake.wait_for_sent(
        chat,
        lambda m: (
            m.message_id not in seen
            and m.kind == "text"
            and any((x or "").startswith(starts) for x in m.texts)
        ),
    )
    return next(x for x in reversed(found.texts) if x)


def _labels(message: SentMessage) -> list[str]:
    return [b["text"] for b in message.buttons]


# --- callback data -----------------------------------------------------------------------------


def test_feed_buttons_fit_64_bytes_and_refuse_malformed_data() -> None:
    biggest = 2**63 - 1
    assert len(story_data(biggest, 8).encode()) <= CALLBACK_DATA_BYTES
    assert parse_story(story_data(biggest, 8)) is not None
    for action in "prfsdx":
        data = subscription_data(action, biggest)
        assert len(data.encode()) <= CALLBACK_DATA_BYTES
        assert parse_subscription(data) == (action, biggest)
    for bad in ("rf:1", "rf:0:1", "rf:1:0", "rf:x:1", "rf:1:١", "rf:" + "9" * 20 + ":1"):
        assert parse_story(bad) is None, bad
    for bad in ("fa:q:1", "fa:p:0", "fa:p:", "fa:p:1:2", "fa:p:-1"):
        assert parse_subscription(bad) is None, bad


def _delivery(number: int, title: str, link: str, outlet: str, hour: int) -> PendingDelivery:
    when = dt.datetime(2026, 11, 2, hour, tzinfo=dt.UTC)
    return PendingDelivery(
        number, USER, 1, 1, outlet, link, title, f"Text {number}.", when, "digest", "summary", when
    )


def test_the_round_up_merges_one_story_from_two_outlets_and_keeps_the_newest() -> None:
    assert same_story("Tesla senkt die Preise in Deutschland", "Tesla senkt in Deutschland Preise")
    assert not same_story("Tesla senkt die Preise", "Stadtrat beschließt den Haushalt für 2027")
    stories = plan_roundup(
        [
            _delivery(1, "Stadtrat beschließt Haushalt", "https://a.example/1", "A", 5),
            _delivery(2, "Tesla senkt die Preise in Deutschland", "https://a.example/2", "A", 6),
            _delivery(3, "Tesla senkt in Deutschland die Preise", "https://b.example/9", "B", 7),
            _delivery(4, "Neue Brücke", "https://b.example/4?utm_source=x", "B", 8),
            _delivery(5, "Neue Brücke eröffnet", "https://b.example/4", "C", 4),
        ],
        limit=8,
    )
    assert [s.title for s in stories] == [
        "Neue Brücke",
        "Tesla senkt in Deutschland die Preise",
        "Stadtrat beschließt Haushalt",
    ]
    assert stories[0].delivery_ids == (4, 5)  # the same link without its tracking parameter
    assert stories[1].delivery_ids == (3, 2)
    assert stories[1].also == ("A",)
    assert [s.title for s in plan_roundup([_delivery(1, "Eins", "", "A", 1)] * 1, 1)] == ["Eins"]
    assert (
        len(plan_roundup([_delivery(n, f"Meldung {n}x{n}", "", "A", n) for n in range(1, 9)], 3))
        == 3
    )


# --- subscribing -------------------------------------------------------------------------------


async def test_abo_by_feed_url_confirms_and_each_new_entry_arrives_once_as_a_summary(
    fake: FakeTelegram, start_feeds_bot: StartFeedsBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    feed = feed_server.feed("/news.xml", title="Nachrichten")
    for number in range(5):
        publish(feed_server, feed, f"Alte Meldung {number}", seed=number)
    await start_feeds_bot()
    url = feed_server.url("/news.xml")
    answer = await reply_to(fake, USER, f"/abo {url}", "✅")
    assert answer.startswith("✅ Abonniert: Nachrichten")
    assert "5 aktuelle Beiträge" in answer
    assert "am Tag" in answer  # entries ten minutes apart: many a day
    assert "Den neuesten Beitrag bekommst du gleich" in answer

    first = (await wait_audios(fake, USER, 1))[0]
    assert titles(fake, USER) == ["Alte Meldung 4"]  # the newest only, never the backlog
    assert "▶️ Ganzer Artikel" in _labels(first)  # a summary, the whole article a tap away

    publish(feed_server, feed, "Neue Meldung", seed=9)
    clock.advance(HOUR)
    await wait_audios(fake, USER, 2)
    clock.advance(HOUR)  # an unchanged feed: a conditional GET, nothing new
    await fake.wait_for(lambda f: feed_server.not_modified("/news.xml") >= 1 or None, 10)
    await settle(1.0)
    assert titles(fake, USER) == ["Alte Meldung 4", "Neue Meldung"]

    again = await reply_to(fake, USER, f"/abo {url}", "Das hast du schon")
    assert "Nachrichten" in again


async def test_abo_past_the_chats_limit_says_so_and_subscribes_nothing(
    fake: FakeTelegram, start_feeds_bot: StartFeedsBot, feed_server: FeedServer
) -> None:
    for name in ("eins", "zwei", "drei"):
        publish(feed_server, feed_server.feed(f"/{name}.xml", title=f"Feed {name}"), "Meldung")
    bot = await start_feeds_bot(HOERCLUB_FEED_MAX_SUBSCRIPTIONS=2)
    for name in ("eins", "zwei"):
        await reply_to(fake, USER, f"/abo {feed_server.url(f'/{name}.xml')}", "✅")
    refused = await reply_to(fake, USER, f"/abo {feed_server.url('/drei.xml')}", "📚")
    assert refused.startswith("📚 Mehr Abos gehen in diesem Chat nicht (höchstens 2)")
    assert "/kuendigen" in refused
    assert [s.feed_title for s in await bot.services.feeds.subscriptions(USER)] == [
        "Feed eins",
        "Feed zwei",
    ]
    # One already held is no new subscription: still answered as before.
    again = await reply_to(fake, USER, f"/abo {feed_server.url('/eins.xml')}", "Das hast du schon")
    assert "Feed eins" in again


async def test_joining_a_club_past_the_chats_limit_gets_the_limit_as_an_alert(
    fake: FakeTelegram, start_feeds_bot: StartFeedsBot, feed_server: FeedServer
) -> None:
    publish(feed_server, feed_server.feed("/eins.xml", title="Feed eins"), "Meldung")
    publish(feed_server, feed_server.feed("/lokal.xml", title="Lokalblatt"), "Meldung")
    bot = await start_feeds_bot(HOERCLUB_FEED_MAX_SUBSCRIPTIONS=1)
    await reply_to(fake, USER, f"/abo {feed_server.url('/eins.xml')}", "✅")
    fake.send_text(USER, "/clubs")
    shown = await fake.wait_for_sent(
        USER, lambda m: any(b.get("callback_data") == "fc:lokales" for b in m.buttons)
    )
    pressed = fake.press_button(USER, shown.message_id, "fc:lokales")  # "Beitreten"
    query_id = pressed["callback_query"]["id"]
    answer = await fake.wait_for(lambda f: f.callback_answers.get(query_id) or None, 10)
    assert str(answer["text"]).startswith("📚 Mehr Abos gehen in diesem Chat nicht (höchstens 1)")
    assert answer.get("show_alert") is True
    assert [s.feed_title for s in await bot.services.feeds.subscriptions(USER)] == ["Feed eins"]


async def test_abo_by_site_page_by_topic_and_with_a_filter_and_managing_them(
    fake: FakeTelegram, start_feeds_bot: StartFeedsBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    feed = feed_server.feed("/news.xml", title="Stadtnachrichten")
    publish(feed_server, feed, "Tesla baut in Beispielstadt")
    feed_server.feed("/lokal.xml", title="Lokalblatt")
    site = feed_server.page(
        "/start.html",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/news.xml">'
        "</head><body>Start</body></html>",
    )
    bot = await start_feeds_bot()

    by_site = await reply_to(fake, USER, f"/abo {site}", "✅")
    assert by_site.startswith("✅ Abonniert: Stadtnachrichten")
    filtered = await reply_to(fake, USER, f"/abo {feed_server.url('/news.xml')} Tesla", "✅")
    assert "nur Beiträge zu „tesla“" in filtered
    topic = await reply_to(fake, USER, "/subscribe Klimapolitik", "✅", language_code="en")
    assert topic.startswith("✅ Topic “Klimapolitik” subscribed")
    club = await reply_to(fake, USER, "/abo Lokales", "✅")
    assert "Club Lokales" in club

    subs = await bot.services.feeds.subscriptions(USER)
    assert [(s.feed_title, s.filter) for s in subs][:2] == [
        ("Stadtnachrichten", ""),
        ("Stadtnachrichten", "tesla"),
    ]
    assert subs[2].filter == "klimapolitik"
    assert subs[3].club == "lokales"

    fake.send_text(USER, "/abos")
    listing = await fake.wait_for_sent(USER, lambda m: len(m.buttons) >= 20)
    assert listing.text is not None
    assert "1. Stadtnachrichten" in listing.text
    fake.press_button(USER, listing.message_id, subscription_data("p", subs[0].id))
    await fake.wait_for(
        lambda f: "pausiert" in (f.message(USER, listing.message_id).text or "") or None, 10
    )
    fake.press_button(USER, listing.message_id, subscription_data("f", subs[1].id))
    await fake.wait_for(
        lambda f: "jeder Beitrag ganz" in (f.message(USER, listing.message_id).text or "") or None,
        10,
    )
    after = await bot.services.feeds.subscriptions(USER)
    assert after[0].paused
    assert after[1].content == "full"

    done = await reply_to(fake, USER, "/kuendigen 3", "Abo 3 gekündigt")
    assert "Lokalblatt" in done
    assert len(await bot.services.feeds.subscriptions(USER)) == 3
    unknown = await reply_to(fake, USER, "/kuendigen 9", "Ein Abo Nummer 9")
    assert "/abos" in unknown


# --- durability and scale ----------------------------------------------------------------------


async def test_a_restart_in_the_middle_loses_nothing_and_sends_nothing_twice(
    fake: FakeTelegram, start_feeds_bot: StartFeedsBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    feed = feed_server.feed("/news.xml", title="Nachrichten")
    publish(feed_server, feed, "Vorher", seed=1)
    bot = await start_feeds_bot()
    await reply_to(fake, USER, f"/abo {feed_server.url('/news.xml')}", "✅")
    await wait_audios(fake, USER, 1)

    for number in range(3):
        publish(feed_server, feed, f"Während {number}", seed=10 + number)
    clock.advance(HOUR)
    await wait_audios(fake, USER, 2)
    await bot.stop()  # in the middle: the other two are claimed, queued or rendering
    publish(feed_server, feed, "Im Stillstand", seed=20)  # while the bot is down

    await start_feeds_bot()
    clock.advance(HOUR)
    await wait_audios(fake, USER, 5)
    clock.advance(HOUR)
    await settle(2.0)
    assert sorted(titles(fake, USER)) == sorted(
        ["Vorher", "Während 0", "Während 1", "Während 2", "Im Stillstand"]
    )


async def test_a_hundred_chats_on_one_feed_cause_one_fetch_and_one_render_per_article(
    fake: FakeTelegram, start_feeds_bot: StartFeedsBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    feed = feed_server.feed("/news.xml", title="Nachrichten")
    url = feed_server.url("/news.xml")
    bot = await start_feeds_bot()
    chats = [10_000 + n for n in range(100)]
    for chat in chats:
        fake.add_chat(chat)
        await bot.services.feeds.subscribe(chat, url, user_id=chat)
    before = feed_server.fetches("/news.xml")

    entry = publish(feed_server, feed, "Für alle", seed=3)
    clock.advance(HOUR)
    await fake.wait_for(
        lambda f: all(audios(f, chat) for chat in chats) or None, 120, what="100 audios"
    )
    assert feed_server.fetches("/news.xml") == before + 1  # one fetch for the whole interval
    assert feed_server.fetches(urlsplit(entry.link).path) == 1  # the article fetched once
    async with bot.db.session() as session:
        jobs = list((await session.execute(select(JobRow))).scalars())
    assert len(jobs) == 100
    assert sum(1 for job in jobs if job.result is not None) == 1  # one render, shared
    file_ids = {m.file_id for chat in chats for m in audios(fake, chat)}
    assert len(file_ids) <= 2  # the first uploads (and a twin racing it); the rest by file_id
    await settle(1.0)
    assert all(len(audios(fake, chat)) == 1 for chat in chats)


# --- the round-up, quiet hours, groups ---------------------------------------------------------


def _chapters(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "runde.mp3"
    path.write_bytes(data)
    assert probe(path)["decode_errors"] == []
    tag = ID3(path)
    found = [(c.start_time, str(c.sub_frames["TIT2"])) for c in tag.getall("CHAP")]
    return [title for _, title in sorted(found)]


async def test_the_morning_round_up_is_one_audio_with_a_chapter_per_story_and_buttons(
    fake: FakeTelegram,
    start_feeds_bot: StartFeedsBot,
    feed_server: FeedServer,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    first = feed_server.feed("/a.xml", title="Blatt A")
    second = feed_server.feed("/b.xml", title="Blatt B")
    bot = await start_feeds_bot()
    await reply_to(fake, USER, "/morgenrunde 07:00 5", "🌅 Morgenrunde um 07:00")
    for path in ("/a.xml", "/b.xml"):
        await reply_to(fake, USER, f"/abo {feed_server.url(path)}", "✅")
    fake.send_text(USER, "/abos")
    listing = await fake.wait_for_sent(USER, lambda m: len(m.buttons) >= 10)
    for sub in await bot.services.feeds.subscriptions(USER):
        fake.press_button(USER, listing.message_id, subscription_data("d", sub.id))
    await fake.wait_for(
        lambda f: (
            (f.message(USER, listing.message_id).text or "").count("Morgenrunde") >= 3 or None
        ),
        10,
    )

    def at(minute: int) -> dt.datetime:
        return MORNING + dt.timedelta(minutes=minute)

    publish(feed_server, first, "Tesla senkt die Preise in Deutschland", seed=1, published=at(10))
    publish(feed_server, first, "Neue Brücke über den Fluss eröffnet", seed=2, published=at(40))
    publish(feed_server, second, "Tesla senkt in Deutschland die Preise", seed=3, published=at(20))
    publish(feed_server, second, "Stadtrat beschließt den Haushalt", seed=4, published=at(50))
    clock.advance(HOUR)
    await fake.wait_for(lambda f: feed_server.fetches("/b.xml") >= 2 or None, 10)
    await settle(1.0)
    assert audios(fake, USER) == []  # held for the round-up

    clock.now = dt.datetime(2026, 11, 3, 6, 1, tzinfo=dt.UTC)  # 07:01 in Berlin
    roundup = (await wait_audios(fake, USER, 1))[0]
    assert roundup.audio is not None
    assert roundup.audio["title"] == "Morgenrunde vom 3. November"
    assert roundup.file_id is not None
    chapters = _chapters(fake.uploads[roundup.file_id], tmp_path)
    assert chapters[0] == "Morgenrunde vom 3. November"  # the host's intro
    # The newest first; the Tesla story from both outlets is read once.
    assert chapters[1:] == [
        "1. Stadtrat beschließt den Haushalt",
        "2. Neue Brücke über den Fluss eröffnet",
        "3. Tesla senkt in Deutschland die Preise",
    ]
    assert roundup.caption is not None
    assert "3. Tesla senkt in Deutschland die Preise – Blatt B, Blatt A" in roundup.caption
    assert _labels(roundup) == ["▶️ 1", "▶️ 2", "▶️ 3"]

    wanted = next(b["callback_data"] for b in roundup.buttons if b["text"] == "▶️ 3")
    fake.press_button(USER, roundup.message_id, wanted)
    await wait_audios(fake, USER, 2)
    assert titles(fake, USER)[1] == "Tesla senkt in Deutschland die Preise"
    await settle(1.0)
    assert len(audios(fake, USER)) == 2  # one round-up, not one per feed


async def test_quiet_hours_hold_deliveries_until_they_end(
    fake: FakeTelegram, start_feeds_bot: StartFeedsBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    feed = feed_server.feed("/news.xml", title="Nachrichten")
    await start_feeds_bot()
    answer = await reply_to(fake, USER, "/ruhezeit 22:00-07:00", "🌙")
    assert "22:00–07:00" in answer
    await reply_to(fake, USER, f"/abo {feed_server.url('/news.xml')}", "✅")
    clock.now = dt.datetime(2026, 11, 2, 22, 0, tzinfo=dt.UTC)  # 23:00 in Berlin
    publish(feed_server, feed, "Nachts gemeldet")
    await fake.wait_for(lambda f: feed_server.fetches("/news.xml") >= 2 or None, 10)
    await settle(1.5)
    assert audios(fake, USER) == []
    clock.now = dt.datetime(2026, 11, 3, 6, 0, 30, tzinfo=dt.UTC)  # 07:00:30 in Berlin
    await wait_audios(fake, USER, 1)
    assert titles(fake, USER) == ["Nachts gemeldet"]


async def test_only_group_admins_subscribe_the_group_and_members_hear_it(
    fake: FakeTelegram, start_feeds_bot: StartFeedsBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    feed = feed_server.feed("/news.xml", title="Nachrichten")
    publish(feed_server, feed, "Für die Gruppe")
    fake.add_chat(GROUP, "supergroup", title="Lesekreis", bot_is_admin=True)
    fake.set_admin(GROUP, ADMIN)
    bot = await start_feeds_bot()
    url = feed_server.url("/news.xml")
    group: dict[str, Any] = {"chat_type": "supergroup", "user_id": MEMBER}

    refused = await reply_to(fake, GROUP, f"/abo@hoerclub_test_bot {url}", "🔒", **group)
    assert "nur Admins" in refused
    await reply_to(fake, GROUP, "/ruhezeit 22-7", "🔒", **group)
    assert await bot.services.feeds.subscriptions(GROUP) == []
    assert (await bot.services.feeds.chat_settings(GROUP)).quiet is None

    await reply_to(fake, GROUP, f"/abo {url}", "✅", chat_type="supergroup", user_id=ADMIN)
    await wait_audios(fake, GROUP, 1)
    assert titles(fake, GROUP) == ["Für die Gruppe"]
    fake.send_text(GROUP, "/abos", **group)  # everyone may look
    listing = await fake.wait_for_sent(
        GROUP,
        lambda m: any(
            str(b.get("callback_data", "")).startswith(f"{SUBSCRIPTION_PREFIX}:") for b in m.buttons
        ),
    )
    sub = (await bot.services.feeds.subscriptions(GROUP))[0]
    fake.press_button(GROUP, listing.message_id, subscription_data("x", sub.id), user_id=MEMBER)
    await settle(1.0)
    assert len(await bot.services.feeds.subscriptions(GROUP)) == 1  # a member cannot cancel
    assert any("🔒" in (a or {}).get("text", "") for a in fake.callback_answers.values())
    assert "nur Admins" in " ".join(texts_of(fake, GROUP))
