"""Short versions, the Raumgespräch and their buttons, with the real bot against the fake server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.jobs.api import JobRequest, RenderPrefs
from bot.telegram.keyboards import CALLBACK_DATA_BYTES, parse_variant, variant_data
from tests.support.article_server import ArticleServer
from tests.support.audio import probe
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.conftest import USER, StartBot, audios, settle, texts_of

ArticleUrl = Callable[..., str]

EXTRACTION = Path(__file__).resolve().parents[1] / "data" / "extraction"
# A summary of about a minute; the articles below are several times longer.
SUMMARY_SECONDS = 60
ACCEPTED_SUMMARY = "In Ordnung, ich mache dir die Kurzfassung."
LLM_MISSING = (
    "🤖 Dafür braucht der Hörclub ein Sprachmodell: "
    "Der Betreiber muss HOERCLUB_LLM_BASE_URL und HOERCLUB_LLM_MODEL setzen."
)


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    """The local fake of an OpenAI-compatible chat-completions endpoint."""
    with FakeOpenAI() as server:
        yield server


def _seconds(fake: FakeTelegram, message: SentMessage, tmp_path: Path) -> float:
    """The decoded length of a delivered audio."""
    assert message.file_id is not None
    path = tmp_path / f"{message.message_id}.mp3"
    path.write_bytes(fake.uploads[message.file_id])
    info = probe(path)
    assert info["decode_errors"] == []
    return float(info["duration"])


def _labels(message: SentMessage) -> list[str]:
    """The buttons, without the actions under an audio (remake, tempo, kind, text)."""
    return [b["text"] for b in message.buttons if not b["callback_data"].startswith("do:")]


def _job_id(message: SentMessage) -> int:
    """The job a delivered audio's buttons name."""
    wanted = parse_variant(message.buttons[0]["callback_data"])
    assert wanted is not None
    return wanted.job_id


async def _answer(fake: FakeTelegram, update: dict[str, Any]) -> dict[str, Any]:
    """The callback answer (toast) to a button press."""
    query_id = update["callback_query"]["id"]
    answer = await fake.wait_for(lambda f: f.callback_answers.get(query_id), 10)
    assert isinstance(answer, dict)
    return answer


def _talk_answer(messages: list[dict[str, Any]]) -> str:
    """A valid conversation of about three minutes (450 words at 150 a minute)."""
    lines = [
        {
            "speaker": "host",
            "line": "Willkommen im Hörclub. Heute geht es um einen Bericht aus dem "
            "Stadtanzeiger Beispielstadt über die neue Straßenbahn. Was ist geplant?",
        }
    ]
    for index in range(7):
        lines.append(
            {
                "speaker": "guest",
                "line": "Die Stadtwerke haben neue Pläne für den Ausbau der Straßenbahn "
                "vorgestellt, die ersten Bauarbeiten sollen im kommenden Frühjahr beginnen. "
                "Anwohner hatten sich seit Jahren eine bessere Anbindung der äußeren "
                "Stadtteile gewünscht, und der Stadtrat will im Herbst über die Finanzierung "
                "des Vorhabens abstimmen.",
            }
        )
        lines.append(
            {
                "speaker": "host",
                "line": f"Und was sagen die Kritiker zum Abschnitt {index + 1}?",
            }
        )
    lines.append(
        {
            "speaker": "guest",
            "line": "Sie bemängeln, dass die Kosten in den vergangenen Monaten deutlich "
            "gestiegen seien.",
        }
    )
    return json.dumps({"lines": lines}, ensure_ascii=False)


# --- callback data ----------------------------------------------------------------------------


def test_variant_buttons_fit_telegrams_64_bytes_and_refuse_malformed_data() -> None:
    biggest = 2**63 - 1  # a BIGINT job id
    for variant in ("full", "summary", "talk"):
        data = variant_data(variant, biggest)
        assert len(data.encode()) <= CALLBACK_DATA_BYTES
        wanted = parse_variant(data)
        assert wanted is not None
        assert (wanted.variant, wanted.job_id) == (variant, biggest)
    for bad in (
        "alt:x:12",
        "alt:s:",
        "alt:s:-3",
        "alt:s:0",
        "alt:s:1e3",
        "alt:s:١٢",  # Arabic-Indic digits pass str.isdigit()
        "alt:s:12:13",
        "alt:s:" + "9" * 20,
        "set:s:12",
    ):
        assert parse_variant(bad) is None, bad


def test_a_summary_job_is_its_own_job_and_keeps_its_options() -> None:
    full = RenderPrefs()
    summary = RenderPrefs(variant="summary", summary_by="llm", summary_first=True)
    assert RenderPrefs.from_dict(summary.to_dict()) == summary
    assert RenderPrefs.from_dict({"variant": "nonsense", "summary_by": 3}) == full
    request = JobRequest(USER, USER, "url", "https://example.org/a")
    assert request.options.variant == "full"


# --- /kurz and the buttons --------------------------------------------------------------------


async def test_kurz_delivers_a_short_version_of_the_target_length(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, tmp_path: Path
) -> None:
    await start_bot(HOERCLUB_SUMMARY_SECONDS=SUMMARY_SECONDS)
    url = article_url("kurz", "Ein langer Bericht über die Straßenbahn", 900, image=False)
    update = fake.send_text(USER, f"/kurz {url}")
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    seconds = _seconds(fake, audio, tmp_path)
    assert SUMMARY_SECONDS * 0.8 <= seconds <= SUMMARY_SECONDS * 1.2
    assert audio.caption is not None
    assert "✂️ Kurzfassung – der ganze Artikel dauert etwa" in audio.caption
    assert audio.reply_to_message_id == update["message"]["message_id"]
    # Under a summary: the whole article; no conversation without a language model.
    assert _labels(audio) == ["▶️ Ganzer Artikel"]


async def test_the_buttons_switch_between_whole_and_short_and_reuse_each_upload(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl, tmp_path: Path
) -> None:
    await start_bot(HOERCLUB_SUMMARY_SECONDS=SUMMARY_SECONDS)
    url = article_url("knoepfe", "Neue Linien für die Stadt", 500, image=False)
    fake.send_text(USER, url)
    full = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert full.caption is not None
    assert "Kurzfassung" not in full.caption
    # Under a whole article: the short version; no conversation without a language model.
    assert _labels(full) == ["🎧 Kurzfassung"]
    assert all(len(b["callback_data"].encode()) <= CALLBACK_DATA_BYTES for b in full.buttons)

    pressed = fake.press_button(USER, full.message_id, full.button("Kurzfassung"))
    assert (await _answer(fake, pressed)).get(
        "text"
    ) == "In Ordnung, ich mache dir die Kurzfassung."
    short = await fake.wait_for_sent(USER, kind="audio", count=2, timeout=60)
    assert short.caption is not None
    assert "✂️ Kurzfassung" in short.caption
    assert short.reply_to_message_id == full.message_id
    assert _seconds(fake, short, tmp_path) < _seconds(fake, full, tmp_path) / 2
    assert _labels(short) == ["▶️ Ganzer Artikel"]
    uploads = len(fake.uploads)

    pressed = fake.press_button(USER, short.message_id, short.button("Ganzer Artikel"))
    assert (await _answer(fake, pressed)).get("text") == (
        "In Ordnung, ich lese dir den ganzen Artikel vor."
    )
    again_full = await fake.wait_for_sent(USER, kind="audio", count=3, timeout=60)
    assert again_full.file_id == full.file_id  # the whole article, sent again by file_id
    assert again_full.caption == full.caption
    assert _labels(again_full) == ["🎧 Kurzfassung"]

    pressed = fake.press_button(USER, again_full.message_id, again_full.button("Kurzfassung"))
    again_short = await fake.wait_for_sent(USER, kind="audio", count=4, timeout=60)
    # The second request for the same summary: its own cache entry, no new upload.
    assert again_short.file_id == short.file_id
    assert again_short.caption == short.caption
    assert fake.calls_to("sendAudio")[-1].params["audio"] == short.file_id
    assert len(fake.uploads) == uploads


async def test_a_summary_is_sent_again_by_file_id_without_fetch_or_synthesis(
    fake: FakeTelegram,
    start_bot: StartBot,
    article_url: ArticleUrl,
    articles: ArticleServer,
    gtts: FakeGTTS,
) -> None:
    await start_bot(
        HOERCLUB_TTS_ENGINE="gtts",
        HOERCLUB_GTTS_ENDPOINT=gtts.url,
        HOERCLUB_SUMMARY_SECONDS=SUMMARY_SECONDS,
    )
    url = article_url("zweimal-kurz", "Zweimal kurz gefragt", 600, image=False)
    fake.send_text(USER, f"/kurz {url}")
    first = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    uploads, tts_requests, pages = len(fake.uploads), gtts.requests, len(articles.requests)

    fake.send_text(USER + 1, f"/summary {url}?utm_source=newsletter", language_code="en")
    second = await fake.wait_for_sent(USER + 1, kind="audio", timeout=30)
    assert second.file_id == first.file_id
    assert len(fake.uploads) == uploads
    assert gtts.requests == tts_requests
    assert len(articles.requests) == pages
    assert second.caption is not None
    assert "✂️ Short version – the full article takes about" in second.caption
    assert _labels(second) == ["▶️ Full article"]

    # The whole article is another audio: not answered with the summary's file_id.
    fake.send_text(USER + 2, url)
    whole = await fake.wait_for_sent(USER + 2, kind="audio", timeout=60)
    assert whole.file_id != first.file_id
    # One new audio (with its generated cover as the thumbnail).
    assert len([f for f in fake.files.values() if f.kind == "audio"]) == 2


async def test_kurzfassung_zuerst_makes_every_link_a_summary_with_the_full_article_button(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    bot = await start_bot(HOERCLUB_SUMMARY_SECONDS=SUMMARY_SECONDS)
    fake.send_text(USER, "/einstellungen")
    menu = await fake.wait_for_sent(USER, lambda m: bool(m.buttons))
    assert menu.text is not None
    assert "Kurzfassung zuerst: aus" in menu.text
    assert "Kurzfassung: " not in menu.text.replace("Kurzfassung zuerst", "")  # no model
    pressed = fake.press_button(USER, menu.message_id, menu.button("Kurzfassung zuerst: aus"))
    assert (await _answer(fake, pressed)).get("text") == "Gespeichert ✓"
    assert (await bot.jobs.prefs.get(USER)).summary_first is True
    shown = await fake.wait_for(
        lambda f: ((m := f.message(USER, menu.message_id)).edit_count and m) or None, 10
    )
    assert shown.text is not None
    assert "Kurzfassung zuerst: an" in shown.text
    assert "Kurzfassung zuerst: an" in _labels(shown)

    url = article_url("zuerst", "Erst kurz, dann lang", 500, image=False)
    fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.caption is not None
    assert "✂️ Kurzfassung" in audio.caption
    assert _labels(audio) == ["▶️ Ganzer Artikel"]


async def test_too_long_offers_the_first_part_and_the_summary(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    await start_bot(HOERCLUB_MAX_ARTICLE_WORDS=100, HOERCLUB_SUMMARY_SECONDS=SUMMARY_SECONDS)
    url = article_url("zulang", "Ein sehr langer Bericht", 600, image=False)
    fake.send_text(USER, url)
    offer = await fake.wait_for_sent(
        USER, lambda m: m.kind == "text" and (m.text or "").startswith("📏"), timeout=30
    )
    assert [label.split(" ", 1)[0] for label in _labels(offer)] == ["▶️", "🎧"]
    assert "Die ersten 100 Wörter vorlesen" in _labels(offer)[0]
    assert _labels(offer)[1] == "🎧 Kurzfassung"

    pressed = fake.press_button(USER, offer.message_id, offer.button("Kurzfassung"))
    assert (await _answer(fake, pressed)).get(
        "text"
    ) == "In Ordnung, ich mache dir die Kurzfassung."
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.caption is not None
    assert "✂️ Kurzfassung" in audio.caption
    # The offer became the new job's status (and went away with the delivery); how many
    # progress steps it showed in between depends on the machine's speed.
    assert "⏳ In der Warteschlange …" in fake.message(USER, offer.message_id).texts
    await fake.wait_for(
        lambda f: f.message(USER, offer.message_id).deleted, what="the status deleted"
    )


async def test_gespraech_without_a_language_model_says_what_the_operator_must_set(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    bot = await start_bot()
    url = article_url("ohne-modell", "Ohne Sprachmodell", 200, image=False)
    fake.send_text(USER, f"/gespraech {url}")
    reply = await fake.wait_for_sent(USER)
    assert reply.text == LLM_MISSING
    fake.send_text(USER, f"/talk {url}", language_code="en")
    english = await fake.wait_for_sent(USER, count=2)
    assert english.text is not None
    assert "HOERCLUB_LLM_BASE_URL and HOERCLUB_LLM_MODEL" in english.text
    assert english.text.count("\n") == 0
    await settle(0.5)
    assert audios(fake, USER) == []
    assert await bot.jobs.list_user(USER) == []
    assert len(texts_of(fake, USER)) == 2  # no status message: nothing was queued


async def test_gespraech_with_a_language_model_delivers_the_conversation(
    fake: FakeTelegram,
    start_bot: StartBot,
    article_url: ArticleUrl,
    openai: FakeOpenAI,
    tmp_path: Path,
) -> None:
    openai.content = _talk_answer
    await start_bot(HOERCLUB_LLM_BASE_URL=openai.base_url, HOERCLUB_LLM_MODEL="fake-model")
    assert "gespraech" in [c["command"] for c in fake.commands_for("")]
    assert "talk" in [c["command"] for c in fake.commands_for("en")]
    url = article_url("gespraech", "Neue Straßenbahn für den Osten", 300, image=False)
    fake.send_text(USER, f"/gespraech {url}")
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=120)
    assert audio.caption is not None
    assert "🎙 Raumgespräch" in audio.caption
    assert _labels(audio) == ["▶️ Ganzer Artikel", "🎧 Kurzfassung"]
    assert len(openai.requests) == 1
    assert openai.requests[0]["response_format"] == {"type": "json_object"}
    # About 370 spoken words: two to four minutes by the estimate, espeak a little slower.
    assert 100 <= _seconds(fake, audio, tmp_path) <= 300

    # With a model the whole article offers the conversation beside the short version.
    fake.send_text(USER, url)
    full = await fake.wait_for_sent(USER, kind="audio", count=2, timeout=60)
    assert _labels(full) == ["🎧 Kurzfassung", "🎙 Raumgespräch"]


async def test_a_failed_model_is_mentioned_only_to_who_asked_for_it(
    fake: FakeTelegram,
    start_bot: StartBot,
    article_url: ArticleUrl,
    openai: FakeOpenAI,
) -> None:
    openai.mode = "error"
    bot = await start_bot(
        HOERCLUB_LLM_BASE_URL=openai.base_url,
        HOERCLUB_LLM_MODEL="fake-model",
        HOERCLUB_SUMMARY_SECONDS=SUMMARY_SECONDS,
    )
    fake.send_text(USER, "/einstellungen")
    menu = await fake.wait_for_sent(USER, lambda m: bool(m.buttons))
    assert menu.text is not None
    assert "Kurzfassung: Automatisch" in menu.text
    pressed = fake.press_button(USER, menu.message_id, menu.button("Sprachmodell"))
    await _answer(fake, pressed)
    assert (await bot.jobs.prefs.get(USER)).summary_by == "llm"

    url = article_url("modell-weg", "Wenn das Modell schweigt", 500, image=False)
    fake.send_text(USER, f"/kurz {url}")
    asked = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert asked.caption is not None
    assert "✂️ Kurzfassung" in asked.caption
    assert "Offline erstellt – das Sprachmodell war nicht verfügbar" in asked.caption

    fake.send_text(USER + 1, f"/kurz {url}")
    automatic = await fake.wait_for_sent(USER + 1, kind="audio", timeout=60)
    assert automatic.caption is not None
    assert "✂️ Kurzfassung" in automatic.caption
    assert "Sprachmodell" not in automatic.caption
    assert len(openai.requests) == 2  # both tried the model; neither answer was reused


async def test_a_paywalled_pages_caption_says_the_rest_is_behind_the_paywall(
    fake: FakeTelegram, start_bot: StartBot, articles: ArticleServer
) -> None:
    await start_bot()
    url = articles.add_route(
        "/brenntec.html", body=(EXTRACTION / "paywall_teaser.html").read_bytes()
    )
    fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.caption is not None
    assert (
        "✂️ Der Text wirkt gekürzt – der Rest steht vermutlich hinter einer Bezahlschranke."
        in audio.caption
    )

    # The short version of it says so too.
    pressed = fake.press_button(USER, audio.message_id, audio.button("Kurzfassung"))
    await _answer(fake, pressed)
    short = await fake.wait_for_sent(USER, kind="audio", count=2, timeout=60)
    assert short.caption is not None
    assert "Bezahlschranke" in short.caption


async def test_forged_stale_and_foreign_buttons_change_nothing_and_get_a_toast(
    fake: FakeTelegram, start_bot: StartBot, article_url: ArticleUrl
) -> None:
    bot = await start_bot()
    url = article_url("faelschung", "Knöpfe mit Vorsicht", 120, image=False)
    fake.send_text(USER, url)
    mine = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    fake.send_text(USER + 1, url)
    theirs = await fake.wait_for_sent(USER + 1, kind="audio", timeout=60)
    fake.send_text(USER, "/start")
    greeting = await fake.wait_for_sent(USER, lambda m: (m.text or "").startswith("Hallo"))
    sent_before = len(fake.sent(USER))

    forgeries = [
        (mine.message_id, variant_data("summary", _job_id(theirs))),  # another chat's job
        (mine.message_id, variant_data("summary", 987_654)),  # no such job
        (greeting.message_id, variant_data("summary", _job_id(mine))),  # not its message
        (mine.message_id, "alt:q:1"),  # no such version
        (mine.message_id, "alt:s:" + "9" * 30),  # no such id
    ]
    for message_id, data in forgeries:
        pressed = fake.press_button(USER, message_id, data, forged=True)
        answer = await _answer(fake, pressed)
        assert answer.get("show_alert") is True, data
        assert str(answer.get("text", "")).startswith("Diese Schaltfläche gilt hier nicht"), data
    await settle(0.5)
    assert len(fake.sent(USER)) == sent_before  # no status, no audio
    assert await bot.jobs.list_user(USER) == []
    assert await bot.jobs.list_user(USER + 1) == []


async def test_a_failed_conversation_offers_the_short_version(
    fake: FakeTelegram,
    start_bot: StartBot,
    article_url: ArticleUrl,
    openai: FakeOpenAI,
) -> None:
    openai.mode = "garbage"
    await start_bot(
        HOERCLUB_LLM_BASE_URL=openai.base_url,
        HOERCLUB_LLM_MODEL="fake-model",
        HOERCLUB_SUMMARY_SECONDS=SUMMARY_SECONDS,
    )
    url = article_url("kein-gespraech", "Kein Gespräch heute", 400, image=False)
    fake.send_text(USER, f"/gespraech {url}")
    failed = await fake.wait_for_sent(
        USER, lambda m: m.kind == "text" and (m.text or "").startswith("🤖"), timeout=30
    )
    assert failed.text is not None
    assert "keine brauchbare Antwort" in failed.text
    assert _labels(failed) == ["🎧 Kurzfassung"]
    pressed = fake.press_button(USER, failed.message_id, failed.button("Kurzfassung"))
    assert (await _answer(fake, pressed)).get("text") == ACCEPTED_SUMMARY
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    assert audio.caption is not None
    assert "✂️ Kurzfassung" in audio.caption
    assert "Sprachmodell" not in audio.caption  # asked for "automatic": not told
