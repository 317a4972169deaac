"""One file from several engines: gTTS (24 kHz mono 32 kbit/s), edge-tts (24 kHz mono 48 kbit/s),
a chime at yet another bitrate, and what must be re-encoded.

What holds, and what these tests prove:
- MP3 clips that share MPEG version, sample rate and channels join frame by frame whatever their
  bitrates: a frame header carries its own bitrate, the joined file gets a Xing (VBR) header
  with the frame count and seek table, and the silent pause frames take the most common
  bitrate. Nothing is decoded or re-encoded, every clip decodes bit-exact inside the file, and
  the duration is the trimmed clips plus the pauses (`test_gtts_edge_and_chime_join_...`).
- A clip at another sample rate (a 44.1 kHz jingle, espeak's 22,050 Hz WAV) cannot share a
  frame stream: then, and only then, all clips are decoded to one PCM stream and encoded once
  (`test_another_sample_rate_is_decoded_and_encoded_once`).
"""

from __future__ import annotations

import array
import subprocess
from functools import cache
from pathlib import Path

import pytest

from bot.audio.mp3 import parse_mp3
from bot.models import Clip
from bot.pipeline.assemble import assemble
from bot.pipeline.media import ffmpeg_exe
from bot.pipeline.timeline import mp3_timeline
from tests.support import fake_edge, fake_gtts
from tests.support.audio import decode_pcm, probe

TEXTS = [
    "Willkommen im Hörclub.",
    "Der Stadtrat hat am Dienstag zwölf Kilometer neue Radwege beschlossen.",
    "Kritik kam von der Opposition.",
    "Die Verwaltung legt die Kosten im Herbst vor.",
]
PAUSES = [700, 300, 500, 0]


@cache
def chime(rate: int = 24000, bitrate: str = "64k") -> bytes:
    """A short two-tone chime as LAME MP3, mono, at the given rate and bitrate."""
    source = (
        f"aevalsrc='0.3*sin(2*PI*880*t)*exp(-4*t)+0.2*sin(2*PI*1320*t)*exp(-5*t)':s={rate}:d=0.6"
    )
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
         "-i", f"{source},adelay=60:all=1,apad=pad_dur=0.2", "-ac", "1", "-c:a", "libmp3lame",
         "-b:a", bitrate, "-f", "mp3", "pipe:1"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout


def mixed_clips(chime_data: bytes, chime_rate: int) -> list[Clip]:
    """chime, gTTS, edge, gTTS, edge: as a host intro with a jingle and a fallback would mix."""
    clips = [Clip(chime_data, "mp3", chime_rate, pause_after_ms=400)]
    for index, text in enumerate(TEXTS):
        module = fake_gtts if index % 2 == 0 else fake_edge
        clips.append(Clip(module.mp3_for(text), "mp3", 24000, pause_after_ms=PAUSES[index]))
    return clips


def _speech(path: Path) -> array.array[int]:
    return array.array("h", decode_pcm(path))


async def test_gtts_edge_and_chime_join_frame_by_frame_bit_exact(tmp_path: Path) -> None:
    clips = mixed_clips(chime(), 24000)
    bitrates = [{f.kind.bitrate for f in parse_mp3(c.data)} for c in clips]
    assert bitrates == [{64000}, {32000}, {48000}, {32000}, {48000}]
    out = tmp_path / "mixed.mp3"
    result = await assemble(clips, out, fmt="mp3")
    assert result.method == "frames"  # nothing decoded, nothing re-encoded
    joined = decode_pcm(out)
    position = 0
    trimmed = 0.0
    for index, clip in enumerate(clips):
        single = tmp_path / f"clip{index}.mp3"
        single.write_bytes(clip.data)
        pcm = _speech(single)
        onset = next(i for i, v in enumerate(pcm) if abs(v) > 500)
        piece = pcm[onset : onset + 4800].tobytes()  # the first 200 ms of each clip's sound
        found = joined.find(piece, position)
        assert found >= 0, f"clip {index} does not decode bit-exact in the joined file"
        position = found
        trimmed += probe(single)["duration"]
    info = probe(out)
    assert info["decode_errors"] == []
    assert (info["sample_rate"], info["channels"]) == (24000, 1)
    # The Xing header tells players the true length of the mixed-bitrate stream.
    assert info["header_duration"] == pytest.approx(info["duration"], abs=0.03)
    assert result.duration_seconds == pytest.approx(info["duration"], abs=0.03)
    sound = (
        0.6
        + sum(fake_gtts.speech_seconds(t) for t in TEXTS[0::2])
        + sum(fake_edge.speech_seconds(t) for t in TEXTS[1::2])
    )
    pauses = (400 + sum(PAUSES[:-1])) / 1000
    # The sum of the trimmed clips (their kept frames, 24 ms each) and the pauses, within 100 ms.
    timeline = mp3_timeline(clips)
    assert timeline is not None
    kept = sum(unit.samples for unit in timeline.units) / 24000
    assert info["duration"] == pytest.approx(kept + pauses, abs=0.1)
    # Against the sound itself: a few frames of margin around each clip, no engine padding.
    assert sound - 0.03 * len(clips) <= info["duration"] - pauses <= sound + 0.1 * len(clips)
    assert info["duration"] < trimmed + pauses


async def test_another_sample_rate_is_decoded_and_encoded_once(tmp_path: Path) -> None:
    clips = mixed_clips(chime(44100, "96k"), 44100)
    out = tmp_path / "resampled.mp3"
    result = await assemble(clips, out, fmt="mp3")
    assert result.method == "pcm+encode"
    info = probe(out)
    assert info["decode_errors"] == []
    assert (info["sample_rate"], info["channels"]) == (24000, 1)
    sound = (
        0.6
        + sum(fake_gtts.speech_seconds(t) for t in TEXTS[0::2])
        + sum(fake_edge.speech_seconds(t) for t in TEXTS[1::2])
    )
    pauses = (400 + sum(PAUSES[:-1])) / 1000
    assert sound - 0.03 * len(clips) <= info["duration"] - pauses <= sound + 0.1 * len(clips)
    assert result.duration_seconds == pytest.approx(info["duration"], abs=0.06)
