"""The normaliser on the quality fixtures, its number words, the lexicon and the line helper."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from num2words import num2words

from bot.pipeline.chunk import chunk_text, split_sentences
from bot.pipeline.lexicon import Lexicon, load_lexicon, parse_entries
from bot.pipeline.normalize import _numbers as num
from bot.pipeline.normalize import normalize, normalize_lines
from tests.support.normalize_cases import Case, comparable, load_cases

CASES = load_cases()


def test_there_are_enough_fixtures_in_every_class() -> None:
    kinds = {case.kind for case in CASES}
    assert len(CASES) >= 200
    assert kinds >= {
        "cardinal", "ordinal", "date", "time", "money", "measure", "abbreviation", "acronym",
        "range", "gender", "url", "fraction", "roman", "year", "sign", "mixed", "phone",
        "agreement", "standalone",
    }  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kind}:{c.line}" for c in CASES])
def test_fixture(case: Case) -> None:
    assert comparable(normalize(case.written)) == comparable(case.spoken)


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("1.234", "eintausendzweihundertvierunddreißig"),
        ("12,5", "zwölf Komma fünf"),
        ("am 24. November", "am vierundzwanzigsten November"),
        ("der 3. Platz", "der dritte Platz"),
        ("die 2. Bundesliga", "die zweite Bundesliga"),
        ("im 3. Quartal", "im dritten Quartal"),
        ("Karl V. kam.", "Karl der Fünfte kam."),
        ("15.02.2021", "fünfzehnter Februar zweitausendeinundzwanzig"),
        ("1999", "neunzehnhundertneunundneunzig"),
        ("2021", "zweitausendeinundzwanzig"),
        ("14:30 Uhr", "vierzehn Uhr dreißig"),
        ("2020–2022", "zweitausendzwanzig bis zweitausendzweiundzwanzig"),
        ("S. 3–5", "Seite drei bis fünf"),
        ("3,50 €", "drei Euro fünfzig"),
        ("5 Mio. Euro", "fünf Millionen Euro"),
        ("1 Mio. Euro", "eine Million Euro"),
        ("−3 Grad", "minus drei Grad"),
        ("+5 %", "plus fünf Prozent"),
        ("1/3", "ein Drittel"),
        ("iOS 17.2", "iOS siebzehn Punkt zwei"),
        ("heise.de", "heise punkt D E"),
        ("@elonmusk", "at elonmusk"),
        ("Leser*innen", "Leserinnen und Leser"),
        ("z.B. und z. B.", "zum Beispiel und zum Beispiel"),
        ("Nr. 5", "Nummer fünf"),
        ("USA, EU, ARD, CEO", "U S A, E U, A R D, C E O"),
        ("NATO und DAX", "Nato und Dax"),
        ("Daumen hoch 👍🏽!", "Daumen hoch!"),
    ],
)
def test_examples_from_the_issue(written: str, spoken: str) -> None:
    assert comparable(normalize(written)) == comparable(spoken)


def test_sentence_ends_survive_for_the_chunker() -> None:
    text = normalize("Der Umsatz stieg um 3 %. Am 24. November folgt z. B. mehr. Das war's usw.")
    assert split_sentences(text) == [
        "Der Umsatz stieg um drei Prozent.",
        "Am vierundzwanzigsten November folgt zum Beispiel mehr.",
        "Das war's und so weiter.",
    ]


def test_no_chunk_of_normalised_text_ends_in_a_bare_number() -> None:
    text = normalize(" ".join(case.written for case in CASES))
    for chunk in chunk_text(text, 100):
        assert not chunk[-1].isdigit(), chunk


def test_other_languages_only_get_whitespace_tidied() -> None:
    assert normalize("  The  USA paid $5\u00a0on 24. May.  ", "en") == "The USA paid $5 on 24. May."


def test_paragraph_breaks_are_kept() -> None:
    assert normalize("Eins.\n\n\n\nZwei  drei.\n") == "Eins.\n\nZwei drei."


def test_empty_and_blank_text() -> None:
    assert normalize("") == ""
    assert normalize(" \n\t ") == ""


def test_normalize_lines_gives_one_line_per_line() -> None:
    lines = ["Am 3. Mai.\n", "\n", "Ein\u2028Satz mit 5 €.\r\n", "   "]
    out = list(normalize_lines(lines))
    assert out == ["Am dritten Mai.", "", "Ein Satz mit fünf Euro.", ""]
    assert all("\n" not in line for line in out)


# --- number words -----------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_cardinals_agree_with_num2words(n: int) -> None:
    expected = num2words(n, lang="de")
    # num2words writes "einhunderteinstausend" for 101 000 and "einhunderteins Millionen";
    # we write "einhunderteintausend" and "einhundertein Millionen".
    for scale in ("tausend", " Milli", " Billi"):
        expected = expected.replace("eins" + scale, "ein" + scale)
    assert num.cardinal(n) == expected


@pytest.mark.parametrize(
    ("n", "ordinal"),
    [(1, "erste"), (3, "dritte"), (7, "siebte"), (8, "achte"), (19, "neunzehnte"),
     (20, "zwanzigste"), (101, "einhunderterste"), (100, "hundertste"), (1000, "tausendste"),
     (10**6, "millionste")],
)  # fmt: skip
def test_ordinals(n: int, ordinal: str) -> None:
    assert num.ordinal(n) == ordinal


def test_years_fractions_and_roman_numerals() -> None:
    assert num.year(1905) == "neunzehnhundertfünf"
    assert num.year(2009) == "zweitausendneun"
    assert num.fraction(3, 4) == "drei Viertel"
    assert num.fraction(1, 2) == "ein halb"
    assert num.roman("XIV") == 14
    assert num.roman("IIII") is None
    assert num.digits("007") == "null null sieben"


# --- lexicon ----------------------------------------------------------------------------


def test_builtin_lexicon_entries() -> None:
    lexicon = Lexicon.builtin()
    assert lexicon.apply("SpaceX-Chef und Tesla-CEO") == "Spejs Ex-Chef und Tesla-Si Ih Ou"


BUILTIN = Lexicon.builtin().entries


@pytest.mark.parametrize("word", sorted(BUILTIN))
def test_every_builtin_entry_applies_alone_inflected_and_in_a_compound(word: str) -> None:
    lexicon = Lexicon.builtin()
    spoken = BUILTIN[word]
    assert lexicon.apply(f"Heute {word} hier.") == f"Heute {spoken} hier."
    assert lexicon.apply(f"Die {word}-Zentrale") == f"Die {spoken}-Zentrale"
    if f"{word}s" not in BUILTIN:
        assert lexicon.apply(f"wegen {word}s Plan") == f"wegen {spoken}s Plan"


def test_no_builtin_entry_respells_a_word_that_has_its_own_entry() -> None:
    # "Tesla-CEO" once had its own spoken form, so "CEO" sounded different in the next sentence.
    for word, spoken in BUILTIN.items():
        for part in re.split(r"[- ]", word):
            if part != word and part in BUILTIN:
                assert BUILTIN[part] in spoken, (word, part)


def test_one_word_keeps_one_pronunciation_through_an_article() -> None:
    text = (
        "Der CEO von Robinhood sprach mit Musk. Der Tesla-CEO investiert in Shitcoins, "
        "Musks Tweets bewegen den Dogecoin-Kurs, und GameStop-Aktien stiegen."
    )
    spoken = normalize(text, lexicon=Lexicon.builtin())
    assert "C E O" not in spoken
    assert spoken.count("Si Ih Ou") == 2
    assert "Masks" in spoken
    assert "Mask." in spoken
    for english in ("Robinhood", "Shitcoins", "Dogecoin", "GameStop", "Tweets", "Musk"):
        assert english not in spoken


def test_lexicon_matches_whole_words_only() -> None:
    lexicon = Lexicon({"Musk": "Mask", "AI": "A I", "C++": "C plus plus"})
    assert lexicon.apply("Musk, Musks, Muskel, MuskAI, AI-Chef, C++ und C++17") == (
        "Mask, Masks, Muskel, MuskAI, A I-Chef, C plus plus und C++17"
    )


def test_a_quoted_entry_matches_only_as_written() -> None:
    lexicon = Lexicon(parse_entries(['"Mars" = Marss', "Musk = Mask"]))
    assert lexicon.apply("Mars, Marss, Musk's") == "Marss, Marss, Masks"


def test_longest_entry_wins() -> None:
    lexicon = Lexicon({"Elon": "Ielon", "Elon Musk": "Ielon Mask", "Musk": "Mask"})
    assert lexicon.apply("Elon Musk und Elon") == "Ielon Mask und Ielon"


def test_operator_file_overrides_builtin(tmp_path: Path) -> None:
    (tmp_path / "lexicon.txt").write_text(
        "# Aussprache\nSpaceX = Späjs Ex   # anders\n\nHörclub=Hör Klub\nkaputt ohne Gleich\n",
        encoding="utf-8",
    )
    lexicon = load_lexicon(tmp_path)
    assert lexicon.apply("SpaceX im Hörclub") == "Späjs Ex im Hör Klub"
    assert "Clubhouse" in lexicon  # the built-in entries stay


def test_missing_operator_file_gives_the_builtin_lexicon(tmp_path: Path) -> None:
    assert load_lexicon(tmp_path).entries == Lexicon.builtin().entries


def test_parse_entries_skips_malformed_lines() -> None:
    assert parse_entries(["a = b", "= x", "y =", "no equals", "c=d # note"]) == {
        "a": "b",
        "c": "d",
    }


def test_normalize_applies_a_lexicon_first() -> None:
    lexicon = Lexicon({"Tesla-CEO": "Tesla-Chef"})
    assert normalize("Der Tesla-CEO kam.", lexicon=lexicon) == "Der Tesla-Chef kam."
    assert normalize("Der Tesla-CEO kam.") == "Der Tesla C E O kam."


# --- robustness ---------------------------------------------------------------------------

_VOCABULARY = (
    "Am 24. November 2026 um 14:30 Uhr kostet es 3,50 € ca. 5 % z. B. heise.de @x #y "
    "Karl V. USA Leser*innen 1/3 ½ −3 +5 2020–2022 S. 3–5 § 7 & 1.234,5 0800 12:30:15 "
    "v1.2.3 3er 5-jährige 90er-Jahre mRNA Lkw 👍 „ “ ( ) - – : ; . , ! ? 1 Mio. Euro"
)
_PIECES = st.sampled_from(_VOCABULARY.split(" "))
_TEXT = st.lists(
    st.one_of(_PIECES, _PIECES, st.text(max_size=12), st.from_regex(r"\d{1,30}", fullmatch=True)),
    max_size=40,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_normalize_never_fails_on_odd_input(text: str) -> None:
    out = normalize(text)
    assert out == out.strip()
    assert "\n\n\n" not in out
    assert "  " not in out
    assert isinstance(normalize(out), str)  # its own output is valid input too
