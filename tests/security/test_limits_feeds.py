"""Feed deliveries keep the word limit: an entry longer than it is never read whole.

Feed deliveries are summaries; one still longer than the limit (a 600-word entry's summary
against a 100-word limit) is offered in part, like a link, and not read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.fake_telegram import FakeTelegram
from tests.support.feed_server import FakeClock, FeedServer
from tests.support.pages import article_page
from tests.telegram.conftest import USER, audios, settle
from tests.telegram.test_feeds import StartFeedsBot, clock, feed_server, reply_to, start_feeds_bot

__all__ = ["clock", "feed_server", "start_feeds_bot"]  # fixtures this module uses

MAX_WORDS = 100


@pytest.mark.reliability("security: per-user limits", sees="📏 too long, for a feed entry too")
async def test_a_long_feed_entry_is_never_read_whole(
    fake: FakeTelegram, start_feeds_bot: StartFeedsBot, feed_server: FeedServer, clock: FakeClock
) -> None:
    feed = feed_server.feed("/news.xml", title="Nachrichten")
    entry = feed.add("Eine sehr lange Meldung")
    page = article_page("Eine sehr lange Meldung", 600, seed=3)
    feed_server.http.add_route(urlsplit(entry.link).path, body=page)
    await start_feeds_bot(HOERCLUB_MAX_ARTICLE_WORDS=MAX_WORDS)
    await reply_to(fake, USER, f"/abo {feed_server.url('/news.xml')}", "✅")
    await fake.wait_for_sent(
        USER, lambda m: (m.text or "").startswith("📏 Dieser Artikel ist sehr lang"), timeout=90
    )
    await settle(2.0)
    assert audios(fake, USER) == []
