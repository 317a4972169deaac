"""A local server that speaks gTTS's wire format and answers with real MP3 speech-like audio.

`FakeGTTS` listens on 127.0.0.1 in a thread (the gTTS engine is synchronous and runs in
threads, so the server must answer several requests at once). It parses `f.req` the way
Google's batchexecute endpoint does, and answers `)]}'` plus lines, one of which carries the
base64 MP3 after `jQ1olc`. The audio is a LAME-encoded 24 kHz mono 32 kbit/s clip (like
Google's) of about 65 ms per character, with digital silence before and after the "speech",
as a synthesiser pads its output.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs

from bot.audio.mp3 import parse_mp3, silent_frame
from bot.pipeline.media import ffmpeg_exe
from tests.support.threaded_http import serve_in_thread, stop_serving

# Real speech: German TTS at Google's default speed runs at about 14–16 characters a second.
SECONDS_PER_CHAR = 0.065
BUCKET_SECONDS = 0.2  # clip lengths are pre-encoded in steps of this
MAX_SPEECH_SECONDS = 8.0  # 100 characters at 65 ms plus headroom
_COMPACT = (",", ":")  # Google sends JSON without spaces; gTTS's regex relies on it
LEAD_SILENCE_MS = 120
TRAIL_SILENCE_MS = 250
SUPPORTED_LANGS = frozenset({
    "af", "ar", "bg", "bn", "bs", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "fi",
    "fr", "gu", "hi", "hr", "hu", "id", "is", "it", "ja", "jw", "km", "kn", "ko", "la", "lv",
    "ml", "mr", "ms", "my", "ne", "nl", "no", "pl", "pt", "ro", "ru", "si", "sk", "sq", "sr",
    "su", "sv", "sw", "ta", "te", "th", "tl", "tr", "uk", "ur", "vi", "zh",
})  # fmt: skip


def speech_seconds(text: str) -> float:
    """How long the fake's "speech" (without the padding) lasts for this text."""
    buckets = round(len(text) * SECONDS_PER_CHAR / BUCKET_SECONDS)
    return max(1, min(buckets, round(MAX_SPEECH_SECONDS / BUCKET_SECONDS))) * BUCKET_SECONDS


@cache
def clip_bank() -> dict[int, bytes]:
    """MP3 clips by number of BUCKET_SECONDS steps, encoded once per process with one ffmpeg."""
    ffmpeg = ffmpeg_exe()
    steps = range(1, round(MAX_SPEECH_SECONDS / BUCKET_SECONDS) + 1)
    # One source of "speech", split and cut to every length: a voiced buzz with a wandering
    # pitch, syllable-rate loudness and some breath noise, padded with digital silence. LAME
    # takes 576 samples a frame at 24 kHz; older ffmpeg (Debian's 5.1) does not re-frame a
    # complex filter graph's output for it.
    source = (
        "aevalsrc='(0.22*sin(2*PI*(135+25*sin(2*PI*0.7*t))*t)"
        "+0.1*sin(2*PI*(270+50*sin(2*PI*0.7*t))*t)+0.03*(random(0)-0.5))"
        f"*(0.6+0.4*sin(2*PI*4.2*t))':s=24000:d={MAX_SPEECH_SECONDS}"
    )
    graph = [f"{source},asplit={len(steps)}" + "".join(f"[s{step}]" for step in steps)]
    outputs: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fake-gtts-") as tmp:
        for step in steps:
            graph.append(
                f"[s{step}]atrim=0:{step * BUCKET_SECONDS:.3f},adelay={LEAD_SILENCE_MS}:all=1,"
                f"apad=pad_dur={TRAIL_SILENCE_MS / 1000},asetnsamples=n=576:p=0[a{step}]"
            )
            out = str(Path(tmp) / f"{step}.mp3")
            outputs += ["-map", f"[a{step}]", "-ac", "1", "-ar", "24000", "-c:a", "libmp3lame",
                        "-b:a", "32k", "-map_metadata", "-1", "-id3v2_version", "0",
                        out]  # fmt: skip
        subprocess.run(
            [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
             "-filter_complex", ";".join(graph), *outputs],
            check=True, timeout=120,
        )  # fmt: skip
        return {step: (Path(tmp) / f"{step}.mp3").read_bytes() for step in steps}


def mp3_for(text: str) -> bytes:
    """The MP3 answer for a text: longer texts give longer audio."""
    return clip_bank()[round(speech_seconds(text) / BUCKET_SECONDS)]


def parse_freq(body: bytes) -> tuple[str, str]:
    """(text, lang) from a batchexecute POST body, as Google reads `f.req`."""
    form = parse_qs(body.decode("utf-8"))
    rpc = json.loads(form["f.req"][0])
    rpc_id, inner, _, _ = rpc[0][0]
    if rpc_id != "jQ1olc":
        raise ValueError(f"unknown rpc {rpc_id}")
    params = json.loads(inner)
    return str(params[0]), str(params[1])


def answer_body(mp3: bytes | None) -> bytes:
    """A batchexecute answer: the XSSI guard, length-prefixed JSON lines, audio in jQ1olc."""
    payload = json.dumps([base64.b64encode(mp3).decode("ascii")]) if mp3 is not None else None
    first = json.dumps(
        [["wrb.fr", "jQ1olc", payload, None, None, None, "generic"]], separators=_COMPACT
    )
    second = json.dumps(
        [["di", 42], ["af.httprm", 41, "-4218493205512445851", 3]], separators=_COMPACT
    )
    return f")]}}'\n\n{len(first)}\n{first}\n{len(second)}\n{second}\n".encode()


Corruption = Literal["garbage", "truncated", "empty", "silent"]


def corrupted(mp3: bytes, how: Corruption) -> bytes:
    """A broken answer a misbehaving service sends with status 200: an HTML error page instead
    of audio, the first third of the MP3 (cut inside a frame), well-formed frames of nothing
    but digital silence, or nothing at all."""
    if how == "garbage":
        return b"<html><body>Service temporarily degraded</body></html>" * 20
    if how == "truncated":
        frames = parse_mp3(mp3)
        frame = frames[len(frames) // 3]
        return mp3[: frame.offset + frame.size // 2]  # a dropped connection mid-frame
    if how == "silent":
        frames = parse_mp3(mp3)
        return silent_frame(frames[0].kind) * len(frames)
    return b""


class FakeGTTS:
    """The fake endpoint: `.url`, `.delay`, `.fail_next(n, status)`, `.corrupt_next(n, how)`,
    `.texts`, `.max_concurrent`."""

    def __init__(self) -> None:
        self.delay = 0.0
        self.texts: list[str] = []
        self.langs: list[str] = []
        self.statuses: list[int] = []
        self.requests = 0
        self.max_concurrent = 0
        self.fail_probability = 0.0
        self.fail_probability_status = 429
        self._active = 0
        self._fail_queue: list[int] = []
        self._corrupt_queue: list[Corruption] = []
        self._stall_queue: list[float] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._random = random.Random(1234)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        clip_bank()  # encode before the first request is timed

    # --- control ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The endpoint to put into HOERCLUB_GTTS_ENDPOINT."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/_/TranslateWebserverUi/data/batchexecute"

    def fail_next(self, n: int, status: int = 500) -> None:
        """Answer the next n requests with this HTTP status."""
        with self._lock:
            self._fail_queue.extend([status] * n)

    def corrupt_next(self, n: int, how: Corruption = "garbage") -> None:
        """Answer the next n requests with 200 and broken audio (see `corrupted`)."""
        with self._lock:
            self._corrupt_queue.extend([how] * n)

    def fail_randomly(self, probability: float, status: int = 429, seed: int = 1234) -> None:
        """Answer each request with `status` with this probability (seeded, reproducible)."""
        with self._lock:
            self.fail_probability = probability
            self.fail_probability_status = status
            self._random = random.Random(seed)

    def stall_next(self, n: int, seconds: float) -> None:
        """Hold the next n requests this long before answering (to trigger client timeouts)."""
        with self._lock:
            self._stall_queue.extend([seconds] * n)

    def reset(self) -> None:
        """Forget recorded requests and failure plans."""
        with self._lock:
            self.texts.clear()
            self.langs.clear()
            self.statuses.clear()
            self.requests = 0
            self.max_concurrent = 0
            self._fail_queue.clear()
            self._corrupt_queue.clear()
            self._stall_queue.clear()
            self.fail_probability = 0.0

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> FakeGTTS:
        """Listen on a free port of 127.0.0.1."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: with Nagle's algorithm on, the second
            # waits for the client's delayed ACK (40 ms on Linux), which Google does not add.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                # A client that gave up (a timeout test) leaves a broken pipe behind.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
                    fake._handle(self)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = serve_in_thread(server)
        return self

    def stop(self) -> None:
        """Stop listening and wake stalled requests."""
        self._stop.set()
        stop_serving(self._server, self._thread)

    def __enter__(self) -> FakeGTTS:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- serving ------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", "0"))
        body = request.rfile.read(length)
        with self._lock:
            self.requests += 1
            self._active += 1
            self.max_concurrent = max(self.max_concurrent, self._active)
            status = self._fail_queue.pop(0) if self._fail_queue else 200
            if (
                status == 200
                and self.fail_probability
                and self._random.random() < self.fail_probability
            ):
                status = self.fail_probability_status
            corrupt = self._corrupt_queue.pop(0) if status == 200 and self._corrupt_queue else None
            stall = self._stall_queue.pop(0) if self._stall_queue else 0.0
            delay = self.delay
        try:
            try:
                text, lang = parse_freq(body)
            except (KeyError, ValueError, IndexError, TypeError):
                self._send(request, 400, b"bad f.req")
                return
            with self._lock:
                self.texts.append(text)
                self.langs.append(lang)
            if delay or stall:
                self._stop.wait(delay + stall)
            with self._lock:
                self.statuses.append(status)
            if status != 200:
                extra = {"Retry-After": "0"} if status == 429 else {}
                self._send(request, status, b"<html>Error</html>", extra)
                return
            audio = mp3_for(text) if lang in SUPPORTED_LANGS else None
            if audio is not None and corrupt is not None:
                audio = corrupted(audio, corrupt)
            self._send(request, 200, answer_body(audio), {"Content-Type": "application/json"})
        finally:
            with self._lock:
                self._active -= 1

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        request.send_response(status)
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
        request.wfile.flush()


@contextmanager
def running_fake(delay: float = 0.0) -> Iterator[FakeGTTS]:
    """A started FakeGTTS for the duration of a with-block."""
    fake = FakeGTTS()
    fake.delay = delay
    with fake:
        yield fake
