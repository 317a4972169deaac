"""ffmpeg and MP3 frames: finding the tools, running them off the event loop, reading frames."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import struct
import subprocess
from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, NamedTuple

from bot.errors import AudioError

logger = logging.getLogger(__name__)

# How much of ffmpeg's stderr goes into an AudioError: enough for the actual complaint.
STDERR_TAIL_CHARS: Final = 1500
# Bytes per write to an encoder's stdin: large enough to keep the pipe full, small enough
# that the event loop interleaves other work.
PIPE_WRITE_BYTES: Final = 256 * 1024

_TIME_RE: Final = re.compile(rb"time=\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


# --- the tools -----------------------------------------------------------------------------
@cache
def ffmpeg_exe() -> str:
    """The system ffmpeg when there is one, else the binary shipped in the imageio-ffmpeg wheel."""
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg  # noqa: PLC0415 — only needed where the system has no ffmpeg
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise AudioError("ffmpeg not found: install ffmpeg or imageio-ffmpeg") from exc
    return str(imageio_ffmpeg.get_ffmpeg_exe())


@cache
def ffprobe_exe() -> str | None:
    """The system ffprobe, or None (the imageio-ffmpeg wheel ships none)."""
    return shutil.which("ffprobe")


def which_espeak() -> str | None:
    """The system espeak-ng binary, else the wheel's libespeak-ng, else None."""
    from bot.tts.espeak import espeak_location  # noqa: PLC0415 — pipeline → tts, lazily

    return espeak_location()


def media_duration(path: Path) -> float:
    """Duration in seconds: ffprobe's answer if it exists, else a full decode by ffmpeg."""
    probe = ffprobe_exe()
    if probe:
        done = subprocess.run(
            [probe, "-v", "error", "-show_entries", "format=duration",
             "-of", "default=noprint_wrappers=1:nokey=1", str(path)],
            capture_output=True, check=False, timeout=120,
        )  # fmt: skip
        text = done.stdout.decode("ascii", "replace").strip()
        if done.returncode == 0 and text and text != "N/A":
            return float(text)
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
    cmd = [ffmpeg_exe(), "-hide_banner", *(["-nostdin"] if feed is None else []), "-y", *args]
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.PIPE if feed is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
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
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        out_task.cancel()
        err_task.cancel()
        raise
    if code != 0 or broken:
        raise AudioError(f"{what} failed (exit {code}): {_tail(stderr)}")
    return stdout


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


# --- MP3 frames ----------------------------------------------------------------------------
# ISO/IEC 11172-3 and 13818-3 tables, indexed by the header fields.
_BITRATES_V1_L3: Final = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_BITRATES_V2_L3: Final = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_SAMPLE_RATES: Final = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_MPEG1: Final = 3
_MONO: Final = 3


@dataclass(frozen=True, slots=True)
class FrameKind:
    """What an MP3 frame header says, minus the per-frame fields (padding, CRC)."""

    version: int  # header code: 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    sample_rate: int
    channels: int
    bitrate_index: int

    @property
    def lsf(self) -> bool:
        """MPEG-2/2.5 "low sampling frequency": one granule of 576 samples per frame."""
        return self.version != _MPEG1

    @property
    def samples_per_frame(self) -> int:
        """Samples per channel in one frame."""
        return 576 if self.lsf else 1152

    @property
    def side_info_bytes(self) -> int:
        """Length of the Layer III side information."""
        if self.lsf:
            return 9 if self.channels == 1 else 17
        return 17 if self.channels == 1 else 32

    @property
    def bitrate(self) -> int:
        """Bits per second."""
        table = _BITRATES_V2_L3 if self.lsf else _BITRATES_V1_L3
        return table[self.bitrate_index] * 1000

    @property
    def stream_key(self) -> tuple[int, int, int]:
        """What must match for frames to be joined: version, rate and channels."""
        return (self.version, self.sample_rate, self.channels)

    def frame_bytes(self, padding: int = 0) -> int:
        """Length of a frame of this kind in bytes."""
        return (72 if self.lsf else 144) * self.bitrate // self.sample_rate + padding

    def header(self, *, padding: int = 0) -> bytes:
        """A header for a frame of this kind without CRC."""
        table = _SAMPLE_RATES[self.version]
        sr_index = table.index(self.sample_rate)
        mode = _MONO if self.channels == 1 else 1  # joint stereo
        value = (
            (0x7FF << 21) | (self.version << 19) | (1 << 17) | (1 << 16)
            | (self.bitrate_index << 12) | (sr_index << 10) | (padding << 9) | (mode << 6)
        )  # fmt: skip
        return struct.pack(">I", value)

    def with_bitrate_index(self, index: int) -> FrameKind:
        """The same kind at another bitrate."""
        return FrameKind(self.version, self.sample_rate, self.channels, index)


class Frame(NamedTuple):
    """One audio frame inside a buffer: where it, its side information and its main data start.

    A named tuple, not a dataclass: an hour of speech is 150,000 frames, parsed in a loop.
    """

    offset: int
    size: int
    kind: FrameKind
    side_info_offset: int
    payload_offset: int


@cache
def _decode_header(head: int) -> tuple[FrameKind, int, int, int] | None:
    """(kind, frame length, side-info offset, main-data offset) for a header word, or None
    if it is not a Layer III header."""
    if (head >> 21) & 0x7FF != 0x7FF:
        return None
    version = (head >> 19) & 3
    layer = (head >> 17) & 3
    bitrate_index = (head >> 12) & 15
    sr_index = (head >> 10) & 3
    if version == 1 or layer != 1 or bitrate_index in (0, 15) or sr_index == 3:
        return None  # reserved, not Layer III, free format or invalid
    kind = _kind(version, _SAMPLE_RATES[version][sr_index], 1 if (head >> 6) & 3 == _MONO else 2,
                 bitrate_index)  # fmt: skip
    side = 4 if (head >> 16) & 1 else 6  # a CRC follows the header when the bit is 0
    return kind, kind.frame_bytes((head >> 9) & 1), side, side + kind.side_info_bytes


@cache
def _kind(version: int, sample_rate: int, channels: int, bitrate_index: int) -> FrameKind:
    """One shared FrameKind per combination, so frames compare kinds by identity."""
    return FrameKind(version, sample_rate, channels, bitrate_index)


def _id3v2_size(data: bytes | memoryview, pos: int) -> int:
    header = bytes(data[pos : pos + 10])
    size = 0
    for byte in header[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = 10 if header[5] & 0x10 else 0
    return 10 + size + footer


def _is_info_frame(data: bytes, frame: Frame) -> bool:
    """Xing/Info (LAME) or VBRI (Fraunhofer) header frames carry no audio."""
    tag = data[frame.payload_offset : frame.payload_offset + 4]
    if tag in (b"Xing", b"Info"):
        return _side_info_bits(data, frame) == 0
    return data[frame.offset + 36 : frame.offset + 40] == b"VBRI"


_TAG_FIRST_BYTES: Final = frozenset(b"XIV")  # Xing, Info, VBRI


def parse_mp3(data: bytes) -> list[Frame]:
    """The audio frames of an MP3 buffer, skipping ID3/APE tags and Xing/Info/VBRI frames.

    Raises AudioError when the buffer holds no Layer III frames or mixes sample rates or
    channel counts (a free-format or mixed stream must be decoded instead).
    """
    frames: list[Frame] = []
    append = frames.append
    pos = 0
    end = len(data)
    last_kind: FrameKind | None = None
    key: tuple[int, int, int] | None = None
    unpack = struct.unpack_from
    decode = _decode_header
    skipped = 0
    while pos + 4 <= end:
        head = unpack(">I", data, pos)[0]
        decoded = decode(head) if head >> 21 == 0x7FF else None
        if decoded is None:
            tag = data[pos : pos + 3]
            if tag == b"ID3":
                pos += _id3v2_size(data, pos)
                continue
            if tag == b"TAG" and end - pos <= 128 + 32:
                break  # ID3v1 at the end
            if data[pos : pos + 8] == b"APETAGEX":
                break
            nxt = data.find(b"\xff", pos + 1)
            if nxt < 0:
                break
            skipped += nxt - pos
            pos = nxt
            continue
        kind, size, side, payload = decoded
        if pos + size > end:
            break  # a truncated last frame
        if kind is not last_kind:
            if not frames and pos + size + 4 <= end:
                # A chance sync word inside garbage is confirmed by the next header.
                nxt_head = unpack(">I", data, pos + size)[0]
                if decode(nxt_head) is None and data[pos + size : pos + size + 3] != b"TAG":
                    skipped += 1
                    pos += 1
                    continue
            if key is None:
                key = kind.stream_key
            elif kind.stream_key != key:
                raise AudioError(f"MP3 stream changes format at byte {pos}")
            last_kind = kind
        frame = Frame(pos, size, kind, pos + side, pos + payload)
        if (
            data[pos + payload] in _TAG_FIRST_BYTES or (size > 40 and data[pos + 36] == 0x56)
        ) and _is_info_frame(data, frame):
            pos += size
            continue
        append(frame)
        pos += size
    if not frames:
        raise AudioError("no MP3 Layer III frames found")
    if skipped:
        logger.debug("skipped %d bytes of non-frame data in an MP3 clip", skipped)
    return frames


def _side_info_bits(data: bytes, frame: Frame) -> int:
    start = frame.side_info_offset
    return int.from_bytes(data[start : start + frame.kind.side_info_bytes], "big")


def main_data_begin(data: bytes, frame: Frame) -> int:
    """How many bytes of earlier frames' main-data areas this frame's audio starts in."""
    bits = _side_info_bits(data, frame)
    total = frame.kind.side_info_bytes * 8
    width = 8 if frame.kind.lsf else 9
    return bits >> (total - width)


def frame_is_silent(data: bytes, frame: Frame) -> bool:
    """True when the encoder coded no spectral data at all (part2_3_length 0 everywhere).

    Such a frame decodes to exact silence (apart from the previous frame's overlap tail); this
    is how encoders code digital silence, and it needs no decoding to see.
    """
    kind = frame.kind
    bits = _side_info_bits(data, frame)
    total = kind.side_info_bytes * 8
    if kind.lsf:
        # main_data_begin 8, private 1 (mono) / 2 (stereo); one granule of 63 bits per channel
        pos = 8 + (1 if kind.channels == 1 else 2)
        granules, per_channel = 1, 63
    else:
        # main_data_begin 9, private 5 / 3, scfsi 4 per channel; two granules of 59 bits
        pos = 9 + (5 if kind.channels == 1 else 3) + 4 * kind.channels
        granules, per_channel = 2, 59
    for _ in range(granules * kind.channels):
        part2_3_length = (bits >> (total - pos - 12)) & 0xFFF
        if part2_3_length:
            return False
        pos += per_channel
    return True


def silent_frame(kind: FrameKind, reservoir: bytes = b"", main_data_begin: int = 0) -> bytes:
    """A frame that decodes to silence; `reservoir` fills the end of its main-data area.

    A decoder keeps, as its bit reservoir, the bytes from `main_data_begin` bytes before a
    frame's main-data area to the frame's end. A chain of such frames, each pointing back at
    the reservoir bytes of the ones before it, hands a trimmed clip's first frame exactly the
    bytes its own main_data_begin points at: the clip starts without the frames it was cut from.
    """
    size = kind.frame_bytes()
    room = size - 4 - kind.side_info_bytes
    if len(reservoir) > room:
        raise ValueError("reservoir larger than the frame's main-data area")
    width = 8 if kind.lsf else 9
    if main_data_begin >= 1 << width:
        raise ValueError("main_data_begin out of range")
    side_bits = kind.side_info_bytes * 8
    side = (main_data_begin << (side_bits - width)).to_bytes(kind.side_info_bytes, "big")
    return kind.header() + side + bytes(room - len(reservoir)) + reservoir


def reservoir_capacity(kind: FrameKind) -> int:
    """How many bytes of main data one silent frame of this kind can carry for the next."""
    return kind.frame_bytes() - 4 - kind.side_info_bytes


def xing_frame(kind: FrameKind, *, frames: int, stream_bytes: int, toc: bytes, cbr: bool) -> bytes:
    """An Info (CBR) or Xing (VBR) header frame: frame count, byte count and seek table.

    Decoders take the file's length from it; it decodes to silence where it is not understood.
    """
    body = (
        (b"Info" if cbr else b"Xing")
        + struct.pack(">I", 0x0007)  # frames, bytes and TOC present
        + struct.pack(">II", frames, stream_bytes)
        + toc
    )
    table = _BITRATES_V2_L3 if kind.lsf else _BITRATES_V1_L3
    for index in range(1, len(table)):
        candidate = kind.with_bitrate_index(index)
        size = candidate.frame_bytes()
        if size >= 4 + candidate.side_info_bytes + len(body):
            head = candidate.header()
            filler = bytes(size - 4 - candidate.side_info_bytes - len(body))
            return head + bytes(candidate.side_info_bytes) + body + filler
    raise AudioError("no bitrate leaves room for an Xing header")  # pragma: no cover


def xing_toc(frame_sizes: Sequence[int], header_bytes: int) -> bytes:
    """The 100-entry Xing seek table: byte position at each percent of the duration."""
    total = header_bytes + sum(frame_sizes)
    count = len(frame_sizes)
    toc = bytearray(100)
    if not count or not total:
        return bytes(toc)
    position = header_bytes
    index = 0
    for percent in range(100):
        target = percent * count // 100
        while index < target:
            position += frame_sizes[index]
            index += 1
        toc[percent] = min(255, position * 256 // total)
    return bytes(toc)
