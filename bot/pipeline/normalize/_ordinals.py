"""Ordinals ("am 24. November") and Roman numerals after names and before nouns."""

from __future__ import annotations

import re
from typing import Final

from bot.pipeline.german import (
    MONTH_SET,
    SENTENCE_STARTERS,
    word_set,
)
from bot.pipeline.normalize import _numbers as num
from bot.pipeline.normalize._grammar import (
    PREPOSITIONS,
    Gender,
    bare,
    case_before,
    date_article,
    ending_after,
    looks_plural,
    next_word,
    noun_after,
    noun_gender,
    previous_words,
)

# Ordinals and Roman numerals.
_ORDINAL_RE: Final = re.compile(r"(\d(?<![\w.,:/-]\d)\d{0,2}(?:\.\d{3})*)\.(?=[ ]\S)")


def _ordinal(match: re.Match[str]) -> str:
    text = match.string
    nxt = next_word(text, match.end())
    clean_next = bare(nxt)
    if nxt in SENTENCE_STARTERS or (clean_next in SENTENCE_STARTERS and nxt[:1] in '„"»«('):
        return match.group(0)  # "stieg um 3. Danach …": a sentence ends here
    if not clean_next:
        return match.group(0)
    noun = noun_after(text, match.end())
    gender: Gender | None = noun_gender(noun) if noun else None
    month = noun in MONTH_SET
    if month:
        gender = "m"
    prev = previous_words(text, match.start())
    article = date_article(prev) if month else ""
    if article:
        prev = [*prev, article.strip()]
    ending = ending_after(prev, gender, plural=looks_plural(noun), month=month)
    value = num.parse_int(match.group(1))
    return article + num.ordinal(value, ending)


_MONARCHS: Final = word_set(
    "Karl Ludwig Heinrich Friedrich Wilhelm Otto Georg Eduard Johannes Paul Pius Benedikt "
    "Gregor Leo Innozenz Clemens Elisabeth Elizabeth Katharina Maria Philipp Carl Gustav "
    "Louis Henry Charles Franz Rudolf Maximilian Konrad Sigismund Albrecht Leopold Joseph "
    "Josef Ferdinand Peter Iwan Alexander Nikolaus Konstantin Juan Felipe Harald Olav "
    "Gustaf Napoleon Ramses Mohammed Abdullah Hussein Richard Edward James Jakob Johann "
    "Alfons Alfonso Ernst August Christian Frederik Haakon Margrethe Victoria Viktoria "
    "Beatrix Juliana Wilhelmina Isabella Johanna Christina Willem Albert Baudouin Rainier "
    "Urban Bonifatius Sixtus Alexander Hadrian Stephan Martin Nikolaus Julius Calixtus "
    "Adolf Béla Stanislaus Sobieski Kasimir Boleslaw Wenzel Ottokar Sancho Manuel"
)
_FEMININE_NAMES: Final = word_set(
    "Elisabeth Elizabeth Katharina Maria Margrethe Victoria Viktoria Beatrix Juliana "
    "Wilhelmina Isabella Johanna Christina Anna Mary Anne Sophie Margarete Margarethe "
    "Kleopatra Nofretete Theodora"
)
# Titles before a regnal name; the case of "Leo XIV." comes from the words before them.
_TITLES: Final = word_set(
    "Papst König Königin Kaiser Kaiserin Zar Zarin Queen King Prinz Prinzessin Herzog "
    "Herzogin Fürst Fürstin Graf Gräfin Kurfürst Erzherzog Markgraf Landgraf Sultan Pharao "
    "Kardinal Großherzog"
)
# Nouns after which a Roman numeral is a plain number: "Teil II" → "Teil zwei".
_COUNT_NOUNS: Final = word_set(
    "Teil Band Kapitel Akt Folge Staffel Episode Phase Stufe Klasse Typ Liga Division "
    "Abschnitt Artikel Anhang Paragraf Buch Gruppe Kategorie Level Runde Saison Vol Nr "
    "Nummer Seite Tafel Abbildung Tabelle Bauabschnitt Modul Zone Sektor Block"
)
_ROMAN_NAME_RE: Final = re.compile(r" ([IVXLC]{1,7})(\.?)(?![\w])")
_ROMAN_ORDINAL_RE: Final = re.compile(
    r"([IVXLC](?<![\w.][IVXLC])[IVXLC]{0,6})\.(?= [A-ZÄÖÜ][a-zäöü])"
)
_NAME_RE: Final = re.compile(r"[A-ZÄÖÜ][a-zäöüßé]+")


def _regnal(name: str, value: int, feminine: bool, context: list[str]) -> str:
    """ "der Fünfte", "dem Vierzehnten", "des Ersten", "die Zweite" … as the context needs."""
    over = bool(context) and bare(context[-1]).lower() == "über"
    case = "acc" if over else case_before(context)
    stem = num.ordinal_stem(value)
    stem = stem[0].upper() + stem[1:]
    genitive = name.endswith("s") and name[:-1] in _MONARCHS
    if feminine:
        article, ending = {"nom": ("die", "e"), "acc": ("die", "e"), "dat": ("der", "en")}[case]
        if genitive:
            article, ending = "der", "en"
    else:
        article, ending = {"nom": ("der", "e"), "acc": ("den", "en"), "dat": ("dem", "en")}[case]
        if genitive:
            article, ending = "des", "en"
    return f"{article} {stem}{ending}"


def _roman_after_name(match: re.Match[str]) -> str:
    numeral, dot = match.groups()
    value = num.roman(numeral)
    if value is None or value > 50:
        return match.group(0)
    text = match.string
    prev = previous_words(text, match.start(), 5)
    if not prev or not _NAME_RE.fullmatch(prev[-1]):
        return match.group(0)
    name = prev[-1]
    if name in _COUNT_NOUNS:
        return f" {num.cardinal(value)}{dot}"
    first = prev[-2] if len(prev) >= 2 and prev[-2] in _MONARCHS else None
    base = name[:-1] if name.endswith("s") and name[:-1] in _MONARCHS else name
    known = base in _MONARCHS or first is not None
    if (not dot and not known) or name in SENTENCE_STARTERS:
        return match.group(0)
    if len(numeral) == 1 and dot and not known:
        nxt = next_word(text, match.end())
        if nxt[:1].isupper() and nxt not in SENTENCE_STARTERS:
            return match.group(0)  # an initial: "Franz X. Kroetz"
    context = prev[:-2] if first else prev[:-1]
    feminine = base in _FEMININE_NAMES or any(
        w in context[-2:] for w in ("Königin", "Queen", "Kaiserin", "Zarin")
    )
    while context and context[-1] in _TITLES:
        context = context[:-1]  # "mit Papst Leo XIV.": the case comes from "mit"
    words = _regnal(name, value, feminine, context)
    rest = text[match.end() :].lstrip(" ")
    ends = not rest or rest[0] == "\n" or next_word(text, match.end()) in SENTENCE_STARTERS
    return f" {words}{'.' if dot and ends else ''}"


def _roman_ordinal(match: re.Match[str]) -> str:
    text = match.string
    prev = previous_words(text, match.start())
    if not prev:
        return match.group(0)
    word = bare(prev[-1]).lower()
    if word not in PREPOSITIONS and word not in {
        "der", "die", "das", "den", "dem", "des", "am", "im", "zum", "zur", "vom", "beim", "ins"
    }:  # fmt: skip
        return match.group(0)
    value = num.roman(match.group(1))
    if value is None:
        return match.group(0)
    noun = noun_after(text, match.end())
    gender: Gender | None = noun_gender(noun) if noun else None
    return num.ordinal(value, ending_after(prev, gender, plural=looks_plural(noun)))


_ROMAN_HINT_RE: Final = re.compile(r"[IVX](?<![\w.][IVX])[IVXLC]*(?![\w])")


def roman_numerals(text: str) -> str:
    """Roman numerals after names ("Karl V." → "Karl der Fünfte") and before nouns."""
    if not _ROMAN_HINT_RE.search(text):
        return text
    text = _ROMAN_NAME_RE.sub(_roman_after_name, text)
    return _ROMAN_ORDINAL_RE.sub(_roman_ordinal, text)


# A line that is only "3." is a list marker or an ordinal without context: "drittens".
_LONE_ORDINAL_RE: Final = re.compile(r"(?m)^[ ]*(\d{1,3})\.[ ]*$")


def ordinals(text: str) -> str:
    """ "am 24. November" → "am vierundzwanzigsten November"; a lone "3." → "drittens"."""
    if len(text) < 6 or "\n" in text:
        text = _LONE_ORDINAL_RE.sub(lambda m: num.ordinal(int(m.group(1)), "ens"), text)
    return _ORDINAL_RE.sub(_ordinal, text)
