"""Clips laid out on one timeline: trimmed of engine padding, pauses between, cut into parts.

Two layouts: MP3 frames (all clips MP3 of one format, as gTTS gives them) are trimmed and joined
frame by frame with pre-built silent frames for the pauses; anything else becomes mono PCM at
one rate, trimmed at sample level, with zeros for the pauses. bot.pipeline.assemble writes them.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from bot.audio.mp3 import (
    Frame,
    FrameKind,
    frame_is_silent,
    main_data_begin,
    parse_mp3,
    reservoir_capacity,
    scale_global_gain,
    silent_frame,
)
from bot.audio.wav import read_wav
from bot.errors import AudioError
from bot.models import Clip
from bot.pipeline.media import decode_to_pcm

logger = logging.getLogger(__name__)

# --- trimming ------------------------------------------------------------------------------
# PCM below -46 dBFS counts as silence: engine padding is digital zero or dither, while the
# quietest German consonants (f, h) stay above about -40 dBFS in espeak and gTTS output.
SILENCE_THRESHOLD: Final = 164
# Analysis blocks for PCM trimming, and the quiet kept on each side so onsets and decays
# (a plosive's burst, a final "s") are never clipped.
TRIM_BLOCK_MS: Final = 5
EDGE_MARGIN_MS: Final = 15


# --- planning: units, gaps and parts -------------------------------------------------------
@dataclass
class Unit:
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
    # Where the unit came from: the clip's index and the samples trimmed off its start (for
    # placing the clip's word timings on the timeline: bot.pipeline.subtitles).
    source: int = -1
    head_samples: int = 0
    sound: bool = False  # a room sound (the chime), not speech: loudness gain passes it by


def compact(units: list[Unit]) -> list[Unit]:
    """Drop units without audio; their chapter moves on, their pause joins the previous one."""
    out: list[Unit] = []
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


def insert_sounds(units: list[Unit], sound: Unit, *, before_ms: int, after_ms: int) -> list[Unit]:
    """`sound` before every unit that starts a chapter: it takes the chapter, so a player's
    chapter mark lands on it; the pause before it is at most `before_ms`, after it `after_ms`."""
    out: list[Unit] = []
    for unit in units:
        if unit.chapter:
            if out:
                out[-1].pause_after_ms = min(out[-1].pause_after_ms, before_ms)
            out.append(replace(sound, chapter=unit.chapter, pause_after_ms=after_ms, sound=True))
            unit.chapter = None
        out.append(unit)
    return out


def plan_parts(costs: Sequence[float], gaps_ms: Sequence[int], chapters: Sequence[bool],
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


def part_chapters(
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


# --- MP3 frames ----------------------------------------------------------------------------
def mp3_unit(clip: Clip, frames: list[Frame]) -> tuple[Unit, FrameKind]:
    """Trim a clip's silent frames at both ends and note the bit reservoir its start needs."""
    data = clip.data
    kind = frames[0].kind
    count = len(frames)
    first = next((i for i in range(count) if not frame_is_silent(data, frames[i])), None)
    if first is None:
        return Unit(0, clip.pause_after_ms, clip.chapter), kind
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
    unit = Unit(
        samples=len(kept) * kind.samples_per_frame,
        pause_after_ms=clip.pause_after_ms,
        chapter=clip.chapter,
        pieces=pieces,
        frame_sizes=[frame.size for frame in kept],
        reservoir=reservoir_bytes,
        head_samples=first * kind.samples_per_frame,
    )
    return unit, kind


@dataclass
class Part:
    """One output file's worth of the timeline, before encoding (times at tempo 1)."""

    feed: list[bytes | memoryview]
    seconds: float
    chapters: list[tuple[str, float]]
    frame_sizes: list[int] = field(default_factory=list)  # MP3 frames path only


@dataclass
class Mp3Timeline:
    """Trimmed MP3 clips and how to lay them out as frames with silent frames between."""

    units: list[Unit]
    kind: FrameKind  # of the silent frames: the clips' most common bitrate
    rate: int

    def scale_speech(self, steps: int) -> None:
        """Make every speech unit `steps` × 1.5 dB louder in place (global_gain; no decoding)."""
        if not steps:
            return
        for unit in self.units:
            if not unit.sound:
                unit.pieces = [memoryview(scale_global_gain(piece, steps)) for piece in unit.pieces]

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

    def part(self, start: int, stop: int) -> Part:
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
        return Part(pieces, len(sizes) * self.seconds_per_frame, chapters, sizes)


@dataclass
class PcmTimeline:
    """Trimmed mono PCM clips at one rate, with silence for the pauses."""

    units: list[Unit]
    rate: int

    def unit_seconds(self, index: int) -> float:
        """Seconds the unit adds to a part when it does not start it."""
        gap = self.units[index - 1].pause_after_ms / 1000 if index else 0.0
        return self.units[index].samples / self.rate + gap

    def part(self, start: int, stop: int) -> Part:
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
        return Part(feed, samples / self.rate, chapters)


def mp3_timeline(clips: Sequence[Clip]) -> Mp3Timeline | None:
    """The clips as joinable MP3 frames, or None when they must be decoded instead."""
    units: list[Unit] = []
    kinds: list[FrameKind] = []
    bitrates: Counter[int] = Counter()
    for index, clip in enumerate(clips):
        if not clip.data:
            units.append(Unit(0, clip.pause_after_ms, clip.chapter))
            continue
        if clip.format != "mp3":
            return None
        try:
            frames = parse_mp3(clip.data)
        except AudioError as exc:
            logger.info("MP3 clip not joinable frame by frame (%s); decoding instead", exc)
            return None
        unit, kind = mp3_unit(clip, frames)
        unit.source = index
        if kinds and kind.stream_key != kinds[0].stream_key:
            logger.info("MP3 clips differ in rate or channels; decoding instead")
            return None
        kinds.append(kind)
        bitrates.update(frame.kind.bitrate_index for frame in frames[:50])
        units.append(unit)
    if not kinds:
        raise AudioError("no audio to assemble")
    kind = kinds[0].with_bitrate_index(bitrates.most_common(1)[0][0])
    return Mp3Timeline(compact(units), kind, kind.sample_rate)


# --- PCM ------------------------------------------------------------------------------------
def wav_pcm(data: bytes) -> tuple[memoryview, int] | None:
    """(mono s16le PCM, rate) from a WAV clip, or None when it needs ffmpeg (stereo, float…)."""
    wav = read_wav(data)
    if wav is None or wav.channels != 1 or wav.sample_width != 2:
        return None
    return memoryview(wav.pcm), wav.sample_rate


def trim_pcm(pcm: memoryview, rate: int) -> memoryview:
    """Cut leading and trailing silence, keeping a small margin on each side."""
    begin, end = trim_bounds(pcm, rate)
    return pcm[begin * 2 : end * 2]


def trim_bounds(pcm: memoryview, rate: int) -> tuple[int, int]:
    """The samples [begin, end) that `trim_pcm` keeps."""
    samples = pcm.cast("h") if sys.byteorder == "little" else None
    if samples is None:  # pragma: no cover - big-endian hosts
        return 0, len(pcm) // 2
    block = max(1, rate * TRIM_BLOCK_MS // 1000)
    count = len(samples)
    first = 0
    while first < count:
        window = samples[first : first + block]
        if max(window) > SILENCE_THRESHOLD or min(window) < -SILENCE_THRESHOLD:
            break
        first += block
    if first >= count:
        return 0, 0
    last = count
    while last > first:
        window = samples[max(first, last - block) : last]
        if max(window) > SILENCE_THRESHOLD or min(window) < -SILENCE_THRESHOLD:
            break
        last -= block
    margin = rate * EDGE_MARGIN_MS // 1000
    return max(0, first - margin), min(count, last + margin)


async def pcm_units(clips: Sequence[Clip], default_rate: int) -> tuple[list[Unit], int]:
    """Every clip as trimmed mono PCM at one rate: the WAV clips' most common one, else
    `default_rate` (decoding with ffmpeg where needed)."""
    parsed = [wav_pcm(clip.data) if clip.format == "wav" and clip.data else None for clip in clips]
    rates = Counter(p[1] for p in parsed if p is not None)
    rate = rates.most_common(1)[0][0] if rates else default_rate
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

    tasks = [asyncio.ensure_future(pcm_of(c, p)) for c, p in zip(clips, parsed, strict=True)]
    try:
        pcms = await asyncio.gather(*tasks)
    except BaseException:
        # One clip failed: stop the other decoders now, not when the event loop closes.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    bounds = await asyncio.to_thread(
        lambda: [trim_bounds(p, rate) if p is not None else (0, 0) for p in pcms]
    )
    units = []
    for index, (clip, pcm, (begin, end)) in enumerate(zip(clips, pcms, bounds, strict=True)):
        kept = pcm[begin * 2 : end * 2] if pcm is not None else None
        units.append(
            Unit(
                end - begin,
                clip.pause_after_ms,
                clip.chapter,
                pcm=kept,
                source=index,
                head_samples=begin,
            )
        )
    return compact(units), rate
