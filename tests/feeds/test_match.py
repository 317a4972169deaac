"""Topic filters: whole words, any case, umlauts and ß spelt either way, all words required."""

from __future__ import annotations

import pytest

from bot.feeds.match import fold, parse_filter


def test_fold_spells_out_umlauts_and_sharp_s() -> None:
    assert fold("Größe MÜNCHEN Äpfel Öl Straße") == "groesse muenchen aepfel oel strasse"
    assert fold("Café Señor") == "cafe senor"


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("Tesla", "Tesla baut in Grünheide", True),
        ("tesla", "TESLA BAUT", True),
        ("Tesla", "Teslas Werk", False),  # whole words only
        ("Bahn", "Der Bahnhof ist zu", False),
        ("Bahn", "Die Bahn streikt", True),
        ("Bahn", "Deutsche-Bahn-Streik", True),  # hyphens separate words
        ("Münster", "Muenster feiert", True),
        ("Muenster", "Münster feiert", True),
        ("MÜNSTER", "in münster", True),
        ("Straße", "Die Strasse ist gesperrt", True),
        ("Strasse", "Die Straße ist gesperrt", True),
        ("Elon Musk", "Musk: Elon kauft", True),  # several words: all, in any order
        ("Elon Musk", "Elon Johnson", False),
        ("Klima*", "Die Klimapolitik der EU", True),  # a trailing * takes longer words
        ("Klima", "Die Klimapolitik der EU", False),
        ("Klima* | Energiewende", "Energiewende stockt", True),  # alternatives
        ("Klima* | Energiewende", "Wetter heute", False),
        ("", "irgendwas", True),  # no filter takes everything
    ],
)
def test_filter_matches(query: str, text: str, expected: bool) -> None:
    assert parse_filter(query).matches(text) is expected


def test_words_may_be_split_between_title_and_summary() -> None:
    wanted = parse_filter("Tesla Grünheide")
    assert wanted.matches_entry("Tesla erweitert", "Das Werk in Grünheide wächst")
    assert not wanted.matches_entry("Tesla erweitert", "Das Werk in Texas wächst")


def test_filter_text_round_trips_folded() -> None:
    parsed = parse_filter("  Klima*  |  Erderwärmung Hitze ")
    assert parsed.text == "klima* | erderwaermung hitze"
    assert parse_filter(parsed.text) == parsed
    assert not parse_filter("  |  ")
