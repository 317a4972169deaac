"""What a listener sees: fallbacks, twin requests, errors naming their link, groups, buttons."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.limits import TEMPO_CHOICES, tempo_allowed, tempo_step
from bot.telegram.texts import AudioMeta, CaptionNotes, build_caption, link_label, split_message
from tests.support.article_server import ArticleServer
from tests.support.audio import ffmpeg
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.conftest import GROUP, USER, StartBot, audios, settle, texts_of

ArticleUrl = Callable[..., str]
FALLBACK_NOTE = "Offline-Stimme (Sprachdienst überlastet)"


def _labels(message: SentMessage) -> list[str]:
    return [b["text"] for b in message.buttons]


async def _answer(fake: FakeTelegram, update: dict[str, Any]) -> dict[str, Any]:
    """The callback answer (toast) to a button press."""
    query_id = update["callback_query"]["id"]
    answer = await fake.wait_for(lambda f: f.callback_answers.get(query_id), 10)
    assert isinstance(answer, dict)
    return answer


async def _status_with(fake: FakeTelegram, chat_id: int, needle: str) -> SentMessage:
    return await fake.wait_for_sent(
        chat_id, lambda m: m.kind == "text" and needle in (m.text or ""), timeout=30
    )


# --- 1. a fallback render answers no request for the voice that failed --------------------------


async def test_an_outage_fallback_is_not_served_once_the_voice_is_back(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, gtts: FakeGTTS
) -> None:
    gtts.fail_randomly(1.0, status=429)
    await start_bot(
        HOERCLUB_TTS_ENGINE="gtts", HOERCLUB_GTTS_ENDPOINT=gtts.url, HOERCLUB_GTTS_RETRIES=0
    )
    url = article_url("ausfall", "Als Google schwieg", 60, image=False)
    fake.send_text(USER, url)
    robotic = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert robotic.caption is not None
    assert FALLBACK_NOTE in robotic.caption
    # The better voice is offered under the robotic audio.
    assert "🔁 Mit der besseren Stimme neu erstellen" in _labels(robotic)

    gtts.reset()  # the service recovers
    fake.send_text(USER, url)
    natural = await fake.wait_for_sent(USER, kind="audio", count=2, timeout=60)
    assert natural.caption is not None
    assert FALLBACK_NOTE not in natural.caption
    assert natural.file_id != robotic.file_id
    assert gtts.statuses
    assert set(gtts.statuses) == {200}
    assert "🔁 Mit der besseren Stimme neu erstellen" not in _labels(natural)

    # A new listener gets the natural voice too, by file_id.
    fake.send_text(USER + 1, url)
    other = await fake.wait_for_sent(USER + 1, kind="audio", timeout=60)
    assert other.file_id == natural.file_id
    assert other.caption is not None
    assert FALLBACK_NOTE not in other.caption


async def test_the_better_voice_button_renders_the_natural_voice_anew(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, gtts: FakeGTTS
) -> None:
    gtts.fail_randomly(1.0, status=503)
    await start_bot(
        HOERCLUB_TTS_ENGINE="gtts", HOERCLUB_GTTS_ENDPOINT=gtts.url, HOERCLUB_GTTS_RETRIES=0
    )
    fake.send_text(USER, article_url("zurueck", "Die Stimme kehrt zurück", 60, image=False))
    robotic = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    gtts.reset()
    pressed = fake.press_button(USER, robotic.message_id, robotic.button("Mit der besseren Stimme"))
    assert (await _answer(fake, pressed)).get("text") == (
        "In Ordnung, ich erstelle die Aufnahme neu."
    )
    natural = await fake.wait_for_sent(USER, kind="audio", count=2, timeout=60)
    assert natural.reply_to_message_id == robotic.message_id
    assert natural.caption is not None
    assert FALLBACK_NOTE not in natural.caption
    assert set(gtts.statuses) == {200}


# --- 2. the same link twice within a second ----------------------------------------------------


async def test_the_same_link_in_two_chats_at_once_is_uploaded_once(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    url = article_url("doppelt", "Zweimal gefragt", 150, image=False)
    fake.send_text(USER, url)
    fake.send_text(USER + 1, url)
    first = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    second = await fake.wait_for_sent(USER + 1, kind="audio", timeout=60)
    assert first.file_id == second.file_id
    sends = fake.calls_to("sendAudio")
    assert len(sends) == 2
    uploads = [c for c in sends if "audio" in c.files]
    assert len(uploads) == 1  # one upload; the other by file_id
    by_id = [c for c in sends if "audio" not in c.files]
    assert by_id[0].params["audio"] == first.file_id


async def test_the_same_link_twice_in_one_chat_is_answered_laeuft_schon(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot()
    url = article_url("ungeduldig", "Noch einmal geschickt", 150, image=False)
    fake.send_text(USER, url)
    again = fake.send_text(USER, url)
    told = await _status_with(fake, USER, "Läuft schon")
    assert told.reply_to_message_id == again["message"]["message_id"]
    assert "127.0.0.1/ungeduldig.html" in (told.text or "")
    await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(1.0)
    assert len(audios(fake, USER)) == 1


# --- 3. errors name their link and tell gone from failing ------------------------------------


def test_a_link_label_is_host_and_path_shortened_in_the_middle() -> None:
    assert link_label("https://www.example.org/a/b.html?x=1") == "example.org/a/b.html"
    long = "https://www.zeitung.example/politik/2024/09/" + "sehr-lange-ueberschrift-" * 4
    label = link_label(long)
    assert len(label) <= 48
    assert label.startswith("zeitung.example/…/sehr-lange")
    assert label.endswith("…")


async def test_each_failed_link_is_named_and_gone_is_told_from_failing(
    fake: FakeTelegram, start_bot: StartBot, articles: ArticleServer
) -> None:
    await start_bot(HOERCLUB_FETCH_TIMEOUT=1)
    gone = articles.add_route("/weg.html", status=404, body=b"<h1>Nicht gefunden</h1>")
    deleted = articles.add_route("/geloescht.html", status=410, body=b"<h1>Weg</h1>")
    broken = articles.add_route("/kaputt.html", status=503, body=b"<h1>Fehler</h1>")
    slow = articles.add_route("/langsam.html", body=b"<p>spaet</p>", delay=3.0)
    fake.send_text(USER, f"{gone}\n{deleted}\n{broken}\n{slow}")
    expected = {
        "weg.html": "🔎 Die Seite gibt es nicht (mehr)",
        "geloescht.html": "🔎 Die Seite gibt es nicht (mehr)",
        "kaputt.html": "später noch einmal versuchen",
        "langsam.html": "später noch einmal versuchen",
    }
    for name, wording in expected.items():
        status = await _status_with(fake, USER, f"🔗 127.0.0.1/{name}")
        assert wording in (status.text or ""), (name, status.text)
    finals = [t for t in texts_of(fake, USER) if "🔗" in t]
    assert len(set(finals)) == 4  # four different messages, one per link


# --- 4. settings in groups ---------------------------------------------------------------------

MEMBER = 31337
ADMIN = 27182


def _group(fake: FakeTelegram) -> None:
    fake.add_chat(GROUP, "supergroup", title="Lesekreis", bot_is_admin=True)


async def test_group_settings_are_the_groups_and_only_admins_change_them(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    _group(fake)
    bot = await start_bot()
    fake.send_text(GROUP, "/einstellungen", chat_type="supergroup", user_id=ADMIN)
    fake.make_admin(GROUP, ADMIN)
    menu = await fake.wait_for_sent(GROUP, lambda m: bool(m.buttons))
    assert menu.text is not None
    assert menu.text.startswith("⚙️ Einstellungen dieser Gruppe")
    assert "Nur Admins der Gruppe können sie ändern" in menu.text

    # A member's press: a toast, and nothing changes.
    pressed = fake.press_button(
        GROUP, menu.message_id, menu.button("Sprachnachricht"), user_id=MEMBER
    )
    answer = await _answer(fake, pressed)
    assert answer.get("show_alert") is True
    assert str(answer.get("text", "")).startswith("Nur Admins dieser Gruppe")
    assert fake.message(GROUP, menu.message_id).text == menu.text
    assert (await bot.jobs.prefs.get(GROUP)).format == "audio"
    assert (await bot.jobs.prefs.get(MEMBER)).format == "audio"

    # The admin's press changes the group's settings, not the admin's own.
    pressed = fake.press_button(
        GROUP, menu.message_id, menu.button("Sprachnachricht"), user_id=ADMIN
    )
    assert (await _answer(fake, pressed)).get("text") == "Gespeichert ✓"
    assert (await bot.jobs.prefs.get(GROUP)).format == "voice"
    assert (await bot.jobs.prefs.get(ADMIN)).format == "audio"
    redrawn = fake.message(GROUP, menu.message_id)
    assert redrawn.text is not None
    assert redrawn.text.startswith("⚙️ Einstellungen dieser Gruppe")

    # The group's audio follows the group's settings, whoever asks.
    url = article_url("gruppe-stimme", "Für alle als Sprachnachricht", 60, image=False)
    fake.send_text(GROUP, f"/lies {url}", chat_type="supergroup", user_id=MEMBER)
    voice = await fake.wait_for_sent(GROUP, kind="voice", timeout=60)
    assert voice.voice is not None
    status = next(c for c in fake.calls_to("sendMessage") if "⏳" in str(c.params.get("text")))
    assert status.params.get("disable_notification") is True  # progress notifies nobody


async def test_start_in_a_group_explains_the_group_rules(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    _group(fake)
    await start_bot()
    fake.send_text(GROUP, "/start", chat_type="supergroup", user_id=MEMBER)
    told = await fake.wait_for_sent(GROUP, kind="text")
    assert told.text is not None
    assert "/lies <Link>" in told.text
    assert "@hoerclub_test_bot" in told.text
    assert "Antwort mit /lies" in told.text
    assert "Alle anderen Nachrichten lasse ich in Ruhe" in told.text


# --- 5. a follow-up starts at synthesis --------------------------------------------------------


async def test_the_first_part_button_reads_the_kept_article_without_loading_the_page(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, articles: ArticleServer
) -> None:
    await start_bot(HOERCLUB_MAX_ARTICLE_WORDS=150, HOERCLUB_SUMMARY_SECONDS=20)
    url = article_url("behalten", "Ein Artikel, einmal geladen", 400, image=False)
    fake.send_text(USER, url)
    offer = await _status_with(fake, USER, "📏")
    assert articles.requests.count("/behalten.html") == 1
    fake.press_button(USER, offer.message_id, offer.button("ersten 150 Wörter"))
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.caption is not None
    assert "Gekürzt auf die ersten 150 Wörter" in audio.caption
    # The summary button under it starts from the kept article as well.
    fake.press_button(USER, audio.message_id, audio.button("Kurzfassung"))
    short = await fake.wait_for_sent(USER, kind="audio", count=2, timeout=60)
    assert short.caption is not None
    assert "Kurzfassung" in short.caption
    assert articles.requests.count("/behalten.html") == 1
    seen = [t or "" for t in fake.message(USER, offer.message_id).texts]
    after_offer = seen[next(i for i, t in enumerate(seen) if t.startswith("📏")) :]
    assert not any(t.startswith("🔎 Lade die Seite") for t in after_offer), after_offer
    later = [m for m in fake.sent(USER) if m.kind == "text" and m.message_id != offer.message_id]
    assert later  # the summary's own status message
    assert not any((t or "").startswith("🔎 Lade die Seite") for m in later for t in m.texts)


# --- 6. stages while a page loads --------------------------------------------------------------


async def test_a_slow_page_shows_its_host_loading_in_the_status_and_in_status_command(
    fake: FakeTelegram, start_bot: StartBot, articles: ArticleServer
) -> None:
    await start_bot()
    slow = articles.add_route("/zaeh.html", body=b"<p>kurz</p>", delay=2.5)
    fake.send_text(USER, slow)
    await _status_with(fake, USER, "🔎 Lade die Seite 127.0.0.1/zaeh.html …")
    fake.send_text(USER, "/status")
    listing = await _status_with(fake, USER, "Deine Warteschlange")
    assert listing.text is not None
    assert "1. 🔎 127.0.0.1/zaeh.html – lädt …" in listing.text
    assert "%" not in listing.text
    assert "record_voice" not in fake.chat_actions(USER)  # nothing is spoken yet
    assert "typing" in fake.chat_actions(USER)


# --- 7. one rule for pasted text, told before any status ---------------------------------------


async def test_a_short_pasted_text_is_refused_at_once_with_the_rule_the_help_states(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    text = "Kurz, aber über dreihundert Zeichen lang: " + "Donaudampfschifffahrt " * 14
    assert len(text) >= 300
    fake.send_text(USER, text)
    refusal = await fake.wait_for_sent(USER, kind="text")
    assert refusal.text == (
        "✂️ Dieser Text ist mir zu kurz zum Vorlesen: Ich brauche mindestens 50 Wörter. "
        "Schick mir einen längeren Text oder einen Link zum Artikel."
    )
    fake.send_text(USER, "Hallo du")
    hint = await fake.wait_for_sent(USER, kind="text", count=2)
    assert hint.text is not None
    assert "mindestens 50 Wörtern" in hint.text
    fake.send_text(USER, "/hilfe")
    help_text = await fake.wait_for_sent(USER, kind="text", count=3)
    assert help_text.text is not None
    assert "mindestens 50 Wörtern" in help_text.text
    await settle(0.3)
    assert not any("⏳" in t for t in texts_of(fake, USER))  # no status message at all


# --- 8. cosmetics and 9. conventions -----------------------------------------------------------


def _tags_and_cover(data: bytes, tmp_path: Path) -> tuple[str, bytes]:
    """The ID3 tags (ffmetadata text) and the embedded cover of an MP3."""
    path = tmp_path / "tagged.mp3"
    path.write_bytes(data)
    tags = subprocess.run(
        [ffmpeg(), "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    cover = subprocess.run(
        [
            ffmpeg(),
            "-v",
            "error",
            "-i",
            str(path),
            "-map",
            "0:v",
            "-c",
            "copy",
            "-f",
            "image2pipe",
            "-",
        ],
        capture_output=True,
        check=False,
    ).stdout
    return tags, cover


async def test_the_mp3_is_named_after_date_and_title_and_carries_cover_and_author(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, tmp_path: Path
) -> None:
    await start_bot()
    fake.send_text(USER, article_url("cover", "Elon Musk auf Twitter", 80))
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.audio is not None
    assert audio.audio["file_name"] == "2025-11-24 Elon Musk auf Twitter.mp3"
    assert audio.file_id is not None
    tags, cover = _tags_and_cover(fake.uploads[audio.file_id], tmp_path)
    assert "artist=Erika Muster" in tags
    assert cover.startswith(b"\xff\xd8")  # the article's image, as a JPEG
    assert "thumbnail" in audio.audio
    # A chat action while working, and the upload announced.
    actions = fake.chat_actions(USER)
    assert "record_voice" in actions
    assert "upload_voice" in actions


async def test_a_page_without_image_gets_a_generated_hoerclub_cover(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, tmp_path: Path
) -> None:
    await start_bot()
    fake.send_text(USER, article_url("ohne-bild", "Ein Artikel ohne Bild", 80, image=False))
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.file_id is not None
    assert audio.audio is not None
    _, cover = _tags_and_cover(fake.uploads[audio.file_id], tmp_path)
    assert cover.startswith(b"\xff\xd8")
    assert "thumbnail" in audio.audio  # the generated cover doubles as the thumbnail


async def test_the_empty_chat_explains_the_bot_in_german_and_english(
    fake: FakeTelegram, start_bot: StartBot
) -> None:
    await start_bot()
    calls = fake.calls_to("setMyDescription")
    by_language = {c.params.get("language_code"): c.params["description"] for c in calls}
    assert by_language[None].startswith("Hörclub liest dir Artikel vor")
    assert by_language["en"].startswith("Hörclub reads articles to you")
    short = {c.params.get("language_code") for c in fake.calls_to("setMyShortDescription")}
    assert short == {None, "en"}


def test_a_truncation_note_uses_the_thousands_separator() -> None:
    caption = build_caption(AudioMeta("Titel"), 60, notes=CaptionNotes(truncated_words=12000))
    assert "Gekürzt auf die ersten 12.000 Wörter" in caption


# --- buttons under every audio -----------------------------------------------------------------


async def test_buttons_under_an_audio_remake_it_faster_as_voice_and_show_its_text(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, articles: ArticleServer
) -> None:
    await start_bot()
    url = article_url("knoepfe-alle", "Alles per Knopf", 120, image=False)
    fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    labels = _labels(audio)
    for label in ("🔁 Neu erstellen", "⏪ Langsamer", "⏩ Schneller", "🎙 Als Sprachnachricht"):
        assert label in labels, labels
    assert "📄 Text" in labels

    pressed = fake.press_button(USER, audio.message_id, audio.button("Schneller"))
    assert (await _answer(fake, pressed)).get(
        "text"
    ) == "In Ordnung, ich mache sie schneller: 1,25×."
    faster = await fake.wait_for_sent(USER, kind="audio", count=2, timeout=60)
    assert faster.audio is not None
    assert audio.audio is not None
    assert faster.audio["duration"] < audio.audio["duration"]
    assert faster.reply_to_message_id == audio.message_id

    fake.press_button(USER, audio.message_id, audio.button("Als Sprachnachricht"))
    voice = await fake.wait_for_sent(USER, kind="voice", timeout=60)
    assert "🎵 Als Audiodatei" in _labels(voice)

    fake.press_button(USER, audio.message_id, audio.button("📄 Text"))
    text = await fake.wait_for_sent(
        USER,
        lambda m: m.kind == "text" and (m.text or "").startswith("Alles per Knopf"),
        timeout=10,
    )
    assert text.reply_to_message_id == audio.message_id
    # Each follow-up started from the kept article: the page was loaded once.
    assert articles.requests.count("/knoepfe-alle.html") == 1


def test_long_text_is_split_at_telegrams_limit_between_paragraphs() -> None:
    paragraph = "Wort " * 300  # 1,500 characters
    text = "\n\n".join([paragraph.strip()] * 7)
    pieces = split_message(text, 4096)
    assert all(len(p) <= 4096 for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )
    assert len(pieces) == 4
    assert split_message("x" * 5000, 4096)[0] == "x" * 4096


def test_the_tempo_steps_span_three_quarters_to_double_and_stop_at_the_ends() -> None:
    assert TEMPO_CHOICES[0] == 0.75
    assert TEMPO_CHOICES[-1] == 2.0
    assert all(tempo_allowed(t) for t in TEMPO_CHOICES)
    assert tempo_step(1.0, 1) == 1.25
    assert tempo_step(0.75, -1) is None
    assert tempo_step(2.0, 1) is None
