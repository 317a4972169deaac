"""A local WebSocket server that speaks edge-tts's wire protocol and answers with real MP3 audio.

`FakeEdge` listens on 127.0.0.1 (an aiohttp application on its own event loop in a thread, so
a test's loop that blocks cannot stall it). It reads what the library sends: the handshake with
its query parameters (TrustedClientToken, ConnectionId, Sec-MS-GEC, Sec-MS-GEC-Version), the
`speech.config` text message and the `ssml` message. It answers as Microsoft's service does:

- text `turn.start`, then binary audio messages: a 2-byte big-endian header length, the text
  headers (`X-RequestId`, `Content-Type:audio/mpeg`, `X-StreamId`, `Path:audio`, CRLF each) and
  MP3 data (LAME at 24 kHz mono 48 kbit/s CBR, the service's `audio-24khz-48kbitrate-mono-mp3`,
  raw frames without an Info header, as a stream has none);
- text `audio.metadata` messages with one WordBoundary each (offsets and durations in 100 ns
  ticks) when word boundaries were asked for;
- a last binary audio message with headers only, then text `turn.end`.

The "speech" lasts SECONDS_PER_CHAR per character divided by the prosody rate, with digital
silence before and after, as a synthesiser pads its output. The fake can be told to be slow
(`delay`, `stall_next`), to refuse the handshake (`fail_next(n, 403|429|500)`), to close the
connection mid-stream (`close_next`), and to answer an unknown voice with no audio at all.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Final
from xml.sax.saxutils import unescape

from aiohttp import WSMsgType, web

from bot.pipeline.media import ffmpeg_exe

SECONDS_PER_CHAR: Final = 0.065  # as the gTTS fake: about 15 characters a second
BUCKET_SECONDS: Final = 0.1  # clip lengths are encoded in steps of this (cached per process)
LEAD_SILENCE_MS: Final = 100
TRAIL_SILENCE_MS: Final = 200
TICKS_PER_SECOND: Final = 10_000_000
SAMPLE_RATE: Final = 24000
BITRATE: Final = "48k"
AUDIO_MESSAGE_BYTES: Final = 4096  # the service sends audio in pieces of about this size
TRUSTED_CLIENT_TOKEN: Final = "6A5AA1D4EAFF4E9FB37E23D68491D6F4"
PATH: Final = "/consumer/speech/synthesize/readaloud/edge/v1"
# Voices the fake knows, as the library writes them into the SSML.
KNOWN_VOICE: Final = re.compile(
    r"^Microsoft Server Speech Text to Speech Voice \((?:de-DE|de-AT|de-CH|en-US|en-GB|fr-FR),"
    r" \w+Neural\)$"
)
_SSML: Final = re.compile(
    r"<voice name='(?P<voice>[^']*)'><prosody pitch='(?P<pitch>[^']*)' rate='(?P<rate>[^']*)'"
    r" volume='(?P<volume>[^']*)'>(?P<text>.*)</prosody></voice></speak>\s*$",
    re.DOTALL,
)


def rate_factor(rate: str) -> float:
    """The speed a prosody rate asks for: "+25%" is 1.25, "-10%" 0.9."""
    return 1.0 + int(rate.rstrip("%")) / 100


def speech_seconds(text: str, rate: str = "+0%") -> float:
    """How long the fake's "speech" (without the padding) lasts for this text at this rate."""
    seconds = len(text) * SECONDS_PER_CHAR / rate_factor(rate)
    return max(1, round(seconds / BUCKET_SECONDS)) * BUCKET_SECONDS


@cache
def mp3_of(steps: int) -> bytes:
    """LAME MP3 (24 kHz mono 48 kbit/s, raw frames) of `steps` buckets of "speech", padded."""
    seconds = steps * BUCKET_SECONDS
    source = (
        "aevalsrc='(0.22*sin(2*PI*(180+30*sin(2*PI*0.9*t))*t)"
        "+0.1*sin(2*PI*(360+60*sin(2*PI*0.9*t))*t)+0.03*(random(0)-0.5))"
        f"*(0.6+0.4*sin(2*PI*4.5*t))':s={SAMPLE_RATE}:d={seconds:.3f}"
    )
    graph = (
        f"{source},adelay={LEAD_SILENCE_MS}:all=1,apad=pad_dur={TRAIL_SILENCE_MS / 1000},"
        "asetnsamples=n=576:p=0"
    )
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-filter_complex", graph,
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "libmp3lame", "-b:a", BITRATE,
         "-write_xing", "0", "-id3v2_version", "0", "-map_metadata", "-1", "-f", "mp3", "pipe:1"],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    return done.stdout


def mp3_for(text: str, rate: str = "+0%") -> bytes:
    """The MP3 the fake sends for a text: longer texts and slower rates give longer audio."""
    return mp3_of(round(speech_seconds(text, rate) / BUCKET_SECONDS))


@dataclass(frozen=True)
class Boundary:
    """One word as the fake reports it: offset and duration in ticks, and the word."""

    offset: int
    duration: int
    text: str


def word_boundaries(text: str, rate: str = "+0%") -> list[Boundary]:
    """Each word's place in the fake's speech: evenly by characters, after the lead silence."""
    total = speech_seconds(text, rate)
    per_char = total / max(1, len(text))
    out = []
    for match in re.finditer(r"\w[\w'’-]*", text):
        start = LEAD_SILENCE_MS / 1000 + match.start() * per_char
        length = (match.end() - match.start()) * per_char
        out.append(
            Boundary(
                round(start * TICKS_PER_SECOND), round(length * TICKS_PER_SECOND), match.group()
            )
        )
    return out


def parse_headers(message: str) -> tuple[dict[str, str], str]:
    """(headers, body) of a text message as the library sends it (CRLF lines, blank line)."""
    head, _, body = message.partition("\r\n\r\n")
    headers = dict(line.split(":", 1) for line in head.split("\r\n") if ":" in line)
    return headers, body


def parse_ssml(ssml: str) -> tuple[str, str, str, str]:
    """(voice, rate, pitch, text) from the library's SSML; raises ValueError when unreadable."""
    found = _SSML.search(ssml)
    if found is None:
        raise ValueError("unreadable SSML")
    text = unescape(found["text"], {"&quot;": '"', "&apos;": "'"})
    return found["voice"], found["rate"], found["pitch"], text


def text_message(request_id: str, path: str, body: str) -> str:
    """A text message of the service: headers, a blank line, the JSON body."""
    return (
        f"X-RequestId:{request_id}\r\nContent-Type:application/json; charset=utf-8\r\n"
        f"Path:{path}\r\n\r\n{body}"
    )


def audio_message(request_id: str, data: bytes) -> bytes:
    """A binary audio message: 2-byte header length, CRLF headers, then the MP3 bytes."""
    content = "Content-Type:audio/mpeg\r\n" if data else ""
    headers = (
        f"X-RequestId:{request_id}\r\n{content}X-StreamId:{uuid.uuid4().hex.upper()}\r\n"
        "Path:audio\r\n"
    ).encode()
    return len(headers).to_bytes(2, "big") + headers + data


def metadata_body(boundary: Boundary) -> str:
    """An audio.metadata body with one WordBoundary, as the service sends it."""
    return json.dumps(
        {
            "Metadata": [
                {
                    "Type": "WordBoundary",
                    "Data": {
                        "Offset": boundary.offset,
                        "Duration": boundary.duration,
                        "text": {
                            "Text": boundary.text,
                            "Length": len(boundary.text),
                            "BoundaryType": "WordBoundary",
                        },
                    },
                }
            ]
        }
    )


@dataclass
class Request:
    """What one connection asked for."""

    query: dict[str, str]
    config: dict[str, object]
    voice: str
    rate: str
    pitch: str
    text: str


class FakeEdge:
    """The fake service: `.url`, `.delay`, `.fail_next`, `.close_next`, `.requests`, ..."""

    def __init__(self) -> None:
        self.delay = 0.0  # seconds before the first answer of each request
        self.seconds_per_audio_second = 0.0  # streaming speed: 0 = instantly
        self.requests: list[Request] = []
        self.handshakes = 0
        self.max_concurrent = 0
        self._active = 0
        self._fail_queue: list[int] = []
        self._close_queue: list[bool] = []
        self._stall_queue: list[float] = []
        self._fail_after: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None

    # --- control ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The endpoint to put into HOERCLUB_EDGE_ENDPOINT (the library adds its parameters)."""
        return f"ws://127.0.0.1:{self._port}{PATH}?TrustedClientToken={TRUSTED_CLIENT_TOKEN}"

    def fail_next(self, n: int, status: int = 500) -> None:
        """Refuse the next n handshakes with this HTTP status (403, 429, 500, ...)."""
        with self._lock:
            self._fail_queue.extend([status] * n)

    def fail_after(self, n: int, status: int = 503) -> None:
        """Answer n more handshakes, then refuse every later one with this status."""
        with self._lock:
            self._fail_after = (self.handshakes + n, status)

    def close_next(self, n: int) -> None:
        """Close the next n connections after the first audio message."""
        with self._lock:
            self._close_queue.extend([True] * n)

    def stall_next(self, n: int, seconds: float) -> None:
        """Hold the next n requests this long before answering (to trigger client timeouts)."""
        with self._lock:
            self._stall_queue.extend([seconds] * n)

    def reset(self) -> None:
        """Forget recorded requests and failure plans."""
        with self._lock:
            self.requests.clear()
            self.handshakes = 0
            self.max_concurrent = 0
            self._fail_queue.clear()
            self._close_queue.clear()
            self._stall_queue.clear()
            self._fail_after = None

    @property
    def texts(self) -> list[str]:
        """The texts spoken so far, in the order they arrived."""
        with self._lock:
            return [request.text for request in self.requests]

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeEdge:
        """Listen on a free port of 127.0.0.1 in a thread with its own event loop."""
        self._thread = threading.Thread(target=self._serve, name="fake-edge", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake edge server did not start")
        return self

    def stop(self) -> None:
        """Stop listening and end open connections."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeEdge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        app = web.Application()
        app.router.add_get(PATH, self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp keeps the listening server here; the port is chosen
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        await self._stopping.wait()
        await self._runner.cleanup()

    # --- serving ------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        query = dict(request.query)
        with self._lock:
            self.handshakes += 1
            status = self._fail_queue.pop(0) if self._fail_queue else 101
            if self._fail_after is not None and self.handshakes > self._fail_after[0]:
                status = self._fail_after[1]
            close = self._close_queue.pop(0) if self._close_queue else False
            stall = self._stall_queue.pop(0) if self._stall_queue else 0.0
        required = ("TrustedClientToken", "ConnectionId", "Sec-MS-GEC", "Sec-MS-GEC-Version")
        if any(not query.get(name) for name in required):
            return web.Response(status=400, text="missing query parameter")
        if query["TrustedClientToken"] != TRUSTED_CLIENT_TOKEN:
            return web.Response(status=403, text="bad token")
        if status != 101:
            # A Date header lets the library correct its clock on 403 and try once more.
            return web.Response(status=status, text="refused")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        with self._lock:
            self._active += 1
            self.max_concurrent = max(self.max_concurrent, self._active)
        try:
            await self._converse(ws, query, close=close, stall=stall)
        finally:
            with self._lock:
                self._active -= 1
        return ws

    async def _converse(
        self, ws: web.WebSocketResponse, query: dict[str, str], *, close: bool, stall: float
    ) -> None:
        config: dict[str, object] = {}
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                await ws.close(code=1003, message=b"text messages only")
                return
            headers, body = parse_headers(message.data)
            path = headers.get("Path")
            if path == "speech.config":
                config = json.loads(body)
                continue
            if path != "ssml":
                await ws.close(code=1003, message=b"unknown path")
                return
            voice, rate, pitch, text = parse_ssml(body)
            request_id = headers.get("X-RequestId", uuid.uuid4().hex)
            with self._lock:
                self.requests.append(Request(query, config, voice, rate, pitch, text))
            wait = self.delay + stall
            if wait:
                await asyncio.sleep(wait)
            await self._speak(ws, config, request_id, Request(query, config, voice, rate, "", text),
                              close=close)  # fmt: skip
            return

    async def _speak(
        self,
        ws: web.WebSocketResponse,
        config: dict[str, object],
        request_id: str,
        asked: Request,
        *,
        close: bool,
    ) -> None:
        voice, rate, text = asked.voice, asked.rate, asked.text
        await ws.send_str(text_message(request_id, "turn.start", '{"context":{}}'))
        if not KNOWN_VOICE.match(voice):
            # The service answers an unknown voice with no audio at all.
            await ws.send_str(text_message(request_id, "turn.end", "{}"))
            return
        audio = mp3_for(text, rate)
        words = word_boundaries(text, rate) if _wants_words(config) else []
        pieces = [
            audio[i : i + AUDIO_MESSAGE_BYTES] for i in range(0, len(audio), AUDIO_MESSAGE_BYTES)
        ]
        seconds = speech_seconds(text, rate)
        pause = self.seconds_per_audio_second * seconds / max(1, len(pieces))
        for index, piece in enumerate(pieces):
            await ws.send_bytes(audio_message(request_id, piece))
            if close:
                await ws.close()
                return
            # Metadata arrives interleaved with the audio it describes.
            share = (index + 1) / len(pieces)
            while words and words[0].offset <= share * (seconds + 0.3) * TICKS_PER_SECOND:
                await ws.send_str(
                    text_message(request_id, "audio.metadata", metadata_body(words.pop(0)))
                )
            if pause:
                await asyncio.sleep(pause)
        for boundary in words:
            await ws.send_str(text_message(request_id, "audio.metadata", metadata_body(boundary)))
        await ws.send_bytes(audio_message(request_id, b""))
        await ws.send_str(text_message(request_id, "turn.end", "{}"))


def _wants_words(config: dict[str, object]) -> bool:
    try:
        options = config["context"]["synthesis"]["audio"]["metadataoptions"]  # type: ignore[index]
    except (KeyError, TypeError):
        return False
    return str(options.get("wordBoundaryEnabled")) == "true"  # type: ignore[union-attr]


@contextmanager
def running_fake(delay: float = 0.0) -> Iterator[FakeEdge]:
    """A started FakeEdge for the duration of a with-block."""
    fake = FakeEdge()
    fake.delay = delay
    with fake:
        yield fake
