"""`python -m bench.bench_pdf`: reading a PDF's text, ours against plain pypdf, and the hop.

Documents: reports written by tests/support/pdfs.py (running header, "Seite n von m" footers,
sections with headings, 16 lines a page) of about 10 and about 100 pages. Ours is
`article_from_pdf` (open, extract every page, drop running lines, rebuild paragraphs and
headings, join hyphenation, detect the language, clean); the baseline in the same run is plain
pypdf: `extract_text()` of every page, so the ratio says what the rebuild adds. The hop: the
same call through the extraction worker process the bot uses (a warm worker; the PDF's bytes
and the article are pickled).
"""

from __future__ import annotations

import asyncio
import io
import statistics
import time

from pypdf import PdfReader

from bot.pipeline.isolate import run_isolated, shutdown_idle
from bot.pipeline.pdf import article_from_pdf
from tests.support.pdfs import make_pdf, report_pages

RUNS = 15
SECTIONS = ("Die Planung", "Was es kostet", "Wer profitiert", "Was Kritiker sagen")


def _report(words: int) -> bytes:
    return make_pdf(report_pages("Bericht", sections=SECTIONS, words=words), title="Bericht")


def _plain(data: bytes) -> int:
    return sum(len(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages)


def _median_seconds(fn: object, *args: object) -> float:
    fn(*args)  # type: ignore[operator]  # warm: imports and first-call caches, as in the hop
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn(*args)  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def _hop(data: bytes) -> float:
    await run_isolated(article_from_pdf, data, None, None, deadline=30)  # warm the worker
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await run_isolated(article_from_pdf, data, None, None, deadline=30)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    """Print the medians and ratios."""
    for words in (150, 1500):
        data = _report(words)
        pages = len(PdfReader(io.BytesIO(data)).pages)
        ours = _median_seconds(article_from_pdf, data)
        plain = _median_seconds(_plain, data)
        print(f"{pages} pages ({len(data) / 1e3:.0f} kB), {RUNS} runs each:")
        print(
            f"  article_from_pdf:  median {ours * 1000:.1f} ms ({ours / pages * 1000:.2f} ms/page)"
        )
        print(f"  plain pypdf text:  median {plain * 1000:.1f} ms")
        print(f"  ratio (median):    {ours / plain:.2f}x")
        hop = asyncio.run(_hop(data))
        print(f"  in the worker process: median {hop * 1000:.1f} ms ({hop / ours:.2f}x in-process)")
    shutdown_idle(wait=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
