"""Reading produced audio files the way a player would, with one reference decoder.

The files under test may be made by Debian's ffmpeg or the bundled one (HOERCLUB_FFMPEG); they
are always checked with the bundled ffmpeg, so the check does not change with the tool under
test. Debian's ffmpeg 5.1 is not a usable judge: its mp3float decoder warns "overread, skip
enddists" in the middle of valid LAME streams that libmpg123 and the bundled ffmpeg decode to
the same samples without a word, and its ffprobe counts LAME's encoder delay and padding in an
MP3's duration.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import imageio_ffmpeg


def ffmpeg() -> str:
    """The reference decoder: the bundled ffmpeg, whichever ffmpeg made the file."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _decoded_seconds(path: Path) -> tuple[float, str]:
    done = subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostdin", "-i", str(path), "-vn", "-f", "null", "-"],
        capture_output=True, check=False, timeout=600,
    )  # fmt: skip
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, err[-2000:]
    times = re.findall(r"time=\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)", err)
    assert times, err[-2000:]
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s), err


def decode_pcm(path: Path, sample_rate: int = 24000) -> bytes:
    """The file decoded to mono s16le PCM at `sample_rate`."""
    done = subprocess.run(
        [ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
         "-ac", "1", "-ar", str(sample_rate), "-f", "s16le", "pipe:1"],
        capture_output=True, check=True, timeout=600,
    )  # fmt: skip
    return done.stdout


def probe(path: Path) -> dict[str, Any]:
    """duration (decoded), header_duration (what the container says), codec, sample_rate,
    channels and decode_errors (lines ffmpeg complained on while decoding)."""
    path = Path(path)
    decoded, err = _decoded_seconds(path)
    info: dict[str, Any] = {"duration": decoded}
    stream_line = re.search(r"Stream #\d+:\d+.*?: Audio: (\w+)[^,]*, (\d+) Hz, (\w+)", err)
    assert stream_line, err[-2000:]
    codec, rate, layout = stream_line.groups()
    channels = {"mono": 1, "stereo": 2}.get(layout, 0)
    duration = re.search(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)", err)
    header = float("nan")
    if duration:
        h, m, s = duration.groups()
        header = int(h) * 3600 + int(m) * 60 + float(s)
    info.update(codec=codec, sample_rate=int(rate), channels=channels, header_duration=header)
    info["decode_errors"] = [
        line for line in err.splitlines() if re.search(r"\[(mp3|mp3float|opus|ogg)[^\]]*\] ", line)
    ]
    return info
