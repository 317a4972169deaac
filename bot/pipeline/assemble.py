"""Clips → one file (or parts): trim engine padding, join with pauses, encode or not, tag.

Two ways in, one way out:
- All clips MP3 with one format (gTTS): the frames are joined in Python. Each clip's
  ID3/Xing header is dropped, its leading and trailing silent frames are cut, the pauses are
  pre-built silent frames, and one Info/Xing header describes the whole file. For MP3 at
  tempo 1 nothing is decoded or encoded at all; for OGG or another tempo the joined stream
  goes through ONE ffmpeg (decode, atempo, encode).
- Otherwise (espeak's WAV, mixed formats): clips become PCM, are trimmed at sample level, and
  ONE joined PCM stream is piped into ONE ffmpeg encoder (concatenating separately encoded
  pieces leaves gaps in an Ogg timeline, see NOTES.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import math
import os
import struct
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from bot.errors import AudioError
from bot.limits import TEMPO_RANGE
from bot.models import Clip
from bot.pipeline.media import (
    Frame,
    FrameKind,
    decode_to_pcm,
    frame_is_silent,
    main_data_begin,
    parse_mp3,
    reservoir_capacity,
    run_ffmpeg,
    silent_frame,
    xing_frame,
    xing_toc,
)

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
# time against ~77× at the default 10 with no audible difference for speech (NOTES.md).
OPUS_SAMPLE_RATE: Final = 48000
OPUS_BITRATE: Final = 24_000
OPUS_COMPRESSION_LEVEL: Final = 5
# Opus is VBR and Ogg adds page headers (~1 %): parts are planned at this much over the
# nominal bitrate; a part that still comes out too big is re-planned from the measured rate.
OGG_SIZE_FACTOR: Final = 1.05
# Room kept free in each part for its tags when splitting: a bound on ID3v2.3 sizes (UTF-16
# text: 2 bytes a character plus frame headers), generous so the plan holds without a retry.
TAG_BASE_BYTES: Final = 512
TAG_BYTES_PER_CHAR: Final = 4
TAG_BYTES_PER_CHAPTER: Final = 128

# --- trimming ------------------------------------------------------------------------------
# PCM below -46 dBFS counts as silence: engine padding is digital zero or dither, while the
# quietest German consonants (f, h) stay above about -40 dBFS in espeak and gTTS output.
SILENCE_THRESHOLD: Final = 164
# Analysis blocks for PCM trimming, and the quiet kept on each side so onsets and decays
# (a plosive's burst, a final "s") are never clipped.
TRIM_BLOCK_MS: Final = 5
EDGE_MARGIN_MS: Final = 15


@dataclass(frozen=True)
class AudioTags:
    """What goes into the file's tags; `chapters` (title, start s) overrides the clips' own."""

    title: str
    artist: str | None = None
    album: str = "Hörclub"
    date: str | dt.date | None = None
    url: str | None = None
    chapters: Sequence[tuple[str, float]] = ()


@dataclass(frozen=True)
class AssembledAudio:
    """The written file(s): paths, total and per-part durations (s), chapters, how it was made."""

    paths: tuple[Path, ...]
    duration_seconds: float
    part_durations: tuple[float, ...]
    chapters: tuple[tuple[str, float], ...] = ()
    method: Literal["frames", "frames+encode", "pcm+encode"] = "frames"
    sizes: tuple[int, ...] = field(default_factory=tuple)


# --- planning: units, gaps and parts -------------------------------------------------------
@dataclass
class _Unit:
    """One clip after trimming: its audio, the pause after it and the chapter it starts."""

    samples: int  # speech samples (at the timeline's rate)
    pause_after_ms: int
    chapter: str | None
    # MP3 frames path
    pieces: list[memoryview] = field(default_factory=list)
    frame_sizes: list[int] = field(default_factory=list)
    reservoir: bytes = b""
    # PCM path
    pcm: memoryview | None = None


def _compact(units: list[_Unit]) -> list[_Unit]:
    """Drop units without audio; their chapter moves on, their pause joins the previous one."""
    out: list[_Unit] = []
    carried: str | None = None
    for unit in units:
        if unit.samples == 0:
            carried = carried or unit.chapter
            if out:
                out[-1].pause_after_ms = max(out[-1].pause_after_ms, unit.pause_after_ms)
            continue
        if carried and not unit.chapter:
            unit.chapter = carried
        carried = None
        out.append(unit)
    return out


def _plan_parts(costs: Sequence[float], gaps_ms: Sequence[int], chapters: Sequence[bool],
                budget: float) -> list[tuple[int, int]]:  # fmt: skip
    """Ranges of units, each costing at most `budget`, cut at pauses, parts of similar size.

    A cut near the even share (total / parts) is preferred, and among those the longest
    pause, a chapter start most of all.
    """
    n = len(costs)
    total = sum(costs)
    if total <= budget:
        return [(0, n)]
    target = total / math.ceil(total / budget)
    parts: list[tuple[int, int]] = []
    start = 0
    while start < n:
        if sum(costs[start:]) <= budget:
            parts.append((start, n))
            break
        best, best_score, running = -1, -math.inf, 0.0
        for stop in range(start + 1, n):
            running += costs[stop - 1]
            if running > budget:
                break
            score = -10.0 * abs(running - target) / target + gaps_ms[stop] / 1000.0
            if chapters[stop]:
                score += 0.5
            if score > best_score:
                best, best_score = stop, score
        if best < 0:
            raise AudioError(
                f"one clip alone exceeds the part size limit ({int(budget)} bytes)",
                limit=int(budget),
            )
        parts.append((start, best))
        start = best
    return parts


def _part_chapters(
    chapters: Sequence[tuple[str, float]], start: float, end: float, fallback: str
) -> list[tuple[str, float]]:
    """The chapters inside [start, end), relative to start, beginning at 0 when there are any."""
    inside = [(title, t - start) for title, t in chapters if start <= t < end]
    running = [title for title, t in chapters if t < start]
    if not chapters:
        return []
    if not inside or inside[0][1] > 0.5:
        inside.insert(0, (running[-1] if running else fallback, 0.0))
    else:
        inside[0] = (inside[0][0], 0.0)
    return inside


def _tag_reserve(tags: AudioTags | None, chapter_names: Sequence[str]) -> int:
    """An upper bound on the tag bytes one part can carry."""
    if tags is None:
        return 0
    texts = [
        tags.title, "(Teil 99/99)", tags.artist, tags.album, str(tags.date or ""), tags.url,
        tags.url, "99/99", tags.title, *(name for name, _ in tags.chapters),
    ]  # fmt: skip
    chars = sum(len(text or "") for text in texts) + sum(len(name) for name in chapter_names)
    chapters = len(chapter_names) + len(tags.chapters) + 1
    return TAG_BASE_BYTES + TAG_BYTES_PER_CHAR * chars + TAG_BYTES_PER_CHAPTER * chapters


def _part_paths(out_path: Path, count: int) -> list[Path]:
    if count == 1:
        return [out_path]
    return [
        out_path.with_name(f"{out_path.stem}-teil{index}{out_path.suffix}")
        for index in range(1, count + 1)
    ]


# --- MP3 frames ----------------------------------------------------------------------------
def _mp3_unit(clip: Clip, frames: list[Frame]) -> tuple[_Unit, FrameKind]:
    """Trim a clip's silent frames at both ends and note the bit reservoir its start needs."""
    data = clip.data
    kind = frames[0].kind
    count = len(frames)
    first = next((i for i in range(count) if not frame_is_silent(data, frames[i])), None)
    if first is None:
        return _Unit(0, clip.pause_after_ms, clip.chapter), kind
    last = next(i for i in reversed(range(count)) if not frame_is_silent(data, frames[i]))
    # Keep one silent frame after the last loud one: it decodes the loud frame's overlap tail.
    stop = min(last + 2, len(frames))
    kept = frames[first:stop]
    # The first kept frame may take main data from the frames before it (the bit reservoir).
    need = main_data_begin(data, frames[first])
    reservoir = bytearray()
    index = first - 1
    while len(reservoir) < need and index >= 0:
        frame = frames[index]
        reservoir[:0] = data[frame.payload_offset : frame.offset + frame.size]
        index -= 1
    reservoir_bytes = bytes(reservoir[-need:]) if need else b""
    if len(reservoir_bytes) < need:
        reservoir_bytes = bytes(need - len(reservoir_bytes)) + reservoir_bytes
    view = memoryview(data)
    pieces: list[memoryview] = []
    run_start = kept[0].offset
    run_end = run_start
    for frame in kept:
        if frame.offset != run_end:  # a skipped header or tag between frames
            pieces.append(view[run_start:run_end])
            run_start = frame.offset
        run_end = frame.offset + frame.size
    pieces.append(view[run_start:run_end])
    unit = _Unit(
        samples=len(kept) * kind.samples_per_frame,
        pause_after_ms=clip.pause_after_ms,
        chapter=clip.chapter,
        pieces=pieces,
        frame_sizes=[frame.size for frame in kept],
        reservoir=reservoir_bytes,
    )
    return unit, kind


@dataclass
class _Part:
    """One output file's worth of the timeline, before encoding (times at tempo 1)."""

    feed: list[bytes | memoryview]
    seconds: float
    chapters: list[tuple[str, float]]
    frame_sizes: list[int] = field(default_factory=list)  # MP3 frames path only


@dataclass
class _Mp3Timeline:
    """Trimmed MP3 clips and how to lay them out as frames with silent frames between."""

    units: list[_Unit]
    kind: FrameKind  # of the silent frames: the clips' most common bitrate
    rate: int

    @property
    def seconds_per_frame(self) -> float:
        return self.kind.samples_per_frame / self.rate

    def _prefix(self, index: int, at_part_start: bool) -> int:
        """Silent frames before a unit: the pause, and at least enough to carry its reservoir."""
        unit = self.units[index]
        gap = 0
        if not at_part_start:
            pause = self.units[index - 1].pause_after_ms
            gap = round(pause / 1000 / self.seconds_per_frame)
        return max(gap, math.ceil(len(unit.reservoir) / reservoir_capacity(self.kind)))

    def unit_bytes(self, index: int) -> int:
        """Bytes the unit adds to a part when it does not start it."""
        frames = self._prefix(index, at_part_start=index == 0)
        return frames * self.kind.frame_bytes() + sum(self.units[index].frame_sizes)

    def unit_seconds(self, index: int) -> float:
        """Seconds the unit adds to a part when it does not start it."""
        frames = self._prefix(index, at_part_start=index == 0)
        return (frames + len(self.units[index].frame_sizes)) * self.seconds_per_frame

    def part(self, start: int, stop: int) -> _Part:
        """The frames of units [start, stop): silent prefixes carrying reservoirs, then audio."""
        pieces: list[bytes | memoryview] = []
        sizes: list[int] = []
        chapters: list[tuple[str, float]] = []
        silent = silent_frame(self.kind)
        capacity = reservoir_capacity(self.kind)
        for index in range(start, stop):
            unit = self.units[index]
            prefix = [silent] * self._prefix(index, at_part_start=index == start)
            # The reservoir fills the END of the last silent frames' main-data areas; each of
            # them points back at what the ones before it carry, so the decoder keeps it all.
            reservoir = unit.reservoir
            carriers = math.ceil(len(reservoir) / capacity)
            head = len(reservoir) - (carriers - 1) * capacity
            for k in range(carriers):
                begin = 0 if k == 0 else head + (k - 1) * capacity
                chunk = reservoir[begin : head + k * capacity]
                prefix[len(prefix) - carriers + k] = silent_frame(self.kind, chunk, begin)
            if prefix:
                pieces.append(b"".join(prefix))
                sizes.extend(len(frame) for frame in prefix)
            if unit.chapter:
                chapters.append((unit.chapter, len(sizes) * self.seconds_per_frame))
            pieces.extend(unit.pieces)
            sizes.extend(unit.frame_sizes)
        return _Part(pieces, len(sizes) * self.seconds_per_frame, chapters, sizes)


@dataclass
class _PcmTimeline:
    """Trimmed mono PCM clips at one rate, with silence for the pauses."""

    units: list[_Unit]
    rate: int

    def unit_seconds(self, index: int) -> float:
        """Seconds the unit adds to a part when it does not start it."""
        gap = self.units[index - 1].pause_after_ms / 1000 if index else 0.0
        return self.units[index].samples / self.rate + gap

    def part(self, start: int, stop: int) -> _Part:
        """The PCM of units [start, stop) with zeros for the pauses between them."""
        zeros = memoryview(bytes(self.rate * 2))  # one second, sliced (not copied) per pause
        feed: list[bytes | memoryview] = []
        chapters: list[tuple[str, float]] = []
        samples = 0
        for index in range(start, stop):
            unit = self.units[index]
            if index > start:
                gap = round(self.units[index - 1].pause_after_ms * self.rate / 1000)
                samples += gap
                remaining = gap * 2
                while remaining > 0:
                    feed.append(zeros[: min(remaining, len(zeros))])
                    remaining -= len(zeros)
            if unit.chapter:
                chapters.append((unit.chapter, samples / self.rate))
            if unit.pcm is not None:
                feed.append(unit.pcm)
            samples += unit.samples
        return _Part(feed, samples / self.rate, chapters)


def _mp3_timeline(clips: Sequence[Clip]) -> _Mp3Timeline | None:
    """The clips as joinable MP3 frames, or None when they must be decoded instead."""
    units: list[_Unit] = []
    kinds: list[FrameKind] = []
    bitrates: Counter[int] = Counter()
    for clip in clips:
        if not clip.data:
            units.append(_Unit(0, clip.pause_after_ms, clip.chapter))
            continue
        if clip.format != "mp3":
            return None
        try:
            frames = parse_mp3(clip.data)
        except AudioError as exc:
            logger.info("MP3 clip not joinable frame by frame (%s); decoding instead", exc)
            return None
        unit, kind = _mp3_unit(clip, frames)
        if kinds and kind.stream_key != kinds[0].stream_key:
            logger.info("MP3 clips differ in rate or channels; decoding instead")
            return None
        kinds.append(kind)
        bitrates.update(frame.kind.bitrate_index for frame in frames[:50])
        units.append(unit)
    if not kinds:
        raise AudioError("no audio to assemble")
    kind = kinds[0].with_bitrate_index(bitrates.most_common(1)[0][0])
    return _Mp3Timeline(_compact(units), kind, kind.sample_rate)


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


# --- PCM ------------------------------------------------------------------------------------
def _wav_pcm(data: bytes) -> tuple[memoryview, int] | None:
    """(mono s16le PCM, rate) from a WAV clip, or None when it needs ffmpeg (stereo, float…)."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", data, pos + 8)
        elif chunk == b"data":
            if fmt is None:
                return None
            tag, channels, rate, _, _, bits = fmt
            if tag != 1 or channels != 1 or bits != 16:
                return None
            end = min(len(data), pos + 8 + size)
            end -= (end - pos - 8) % 2
            return memoryview(data)[pos + 8 : end], rate
        pos += 8 + size + (size & 1)
    return None


def _trim_pcm(pcm: memoryview, rate: int) -> memoryview:
    """Cut leading and trailing silence, keeping a small margin on each side."""
    samples = pcm.cast("h") if sys.byteorder == "little" else None
    if samples is None:  # pragma: no cover - big-endian hosts
        return pcm
    block = max(1, rate * TRIM_BLOCK_MS // 1000)
    count = len(samples)
    first = 0
    while first < count:
        window = samples[first : first + block]
        if max(window) > SILENCE_THRESHOLD or min(window) < -SILENCE_THRESHOLD:
            break
        first += block
    if first >= count:
        return pcm[:0]
    last = count
    while last > first:
        window = samples[max(first, last - block) : last]
        if max(window) > SILENCE_THRESHOLD or min(window) < -SILENCE_THRESHOLD:
            break
        last -= block
    margin = rate * EDGE_MARGIN_MS // 1000
    begin = max(0, first - margin)
    end = min(count, last + margin)
    return pcm[begin * 2 : end * 2]


async def _pcm_units(clips: Sequence[Clip]) -> tuple[list[_Unit], int]:
    """Every clip as trimmed mono PCM at one rate (decoding with ffmpeg where needed)."""
    parsed = [_wav_pcm(clip.data) if clip.format == "wav" and clip.data else None for clip in clips]
    rates = Counter(p[1] for p in parsed if p is not None)
    rate = rates.most_common(1)[0][0] if rates else MP3_SAMPLE_RATE
    slots = asyncio.Semaphore(os.cpu_count() or 1)

    async def decode(clip: Clip) -> memoryview:
        async with slots:
            return memoryview(await decode_to_pcm(clip.data, sample_rate=rate))

    async def pcm_of(clip: Clip, wav: tuple[memoryview, int] | None) -> memoryview | None:
        if not clip.data:
            return None
        if wav is not None and wav[1] == rate:
            return wav[0]
        return await decode(clip)

    pcms = await asyncio.gather(*(pcm_of(c, p) for c, p in zip(clips, parsed, strict=True)))
    trimmed = await asyncio.to_thread(
        lambda: [_trim_pcm(p, rate) if p is not None else None for p in pcms]
    )
    units = [
        _Unit(len(p) // 2 if p is not None else 0, clip.pause_after_ms, clip.chapter, pcm=p)
        for clip, p in zip(clips, trimmed, strict=True)
    ]
    return _compact(units), rate


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
) -> None:
    filters = ["-af", f"atempo={tempo:g}"] if tempo != 1.0 else []
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


# --- tags -------------------------------------------------------------------------------------
def _tag_mp3(
    path: Path,
    tags: AudioTags,
    chapters: Sequence[tuple[str, float]],
    *,
    duration: float,
    part: tuple[int, int],
) -> None:
    """ID3v2.3 (the version most players read): text frames, source URL, CHAP/CTOC chapters."""
    import mutagen.id3  # noqa: PLC0415 — mutagen is only needed when tagging

    id3: Any = mutagen.id3  # its frame classes carry no type information
    index, count = part
    title = tags.title if count == 1 else f"{tags.title} (Teil {index}/{count})"
    frames = [id3.TIT2(encoding=3, text=[title]), id3.TALB(encoding=3, text=[tags.album])]
    if tags.artist:
        frames.append(id3.TPE1(encoding=3, text=[tags.artist]))
    if tags.date:
        frames.append(id3.TDRC(encoding=3, text=[str(tags.date)]))
    if tags.url:
        frames.append(id3.WXXX(encoding=3, desc="Quelle", url=tags.url))
        frames.append(id3.COMM(encoding=3, lang="deu", desc="", text=[tags.url]))
    if count > 1:
        frames.append(id3.TRCK(encoding=3, text=[f"{index}/{count}"]))
    ids = [f"chp{n}" for n in range(len(chapters))]
    for n, (name, start) in enumerate(chapters):
        end = chapters[n + 1][1] if n + 1 < len(chapters) else duration
        frames.append(
            id3.CHAP(
                element_id=ids[n],
                start_time=round(start * 1000),
                end_time=round(end * 1000),
                sub_frames=[id3.TIT2(encoding=3, text=[name])],
            )
        )
    if ids:
        frames.append(
            id3.CTOC(
                element_id="toc",
                flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[id3.TIT2(encoding=3, text=["Kapitel"])],
            )
        )
    tag = id3.ID3()
    for frame in frames:
        tag.add(frame)
    tag.save(path, v1=0, v2_version=3, padding=lambda _info: 0)


def _timestamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _tag_ogg(
    path: Path, tags: AudioTags, chapters: Sequence[tuple[str, float]], *, part: tuple[int, int]
) -> None:
    """Vorbis comments, chapters as CHAPTERnnn / CHAPTERnnnNAME (the Ogg chapter extension)."""
    import mutagen.oggopus  # noqa: PLC0415 — only needed when tagging

    ogg: Any = mutagen.oggopus  # untyped
    index, count = part
    audio = ogg.OggOpus(path)
    comments = {
        "title": tags.title if count == 1 else f"{tags.title} (Teil {index}/{count})",
        "album": tags.album,
        "artist": tags.artist,
        "date": str(tags.date) if tags.date else None,
        "comment": tags.url,
        "url": tags.url,
        "tracknumber": f"{index}/{count}" if count > 1 else None,
    }
    for name, value in comments.items():
        if value:
            audio.tags[name] = [value]
    for n, (name, start) in enumerate(chapters, start=1):
        audio.tags[f"CHAPTER{n:03d}"] = [_timestamp(start)]
        audio.tags[f"CHAPTER{n:03d}NAME"] = [name]
    audio.save()


def _tag(
    path: Path,
    fmt: Literal["mp3", "ogg"],
    tags: AudioTags | None,
    chapters: Sequence[tuple[str, float]],
    *,
    duration: float,
    part: tuple[int, int],
) -> None:
    if tags is None:
        return
    if fmt == "mp3":
        _tag_mp3(path, tags, chapters, duration=duration, part=part)
    else:
        _tag_ogg(path, tags, chapters, part=part)


# --- the stage --------------------------------------------------------------------------------
async def assemble(
    clips: Sequence[Clip],
    out_path: Path,
    *,
    fmt: Literal["mp3", "ogg"],
    tempo: float = 1.0,
    tags: AudioTags | None = None,
    max_part_bytes: int | None = None,
) -> AssembledAudio:
    """Join the clips into `out_path` (or `<stem>-teilN` parts, each under `max_part_bytes`)."""
    if fmt not in ("mp3", "ogg"):
        raise AudioError(f"unsupported output format {fmt!r}")
    if not TEMPO_RANGE[0] <= tempo <= TEMPO_RANGE[1]:
        raise AudioError(f"tempo {tempo} outside {TEMPO_RANGE[0]}–{TEMPO_RANGE[1]}")
    if not any(clip.data for clip in clips):
        raise AudioError("no audio to assemble")
    started = time.perf_counter()
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    mp3 = await asyncio.to_thread(_mp3_timeline, clips)
    if mp3 is not None and fmt == "mp3" and tempo == 1.0:
        result = await asyncio.to_thread(_write_frames, mp3, out_path, tags, max_part_bytes)
    else:
        timeline: _Mp3Timeline | _PcmTimeline
        method: Literal["frames+encode", "pcm+encode"]
        if mp3 is not None:
            timeline, method = mp3, "frames+encode"
            input_args = ["-f", "mp3"]
            bitrate = mp3.kind.bitrate
        else:
            units, rate = await _pcm_units(clips)
            timeline, method = _PcmTimeline(units, rate), "pcm+encode"
            input_args = ["-f", "s16le", "-ar", str(rate), "-ac", "1"]
            bitrate = MP3_BITRATE
        if not timeline.units:
            raise AudioError("the clips hold nothing but silence")
        result = await _write_encoded(
            timeline, method=method, input_args=input_args, out_path=out_path, fmt=fmt,
            tempo=tempo, tags=tags, max_part_bytes=max_part_bytes, mp3_bitrate=bitrate,
        )  # fmt: skip
    logger.info(
        "assembled %d clips into %d file(s), %.1f s of audio, via %s in %.2f s",
        len(clips), len(result.paths), result.duration_seconds, result.method,
        time.perf_counter() - started,
    )  # fmt: skip
    return result


def _chapters_per_part(
    parts: Sequence[_Part], tags: AudioTags | None, tempo: float
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
        [(name, at / tempo) for name, at in _part_chapters(chapters, start, end, fallback)]
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
    timeline: _Mp3Timeline, out_path: Path, tags: AudioTags | None, max_part_bytes: int | None
) -> AssembledAudio:
    """MP3 in, MP3 out at tempo 1: frames only, nothing decoded or encoded."""
    units = timeline.units
    if not units:
        raise AudioError("the clips hold nothing but silence")
    ranges = [(0, len(units))]
    if max_part_bytes is not None:
        header = timeline.kind.frame_bytes() * 4  # an Xing frame is at most a few of these
        ranges = _plan_parts(
            [timeline.unit_bytes(i) for i in range(len(units))],
            [0] + [unit.pause_after_ms for unit in units[:-1]],
            [bool(unit.chapter) for unit in units],
            max_part_bytes - _tag_reserve(tags, [u.chapter for u in units if u.chapter]) - header,
        )
    parts = [timeline.part(a, b) for a, b in ranges]
    chapters, per_part = _chapters_per_part(parts, tags, 1.0)
    paths = _part_paths(out_path, len(parts))
    sizes: list[int] = []
    for number, (path, part) in enumerate(zip(paths, parts, strict=True), start=1):
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            _write_mp3(tmp, part.feed, part.frame_sizes, timeline.kind)
            _tag(tmp, "mp3", tags, per_part[number - 1], duration=part.seconds,
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
        method="frames",
        sizes=tuple(sizes),
    )


async def _write_encoded(
    timeline: _Mp3Timeline | _PcmTimeline,
    *,
    method: Literal["frames+encode", "pcm+encode"],
    input_args: Sequence[str],
    out_path: Path,
    fmt: Literal["mp3", "ogg"],
    tempo: float,
    tags: AudioTags | None,
    max_part_bytes: int | None,
    mp3_bitrate: int,
) -> AssembledAudio:
    """One ffmpeg per part; parts planned by estimated size, re-planned if one comes out big."""
    units = timeline.units
    budget: float | None = None
    if max_part_bytes is not None:
        reserve = _tag_reserve(tags, [u.chapter for u in units if u.chapter])
        budget = (max_part_bytes - reserve) * 0.97
    per_second = _encoded_bytes_per_second(fmt, mp3_bitrate)
    for _attempt in range(4):
        ranges = [(0, len(units))]
        if budget is not None:
            ranges = _plan_parts(
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
                          mp3_bitrate=mp3_bitrate)  # fmt: skip
            await asyncio.to_thread(
                functools.partial(_tag, path, fmt, tags, per_part[number - 1],
                                  duration=part.seconds / tempo, part=(number, len(parts)))
            )  # fmt: skip
            sizes.append(path.stat().st_size)
        if max_part_bytes is None or budget is None or max(sizes) <= max_part_bytes:
            return AssembledAudio(
                paths=tuple(paths),
                duration_seconds=sum(part.seconds for part in parts) / tempo,
                part_durations=tuple(part.seconds / tempo for part in parts),
                chapters=tuple(chapters),
                method=method,
                sizes=tuple(sizes),
            )
        logger.info("a part came out at %d bytes, over %d; re-planning", max(sizes), max_part_bytes)
        budget *= max_part_bytes / max(sizes) * 0.97
        for path in paths:
            path.unlink(missing_ok=True)
    raise AudioError(f"could not keep the parts under {max_part_bytes} bytes")
