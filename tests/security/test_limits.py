"""Per-user limits that no path can get round: words, jobs in the queue, jobs a day, bytes.

One test per way in: a link, pasted text, a forwarded post, a "read the first part" button
(forged to ask for more), the buttons and /kurz under a spent daily limit, several links in
one message against the queue limit, a page over the byte limit, and the CLI's files and
devices. Each shows what the user is told and that no audio beyond the limit is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import load_settings
from bot.errors import TooLargeError
from bot.pipeline.article import ArticleLoader
from bot.pipeline.fetch import Fetcher
from tests.support.article_server import ArticleServer
from tests.support.fake_telegram import FakeTelegram
from tests.support.news_article import build_article
from tests.telegram.conftest import USER, StartBot, audios, settle, texts_of

KIND = "security: per-user limits"


def long_text(words: int) -> str:
    """A pasted article of about `words` words."""
    return "\n\n".join(build_article(words))


MAX_WORDS = 100
TOO_LONG = "📏 Dieser Artikel ist sehr lang – mehr als 100 Wörter"
DAILY = "📅 Du hast heute schon 2 Artikel anhören lassen"


async def _too_long_message(fake: FakeTelegram) -> Any:
    return await fake.wait_for_sent(USER, lambda m: (m.text or "").startswith(TOO_LONG), timeout=60)


@pytest.mark.reliability(KIND, sees="📏 too long, with the offer of the first 100 words")
async def test_a_link_over_the_word_limit_is_not_read(
    fake: FakeTelegram, start_bot: StartBot, article_url: Any
) -> None:
    await start_bot(HOERCLUB_MAX_ARTICLE_WORDS=MAX_WORDS)
    fake.send_text(USER, article_url("lang", "Ein langer Artikel", 400, image=False))
    offer = await _too_long_message(fake)
    assert offer.button("▶️ Die ersten 100 Wörter vorlesen").startswith("first:100")
    await settle(1.0)
    assert audios(fake, USER) == []


@pytest.mark.reliability(KIND, sees="📏 too long, for pasted text too")
async def test_pasted_text_over_the_word_limit_is_not_read(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot(HOERCLUB_MAX_ARTICLE_WORDS=MAX_WORDS)
    fake.send_text(USER, long_text(400))
    await _too_long_message(fake)
    await settle(1.0)
    assert audios(fake, USER) == []


@pytest.mark.reliability(KIND, sees="📏 too long, for a forwarded channel post too")
async def test_a_forwarded_post_over_the_word_limit_is_not_read(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot(HOERCLUB_MAX_ARTICLE_WORDS=MAX_WORDS)
    fake.send_text(USER, long_text(400), forward_from_chat=-100555)
    await _too_long_message(fake)
    await settle(1.0)
    assert audios(fake, USER) == []


@pytest.mark.reliability(KIND, sees="the first 100 words, however many the button asks for")
async def test_a_forged_first_part_button_reads_no_more_than_the_limit(
    fake: FakeTelegram, start_bot: StartBot, article_url: Any
) -> None:
    await start_bot(HOERCLUB_MAX_ARTICLE_WORDS=MAX_WORDS)
    url = article_url("lang", "Ein langer Artikel", 400, image=False)
    lengths = []
    for chat, words in ((USER, 300), (USER + 1, MAX_WORDS)):  # forged, then honest
        fake.send_text(chat, url)
        offer = await fake.wait_for_sent(
            chat, lambda m: (m.text or "").startswith(TOO_LONG), timeout=60
        )
        job = offer.button("▶️ Die ersten 100 Wörter vorlesen").rsplit(":", 1)[1]
        fake.press_button(chat, offer.message_id, f"first:{words}:{job}", forged=True)
        audio = await fake.wait_for_sent(chat, kind="audio", timeout=90)
        assert audio.audio is not None
        lengths.append(audio.audio["duration"])
    # The same 100 words, so the same length: not the 300 the forged button asked for.
    forged, honest = lengths
    assert forged <= honest + 1


@pytest.mark.reliability(KIND, sees="📅 the daily limit, for links, buttons and /kurz alike")
async def test_the_daily_limit_holds_for_links_buttons_and_summaries(
    fake: FakeTelegram, start_bot: StartBot, article_url: Any
) -> None:
    bot = await start_bot(HOERCLUB_MAX_JOBS_PER_DAY=2)
    for n in range(2):
        fake.send_text(USER, article_url(f"a{n}", f"Artikel {n}", 60, image=False, seed=n))
        await fake.wait_for_sent(USER, kind="audio", count=n + 1, timeout=60)
    third = article_url("a2", "Artikel 2", 60, image=False, seed=2)
    fake.send_text(USER, third)  # a link
    await fake.wait_for_sent(USER, lambda m: (m.text or "").startswith(DAILY), timeout=30)
    fake.send_text(USER, f"/kurz {third}")  # a summary
    await fake.wait_for_sent(USER, lambda m: (m.text or "").startswith(DAILY), count=2, timeout=30)
    audio = audios(fake, USER)[0]  # a button under an audio
    update = fake.press_button(USER, audio.message_id, audio.button("🎧 Kurzfassung"))
    query = update["callback_query"]["id"]
    await fake.wait_for(lambda f: f.callback_answers.get(query) or None, 30)
    await settle(2.0)
    assert len(audios(fake, USER)) == 2
    told = [t for t in texts_of(fake, USER) if t.startswith(DAILY)]
    answer = fake.callback_answers[query] or {}
    assert len(told) + (1 if str(answer.get("text", "")).startswith(DAILY) else 0) >= 3
    assert await bot.jobs.list_user(USER) == []


@pytest.mark.reliability(KIND, sees="🚦 the queue limit for links beyond it in one message")
async def test_the_queue_limit_holds_for_several_links_in_one_message(
    fake: FakeTelegram, start_bot: StartBot, article_url: Any
) -> None:
    await start_bot(HOERCLUB_MAX_WAITING_JOBS=1, HOERCLUB_WORKERS=1)
    urls = [article_url(f"q{n}", f"Artikel {n}", 60, image=False, seed=n) for n in range(3)]
    fake.send_text(USER, "\n".join(urls))
    await fake.wait_for_sent(USER, lambda m: "in der Warteschlange" in (m.text or ""), timeout=30)
    await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(2.0)
    assert len(audios(fake, USER)) == 1


@pytest.mark.reliability(KIND, sees="⚠️ the page is too large; nothing read")
async def test_a_page_over_the_byte_limit_is_not_read(
    fake: FakeTelegram, start_bot: StartBot, articles: ArticleServer
) -> None:
    await start_bot(HOERCLUB_FETCH_MAX_BYTES=20_000)
    page = b"<html><body><article>" + b"<p>Wort und Satz. </p>" * 5000 + b"</article></body></html>"
    fake.send_text(USER, articles.add_route("/gross.html", body=page))
    await fake.wait_for_sent(
        USER, lambda m: (m.text or "").startswith("⚠️ Die Seite ist zu groß"), timeout=30
    )
    await settle(1.0)
    assert audios(fake, USER) == []


@pytest.mark.reliability(KIND, sees="a refusal after the byte limit, even from a device")
@pytest.mark.parametrize("target", ["big", "/dev/zero", "/dev/urandom"])
async def test_a_cli_file_over_the_byte_limit_is_refused_after_the_limit(
    tmp_path: Path, target: str
) -> None:
    settings = load_settings(HOERCLUB_FETCH_MAX_BYTES=50_000)
    path = tmp_path / "eingabe.txt"
    if target == "big":
        path.write_text("Wort " * 20_000, "utf-8")
    else:
        path.symlink_to(target)  # endless: only the limit plus one byte may be read
    loader = ArticleLoader(Fetcher(settings))
    try:
        with pytest.raises(TooLargeError):
            await loader.load(str(path), allow_local=True)
    finally:
        await loader.aclose()
