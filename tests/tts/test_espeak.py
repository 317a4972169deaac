"""espeak-ng offline: whichever HOERCLUB_ESPEAK chooses, the system command by name, the
library by name, and the command-line handling through a stand-in."""

from __future__ import annotations

import array
import io
import os
import stat
import sys
import wave
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import SynthesisError
from bot.tts.espeak import (
    ESPEAK_VOICES,
    ESPEAK_WPM,
    EspeakEngine,
    library_path,
    pcm_from_streamed_wav,
)
from tests.support.audio import decode_pcm
from tests.support.tools import in_ci, require_system_tool

GERMAN = (
    "Der Bundestag hat am vierundzwanzigsten November über den Haushalt beraten. "
    "Die Opposition kritisierte die Pläne der Regierung scharf und forderte Nachbesserungen."
)


def _wav_info(data: bytes) -> tuple[int, int, int, float]:
    with wave.open(io.BytesIO(data)) as reader:
        frames = reader.getnframes()
        return (
            reader.getnchannels(),
            reader.getsampwidth(),
            reader.getframerate(),
            frames / reader.getframerate(),
        )


async def test_german_wav_with_plausible_duration(settings: Settings) -> None:
    engine = EspeakEngine(settings)
    assert engine.voice_for("de") == "de"
    clip = await engine.synthesize(GERMAN, "de")
    channels, width, rate, seconds = _wav_info(clip.data)
    assert (channels, width, rate) == (1, 2, 22050)
    assert clip.format == "wav"
    assert clip.sample_rate == 22050
    words = len(GERMAN.split())
    expected = words / ESPEAK_WPM * 60  # about 6.4 s
    assert expected * 0.6 < seconds < expected * 1.6


async def test_longer_text_takes_longer(settings: Settings) -> None:
    engine = EspeakEngine(settings)
    short = await engine.synthesize("Guten Tag.", "de")
    long = await engine.synthesize(GERMAN, "de")
    assert _wav_info(long.data)[3] > 3 * _wav_info(short.data)[3]


async def test_every_listed_voice_loads(settings: Settings) -> None:
    engine = EspeakEngine(settings)
    for voice in sorted(set(ESPEAK_VOICES.values())):
        clip = await engine.synthesize("Hallo, eins zwei drei.", voice)
        assert _wav_info(clip.data)[3] > 0.3, voice


async def test_unknown_voice_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(SynthesisError, match="no voice"):
        await EspeakEngine(settings).synthesize("Hallo.", "zz-nonexistent")


def test_limits_and_voices(settings: Settings) -> None:
    engine = EspeakEngine(settings)
    assert engine.name == "espeak"
    assert engine.output_format == "wav"
    assert 300 <= engine.max_chars <= 1000
    for lang in ("de", "en", "fr", "es", "it", "nl", "pl"):
        assert engine.voice_for(lang) is not None
    assert engine.voice_for("de-CH") == "de"
    assert engine.voice_for("xx") is None


# A stand-in for the system binary: writes WAV to stdout the way espeak-ng does on a pipe
# (placeholder sizes, since it cannot seek back) and records its arguments.
FAKE_ESPEAK = """#!{python}
import struct, sys, math, pathlib
text = sys.stdin.buffer.read().decode("utf-8")
pathlib.Path(sys.argv[0]).with_name("args.txt").write_text("\\n".join(sys.argv[1:]) + "\\n" + text)
n = len(text) * 1000
pcm = b"".join(struct.pack("<h", int(8000 * math.sin(i / 8.0))) for i in range(n))
fmt = struct.pack("<HHIIHH", 1, 1, 22050, 44100, 2, 16)
out = sys.stdout.buffer
out.write(b"RIFF" + struct.pack("<I", 0x7FFFF024) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt)
out.write(b"data" + struct.pack("<I", 0x7FFFF000) + pcm)
"""


async def test_system_binary_is_preferred(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "espeak-ng"
    fake.write_text(FAKE_ESPEAK.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    engine = EspeakEngine(settings.model_copy(update={"espeak": "auto"}))
    assert engine.backend.startswith("system")
    clip = await engine.synthesize("Grüß Gott!", "de")
    args = (bindir / "args.txt").read_text().splitlines()
    assert args[:2] == ["-v", "de"]
    assert "--stdout" in args
    assert args[-1] == "Grüß Gott!"  # UTF-8 through stdin, never as an argument
    channels, _, rate, seconds = _wav_info(clip.data)
    assert (channels, rate) == (1, 22050)
    assert seconds == pytest.approx(len("Grüß Gott!") * 1000 / 22050, abs=0.001)


def test_streamed_wav_needs_a_data_chunk() -> None:
    with pytest.raises(SynthesisError):
        pcm_from_streamed_wav(b"not a wav at all")


def _speech_like(pcm: bytes, rate: int) -> tuple[float, float]:
    """(seconds, share of 20 ms blocks louder than -40 dBFS) of mono s16le PCM."""
    samples = array.array("h", pcm)
    block = rate // 50
    blocks = [samples[i : i + block] for i in range(0, len(samples) - block + 1, block)]
    loud = sum(1 for b in blocks if max(b) > 328 or min(b) < -328)
    return len(samples) / rate, loud / max(1, len(blocks))


async def _speaks_german(engine: EspeakEngine, tmp_path: Path) -> None:
    clip = await engine.synthesize(GERMAN, "de")
    path = tmp_path / "espeak.wav"
    path.write_bytes(clip.data)
    seconds, loud = _speech_like(decode_pcm(path, 22050), 22050)
    expected = len(GERMAN.split()) / ESPEAK_WPM * 60
    assert expected * 0.6 < seconds < expected * 1.6
    assert loud > 0.5  # speech, not silence or a click


async def test_the_system_espeak_ng_command_speaks(settings: Settings, tmp_path: Path) -> None:
    binary = require_system_tool("espeak-ng")
    engine = EspeakEngine(settings.model_copy(update={"espeak": "system"}))
    assert engine.backend == f"system ({binary})"
    await _speaks_german(engine, tmp_path)


async def test_the_bundled_library_speaks(settings: Settings, tmp_path: Path) -> None:
    if library_path() is None:
        if in_ci():
            pytest.fail("espeakng-loader is not installed: CI tests the extra 'bundled'")
        pytest.skip("espeakng-loader (the extra 'bundled') is not installed")
    engine = EspeakEngine(settings.model_copy(update={"espeak": "bundled"}))
    assert engine.backend.startswith("library")
    await _speaks_german(engine, tmp_path)


def test_system_insists_on_the_command(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SynthesisError, match="HOERCLUB_ESPEAK=system"):
        EspeakEngine(settings.model_copy(update={"espeak": "system"}))
