"""German text normalisation: written news German in the form a newsreader says it.

`normalize(text)` is pure and fast (precompiled regexes, cached number words). It reads
numbers (cardinals, decimals, ordinals with the ending their context needs, years, dates,
times, ranges, money, percent, units, fractions, signs, versions), dotted abbreviations,
acronyms, gender-inclusive forms, web addresses and symbols. Sentence punctuation is kept
so that the chunker still sees where sentences end.

Written forms chosen for the engines (gTTS and espeak-ng read them right):
- numbers as words, compounds written together ("vierundzwanzigsten"), num2words spelling;
- spelled acronyms as capital letters separated by spaces ("U S A", "A R D"), a hyphen
  after them becomes a space ("E U Kommission"); acronyms read as words in title case
  ("Nato", "Dax") so that no engine spells them;
- web addresses shortened to the host, "www" and short labels spelled ("heise punkt D E",
  "W W W punkt wien punkt G V punkt A T"), e-mail and handles with "at".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from bot.pipeline.normalize import _rules

if TYPE_CHECKING:
    from bot.pipeline.lexicon import Lexicon

__all__ = ["normalize", "normalize_lines"]


def normalize(text: str, language: str = "de", *, lexicon: Lexicon | None = None) -> str:
    """Turn written text into its spoken form; non-German text only gets whitespace tidied."""
    text = _rules.tidy(text)
    if not text:
        return ""
    if lexicon is not None:
        text = lexicon.apply(text)
    if not language.lower().startswith("de"):
        return text
    text = _rules.electronic(text)
    text = _rules.gender_forms(text)
    text = _rules.abbreviations(text)
    text = _rules.roman_numerals(text)
    text = _rules.numbers(text)
    text = _rules.acronyms(text)
    text = _rules.symbols(text)
    return _rules.finish(text)


def normalize_lines(lines: Iterable[str], language: str = "de") -> Iterator[str]:
    """Normalise line by line: each input line gives exactly one output line (no newline)."""
    for line in lines:
        text = line.rstrip("\r\n")
        yield normalize(text, language).replace("\n", " ") if text.strip() else ""
