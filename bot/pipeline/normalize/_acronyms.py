"""Capital-letter abbreviations spelled ("U S A") or read as words ("Nato"); symbols named."""

from __future__ import annotations

import re
from typing import Final

from bot.pipeline.normalize._tables import (
    SPELLED_ACRONYMS,
    WORD_ACRONYMS,
)

_ACRONYM_RE: Final = re.compile(
    r"([A-ZÄÖÜ](?<![\w.][A-ZÄÖÜ])[A-ZÄÖÜa-zäöüß]*[A-ZÄÖÜ][A-ZÄÖÜa-zäöüß]*"
    r"|m(?<![\w.]m)RNA|L(?<![\w.]L)kws?|P(?<![\w.]P)kws?|K(?<![\w.]K)fzs?)(?![\w])(-(?=\w))?"
)
# "Tesla-C E O": a hyphen before spelled letters reads as a space.
_HYPHEN_BEFORE_LETTERS_RE: Final = re.compile(r"-(?<=\w-)(?=[A-ZÄÖÜ] [A-ZÄÖÜ](?![\w]))")
_EXPLICIT_SPELLED: Final[dict[str, str]] = {
    "Lkw": "L K W", "Pkw": "P K W", "Kfz": "K F Z", "Lkws": "L K Ws", "Pkws": "P K Ws",
    "Kfzs": "K F Zs", "mRNA": "m R N A", "GmbH": "G m b H",
}  # fmt: skip
# Capital-letter abbreviations read as the word they stand for.
_READ_AS_WORD: Final[dict[str, str]] = {"MwSt": "Mehrwertsteuer"}
_VOWELS: Final = frozenset("AEIOUÄÖÜY")


def _pronounceable(word: str) -> bool:
    """A capital-letter word a German would read as a word: vowels and consonants alternate."""
    vowels = sum(c in _VOWELS for c in word)
    if vowels < 2:
        return False
    run = 0
    for c in word:
        run = 0 if c in _VOWELS else run + 1
        if run > 2:
            return False
    return not re.search(r"[AEIOUÄÖÜ]{3}", word)


def _spell(word: str) -> str:
    return " ".join(word.upper())


# A brand written in camel case ("TikTok", "PayPal", "OpenAI", "ChatGPT", "SpaceX"): syllables
# of a capital and at least two small letters, then at most a few capitals. The syllables are
# read as a word; only the capitals at the end are letters ("Open A I", "Chat G P T").
_CAMEL_RE: Final = re.compile(r"((?:[A-ZÄÖÜ][a-zäöüß]{2,})+)([A-ZÄÖÜ]{0,4})")


def _camel_case(word: str) -> str | None:
    match = _CAMEL_RE.fullmatch(word)
    if match is None:
        return None
    syllables, capitals = match.groups()
    return f"{syllables} {_spell(capitals)}" if capitals else syllables


def _acronym(match: re.Match[str]) -> str:
    word, trail = match.group(1), match.group(2) or ""
    plural = ""
    if len(word) > 2 and word.endswith("s") and word[:-1].isupper():
        word, plural = word[:-1], "s"
    upper = word.upper()
    spoken: str | None = None
    if word in _READ_AS_WORD:
        spoken = _READ_AS_WORD[word]
    elif word in _EXPLICIT_SPELLED:
        spoken = _EXPLICIT_SPELLED[word].upper()
    elif upper in WORD_ACRONYMS and (
        word.isupper() or word.lower() == WORD_ACRONYMS[upper].lower()
    ):
        spoken = WORD_ACRONYMS[upper]  # also the brand's own spelling: "BaFin", "BAföG"
    elif (camel := _camel_case(word)) is not None:
        spoken = camel
    elif word.isupper():
        if upper in SPELLED_ACRONYMS or len(word) <= 3:
            spoken = _spell(word)
        elif len(word) >= 6 or _pronounceable(word):
            spoken = word[0] + word[1:].lower()
        else:
            spoken = _spell(word)
    elif sum(c.isupper() for c in word) >= 2 and len(word) <= 6:
        spoken = _spell(word)
    if spoken is None:
        return match.group(0)
    # "EU-Kommission" → "E U Kommission": the hyphen after spelled letters reads as a space.
    if trail and " " in spoken:
        trail = " "
    return f"{spoken}{plural}{trail}"


def acronyms(text: str) -> str:
    """Capital-letter abbreviations spelled ("U S A") or read as words ("Nato")."""
    text = _ACRONYM_RE.sub(_acronym, text)
    if "-" in text:
        text = _HYPHEN_BEFORE_LETTERS_RE.sub(" ", text)
    return text


_EMOJI_RE: Final = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe00-\ufe0f\u200d\u20e3"
    "\u2190-\u21ff\u25a0-\u25ff\u2300-\u23ff\U000e0000-\U000e007f©®™•·◦▪▫†‡]"
)
_SYMBOLS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"§§"), " Paragrafen "),
    (re.compile(r"§"), " Paragraf "),
    (re.compile(r"&"), " und "),
    (re.compile(r"%(?<!\w%)(?!\w)"), " Prozent "),
    (re.compile(r"‰"), " Promille "),
    (re.compile(r"€"), " Euro "),
    (re.compile(r"\$(?<=\s\$)(?=\s)"), " Dollar "),
    (re.compile(r"£"), " Pfund "),
    (re.compile(r"°C"), " Grad Celsius "),
    (re.compile(r"°"), " Grad "),
    (re.compile(r"\+{2,}"), " "),
    (re.compile(r"\+(?<=\s\+)(?=\s)"), " plus "),
    (re.compile(r"±"), " plus minus "),
    (re.compile(r"=(?<=\s=)(?=\s)"), " gleich "),
    (re.compile(r"≈"), " ungefähr "),
    (re.compile(r"~(?=\s?\w)"), " circa "),
    (re.compile(r"×"), " mal "),
    (re.compile(r"<(?<=\s<)(?=\s?\w)"), " weniger als "),
    (re.compile(r">(?<=\s>)(?=\s?\w)"), " mehr als "),
    (re.compile(r"/(?<=\w/)(?=\w)"), " "),
    (re.compile(r"[*#^_|\\<>{}]+"), " "),
)


def symbols(text: str) -> str:
    """Symbols named ("&" → "und", "§" → "Paragraf"), emoji and decoration dropped."""
    text = _EMOJI_RE.sub(" ", text)
    for pattern, spoken in _SYMBOLS:
        text = pattern.sub(spoken, text)
    return text
