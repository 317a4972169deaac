"""ffmpeg: finding it and running it. Every ffmpeg the bot starts goes through this module.

MP3 frames are read and written in Python by bot.audio.mp3; this module is for what needs a codec.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import subprocess
from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Literal

from bot.config import load_settings
from bot.errors import AudioError

logger = logging.getLogger(__name__)

# How much of ffmpeg's stderr goes into an AudioError: enough for the actual complaint.
STDERR_TAIL_CHARS: Final = 1500
# Bytes per write to an encoder's stdin: large enough to keep the pipe full, small enough
# that the event loop interleaves other work.
PIPE_WRITE_BYTES: Final = 256 * 1024

_TIME_RE: Final = re.compile(rb"time=\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


# --- the tools -----------------------------------------------------------------------------
ToolChoice = Literal["auto", "system", "bundled"]


@cache
def ffmpeg_exe() -> str:
    """The system's ffmpeg, else the imageio-ffmpeg wheel's; HOERCLUB_FFMPEG can insist on one.

    Found once per process; the choice comes from the same environment and `.env` as the
    settings, which reach the pipeline's stages but not every caller of ffmpeg.
    """
    return find_ffmpeg(load_settings().ffmpeg)


def find_ffmpeg(choice: ToolChoice) -> str:
    """The ffmpeg binary for a choice: "system" (on PATH), "bundled" (the wheel) or "auto"."""
    system = shutil.which("ffmpeg") if choice != "bundled" else None
    if system:
        return system
    if choice == "system":
        raise AudioError("ffmpeg not found on PATH (HOERCLUB_FFMPEG=system): install ffmpeg")
    try:
        import imageio_ffmpeg  # noqa: PLC0415 — the extra "bundled", for machines without ffmpeg
    except ImportError as exc:
        raise AudioError(
            "ffmpeg not found: install ffmpeg or the extra (pip install 'hoerclub[bundled]')"
        ) from exc
    return str(imageio_ffmpeg.get_ffmpeg_exe())


@cache
def media_duration(path: Path) -> float:
    """Duration in seconds, by a full decode.

    Not ffprobe: Debian's ffprobe 5.1 counts LAME's encoder delay and end padding in an MP3's
    duration (62 ms too long on a 2.17 s clip), and the bundled ffmpeg ships no ffprobe.
    """
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-f", "null", "-"],
        capture_output=True, check=False, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise AudioError(f"cannot decode {path.name}: {_tail(done.stderr)}")
    return decoded_seconds(done.stderr)


def decoded_seconds(stderr: bytes) -> float:
    """The last `time=` ffmpeg printed while decoding: the decoded duration."""
    matches = _TIME_RE.findall(stderr)
    if not matches:
        raise AudioError(f"ffmpeg reported no duration: {_tail(stderr)}")
    hours, minutes, seconds = matches[-1]
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _tail(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    return text[-STDERR_TAIL_CHARS:] or "(no output)"


# --- running ffmpeg ------------------------------------------------------------------------
Feed = bytes | Iterable[bytes | memoryview] | AsyncIterable[bytes | memoryview]


async def run_ffmpeg(
    args: Sequence[str], *, feed: Feed | None = None, what: str = "ffmpeg"
) -> bytes:
    """Run ffmpeg with `args` as an asyncio subprocess, feeding stdin; return its stdout.

    Raises AudioError with the tail of ffmpeg's stderr when it fails.
    """
    stdout, _ = await run_ffmpeg_logged(args, feed=feed, what=what)
    return stdout


async def run_ffmpeg_logged(
    args: Sequence[str], *, feed: Feed | None = None, what: str = "ffmpeg"
) -> tuple[bytes, bytes]:
    """`run_ffmpeg`, returning stderr beside stdout (for filters that report there)."""
    cmd = [ffmpeg_exe(), "-hide_banner", *(["-nostdin"] if feed is None else []), "-y", *args]
    spawn = asyncio.ensure_future(
        asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE if feed is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    )
    try:
        proc = await asyncio.shield(spawn)
    except asyncio.CancelledError:
        # Cancelled while the pipes were being connected, Python 3.11 waits forever for pipes
        # that never connected (the CLI hung on exit): let the start finish, then stop it.
        started = await spawn
        await _stop(started)
        raise
    if proc.stdout is None or proc.stderr is None:  # pragma: no cover - pipes were requested
        raise AudioError("ffmpeg started without pipes")
    out_task = asyncio.create_task(proc.stdout.read())
    err_task = asyncio.create_task(proc.stderr.read())
    broken = False
    try:
        if feed is not None:
            try:
                if proc.stdin is None:  # pragma: no cover - a pipe was requested
                    raise BrokenPipeError
                await _write_feed(proc.stdin, feed)
                proc.stdin.close()
                await proc.stdin.wait_closed()
            except (BrokenPipeError, ConnectionResetError):
                broken = True  # ffmpeg stopped reading: its stderr says why
        stdout, stderr = await asyncio.gather(out_task, err_task)
        code = await proc.wait()
    except BaseException:
        out_task.cancel()
        err_task.cancel()
        await _stop(proc)
        raise
    if code != 0 or broken:
        raise AudioError(f"{what} failed (exit {code}): {_tail(stderr)}")
    return stdout, stderr


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """Kill a running ffmpeg and reap it. Python 3.11's wait() returns only once every pipe is
    closed, so stdin, left open by an interrupted feed, is closed first."""
    if proc.stdin is not None:
        proc.stdin.close()
    if proc.returncode is None:
        proc.kill()
    await proc.wait()


async def _write_feed(stdin: asyncio.StreamWriter, feed: Feed) -> None:
    if isinstance(feed, bytes | bytearray | memoryview):
        pieces: Iterable[bytes | memoryview] = [feed]
    elif isinstance(feed, AsyncIterable):
        async for piece in feed:
            await _write_piece(stdin, piece)
        return
    else:
        pieces = feed
    for piece in pieces:
        await _write_piece(stdin, piece)


async def _write_piece(stdin: asyncio.StreamWriter, piece: bytes | memoryview) -> None:
    view = memoryview(piece)
    for start in range(0, len(view), PIPE_WRITE_BYTES):
        stdin.write(view[start : start + PIPE_WRITE_BYTES])
        await stdin.drain()


async def decode_to_pcm(data: bytes, *, sample_rate: int, input_format: str | None = None) -> bytes:
    """Decode any audio ffmpeg reads into mono signed 16-bit PCM at `sample_rate`."""
    fmt = ["-f", input_format] if input_format else []
    return await run_ffmpeg(
        ["-loglevel", "error", *fmt, "-i", "pipe:0", "-vn", "-ac", "1", "-ar", str(sample_rate),
         "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1"],
        feed=data, what="decoding a clip",
    )  # fmt: skip


# --- loudness ------------------------------------------------------------------------------
_INTEGRATED_RE: Final = re.compile(rb"Integrated loudness:\s*I:\s*(-?[\d.]+|-?inf|nan) LUFS")
_PEAK_RE: Final = re.compile(rb"(?:Sample|True) peak:\s*Peak:\s*(-?[\d.]+|-?inf|nan) dBFS")


@dataclass(frozen=True)
class Loudness:
    """An EBU R 128 measurement: integrated loudness (LUFS) and peak (dBFS)."""

    integrated: float
    peak: float


async def measure_loudness(
    input_args: Sequence[str],
    feed: Feed,
    *,
    true_peak: bool = False,
    filters: Sequence[str] = (),
) -> Loudness:
    """Integrated loudness and peak of audio through ffmpeg's ebur128 (after `filters`).

    The sample peak costs a third of the true peak (4× oversampling): 0.3 s against 1.2 s for
    15 minutes of 22 kHz speech with this project's ffmpeg.
    """
    peak = "true" if true_peak else "sample"
    # framelog=verbose keeps the per-frame lines out of the info-level log; the summary stays.
    _, stderr = await run_ffmpeg_logged(
        ["-loglevel", "info", *input_args, "-i", "pipe:0", "-vn",
         "-af", ",".join([*filters, f"ebur128=peak={peak}:framelog=verbose"]),
         "-f", "null", "-"],
        feed=feed, what="measuring loudness",
    )  # fmt: skip
    integrated = _INTEGRATED_RE.search(stderr)
    found_peak = _PEAK_RE.search(stderr)
    if integrated is None or found_peak is None:
        raise AudioError(f"ffmpeg reported no loudness: {_tail(stderr)}")
    return Loudness(float(integrated.group(1)), float(found_peak.group(1)))
