"""What a fetched body is: its media type (declared or sniffed) and its charset.

A page's charset comes from its byte-order mark, then the HTTP header, then `<meta charset>` or
the XML declaration, and only then from charset-normalizer's guess (charset-normalizer's home
module). Local files and stdin are decoded the same way as pages over HTTP.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

import charset_normalizer

# The HTML standard prescans 1,024 bytes for <meta charset>; CMS pages often put it later,
# after long comments or inline scripts, so look a little further.
META_SCAN_BYTES: Final = 8192
# charset-normalizer's accuracy stops improving well before this; it keeps detection ~10 ms.
DETECT_BYTES: Final = 64 * 1024

# WHATWG Encoding: browsers decode these labels as windows-1252, and German pages that declare
# ISO-8859-1 routinely contain its typographic quotes and dashes (0x80-0x9F).
_WINDOWS_1252_ALIASES: Final = frozenset({"latin_1", "iso8859-1", "ascii", "cp1252"})
_META_CHARSET = re.compile(
    rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:+\-]+)", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:+\-]+)", re.IGNORECASE)
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SNIFF: Final = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_HTML_STARTS: Final = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<body",
    b"<!--",
    b"<meta",
    b"<title",
)


def media_type_of(content_type: str) -> str:
    """The lower-case media type of a Content-Type value, without parameters."""
    return content_type.split(";", 1)[0].strip().lower()


def is_accepted(media_type: str, accept: tuple[str, ...]) -> bool:
    """Whether `media_type` starts with one of the accepted prefixes (`image/` takes any image)."""
    return any(media_type.startswith(prefix.lower()) for prefix in accept)


def sniff_media_type(content: bytes) -> str | None:
    """Guess the media type of a body sent without Content-Type, from its first bytes."""
    for magic, media_type in _SNIFF:
        if content.startswith(magic):
            return media_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    head = content[:1024].lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    if head.startswith(_HTML_STARTS) or (head.startswith(b"<?xml") and b"<html" in head):
        return "text/html"
    return None


def normalize_charset(label: str) -> str | None:
    """Python's codec name for a charset label, as browsers read it; None if unknown."""
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if name in _WINDOWS_1252_ALIASES else name


def charset_from_content_type(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, normalised; None if absent or unknown."""
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return normalize_charset(value)
    return None


def charset_from_bom(content: bytes) -> str | None:
    """The encoding a byte-order mark announces."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    return None


def charset_from_markup(content: bytes) -> str | None:
    """The charset declared by <meta charset>, <meta http-equiv> or an XML declaration."""
    head = content[:META_SCAN_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if match is None:
        return None
    name = normalize_charset(match.group(1).decode("ascii"))
    # A declaration readable as ASCII cannot be UTF-16; the HTML standard reads such pages as UTF-8.
    if name is not None and name.startswith("utf-16"):
        return "utf-8"
    return name


def detect_charset(content: bytes) -> str:
    """Guess the charset of undeclared text: UTF-8 when it decodes, else charset-normalizer."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(content, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    sample = content[:DETECT_BYTES]
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        return "cp1252"
    # A short German text fits many single-byte code pages equally well ("Maß daß Grüße"
    # came out as Farsi cp1006, "Straße" as mac-iceland "Straþe"): windows-1252, in which
    # undeclared German text is written, wins every tie.
    western = charset_normalizer.from_bytes(sample, cp_isolation=["cp1252"]).best()
    if western is not None and western.chaos <= best.chaos:
        return "cp1252"
    return normalize_charset(best.encoding) or "cp1252"


def is_text_type(media_type: str) -> bool:
    return (
        media_type.startswith("text/")
        or media_type.endswith(("+xml", "/xml", "/json"))
        or media_type == "application/javascript"
    )
