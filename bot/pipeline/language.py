"""Which language an article is in: py3langid on the text, the page's declaration breaks ties."""

from __future__ import annotations

import logging
import threading
from functools import cache
from typing import Any, Final

import py3langid

logger = logging.getLogger(__name__)

# Languages we expect on German-first news feeds; restricting the model avoids exotic
# misfires on short texts (py3langid's own advice for known domains).
LANGUAGES: Final = ("de", "en", "fr", "es", "it", "nl", "pl", "pt", "da", "sv", "no", "cs", "tr")
# Below this many characters the detector is unreliable; the page's lang attribute wins.
MIN_CHARS_FOR_DETECTION: Final = 200


_model_lock = threading.Lock()


@cache
def _load_model() -> Any:
    langid = py3langid.langid
    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _identifier() -> Any:
    """The model, loaded once on first use: it costs about 130 MB, which a bot that only serves
    file_id reuse never pays. Extraction runs in threads, so the first load is locked."""
    with _model_lock:
        return _load_model()


def detect_language(text: str, declared: str | None = None) -> str:
    """Return a two-letter language code for `text`; German when in doubt."""
    declared_code = (declared or "").strip().lower()[:2] or None
    sample = text[:5000]
    if len(sample) < MIN_CHARS_FOR_DETECTION:
        return declared_code or "de"
    code, probability = _identifier().classify(sample)
    if probability < 0.6:
        return declared_code or "de"
    if declared_code and declared_code != code:
        logger.info("language: page declares %s, text looks like %s", declared_code, code)
    return str(code)
