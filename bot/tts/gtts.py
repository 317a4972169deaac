"""Google Translate's voice through gTTS: our chunks as they are, a configurable endpoint,
timeouts, retries with backoff, and bounded concurrency in worker threads.

gTTS (the library's home module) builds the request: its RPC packaging and headers. We turn off
its tokenizer and pre-processors (they cut "am 24. November" apart and delete sentence periods)
and send the prepared request ourselves, because gTTS's own `stream()` sends with TLS
verification switched off, opens a new connection per request, has no retry and cannot tell a
429 from a timeout.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import re
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Final, Literal

import requests
from gtts import gTTS
from requests.adapters import HTTPAdapter

from bot.config import Settings
from bot.errors import EngineBusyError, SynthesisError
from bot.metrics import tts_request
from bot.models import Clip
from bot.tts.base import SpeechEngine
from bot.tts.cache import audio_sample_rate, clip_problem

logger = logging.getLogger(__name__)

# Google's limit per request, from gTTS (GOOGLE_TTS_MAX_CHARS).
GTTS_MAX_CHARS: Final = 100
# Google answers MP3 at 24 kHz mono (its frame headers say so); used when a header cannot be read.
GTTS_SAMPLE_RATE: Final = 24000
# Backoff: full jitter (AWS architecture blog, "Exponential Backoff and Jitter"), starting at
# half a second and doubling, capped at 8 s: the default 4 retries wait at most
# 0.5 + 1 + 2 + 4 = 7.5 s in all (a Retry-After header can ask for more).
BACKOFF_BASE_SECONDS: Final = 0.5
BACKOFF_CAP_SECONDS: Final = 8.0
# A Retry-After longer than this is not waited for in full (the user is waiting).
RETRY_AFTER_CAP_SECONDS: Final = 30.0

_AUDIO_RE: Final = re.compile(r'jQ1olc","\[\\"(.*)\\"]')  # gTTS's own pattern (gtts/tts.py)

# Languages Google Translate speaks that our pipeline may detect; the voice id is gTTS's lang.
GTTS_VOICES: Final[Mapping[str, str]] = {
    "de": "de", "en": "en", "fr": "fr", "es": "es", "it": "it", "nl": "nl", "pl": "pl",
    "pt": "pt", "sv": "sv", "da": "da", "no": "no", "nb": "no", "fi": "fi", "cs": "cs",
    "sk": "sk", "hu": "hu", "ro": "ro", "hr": "hr", "el": "el", "tr": "tr", "ru": "ru",
    "uk": "uk", "bg": "bg", "ca": "ca", "et": "et", "lv": "lv", "is": "is", "sr": "sr",
}  # fmt: skip


def _whole(text: str) -> list[str]:
    """A tokenizer that keeps our chunk as it is."""
    return [text]


class _ChunkTTS(gTTS):  # type: ignore[misc]  # gTTS ships no type information
    """gTTS for one of our chunks: no tokenizer, no pre-processors, our endpoint."""

    def __init__(self, text: str, lang: str, endpoint: str) -> None:
        super().__init__(
            text,
            lang=lang,
            lang_check=False,  # would otherwise fetch the language list from Google
            pre_processor_funcs=[],
            tokenizer_func=_whole,
        )
        self.endpoint = endpoint

    def _prepare_requests(self) -> list[requests.PreparedRequest]:
        """gTTS's request building, with the endpoint replaced."""
        return [
            requests.Request(
                method="POST",
                url=self.endpoint,
                data=self._package_rpc(part),
                headers=self.GOOGLE_TTS_HEADERS,
            ).prepare()
            for part in self._tokenize(self.text)
        ]


class _Transient(Exception):
    """A failure worth retrying: 429, 5xx, a timeout, a dropped connection or broken audio."""

    def __init__(
        self,
        reason: Literal["status", "timeout", "connection", "audio"],
        *,
        message: str,
        status: int = 0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from Google; the backoff applies


def _extract_audio(body: str) -> bytes | None:
    for line in body.splitlines():
        if "jQ1olc" in line:
            found = _AUDIO_RE.search(line)
            if found:
                return base64.b64decode(found.group(1).encode("ascii"))
    return None


class GTTSEngine(SpeechEngine):
    """The gTTS engine: Google Translate's voices, MP3 at 24 kHz mono, 100 characters a request.

    One voice per language for every role (the inherited `voices_for`): Google's `tld` changes
    the accent only for a few languages (English, French, Portuguese, Spanish, Chinese), German
    sounds the same on every domain, and our configurable endpoint fixes the domain anyway.
    """

    name = "gtts"
    max_chars = GTTS_MAX_CHARS
    output_format: Literal["mp3", "wav"] = "mp3"
    voices: Mapping[str, str] = GTTS_VOICES

    def __init__(
        self,
        settings: Settings,
        *,
        backoff_base: float = BACKOFF_BASE_SECONDS,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
    ) -> None:
        self.endpoint = settings.gtts_endpoint
        self.timeout = settings.gtts_timeout
        self.attempts = max(1, settings.gtts_retries + 1)
        self.concurrency = settings.tts_concurrency
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._random = random.Random()  # noqa: S311 — jitter, not secrets
        # HOERCLUB_TTS_CONCURRENCY bounds one article's requests (synthesize_chunks holds that
        # semaphore); the engine is shared by every bot worker, so its threads allow each
        # worker its own share: one user's long article does not starve everyone else's
        # first chunks (bench_bot: median first audio 22 s with one shared bound of 4).
        in_flight = settings.tts_concurrency * settings.workers
        self._executor = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="gtts")
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=in_flight, max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    async def synthesize(self, text: str, voice: str) -> Clip:
        """Speak one chunk; retries 429/5xx/timeouts with backoff; raises EngineBusyError."""
        if not text.strip():
            return Clip(data=b"", format="mp3", sample_rate=GTTS_SAMPLE_RATE)
        # Text over the limit (the chunker never sends any) goes out in several requests.
        prepared = _ChunkTTS(text, voice, self.endpoint)._prepare_requests()
        parts = [await self._send_with_retries(request, text) for request in prepared]
        data = b"".join(parts)
        rate = audio_sample_rate(data, "mp3") if data else GTTS_SAMPLE_RATE
        return Clip(data=data, format="mp3", sample_rate=rate or GTTS_SAMPLE_RATE)

    async def _send_with_retries(self, request: requests.PreparedRequest, text: str) -> bytes:
        loop = asyncio.get_running_loop()
        last: _Transient | None = None
        for attempt in range(self.attempts):
            try:
                # The pool has a thread for every request in flight: no wait before sending.
                with tts_request(self.name):
                    return await loop.run_in_executor(self._executor, self._send_once, request)
            except _Transient as exc:
                last = exc
                if attempt + 1 == self.attempts:
                    break
                delay = self._random.uniform(
                    0.0, min(self.backoff_cap, self.backoff_base * 2**attempt)
                )
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, RETRY_AFTER_CAP_SECONDS))
                logger.warning(
                    "gTTS attempt %d/%d failed (%s); retrying in %.2f s",
                    attempt + 1, self.attempts, exc.message, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
        assert last is not None  # noqa: S101 — the loop ran at least once
        what = f"a {len(text)}-character chunk after {self.attempts} attempts"
        if last.reason == "status":
            raise EngineBusyError(
                f"Google TTS kept failing ({last.message}) for {what}", status=last.status
            )
        raise SynthesisError(f"Google TTS {last.message} for {what}")

    def _send_once(self, request: requests.PreparedRequest) -> bytes:
        """One blocking request (in a worker thread); raises _Transient or SynthesisError."""
        started = time.perf_counter()
        env = self._session.merge_environment_settings(request.url or "", {}, None, None, None)
        try:
            response = self._session.send(
                request, timeout=self.timeout, allow_redirects=False, **env
            )
        except requests.Timeout as exc:
            raise _Transient(
                "timeout", message=f"did not answer within {self.timeout:g} s"
            ) from exc
        except requests.ConnectionError as exc:
            raise _Transient("connection", message=f"could not be reached ({exc})") from exc
        except requests.RequestException as exc:
            raise SynthesisError(f"Google TTS request failed: {exc}") from exc
        status = response.status_code
        logger.debug("gTTS %s in %.0f ms", status, (time.perf_counter() - started) * 1000)
        if status == 429 or status >= 500:
            raise _Transient(
                "status",
                status=status,
                retry_after=_retry_after(response.headers.get("Retry-After")),
                message=f"HTTP {status} {response.reason}",
            )
        if status != 200:
            raise SynthesisError(
                f"Google TTS refused the request (HTTP {status} {response.reason}); "
                "the endpoint or its format may have changed",
                status=status,
            )
        audio = _extract_audio(response.text)
        if not audio:
            raise SynthesisError("Google TTS answered without audio (unsupported voice?)")
        problem = clip_problem(audio, "mp3")
        if problem is not None:  # a glitch in the service (or a proxy's page): asked again
            raise _Transient("audio", message=f"answered with broken audio ({problem})")
        return audio

    async def aclose(self) -> None:
        """Stop the worker threads and close connections."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._session.close()
