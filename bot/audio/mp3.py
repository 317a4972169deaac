"""MPEG audio Layer III frames: reading headers, finding the audio frames, writing silent ones.

An MP3 file is a sequence of frames, each a 4-byte header, optionally a 2-byte CRC, the side
information (where each granule's bits are and how long they are), then main data. A frame's
audio may begin in the main-data area of earlier frames (the "bit reservoir"): the side
information's `main_data_begin` says how many bytes back. Files usually start with an ID3v2 tag
and an Xing/Info (LAME) or VBRI frame that carries no audio, only the frame count and a seek table.

Everything here follows ISO/IEC 11172-3 (MPEG-1) and 13818-3 (MPEG-2 and the unofficial 2.5):

    header (32 bits, big-endian)
      11 sync (all ones) | 2 version | 2 layer | 1 no-CRC | 4 bitrate | 2 sample rate |
      1 padding | 1 private | 2 channel mode | 2 mode ext | 1 copyright | 1 original | 2 emphasis

This is enough to join frames of several clips without decoding them (see
bot.pipeline.assemble), which is exact and about a hundred times faster than re-encoding.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Final, NamedTuple

from bot.errors import AudioError

logger = logging.getLogger(__name__)

# --- the tables, indexed by header fields ---------------------------------------------------
# kbit/s by the 4-bit bitrate index (0 = free format, 15 = invalid) for Layer III.
BITRATES_V1: Final = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
BITRATES_V2: Final = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
# Hz by the 2-bit version code (3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5) and sample-rate index.
SAMPLE_RATES: Final = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_SYNC: Final = 0x7FF
_MPEG1: Final = 3
_LAYER3: Final = 1
_MONO: Final = 3  # channel-mode code
ID3V2_HEADER_BYTES: Final = 10
ID3V1_BYTES: Final = 128


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
        table = BITRATES_V2 if self.lsf else BITRATES_V1
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
        sr_index = SAMPLE_RATES[self.version].index(self.sample_rate)
        mode = _MONO if self.channels == 1 else 1  # joint stereo
        value = (
            (_SYNC << 21) | (self.version << 19) | (_LAYER3 << 17) | (1 << 16)
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


# --- reading headers ------------------------------------------------------------------------
@cache
def decode_header(head: int) -> tuple[FrameKind, int, int, int] | None:
    """(kind, frame length, side-info offset, main-data offset) for a header word, or None
    if it is not a Layer III header. Cached: a stream has only a handful of distinct headers."""
    if (head >> 21) & _SYNC != _SYNC:
        return None
    version = (head >> 19) & 3
    layer = (head >> 17) & 3
    bitrate_index = (head >> 12) & 15
    sr_index = (head >> 10) & 3
    if version == 1 or layer != _LAYER3 or bitrate_index in (0, 15) or sr_index == 3:
        return None  # reserved, not Layer III, free format or invalid
    channels = 1 if (head >> 6) & 3 == _MONO else 2
    kind = _kind(version, SAMPLE_RATES[version][sr_index], channels, bitrate_index)
    side = 4 if (head >> 16) & 1 else 6  # a CRC follows the header when the bit is 0
    return kind, kind.frame_bytes((head >> 9) & 1), side, side + kind.side_info_bytes


@cache
def _kind(version: int, sample_rate: int, channels: int, bitrate_index: int) -> FrameKind:
    """One shared FrameKind per combination, so frames compare kinds by identity."""
    return FrameKind(version, sample_rate, channels, bitrate_index)


def id3v2_size(data: bytes | memoryview, pos: int = 0) -> int:
    """Total length of the ID3v2 tag at `pos`: header, "syncsafe" size (7 bits a byte), footer."""
    header = bytes(data[pos : pos + ID3V2_HEADER_BYTES])
    size = 0
    for byte in header[6:10]:
        size = (size << 7) | (byte & 0x7F)
    footer = ID3V2_HEADER_BYTES if header[5] & 0x10 else 0
    return ID3V2_HEADER_BYTES + size + footer


def first_frame_kind(data: bytes) -> FrameKind | None:
    """The kind of the first frame header after any ID3v2 tag, or None (a quick look, no parse)."""
    pos = id3v2_size(data) if data[:3] == b"ID3" and len(data) >= ID3V2_HEADER_BYTES else 0
    while (pos := data.find(b"\xff", pos)) >= 0 and pos + 4 <= len(data):
        decoded = decode_header(struct.unpack_from(">I", data, pos)[0])
        if decoded is not None:
            return decoded[0]
        pos += 1
    return None


# --- finding the audio frames ---------------------------------------------------------------
def side_info_bits(data: bytes, frame: Frame) -> int:
    """The frame's side information as one big integer (its fields are bit-packed)."""
    start = frame.side_info_offset
    return int.from_bytes(data[start : start + frame.kind.side_info_bytes], "big")


def _is_info_frame(data: bytes, frame: Frame) -> bool:
    """Xing/Info (LAME) or VBRI (Fraunhofer) header frames carry no audio."""
    tag = data[frame.payload_offset : frame.payload_offset + 4]
    if tag in (b"Xing", b"Info"):
        return side_info_bits(data, frame) == 0
    return data[frame.offset + 36 : frame.offset + 40] == b"VBRI"  # VBRI sits at a fixed offset


_INFO_FIRST_BYTES: Final = frozenset(b"XIV")  # Xing, Info, VBRI: a cheap test before the full one


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
    decode = decode_header
    skipped = 0
    while pos + 4 <= end:
        head = unpack(">I", data, pos)[0]
        decoded = decode(head) if head >> 21 == _SYNC else None
        if decoded is None:
            tag = data[pos : pos + 3]
            if tag == b"ID3":
                pos += id3v2_size(data, pos)
                continue
            if tag == b"TAG" and end - pos <= ID3V1_BYTES + 32:
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
            data[pos + payload] in _INFO_FIRST_BYTES or (size > 40 and data[pos + 36] == 0x56)
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


# --- the side information -------------------------------------------------------------------
def main_data_begin(data: bytes, frame: Frame) -> int:
    """How many bytes of earlier frames' main-data areas this frame's audio starts in."""
    bits = side_info_bits(data, frame)
    total = frame.kind.side_info_bytes * 8
    width = 8 if frame.kind.lsf else 9
    return bits >> (total - width)


def frame_is_silent(data: bytes, frame: Frame) -> bool:
    """True when the encoder coded no spectral data at all (part2_3_length 0 everywhere).

    Such a frame decodes to exact silence (apart from the previous frame's overlap tail); this
    is how encoders code digital silence, and it needs no decoding to see.
    """
    kind = frame.kind
    bits = side_info_bits(data, frame)
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
        part2_3_length = (bits >> (total - pos - 12)) & 0xFFF  # each granule's first field
        if part2_3_length:
            return False
        pos += per_channel
    return True


# --- writing frames -------------------------------------------------------------------------
def silent_frame(kind: FrameKind, reservoir: bytes = b"", main_data_begin: int = 0) -> bytes:
    """A frame that decodes to silence; `reservoir` fills the end of its main-data area.

    A decoder keeps, as its bit reservoir, the bytes from `main_data_begin` bytes before a
    frame's main-data area to the frame's end. A chain of such frames, each pointing back at
    the reservoir bytes of the ones before it, hands a trimmed clip's first frame exactly the
    bytes its own main_data_begin points at: the clip starts without the frames it was cut from.
    """
    room = reservoir_capacity(kind)
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
    It sits where main data would start, so the frame is the lowest bitrate that has room.
    """
    body = (
        (b"Info" if cbr else b"Xing")
        + struct.pack(">I", 0x0007)  # flags: frames, bytes and TOC present
        + struct.pack(">II", frames, stream_bytes)
        + toc
    )
    table = BITRATES_V2 if kind.lsf else BITRATES_V1
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


# --- gain without decoding ------------------------------------------------------------------
# One step of a granule's global_gain scales its decoded samples by 2^(1/4): 1.5 dB.
GLOBAL_GAIN_STEP_DB: Final = 1.5
_GLOBAL_GAIN_MAX: Final = 255


def scale_global_gain(data: bytes | memoryview, steps: int) -> bytes:
    """The frames in `data` made `steps` × 1.5 dB louder (quieter when negative), undecoded.

    Each granule's `global_gain` (8 bits of the side information) sets the quantiser step of
    all its samples, so adding to it scales the decoded audio exactly, as mp3gain does; the main
    data, and with it the bit reservoir, is left as it is. Granules that code nothing
    (part2_3_length 0) stay as they are.
    """
    out = bytearray(data)
    if not steps:
        return bytes(out)
    raw = bytes(out)
    for frame in parse_mp3(raw):
        kind = frame.kind
        total = kind.side_info_bytes * 8
        bits = side_info_bits(raw, frame)
        if kind.lsf:
            pos = 8 + (1 if kind.channels == 1 else 2)
            blocks, per_block = kind.channels, 63
        else:
            pos = 9 + (5 if kind.channels == 1 else 3) + 4 * kind.channels
            blocks, per_block = 2 * kind.channels, 59
        for _ in range(blocks):
            if (bits >> (total - pos - 12)) & 0xFFF:  # part2_3_length: the granule codes audio
                shift = total - pos - 12 - 9 - 8  # global_gain follows big_values (9 bits)
                gain = (bits >> shift) & 0xFF
                new = min(_GLOBAL_GAIN_MAX, max(0, gain + steps))
                bits = bits & ~(0xFF << shift) | (new << shift)
            pos += per_block
        start = frame.side_info_offset
        out[start : start + kind.side_info_bytes] = bits.to_bytes(kind.side_info_bytes, "big")
    return bytes(out)
