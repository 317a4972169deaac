"""Every failure ends in a clear German message that says what happened and what to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.article_server import ArticleServer
from tests.support.audio import probe
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.conftest import USER, StartBot, audios, settle

ArticleUrl = Callable[..., str]


async def _final_status(fake: FakeTelegram, prefix: str, timeout: float = 30) -> SentMessage:
    """The status message once its text starts with `prefix`."""
    return await fake.wait_for_sent(
        USER,
        lambda m: m.kind == "text" and (m.text or "").startswith(prefix),
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("forbidden", "🚫 Diese Adresse lese ich nicht"),
        ("unreachable", "⚠️ Die Seite ist nicht erreichbar"),
        ("missing", "🔎 Die Seite gibt es nicht (mehr)"),
        ("pdf", "⚠️ Dieses PDF ist beschädigt oder unvollständig"),
        ("image", "⚠️ Hinter diesem Link steckt keine Webseite"),
        ("frontpage", "🤷 Auf dieser Seite habe ich keinen Artikeltext gefunden"),
        ("paywall", "🔒 Dieser Artikel steht hinter einer Bezahlschranke"),
        ("slow", "⌛ Die Seite hat zu lange nicht geantwortet"),
        ("huge", "⚠️ Die Seite ist zu groß für mich"),
    ],
)
async def test_source_failures_turn_the_status_into_an_explanation(
    fake: FakeTelegram,
    start_bot: StartBot,
    articles: ArticleServer,
    route: str,
    expected: str,
) -> None:
    urls = {
        "forbidden": "http://10.20.30.40/intern/artikel.html",
        "unreachable": "http://127.0.0.1:9/artikel.html",
        "missing": articles.add_route("/weg.html", status=404, body=b"<h1>Nicht gefunden</h1>"),
        "pdf": articles.add_route(
            "/bericht.pdf", body=b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", content_type="application/pdf"
        ),
        "image": articles.add_route(
            "/bild.png", body=b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="image/png"
        ),
        "frontpage": articles.url("/startseite.html"),
        "paywall": articles.url("/paywall.html"),
        "slow": articles.add_route("/langsam.html", body=b"<p>spaet</p>", delay=3.0),
        "huge": articles.add_route("/riesig.html", body=b"<p>" + b"Text " * 100_000 + b"</p>"),
    }
    env = {
        "slow": {"HOERCLUB_FETCH_TIMEOUT": 1},
        "huge": {"HOERCLUB_FETCH_MAX_BYTES": 100_000},
    }
    bot = await start_bot(**env.get(route, {}))
    fake.send_text(USER, urls[route])
    status = await _final_status(fake, expected)
    assert status.texts[0] == "⏳ In der Warteschlange …"
    assert not status.deleted
    await settle(0.3)
    assert audios(fake, USER) == []
    assert await bot.jobs.list_user(USER) == []
    assert len([m for m in fake.sent(USER) if m.kind == "text"]) == 1


async def test_a_paywall_message_is_honest_and_suggests_sending_the_text(
    fake: FakeTelegram, start_bot: StartBot, articles: ArticleServer
) -> None:
    await start_bot()
    fake.send_text(USER, articles.url("/paywall.html"))
    status = await _final_status(fake, "🔒")
    assert status.text is not None
    assert "umgehe keine Bezahlschranken" in status.text
    assert "kopier den Text" in status.text


async def test_too_long_offers_the_first_part_and_the_button_delivers_it(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, tmp_path: Path
) -> None:
    await start_bot(HOERCLUB_MAX_ARTICLE_WORDS=100)
    url = article_url("lang", "Ein sehr langer Bericht", 400, image=False)
    fake.send_text(USER, url)
    offer = await _final_status(fake, "📏")
    assert offer.text is not None
    assert "mehr als 100 Wörter" in offer.text
    data = offer.button("ersten 100 Wörter")

    fake.press_button(USER, offer.message_id, data)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.caption is not None
    assert "Gekürzt auf die ersten 100 Wörter" in audio.caption
    assert audio.file_id is not None
    path = tmp_path / "first.mp3"
    path.write_bytes(fake.uploads[audio.file_id])
    # 100 words plus the intro and the note that it was shortened: well under 400 words' time.
    assert float(probe(path)["duration"]) < 90
    answer = next(a for a in fake.callback_answers.values() if a)
    assert answer.get("text") == "In Ordnung, ich lese die ersten 100 Wörter vor."


async def test_a_busy_speech_service_falls_back_to_the_offline_voice_and_says_so(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, gtts: FakeGTTS
) -> None:
    gtts.fail_randomly(1.0, status=429)
    await start_bot(
        HOERCLUB_TTS_ENGINE="gtts", HOERCLUB_GTTS_ENDPOINT=gtts.url, HOERCLUB_GTTS_RETRIES=0
    )
    fake.send_text(USER, article_url("busy", "Wenn Google nicht will", 60, image=False))
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert gtts.requests > 0
    assert audio.caption is not None
    assert "Offline-Stimme (Sprachdienst überlastet)" in audio.caption
    summary = await _final_status(fake, "✅ Wenn Google nicht will")
    assert summary.text is not None
    assert "Offline-Stimme" in summary.text
    assert not summary.deleted


async def test_a_busy_speech_service_without_fallback_asks_to_retry_later(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, gtts: FakeGTTS
) -> None:
    gtts.fail_randomly(1.0, status=503)
    await start_bot(
        HOERCLUB_TTS_ENGINE="gtts",
        HOERCLUB_GTTS_ENDPOINT=gtts.url,
        HOERCLUB_GTTS_RETRIES=0,
        HOERCLUB_TTS_FALLBACK="false",
    )
    fake.send_text(USER, article_url("busy2", "Kein Ersatz", 60, image=False))
    status = await _final_status(fake, "⏳ Der Sprachdienst ist gerade überlastet")
    assert status.text is not None
    assert "Offline-Stimme" in status.text
    assert audios(fake, USER) == []


async def test_audio_over_the_upload_limit_arrives_in_parts_each_under_it(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, tmp_path: Path
) -> None:
    await start_bot(HOERCLUB_UPLOAD_LIMIT_MB=1)
    url = article_url("teile", "Ein Artikel in Teilen", 1500, image=False)
    fake.send_text(USER, url)
    second = await fake.wait_for_sent(USER, kind="audio", count=2, timeout=90)
    await settle(0.5)
    parts = audios(fake, USER)
    assert second in parts
    titles = [m.audio["title"] for m in parts if m.audio]
    count = len(parts)
    assert count >= 2
    assert titles == [f"Ein Artikel in Teilen – Teil {n}/{count}" for n in range(1, count + 1)]
    total = 0.0
    size = 0
    for n, message in enumerate(parts, start=1):
        assert message.caption is not None
        assert f"Teil {n}/{count}" in message.caption
        assert message.file_id is not None
        assert message.audio is not None
        data = fake.uploads[message.file_id]
        assert len(data) < 1_000_000
        size += len(data)
        path = tmp_path / f"teil{n}.mp3"
        path.write_bytes(data)
        info = probe(path)
        assert info["decode_errors"] == []
        assert abs(float(info["duration"]) - message.audio["duration"]) <= 1.5
        total += float(info["duration"])
    assert size > 1_000_000  # it would not have fitted in one upload
    assert total > 120


async def test_queue_and_daily_limits_answer_kindly(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot(HOERCLUB_MAX_WAITING_JOBS=1, HOERCLUB_MAX_JOBS_PER_DAY=2)
    a = article_url("limit-a", "Erster", 60, image=False, seed=1)
    b = article_url("limit-b", "Zweiter", 60, image=False, seed=2)
    c = article_url("limit-c", "Dritter", 60, image=False, seed=3)
    fake.send_text(USER, f"{a}\n{b}")
    refused = await _final_status(fake, "🚦")
    assert refused.text == (
        "🚦 Du hast schon 1 Artikel in der Warteschlange. "
        "Warte, bis ein paar fertig sind, und schick mir dann die nächsten."
    )
    await fake.wait_for_sent(USER, kind="audio", timeout=60)
    fake.send_text(USER, b)
    await fake.wait_for_sent(USER, kind="audio", count=2, timeout=60)
    fake.send_text(USER, c)
    daily = await _final_status(fake, "📅")
    assert daily.text is not None
    assert "2 Artikel" in daily.text
    assert "Morgen" in daily.text


async def test_voice_messages_forbidden_by_privacy_settings_are_explained(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    bot = await start_bot()
    await bot.jobs.prefs.set(USER, format="voice")
    fake.add_chat(USER)
    fake.forbid_voice_messages(USER)
    fake.send_text(USER, article_url("stumm", "Keine Sprachnachrichten", 60, image=False))
    status = await _final_status(fake, "🔇")
    assert status.text is not None
    assert "/einstellungen" in status.text


async def test_an_upload_telegram_refuses_is_reported_and_can_be_retried(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    fake.fail_next("sendAudio", 400, description="Bad Request: AUDIO_INVALID")
    url = article_url("abgelehnt", "Abgelehnt", 60, image=False)
    fake.send_text(USER, url)
    status = await _final_status(fake, "⚠️ Die Aufnahme ist fertig")
    assert status.text is not None
    fake.send_text(USER, url)
    await fake.wait_for_sent(USER, kind="audio", timeout=60)


async def test_a_text_too_short_to_read_is_explained_as_such(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    text = "Kurz, aber über dreihundert Zeichen lang: " + "Donaudampfschifffahrt " * 14
    assert len(text) >= 300
    assert len(text.split()) < 50
    fake.send_text(USER, text)
    status = await _final_status(fake, "✂️")
    assert status.text is not None
    assert "50 Wörter" in status.text
