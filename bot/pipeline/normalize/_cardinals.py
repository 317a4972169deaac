"""Identifiers, signs, ranges, versions, numbers glued to words, years and plain cardinals."""

from __future__ import annotations

import re
from typing import Final

from bot.pipeline.german import (
    MONTH_SET,
    SENTENCE_STARTERS,
    WEEKDAYS,
    word_set,
)
from bot.pipeline.normalize import _numbers as num
from bot.pipeline.normalize._grammar import (
    bare,
    measure_follows,
    next_word,
    noun_after,
    one_before,
    previous_words,
    scale_in_case,
)
from bot.pipeline.normalize._tables import (
    CURRENCIES,
    UNITS,
)

_SPACE_GROUP_RE: Final = re.compile(r"(\d(?<![\d.,:]\d)\d{0,2})((?: \d{3})+)(?![\d.,]\d|\d)")
_LONG_DIGITS_RE: Final = re.compile(r"\d{22,}")
# A sign before a number ("−3 Grad", "+5 %"), not a hyphen ("Covid-19") or a range dash.
_SIGN_RE: Final = re.compile(r"[-−+±](?<![\w.,:/)\]%−+±-][-−+±])(?=\d)")
_SIGN_WORDS: Final = {"-": "minus ", "−": "minus ", "+": "plus ", "±": "plus minus "}


# Ranges: "2020–2022", "S. 3–5", "10-15 Prozent", "20.–22. Mai" → "… bis …".
_RANGE_RE: Final = re.compile(
    r"((?:"
    + num.pattern(r"\w.,:/-")
    + r")\.?)[ ]?[–—-][ ]?((?:"
    + num.pattern()
    + r")\.?)(?![\w:/-]|[.,]\d)"
)


def _range(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    if first.startswith("0") and len(first) > 2:
        return match.group(0)  # a telephone number, not a range
    return f"{first} bis {second}"


def _space_groups(match: re.Match[str]) -> str:
    # "10 000 Menschen" → "10000"; not "2020 123" (first group ≤ 3 digits only) and not
    # "0800 123 456" (a telephone number: the group before is digits too).
    start = match.start()
    if start >= 2 and match.string[start - 1] == " " and match.string[start - 2].isdigit():
        return match.group(0)
    return match.group(1) + match.group(2).replace(" ", "")


# Versions, alphanumerics, compounds.
_VERSION_CUES: Final = word_set(
    "iOS iPadOS macOS watchOS Android Version Windows Python Firefox Chrome Update Release "
    "Firmware Linux Kernel Bluetooth USB HTTP HTML Web Industrie Wi-Fi WLAN PHP Java Ubuntu "
    "Debian Office Photoshop Safari Edge Node Fedora Gemini GPT Llama Claude Stufe"
)
_VERSION_RE: Final = re.compile(
    r"(?:[vV](?<![\w.,][vV])(?=\d)|\d(?<![\w.,]\d)(?=\d*\.\d))(\d*(?:\.\d+){1,3})(?![\w]|[.,]\d)"
)
# Digits glued to letters: "G7", "CO2", "Covid-19", "A380" (the letters are read later).
_ALNUM_RE: Final = re.compile(
    r"\d(?<=[^\W\d_]\d)\d*(?![\d.,]\d|\d)|-\d(?<=[^\W\d_]-\d)\d*(?![\d.,]\d|\d)"
)
# "3x" → "dreimal".
_TIMES_RE: Final = re.compile(r"(\d(?<![\w.,]\d)\d*)x(?![\w])")
# Digits before capital letters or one small letter: "5G", "3D", "4K", "Nr. 12a".
_DIGIT_LETTER_RE: Final = re.compile(r"\d(?<![\w.,]\d)\d*(?=(?:[A-Z]{1,2}|[a-z])(?![\w]))")
_DECADE_RE: Final = re.compile(r"(\d(?<![\w.,]\d)\d*)er\b")
_SUFFIX_RE: Final = re.compile(
    r"(\d(?<![\w.,]\d)\d*(?:,\d+)?)-?("
    r"[jJ]ährig\w*|[fF]ach\w*|mal|malig\w*|[kK]öpfig\w*|[sS]tellig\w*|[sS]eitig\w*|"
    r"[tT]ägig\w*|[wW]öchig\w*|[mM]onatig\w*|[mM]inütig\w*|[sS]tündig\w*|[tT]eilig\w*|"
    r"[sS]töckig\w*|[sS]itzig\w*|[gG]eschossig\w*|[zZ]immer\w*|[pP]rozentig\w*|[gG]radig\w*"
    r")\b"
)


def _version(match: re.Match[str]) -> str:
    written = match.group(0).lstrip("vV")
    parts = written.split(".")
    prev = previous_words(match.string, match.start(), 1)
    cue = (bool(prev) and bare(prev[-1]) in _VERSION_CUES) or match.group(0)[:1] in "vV"
    thousands = all(len(p) == 3 for p in parts[1:]) and len(parts[0]) <= 3
    if thousands and not cue:
        return match.group(0)
    return " Punkt ".join(num.digits(p) if len(p) > 1 and p[0] == "0" else num.cardinal(int(p))
                          for p in parts)  # fmt: skip


def _alnum(match: re.Match[str]) -> str:
    digits_text = match.group(0).lstrip("-")
    if digits_text.startswith("0") and len(digits_text) > 1:
        spoken = num.digits(digits_text)
    else:
        spoken = num.cardinal(int(digits_text))
    glued = match.string[match.end() : match.end() + 1].isalpha()  # "A320neo"
    return f" {spoken} " if glued else f" {spoken}"


def _digit_letter(match: re.Match[str]) -> str:
    return num.cardinal(int(match.group(0))) + " "


def _decade(match: re.Match[str]) -> str:
    value = int(match.group(1))
    words = num.year(value) if len(match.group(1)) == 4 else num.cardinal(value)
    return words + "er"


def _suffix(match: re.Match[str]) -> str:
    written, suffix = match.group(1), match.group(2)
    words, _ = num.read(written)
    if "," not in written:
        words = num.cardinal_compound(num.parse_int(written))
    joined = (words + suffix.lower()).replace(" ", "")
    return joined[0].upper() + joined[1:] if suffix[0].isupper() else joined


# Plain numbers, years and cardinals.
_CARDINAL_RE: Final = re.compile(
    r"(\d(?<![\w.,:/]\d)(?:\d{0,2}(?:\.\d{3})+|\d*))(?:,(\d+))?(?![\w]|[.,]\d)"
)
_YEAR_CUES: Final = word_set(
    "im jahr jahre jahres jahrs seit anno sommer herbst winter frühjahr frühling anfang "
    "ende mitte bis von ab zwischen um vor nach jahrgang geboren gegründet baujahr "
    "modelljahr saison wahl wm em olympia ostern weihnachten silvester stand zum "
    "spätestens frühestens und oder christus chr"
) | {month.lower() for month in MONTH_SET}
_QUANTITY_CUES: Final = word_set(
    "rund etwa knapp über mehr weniger als fast mindestens insgesamt nur exakt genau "
    "circa zirka ca. gut lediglich höchstens maximal"
)


def _is_year(value: int, text: str, start: int, end: int) -> bool:
    if not 1100 <= value <= 1999:
        return False
    prev = previous_words(text, start, 2)
    last = bare(prev[-1]).lower() if prev else ""
    nxt = next_word(text, end)
    clean_next = bare(nxt)
    if clean_next in UNITS or clean_next in CURRENCIES:
        return False
    if last in _YEAR_CUES or (prev and prev[-1][-1:] == "("):
        return True
    if last in _QUANTITY_CUES:
        return False
    return not (
        nxt[:1].isupper()
        and clean_next not in MONTH_SET
        and clean_next not in WEEKDAYS
        and clean_next not in SENTENCE_STARTERS
        and text[end : end + 1] not in ",.;:)"
    )


def _cardinal(match: re.Match[str]) -> str:
    integer, fraction = match.group(1), match.group(2)
    text = match.string
    prefix = ""
    if fraction:
        return prefix + num.decimal(str(num.parse_int(integer)), fraction)
    if len(integer) > 1 and integer.startswith("0"):
        return prefix + num.digits(integer)
    value = num.parse_int(integer)
    end = match.end()
    if text[end : end + 1] == "-":
        return prefix + num.cardinal_compound(value)
    if "." not in integer and len(integer) == 4 and _is_year(value, text, match.start(), end):
        return num.year(value)
    if value == 1:
        nxt = next_word(text, end)
        noun = bare(nxt)
        if (
            nxt[:1].isupper()
            and noun.isalpha()
            and not noun.isupper()
            and noun not in SENTENCE_STARTERS
        ):
            measure = measure_follows(text, end)
            return one_before(noun, previous_words(text, match.start()), measure=measure)
        if noun in {"bis", "oder", "und"}:
            after = noun_after(text, end)
            if after:
                return one_before(after, previous_words(text, match.start()))
    if value >= 10**6:
        return scale_in_case(num.cardinal(value), previous_words(text, match.start()))
    return prefix + num.cardinal(value)


# "1,2,3": a list, not a decimal (a German number has one decimal comma); "1,234,567" with
# groups of three is an English thousands separator.
_COMMA_LIST_RE: Final = re.compile(r"\d(?<![\w.,]\d)\d{0,2}(?:,\d{1,3}){2,}(?![\w]|[.,]\d)")


def _comma_list(match: re.Match[str]) -> str:
    parts = match.group(0).split(",")
    if all(len(part) == 3 for part in parts[1:]):
        return num.cardinal(int("".join(parts)))
    return ", ".join(num.cardinal(int(part)) for part in parts)


def identifiers(text: str) -> str:
    """Digit runs too long for a quantity read digit by digit; "10 000" joined to "10000";
    "1,2,3" as a list."""
    # Python also refuses int() of more than 4,300 digits.
    text = _LONG_DIGITS_RE.sub(lambda m: f" {num.digits(m.group(0))} ", text)
    if "," in text:
        text = _COMMA_LIST_RE.sub(_comma_list, text)
    return _SPACE_GROUP_RE.sub(_space_groups, text)


def ranges_and_signs(text: str) -> str:
    """ "2020–2022" → "2020 bis 2022"; "−3" → "minus 3"."""
    text = _RANGE_RE.sub(_range, text)
    if "-" in text or "−" in text or "+" in text or "±" in text:
        text = _SIGN_RE.sub(lambda m: _SIGN_WORDS[m.group(0)], text)
    return text


def cardinals(text: str) -> str:
    """Versions, numbers glued to words ("G7", "3x", "5G", "90er"), years and cardinals."""
    text = _VERSION_RE.sub(_version, text)
    text = _SUFFIX_RE.sub(_suffix, text)
    text = _DECADE_RE.sub(_decade, text)
    text = _ALNUM_RE.sub(_alnum, text)
    text = _TIMES_RE.sub(lambda m: num.cardinal_compound(int(m.group(1))) + "mal", text)
    text = _DIGIT_LETTER_RE.sub(_digit_letter, text)
    return _CARDINAL_RE.sub(_cardinal, text)
