"""The audio's cover: the article image as a small JPEG, as sendAudio's thumbnail wants it."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Final

from bot.errors import AudioError
from bot.pipeline.media import run_ffmpeg

logger = logging.getLogger(__name__)

# Bot API, sendAudio: "JPEG format, less than 200 kB in size; width and height ≤ 320".
THUMB_MAX_SIDE: Final = 320
THUMB_MAX_BYTES: Final = 200 * 1000
# Anything bigger is not a plausible article image; refusing it keeps ffmpeg's memory bounded.
IMAGE_MAX_BYTES: Final = 15 * 1024 * 1024
# A scaled-down still takes ffmpeg well under a second here; this only catches a hang.
FFMPEG_TIMEOUT: Final = 20.0
# mjpeg quality scale (2 best … 31 worst); the second try for images that stay too large.
_QUALITIES: Final = (4, 12)


async def make_thumbnail(image: bytes) -> bytes | None:
    """A JPEG of at most 320×320 and under 200 kB from any image ffmpeg reads, or None."""
    if not image or len(image) > IMAGE_MAX_BYTES:
        return None
    for quality in _QUALITIES:
        data = await _convert(image, quality)
        if data is None:
            return None
        if len(data) < THUMB_MAX_BYTES:
            return data
    return None


async def _convert(image: bytes, quality: int) -> bytes | None:
    scale = (
        f"scale=w='min({THUMB_MAX_SIDE},iw)':h='min({THUMB_MAX_SIDE},ih)'"
        ":force_original_aspect_ratio=decrease:force_divisible_by=2"
    )
    args = ["-loglevel", "error", "-i", "pipe:0", "-frames:v", "1", "-vf", scale,
            "-pix_fmt", "yuvj420p", "-c:v", "mjpeg", "-q:v", str(quality),
            "-f", "image2pipe", "pipe:1"]  # fmt: skip
    try:
        out = await asyncio.wait_for(run_ffmpeg(args, feed=image, what="thumbnail"), FFMPEG_TIMEOUT)
    except TimeoutError:
        logger.warning("thumbnail: ffmpeg timed out")
        return None
    except AudioError as exc:
        logger.info("thumbnail: ffmpeg could not read the image: %s", exc.detail)
        return None
    if not out.startswith(b"\xff\xd8"):  # a JPEG's start-of-image marker
        logger.info("thumbnail: ffmpeg wrote no JPEG")
        return None
    return out


# The generated cover: Hörclub's dark blue with the site's name, as big as a thumbnail may be.
COVER_COLOR: Final = "0x1d3557"
COVER_TEXT_COLOR: Final = "0xf1faee"
# A site name longer than this is cut so that it fits the 320 px square at the font size below.
COVER_NAME_CHARS: Final = 18
COVER_FONT_SIZE: Final = 30


def _drawtext_value(text: str) -> str:
    """Text for ffmpeg's drawtext filter, its special characters escaped."""
    for char in ("\\", ":", "'", "%", ",", "[", "]", ";"):
        text = text.replace(char, "\\" + char)
    return text


async def make_cover(site: str | None) -> bytes | None:
    """A generated Hörclub cover (JPEG, 320×320) naming the site; None if ffmpeg cannot.

    Without text rendering (an ffmpeg without drawtext or fonts) it is the plain square.
    """
    name = (site or "Hörclub").strip()[:COVER_NAME_CHARS] or "Hörclub"
    base = f"color=c={COVER_COLOR}:s={THUMB_MAX_SIDE}x{THUMB_MAX_SIDE}:d=1"
    text = (
        f",drawtext=text='{_drawtext_value('Hörclub')}':fontcolor={COVER_TEXT_COLOR}"
        f":fontsize={COVER_FONT_SIZE + 10}:x=(w-text_w)/2:y=h/2-text_h-12"
        f",drawtext=text='{_drawtext_value(name)}':fontcolor={COVER_TEXT_COLOR}"
        f":fontsize={COVER_FONT_SIZE}:x=(w-text_w)/2:y=h/2+12"
    )
    for graph in (base + text, base):
        args = ["-loglevel", "error", "-f", "lavfi", "-i", graph, "-frames:v", "1",
                "-pix_fmt", "yuvj420p", "-c:v", "mjpeg", "-q:v", "4",
                "-f", "image2pipe", "pipe:1"]  # fmt: skip
        try:
            out = await asyncio.wait_for(run_ffmpeg(args, what="cover"), FFMPEG_TIMEOUT)
        except (TimeoutError, AudioError) as exc:
            logger.info("cover: ffmpeg could not draw it (%s)", exc)
            continue
        if out.startswith(b"\xff\xd8"):
            return out
    return None


async def embed_cover(path: Path, cover: bytes, *, author: str | None = None) -> None:
    """Put the cover (and the author) into an MP3's ID3 tag, in place; the audio is copied."""
    tmp = path.with_name(path.stem + ".tagged" + path.suffix)
    args = ["-loglevel", "error", "-i", str(path), "-f", "mjpeg", "-i", "pipe:0",
            "-map", "0:a", "-map", "1:v", "-c", "copy", "-id3v2_version", "3",
            "-metadata:s:v", "title=Cover", "-metadata:s:v", "comment=Cover (front)",
            "-disposition:v", "attached_pic"]  # fmt: skip
    if author:
        args += ["-metadata", f"artist={author}"]
    args += ["-f", "mp3", str(tmp)]
    try:
        await asyncio.wait_for(run_ffmpeg(args, feed=cover, what="cover tag"), FFMPEG_TIMEOUT)
        await asyncio.to_thread(tmp.replace, path)
    except (TimeoutError, AudioError) as exc:
        logger.warning("cover not embedded in %s: %s", path.name, exc)
        await asyncio.to_thread(tmp.unlink, missing_ok=True)
