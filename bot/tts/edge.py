"""Microsoft's neural voices through edge-tts: our chunks, a configurable endpoint, a timeout per
chunk, retries with backoff, bounded requests in flight, the speaking rate as the tempo, and the
word boundaries of the `audio.metadata` messages kept on each clip.

edge-tts (the library's home module) speaks the service's WebSocket protocol: the handshake
with its token (Sec-MS-GEC), the `speech.config` and SSML messages, the binary audio messages.
We drive its public `Communicate(...).stream()` and rely on two of its private parts, pinned in
pyproject.toml to the releases tests/tts/test_edge_contract.py passed on (edge-tts 7.3):

- `edge_tts.communicate.WSS_URL`, the module global from which each connection's URL is built
  (f"{WSS_URL}&ConnectionId=…&Sec-MS-GEC=…"): the endpoint seam. The library reads it when a
  connection opens, in the first step of the stream before that step first waits; we set it
  just before that step, so engines with different endpoints in one process (tests) each reach
  their own. It stays set: a bot has one endpoint, and the library's one retry after a 403
  (with its clock corrected) reads it again.
- `Communicate.state["cumulative_audio_bytes"]`, which the library advances only on `turn.end`:
  a stream whose connection closed after some audio ends without error, and this tells us.

Its MP3 (24 kHz mono, 48 kbit/s) joins gTTS's (24 kHz mono, 32 kbit/s) and any other 24 kHz mono
MP3 frame by frame: a frame header carries its own bitrate and the joined file gets a Xing (VBR)
header, so nothing is re-encoded, every clip decodes bit-exact and the duration is the trimmed
clips plus the pauses. Only a clip at another sample rate (espeak's 22,050 Hz WAV, a 44.1 kHz
jingle) makes the assembler decode everything and encode once
(tests/pipeline/test_mixed_engines.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import aiohttp
import edge_tts
import edge_tts.communicate
from edge_tts.exceptions import EdgeTTSException, NoAudioReceived

from bot.config import Settings
from bot.errors import EngineBusyError, SynthesisError
from bot.metrics import tts_request
from bot.models import Clip, WordTiming
from bot.tts.base import SpeechEngine

logger = logging.getLogger(__name__)

# The library cuts text at 4,096 bytes of escaped SSML per request (Communicate's own limit).
# Our chunks stay far below: at 400 characters (~27 s of speech, 2–4 sentences) a 2,000-word
# article was finished in 9.0 s (10.7 s on a busier machine) with 8 requests in flight against
# the fake service at 300 ms a request and 20× real-time streaming (bench.bench_tts, medians of
# 3; 200 characters: 11.0 s / 11.7 s, 800: 9.3 s / 10.5 s, 1,500: 8.9 s / 9.8 s). Shorter chunks
# pay the request latency more often; longer ones gain little (few German paragraphs exceed 800
# characters) and move progress less often. Whole sentences keep the neural intonation.
EDGE_MAX_CHARS: Final = 400
LIBRARY_MAX_BYTES: Final = 4096
# The service answers 24 kHz mono MP3 at 48 kbit/s (the library asks for
# "audio-24khz-48kbitrate-mono-mp3"); used when a header cannot be read.
EDGE_SAMPLE_RATE: Final = 24000
# Backoff as for gTTS: full jitter, from half a second, doubling, capped at 8 s.
BACKOFF_BASE_SECONDS: Final = 0.5
BACKOFF_CAP_SECONDS: Final = 8.0
# The prosody rate the service accepts: half to double speed. A tempo outside is left to atempo.
RATE_RANGE: Final = (0.5, 2.0)
TICKS_PER_SECOND: Final = 10_000_000  # the service's offsets are 100 ns ticks
_RATE_MARK: Final = "@"  # "de-DE-KatjaNeural@+25%": a voice at a rate (part of the cache key)
# The library's own endpoint, Microsoft's, read before any engine sets its own.
LIBRARY_WSS_URL: Final[str] = edge_tts.communicate.WSS_URL  # type: ignore[attr-defined]


@dataclass(frozen=True)
class EdgeVoice:
    """One neural voice: its id, locale, gender and the name shown to users."""

    id: str
    locale: str
    gender: Literal["female", "male"]
    name: str

    @property
    def language(self) -> str:
        """The language code ("de" for "de-AT")."""
        return self.locale.split("-")[0]


# The German voices of Germany, Austria and Switzerland, and English ones; the first voice of
# each locale is its default.
EDGE_VOICES: Final[tuple[EdgeVoice, ...]] = (
    EdgeVoice("de-DE-KatjaNeural", "de-DE", "female", "Katja"),
    EdgeVoice("de-DE-ConradNeural", "de-DE", "male", "Conrad"),
    EdgeVoice("de-DE-AmalaNeural", "de-DE", "female", "Amala"),
    EdgeVoice("de-DE-KillianNeural", "de-DE", "male", "Killian"),
    EdgeVoice("de-DE-FlorianMultilingualNeural", "de-DE", "male", "Florian (mehrsprachig)"),
    EdgeVoice("de-DE-SeraphinaMultilingualNeural", "de-DE", "female", "Seraphina (mehrsprachig)"),
    EdgeVoice("de-AT-IngridNeural", "de-AT", "female", "Ingrid"),
    EdgeVoice("de-AT-JonasNeural", "de-AT", "male", "Jonas"),
    EdgeVoice("de-CH-LeniNeural", "de-CH", "female", "Leni"),
    EdgeVoice("de-CH-JanNeural", "de-CH", "male", "Jan"),
    EdgeVoice("en-US-AvaNeural", "en-US", "female", "Ava"),
    EdgeVoice("en-US-AndrewNeural", "en-US", "male", "Andrew"),
    EdgeVoice("en-US-EmmaMultilingualNeural", "en-US", "female", "Emma (multilingual)"),
    EdgeVoice("en-GB-SoniaNeural", "en-GB", "female", "Sonia"),
    EdgeVoice("en-GB-RyanNeural", "en-GB", "male", "Ryan"),
)
_BY_ID: Final = {voice.id: voice for voice in EDGE_VOICES}
# Language → default voice (the first of the language's first locale).
EDGE_LANGUAGE_VOICES: Final[Mapping[str, str]] = {
    language: next(v.id for v in EDGE_VOICES if v.language == language)
    for language in dict.fromkeys(v.language for v in EDGE_VOICES)
}
# Locale → default voice ("de-AT" → Ingrid): an Austrian article is read by an Austrian voice.
EDGE_LOCALE_VOICES: Final[Mapping[str, str]] = {
    locale: next(v.id for v in EDGE_VOICES if v.locale == locale)
    for locale in dict.fromkeys(v.locale for v in EDGE_VOICES)
}


def rate_for_tempo(tempo: float) -> str | None:
    """The prosody rate for a tempo ("+25%" for 1.25), or None outside what the service takes."""
    if not RATE_RANGE[0] <= tempo <= RATE_RANGE[1]:
        return None
    return f"{round((tempo - 1.0) * 100):+d}%"


def split_voice(voice: str) -> tuple[str, str]:
    """(voice id, prosody rate) from "de-DE-KatjaNeural@+25%" (rate "+0%" when none)."""
    name, _, rate = voice.partition(_RATE_MARK)
    return name, rate or "+0%"


class _Transient(Exception):
    """A failure worth retrying: 429/5xx, a timeout, a dropped or cut-off connection."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class EdgeEngine(SpeechEngine):
    """Microsoft's neural voices (edge-tts): MP3 at 24 kHz mono 48 kbit/s, with word timings."""

    name = "edge"
    max_chars = EDGE_MAX_CHARS
    output_format: Literal["mp3", "wav"] = "mp3"
    voices: Mapping[str, str] = EDGE_LANGUAGE_VOICES

    def __init__(
        self,
        settings: Settings,
        *,
        backoff_base: float = BACKOFF_BASE_SECONDS,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
    ) -> None:
        self.endpoint = settings.edge_endpoint or LIBRARY_WSS_URL
        self.timeout = settings.edge_timeout
        self.attempts = max(1, settings.edge_retries + 1)
        self.concurrency = settings.edge_concurrency
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._random = random.Random()  # noqa: S311 — jitter, not secrets
        # One article's requests are bounded by synthesize_chunks; the engine is shared by every
        # bot worker, so this bounds them all (each worker its own share, as for gTTS).
        self._slots = asyncio.Semaphore(settings.edge_concurrency * settings.workers)

    def voice_for(self, language: str) -> str | None:
        """The voice for a language or locale: "de-AT" → Ingrid, "de" → Katja, else None."""
        code = language.replace("_", "-")
        parts = code.split("-")
        if len(parts) >= 2:
            locale = f"{parts[0].lower()}-{parts[1].upper()}"
            if locale in EDGE_LOCALE_VOICES:
                return EDGE_LOCALE_VOICES[locale]
        return self.voices.get(parts[0].lower())

    def voice_at_tempo(self, voice: str, tempo: float) -> str | None:
        """The voice speaking at `tempo` through the service's rate (pitch kept), or None."""
        rate = rate_for_tempo(tempo)
        if rate is None:
            return None
        name, _ = split_voice(voice)
        return name if rate == "+0%" else f"{name}{_RATE_MARK}{rate}"

    async def synthesize(self, text: str, voice: str) -> Clip:
        """Speak one chunk; retries 429/5xx/timeouts/cut-off streams; raises EngineBusyError."""
        if not text.strip():
            return Clip(data=b"", format="mp3", sample_rate=EDGE_SAMPLE_RATE)
        name, rate = split_voice(voice)
        if name not in _BY_ID:
            raise SynthesisError(f"edge-tts has no voice {name!r} in our catalogue")
        if len(text.encode("utf-8")) > LIBRARY_MAX_BYTES // 2:
            # The chunker never sends this much; escaped SSML must fit one library request.
            raise SynthesisError(f"a {len(text)}-character chunk is too long for edge-tts")
        last: _Transient | None = None
        for attempt in range(self.attempts):
            try:
                async with self._slots:
                    with tts_request(self.name):
                        return await self._speak_once(text, name, rate)
            except _Transient as exc:
                last = exc
                if attempt + 1 == self.attempts:
                    break
                delay = self._random.uniform(
                    0.0, min(self.backoff_cap, self.backoff_base * 2**attempt)
                )
                logger.warning(
                    "edge-tts attempt %d/%d failed (%s); retrying in %.2f s",
                    attempt + 1, self.attempts, exc.message, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
        assert last is not None  # noqa: S101 — the loop ran at least once
        what = f"a {len(text)}-character chunk after {self.attempts} attempts"
        if last.status:
            raise EngineBusyError(
                f"edge-tts kept failing ({last.message}) for {what}", status=last.status
            )
        raise SynthesisError(f"edge-tts {last.message} for {what}")

    async def _speak_once(self, text: str, voice: str, rate: str) -> Clip:
        """One connection: audio and word boundaries; raises _Transient or SynthesisError."""
        started = time.perf_counter()
        communicate = edge_tts.Communicate(
            text,
            voice,
            rate=rate,
            boundary="WordBoundary",
            connect_timeout=max(1, round(self.timeout)),
            receive_timeout=max(1, round(self.timeout)),
        )
        audio = bytearray()
        words: list[WordTiming] = []
        stream = communicate.stream()
        try:
            async with asyncio.timeout(self.timeout):
                # The seam: the first step opens the connection from this global (see above).
                edge_tts.communicate.WSS_URL = self.endpoint  # type: ignore[attr-defined]
                async for message in stream:
                    if message["type"] == "audio":
                        audio += message.get("data", b"")
                    elif message["type"] == "WordBoundary":
                        words.append(
                            WordTiming(
                                text=message.get("text", ""),
                                start=message.get("offset", 0) / TICKS_PER_SECOND,
                                duration=message.get("duration", 0) / TICKS_PER_SECOND,
                            )
                        )
        except TimeoutError as exc:
            raise _Transient(f"did not finish within {self.timeout:g} s") from exc
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 429 or exc.status >= 500:
                raise _Transient(f"HTTP {exc.status}", status=exc.status) from exc
            raise SynthesisError(
                f"edge-tts was refused (HTTP {exc.status}); the service or its token may have "
                "changed",
                status=exc.status,
            ) from exc
        except NoAudioReceived as exc:
            raise _Transient("sent no audio") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise _Transient(f"could not be reached ({exc.__class__.__name__}: {exc})") from exc
        except EdgeTTSException as exc:
            raise SynthesisError(f"edge-tts answered unexpectedly: {exc}") from exc
        finally:
            await stream.aclose()
        if communicate.state["cumulative_audio_bytes"] != len(audio):
            # turn.end never came: the connection closed mid-stream.
            raise _Transient(f"stopped after {len(audio)} bytes (connection closed)")
        logger.debug(
            "edge-tts %d chars in %.0f ms", len(text), (time.perf_counter() - started) * 1000
        )
        return Clip(
            data=bytes(audio), format="mp3", sample_rate=EDGE_SAMPLE_RATE, words=tuple(words)
        )

    async def aclose(self) -> None:
        """Nothing to release: each chunk's connection is closed when it is done."""
