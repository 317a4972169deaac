"""Web addresses, e-mail addresses, @handles and #hashtags as they are said."""

from __future__ import annotations

import re
from typing import Final

from bot.pipeline.normalize._tables import (
    SPELLED_ACRONYMS,
    TLDS,
)

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
    spoken = []
    for label in labels:
        upper = label.upper()
        # "www" is always said, and short labels are spelled ("punkt D E", "gv punkt A T"):
        # read as words, "de" and "at" sound like German words, not like the domain.
        if label.isalpha() and (upper in SPELLED_ACRONYMS or len(label) <= 2 or upper == "WWW"):
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
