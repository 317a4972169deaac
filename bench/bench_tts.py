"""Synthesis: a 2,000-word German article through GTTSEngine and EdgeEngine against local fakes.

`python -m bench.bench_tts [--runs N] [--delay S] [--sequential-runs N] [--edge-speed F]`

Each request to a fake takes `--delay` seconds (default 300 ms, about what Google takes) before
its answer. The same article goes through gTTS at concurrency 1 (sequential), the default
(HOERCLUB_TTS_CONCURRENCY, 4), 8 and 16, then through edge-tts (the fake WebSocket service,
which also streams its audio at `--edge-speed` seconds per second of speech, default 0.05:
twenty times real time) sequentially and at 4 and 8 requests in flight, and at chunk sizes of
200 to 1,500 characters with the default requests in flight (8); each time with an empty cache:
the time measured is from the first request to the finished MP3 file (synthesis plus
assembly). Medians of `--runs` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.config import load_settings
from bot.models import Script, Segment
from bot.pipeline.assemble import assemble
from bot.pipeline.chunk import chunk_script
from bot.pipeline.synthesize import synthesize_chunks
from bot.tts.cache import ClipCache
from bot.tts.edge import EDGE_MAX_CHARS, EdgeEngine
from bot.tts.gtts import GTTSEngine
from tests.support.fake_edge import FakeEdge
from tests.support.fake_gtts import FakeGTTS

WORDS = 2000
LEVELS = (1, 4, 8, 16)
TARGET_SPEEDUP = 3.0
TARGET_SECONDS = 20.0
EDGE_LEVELS = (1, 4, 8)
EDGE_DEFAULT = load_settings().edge_concurrency  # HOERCLUB_EDGE_CONCURRENCY's default
EDGE_SIZES = (200, 400, 800, 1500)
EDGE_TARGET_SECONDS = 10.0

_SUBJECTS = (
    "Die Bundesregierung",
    "Der Stadtrat von Köln",
    "Eine Sprecherin des Ministeriums",
    "Der Vorstand des Unternehmens",
    "Die Opposition im Landtag",
    "Ein Bündnis aus Verbänden",
    "Die Europäische Kommission",
    "Der Verkehrsverbund",
    "Eine Mehrheit der Befragten",
    "Die Gewerkschaft",
    "Der Bürgermeister",
    "Ein Sprecher der Polizei",
)
_VERBS = (
    "kündigte an",
    "kritisierte scharf",
    "verteidigte",
    "prüft derzeit",
    "lehnte ab",
    "begrüßte ausdrücklich",
    "stellte vor",
    "verschob erneut",
    "bestätigte",
    "forderte",
)
_OBJECTS = (
    "die geplante Reform der Rente",
    "den Haushalt für das kommende Jahr",
    "neue Regeln für den Wohnungsbau",
    "die Erhöhung der Ticketpreise",
    "ein Programm zur Förderung von Solaranlagen",
    "die Schließung von drei Filialen",
    "den Ausbau der Radwege",
    "die Zusammenarbeit mit den Nachbarländern",
    "strengere Vorgaben für den Datenschutz",
    "mehr Geld für Schulen und Kitas",
)
_TIMES = (
    "am 24. November",
    "bereits im Frühjahr",
    "nach langen Verhandlungen",
    "am Dienstagabend",
    "in der vergangenen Woche",
    "zum 1. Januar",
    "noch vor der Sommerpause",
    "seit Jahren",
)
_CLAUSES = (
    "weil die Kosten z. B. für Energie stark gestiegen sind",
    "obwohl Fachleute vor den Folgen gewarnt hatten",
    "damit die Betroffenen mehr Zeit zur Vorbereitung haben",
    "nachdem eine Studie deutliche Mängel festgestellt hatte",
    "wie aus einem Bericht der Nachrichtenagentur hervorgeht",
    "was bei vielen Beschäftigten auf Unverständnis stieß",
)
_HEADINGS = ("Kritik aus der Opposition", "Was jetzt geplant ist", "Die Folgen für Familien",
             "Wie es weitergeht", "Reaktionen aus der Wirtschaft", "Ein Blick zurück")  # fmt: skip


def german_article(words: int = WORDS, seed: int = 2024) -> Script:
    """A deterministic news-like German article of exactly `words` words, as a Script."""
    rng = random.Random(seed)
    segments: list[Segment] = []
    count = 0
    paragraph: list[str] = []
    number = 0
    while count < words:
        number += 1
        sentence = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_TIMES)} " + (
            f"{rng.choice(_OBJECTS)}"
        )
        if rng.random() < 0.6:
            sentence += f", {rng.choice(_CLAUSES)}"
        if rng.random() < 0.3:
            sentence += f", sagte der {number}. Redner"  # keeps every sentence distinct
        sentence += "."
        paragraph.append(sentence)
        count += len(sentence.split())
        if len(paragraph) >= rng.randint(3, 5) or count >= words:
            segments.append(Segment("reader", " ".join(paragraph), 700))
            paragraph = []
            if rng.random() < 0.2 and count < words:
                heading = rng.choice(_HEADINGS)
                segments.append(Segment("reader", heading, 600, chapter=heading))
                count += len(heading.split())
    # trim to exactly `words` words
    text_words = " ".join(s.text for s in segments).split()
    excess = len(text_words) - words
    if excess > 0:
        last = segments[-1]
        kept = last.text.split()[:-excess]
        segments[-1] = Segment(last.role, " ".join(kept).rstrip(",") + ".", 0, last.chapter)
    return Script(tuple(segments))


async def one_run(fake: FakeGTTS, concurrency: int, tmp: Path) -> dict[str, float]:
    """Synthesise and assemble the article once at one concurrency; times in seconds."""
    settings = load_settings(
        HOERCLUB_GTTS_ENDPOINT=fake.url,
        HOERCLUB_TTS_CONCURRENCY=concurrency,
        HOERCLUB_DATA_DIR=tmp / f"data{concurrency}",
    )
    engine = GTTSEngine(settings)
    # Packed across paragraphs, exactly as Pipeline.prepare does for gTTS.
    chunks = chunk_script(german_article(), engine.max_chars, pack_segments=True)
    cache = ClipCache(tmp / f"cache-{concurrency}-{time.monotonic_ns()}")
    fake.reset()
    first: list[float] = []
    started = time.perf_counter()

    async def progress(done: int, total: int) -> None:
        if not first:
            first.append(time.perf_counter() - started)

    try:
        clips = await synthesize_chunks(
            engine, chunks, "de", concurrency=concurrency, cache=cache, on_progress=progress
        )
        synthesized = time.perf_counter() - started
        result = await assemble(clips, tmp / f"artikel-{concurrency}.mp3", fmt="mp3")
        finished = time.perf_counter() - started
    finally:
        await engine.aclose()
    return {
        "finished": finished,
        "synthesis": synthesized,
        "first_clip": first[0] if first else 0.0,
        "chunks": len(chunks),
        "requests": fake.requests,
        "max_concurrent": fake.max_concurrent,
        "audio_seconds": result.duration_seconds,
    }


async def edge_run(fake: FakeEdge, concurrency: int, size: int, tmp: Path) -> dict[str, float]:
    """Synthesise and assemble the article once through EdgeEngine; times in seconds."""
    settings = load_settings(
        HOERCLUB_EDGE_ENDPOINT=fake.url,
        HOERCLUB_EDGE_CONCURRENCY=concurrency,
        HOERCLUB_WORKERS=1,
        HOERCLUB_DATA_DIR=tmp / "edge",
    )
    engine = EdgeEngine(settings)
    chunks = chunk_script(german_article(), size, pack_segments=False)  # as Pipeline.prepare
    cache = ClipCache(tmp / f"edge-cache-{time.monotonic_ns()}")
    fake.reset()
    first: list[float] = []
    started = time.perf_counter()

    async def progress(done: int, total: int) -> None:
        if not first and done:
            first.append(time.perf_counter() - started)

    clips = await synthesize_chunks(
        engine, chunks, "de-DE-KatjaNeural", concurrency=concurrency, cache=cache,
        on_progress=progress,
    )  # fmt: skip
    synthesized = time.perf_counter() - started
    result = await assemble(clips, tmp / f"edge-{concurrency}-{size}.mp3", fmt="mp3")
    return {
        "finished": time.perf_counter() - started,
        "synthesis": synthesized,
        "first_clip": first[0] if first else 0.0,
        "chunks": len(chunks),
        "max_concurrent": fake.max_concurrent,
        "audio_seconds": result.duration_seconds,
    }


async def run_edge(runs: int, delay: float, speed: float) -> dict[str, object]:
    """edge-tts: requests in flight at the default chunk size, then chunk sizes."""
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-edge-") as tmpdir, FakeEdge() as fake:
        tmp = Path(tmpdir)
        # The fake encodes each clip length once per process: pay that before timing.
        fake.delay, fake.seconds_per_audio_second = 0.0, 0.0
        for size in EDGE_SIZES:
            await edge_run(fake, 8, size, tmp)
        fake.delay, fake.seconds_per_audio_second = delay, speed
        plan = [(level, EDGE_MAX_CHARS) for level in EDGE_LEVELS]
        plan += [(EDGE_DEFAULT, size) for size in EDGE_SIZES if size != EDGE_MAX_CHARS]
        for level, size in plan:
            count = 1 if level == 1 else runs
            results = [await edge_run(fake, level, size, tmp) for _ in range(count)]
            finished = statistics.median(r["finished"] for r in results)
            row = {
                "concurrency": level,
                "chunk_chars": size,
                "runs": count,
                "finished_s": round(finished, 2),
                "first_clip_s": round(statistics.median(r["first_clip"] for r in results), 2),
                "chunks": int(results[0]["chunks"]),
                "max_concurrent": int(max(r["max_concurrent"] for r in results)),
                "audio_min": round(results[0]["audio_seconds"] / 60, 1),
            }
            rows.append(row)
            print(f"  edge concurrency {level:>2}, {size:>4} chars: {finished:6.2f} s", flush=True)
    base = next(r for r in rows if r["concurrency"] == 1)
    for row in rows:
        row["speedup"] = round(float(base["finished_s"]) / float(row["finished_s"]), 2)  # type: ignore[arg-type]
    default = next(
        r for r in rows if r["concurrency"] == EDGE_DEFAULT and r["chunk_chars"] == EDGE_MAX_CHARS
    )
    return {"table": rows, "default_under_10s": float(default["finished_s"]) < EDGE_TARGET_SECONDS}  # type: ignore[arg-type]


def edge_markdown(report: dict[str, object]) -> str:
    """The edge-tts table for docs/benchmarks.md."""
    lines = [
        "| requests in flight | chunk | runs | to finished file (median) | first clip | "
        "vs sequential | chunks | peak in flight | audio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    table = report["table"]
    assert isinstance(table, list)
    for row in table:
        lines.append(
            f"| {row['concurrency']} | {row['chunk_chars']} | {row['runs']} | "
            f"{row['finished_s']:.2f} s | {row['first_clip_s']:.2f} s | {row['speedup']:.2f}× | "
            f"{row['chunks']} | {row['max_concurrent']} | {row['audio_min']} min |"
        )
    return "\n".join(lines)


async def run(runs: int, sequential_runs: int, delay: float) -> dict[str, object]:
    """All concurrency levels, medians, ratios against sequential."""
    results: dict[int, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-tts-") as tmpdir, FakeGTTS() as fake:
        fake.delay = delay
        tmp = Path(tmpdir)
        for level in LEVELS:
            count = sequential_runs if level == 1 else runs
            results[level] = [await one_run(fake, level, tmp) for _ in range(count)]
            median = statistics.median(r["finished"] for r in results[level])
            print(f"  concurrency {level:>2}: {median:6.2f} s to the finished file", flush=True)
    base = statistics.median(r["finished"] for r in results[1])
    table = []
    for level, rows in results.items():
        finished = statistics.median(r["finished"] for r in rows)
        table.append(
            {
                "concurrency": level,
                "runs": len(rows),
                "finished_s": round(finished, 2),
                "synthesis_s": round(statistics.median(r["synthesis"] for r in rows), 2),
                "assemble_s": round(
                    statistics.median(r["finished"] - r["synthesis"] for r in rows), 3
                ),
                "first_clip_s": round(statistics.median(r["first_clip"] for r in rows), 2),
                "speedup": round(base / finished, 2),
                "chunks": int(rows[0]["chunks"]),
                "requests": int(rows[0]["requests"]),
                "max_concurrent": int(max(r["max_concurrent"] for r in rows)),
                "audio_min": round(rows[0]["audio_seconds"] / 60, 1),
            }
        )
    default = next(row for row in table if row["concurrency"] == 4)
    return {
        "words": WORDS,
        "delay_s": delay,
        "table": table,
        "default_speedup_ok": default["speedup"] >= TARGET_SPEEDUP,
        "default_under_20s": default["finished_s"] < TARGET_SECONDS,
    }


def markdown(report: dict[str, object]) -> str:
    """The table for docs/benchmarks.md."""
    lines = [
        "| concurrency | runs | to finished file (median) | synthesis | assembly | "
        "first clip | vs sequential | requests | peak in flight |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    table = report["table"]
    assert isinstance(table, list)
    for row in table:
        lines.append(
            f"| {row['concurrency']} | {row['runs']} | {row['finished_s']:.2f} s | "
            f"{row['synthesis_s']:.2f} s | {row['assemble_s'] * 1000:.0f} ms | "
            f"{row['first_clip_s']:.2f} s | {row['speedup']:.2f}× | {row['requests']} | "
            f"{row['max_concurrent']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print a table and JSON; non-zero when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per concurrent level")
    parser.add_argument(
        "--sequential-runs", type=int, default=1, help="runs at concurrency 1 (each ~60 s)"
    )
    parser.add_argument("--delay", type=float, default=0.3, help="seconds per fake request")
    parser.add_argument(
        "--edge-speed", type=float, default=0.05, help="edge fake: seconds per second of speech"
    )
    args = parser.parse_args(argv if argv is not None else [])
    print(f"{WORDS} German words through GTTSEngine, fake endpoint at {args.delay:g} s/request")
    report = asyncio.run(run(args.runs, args.sequential_runs, args.delay))
    print(markdown(report))
    print(json.dumps(report))
    print(
        f"\n{WORDS} German words through EdgeEngine, fake service at {args.delay:g} s/request "
        f"and {args.edge_speed:g} s per second of speech"
    )
    edge = asyncio.run(run_edge(args.runs, args.delay, args.edge_speed))
    print(edge_markdown(edge))
    print(json.dumps(edge))
    ok = bool(report["default_speedup_ok"]) and bool(report["default_under_20s"])
    edge_ok = bool(edge["default_under_10s"])
    print("gTTS targets met" if ok else "TARGET MISSED: default ≥3× sequential and < 20 s")
    print("edge-tts target met" if edge_ok else "TARGET MISSED: edge-tts default < 10 s")
    return 0 if ok and edge_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
