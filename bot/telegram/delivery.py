"""Sending finished audio: sendAudio (MP3) or sendVoice (OGG/Opus), by upload or by file_id."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from telegram import Audio, Bot, InlineKeyboardMarkup, Message, ReplyParameters, Voice
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.errors import HoerclubError
from bot.jobs.api import AudioFormat
from bot.telegram.api_retry import AnsweredError
from bot.telegram.chapters import Chapters, with_chapters
from bot.telegram.texts import AudioMeta, CaptionNotes, build_caption, shorten, t

logger = logging.getLogger(__name__)

# An upload of 50 MB at a slow 2 Mbit/s uplink takes ~200 s; PTB's default is 20 s.
UPLOAD_WRITE_TIMEOUT: Final = 300.0
# Telegram answers a large upload only after storing it.
UPLOAD_READ_TIMEOUT: Final = 120.0
# The audio's title tag as Telegram shows it in the player.
AUDIO_TITLE_CHARS: Final = 120


class UploadError(HoerclubError):
    """Telegram refused the finished audio (nothing was delivered)."""

    key = "error.upload"


class VoiceForbiddenError(UploadError):
    """The user's privacy settings refuse voice messages."""

    key = "error.voice_forbidden"


def upload_error(exc: Exception) -> UploadError:
    """The user-facing error for a send Telegram refused."""
    # PTB drops "Bad Request: " and capitalises: "Voice_messages_forbidden".
    if "voice_messages_forbidden" in str(exc).lower():
        return VoiceForbiddenError(str(exc))
    return UploadError(f"upload refused: {exc}")


@dataclass(frozen=True)
class Sent:
    """One delivered audio message."""

    message_id: int
    file_id: str
    file_unique_id: str
    duration: int


@dataclass(frozen=True)
class Parcel:
    """One file (or file_id) to send, with what the caption and tags should say."""

    media: Path | str  # a path to upload, or a file_id to send again
    duration: float
    part: int = 1
    parts: int = 1
    chapters: Chapters = ()  # this file's chapters, from its start


def performer_of(meta: AudioMeta) -> str:
    """The "artist" Telegram shows: the site, else the host name, else Hörclub."""
    if meta.site:
        return shorten(meta.site, 60)
    if meta.url:
        host = urlsplit(meta.url).hostname or ""
        return host.removeprefix("www.") or "Hörclub"
    return "Hörclub"


def audio_title(meta: AudioMeta, locale: str, part: int = 1, parts: int = 1) -> str:
    """The title tag, with "Teil 1/2" for split audio."""
    title = shorten(meta.title or t("audio.untitled", locale), AUDIO_TITLE_CHARS)
    if parts > 1:
        title += " – " + t("caption.part", locale, part=part, parts=parts)
    return title


# Characters no file system or player wants in a file name.
_UNSAFE_NAME: Final = re.compile(r'[\x00-\x1f/\\:*?"<>|]+')
# The title part of a file name: enough to recognise it in a download list.
FILE_TITLE_CHARS: Final = 60


def audio_filename(
    meta: AudioMeta, ext: str, part: int = 1, parts: int = 1, locale: str = "de"
) -> str:
    """A file name a listener recognises: "2021-02-15 Elon Musk auf Twitter (1 von 2).mp3"."""
    title = _UNSAFE_NAME.sub(" ", meta.title or "Hörclub")
    title = shorten(title, FILE_TITLE_CHARS).strip(" .") or "Hörclub"
    name = f"{meta.date[:10]} {title}" if meta.date else title
    if parts > 1:
        name += " " + t("file.part", locale, part=part, parts=parts)
    return f"{name}.{ext}"


def refused(exc: Exception) -> bool:
    """Whether Telegram certainly did not accept a send (so it may safely be retried later)."""
    if isinstance(exc, (BadRequest, Forbidden)):
        return True
    if isinstance(exc, TimedOut):
        return False
    return isinstance(exc, NetworkError) and "too large" in str(exc).lower()


def answered(exc: Exception) -> bool:
    """Whether Telegram answered "not now" (a server error, a rate limit) and sent nothing.

    Such a send may be made again later; a lost connection (or a timeout) may not, since the
    upload may have reached the chat.
    """
    return isinstance(exc, (AnsweredError, RetryAfter))


async def send_parcel(
    bot: Bot,
    chat_id: int,
    parcel: Parcel,
    *,
    fmt: AudioFormat,
    meta: AudioMeta,
    locale: str,
    thumbnail: bytes | None = None,
    notes: CaptionNotes | None = None,
    reply_to: int | None = None,
    buttons: InlineKeyboardMarkup | None = None,
) -> Sent:
    """Send one audio message (upload or file_id) with its caption, tags and buttons."""
    caption = build_caption(
        meta, parcel.duration, locale, part=parcel.part, parts=parcel.parts, notes=notes
    )
    caption = with_chapters(caption, parcel.chapters, locale)
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    media: Path | str = parcel.media
    upload = isinstance(media, Path)
    message: Message
    attachment: Audio | Voice | None
    if fmt == "voice":
        message = await bot.send_voice(
            chat_id,
            media,
            duration=max(1, round(parcel.duration)),
            caption=caption,
            parse_mode=ParseMode.HTML,
            reply_parameters=reply,
            reply_markup=buttons,
            filename=(
                audio_filename(meta, media.suffix.lstrip("."), parcel.part, parcel.parts, locale)
                if isinstance(media, Path)
                else None
            ),
            write_timeout=UPLOAD_WRITE_TIMEOUT,
            read_timeout=UPLOAD_READ_TIMEOUT,
        )
        attachment = message.voice
    else:
        message = await bot.send_audio(
            chat_id,
            media,
            duration=max(1, round(parcel.duration)),
            performer=performer_of(meta),
            title=audio_title(meta, locale, parcel.part, parcel.parts),
            caption=caption,
            parse_mode=ParseMode.HTML,
            thumbnail=thumbnail if upload else None,
            reply_parameters=reply,
            reply_markup=buttons,
            filename=(
                audio_filename(meta, media.suffix.lstrip("."), parcel.part, parcel.parts, locale)
                if isinstance(media, Path)
                else None
            ),
            write_timeout=UPLOAD_WRITE_TIMEOUT,
            read_timeout=UPLOAD_READ_TIMEOUT,
        )
        attachment = message.audio
    if attachment is None:
        raise UploadError("Telegram answered without the audio attachment")
    return Sent(
        message.message_id,
        attachment.file_id,
        attachment.file_unique_id,
        max(1, round(parcel.duration)),
    )


def parcels_for(
    paths: Sequence[Path],
    durations: Sequence[float],
    total: float,
    chapters: Sequence[Chapters] = (),
) -> list[Parcel]:
    """One parcel per rendered part, numbered "Teil i/n" when there are several, each with
    its own chapters."""
    count = len(paths)
    if len(durations) != count:
        durations = [total / max(count, 1)] * count
    if len(chapters) != count:
        chapters = [()] * count
    return [
        Parcel(path, duration, index + 1, count, chapters[index])
        for index, (path, duration) in enumerate(zip(paths, durations, strict=True))
    ]
