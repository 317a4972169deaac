"""espeak-ng, offline: the system binary where there is one, else the wheel's shared library
(HOERCLUB_ESPEAK=system or bundled insists on one).

The library keeps global state (one voice, one callback, one output buffer), so every call into
it runs on ONE dedicated worker thread, shared by every EspeakEngine in the process.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import shutil
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar, Final, Literal

from bot.audio.wav import read_wav, wav_bytes
from bot.config import Settings
from bot.errors import SynthesisError
from bot.models import Clip, Role
from bot.tts.base import SpeechEngine

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

# Voices per role: espeak-ng's variants (espeak-ng-data/voices/!v) on the language's voice. The
# host is a woman's voice beside the default male reader, so the two are told apart at once;
# quotations get a second male variant (m3, lower and slower-sounding) that stays intelligible
# at ESPEAK_WPM; the guest of a conversation speaks with the reader's voice.
ESPEAK_ROLE_VARIANTS: Final[Mapping[Role, str]] = {
    "host": "+f3", "reader": "", "quote": "+m3", "guest": "",
}  # fmt: skip

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


def library_path() -> str | None:
    """libespeak-ng from the espeakng-loader wheel (the extra "bundled"), or None."""
    try:
        import espeakng_loader  # noqa: PLC0415 — optional where the system has espeak-ng
    except ImportError:
        return None
    path = Path(espeakng_loader.get_library_path())
    return str(path) if path.exists() else None


def pcm_from_streamed_wav(data: bytes) -> tuple[bytes, int]:
    """(PCM, sample rate) from the WAV espeak-ng wrote to a pipe (mono 16-bit)."""
    wav = read_wav(data)
    if wav is None:
        raise SynthesisError("espeak-ng did not write WAV audio")
    if wav.channels != 1 or wav.sample_width != 2 or not wav.sample_rate:
        raise SynthesisError(f"espeak-ng wrote {wav.channels} channels at {wav.sample_rate} Hz")
    return wav.pcm, wav.sample_rate


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


class EspeakEngine(SpeechEngine):
    """espeak-ng: robotic, offline, always there; WAV at 22,050 Hz mono."""

    name = "espeak"
    max_chars = ESPEAK_MAX_CHARS
    output_format: Literal["mp3", "wav"] = "wav"
    voices: Mapping[str, str] = ESPEAK_VOICES

    def __init__(self, settings: Settings, *, wpm: int = ESPEAK_WPM) -> None:
        self.settings = settings
        self.wpm = wpm
        choice = settings.espeak
        self.binary = shutil.which("espeak-ng") if choice != "bundled" else None
        self._cli_slots = asyncio.Semaphore(CLI_CONCURRENCY)
        if self.binary is None:
            if choice == "system":
                raise SynthesisError("espeak-ng not on PATH (HOERCLUB_ESPEAK=system)")
            if library_path() is None:
                raise SynthesisError(
                    "espeak-ng not found: install espeak-ng or the extra "
                    "(pip install 'hoerclub[bundled]')"
                )

    @property
    def backend(self) -> str:
        """Where the voice comes from: the system binary or the wheel's library."""
        return f"system ({self.binary})" if self.binary else "library (espeakng-loader)"

    def voices_for(self, language: str) -> dict[Role, str] | None:
        """The language's voice with a variant per role (host "de+f3", reader "de", …)."""
        voice = self.voice_for(language)
        if voice is None:
            return None
        return {role: voice + variant for role, variant in ESPEAK_ROLE_VARIANTS.items()}

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
            if "voice does not exist" in message:  # the command's wording for an unknown -v
                raise SynthesisError(f"espeak-ng has no voice {voice!r}")
            raise SynthesisError(f"espeak-ng failed (exit {proc.returncode}): {message}")
        return pcm_from_streamed_wav(out)

    async def aclose(self) -> None:
        """Nothing to release: the library and its thread live as long as the process."""
