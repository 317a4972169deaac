"""Message texts: escaping, durations, captions within Telegram's limit, keyboards."""

from __future__ import annotations

from bot.errors import ArticleTooLongError, PaywallError
from bot.jobs.api import RenderPrefs
from bot.telegram.keyboards import (
    parse_first_part,
    parse_setting,
    settings_keyboard,
)
from bot.telegram.texts import (
    CAPTION_LIMIT,
    AudioMeta,
    CaptionNotes,
    Html,
    build_caption,
    error_text,
    format_duration,
    format_tempo,
    t,
    visible_length,
)
from bot.telegram.voices import parse_voice
from tests.support.fake_telegram_entities import parse_html


def test_parameters_are_html_escaped_unless_marked() -> None:
    text = t("status.done", "de", title="<b>Bombe</b> & Co", duration=Html("<i>5</i>"))
    assert "&lt;b&gt;Bombe&lt;/b&gt; &amp; Co" in text
    assert "<i>5</i>" in text


def test_durations_read_naturally() -> None:
    assert format_duration(42, "de") == "42 Sek."
    assert format_duration(61, "de") == "1 Min."
    assert format_duration(3 * 60 + 3, "de") == "3 Min."  # the nearest minute
    assert format_duration(2 * 60 + 42, "de") == "3 Min."
    assert format_duration(12 * 60 + 10, "de") == "12 Min."
    assert format_duration(3900, "de") == "1 Std. 5 Min."
    assert format_duration(3900, "en") == "1 h 5 min"


def test_tempo_uses_the_german_decimal_comma() -> None:
    assert format_tempo(1.25, "de") == "1,25×"
    assert format_tempo(1.0, "de") == "1,0×"
    assert format_tempo(1.5, "en") == "1.5×"


def test_caption_links_title_and_names_site_author_date_and_time() -> None:
    meta = AudioMeta(
        title="Bahn & Bus: <Neue> Takte",
        url="https://example.org/a?x=1&y=2",
        site="Beispiel-Zeitung",
        author="Erika Muster",
        date="2025-11-24",
    )
    caption = build_caption(meta, 725, "de")
    text, entities = parse_html(caption)
    assert text.startswith("Bahn & Bus: <Neue> Takte\n")
    assert "Beispiel-Zeitung · Erika Muster · 24.11.2025" in text
    assert "🎧 12 Min." in text
    link = next(e for e in entities if e["type"] == "text_link")
    assert link["url"] == "https://example.org/a?x=1&y=2"


def test_caption_stays_within_1024_characters_after_parsing() -> None:
    meta = AudioMeta(
        title="Ü" * 3000 + " 😀" * 200,
        url="https://example.org/" + "a" * 500,
        site="S" * 300,
        author="A & B " * 200,
        date="2025-01-02",
    )
    notes = CaptionNotes(
        fell_back=True, truncated_words=9, paywalled=True, variant="summary", full_seconds=900
    )
    caption = build_caption(meta, 100, "de", part=2, parts=3, notes=notes)
    text, _ = parse_html(caption)
    assert len(text.encode("utf-16-le")) // 2 <= CAPTION_LIMIT
    assert visible_length(caption) <= CAPTION_LIMIT
    assert "Teil 2/3" in text
    assert "Offline-Stimme" in text
    assert "Kurzfassung – der ganze Artikel dauert etwa 15 Min." in text
    assert "Bezahlschranke" in text


def test_error_text_uses_params_and_defaults() -> None:
    text = error_text(
        ArticleTooLongError("x", words=20000, limit=12000), "de", defaults={"max_words": "12.000"}
    )
    assert "12.000" in text
    assert "Bezahlschranke" in error_text(PaywallError("x"), "de")
    assert "paywall" in error_text(PaywallError("x"), "en")
    assert error_text("error.nonexistent", "de") == t("error.unexpected", "de")


def test_settings_keyboard_marks_choices_and_round_trips_callback_data() -> None:
    prefs = RenderPrefs(engine="espeak", tempo=1.25, format="voice", intro=False)
    markup = settings_keyboard(prefs, "gtts", "de")
    buttons = [b for row in markup.inline_keyboard for b in row]
    labels = [b.text for b in buttons]
    assert "✓ Offline (robotisch)" in labels
    assert "✓ 1,25×" in labels
    assert "✓ Sprachnachricht" in labels
    for button in buttons:
        data = str(button.callback_data)
        assert len(data.encode()) <= 64
        # One row opens the voice menu; every other button is a setting.
        change = parse_voice(data) if data.startswith("vo:") else parse_setting(data)
        assert change is not None
    assert parse_setting("set:tempo:3") is None
    assert parse_setting("set:engine:evil") is None
    offer = parse_first_part("first:12000:77")
    assert offer is not None
    assert (offer.words, offer.job_id) == (12000, 77)
    old = parse_first_part("first:12000")  # a button from before it named its job
    assert old is not None
    assert (old.words, old.job_id) == (12000, None)
    assert parse_first_part("first:x") is None
    assert parse_first_part("first:12000:0") is None
