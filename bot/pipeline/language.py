"""Which language an article is in: the page's declaration first, CLD2 when it is missing or wrong.

The page says what it is (`<html lang>`, `og:locale`, JSON-LD `inLanguage`), and it is right on
nearly every news page. The detector is Chromium's CLD2 (pycld2): compiled tables inside the
extension, nothing unpacked or loaded at start-up (about 1 ms for import and a first call here,
where py3langid took about 0.9 s and unpacked a model of about 65 MB into a temporary file on every
process start). It overrules the declaration only when it is sure and the text is long enough.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Final

import pycld2

from bot.models import spaceless_chars

logger = logging.getLogger(__name__)

# Below this many characters a detector is unreliable; the declaration (or German) wins.
MIN_CHARS_FOR_DETECTION: Final = 200
# CLD2's percentage of the text in its top language needed to overrule the page's declaration.
MIN_PERCENT_TO_OVERRULE: Final = 80
_CODE: Final = re.compile(r"^[a-z]{2,3}")


def language_code(value: str | None) -> str | None:
    """'de-DE', 'de_AT', 'DE' → 'de'; None for nothing usable."""
    match = _CODE.match((value or "").strip().lower())
    return match.group(0)[:2] if match else None


def _printable(text: str) -> str:
    # CLD2 rejects some control characters and unpaired surrogates as invalid UTF-8.
    return "".join(
        ch if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs") else " " for ch in text
    )


def _detect(sample: str) -> tuple[str | None, int]:
    """CLD2's top language and the share of the text it covers, or (None, 0) when unsure."""
    try:
        reliable, _, details = pycld2.detect(_printable(sample))
    except pycld2.error:
        return None, 0
    name, code, percent, _ = details[0]
    if not reliable or code in ("un", "xx") or name == "Unknown":
        return None, 0
    return language_code(code.replace("zh-Hant", "zh")), int(percent)


def detect_language(text: str, declared: str | None = None) -> str:
    """Return a two-letter language code for `text`; the declaration or German when in doubt."""
    declared_code = language_code(declared)
    sample = text[:5000]
    if len(sample.strip()) < MIN_CHARS_FOR_DETECTION and not _has_spaceless_script(sample):
        return declared_code or "de"
    code, percent = _detect(sample)
    if code is None:
        return declared_code or "de"
    if declared_code is None:
        return code
    if code != declared_code and percent >= MIN_PERCENT_TO_OVERRULE:
        logger.info("language: page declares %s, text is %s (%d%%)", declared_code, code, percent)
        return code
    return declared_code


def _has_spaceless_script(text: str) -> bool:
    """True for text in Chinese or Japanese, where 60 characters are already a sentence or two."""
    return spaceless_chars(text[:400]) >= 40
