"""The order of the normaliser's passes; each concern lives in a module of its own.

`_tidy` (whitespace), `_web` (addresses), `_gender`, `_abbreviations`, then the number passes
`_cardinals`, `_dates`, `_quantities`, `_ordinals` (over `_numbers`, the number words, and
`_grammar`, the case and gender of the words around a number), then `_acronyms` (with the
symbols). Every pass is a precompiled regex and a small function per match.

Speed: Python's `re` scans quickly only when a pattern starts with a literal or a character
class, so patterns consume their first character before any boundary lookbehind (a digit,
then "not preceded by a letter", rather than the other way round); that alone made the passes
about five times faster. Passes that rarely apply are skipped by a cheap test first.

Order matters: web addresses and gender forms first (they contain dots and colons),
then abbreviations (so that "S. 3", "5 Mio. Euro" and "5. Jan." reach the number rules as
words), then numbers from the most specific pattern to the least (dates, times, money,
percent, units, fractions, ordinals, Roman numerals, versions, plain cardinals), then
acronyms and symbols. Each pass sees the output of the one before.
"""

from __future__ import annotations

from bot.pipeline.normalize._abbreviations import abbreviations
from bot.pipeline.normalize._acronyms import acronyms, symbols
from bot.pipeline.normalize._cardinals import cardinals, identifiers, ranges_and_signs
from bot.pipeline.normalize._dates import clock_times, dates, times
from bot.pipeline.normalize._gender import expand_gender_forms as gender_forms
from bot.pipeline.normalize._ordinals import ordinals, roman_numerals
from bot.pipeline.normalize._phones import telephone_numbers
from bot.pipeline.normalize._quantities import amounts, vulgar_fractions
from bot.pipeline.normalize._tidy import finish, tidy
from bot.pipeline.normalize._web import electronic

__all__ = [
    "abbreviations",
    "acronyms",
    "electronic",
    "finish",
    "gender_forms",
    "numbers",
    "roman_numerals",
    "symbols",
    "tidy",
]


def numbers(text: str) -> str:
    """Every number in its spoken form, most specific patterns first."""
    if not any(c.isdigit() for c in text) and not any(c in text for c in "½⅓⅔¼¾"):
        return text
    text = telephone_numbers(text)
    text = identifiers(text)
    text = vulgar_fractions(text)
    text = clock_times(text)
    text = dates(text)
    text = ranges_and_signs(text)
    text = times(text)
    text = amounts(text)
    text = ordinals(text)
    return cardinals(text)
