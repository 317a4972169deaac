"""espeak-ng, offline: the system binary where there is one, else the wheel's shared library.

The library keeps global state (one voice, one callback, one output buffer), so every call into
it runs on ONE dedicated worker thread, shared by every EspeakEngine in the process.
"""

from __future__ import annotations

import asyncio
import ctypes
import io
import logging
import os
import shutil
import struct
import threading
import wave
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar, Final, Literal

from bot.config import Settings
from bot.errors import SynthesisError
from bot.models import Clip

logger = logging.getLogger(__name__)

# espeak has no request limit. 500 characters (~35 s of speech, ~25 ms of CPU) keep espeak's
# own intonation and sentence pauses across several sentences, while progress still moves
# every few seconds of audio and a repeated paragraph is still a cache hit.
ESPEAK_MAX_CHARS: Final = 500
# espeak's default is 175 words a minute; German newsreaders speak about 150
# (script.WORDS_PER_MINUTE). 160 keeps the robot voice intelligible and the estimate honest.
ESPEAK_WPM: Final = 160
# The library's native rate (espeak_Initialize returns it; the CLI writes it into the WAV).
ESPEAK_SAMPLE_RATE: Final = 22050
# A system espeak-ng process per chunk is CPU-bound: no more at once than there are cores.
CLI_CONCURRENCY: Final = max(1, os.cpu_count() or 1)

# espeak_ng.h / speak_lib.h constants.
_AUDIO_OUTPUT_SYNCHRONOUS: Final = 2  # retrieval through the callback, espeak_Synth blocks
_INITIALIZE_DONT_EXIT: Final = 0x8000  # return an error instead of exit() on missing data
_POS_CHARACTER: Final = 1
_CHARS_UTF8: Final = 1
_PARAM_RATE: Final = 1
_EE_OK: Final = 0

# Voice names as espeak-ng knows them (espeak-ng-data/lang/*), by language code.
ESPEAK_VOICES: Final[Mapping[str, str]] = {
    "de": "de", "en": "en", "fr": "fr", "es": "es", "it": "it", "nl": "nl", "pl": "pl",
    "pt": "pt", "sv": "sv", "da": "da", "no": "nb", "nb": "nb", "fi": "fi", "cs": "cs",
    "sk": "sk", "hu": "hu", "ro": "ro", "hr": "hr", "sl": "sl", "el": "el", "tr": "tr",
    "ru": "ru", "uk": "uk", "bg": "bg", "ca": "ca", "et": "et", "lv": "lv", "lt": "lt",
    "is": "is", "sr": "sr", "lb": "lb",
}  # fmt: skip

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


def espeak_location() -> str | None:
    """The system espeak-ng binary, else the espeakng-loader wheel's library, else None."""
    system = shutil.which("espeak-ng")
    if system:
        return system
    try:
        import espeakng_loader  # noqa: PLC0415 — optional where the system has espeak-ng
    except ImportError:
        return None
    path = Path(espeakng_loader.get_library_path())
    return str(path) if path.exists() else None


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """A proper WAV container (mono, 16-bit) around raw PCM."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(pcm)
    return out.getvalue()


def pcm_from_streamed_wav(data: bytes) -> tuple[bytes, int]:
    """(PCM, sample rate) from a WAV written to a pipe, whose size fields are placeholders."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SynthesisError("espeak-ng did not write WAV audio")
    pos, rate, channels = 12, 0, 1
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk == b"fmt ":
            channels, rate = struct.unpack_from("<HI", data, pos + 10)
        elif chunk == b"data":
            pcm = data[pos + 8 :]  # to the end: the size field cannot be trusted on a pipe
            if channels != 1 or not rate:
                raise SynthesisError(f"espeak-ng wrote {channels} channels at {rate} Hz")
            return pcm[: len(pcm) // 2 * 2], rate
        pos += 8 + size + (size & 1)
    raise SynthesisError("espeak-ng wrote no audio data")


class _Library:
    """libespeak-ng through ctypes, driven from its one worker thread."""

    _shared: ClassVar[_Library | None] = None
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")
        self._lib: ctypes.CDLL | None = None
        self._voice: str | None = None
        self._buffer: list[bytes] = []
        self._callback = _SynthCallback(self._on_audio)  # kept alive as long as the library
        self.sample_rate = 0

    @classmethod
    def shared(cls) -> _Library:
        """The process-wide instance (the library itself is process-wide)."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def _on_audio(self, wav: ctypes._Pointer[ctypes.c_short], samples: int, _: object) -> int:
        if samples > 0 and wav:
            self._buffer.append(ctypes.string_at(wav, samples * 2))
        return 0  # 0 = go on

    def _load(self) -> ctypes.CDLL:
        import espeakng_loader  # noqa: PLC0415 — only on machines without a system espeak-ng

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_Synth.restype = ctypes.c_int
        data_path = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, _INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise SynthesisError(f"libespeak-ng failed to initialise (data at {data_path!r})")
        lib.espeak_SetSynthCallback(self._callback)
        self.sample_rate = rate
        logger.info("libespeak-ng loaded from the espeakng-loader wheel (%d Hz)", rate)
        return lib

    def synth(self, text: str, voice: str, wpm: int) -> tuple[bytes, int]:
        """(PCM, sample rate) for text; call only on the worker thread."""
        lib = self._lib or self._load()
        self._lib = lib
        if voice != self._voice:
            if lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise SynthesisError(f"espeak-ng has no voice {voice!r}")
            self._voice = voice
        lib.espeak_SetParameter(_PARAM_RATE, wpm, 0)
        self._buffer = []
        encoded = text.encode("utf-8") + b"\0"
        status = lib.espeak_Synth(
            encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        pcm, self._buffer = b"".join(self._buffer), []
        if status != _EE_OK:
            raise SynthesisError(f"espeak_Synth failed with status {status}")
        return pcm, self.sample_rate


class EspeakEngine:
    """espeak-ng: robotic, offline, always there; WAV at 22,050 Hz mono."""

    name = "espeak"
    max_chars = ESPEAK_MAX_CHARS
    output_format: Literal["mp3", "wav"] = "wav"
    voices: Mapping[str, str] = ESPEAK_VOICES

    def __init__(self, settings: Settings, *, wpm: int = ESPEAK_WPM) -> None:
        self.settings = settings
        self.wpm = wpm
        self.binary = shutil.which("espeak-ng")
        self._cli_slots = asyncio.Semaphore(CLI_CONCURRENCY)
        if self.binary is None and espeak_location() is None:
            raise SynthesisError("espeak-ng not found: install espeak-ng or espeakng-loader")

    @property
    def backend(self) -> str:
        """Where the voice comes from: the system binary or the wheel's library."""
        return f"system ({self.binary})" if self.binary else "library (espeakng-loader)"

    def voice_for(self, language: str) -> str | None:
        """espeak-ng's voice name for a language, or None."""
        return self.voices.get(language.lower().replace("_", "-").split("-")[0])

    async def synthesize(self, text: str, voice: str) -> Clip:
        """Speak one chunk and return it as a WAV clip."""
        if not text.strip():
            return Clip(data=b"", format="wav", sample_rate=ESPEAK_SAMPLE_RATE)
        if self.binary:
            pcm, rate = await self._run_cli(self.binary, text, voice)
        else:
            library = _Library.shared()
            loop = asyncio.get_running_loop()
            pcm, rate = await loop.run_in_executor(
                library.executor, library.synth, text, voice, self.wpm
            )
        if not pcm:
            raise SynthesisError(f"espeak-ng produced no audio for {text[:40]!r}")
        return Clip(data=wav_bytes(pcm, rate), format="wav", sample_rate=rate)

    async def _run_cli(self, binary: str, text: str, voice: str) -> tuple[bytes, int]:
        async with self._cli_slots:
            proc = await asyncio.create_subprocess_exec(
                binary, "-v", voice, "-s", str(self.wpm), "-b", "1", "-z", "--stdout", "--stdin",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await proc.communicate(text.encode("utf-8"))
        if proc.returncode != 0:
            message = err.decode("utf-8", "replace").strip()[-500:]
            raise SynthesisError(f"espeak-ng failed (exit {proc.returncode}): {message}")
        return pcm_from_streamed_wav(out)

    async def aclose(self) -> None:
        """Nothing to release: the library and its thread live as long as the process."""
