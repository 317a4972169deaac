"""Whitespace and invisible characters: before the passes (`tidy`) and after them (`finish`)."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_INVISIBLE_RE: Final = re.compile(r"[\u00ad\u200b\u200c\u2060\ufeff]")
_HSPACE_RE: Final = re.compile(r"[^\S\n]+")
_NEWLINES_RE: Final = re.compile(r"\n\n\n+")
_THIN_GROUP_RE: Final = re.compile(r"(?<=\d)[\u00a0\u202f\u2009\u2007'’](?=\d{3}(?!\d))")


def tidy(text: str) -> str:
    """NFC, no invisible characters, single spaces, at most one blank line in a row."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = _THIN_GROUP_RE.sub("", text)
    text = _HSPACE_RE.sub(" ", text)
    if "\n" in text:
        text = _NEWLINES_RE.sub("\n\n", text.replace(" \n", "\n").replace("\n ", "\n"))
    return text.strip(" ")


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
