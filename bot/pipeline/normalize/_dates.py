"""Dates, seasons, clock times, durations and scores."""

from __future__ import annotations

import re
from typing import Final

from bot.pipeline.german import (
    MONTHS,
    SENTENCE_STARTERS,
)
from bot.pipeline.normalize import _numbers as num
from bot.pipeline.normalize._grammar import (
    date_article,
    ending_after,
    next_word,
    previous_words,
)

_SEASON_RE: Final = re.compile(r"((?:19|20)(?<![\w./]\d\d)\d\d)/(\d\d)(?![\w/])")


def _season(match: re.Match[str]) -> str:
    return f"{num.year(int(match.group(1)))} {num.cardinal(int(match.group(2)))}"


# Dates.
_ISO_DATE_RE: Final = re.compile(
    r"((?:1[89]|20)(?<![\w.-]\d\d)\d\d)-(\d\d?)(?:-(\d\d?))?(?![\w-]|[.,]\d)"
)
_DATE_RE: Final = re.compile(
    r"(\d(?<![\w.,]\d)\d?)\.[ ]?(\d{1,2})\.(?:[ ]?(\d{4}|\d{2})(?![\d.,]\d|\d))?"
)
_DATE_NO_DOT_RE: Final = re.compile(r"(\d(?<![\w.,]\d)\d?)\.(\d{1,2})(?![\d.,])")
_DATE_CUES: Final = frozenset({"am", "vom", "zum", "bis", "ab", "seit"})


def _date_words(day: int, month: int, year_text: str | None, text: str, start: int) -> str:
    prev = previous_words(text, start)
    article = date_article(prev)
    if article:
        prev = [*prev, article.strip()]
    ending = ending_after(prev, "m", month=True)
    words = f"{article}{num.ordinal(day, ending)} {MONTHS[month - 1]}"
    if year_text:
        value = int(year_text)
        if len(year_text) == 2:
            value += 2000 if value < 50 else 1900
        words += " " + num.year(value)
    return words


def _date(match: re.Match[str]) -> str:
    day, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match.group(0)
    words = _date_words(day, month, year_text, match.string, match.start())
    if not year_text:
        rest = match.string[match.end() :].lstrip(" ")
        nxt = next_word(match.string, match.end())
        if not rest or rest[0] == "\n" or nxt in SENTENCE_STARTERS:
            words += "."
    return words


def _iso_date(match: re.Match[str]) -> str:
    year_value, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        return match.group(0)
    if match.group(3) is None:
        if len(match.group(2)) != 2:
            return match.group(0)  # "2020-22" is a range
        return f"{MONTHS[month - 1]} {num.year(year_value)}"
    day = int(match.group(3))
    if not 1 <= day <= 31:
        return match.group(0)
    return _date_words(day, month, str(year_value), match.string, match.start())


def _date_no_dot(match: re.Match[str]) -> str:
    day, month = int(match.group(1)), int(match.group(2))
    prev = previous_words(match.string, match.start(), 1)
    if not (1 <= day <= 31 and 1 <= month <= 12) or not prev or prev[-1] not in _DATE_CUES:
        return match.group(0)
    return _date_words(day, month, None, match.string, match.start())


# Times and scores.
_TIME_UHR_RE: Final = re.compile(
    r"(\d(?<![\w.,:]\d)\d?)[:.]([0-5]\d)(?::([0-5]\d))?[ ]?(?:Uhr|h)\b"
)
# "von 9.30 bis 20 Uhr", "9.30–18 Uhr", "zwischen 6.15 und 9 Uhr": a dotted time in a range
# that ends in "Uhr" is a time too.
_CLOCK_RANGE_RE: Final = re.compile(
    r"(\d(?<![\w.,:]\d)\d?)[:.]([0-5]\d)(?:[ ]?Uhr)?([ ]?[–—-][ ]?|[ ](?:bis|und)[ ])"
    r"(\d(?<![\w.,:]\d)\d?)(?:[:.]([0-5]\d))?[ ]?Uhr\b"
)
_TIME_CUE_RE: Final = re.compile(r"(\d(?<![\w.,:]\d)\d?):([0-5]\d)(?![\d:])")
_TIME_CUES: Final = frozenset(
    {"um", "ab", "gegen", "bis", "von", "seit", "zwischen", "und", "Beginn:", "Anpfiff:",
     "Anstoß:", "Start:", "Uhrzeit:"}
)  # fmt: skip
_DURATION_RE: Final = re.compile(
    r"(\d(?<![\w.,:]\d)\d?):([0-5]\d):([0-5]\d)(?:,(\d+))?(?:[ ]?(?:Stunden|Std\.|h)\b)?"
)
_CLOCK_DURATION_RE: Final = re.compile(
    r"(\d(?<![\w.,:]\d)\d?):([0-5]\d)[ ]?(Minuten|Min\.|min|Stunden|Std\.|h)(?![\w])"
)
_SCORE_RE: Final = re.compile(r"(\d(?<![\w.,:]\d)\d{0,2}):(\d{1,3})(?![\d:])")


def _clock(hours: int, minutes: int) -> str:
    head = "ein" if hours == 1 else num.cardinal(hours)
    return f"{head} Uhr" + (f" {num.cardinal(minutes)}" if minutes else "")


def _time_uhr(match: re.Match[str]) -> str:
    if int(match.group(1)) > 24:
        return match.group(0)
    words = _clock(int(match.group(1)), int(match.group(2)))
    if match.group(3) and int(match.group(3)):
        seconds = int(match.group(3))
        words += " und " + ("eine Sekunde" if seconds == 1 else f"{num.cardinal(seconds)} Sekunden")
    return words


def _clock_range(match: re.Match[str]) -> str:
    first_hours, first_minutes, joint, hours, minutes = match.groups()
    if int(first_hours) > 24 or int(hours) > 24:
        return match.group(0)
    joint = " bis " if joint.strip() in "–—-" else joint
    first = _clock(int(first_hours), int(first_minutes))
    return first + joint + _clock(int(hours), int(minutes or 0))


def _time_cue(match: re.Match[str]) -> str:
    prev = previous_words(match.string, match.start(), 1)
    if int(match.group(1)) > 24 or not prev or prev[-1] not in _TIME_CUES:
        return match.group(0)  # a score, read later
    return _clock(int(match.group(1)), int(match.group(2)))


def _unit_count(value: int, singular: str, plural: str) -> str:
    if value == 1:
        return f"eine {singular}"
    return f"{num.cardinal(value)} {plural}"


def _duration(match: re.Match[str]) -> str:
    hours, minutes, seconds = (int(match.group(i)) for i in (1, 2, 3))
    parts = []
    if hours:
        parts.append(_unit_count(hours, "Stunde", "Stunden"))
    if minutes:
        parts.append(_unit_count(minutes, "Minute", "Minuten"))
    if seconds or match.group(4):
        words = _unit_count(seconds, "Sekunde", "Sekunden")
        if match.group(4):
            words = f"{num.decimal(str(seconds), match.group(4))} Sekunden"
        parts.append(words)
    return " ".join(parts) or "null Sekunden"


def _clock_duration(match: re.Match[str]) -> str:
    """ "12:35 Minuten" → "zwölf Minuten fünfunddreißig"."""
    big, small, unit = int(match.group(1)), int(match.group(2)), match.group(3)
    minutes = unit.lower().startswith("m")
    singular, plural = ("Minute", "Minuten") if minutes else ("Stunde", "Stunden")
    words = _unit_count(big, singular, plural)
    return words + (f" {num.cardinal(small)}" if small else "")


def _score(match: re.Match[str]) -> str:
    return f"{num.cardinal(int(match.group(1)))} zu {num.cardinal(int(match.group(2)))}"


def dates(text: str) -> str:
    """ISO dates, "24.11.2026", "am 3.5", seasons ("2023/24")."""
    if "-" in text:
        text = _ISO_DATE_RE.sub(_iso_date, text)
    text = _DATE_RE.sub(_date, text)
    text = _DATE_NO_DOT_RE.sub(_date_no_dot, text)
    if "/" in text:
        text = _SEASON_RE.sub(_season, text)
    return text


def clock_times(text: str) -> str:
    """Times before "Uhr" and ranges ending in "Uhr", before the date pass reads "9.05" as a
    date ("ab 9.05 Uhr")."""
    if "Uhr" not in text and "h" not in text:
        return text
    text = _CLOCK_RANGE_RE.sub(_clock_range, text)
    return _TIME_UHR_RE.sub(_time_uhr, text)


def times(text: str) -> str:
    """Clock times without "Uhr" after a cue, durations and scores."""
    if ":" in text:
        text = _TIME_CUE_RE.sub(_time_cue, text)
        text = _DURATION_RE.sub(_duration, text)
        text = _CLOCK_DURATION_RE.sub(_clock_duration, text)
        text = _SCORE_RE.sub(_score, text)
    return text
