"""Fuzzing the normaliser: any text in, spoken text out, every word kept, in bounded time.

What the normaliser may change, and so what "no lost text" excludes: numbers, symbols and
dates become words; dotted abbreviations are expanded; acronyms (all capitals) are spelled
or title-cased; web addresses shrink to their host; gender forms are spelled out. Every
other word (letters only, two or more) must come out as it went in (case aside).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.pipeline.normalize import normalize, normalize_lines
from tests.fuzz.bounds import EXAMPLE_SECONDS, MEGABYTE, MEGABYTE_SECONDS, within
from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import HOSTILE_CHARS, hostile_text

KIND = "fuzz: normaliser"
_EDGE = ",;:!?()[]{}\"'„“”»«‚‘’…"


def kept_words(text: str) -> list[str]:
    """The words of `text` the normaliser must keep: letters only, not all capitals."""
    out = []
    for token in text.split():
        core = token.strip(_EDGE)
        if core.isalpha() and len(core) >= 2 and not core.isupper():
            out.append(core)
    return out


def spoken_words(text: str) -> set[str]:
    """The words of normalised text, case-folded."""
    return {w.casefold() for w in re.findall(r"\w+", text)}


@pytest.mark.reliability(KIND, sees="any text is read; no word of it goes missing")
@fuzz(250)
@given(hostile_text())
@example("Die Straße\u202e ist\u202c gesperrt 😀 und שלום bleibt.")
@example("\x00\x1b[31mRot\x1b[0m und \u200bunsichtbar\u200b getrennt")
def test_no_crash_and_no_lost_word(text: str) -> None:
    with within(EXAMPLE_SECONDS, "normalize"):
        out = normalize(text)
    assert isinstance(out, str)
    missing = [w for w in kept_words(text) if w.casefold() not in spoken_words(out)]
    assert missing == [], (text, out)


@pytest.mark.reliability(KIND, sees="any text is read without a crash")
@fuzz(250)
@given(st.text(max_size=400))
def test_any_unicode_at_all(text: str) -> None:
    with within(EXAMPLE_SECONDS, "normalize"):
        assert isinstance(normalize(text), str)
        assert isinstance(normalize(text, "en"), str)


@pytest.mark.reliability(KIND, sees="`hoerclub normalize` keeps one line per line")
@fuzz(200)
@given(st.lists(hostile_text(max_tokens=12, huge=False).map(lambda s: s.replace("\n", " "))))
@example(["eins\u2028zwei", "drei\x85vier", "fünf\rsechs", "sieben\x0bacht\x1cneun"])
def test_normalize_lines_keeps_one_line_per_line(lines: list[str]) -> None:
    out = list(normalize_lines(lines))
    assert len(out) == len(lines)
    for line in out:
        assert len(line.splitlines()) <= 1, repr(line)  # no \n, \r, \u2028, \x85 inside


@pytest.mark.reliability(KIND, sees="1 MB of one character is read in bounded time")
@pytest.mark.parametrize("char", ["a", "1", ".", "€", "😀", "\u202e", "-", " ", "\x00", "ß"])
def test_a_megabyte_of_one_character(char: str) -> None:
    text = char * MEGABYTE
    with within(MEGABYTE_SECONDS, f"normalize of 1 MB of {char!r}"):
        out = normalize(text)
    if char.isalpha():
        assert char * 1000 in out  # the huge word is still there, not cut


@pytest.mark.reliability(KIND, sees="a megabyte of words and numbers in bounded time")
def test_a_megabyte_of_mixed_hostile_text() -> None:
    unit = "Am 3. Mai 2024 kostete es 1.234,50 € (24 %) – z.B. für die USA 😀 \u202eשלום "
    text = unit * (MEGABYTE // len(unit)) + HOSTILE_CHARS
    with within(MEGABYTE_SECONDS, "normalize of 1 MB of mixed text"):
        out = normalize(text)
    assert out.count("Mai") >= MEGABYTE // len(unit)
