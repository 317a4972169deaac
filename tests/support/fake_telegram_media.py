"""What the fake Bot API reads from uploaded bytes: format, duration, tags, image size; file ids."""

from __future__ import annotations

import base64
import io
import logging
import secrets
import struct
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# Prefixes of real file_ids by kind (first bytes of the base64 payload Telegram issues).
_FILE_ID_PREFIX = {
    "audio": "CQACAgIAAxkDAAI",
    "voice": "AwACAgIAAxkDAAI",
    "document": "BQACAgIAAxkDAAI",
    "photo": "AgACAgIAAxkDAAI",
    "thumbnail": "AAMCAgADGQMAAg",
}


def new_file_id(kind: str) -> str:
    """A fresh opaque file_id that looks like Telegram's (about 70 URL-safe characters)."""
    payload = base64.urlsafe_b64encode(secrets.token_bytes(40)).decode().rstrip("=")
    return _FILE_ID_PREFIX.get(kind, "BQACAgIAAxkDAAI") + payload


def new_file_unique_id() -> str:
    """A fresh file_unique_id (short, stable for one stored file)."""
    return "AgAD" + base64.urlsafe_b64encode(secrets.token_bytes(9)).decode()


def sniff_format(data: bytes) -> str | None:
    """Container of an uploaded file: "mp3", "m4a", "ogg-opus", "ogg", "jpeg", "png", "gif"."""
    head = data[:64]
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head.startswith(b"OggS"):
        return "ogg-opus" if b"OpusHead" in data[:512] else "ogg"
    if head.startswith(b"\xff\xd8"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    return None


MIME_BY_FORMAT = {
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg-opus": "audio/ogg",
    "ogg": "audio/ogg",
    "wav": "audio/x-wav",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
}


@dataclass(frozen=True)
class AudioInfo:
    """Duration and tags read from an audio file, as Telegram's servers read them."""

    duration: int | None
    title: str | None
    performer: str | None


def audio_info(data: bytes) -> AudioInfo:
    """Duration (whole seconds) and ID3/Vorbis title and artist, where the file has them."""
    try:
        import mutagen
    except ImportError:  # pragma: no cover - mutagen is a project dependency
        return AudioInfo(None, None, None)
    try:
        parsed = mutagen.File(io.BytesIO(data))
    except Exception:  # mutagen raises many kinds for garbage input
        logger.debug("mutagen could not read an upload", exc_info=True)
        return AudioInfo(None, None, None)
    if parsed is None:
        return AudioInfo(None, None, None)
    length = getattr(parsed.info, "length", None)
    duration = round(length) if isinstance(length, int | float) else None
    tags = parsed.tags

    def tag(*names: str) -> str | None:
        if tags is None:
            return None
        for name in names:
            try:
                value = tags.get(name)
            except (KeyError, ValueError):
                continue
            if value:
                text = getattr(value, "text", value)
                if isinstance(text, list):
                    return str(text[0]) if text else None
                return str(text)
        return None

    return AudioInfo(duration, tag("TIT2", "title", "\xa9nam"), tag("TPE1", "artist", "\xa9ART"))


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a JPEG, PNG or GIF, or None when the bytes are none of these."""
    kind = sniff_format(data)
    if kind == "png" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if kind == "gif" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if kind != "jpeg":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        (segment_length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + segment_length
    return None
