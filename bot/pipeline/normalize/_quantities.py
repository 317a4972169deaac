"""Money, percent, units and fractions."""

from __future__ import annotations

import re
from typing import Final

from bot.pipeline.german import (
    SENTENCE_STARTERS,
)
from bot.pipeline.normalize import _numbers as num
from bot.pipeline.normalize._grammar import (
    bare,
    case_before,
    measure_follows,
    next_word,
    noun_gender,
    one_before,
    previous_words,
    scale_in_case,
)
from bot.pipeline.normalize._tables import (
    CURRENCIES,
    UNITS,
)

# Money.
_SCALE_WORDS: Final = r"Tausend|Millionen|Million|Milliarden|Milliarde|Billionen|Billion"
_CURRENCY_AFTER: Final = "|".join(
    re.escape(c) for c in sorted(CURRENCIES, key=len, reverse=True) if c not in {"Fr."}
)
_CURRENCY_BEFORE: Final = r"US\$|\$|€|£|¥|₹|₽|₺|EUR|USD|CHF|GBP|JPY|CNY|sFr\.|Fr\."
_MONEY_AFTER_RE: Final = re.compile(
    r"(" + num.pattern(r"\w.,:/", amount=True) + r")[ ]?(?:(" + _SCALE_WORDS + r")[ ])?"
    r"(" + _CURRENCY_AFTER + r")(?![\w$€£¥])"
)
_MONEY_BEFORE_RE: Final = re.compile(
    r"(" + _CURRENCY_BEFORE + r")[ ]?(" + num.pattern(amount=True) + r")"
    r"(?:[ ](" + _SCALE_WORDS + r"))?(?![\d\w])"
)


def _money_words(amount: str, scale: str | None, currency: str, *, text: str, start: int) -> str:
    name, minor = CURRENCIES[currency]
    amount = amount.rstrip("-–").rstrip(",")
    integer, _, cents = amount.partition(",")
    prefix = ""
    if scale:
        words, is_one = num.read(amount)
        singular, plural = UNITS.get(scale, (scale, scale))
        if is_one:
            words = one_before(singular, previous_words(text, start))
            scale = singular
        else:
            scale = plural
        return f"{prefix}{words} {scale} {name}"
    if cents and len(cents) > 2:
        return f"{prefix}{num.decimal(str(num.parse_int(integer)), cents)} {name}"
    value = num.parse_int(integer)
    cent_value = int(cents.ljust(2, "0")) if cents else 0
    if value == 0 and cent_value and minor:
        if cent_value == 1:
            return f"{prefix}{one_before(minor, previous_words(text, start))} {minor}"
        return f"{prefix}{num.cardinal(cent_value)} {minor}"
    prev = previous_words(text, start)
    head = one_before(name, prev) if value == 1 else scale_in_case(num.cardinal(value), prev)
    words = f"{prefix}{head} {name}"
    if cent_value:
        words += f" {num.cardinal(cent_value)}"
    return words


# English-style money: "€1 million", "$3.5 billion" (a decimal point, the currency first).
_ENGLISH_SCALES: Final = {
    "k": ("Tausend", "Tausend"),
    "m": ("Million", "Millionen"),
    "mn": ("Million", "Millionen"),
    "million": ("Million", "Millionen"),
    "bn": ("Milliarde", "Milliarden"),
    "billion": ("Milliarde", "Milliarden"),
    "trillion": ("Billion", "Billionen"),
}
_ENGLISH_MONEY_RE: Final = re.compile(
    r"(?<![\w$€£])(US\$|\$|€|£)(\d{1,3}(?:\.\d+)?)[ ]?(trillion|billion|million|bn|mn|m|k)\b"
)


def _english_money(match: re.Match[str]) -> str:
    currency, amount, scale = match.groups()
    integer, _, fraction_part = amount.partition(".")
    singular, plural = _ENGLISH_SCALES[scale]
    if fraction_part:
        return f"{num.decimal(integer, fraction_part)} {plural} {CURRENCIES[currency][0]}"
    value = int(integer)
    if value == 1:
        head = "eine" if singular != "Tausend" else "ein"
        return f"{head} {singular} {CURRENCIES[currency][0]}"
    return f"{num.cardinal(value)} {plural} {CURRENCIES[currency][0]}"


def _money_after(match: re.Match[str]) -> str:
    amount, scale, currency = match.groups()
    return _money_words(amount, scale, currency, text=match.string, start=match.start())


def _money_before(match: re.Match[str]) -> str:
    start = match.start()
    before = match.string[start - 1 : start]
    if before and (before.isalnum() or before in "_$€£¥"):
        return match.group(0)
    currency, amount, scale = match.groups()
    return _money_words(amount, scale, currency, text=match.string, start=start)


# Percent and units.
_PERCENT_ADJ_RE: Final = re.compile(r"(" + num.pattern(r"\w.,") + r")[ ]?(?:%|-prozentig)(ig\w*)?")
_UNIT_KEYS: Final = sorted(UNITS, key=len, reverse=True)
_UNIT_RE: Final = re.compile(
    r"("
    + num.pattern(r"\w.,:/-")
    + r")[ ]?("
    + "|".join(re.escape(u) for u in _UNIT_KEYS)
    + r")(?![\wäöüÄÖÜß²³/])"
)
_PERCENT_POINT_RE: Final = re.compile(r"%-Punkt")
_PER_UNIT_RE: Final = re.compile(
    r"(p(?<!\wp)ro|j(?<!\wj)e) ("
    + "|".join(re.escape(u) for u in _UNIT_KEYS if not u[0].isdigit() and u not in {"%", "‰"})
    + r")(?![\wäöüÄÖÜß²³/])"
)


# A unit after a scale word ("120 Mio. kWh", the scale already read): always the plural.
_SCALED_UNIT_RE: Final = re.compile(
    r"(Tausend|Millionen|Million|Milliarden|Milliarde|Billionen|Billion) ("
    + "|".join(
        re.escape(u)
        for u in _UNIT_KEYS
        if u not in {"%", "‰"} and not (u[:1].isupper() and u[1:].islower())  # not words
    )
    + r")(?![\wäöüÄÖÜß²³/])"
)


def _percent_adj(match: re.Match[str]) -> str:
    if not match.group(2) and "prozentig" not in match.group(0):
        return match.group(0)
    words, _ = num.read(match.group(1))
    if words.endswith("eins"):
        words = words[:-1]
    return f"{words}prozent{match.group(2) or 'ig'}".replace(" ", "")


def _unit(match: re.Match[str]) -> str:
    written, unit = match.group(1), match.group(2)
    singular, plural = UNITS[unit]
    words, is_one = num.read(written)
    prev = previous_words(match.string, match.start())
    if is_one:
        measure = measure_follows(match.string, match.end(), noun_next=False)
        return f"{one_before(singular, prev, measure=measure)} {singular}"
    if plural.endswith("er") and " " not in plural and _dative_plural(prev):
        plural += "n"  # "ein Stau von fünfzehn Kilometern"
    return f"{words} {plural}"


def _dative_plural(prev: list[str]) -> bool:
    """Whether a plural measure after these words is dative ("von 15 km", not "bis zu 15 km")."""
    words = [bare(w).lower() for w in prev[-2:]]
    if words[-1:] == ["zu"] and words[:1] == ["bis"]:
        return False  # "bis zu" before a number is an adverb
    return case_before(prev) == "dat"


# Fractions.
_VULGAR: Final[dict[str, str]] = {
    "½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅛": "1/8",
    "⅜": "3/8", "⅝": "5/8", "⅞": "7/8", "⅙": "1/6", "⅚": "5/6", "⅒": "1/10",
}  # fmt: skip
_VULGAR_RE: Final = re.compile("[" + "".join(_VULGAR) + "]")
_MIXED_RE: Final = re.compile(r"(\d(?<![\w.,/]\d)\d*) (\d)/(\d{1,2})(?![\d/])")
_FRACTION_RE: Final = re.compile(r"(\d(?<![\w.,/]\d)\d?)/(\d{1,2}|100|1000)(?![\d/]|\.\d)")


def _vulgar(match: re.Match[str]) -> str:
    start = match.start()
    glued = start > 0 and match.string[start - 1].isdigit()
    return (" " if glued else "") + _VULGAR[match.group(0)]


def _mixed(match: re.Match[str]) -> str:
    whole, numerator, denominator = (int(match.group(i)) for i in (1, 2, 3))
    if numerator >= denominator or denominator < 2:
        return match.group(0)
    if (numerator, denominator) == (1, 2):
        return num.cardinal_compound(whole) + "einhalb"
    return f"{num.cardinal(whole)} und {num.fraction(numerator, denominator)}"


def _half(text: str, start: int, end: int) -> str:
    nxt = next_word(text, end)
    clean = bare(nxt)
    if clean in {"der", "des", "aller"}:
        return "die Hälfte"
    if nxt[:1].isupper() and clean not in SENTENCE_STARTERS:
        gender = noun_gender(clean)
        case = case_before(previous_words(text, start))
        article = one_before(clean, previous_words(text, start))
        ending = {
            "m": {"nom": "er", "acc": "en", "dat": "en"},
            "f": {"nom": "e", "acc": "e", "dat": "en"},
            "n": {"nom": "es", "acc": "es", "dat": "en"},
        }[gender][case]
        return f"{article} halb{ending}"
    return "ein halb"


def _fraction(match: re.Match[str]) -> str:
    numerator, denominator = int(match.group(1)), int(match.group(2))
    if (numerator, denominator) == (9, 11):
        return "Nine-Eleven"
    if not (0 < numerator < denominator) or (denominator > 20 and denominator not in {100, 1000}):
        return f"{num.cardinal(numerator)} {num.cardinal(denominator)}"
    if (numerator, denominator) == (1, 2):
        return _half(match.string, match.start(), match.end())
    words = num.fraction(numerator, denominator)
    if numerator == 1:
        noun = words.split(" ", 1)[1]
        article = one_before(noun, previous_words(match.string, match.start()))
        words = f"{article} {noun}"
    return words


def vulgar_fractions(text: str) -> str:
    """ "½" → "1/2", read by the fraction rule later."""
    return text if text.isascii() else _VULGAR_RE.sub(_vulgar, text)


def amounts(text: str) -> str:
    """Money, percent, units and fractions."""
    if "€" in text or "$" in text or "£" in text:
        text = _ENGLISH_MONEY_RE.sub(_english_money, text)
    text = _MONEY_BEFORE_RE.sub(_money_before, text)
    text = _MONEY_AFTER_RE.sub(_money_after, text)
    if "%" in text or "prozentig" in text:
        text = _PERCENT_POINT_RE.sub("Prozentpunkt", text)
        text = _PERCENT_ADJ_RE.sub(_percent_adj, text)
    text = _UNIT_RE.sub(_unit, text)
    text = _SCALED_UNIT_RE.sub(lambda m: f"{m.group(1)} {UNITS[m.group(2)][1]}", text)
    text = _PER_UNIT_RE.sub(lambda m: f"{m.group(1)} {UNITS[m.group(2)][0]}", text)
    if "/" in text:
        text = _MIXED_RE.sub(_mixed, text)
        text = _FRACTION_RE.sub(_fraction, text)
    return text
