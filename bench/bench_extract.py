"""`python -m bench.bench_extract`: extraction time per page, a 5 MB page, and CLI start-up.

Pages: every saved page in tests/data/pages and tests/data/extraction. Each is extracted (parse,
prune, trafilatura, clean, walls: `article_from_html`) RUNS times; the baseline in the same run
is plain `trafilatura.extract` on the same page, so the ratio says what our stages add. The 5 MB
page repeats a real article's paragraphs with numbered variants (the shape that made the old
pairwise duplicate check quadratic). Start-up: `python -m bot extract PAGE` as a new process,
against `python -c pass`, with TMPDIR pointed at an empty folder whose size is reported after.
Process hop: the sample page extracted in this process against the same call through the
extraction worker process the bot uses (a warm worker; the page and the article are pickled).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

from bot.errors import NoArticleError
from bot.pipeline.article import article_from_html
from bot.pipeline.clean import clean_article
from bot.pipeline.extract import extract_parsed, parse_page
from bot.pipeline.isolate import run_isolated, shutdown_idle

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "tests" / "data" / "pages").glob("*.html")) + sorted(
    (ROOT / "tests" / "data" / "extraction").glob("*.html")
)
RUNS = 15
STARTS = 10
HOPS = 40


def _time(fn: object, *args: object) -> float:
    started = time.perf_counter()
    with contextlib.suppress(NoArticleError):  # refusing is work too (index pages, walls)
        fn(*args)  # type: ignore[operator]
    return time.perf_counter() - started


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def pages() -> None:
    """Per-page extraction time, ours against plain trafilatura."""
    ours: list[float] = []
    plain: list[float] = []
    for path in PAGES:
        html = path.read_text(encoding="utf-8")
        for _ in range(RUNS):
            ours.append(_time(article_from_html, html, None))
            plain.append(_time(trafilatura.extract, html))
    print(f"pages: {len(PAGES)}, {RUNS} runs each")
    print(
        f"  article_from_html:  median {statistics.median(ours) * 1000:.1f} ms, "
        f"p99 {_percentile(ours, 0.99) * 1000:.1f} ms"
    )
    print(
        f"  trafilatura.extract: median {statistics.median(plain) * 1000:.1f} ms, "
        f"p99 {_percentile(plain, 0.99) * 1000:.1f} ms"
    )
    print(f"  ratio (median): {statistics.median(ours) / statistics.median(plain):.2f}x")


def big_page() -> None:
    """A page of about 5 MB: extraction in well under a second, nothing quadratic."""
    sample = (ROOT / "tests" / "data" / "pages" / "clubhouse-musk.html").read_text("utf-8")
    paragraphs = [p.split("</p>")[0] for p in sample.split("<p>")[1:] if "</p>" in p]
    body: list[str] = []
    size = 0
    index = 0
    while size < 5_000_000:
        text = f"{paragraphs[index % len(paragraphs)]} (Abschnitt {index // len(paragraphs)})"
        body.append(f"<p>{text}</p>")
        size += len(text) + 7
        index += 1
    html = f'<html lang="de"><head><title>Langes Dossier</title></head><body><article><h1>Langes Dossier</h1>{"".join(body)}</article></body></html>'  # noqa: E501
    times = [_time(article_from_html, html, None) for _ in range(3)]
    baseline = [_time(trafilatura.extract, html) for _ in range(3)]
    extracted = extract_parsed(parse_page(html))
    cleaning = [_time(clean_article, extracted) for _ in range(3)]
    print(f"5 MB page ({len(html) / 1e6:.1f} MB, {len(body)} paragraphs):")
    print(f"  article_from_html:   median {statistics.median(times):.2f} s")
    print(f"  of which clean_article: median {statistics.median(cleaning):.2f} s")
    print(f"  trafilatura.extract: median {statistics.median(baseline):.2f} s")


def process_hop() -> None:
    """The sample page in-process against through the worker process: the hop's cost."""
    html = (ROOT / "tests" / "data" / "pages" / "clubhouse-musk.html").read_text("utf-8")

    async def measure() -> tuple[float, list[float], list[float]]:
        started = time.perf_counter()
        await run_isolated(article_from_html, html, None, deadline=60)  # spawn and warm up
        first = time.perf_counter() - started
        inline: list[float] = []
        pooled: list[float] = []
        for _ in range(HOPS):
            inline.append(_time(article_from_html, html, None))
            started = time.perf_counter()
            await run_isolated(article_from_html, html, None, deadline=60)
            pooled.append(time.perf_counter() - started)
        return first, inline, pooled

    first, inline, pooled = asyncio.run(measure())
    shutdown_idle()
    hop = statistics.median(pooled) - statistics.median(inline)
    print(f"process hop, sample page ({len(html) / 1e3:.0f} kB), {HOPS} runs each:")
    print(
        f"  in-process: median {statistics.median(inline) * 1000:.1f} ms, "
        f"pool: median {statistics.median(pooled) * 1000:.1f} ms, hop {hop * 1000:.1f} ms"
    )
    print(f"  first call, spawning the worker: {first:.2f} s (once per bot process)")


def startup() -> None:
    """Wall time of `python -m bot extract PAGE` in a new process, and its temporary files."""
    page = str(ROOT / "tests" / "data" / "pages" / "regional-bahn.html")
    with tempfile.TemporaryDirectory() as scratch:
        env = os.environ | {"TMPDIR": scratch, "PYTHONPATH": str(ROOT)}
        run = [sys.executable, "-m", "bot", "extract", page]
        bare = [sys.executable, "-c", "pass"]
        ours = []
        python = []
        for _ in range(STARTS):
            python.append(_run(bare, env))
            ours.append(_run(run, env))
        written = sum(f.stat().st_size for f in Path(scratch).rglob("*") if f.is_file())
    print(f"start-up, {STARTS} runs each:")
    print(f"  hoerclub extract PAGE: median {statistics.median(ours):.2f} s wall")
    print(f"  python -c pass:        median {statistics.median(python):.2f} s wall")
    print(f"  temporary files written: {written / 1e6:.1f} MB")


def _run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    """Print every figure."""
    pages()
    big_page()
    process_hop()
    startup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
