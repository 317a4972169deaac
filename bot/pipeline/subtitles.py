"""Subtitles beside the audio: WebVTT cues placed on the assembled timeline.

The clips are laid out exactly as bot.pipeline.assemble lays them out (the same timeline
functions, so the same trimming and pauses): each unit starts where the units before it and
their pauses end, and a clip's own times shift by what trimming cut off its start. Engines that
report word boundaries (edge-tts) give cues of a few words each, at the words' own times; the
others give one cue per chunk spanning its clip.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bot.models import Clip, WordTiming
from bot.pipeline.assemble import MP3_SAMPLE_RATE
from bot.pipeline.timeline import Mp3Timeline, PcmTimeline, mp3_timeline, pcm_units

logger = logging.getLogger(__name__)

# A cue holds at most this many words or characters (the usual two subtitle lines of 42), and
# a pause in speech this long starts a new one: cues follow the phrases a listener hears.
CUE_MAX_WORDS: Final = 8
CUE_MAX_CHARS: Final = 84
CUE_GAP_SECONDS: Final = 0.35


@dataclass(frozen=True)
class Cue:
    """One subtitle: its times on the file's timeline (s) and its text."""

    start: float
    end: float
    text: str


def _timestamp(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def webvtt(cues: Sequence[Cue]) -> str:
    """The cues as a WebVTT document."""
    blocks = ["WEBVTT", ""]
    for number, cue in enumerate(cues, start=1):
        blocks += [str(number), f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}", cue.text, ""]
    return "\n".join(blocks)


def _word_cues(words: Sequence[WordTiming], shift: float, floor: float, ceil: float) -> list[Cue]:
    """Words grouped into cues, their times moved onto the timeline and kept inside the clip."""
    cues: list[Cue] = []
    group: list[WordTiming] = []

    def flush() -> None:
        if group:
            start = min(max(floor, group[0].start + shift), ceil)
            end = min(max(start, group[-1].start + group[-1].duration + shift), ceil)
            cues.append(Cue(start, end, " ".join(w.text for w in group)))
            group.clear()

    for word in words:
        if group:
            gap = word.start - (group[-1].start + group[-1].duration)
            chars = sum(len(w.text) + 1 for w in group) + len(word.text)
            if len(group) >= CUE_MAX_WORDS or chars > CUE_MAX_CHARS or gap > CUE_GAP_SECONDS:
                flush()
        group.append(word)
    flush()
    return cues


async def subtitle_cues(
    clips: Sequence[Clip], texts: Sequence[str], *, tempo: float = 1.0
) -> list[Cue]:
    """The cues of the clips as one file (tempo: the atempo the assembler applies)."""
    timeline: Mp3Timeline | PcmTimeline | None = mp3_timeline(clips)
    if timeline is None:
        units, rate = await pcm_units(clips, MP3_SAMPLE_RATE)
        timeline = PcmTimeline(units, rate)
    cues: list[Cue] = []
    clock = 0.0
    for index, unit in enumerate(timeline.units):
        seconds = timeline.unit_seconds(index)
        audio = unit.samples / timeline.rate
        start = clock + seconds - audio
        clock += seconds
        clip = clips[unit.source]
        if clip.words:
            shift = start - unit.head_samples / timeline.rate
            cues += _word_cues(clip.words, shift, start, start + audio)
        elif texts[unit.source].strip():
            cues.append(Cue(start, start + audio, texts[unit.source].strip()))
    return [Cue(c.start / tempo, c.end / tempo, c.text) for c in cues]


async def write_subtitles(
    clips: Sequence[Clip], texts: Sequence[str], path: Path, *, tempo: float = 1.0
) -> Path:
    """Write the clips' WebVTT file to `path` and return it."""
    cues = await subtitle_cues(clips, texts, tempo=tempo)
    await asyncio.to_thread(path.write_text, webvtt(cues), encoding="utf-8")
    logger.info("wrote %d subtitle cues to %s", len(cues), path.name)
    return path
