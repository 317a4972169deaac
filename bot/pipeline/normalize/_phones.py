"""Telephone numbers, read digit by digit in the groups they are written in.

"0351 483-0" is "null drei fünf eins, vier acht drei, null": the area code apart, each written
group after it, an extension after "-" as its digits. A comma between the groups gives the
pause a newsreader makes. A number is a telephone number when it starts with "0" or a country
code ("+49") and a group of digits follows after a space, "/" or ")", or when a telephone word
("Telefon", "Fax", "Hotline", "Notruf" …) comes right before it.
"""

from __future__ import annotations

import re
from typing import Final

from bot.pipeline.normalize import _numbers as num

# Each alternative consumes its first character before the lookbehind, so `re` scans fast.
_PHONE_RE: Final = re.compile(
    r"(?:\+(?<![\w+]\+)\d{1,3}[ ]?(?:\(0\)[ ]?)?\d{1,5}"
    r"|\((?<![\w(]\()0\d{1,5}\)"
    r"|0(?<![\w.,:/+-]0)\d{1,5})"
    r"(?:[ ]?/[ ]?|[ ]|-)\d+(?:(?:[ ]|[ ]?-[ ]?)\d+)*(?![\w]|[.,:/]\d)"
)
_CUE_RE: Final = re.compile(
    r"(?:Telefon|Telefonnummer|Rufnummer|Fax|Telefax|Hotline|Notruf|Notrufnummer|Durchwahl)"
    r":?[ ](\d(?<![\w.,]\d)[\d]*(?:(?:[ ]?[/-][ ]?|[ ])\d+)*)(?![\w]|[.,:/]\d)"
)
_CUES: Final = ("Telefon", "Rufnummer", "Fax", "Hotline", "Notruf", "Durchwahl")
# Numbers without an area code: the European service numbers "116 xxx" ("116 016", "116 117")
# and any short number after "unter" that is then "erreichbar", "anrufen" …: "unter 19222 anrufen".
_SERVICE_RE: Final = re.compile(r"1(?<![\w.,]1)16[ ]?\d{3}(?![\w]|[.,]\d)")
_REACHABLE_RE: Final = re.compile(
    r"unter[ ](\d(?<![\w.,]\d)\d{2,}(?:[ ]\d+)*)[ ](?=(?:rund[ ]um[ ]die[ ]Uhr[ ])?"
    r"(?:erreichbar|anrufen|anzurufen|melden|gebührenfrei|kostenlos|kostenfrei)\b)"
)
_GROUP_RE: Final = re.compile(r"\+|\(0\)|\d+")
# Fewer digits than this after a leading zero are a code or a score, not a telephone number.
_MIN_DIGITS: Final = 6


def _say(written: str) -> str:
    groups = []
    plus = False
    for part in _GROUP_RE.findall(written):
        if part == "+":
            plus = True
        elif part != "(0)":
            groups.append(num.digits(part))
    if plus and groups:
        groups[0] = "plus " + groups[0]
    return ", ".join(groups)


def _phone(match: re.Match[str]) -> str:
    written = match.group(0)
    if sum(c.isdigit() for c in written) < _MIN_DIGITS:
        return written
    return _say(written)


def _cued(match: re.Match[str]) -> str:
    written = match.group(1)
    if sum(c.isdigit() for c in written) < 3:
        return match.group(0)
    return match.group(0)[: match.start(1) - match.start()] + _say(written)


def telephone_numbers(text: str) -> str:
    """Telephone numbers as digits in their written groups."""
    if "0" in text or "+" in text:
        text = _PHONE_RE.sub(_phone, text)
    if any(cue in text for cue in _CUES):
        text = _CUE_RE.sub(_cued, text)
    if "116" in text:
        text = _SERVICE_RE.sub(lambda m: _say(m.group(0)), text)
    if "unter " in text:
        text = _REACHABLE_RE.sub(lambda m: "unter " + _say(m.group(1)) + " ", text)
    return text
