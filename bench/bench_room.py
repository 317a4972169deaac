"""The room's cost: time to the finished audio of a 2,000-word article with and without it.

`python -m bench.bench_room [--runs N] [--delay S]`

"With the room" is the chime before each of the article's headings and one loudness for the
file (ebur128 measured once, then global_gain steps on the MP3 frame join or volume and a
limiter in the encoder); "without" joins and encodes the same clips as they come. Each run
starts from an empty clip cache and times synthesis plus assembly; the two variants alternate
within one run of this command, so both see the same machine. Medians of `--runs` runs each,
and the ratio with/without (target: at most 1.10). The loudness of each file is measured too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from bench.bench_tts import german_article
from bot.config import load_settings
from bot.pipeline.assemble import LOUDNESS_TARGET_LUFS, assemble
from bot.pipeline.chunk import chunk_script
from bot.pipeline.media import ffmpeg_exe
from bot.pipeline.synthesize import synthesize_chunks
from bot.tts.base import SpeechEngine
from bot.tts.cache import ClipCache
from bot.tts.espeak import EspeakEngine
from bot.tts.gtts import GTTSEngine
from tests.support.fake_gtts import FakeGTTS

TARGET_RATIO = 1.10
CASES: tuple[tuple[str, Literal["mp3", "ogg"]], ...] = (
    ("espeak", "mp3"),
    ("espeak", "ogg"),
    ("gtts", "mp3"),
)


def _loudness(path: Path) -> tuple[float, float]:
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-af",
         "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        capture_output=True, check=True, timeout=300,
    )  # fmt: skip
    err = done.stderr.decode("utf-8", "replace")
    integrated = re.search(r"Integrated loudness:\s*I:\s*(-?[\d.]+) LUFS", err)
    peak = re.search(r"True peak:\s*Peak:\s*(-?[\d.]+) dBFS", err)
    return (
        float(integrated.group(1)) if integrated else float("nan"),
        float(peak.group(1)) if peak else float("nan"),
    )


async def one_run(
    engine: SpeechEngine, fmt: Literal["mp3", "ogg"], room: bool, tmp: Path
) -> dict[str, float]:
    """Synthesise (empty cache) and assemble once; seconds and the file's loudness."""
    voices = engine.voices_for("de")
    assert voices is not None  # both engines speak German
    chunks = chunk_script(german_article(), engine.max_chars, pack_segments=engine.max_chars <= 200)
    cache = ClipCache(tmp / f"cache-{time.monotonic_ns()}")
    out = tmp / f"room-{engine.name}-{int(room)}.{fmt}"
    started = time.perf_counter()
    clips = await synthesize_chunks(engine, chunks, voices, concurrency=4, cache=cache)
    synthesized = time.perf_counter() - started
    result = await assemble(
        clips, out, fmt=fmt, chime=room, loudness=LOUDNESS_TARGET_LUFS if room else None
    )
    finished = time.perf_counter() - started
    integrated, peak = _loudness(out)
    return {
        "finished": finished,
        "assemble": finished - synthesized,
        "audio_seconds": result.duration_seconds,
        "lufs": integrated,
        "true_peak": peak,
    }


async def run(runs: int, delay: float) -> list[dict[str, object]]:
    """Every case, with and without the room alternately; medians and ratios."""
    table: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-room-") as tmpdir, FakeGTTS() as fake:
        fake.delay = delay
        tmp = Path(tmpdir)
        settings = load_settings(HOERCLUB_GTTS_ENDPOINT=fake.url, HOERCLUB_DATA_DIR=tmp / "d")
        for name, fmt in CASES:
            engine: SpeechEngine = (
                GTTSEngine(settings) if name == "gtts" else EspeakEngine(settings)
            )
            rows: dict[bool, list[dict[str, float]]] = {False: [], True: []}
            try:
                await one_run(engine, fmt, True, tmp)  # warm-up: library load, chime encode
                for _ in range(runs):
                    for room in (False, True):
                        rows[room].append(await one_run(engine, fmt, room, tmp))
            finally:
                await engine.aclose()

            def median(room: bool, key: str, rows: dict[bool, list[dict[str, float]]] = rows
                       ) -> float:  # fmt: skip
                return statistics.median(r[key] for r in rows[room])

            ratio = median(True, "finished") / median(False, "finished")
            entry: dict[str, object] = {
                "engine": name,
                "format": fmt,
                "runs": runs,
                "audio_min": round(median(True, "audio_seconds") / 60, 1),
                "without_s": round(median(False, "finished"), 2),
                "with_s": round(median(True, "finished"), 2),
                "assemble_without_s": round(median(False, "assemble"), 2),
                "assemble_with_s": round(median(True, "assemble"), 2),
                "ratio": round(ratio, 3),
                "lufs_without": median(False, "lufs"),
                "lufs_with": median(True, "lufs"),
                "true_peak_with": median(True, "true_peak"),
                "meets_target": ratio <= TARGET_RATIO,
            }
            table.append(entry)
            print(
                f"  {name:6} {fmt}: {entry['without_s']:6.2f} s → {entry['with_s']:6.2f} s "
                f"(×{ratio:.3f}); {entry['lufs_without']} → {entry['lufs_with']} LUFS, "
                f"true peak {entry['true_peak_with']} dBTP",
                flush=True,
            )
    return table


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table as JSON."""
    parser = argparse.ArgumentParser(prog="bench_room", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.3, help="seconds per fake request")
    args = parser.parse_args(argv)
    table = asyncio.run(run(args.runs, args.delay))
    print(json.dumps(table, indent=2, ensure_ascii=False))
    return 0 if all(row["meets_target"] for row in table) else 1


if __name__ == "__main__":
    sys.exit(main())
