"""The article's language: the page's declaration first, CLD2 only when it is missing or wrong."""

from __future__ import annotations

from bot.pipeline.language import detect_language, language_code

GERMAN = (
    "Der Stadtrat hat am Dienstag den neuen Haushalt beschlossen. Nach Angaben der Verwaltung "
    "steigen die Ausgaben für Schulen um zwölf Prozent. Kritik kam von den Elternverbänden, die "
    "mehr Personal für die Ganztagsbetreuung fordern. Die Bauarbeiten sollen im Frühjahr beginnen."
)
ENGLISH = (
    "The city council approved the new budget on Tuesday. According to the administration, "
    "spending on schools will rise by twelve percent. Parents' associations criticised the plan "
    "and asked for more staff in after-school care. Construction is due to start in spring."
)


def test_declarations_are_read_in_any_spelling() -> None:
    assert language_code("de-DE") == "de"
    assert language_code("de_AT") == "de"
    assert language_code("EN") == "en"
    assert language_code("") is None


def test_the_declaration_wins_on_short_text() -> None:
    assert detect_language("Kurz und knapp.", "fr") == "fr"
    assert detect_language("Kurz und knapp.", None) == "de"


def test_the_detector_decides_without_a_declaration() -> None:
    assert detect_language(ENGLISH, None) == "en"
    assert detect_language(GERMAN, None) == "de"


def test_a_declaration_the_text_contradicts_is_overruled() -> None:
    assert detect_language(ENGLISH, "de") == "en"
    assert detect_language(GERMAN, "de-DE") == "de"


def test_chinese_is_detected_on_few_characters() -> None:
    text = "铁路公司周一公布了该地区的新时刻表。通勤者必须预期更长的旅程，一位发言人说。" * 2
    assert detect_language(text, None) == "zh"
