"""The normaliser's passes: each a precompiled regex and a small function per match.

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

import re
import unicodedata
from collections.abc import Callable
from typing import Final

from bot.pipeline.chunk import SENTENCE_STARTERS
from bot.pipeline.normalize import _numbers as num
from bot.pipeline.normalize._gender import expand_gender_forms
from bot.pipeline.normalize._grammar import (
    MONTH_SET,
    MONTHS,
    PREPOSITIONS,
    WEEKDAYS,
    Gender,
    case_before,
    ending_after,
    looks_plural,
    next_word,
    noun_gender,
    one_before,
    previous_words,
    word_set,
)
from bot.pipeline.normalize._tables import (
    ABBREVIATIONS,
    ADJECTIVE_ABBREVIATIONS,
    BEFORE_NUMBER,
    CURRENCIES,
    SENTENCE_FINAL,
    SPELLED_ACRONYMS,
    TLDS,
    UNITS,
    WORD_ACRONYMS,
)

Sub = Callable[[re.Match[str]], str]

_STRIP: Final = ".,;:!?\"'“”„»«()[]"


def _clean(token: str) -> str:
    return token.strip(_STRIP)


# --- tidy ---------------------------------------------------------------------------------

_INVISIBLE_RE: Final = re.compile(r"[\u00ad\u200b\u200c\u2060\ufeff]")
_HSPACE_RE: Final = re.compile(r"[^\S\n]+")
_NEWLINES_RE: Final = re.compile(r"\n\n\n+")
_THIN_GROUP_RE: Final = re.compile(r"(?<=\d)[\u00a0\u202f\u2009\u2007'’](?=\d{3}(?!\d))")
_SPACE_GROUP_RE: Final = re.compile(r"(\d(?<![\d.,:]\d)\d{0,2})((?: \d{3})+)(?![\d.,]\d|\d)")


def tidy(text: str) -> str:
    """NFC, no invisible characters, single spaces, at most one blank line in a row."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = _THIN_GROUP_RE.sub("", text)
    text = _HSPACE_RE.sub(" ", text)
    if "\n" in text:
        text = _NEWLINES_RE.sub("\n\n", text.replace(" \n", "\n").replace("\n ", "\n"))
    return text.strip(" ")


def _space_groups(match: re.Match[str]) -> str:
    # "10 000 Menschen" → "10000"; not "2020 123" (first group ≤ 3 digits only) and not
    # "0800 123 456" (a telephone number: the group before is digits too).
    start = match.start()
    if start >= 2 and match.string[start - 1] == " " and match.string[start - 2].isdigit():
        return match.group(0)
    return match.group(1) + match.group(2).replace(" ", "")


# --- web addresses, e-mail, handles -------------------------------------------------------

_TLD_ALT: Final = "|".join(sorted(TLDS, key=len, reverse=True))
_URL_RE: Final = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"'„“”»«]+"
    rf"|(?<![\w@.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:{_TLD_ALT})\b"
    r"(?:/[^\s<>\"'„“”»«]*)?(?![\w@-])",
)
_EMAIL_RE: Final = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b")
_HANDLE_RE: Final = re.compile(r"@(?<![\w@]@)([A-Za-z0-9_]{2,})\b")
_HASHTAG_RE: Final = re.compile(r"#(?<![\w&#]#)([^\W\d_][\w]*)")
_URL_HINT_RE: Final = re.compile(rf"://|www\.|\.(?:{_TLD_ALT})\b")
_TRAILING_PUNCT: Final = ".,;:!?)]}\"'“”»«"


def _say_host(host: str) -> str:
    labels = [label for label in host.split(".") if label]
    if labels and labels[0].lower() == "www":
        labels = labels[1:]
    spoken = []
    for label in labels:
        upper = label.upper()
        if upper in SPELLED_ACRONYMS and label.isalpha():
            spoken.append(" ".join(upper))
        else:
            spoken.append(label.lower() if label.isupper() else label)
    return " punkt ".join(spoken)


def _url(match: re.Match[str]) -> str:
    raw = match.group(0)
    core = raw.rstrip(_TRAILING_PUNCT)
    tail = raw[len(core) :]
    if not core:
        return raw
    address = re.sub(r"^[a-z]+://", "", core, flags=re.IGNORECASE)
    host = re.split(r"[/?#:]", address, maxsplit=1)[0]
    if "." not in host:
        return raw
    return _say_host(host) + tail


def _email(match: re.Match[str]) -> str:
    local, host = match.group(0).split("@", 1)
    local = local.replace(".", " punkt ").replace("_", " Unterstrich ").replace("-", " Strich ")
    return f"{local} at {_say_host(host)}"


def _hashtag(match: re.Match[str]) -> str:
    before = match.string[max(0, match.start() - 8) : match.start()].lower()
    return match.group(1) if before.rstrip().endswith("hashtag") else f"Hashtag {match.group(1)}"


def electronic(text: str) -> str:
    """E-mail addresses, web addresses, @handles and #hashtags as they are said."""
    if "@" in text:
        text = _EMAIL_RE.sub(_email, text)
        text = _HANDLE_RE.sub(r"at \1", text)
    if _URL_HINT_RE.search(text):
        text = _URL_RE.sub(_url, text)
    if "#" in text:
        text = _HASHTAG_RE.sub(_hashtag, text)
    return text


# --- abbreviations --------------------------------------------------------------------------


_Trie = dict[str, "_Trie"]


def trie_pattern(words: list[str], boundary: str = "") -> str:
    """One regex alternation for many literal words, as a prefix tree (fast to match).

    A space in a word matches an optional whitespace character. `boundary` is a character
    class that must not precede the match; it is checked right after the first character so
    that the regex engine can still scan quickly for the first characters.
    """
    tree: _Trie = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def atom(char: str) -> str:
        return r"\s?" if char == " " else re.escape(char)

    def build(node: _Trie, depth: int) -> str:
        branches = []
        for char in sorted((c for c in node if c), key=lambda c: -len(c)):
            head = atom(char)
            if depth == 0 and boundary:
                head += f"(?<![{boundary}]{head})"
            branches.append(head + build(node[char], depth + 1))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return build(tree, 0)


_MONTH_ABBREVS: Final = frozenset(
    {"Jan.", "Feb.", "Febr.", "Mär.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Okt.",
     "Nov.", "Dez."}
)  # fmt: skip


def _case_variants(written: str) -> list[str]:
    if written[:1].islower():
        return [written, written[0].upper() + written[1:]]
    if written in _MONTH_ABBREVS:
        return [written, written.lower()]
    return [written]


_ALL_ABBREVIATIONS: Final[dict[str, str]] = {**ABBREVIATIONS, **ADJECTIVE_ABBREVIATIONS}
_ABBREV_KEYS: Final = sorted(
    (k for k in _ALL_ABBREVIATIONS if k.endswith(".")), key=len, reverse=True
)
_ABBREV_LOOKUP: Final[dict[str, str]] = {re.sub(r"\s", "", k).lower(): k for k in _ABBREV_KEYS}
_ABBREV_RE: Final = re.compile(
    "(?:"
    + trie_pattern([v for k in _ABBREV_KEYS for v in _case_variants(k)], boundary=r"\w.")
    + r")(?![\w])"
)
_BEFORE_NUMBER_RE: Final = re.compile(
    "(" + trie_pattern([k[:-1] for k in BEFORE_NUMBER], boundary=r"\w.") + r")\.\s?(?=\d)"
)
_WEEKDAY_NAMES: Final = {
    "Mo": "Montag", "Di": "Dienstag", "Mi": "Mittwoch", "Do": "Donnerstag", "Fr": "Freitag",
    "Sa": "Samstag", "So": "Sonntag",
}  # fmt: skip
_WEEKDAY_RANGE_RE: Final = re.compile(
    r"(Mo|Di|Mi|Do|Fr|Sa|So)(?<![\w.]..)\.?[ ]?(?:[–-]|bis)[ ]?(Mo|Di|Mi|Do|Fr|Sa|So)\.?(?![\w])"
)
_WEEKDAY_ABBREV_RE: Final = re.compile(r"(F(?<![\w.]F)r|S(?<![\w.]S)o)\.(?=,|\s\d{1,2}\.)")
_FOLLOWING_RE: Final = re.compile(r"(\d)\s?(ff?)\.(?=\s|$|[,;:)])")
_STREET_RE: Final = re.compile(r"str\.(?<=[a-zäöüß]str\.)")
_TITLE_FR_RE: Final = re.compile(r"F(?<![\w.]F)r\.(?=\s[A-ZÄÖÜ][a-zäöü])")


def _abbreviation(match: re.Match[str]) -> str:
    raw = match.group(0)
    key = _ABBREV_LOOKUP[re.sub(r"\s", "", raw).lower()]
    text = match.string
    end = match.end()
    after = text[end : end + 2]
    if key in _MONTH_ABBREVS:
        before = text[max(0, match.start() - 4) : match.start()]
        if not (re.search(r"\d\.\s?$", before) or re.match(r"\s?\d", after)):
            return raw  # "Jan." alone is more likely the name than January
    if key in ADJECTIVE_ABBREVIATIONS:
        nxt = _clean(next_word(text, end))
        noun = nxt if nxt[:1].isupper() else None
        gender = noun_gender(noun) if noun else None
        spoken = ADJECTIVE_ABBREVIATIONS[key] + ending_after(
            previous_words(text, match.start()), gender, plural=looks_plural(noun)
        )
    else:
        spoken = ABBREVIATIONS[key]
        if key == "geb." and next_word(text, end)[:1].isupper():
            spoken = "geborene"  # "Anna Schmidt, geb. Müller"
    if raw[:1].isupper() and spoken[:1].islower():
        spoken = spoken[:1].upper() + spoken[1:]
    # Keep the period where it also ends the sentence.
    rest = text[end:].lstrip(" ")
    if not rest or rest[0] == "\n":
        return spoken + "."
    if key in SENTENCE_FINAL and after[:1] == " " and after[1:2].isupper():
        return spoken + "."
    return spoken


def _before_number(match: re.Match[str]) -> str:
    key = match.group(1) + "."
    singular, _ = BEFORE_NUMBER[key]
    return singular + " "


def _weekday_abbrev(match: re.Match[str]) -> str:
    return "Freitag" if match.group(1) == "Fr" else "Sonntag"


def abbreviations(text: str) -> str:
    """Dotted abbreviations spelled out, spaced or not ("z. B.", "z.B." → "zum Beispiel")."""
    text = _WEEKDAY_RANGE_RE.sub(
        lambda m: f"{_WEEKDAY_NAMES[m.group(1)]} bis {_WEEKDAY_NAMES[m.group(2)]}", text
    )
    if "." not in text:
        return text
    text = _WEEKDAY_ABBREV_RE.sub(_weekday_abbrev, text)
    text = _TITLE_FR_RE.sub("Frau", text)
    text = _BEFORE_NUMBER_RE.sub(_before_number, text)
    if "str." in text:
        text = _STREET_RE.sub("straße", text)
    text = _FOLLOWING_RE.sub(
        lambda m: m.group(1) + (" folgende" if m.group(2) == "f" else " fortfolgende"), text
    )
    return _ABBREV_RE.sub(_abbreviation, text)


# --- numbers --------------------------------------------------------------------------------


def _num(exclude: str = "", *, amount: bool = False) -> str:
    """A number as written (thousands dots, a decimal comma, or a plain run of digits), not
    preceded by a character of `exclude`; with `amount`, also "12,-" as in prices."""
    first = rf"\d(?<![{exclude}]\d)" if exclude else r"\d"
    decimals = r"(?:,(?:\d+|[-–]))?" if amount else r"(?:,\d+)?"
    return rf"{first}(?:\d{{0,2}}(?:\.\d{{3}})+|\d*){decimals}"


_LONG_DIGITS_RE: Final = re.compile(r"\d{22,}")
# A sign before a number ("−3 Grad", "+5 %"), not a hyphen ("Covid-19") or a range dash.
_SIGN_RE: Final = re.compile(r"[-−+±](?<![\w.,:/)\]%−+±-][-−+±])(?=\d)")
_SIGN_WORDS: Final = {"-": "minus ", "−": "minus ", "+": "plus ", "±": "plus minus "}


def _read_number(written: str) -> tuple[str, bool]:
    """Words for a written number and whether it is exactly the integer 1."""
    integer, _, fraction = written.partition(",")
    if fraction:
        return num.decimal(str(num.parse_int(integer)), fraction), False
    if len(integer) > 1 and integer.startswith("0"):
        return num.digits(integer), False
    value = num.parse_int(integer)
    return num.cardinal(value), value == 1


# Ranges: "2020–2022", "S. 3–5", "10-15 Prozent", "20.–22. Mai" → "… bis …".
_RANGE_RE: Final = re.compile(
    r"((?:" + _num(r"\w.,:/-") + r")\.?)[ ]?[–—-][ ]?((?:" + _num() + r")\.?)(?![\w:/-]|[.,]\d)"
)


def _range(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    if first.startswith("0") and len(first) > 2:
        return match.group(0)  # a telephone number, not a range
    return f"{first} bis {second}"


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
    words = f"{num.ordinal(day, ending_after(prev, 'm', month=True))} {MONTHS[month - 1]}"
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


# Money.
_SCALE_WORDS: Final = r"Tausend|Millionen|Million|Milliarden|Milliarde|Billionen|Billion"
_CURRENCY_AFTER: Final = "|".join(
    re.escape(c) for c in sorted(CURRENCIES, key=len, reverse=True) if c not in {"Fr."}
)
_CURRENCY_BEFORE: Final = r"US\$|\$|€|£|¥|₹|₽|₺|EUR|USD|CHF|GBP|JPY|CNY|sFr\.|Fr\."
_MONEY_AFTER_RE: Final = re.compile(
    r"(" + _num(r"\w.,:/", amount=True) + r")[ ]?(?:(" + _SCALE_WORDS + r")[ ])?"
    r"(" + _CURRENCY_AFTER + r")(?![\w$€£¥])"
)
_MONEY_BEFORE_RE: Final = re.compile(
    r"(" + _CURRENCY_BEFORE + r")[ ]?(" + _num(amount=True) + r")"
    r"(?:[ ](" + _SCALE_WORDS + r"))?(?![\d\w])"
)


def _money_words(amount: str, scale: str | None, currency: str, *, text: str, start: int) -> str:
    name, minor = CURRENCIES[currency]
    amount = amount.rstrip("-–").rstrip(",")
    integer, _, cents = amount.partition(",")
    prefix = ""
    if scale:
        words, is_one = _read_number(amount)
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
    head = one_before(name, previous_words(text, start)) if value == 1 else num.cardinal(value)
    words = f"{prefix}{head} {name}"
    if cent_value:
        words += f" {num.cardinal(cent_value)}"
    return words


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
_PERCENT_ADJ_RE: Final = re.compile(r"(" + _num(r"\w.,") + r")[ ]?(?:%|-prozentig)(ig\w*)?")
_UNIT_KEYS: Final = sorted(UNITS, key=len, reverse=True)
_UNIT_RE: Final = re.compile(
    r"("
    + _num(r"\w.,:/-")
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


def _percent_adj(match: re.Match[str]) -> str:
    if not match.group(2) and "prozentig" not in match.group(0):
        return match.group(0)
    words, _ = _read_number(match.group(1))
    if words.endswith("eins"):
        words = words[:-1]
    return f"{words}prozent{match.group(2) or 'ig'}".replace(" ", "")


def _unit(match: re.Match[str]) -> str:
    written, unit = match.group(1), match.group(2)
    singular, plural = UNITS[unit]
    words, is_one = _read_number(written)
    if is_one:
        return f"{one_before(singular, previous_words(match.string, match.start()))} {singular}"
    return f"{words} {plural}"


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
    clean = _clean(nxt)
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
    if not (0 < numerator < denominator) or (denominator > 10 and denominator not in {100, 1000}):
        return f"{num.cardinal(numerator)} {num.cardinal(denominator)}"
    if (numerator, denominator) == (1, 2):
        return _half(match.string, match.start(), match.end())
    words = num.fraction(numerator, denominator)
    if numerator == 1:
        noun = words.split(" ", 1)[1]
        article = one_before(noun, previous_words(match.string, match.start()))
        words = f"{article} {noun}"
    return words


# Ordinals and Roman numerals.
_ORDINAL_RE: Final = re.compile(r"(\d(?<![\w.,:/-]\d)\d{0,2}(?:\.\d{3})*)\.(?=[ ]\S)")
_ADJECTIVE_ENDINGS: Final = ("e", "en", "er", "es", "em")
_NUMBER_WORD_RE: Final = re.compile(
    r"[a-zäöüß]*(?:eins?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zig|ßig"
    r"|hundert|tausend)"
)
_ORDINAL_TOKEN_RE: Final = re.compile(r"\d+\.|[a-zäöüß]+(?:ste|te)[nrsm]?")


def _noun_after(text: str, end: int) -> str | None:
    """The noun a number belongs to: the next capitalised word, past adjectives ("3. große
    Sieg") and other numbers ("3. und 4. Platz"), but not past other words ("als 5. ins Ziel")."""
    for token in text[end : end + 60].split()[:4]:
        word = _clean(token)
        if word[:1].isupper():
            return word if not word.isupper() else None
        if token[-1:] in ",;:!?" or (
            token.endswith(".") and not _ORDINAL_TOKEN_RE.fullmatch(token)
        ):
            return None
        if not (
            word in {"und", "bis", "oder", "sowie", "–", "-"}
            or word.isdigit()
            or _NUMBER_WORD_RE.fullmatch(word)
            or _ORDINAL_TOKEN_RE.fullmatch(token)
            or word.endswith(_ADJECTIVE_ENDINGS)
        ):
            return None
    return None


def _ordinal(match: re.Match[str]) -> str:
    text = match.string
    nxt = next_word(text, match.end())
    clean_next = _clean(nxt)
    if nxt in SENTENCE_STARTERS or (clean_next in SENTENCE_STARTERS and nxt[:1] in '„"»«('):
        return match.group(0)  # "stieg um 3. Danach …": a sentence ends here
    if not clean_next:
        return match.group(0)
    noun = _noun_after(text, match.end())
    gender: Gender | None = noun_gender(noun) if noun else None
    month = noun in MONTH_SET
    if month:
        gender = "m"
    ending = ending_after(
        previous_words(text, match.start()), gender, plural=looks_plural(noun), month=month
    )
    value = num.parse_int(match.group(1))
    return num.ordinal(value, ending)


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
    over = bool(context) and _clean(context[-1]).lower() == "über"
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
    words = _regnal(name, value, feminine, context)
    rest = text[match.end() :].lstrip(" ")
    ends = not rest or rest[0] == "\n" or next_word(text, match.end()) in SENTENCE_STARTERS
    return f" {words}{'.' if dot and ends else ''}"


def _roman_ordinal(match: re.Match[str]) -> str:
    text = match.string
    prev = previous_words(text, match.start())
    if not prev:
        return match.group(0)
    word = _clean(prev[-1]).lower()
    if word not in PREPOSITIONS and word not in {
        "der", "die", "das", "den", "dem", "des", "am", "im", "zum", "zur", "vom", "beim", "ins"
    }:  # fmt: skip
        return match.group(0)
    value = num.roman(match.group(1))
    if value is None:
        return match.group(0)
    noun = _noun_after(text, match.end())
    gender: Gender | None = noun_gender(noun) if noun else None
    return num.ordinal(value, ending_after(prev, gender, plural=looks_plural(noun)))


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
    cue = (bool(prev) and _clean(prev[-1]) in _VERSION_CUES) or match.group(0)[:1] in "vV"
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
    words, _ = _read_number(written)
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
    "modelljahr saison wahl wm em olympia ostern weihnachten silvester stand zum januar "
    "februar märz april mai juni juli august september oktober november dezember "
    "jänner spätestens frühestens und oder christus chr"
)
_QUANTITY_CUES: Final = word_set(
    "rund etwa knapp über mehr weniger als fast mindestens insgesamt nur exakt genau "
    "circa zirka ca. gut lediglich höchstens maximal"
)


def _is_year(value: int, text: str, start: int, end: int) -> bool:
    if not 1100 <= value <= 1999:
        return False
    prev = previous_words(text, start, 2)
    last = _clean(prev[-1]).lower() if prev else ""
    nxt = next_word(text, end)
    clean_next = _clean(nxt)
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
        noun = _clean(nxt)
        if (
            nxt[:1].isupper()
            and noun.isalpha()
            and not noun.isupper()
            and noun not in SENTENCE_STARTERS
        ):
            return one_before(noun, previous_words(text, match.start()))
        if noun in {"bis", "oder", "und"}:
            after = _noun_after(text, end)
            if after:
                return one_before(after, previous_words(text, match.start()))
    return prefix + num.cardinal(value)


_ROMAN_HINT_RE: Final = re.compile(r"[IVX](?<![\w.][IVX])[IVXLC]*(?![\w])")


def roman_numerals(text: str) -> str:
    """Roman numerals after names ("Karl V." → "Karl der Fünfte") and before nouns."""
    if not _ROMAN_HINT_RE.search(text):
        return text
    text = _ROMAN_NAME_RE.sub(_roman_after_name, text)
    return _ROMAN_ORDINAL_RE.sub(_roman_ordinal, text)


def numbers(text: str) -> str:
    """Every number in its spoken form, most specific patterns first."""
    if not any(c.isdigit() for c in text) and not any(c in text for c in "½⅓⅔¼¾"):
        return text
    # Identifiers, not quantities (and Python refuses int() of more than 4,300 digits).
    text = _LONG_DIGITS_RE.sub(lambda m: f" {num.digits(m.group(0))} ", text)
    text = _SPACE_GROUP_RE.sub(_space_groups, text)
    if not text.isascii():
        text = _VULGAR_RE.sub(_vulgar, text)
    if "-" in text:
        text = _ISO_DATE_RE.sub(_iso_date, text)
    text = _DATE_RE.sub(_date, text)
    text = _DATE_NO_DOT_RE.sub(_date_no_dot, text)
    if "/" in text:
        text = _SEASON_RE.sub(_season, text)
    text = _RANGE_RE.sub(_range, text)
    if "-" in text or "−" in text or "+" in text or "±" in text:
        text = _SIGN_RE.sub(lambda m: _SIGN_WORDS[m.group(0)], text)
    text = _TIME_UHR_RE.sub(_time_uhr, text)
    if ":" in text:
        text = _TIME_CUE_RE.sub(_time_cue, text)
        text = _DURATION_RE.sub(_duration, text)
        text = _CLOCK_DURATION_RE.sub(_clock_duration, text)
        text = _SCORE_RE.sub(_score, text)
    text = _MONEY_BEFORE_RE.sub(_money_before, text)
    text = _MONEY_AFTER_RE.sub(_money_after, text)
    if "%" in text or "prozentig" in text:
        text = _PERCENT_POINT_RE.sub("Prozentpunkt", text)
        text = _PERCENT_ADJ_RE.sub(_percent_adj, text)
    text = _UNIT_RE.sub(_unit, text)
    text = _PER_UNIT_RE.sub(lambda m: f"{m.group(1)} {UNITS[m.group(2)][0]}", text)
    if "/" in text:
        text = _MIXED_RE.sub(_mixed, text)
        text = _FRACTION_RE.sub(_fraction, text)
    text = _ORDINAL_RE.sub(_ordinal, text)
    text = _VERSION_RE.sub(_version, text)
    text = _SUFFIX_RE.sub(_suffix, text)
    text = _DECADE_RE.sub(_decade, text)
    text = _ALNUM_RE.sub(_alnum, text)
    text = _TIMES_RE.sub(lambda m: num.cardinal_compound(int(m.group(1))) + "mal", text)
    text = _DIGIT_LETTER_RE.sub(_digit_letter, text)
    return _CARDINAL_RE.sub(_cardinal, text)


# --- acronyms -------------------------------------------------------------------------------

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


def _acronym(match: re.Match[str]) -> str:
    word, trail = match.group(1), match.group(2) or ""
    plural = ""
    if len(word) > 2 and word.endswith("s") and word[:-1].isupper():
        word, plural = word[:-1], "s"
    upper = word.upper()
    spoken: str | None = None
    if word in _EXPLICIT_SPELLED:
        spoken = _EXPLICIT_SPELLED[word].upper()
    elif upper in WORD_ACRONYMS and (word.isupper() or word in WORD_ACRONYMS.values()):
        spoken = WORD_ACRONYMS[upper]
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


# --- symbols --------------------------------------------------------------------------------

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


# --- final tidy ------------------------------------------------------------------------------

_SPACE_BEFORE_PUNCT_RE: Final = re.compile(r" +([,.;:!?)\]}“»])")
_SPACE_AFTER_OPEN_RE: Final = re.compile(r"([(\[{„]) +")
_DOUBLE_COMMA_RE: Final = re.compile(r",(?:\s*,)+")


def finish(text: str) -> str:
    """Single spaces, none before punctuation; line breaks kept."""
    text = _HSPACE_RE.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)
    text = _SPACE_AFTER_OPEN_RE.sub(r"\1", text)
    text = _DOUBLE_COMMA_RE.sub(",", text)
    if "\n" in text:
        text = _NEWLINES_RE.sub("\n\n", text.replace(" \n", "\n").replace("\n ", "\n"))
    return text.strip()


def gender_forms(text: str) -> str:
    """Gender-inclusive forms as pair forms (see `_gender`)."""
    return expand_gender_forms(text)
