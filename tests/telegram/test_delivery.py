"""End to end: a link in a message becomes an audio in the chat (real bot, fake Bot API)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import null, update

from bot.jobs.api import CachedAudio, JobRequest
from bot.storage.models import AudioCacheRow
from bot.telegram.rendered import CachedCaption
from bot.telegram.texts import AudioMeta, CaptionNotes, build_caption
from tests.support.article_server import ArticleServer
from tests.support.audio import probe
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram, SentMessage, TextBuilder, entity
from tests.support.pages import article_page, paragraphs
from tests.telegram.conftest import (
    USER,
    StartBot,
    audios,
    settle,
    texts_of,
    wait_statuses_deleted,
)

ArticleUrl = Callable[..., str]


def _decode(
    fake: FakeTelegram, message: SentMessage, tmp_path: Path, suffix: str
) -> dict[str, object]:
    assert message.file_id is not None
    data = fake.uploads[message.file_id]
    path = tmp_path / f"{message.message_id}.{suffix}"
    path.write_bytes(data)
    return probe(path)


async def test_a_link_becomes_an_mp3_with_tags_thumbnail_caption_and_no_stale_status(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, tmp_path: Path
) -> None:
    await start_bot()
    url = article_url("tram", "Neue Straßenbahn für den Osten", 150)
    update = fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)

    info = audio.audio
    assert info is not None
    assert info["title"] == "Neue Straßenbahn für den Osten"
    assert info["performer"] == "Stadtanzeiger Beispielstadt"
    assert info["mime_type"] == "audio/mpeg"
    assert "thumbnail" in info, fake.notes
    assert info["thumbnail"]["width"] <= 320
    assert info["thumbnail"]["height"] <= 320
    assert audio.reply_to_message_id == update["message"]["message_id"]

    decoded = _decode(fake, audio, tmp_path, "mp3")
    duration = float(decoded["duration"])  # type: ignore[arg-type]
    assert decoded["decode_errors"] == []
    assert abs(duration - info["duration"]) <= 1.5
    # About 150 words plus the host's intro: espeak speaks German at roughly 2-3 words/s.
    assert 40 <= duration <= 150

    caption = audio.caption
    assert caption is not None
    assert caption.startswith("Neue Straßenbahn für den Osten\n")
    assert "Stadtanzeiger Beispielstadt · Erika Muster · 24.11.2025" in caption
    assert "🎧" in caption
    link = next(e for e in audio.entities if e["type"] == "text_link")
    assert link["url"] == url

    await wait_statuses_deleted(fake, USER)
    await settle(0.3)
    statuses = [m for m in fake.sent(USER) if m.kind == "text"]
    assert len(statuses) == 1
    assert statuses[0].deleted, statuses[0].texts
    assert statuses[0].texts[0] == "⏳ In der Warteschlange …"


async def test_the_second_request_reuses_the_file_id_without_fetch_synthesis_or_upload(
    fake: FakeTelegram,
    start_bot: StartBot,
    article_url: ArticleUrl,
    articles: ArticleServer,
    gtts: FakeGTTS,
) -> None:
    bot = await start_bot(HOERCLUB_TTS_ENGINE="gtts", HOERCLUB_GTTS_ENDPOINT=gtts.url)
    url = article_url("reuse", "Zweimal gefragt", 60, image=False)
    fake.send_text(USER, url)
    first = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    uploads, tts_requests, page_requests = len(fake.uploads), gtts.requests, len(articles.requests)

    fake.send_text(USER + 1, url + "?utm_source=newsletter")
    second = await fake.wait_for_sent(USER + 1, kind="audio", timeout=30)
    assert second.file_id == first.file_id
    assert len(fake.uploads) == uploads
    assert gtts.requests == tts_requests
    assert len(articles.requests) == page_requests
    # The same caption as the first delivery: linked title, site · author · date, listening time.
    assert second.caption is not None
    assert second.caption == first.caption
    assert "Stadtanzeiger Beispielstadt · Erika Muster · 24.11.2025" in second.caption
    assert "🎧" in second.caption
    assert second.entities == first.entities
    link = next(e for e in second.entities if e["type"] == "text_link")
    assert link["url"] == url
    call = fake.calls_to("sendAudio")[-1]
    assert call.params["audio"] == first.file_id

    # A row remembered before the caption was stored (meta NULL) still answers, more thinly.
    async with bot.db.session() as session:
        await session.execute(update(AudioCacheRow).values(meta=null()))
    fake.send_text(USER + 2, url + "?utm_source=old")
    third = await fake.wait_for_sent(USER + 2, kind="audio", timeout=30)
    assert third.file_id == first.file_id
    assert len(fake.uploads) == uploads
    assert third.caption is not None
    assert third.caption.startswith("Zweimal gefragt\n")
    assert "🎧" in third.caption
    assert "Erika Muster" not in third.caption


async def test_links_in_text_link_entities_captions_and_forwarded_channel_posts(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    a = article_url("quelle-a", "Artikel aus einem Textlink", 50, image=False, seed=1)
    b = article_url("quelle-b", "Artikel aus einer Bildunterschrift", 50, image=False, seed=2)
    c = article_url("quelle-c", "Artikel aus einem Kanal", 50, image=False, seed=3)
    d = article_url("quelle-d", "Artikel nach Emojis", 50, image=False, seed=4)

    text, entities = (
        TextBuilder().plain("😀 Schau mal ").add("hier", "text_link", url=a).plain(" 👍").build()
    )
    fake.send_text(USER, text, entities=entities)
    await fake.wait_for_sent(USER, kind="audio", count=1, timeout=60)

    fake.send_text(USER, caption=f"Foto dazu 📷 {b}")
    await fake.wait_for_sent(USER, kind="audio", count=2, timeout=60)

    post = f"Neu im Kanal: {c}"
    fake.send_text(USER, post, forward_from_chat=-1001234567, entities=[entity(post, c, "url")])
    await fake.wait_for_sent(USER, kind="audio", count=3, timeout=60)

    emoji_text = f"👨‍👩‍👧‍👦🇩🇪 Ärger über {d} — lesenswert"
    fake.send_text(USER, emoji_text)
    await fake.wait_for_sent(USER, kind="audio", count=4, timeout=60)

    titles = [m.audio["title"] for m in audios(fake, USER) if m.audio]
    assert titles == [
        "Artikel aus einem Textlink",
        "Artikel aus einer Bildunterschrift",
        "Artikel aus einem Kanal",
        "Artikel nach Emojis",
    ]


async def test_several_links_are_queued_in_order_and_capped_with_a_note(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot(HOERCLUB_MAX_LINKS_PER_MESSAGE=3)
    urls = [
        article_url(f"reihe-{n}", f"Artikel Nummer {n}", 60 + 40 * (3 - n), image=False, seed=n)
        for n in range(1, 5)
    ]
    fake.send_text(USER, "Bitte alle:\n" + "\n".join(urls))
    await fake.wait_for_sent(USER, kind="audio", count=3, timeout=90)
    await settle(1.0)
    titles = [m.audio["title"] for m in audios(fake, USER) if m.audio]
    assert titles == ["Artikel Nummer 1", "Artikel Nummer 2", "Artikel Nummer 3"]
    notes = [t for t in texts_of(fake, USER) if "ersten 3 Links" in t]
    assert notes == [
        "Ich lese die ersten 3 Links dieser Nachricht vor. "
        "Den einen weiteren schick mir bitte in einer neuen Nachricht."
    ]


async def test_a_long_text_without_link_is_read_aloud_itself(
    fake: FakeTelegram, start_bot: StartBot, tmp_path: Path
) -> None:
    await start_bot()
    text = "Stadtrat beschließt neuen Radweg\n\n" + "\n\n".join(paragraphs(80, seed=2))
    assert len(text) >= 300
    fake.send_text(USER, text, forward_from_chat=-100999)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.audio is not None
    assert audio.audio["title"] == "Stadtrat beschließt neuen Radweg"
    assert audio.caption is not None
    assert audio.caption.startswith("Stadtrat beschließt neuen Radweg")
    decoded = _decode(fake, audio, tmp_path, "mp3")
    assert float(decoded["duration"]) > 20  # type: ignore[arg-type]


async def test_voice_setting_sends_an_ogg_opus_voice_message(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, tmp_path: Path
) -> None:
    await start_bot()
    fake.send_text(USER, "/einstellungen")
    menu = await fake.wait_for_sent(USER, lambda m: bool(m.buttons))
    fake.press_button(USER, menu.message_id, menu.button("Sprachnachricht"))
    await fake.wait_for(lambda f: any(a for a in f.callback_answers.values()))
    fake.press_button(USER, menu.message_id, fake.message(USER, menu.message_id).button("1,5×"))
    await fake.wait_for(lambda f: sum(1 for a in f.callback_answers.values() if a) == 2)

    url = article_url("sprachnachricht", "Als Sprachnachricht", 80, image=False)
    fake.send_text(USER, url)
    voice = await fake.wait_for_sent(USER, kind="voice", timeout=60)
    assert voice.voice is not None
    assert voice.voice["mime_type"] == "audio/ogg"
    decoded = _decode(fake, voice, tmp_path, "ogg")
    assert decoded["codec"] == "opus"
    assert abs(float(decoded["duration"]) - voice.voice["duration"]) <= 1.5  # type: ignore[arg-type]
    assert audios(fake, USER) == []

    # The same article as MP3 at tempo 1.0 lasts about 1.5 times as long (atempo, same pitch).
    fake.press_button(USER, menu.message_id, fake.message(USER, menu.message_id).button("1,0×"))
    fake.press_button(USER, menu.message_id, fake.message(USER, menu.message_id).button("MP3"))
    await fake.wait_for(lambda f: sum(1 for a in f.callback_answers.values() if a) == 4)
    fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.audio is not None
    ratio = audio.audio["duration"] / voice.voice["duration"]
    assert 1.3 <= ratio <= 1.7, ratio


async def test_progress_is_one_status_message_edited_at_most_every_two_seconds(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, gtts: FakeGTTS
) -> None:
    gtts.delay = 0.2
    await start_bot(
        HOERCLUB_TTS_ENGINE="gtts", HOERCLUB_GTTS_ENDPOINT=gtts.url, HOERCLUB_TTS_CONCURRENCY=1
    )
    url = article_url("fortschritt", "Langsam gesprochen", 300, image=False)
    fake.send_text(USER, url)
    await fake.wait_for_sent(USER, kind="audio", timeout=90)
    await wait_statuses_deleted(fake, USER)
    await settle(0.3)
    statuses = [m for m in fake.sent(USER) if m.kind == "text"]
    assert len(statuses) == 1
    status = statuses[0]
    assert status.deleted
    seen = [t or "" for t in status.texts]
    assert seen[0] == "⏳ In der Warteschlange …"
    assert seen[1] == "🔎 Lade die Seite 127.0.0.1/fortschritt.html …", seen
    assert any("Langsam gesprochen" in t and "🎧 etwa" in t for t in seen), seen
    percents = [t for t in seen if "Spreche" in t]
    assert percents, seen
    # "📤 Sende …" only shows when the upload itself outlasts the 2 s edit interval.
    edits = [
        c.at
        for c in fake.calls_to("editMessageText")
        if c.params.get("message_id") == status.message_id and c.ok
    ]
    gaps = [b - a for a, b in itertools.pairwise(edits)]
    assert all(gap >= 1.8 for gap in gaps), gaps


async def test_a_429_is_waited_out_and_the_audio_arrives_once(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    fake.fail_next("sendAudio", 429, retry_after=1)
    url = article_url("flut", "Trotz Flutkontrolle", 60, image=False)
    fake.send_text(USER, url)
    await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(1.5)
    assert len(audios(fake, USER)) == 1
    failed = [c for c in fake.calls_to("sendAudio") if not c.ok]
    assert [c.status for c in failed] == [429]


async def test_caption_html_is_escaped(
    fake: FakeTelegram, start_bot: StartBot, articles: ArticleServer
) -> None:
    await start_bot()
    url = articles.add_route(
        "/escape.html", body=article_page('Preise <sinken> & Mieten "steigen"', 60)
    )
    fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.caption is not None
    assert audio.caption.startswith('Preise <sinken> & Mieten "steigen"')


async def test_an_english_speaking_user_gets_english_status_and_caption(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    fake.send_text(USER, article_url("english-ui", "Auf Englisch bedient", 60), language_code="en")
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.caption is not None
    assert audio.caption.splitlines()[-1].endswith((" sec", " min"))
    assert "2025-11-24" in audio.caption
    status = next(m for m in fake.sent(USER) if m.kind == "text")
    assert status.texts[0] == "⏳ Queued …"


async def test_the_same_link_from_two_users_at_once_is_rendered_once(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, gtts: FakeGTTS
) -> None:
    gtts.delay = 0.1
    await start_bot(HOERCLUB_TTS_ENGINE="gtts", HOERCLUB_GTTS_ENDPOINT=gtts.url)
    url = article_url("beliebt", "Alle wollen es hören", 120, image=False)
    fake.send_text(USER, url)
    fake.send_text(USER + 1, url)
    first = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    second = await fake.wait_for_sent(USER + 1, kind="audio", timeout=60)
    assert first.audio is not None
    assert second.audio is not None
    assert first.audio["title"] == second.audio["title"] == "Alle wollen es hören"
    # Every chunk was requested once: one render, shared (or answered by file_id).
    assert len(gtts.texts) == len(set(gtts.texts))
    await settle(0.5)
    assert len(audios(fake, USER)) == len(audios(fake, USER + 1)) == 1


def test_the_cached_caption_keeps_the_truncation_note_but_not_the_fallback() -> None:
    meta = AudioMeta("Titel", "https://example.org/a", "Seite", "Autorin", "2025-11-24")
    said = CachedCaption(meta, 60.4, CaptionNotes(fell_back=True, truncated_words=500))
    cached = CachedAudio(file_id="F", duration=60, title="Titel", meta=said.to_dict())
    request = JobRequest(USER, USER, "url", "https://example.org/a?utm_source=x")
    again = CachedCaption.from_cached(cached, request)
    assert again.meta == said.meta
    assert again.notes.truncated_words == 500
    caption = build_caption(again.meta, again.duration, notes=again.notes)
    assert "🎧 1 Min." in caption  # from 60.4 s, the nearest minute as the first delivery said
    assert "500" in caption
    # A hit is always the engine that was asked for: the offline voice was chosen, not a
    # stand-in for a busy service.
    assert "Offline-Stimme" not in caption


def test_the_caption_names_the_voice_that_stepped_in() -> None:
    meta = AudioMeta("Titel", "https://example.org/a", "Seite", "Autorin", "2025-11-24")
    by_google = CaptionNotes(fell_back=True, spoken_by="gtts")
    caption = build_caption(meta, 61, notes=CaptionNotes.from_dict(by_google.to_dict()))
    assert "Ersatzstimme: Google" in caption
    assert "Offline-Stimme" not in caption
    offline = build_caption(meta, 61, notes=CaptionNotes(fell_back=True, spoken_by="espeak"))
    assert "Offline-Stimme" in offline
