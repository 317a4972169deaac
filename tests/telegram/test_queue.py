"""/status shows the user's queue; /abbrechen cancels running and waiting jobs cleanly."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram
from tests.telegram.conftest import USER, StartBot, audios, settle

ArticleUrl = Callable[..., str]


async def test_status_lists_running_and_waiting_jobs_and_cancel_stops_them(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, gtts: FakeGTTS
) -> None:
    gtts.delay = 0.2
    bot = await start_bot(
        HOERCLUB_TTS_ENGINE="gtts",
        HOERCLUB_GTTS_ENDPOINT=gtts.url,
        HOERCLUB_TTS_CONCURRENCY=1,
        HOERCLUB_WORKERS=1,
    )
    first = article_url("warte-1", "Der laufende Artikel", 300, image=False, seed=1)
    second = article_url("warte-2", "Der wartende Artikel", 300, image=False, seed=2)
    fake.send_text(USER, f"{first}\n{second}")
    await fake.wait_for(lambda f: gtts.requests >= 3, timeout=30)

    fake.send_text(USER, "/status")
    listing = await fake.wait_for_sent(
        USER, lambda m: (m.text or "").startswith("Deine Warteschlange")
    )
    assert listing.text is not None
    lines = listing.text.splitlines()
    assert lines[1].startswith("1. 🗣 Der laufende Artikel – ")
    assert lines[1].endswith(" %")
    assert lines[2] == f"2. ⏳ {second}"

    fake.send_text(USER, "/abbrechen")
    done = await fake.wait_for_sent(USER, lambda m: (m.text or "").startswith("🚫 2 Auftr"))
    assert done.text == "🚫 2 Aufträge abgebrochen."
    requests_at_cancel = gtts.requests
    await settle(2.5)  # longer than the status edit interval: no late progress edit may land
    statuses = [m for m in fake.sent(USER) if (m.texts[0] or "").startswith("⏳")]
    assert len(statuses) == 2
    assert [m.text for m in statuses] == ["🚫 Abgebrochen.", "🚫 Abgebrochen."]
    assert audios(fake, USER) == []
    assert gtts.requests <= requests_at_cancel + 1
    assert await bot.jobs.list_user(USER) == []
