"""German sentence boundaries: where a sentence ends, and the text split into sentences.

A period ends a sentence unless it belongs to an ordinal ("am 24. November"), a date, a dotted
abbreviation ("z. B.", "Nr.", "Prof.", from the table in `bot.pipeline.german`), an initial
or a Roman numeral; a year before a capitalised word ("im Jahr 2021. Danach") does end one.
The chunker cuts at these boundaries; the summariser picks whole sentences by them.
"""

from __future__ import annotations

import re
from typing import Final

from bot.pipeline.german import (
    ABBREVIATION_STEMS,
    ABBREVIATION_STEMS_BEFORE_DIGIT,
    SENTENCE_FINAL_STEMS,
    SENTENCE_STARTERS,
)

# Characters that may close a sentence after its final mark: quotes and brackets.
CLOSERS: Final = "\"'“”‘’»«›‹)]}"
# Characters that may open a sentence or a word.
OPENERS: Final = "\"'„“‚‘»«›‹([{"
_ORDINAL_RE: Final = re.compile(r"\d+\.|\d{1,3}(?:\.\d{3})+\.|\d{1,2}\.\d{1,2}\.")
_LETTER_DOTS_RE: Final = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}\.?")
_ROMAN_RE: Final = re.compile(r"(?=[IVXLC]{2,7}\.$)C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})\.")
_YEAR_RE: Final = re.compile(r"1[1-9]\d\d|20\d\d|21\d\d")
_PARAGRAPH_RE: Final = re.compile(r"\n[^\S\n]*\n\s*")


def strip_openers(token: str) -> str:
    return token.lstrip(OPENERS)


def token_core(token: str) -> str:
    """The token without leading quotes/brackets and trailing closers."""
    return token.lstrip(OPENERS).rstrip(CLOSERS)


def _starts_lowercase(token: str) -> bool:
    stripped = strip_openers(token)
    return bool(stripped) and stripped[0].islower()


def _starts_digit(token: str) -> bool:
    stripped = strip_openers(token)
    return bool(stripped) and stripped[0].isdigit()


def is_bare(token: str, nxt: str | None) -> bool:
    """Whether the token is an ordinal, abbreviation, initial or Roman numeral with a period."""
    word = strip_openers(token)
    if not word.endswith("."):
        return False
    if _ORDINAL_RE.fullmatch(word):
        return True
    stem = word[:-1]
    if not stem or stem.endswith("."):
        return False
    lowered = stem.lower()
    if len(stem) == 1 and stem.isalpha():
        return True
    if lowered in ABBREVIATION_STEMS:
        return True
    if lowered in ABBREVIATION_STEMS_BEFORE_DIGIT:
        return nxt is not None and _starts_digit(nxt)
    if _LETTER_DOTS_RE.fullmatch(word):
        return True
    return bool(_ROMAN_RE.fullmatch(word))


def ends_sentence(token: str, nxt: str | None) -> bool:
    """Whether a sentence ends after `token` when `nxt` follows (None: end of text)."""
    core = token_core(token)
    if not core or core[-1] not in ".!?…":
        return False
    if nxt is None:
        return True
    if _starts_lowercase(nxt):
        return False
    if core[-1] in "!?…" or core.endswith(".."):
        return True
    if token.rstrip(CLOSERS) != token:
        # "… gesagt.“ Dann": a quote or bracket after the period closes the sentence,
        # unless what is quoted is itself an ordinal or abbreviation ("(S.)" is rare).
        return not _ORDINAL_RE.fullmatch(core)
    word = strip_openers(token)
    stem = word[:-1]
    if stem.isdigit():
        # "im Jahr 2021. Danach" ends a sentence; "am 24. November" does not.
        return bool(_YEAR_RE.fullmatch(stem)) or strip_openers(nxt) in SENTENCE_STARTERS
    if stem.lower() in SENTENCE_FINAL_STEMS:
        return True
    return not is_bare(token, nxt)


def token_paragraphs(text: str) -> list[list[str]]:
    """Paragraphs (separated by a blank line) as lists of whitespace-separated tokens."""
    out = []
    for para in _PARAGRAPH_RE.split(text):
        tokens = para.split()
        if tokens:
            out.append(tokens)
    return out


def split_sentences(text: str) -> list[str]:
    """Split German text into sentences, whitespace collapsed; a blank line also ends one."""
    sentences: list[str] = []
    for tokens in token_paragraphs(text):
        start = 0
        for i, token in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is None or ends_sentence(token, nxt):
                sentences.append(" ".join(tokens[start : i + 1]))
                start = i + 1
    return sentences
