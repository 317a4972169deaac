"""The room's sounds, generated rather than shipped: a soft chime before each section.

pydub (the library's home module) generates and shapes the short sound: its sine generators,
fades and gain. Only these few hundred milliseconds go through pydub; long audio stays on the
frame-level and PCM joins of bot.pipeline.timeline. For the MP3 frame join the chime is encoded
once per sample rate and bitrate with ffmpeg and kept for the life of the process.
"""

from __future__ import annotations

import logging
import warnings
from functools import cache
from typing import Final

from bot.pipeline.media import run_ffmpeg

with warnings.catch_warnings():
    # pydub looks for an ffmpeg on PATH when imported and warns if there is none; it never runs
    # one here (bot.pipeline.media finds ours).
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment
    from pydub.generators import Sine

logger = logging.getLogger(__name__)

# A soft bell: A5 with its octave a quarter as loud, a 12 ms onset (no click) and a long fade
# of the kind a struck bell has; 650 ms in all, short enough not to hold the listener up.
CHIME_HZ: Final = 880.0
CHIME_OVERTONE_HZ: Final = 1760.0
CHIME_OVERTONE_DB: Final = -12.0
CHIME_MS: Final = 650
CHIME_FADE_IN_MS: Final = 12
CHIME_FADE_OUT_MS: Final = 560
# Peak level of the generated chime. Measured with ffmpeg ebur128: at -9.3 dBFS peak this chime
# reads -16.0 LUFS integrated at 22,050 and 24,000 Hz, the room's loudness target, so the chime
# sits at the level of the voices (bench_room and tests/pipeline/test_room measure the mix).
CHIME_PEAK_DBFS: Final = -9.3

_mp3_cache: dict[tuple[int, int], bytes] = {}


@cache
def chime_segment(sample_rate: int) -> AudioSegment:
    """The chime as a mono 16-bit pydub segment at `sample_rate` (generated once per rate)."""
    tone = Sine(CHIME_HZ, sample_rate=sample_rate, bit_depth=16).to_audio_segment(CHIME_MS)
    overtone = Sine(CHIME_OVERTONE_HZ, sample_rate=sample_rate, bit_depth=16).to_audio_segment(
        CHIME_MS, volume=CHIME_OVERTONE_DB
    )
    bell = tone.overlay(overtone).fade_in(CHIME_FADE_IN_MS).fade_out(CHIME_FADE_OUT_MS)
    return bell.apply_gain(CHIME_PEAK_DBFS - bell.max_dBFS).set_channels(1)


def chime_pcm(sample_rate: int, gain_db: float = 0.0) -> bytes:
    """The chime as mono s16le PCM, `gain_db` louder (negative: quieter)."""
    segment = chime_segment(sample_rate)
    if gain_db:
        segment = segment.apply_gain(gain_db)
    return bytes(segment.raw_data)


async def chime_mp3(sample_rate: int, bitrate: int) -> bytes:
    """The chime as a mono CBR MP3 clip joinable with frames of this rate (encoded once)."""
    key = (sample_rate, bitrate)
    if key not in _mp3_cache:  # two renders racing here both encode; the result is the same
        _mp3_cache[key] = await run_ffmpeg(
            ["-loglevel", "error", "-f", "s16le", "-ar", str(sample_rate), "-ac", "1",
             "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", str(bitrate), "-ar",
             str(sample_rate), "-ac", "1", "-f", "mp3", "-id3v2_version", "0",
             "-write_id3v1", "0", "pipe:1"],
            feed=chime_pcm(sample_rate), what="encoding the chime",
        )  # fmt: skip
        logger.debug("chime encoded at %d Hz, %d bit/s", sample_rate, bitrate)
    return _mp3_cache[key]
