"""The audio's cover: the article image as a small JPEG, as sendAudio's thumbnail wants it."""

from __future__ import annotations

import asyncio
import logging
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
