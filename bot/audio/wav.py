"""WAV containers through the standard library's `wave`: writing mono 16-bit, reading any PCM."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WavAudio:
    """The PCM samples of a WAV file and how to read them."""

    pcm: bytes
    sample_rate: int
    channels: int
    sample_width: int  # bytes per sample


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """A WAV container (mono, 16-bit) around raw PCM."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(pcm)
    return out.getvalue()


def read_wav(data: bytes, *, header_only: bool = False) -> WavAudio | None:
    """The audio of an integer-PCM WAV file, or None for anything else (float, compressed, junk).

    A WAV written to a pipe (espeak-ng --stdout) carries placeholder sizes; `wave` reads the
    data chunk up to what is really there, so such files read like any other.
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            frame = reader.getnchannels() * reader.getsampwidth()
            pcm = b"" if header_only else reader.readframes(reader.getnframes())
            pcm = pcm[: len(pcm) // frame * frame]  # a pipe may end inside a frame
            return WavAudio(
                pcm, reader.getframerate(), reader.getnchannels(), reader.getsampwidth()
            )
    except (wave.Error, EOFError):
        return None
