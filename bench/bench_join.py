"""Joining 60 minutes of gTTS-like MP3 chunks: frame join against decoding and re-encoding.

`python -m bench.bench_join [--minutes M] [--pydub-chunks N]`

The chunks are real LAME MP3s (24 kHz mono 32 kbit/s, with leading and trailing digital
silence, like Google's), ~3–4 s of speech each, each its own bytes object in memory as they
come out of synthesis. Every method runs in a fresh process, so CPU time (user + system,
including ffmpeg children, from getrusage) and peak memory (ru_maxrss) are its own:

- frames: `assemble(fmt="mp3")`, our join: MP3 frames in Python, no decoding.
- decode+encode (ours): the same trimmed frames through ONE ffmpeg decoding and re-encoding
  to MP3 (what tempo ≠ 1 costs), and to OGG/Opus (what a voice message costs).
- concat -c copy: ffmpeg's concat demuxer with stream copy (no trimming, no pauses).
- pydub: the obvious way, `from_file` per chunk, `sum()`, `export`; on `--pydub-chunks`
  chunks only (it takes minutes for the full hour), extrapolated linearly to the hour: a lower
  bound, since `sum()` copies the growing result each time.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import pickle
import random
import resource
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_CPU_S = 1.0
TARGET_MEMORY_MB = 100.0
PAUSES_MS = (300, 300, 300, 300, 300, 700, 700, 1200)


def hour_of_clips(minutes: float, seed: int = 7) -> list[Any]:
    """Deterministic gTTS-like clips adding up to `minutes` of joined audio."""
    from bot.models import Clip
    from tests.support.fake_gtts import mp3_for, speech_seconds

    rng = random.Random(seed)
    clips: list[Any] = []
    total = 0.0
    while total < minutes * 60:
        text = "x" * rng.randint(20, 80)  # ~1,000 chunks an hour of speech at gTTS sizes
        pause = rng.choice(PAUSES_MS)
        data = bytes(bytearray(mp3_for(text)))  # its own buffer, as from the network
        clips.append(Clip(data, "mp3", 24000, pause, None))
        total += speech_seconds(text) + 0.08 + pause / 1000
    return clips


def _usage() -> tuple[float, float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return cpu, me.ru_maxrss / 1024, kids.ru_maxrss / 1024  # Linux: kB


def _frames(clips: list[Any], out: Path) -> Path:
    from bot.pipeline.assemble import assemble

    return asyncio.run(assemble(clips, out / "frames.mp3", fmt="mp3")).paths[0]


def _ours_encoded(fmt: str) -> Callable[[list[Any], Path], Path]:
    def run(clips: list[Any], out: Path) -> Path:
        from bot.pipeline import assemble as stage
        from bot.pipeline.timeline import mp3_timeline

        async def go() -> Any:
            timeline = mp3_timeline(clips)
            assert timeline is not None
            return await stage._write_encoded(
                timeline, method="frames+encode", input_args=["-f", "mp3"],
                out_path=out / f"encoded.{fmt}", fmt=fmt, tempo=1.0, tags=None,
                max_part_bytes=None, mp3_bitrate=timeline.kind.bitrate,
            )  # fmt: skip

        return Path(asyncio.run(go()).paths[0])

    return run


def _concat_copy(clips: list[Any], out: Path) -> Path:
    import subprocess

    from bot.pipeline.media import ffmpeg_exe

    listing = out / "list.txt"
    lines = []
    for index, clip in enumerate(clips):
        path = out / f"c{index:05d}.mp3"
        path.write_bytes(clip.data)
        lines.append(f"file '{path.name}'")
    listing.write_text("\n".join(lines))
    target = out / "concat.mp3"
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "fatal", "-y", "-f", "concat", "-safe", "0",
         "-i", str(listing), "-c", "copy", str(target)],
        check=True,
    )  # fmt: skip
    return target


def _pydub(clips: list[Any], out: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydub import AudioSegment

    from bot.pipeline.media import ffmpeg_exe

    AudioSegment.converter = ffmpeg_exe()
    segments = [
        AudioSegment.from_file(io.BytesIO(clip.data), format="mp3", codec="mp3") for clip in clips
    ]
    joined = sum(segments[1:], segments[0])
    target = out / "pydub.mp3"
    joined.export(target, format="mp3", bitrate="32k", parameters=["-ac", "1", "-ar", "24000"])
    return target


METHODS: dict[str, Callable[[list[Any], Path], Path]] = {
    "frames": _frames,
    "decode+encode mp3 (ours)": _ours_encoded("mp3"),
    "decode+encode ogg/opus (ours)": _ours_encoded("ogg"),
    "concat -c copy": _concat_copy,
    "pydub": _pydub,
}


def _child(name: str, clips_file: str, limit: int | None, queue: Any) -> None:
    from bot.models import Clip

    # The clips come from the parent: no ffmpeg runs in this process before the join, so
    # RUSAGE_CHILDREN holds only the join's own children.
    datas = pickle.loads(Path(clips_file).read_bytes())  # noqa: S301 — our own file, just written
    clips = [Clip(bytes(bytearray(d)), "mp3", 24000, p, None) for d, p in datas][:limit]
    cpu0, rss0, _ = _usage()
    with tempfile.TemporaryDirectory(prefix="bench-join-") as tmp:
        started = time.perf_counter()
        target = METHODS[name](clips, Path(tmp))
        wall = time.perf_counter() - started
        cpu1, rss1, kids = _usage()
        from bot.pipeline.media import media_duration

        queue.put(
            {
                "method": name,
                "chunks": len(clips),
                "cpu_s": cpu1 - cpu0,
                "wall_s": wall,
                "peak_rss_mb": max(rss1, kids),
                "baseline_rss_mb": rss0,
                "input_mb": sum(len(c.data) for c in clips) / 1e6,
                "bytes": target.stat().st_size,
                "audio_s": media_duration(target),
            }
        )


def measure(name: str, clips_file: Path, limit: int | None = None) -> dict[str, Any]:
    """Run one method in a fresh process and return its figures."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(name, str(clips_file), limit, queue))
    process.start()
    result: dict[str, Any] = queue.get(timeout=3600)
    process.join()
    return result


def main(argv: list[str] | None = None) -> int:
    """Run every method, print a table and JSON; non-zero when the frame join misses a target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--pydub-chunks", type=int, default=150, help="0 for the full hour")
    parser.add_argument("--skip", action="append", default=[], help="method to skip")
    args = parser.parse_args(argv if argv is not None else [])
    rows = []
    clips = hour_of_clips(args.minutes)
    with tempfile.TemporaryDirectory(prefix="bench-join-clips-") as tmp:
        clips_file = Path(tmp) / "clips.pickle"
        clips_file.write_bytes(pickle.dumps([(c.data, c.pause_after_ms) for c in clips]))
        for name in METHODS:
            if name in args.skip:
                continue
            limit = (args.pydub_chunks or None) if name == "pydub" else None
            row = measure(name, clips_file, limit)
            if limit:
                row["extrapolated_cpu_s"] = row["cpu_s"] * len(clips) / row["chunks"]
            rows.append(row)
            print(
                f"  {name:<30} {row['chunks']:>5} chunks  {row['cpu_s']:7.2f} s CPU  "
                f"{row['peak_rss_mb']:6.1f} MB peak  {row['audio_s'] / 60:6.1f} min audio",
                flush=True,
            )
    print("| method | chunks | audio | CPU (user+sys, incl. ffmpeg) | wall | peak RSS | "
          "RSS before the join |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        cpu = f"{row['cpu_s']:.2f} s"
        if "extrapolated_cpu_s" in row:
            cpu += f" (≥ {row['extrapolated_cpu_s']:.0f} s for the hour)"
        print(
            f"| {row['method']} | {row['chunks']} | {row['audio_s'] / 60:.1f} min | {cpu} | "
            f"{row['wall_s']:.2f} s | {row['peak_rss_mb']:.0f} MB | "
            f"{row['baseline_rss_mb']:.0f} MB |"
        )
    print(json.dumps(rows))
    frames = next((row for row in rows if row["method"] == "frames"), None)
    if frames is None:
        return 0
    ok = frames["cpu_s"] < TARGET_CPU_S and frames["peak_rss_mb"] < TARGET_MEMORY_MB
    print("targets met" if ok else "TARGET MISSED: frame join < 1 s CPU and < 100 MB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
