"""Clips → one file (or parts): trim engine padding, join with pauses, encode or not, tag.

Two ways in, one way out:
- All clips MP3 with one format (gTTS): the frames are joined in Python (bot.audio.mp3). Each clip's
  ID3/Xing header is dropped, its leading and trailing silent frames are cut, the pauses are
  pre-built silent frames, and one Info/Xing header describes the whole file. For MP3 at
  tempo 1 nothing is decoded or encoded at all; for OGG or another tempo the joined stream
  goes through ONE ffmpeg (decode, atempo, encode).
- Otherwise (espeak's WAV, mixed formats): clips become PCM, are trimmed at sample level, and
  ONE joined PCM stream is piped into ONE ffmpeg encoder: separately encoded Opus pieces each
  begin with the encoder's pre-skip and restart their granule positions, so concatenating them
  leaves audible gaps and a wrong length in the Ogg timeline.

Trimming and the layout of the timeline are bot.pipeline.timeline's; tags bot.pipeline.tags'.
"""

import asyncio
import functools
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from bot.audio.mp3 import GLOBAL_GAIN_STEP_DB, FrameKind, parse_mp3, xing_frame, xing_toc
from bot.errors import AudioError
from bot.limits import TEMPO_RANGE
from bot.models import Clip
from bot.pipeline.media import measure_loudness, run_ffmpeg
from bot.pipeline.sound import chime_mp3, chime_pcm
from bot.pipeline.tags import AudioTags, tag_reserve, write_tags
from bot.pipeline.timeline import (
    Mp3Timeline,
    Part,
    PcmTimeline,
    Unit,
    insert_sounds,
    mp3_timeline,
    mp3_unit,
    part_chapters,
    pcm_units,
    plan_parts,
)

__all__ = ["AssembledAudio", "AudioTags", "assemble"]

logger = logging.getLogger(__name__)

# --- output formats ------------------------------------------------------------------------
# MP3 when we encode (espeak, tempo ≠ 1): mono 24 kHz, MPEG-2 Layer III's highest rate and
# Google's own; speech has little above 10 kHz. At 24 kHz LAME low-passes at ~8.5 kHz for
# 32 kbit/s and ~10.5 kHz for 40 kbit/s (measured on white noise with this ffmpeg), so 40 kbit/s
# keeps German fricatives (s, sch, f, z reach 8–10 kHz): 18 MB per hour, 2.7 h per 50 MB
# upload. An MP3 source (gTTS, 32 kbit/s) is re-encoded at its own bitrate: more buys nothing.
MP3_SAMPLE_RATE: Final = 24000
MP3_BITRATE: Final = 40_000
# OGG/Opus for Telegram voice messages: Opus runs at 48 kHz internally; 24 kbit/s mono in voip
# mode is transparent for speech (10.3 MB per hour); compression level 5 encodes ~130× real
# time against ~77× at the default 10 with no audible difference for speech
# (measured with this project's ffmpeg on espeak and gTTS speech).
OPUS_SAMPLE_RATE: Final = 48000
OPUS_BITRATE: Final = 24_000
OPUS_COMPRESSION_LEVEL: Final = 5
# Opus is VBR and Ogg adds page headers (~1 %): parts are planned at this much over the
# nominal bitrate; a part that still comes out too big is re-planned from the measured rate.
OGG_SIZE_FACTOR: Final = 1.05

# --- the room: loudness and the chime --------------------------------------------------------
# Speech on phones: -16 LUFS integrated (the level Apple and most podcast hosts ask for), true
# peak under -1 dBTP. The sample peak is kept 2.5 dB further down, because the encoder's
# own overshoot adds to the true peak: espeak speech limited at -2 dBFS came out of the
# bundled ffmpeg's LAME at -1.0 dBTP, and limited at -2.5 dBFS out of Debian's ffmpeg 5.1 at
# -0.6 dBTP (tests/pipeline/test_room measures it on both).
LOUDNESS_TARGET_LUFS: Final = -16.0
PEAK_CEILING_DBFS: Final = -3.5
# Opus at 24 kbit/s overshoots more: limited at -2 dBFS, espeak speech came out at 0 dBTP;
# at -3.5 dBFS still at -0.7 dBTP; -4.5 dBFS keeps it under -1 (measured with this project's
# ffmpeg on the sample article; a low-pass before the limiter did not help: it is codec noise).
OPUS_PEAK_CEILING_DBFS: Final = -4.5
# Loudness is measured on this much speech, whole clips spread evenly over the article: one
# engine's voice is steady, and measuring all of a 13-minute gTTS article took 0.9 s (an MP3
# decode) where the synthesis without the room took 12 s (bench_room); measured from this
# sample, bench_room's 16-minute files come out at -16.4 LUFS.
LOUDNESS_SAMPLE_SECONDS: Final = 120.0
# The limiter's cost in loudness is measured on this much speech taken across the article and
# made up, by at most LIMITER_MAKEUP_MAX_DB. Over the ceiling each decibel of gain adds only
# about half a LU to espeak's speech (measured: +4.3 dB → -17.1, +5.4 dB → -16.6 LUFS), so the
# first step assumes that slope and the second takes the secant of the two measurements.
LIMITER_SAMPLE_SECONDS: Final = 30.0
LIMITER_PASSES: Final = 2
LIMITED_SLOPE: Final = 0.5
LIMITER_MAKEUP_MAX_DB: Final = 8.0
# Each heading: the paragraph before it ends, at most this much quiet, the chime, a breath, the
# heading. 700 + 650 (the chime) + 250 ms is 400 ms more than the plain 1.2 s pause before a
# heading: enough to hear a new section begin, too little to wonder whether the audio stopped.
CHIME_BEFORE_MS: Final = 700
CHIME_AFTER_MS: Final = 250


@dataclass(frozen=True)
class AssembledAudio:
    """The written file(s): paths, total and per-part durations (s), chapters, how it was made."""

    paths: tuple[Path, ...]
    duration_seconds: float
    part_durations: tuple[float, ...]
    chapters: tuple[tuple[str, float], ...] = ()
    method: Literal["frames", "frames+encode", "pcm+encode"] = "frames"
    sizes: tuple[int, ...] = field(default_factory=tuple)
    # Each part's own chapters (title, start s from the part's start), as its tags carry them.
    part_chapters: tuple[tuple[tuple[str, float], ...], ...] = ()


def _part_paths(out_path: Path, count: int) -> list[Path]:
    if count == 1:
        return [out_path]
    return [
        out_path.with_name(f"{out_path.stem}-teil{index}{out_path.suffix}")
        for index in range(1, count + 1)
    ]


def _write_mp3(path: Path, pieces: Sequence[bytes | memoryview], sizes: Sequence[int],
               kind: FrameKind) -> int:  # fmt: skip
    """Write an Info/Xing header frame and the frames; return the file size."""
    cbr = len(set(sizes)) <= 2 and len({s // 2 for s in sizes}) <= 1  # padding varies by a byte
    probe = xing_frame(kind, frames=len(sizes), stream_bytes=0, toc=bytes(100), cbr=cbr)
    total = len(probe) + sum(sizes)
    header = xing_frame(
        kind, frames=len(sizes), stream_bytes=total, toc=xing_toc(sizes, len(probe)), cbr=cbr
    )
    with path.open("wb") as handle:
        handle.write(header)
        handle.writelines(pieces)
    return total


# --- encoding ---------------------------------------------------------------------------------
def _encoder_args(fmt: Literal["mp3", "ogg"], mp3_bitrate: int) -> list[str]:
    if fmt == "mp3":
        return ["-ac", "1", "-ar", str(MP3_SAMPLE_RATE), "-c:a", "libmp3lame",
                "-b:a", str(mp3_bitrate), "-f", "mp3", "-id3v2_version", "0",
                "-write_id3v1", "0"]  # fmt: skip
    return ["-ac", "1", "-ar", str(OPUS_SAMPLE_RATE), "-c:a", "libopus",
            "-b:a", str(OPUS_BITRATE), "-vbr", "on", "-application", "voip",
            "-compression_level", str(OPUS_COMPRESSION_LEVEL), "-f", "ogg"]  # fmt: skip


def _encoded_bytes_per_second(fmt: Literal["mp3", "ogg"], mp3_bitrate: int) -> float:
    if fmt == "mp3":
        return mp3_bitrate / 8
    return OPUS_BITRATE / 8 * OGG_SIZE_FACTOR


async def _encode(
    input_args: Sequence[str],
    feed: Sequence[bytes | memoryview],
    target: Path,
    *,
    fmt: Literal["mp3", "ogg"],
    tempo: float,
    mp3_bitrate: int,
    gain: Sequence[str] = (),
) -> None:
    chain = [*gain, *([f"atempo={tempo:g}"] if tempo != 1.0 else [])]
    filters = ["-af", ",".join(chain)] if chain else []
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        await run_ffmpeg(
            ["-loglevel", "error", *input_args, "-i", "pipe:0", "-vn", "-map_metadata", "-1",
             *filters, *_encoder_args(fmt, mp3_bitrate), str(tmp)],
            feed=feed, what=f"encoding {target.name}",
        )  # fmt: skip
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


# --- the stage --------------------------------------------------------------------------------
async def assemble(
    clips: Sequence[Clip],
    out_path: Path,
    *,
    fmt: Literal["mp3", "ogg"],
    tempo: float = 1.0,
    tags: AudioTags | None = None,
    max_part_bytes: int | None = None,
    chime: bool = False,
    loudness: float | None = None,
) -> AssembledAudio:
    """Join the clips into `out_path` (or `<stem>-teilN` parts, each under `max_part_bytes`).

    With `chime` the room's chime sounds before every chapter (and carries its mark); with
    `loudness` (LUFS) the speech is measured once and brought to that level with one gain.
    """
    if fmt not in ("mp3", "ogg"):
        raise AudioError(f"unsupported output format {fmt!r}")
    if not TEMPO_RANGE[0] <= tempo <= TEMPO_RANGE[1]:
        raise AudioError(f"tempo {tempo} outside {TEMPO_RANGE[0]}–{TEMPO_RANGE[1]}")
    if not any(clip.data for clip in clips):
        raise AudioError("no audio to assemble")
    started = time.perf_counter()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    mp3 = await asyncio.to_thread(mp3_timeline, clips)
    if mp3 is not None and mp3.units:
        await _room_mp3(mp3, chime=chime, loudness=loudness)
    if mp3 is not None and fmt == "mp3" and tempo == 1.0:
        result = await asyncio.to_thread(_write_frames, mp3, out_path, tags, max_part_bytes)
    else:
        timeline: Mp3Timeline | PcmTimeline
        method: Literal["frames+encode", "pcm+encode"]
        gain: list[str] = []
        if mp3 is not None:
            timeline, method = mp3, "frames+encode"
            input_args = ["-f", "mp3"]
            bitrate = mp3.kind.bitrate
        else:
            units, rate = await pcm_units(clips, MP3_SAMPLE_RATE)
            timeline, method = PcmTimeline(units, rate), "pcm+encode"
            input_args = ["-f", "s16le", "-ar", str(rate), "-ac", "1"]
            bitrate = MP3_BITRATE
            if units:
                gain = await _room_pcm(timeline, fmt=fmt, chime=chime, loudness=loudness)
        if not timeline.units:
            raise AudioError("the clips hold nothing but silence")
        result = await _write_encoded(
            timeline, method=method, input_args=input_args, out_path=out_path, fmt=fmt,
            tempo=tempo, tags=tags, max_part_bytes=max_part_bytes, mp3_bitrate=bitrate,
            gain=gain,
        )  # fmt: skip
    logger.info(
        "assembled %d clips into %d file(s), %.1f s of audio, via %s in %.2f s",
        len(clips), len(result.paths), result.duration_seconds, result.method,
        time.perf_counter() - started,
    )  # fmt: skip
    return result


async def _room_mp3(timeline: Mp3Timeline, *, chime: bool, loudness: float | None) -> None:
    """Loudness and chime on the frame join: global_gain steps of 1.5 dB, a pre-encoded chime.

    Nothing is re-encoded: the speech is measured once (a decode through ebur128) and every
    speech granule's global_gain moves by the same number of steps, as far as the peak allows.
    """
    if loudness is not None:
        sample: list[bytes | memoryview] = []
        for index in _spread(timeline.units, timeline.rate, LOUDNESS_SAMPLE_SECONDS):
            sample.extend(timeline.part(index, index + 1).feed)  # each carries its reservoir
        measured = await measure_loudness(["-f", "mp3"], sample)
        steps = round((loudness - measured.integrated) / GLOBAL_GAIN_STEP_DB)
        headroom = math.floor((PEAK_CEILING_DBFS - measured.peak) / GLOBAL_GAIN_STEP_DB)
        steps = min(steps, headroom) if math.isfinite(measured.integrated) else 0
        logger.info(
            "speech at %.1f LUFS, peak %.1f dBFS: %+d global_gain steps (%+.1f dB)",
            measured.integrated, measured.peak, steps, steps * GLOBAL_GAIN_STEP_DB,
        )  # fmt: skip
        await asyncio.to_thread(timeline.scale_speech, steps)
    if chime and any(unit.chapter for unit in timeline.units):
        data = await chime_mp3(timeline.rate, timeline.kind.bitrate)
        sound, kind = mp3_unit(Clip(data=data, format="mp3", sample_rate=timeline.rate),
                               parse_mp3(data))  # fmt: skip
        if kind.stream_key != timeline.kind.stream_key:
            raise AudioError("the chime was encoded in another MP3 format than the speech")
        timeline.units = insert_sounds(
            timeline.units, sound, before_ms=CHIME_BEFORE_MS, after_ms=CHIME_AFTER_MS
        )


def _spread(units: Sequence[Unit], rate: int, seconds: float) -> list[int]:
    """Indexes of speech units spread evenly over the article, about `seconds` of them."""
    speech = [i for i, unit in enumerate(units) if not unit.sound and unit.samples]
    total = sum(units[i].samples for i in speech) / rate
    return speech[:: max(1, math.ceil(total / seconds))]


def _speech_sample(units: Sequence[Unit], rate: int, seconds: float) -> list[memoryview]:
    """The PCM of speech units spread evenly over the article, about `seconds` in all."""
    picked = (units[i].pcm for i in _spread(units, rate, seconds))
    return [pcm for pcm in picked if pcm is not None]


def _gain_filters(gain_db: float, rate: int, ceiling_db: float | None) -> list[str]:
    filters = [f"volume={gain_db:.2f}dB"]
    if ceiling_db is not None:
        # At the output rate, so the peaks a resampler makes between samples are limited too;
        # level=0: no automatic make-up gain.
        filters += [f"aresample={rate}", f"alimiter=limit={10 ** (ceiling_db / 20):.4f}:level=0"]
    return filters


async def _room_pcm(
    timeline: PcmTimeline, *, fmt: Literal["mp3", "ogg"], chime: bool, loudness: float | None
) -> list[str]:
    """Loudness and chime on the PCM join: the encoder's filters for one measured gain.

    The speech is measured once. Where the gain would lift its peaks over the ceiling a limiter
    takes them, which costs loudness (espeak's glottal pulses make every voiced stretch peaky);
    that loss is measured on a sample of the speech through the same filters and made up.
    The chime goes in at the inverse gain, so it comes out at its own designed level.
    """
    gain_db = 0.0
    filters: list[str] = []
    if loudness is not None:
        raw = ["-f", "s16le", "-ar", str(timeline.rate), "-ac", "1"]
        speech = _speech_sample(timeline.units, timeline.rate, LOUDNESS_SAMPLE_SECONDS)
        measured = await measure_loudness(raw, speech)
        if math.isfinite(measured.integrated):
            gain_db = loudness - measured.integrated
            out_rate = MP3_SAMPLE_RATE if fmt == "mp3" else OPUS_SAMPLE_RATE
            ceiling = PEAK_CEILING_DBFS if fmt == "mp3" else OPUS_PEAK_CEILING_DBFS
            if measured.peak + gain_db <= ceiling:
                filters = _gain_filters(gain_db, out_rate, None)
            else:
                sample = _speech_sample(timeline.units, timeline.rate, LIMITER_SAMPLE_SECONDS)
                start, slope = gain_db, LIMITED_SLOPE
                tried: tuple[float, float] | None = None
                for _ in range(LIMITER_PASSES):
                    chain = _gain_filters(gain_db, out_rate, ceiling)
                    heard = (await measure_loudness(raw, sample, filters=chain)).integrated
                    logger.debug("limited at %+.2f dB: %.2f LUFS", gain_db, heard)
                    if tried is not None and gain_db != tried[0]:  # a secant step
                        slope = max(0.1, min(1.0, (heard - tried[1]) / (gain_db - tried[0])))
                    tried = (gain_db, heard)
                    gain_db += (loudness - heard) / slope
                    gain_db = min(gain_db, start + LIMITER_MAKEUP_MAX_DB)
                filters = _gain_filters(gain_db, out_rate, ceiling)
        logger.info(
            "speech at %.1f LUFS, peak %.1f dBFS: %s",
            measured.integrated, measured.peak, ",".join(filters) or "as it is",
        )  # fmt: skip
    if chime and any(unit.chapter for unit in timeline.units):
        pcm = await asyncio.to_thread(chime_pcm, timeline.rate, -gain_db)
        sound = Unit(len(pcm) // 2, 0, None, pcm=memoryview(pcm))
        timeline.units = insert_sounds(
            timeline.units, sound, before_ms=CHIME_BEFORE_MS, after_ms=CHIME_AFTER_MS
        )
    return filters


def _chapters_per_part(
    parts: Sequence[Part], tags: AudioTags | None, tempo: float
) -> tuple[list[tuple[str, float]], list[list[tuple[str, float]]]]:
    """All chapters on the joined timeline, and each part's own (from 0), at the given tempo."""
    bounds: list[tuple[float, float]] = []
    derived: list[tuple[str, float]] = []
    offset = 0.0
    for part in parts:
        derived.extend((name, offset + at) for name, at in part.chapters)
        bounds.append((offset, offset + part.seconds))
        offset += part.seconds
    if tags is not None and tags.chapters:
        chapters = sorted((str(name), float(at)) for name, at in tags.chapters)
    else:
        chapters = derived
    fallback = tags.title if tags is not None else ""
    per_part = [
        [(name, at / tempo) for name, at in part_chapters(chapters, start, end, fallback)]
        for start, end in bounds
    ]
    return [(name, at / tempo) for name, at in chapters], per_part


def _check_sizes(paths: Sequence[Path], sizes: Sequence[int], limit: int | None) -> None:
    if limit is None:
        return
    for path, size in zip(paths, sizes, strict=True):
        if size > limit:
            raise AudioError(f"{path.name} is {size} bytes, over the limit of {limit}")


def _write_frames(
    timeline: Mp3Timeline, out_path: Path, tags: AudioTags | None, max_part_bytes: int | None
) -> AssembledAudio:
    """MP3 in, MP3 out at tempo 1: frames only, nothing decoded or encoded."""
    units = timeline.units
    if not units:
        raise AudioError("the clips hold nothing but silence")
    ranges = [(0, len(units))]
    if max_part_bytes is not None:
        header = timeline.kind.frame_bytes() * 4  # an Xing frame is at most a few of these
        ranges = plan_parts(
            [timeline.unit_bytes(i) for i in range(len(units))],
            [0] + [unit.pause_after_ms for unit in units[:-1]],
            [bool(unit.chapter) for unit in units],
            max_part_bytes - tag_reserve(tags, [u.chapter for u in units if u.chapter]) - header,
        )
    parts = [timeline.part(a, b) for a, b in ranges]
    chapters, per_part = _chapters_per_part(parts, tags, 1.0)
    paths = _part_paths(out_path, len(parts))
    sizes: list[int] = []
    for number, (path, part) in enumerate(zip(paths, parts, strict=True), start=1):
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            _write_mp3(tmp, part.feed, part.frame_sizes, timeline.kind)
            write_tags(tmp, "mp3", tags, per_part[number - 1], duration=part.seconds,
                 part=(number, len(parts)))  # fmt: skip
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        sizes.append(path.stat().st_size)
    _check_sizes(paths, sizes, max_part_bytes)
    return AssembledAudio(
        paths=tuple(paths),
        duration_seconds=sum(part.seconds for part in parts),
        part_durations=tuple(part.seconds for part in parts),
        chapters=tuple(chapters),
        part_chapters=tuple(tuple(p) for p in per_part),
        method="frames",
        sizes=tuple(sizes),
    )


async def _write_encoded(
    timeline: Mp3Timeline | PcmTimeline,
    *,
    method: Literal["frames+encode", "pcm+encode"],
    input_args: Sequence[str],
    out_path: Path,
    fmt: Literal["mp3", "ogg"],
    tempo: float,
    tags: AudioTags | None,
    max_part_bytes: int | None,
    mp3_bitrate: int,
    gain: Sequence[str] = (),
) -> AssembledAudio:
    """One ffmpeg per part; parts planned by estimated size, re-planned if one comes out big."""
    units = timeline.units
    budget: float | None = None
    if max_part_bytes is not None:
        reserve = tag_reserve(tags, [u.chapter for u in units if u.chapter])
        budget = (max_part_bytes - reserve) * 0.97
    per_second = _encoded_bytes_per_second(fmt, mp3_bitrate)
    for _attempt in range(4):
        ranges = [(0, len(units))]
        if budget is not None:
            ranges = plan_parts(
                [timeline.unit_seconds(i) / tempo * per_second for i in range(len(units))],
                [0] + [unit.pause_after_ms for unit in units[:-1]],
                [bool(unit.chapter) for unit in units],
                budget,
            )
        parts = [timeline.part(a, b) for a, b in ranges]
        chapters, per_part = _chapters_per_part(parts, tags, tempo)
        paths = _part_paths(out_path, len(parts))
        sizes: list[int] = []
        for number, (path, part) in enumerate(zip(paths, parts, strict=True), start=1):
            await _encode(input_args, part.feed, path, fmt=fmt, tempo=tempo,
                          mp3_bitrate=mp3_bitrate, gain=gain)  # fmt: skip
            await asyncio.to_thread(
                functools.partial(write_tags, path, fmt, tags, per_part[number - 1],
                                  duration=part.seconds / tempo, part=(number, len(parts)))
            )  # fmt: skip
            sizes.append(path.stat().st_size)
        if max_part_bytes is None or budget is None or max(sizes) <= max_part_bytes:
            return AssembledAudio(
                paths=tuple(paths),
                duration_seconds=sum(part.seconds for part in parts) / tempo,
                part_durations=tuple(part.seconds / tempo for part in parts),
                chapters=tuple(chapters),
                part_chapters=tuple(tuple(p) for p in per_part),
                method=method,
                sizes=tuple(sizes),
            )
        logger.info("a part came out at %d bytes, over %d; re-planning", max(sizes), max_part_bytes)
        budget *= max_part_bytes / max(sizes) * 0.97
        for path in paths:
            path.unlink(missing_ok=True)
    raise AudioError(f"could not keep the parts under {max_part_bytes} bytes")
