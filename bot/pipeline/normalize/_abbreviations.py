"""Dotted abbreviations spelled out ("z. B." → "zum Beispiel"), weekday ranges, "ff."."""

from __future__ import annotations

import re
from typing import Final

from bot.pipeline.german import (
    ABBREVIATIONS,
    ADJECTIVE_ABBREVIATIONS,
    BEFORE_NUMBER,
    MONTH_ABBREVIATIONS,
    SENTENCE_FINAL,
    WEEKDAY_SHORT,
)
from bot.pipeline.normalize._grammar import (
    bare,
    ending_after,
    looks_plural,
    next_word,
    noun_gender,
    previous_words,
)

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


def _case_variants(written: str) -> list[str]:
    if written[:1].islower():
        return [written, written[0].upper() + written[1:]]
    if written in MONTH_ABBREVIATIONS:
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
_WEEKDAY_ALT: Final = "|".join(WEEKDAY_SHORT)
_WEEKDAY_RANGE_RE: Final = re.compile(
    rf"({_WEEKDAY_ALT})(?<![\w.]..)\.?[ ]?(?:[–-]|bis)[ ]?({_WEEKDAY_ALT})\.?(?![\w])"
)
_WEEKDAY_ABBREV_RE: Final = re.compile(r"(F(?<![\w.]F)r|S(?<![\w.]S)o)\.(?=,|\s\d{1,2}\.)")
# "am Fr.", "ab So.": after these words "Fr." is Friday, not "Frau" or "Franken".
_WEEKDAY_AFTER_RE: Final = re.compile(r"([Aa]m|[Aa]b|bis|jeden|[Vv]om) (Fr|So)\.(?!\w)")
_FOLLOWING_RE: Final = re.compile(r"(\d)\s?(ff?)\.(?=\s|$|[,;:)])")
_STREET_RE: Final = re.compile(r"str\.(?<=[a-zäöüß]str\.)")
_TITLE_FR_RE: Final = re.compile(r"F(?<![\w.]F)r\.(?=\s[A-ZÄÖÜ][a-zäöü])")
# The genders of a job advertisement, "(m/w/d)", "(w/m/d)", "(m/w/x)", in the written order.
_JOB_GENDERS_RE: Final = re.compile(r"\((?:[mwdx]\s?/\s?){1,3}[mwdx]\)")
_JOB_GENDER_WORDS: Final[dict[str, str]] = {
    "m": "männlich", "w": "weiblich", "d": "divers", "x": "divers",
}  # fmt: skip


def _job_genders(match: re.Match[str]) -> str:
    letters = [c for c in match.group(0) if c in _JOB_GENDER_WORDS]
    return "(" + ", ".join(_JOB_GENDER_WORDS[c] for c in letters) + ")"


def _abbreviation(match: re.Match[str]) -> str:
    raw = match.group(0)
    key = _ABBREV_LOOKUP[re.sub(r"\s", "", raw).lower()]
    text = match.string
    end = match.end()
    after = text[end : end + 2]
    if key in MONTH_ABBREVIATIONS:
        before = text[max(0, match.start() - 4) : match.start()]
        if not (re.search(r"\d\.\s?$", before) or re.match(r"\s?\d", after)):
            return raw  # "Jan." alone is more likely the name than January
    if key in ADJECTIVE_ABBREVIATIONS:
        nxt = bare(next_word(text, end))
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
        lambda m: f"{WEEKDAY_SHORT[m.group(1)]} bis {WEEKDAY_SHORT[m.group(2)]}", text
    )
    if "/" in text:
        text = _JOB_GENDERS_RE.sub(_job_genders, text)
    if "." not in text:
        return text
    text = _WEEKDAY_ABBREV_RE.sub(_weekday_abbrev, text)
    if "Fr." in text or "So." in text:
        text = _WEEKDAY_AFTER_RE.sub(
            lambda m: f"{m.group(1)} {'Freitag' if m.group(2) == 'Fr' else 'Sonntag'}", text
        )
    text = _TITLE_FR_RE.sub("Frau", text)
    text = _BEFORE_NUMBER_RE.sub(_before_number, text)
    if "str." in text:
        text = _STREET_RE.sub("straße", text)
    text = _FOLLOWING_RE.sub(
        lambda m: m.group(1) + (" folgende" if m.group(2) == "f" else " fortfolgende"), text
    )
    return _ABBREV_RE.sub(_abbreviation, text)
