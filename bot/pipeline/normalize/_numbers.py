"""German number words: cardinals, ordinals, years, decimals, fractions, Roman numerals;
and the pattern of a number as news text writes it ("1.234,5"), which every number pass uses.

num2words supplies the words for 0–99 (a table built at import, about 4 ms); this module
composes larger numbers itself because num2words takes 40–200 µs per call (too slow for a
50 ms article budget) and misspells some compounds ("einhunderteinstausend" for 101 000).
A property test checks that the composition agrees with num2words wherever num2words is
right.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from num2words import num2words

DIGITS: Final = ("null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun")

_SCALES: Final = (
    (10**18, "Trillion", "Trillionen"),
    (10**15, "Billiarde", "Billiarden"),
    (10**12, "Billion", "Billionen"),
    (10**9, "Milliarde", "Milliarden"),
    (10**6, "Million", "Millionen"),
)
# Above this, numbers are read digit by digit (identifiers, not quantities).
_MAX_CARDINAL: Final = 10**21 - 1


_BELOW_HUNDRED: Final = tuple(str(num2words(n, lang="de")) for n in range(100))


def _below_thousand(n: int) -> str:
    """Words for 0 ≤ n < 1000 as num2words writes them ("einhundertzwei")."""
    hundreds, rest = divmod(n, 100)
    if not hundreds:
        return _BELOW_HUNDRED[rest]
    head = "ein" if hundreds == 1 else _BELOW_HUNDRED[hundreds]
    return head + "hundert" + (_BELOW_HUNDRED[rest] if rest else "")


def _compound(n: int) -> str:
    """Words for 1 ≤ n < 1000 inside a larger number: "eins" becomes "ein"."""
    words = _below_thousand(n)
    return words[:-1] if words.endswith("eins") else words


def _below_million(n: int) -> str:
    thousands, rest = divmod(n, 1000)
    out = ""
    if thousands:
        out = _compound(thousands) + "tausend"
    if rest or not out:
        out += _below_thousand(rest)
    return out


@lru_cache(maxsize=4096)
def cardinal(n: int) -> str:
    """The cardinal of a non-negative integer: 1234 → "eintausendzweihundertvierunddreißig"."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n > _MAX_CARDINAL:
        return digits(str(n))
    if n < 10**6:
        return _below_million(n)
    parts: list[str] = []
    rest = n
    for value, singular, plural in _SCALES:
        count, rest = divmod(rest, value)
        if count == 1:
            parts.append(f"eine {singular}")
        elif count:
            parts.append(f"{cardinal_compound(count)} {plural}")
    if rest:
        parts.append(_below_million(rest))
    return " ".join(parts)


def cardinal_compound(n: int) -> str:
    """A cardinal inside a compound or before a noun: 1 → "ein", 101 → "einhundertein"."""
    words = cardinal(n)
    return words[:-1] if words.endswith("eins") else words


def digits(text: str) -> str:
    """Each digit as a word: "042" → "null vier zwei"."""
    return " ".join(DIGITS[int(c)] for c in text if c.isdigit())


def year(n: int) -> str:
    """A year as read aloud: 1999 → "neunzehnhundertneunundneunzig", 2021 → "zweitausend…"."""
    if 1100 <= n <= 1999:
        hundreds, rest = divmod(n, 100)
        return _below_thousand(hundreds) + "hundert" + (_below_thousand(rest) if rest else "")
    return cardinal(n)


@lru_cache(maxsize=2048)
def ordinal_stem(n: int) -> str:
    """The ordinal without its ending: 1 → "erst", 3 → "dritt", 24 → "vierundzwanzigst"."""
    if n == 0:
        return "nullt"
    if n % 10**6 == 0 and n >= 10**6:
        parts = cardinal(n).split()
        head = "" if parts[0] == "eine" else parts[0]
        tail = parts[-1].lower()
        if tail.endswith(("nen", "den")):
            tail = tail[:-2]
        return head + tail.removesuffix("e") + "st"
    if n in (100, 1000):
        # "der hundertste Geburtstag", not "einhundertste" (num2words agrees)
        return cardinal(n)[3:] + "st"
    words = cardinal(n).replace(" ", "").lower()
    rest = n % 100
    if 1 <= rest <= 19:
        for cardinal_end, ordinal_end in (
            ("eins", "erst"),
            ("drei", "dritt"),
            ("sieben", "siebt"),
            ("acht", "acht"),
        ):
            if words.endswith(cardinal_end):
                return words[: -len(cardinal_end)] + ordinal_end
        return words + "t"
    return words + "st"


def ordinal(n: int, ending: str = "e") -> str:
    """The ordinal with an adjective ending: ordinal(24, "en") → "vierundzwanzigsten"."""
    return ordinal_stem(n) + ending


def decimal(integer: str, fraction: str) -> str:
    """A decimal as read aloud: ("12", "5") → "zwölf Komma fünf", digits after the comma."""
    head = cardinal(int(integer)) if integer else "null"
    return f"{head} Komma {digits(fraction)}"


def parse_int(text: str) -> int:
    """An integer written with optional thousands dots or spaces: "1.234" → 1234."""
    return int(text.replace(".", "").replace(" ", "").replace("\u202f", "").replace("\u00a0", ""))


def fraction(numerator: int, denominator: int) -> str:
    """A fraction: (1, 3) → "ein Drittel", (3, 4) → "drei Viertel", (1, 2) → "ein halb"."""
    head = cardinal_compound(numerator)
    if denominator == 2:
        return f"{head} halb" if numerator == 1 else f"{head} Halbe"
    stem = ordinal_stem(denominator)
    return f"{head} {stem[0].upper()}{stem[1:]}el"


_ROMAN_VALUES: Final = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman(text: str) -> int | None:
    """The value of a well-formed Roman numeral ("XIV" → 14), else None."""
    if not text or any(c not in _ROMAN_VALUES for c in text):
        return None
    total = 0
    for i, c in enumerate(text):
        value = _ROMAN_VALUES[c]
        if i + 1 < len(text) and _ROMAN_VALUES[text[i + 1]] > value:
            total -= value
        else:
            total += value
    return total if to_roman(total) == text else None


def to_roman(n: int) -> str:
    """The canonical Roman numeral of 1 ≤ n < 4000."""
    out = []
    for value, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)


def pattern(exclude: str = "", *, amount: bool = False) -> str:
    """A number as written (thousands dots, a decimal comma, or a plain run of digits), not
    preceded by a character of `exclude`; with `amount`, also "12,-" as in prices."""
    first = rf"\d(?<![{exclude}]\d)" if exclude else r"\d"
    decimals = r"(?:,(?:\d+|[-–]))?" if amount else r"(?:,\d+)?"
    return rf"{first}(?:\d{{0,2}}(?:\.\d{{3}})+|\d*){decimals}"


def read(written: str) -> tuple[str, bool]:
    """Words for a written number and whether it is exactly the integer 1."""
    integer, _, fraction_part = written.partition(",")
    if fraction_part:
        return decimal(str(parse_int(integer)), fraction_part), False
    if len(integer) > 1 and integer.startswith("0"):
        return digits(integer), False
    value = parse_int(integer)
    return cardinal(value), value == 1
