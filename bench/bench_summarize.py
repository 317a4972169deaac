"""Extractive summary: time for a ~1,500-word article, length error and key-fact coverage.

    python -m bench.bench_summarize [--runs 50]

The long article is the fixture tests/data/summaries/politik-haushalt.json (1,306 words)
followed by the paragraphs of wirtschaft-inflation.json until it has 1,500 words or more.
Times are wall-clock medians and the 99th percentile over the runs, after one warm-up run that
loads simplemma's German dictionary (reported apart: a running bot pays it once).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

from bot.models import Article
from bot.pipeline.script import estimate_seconds
from bot.pipeline.summarize import summarize
from tests.support.summaries import FIXTURES, kept_facts, load_fixture, load_fixtures

TARGETS = (60.0, 75.0, 120.0)


def long_article(words: int = 1500) -> Article:
    """The politics fixture, lengthened with another fixture's paragraphs to `words` words."""
    base = load_fixture(FIXTURES / "politik-haushalt.json").article
    extra = load_fixture(FIXTURES / "wirtschaft-inflation.json").article.blocks
    blocks = list(base.blocks)
    for block in extra:
        if sum(len(b.text.split()) for b in blocks) + len(base.title.split()) >= words:
            break
        blocks.append(block)
    return dataclasses.replace(base, blocks=tuple(blocks))


def main() -> None:
    """Print the figures for docs/benchmarks.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    article = long_article()
    started = time.perf_counter()
    summarize(article, 75.0)
    first = time.perf_counter() - started
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        summarize(article, 75.0)
        times.append(time.perf_counter() - started)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    print(f"article: {article.words} words, {len(article.blocks)} blocks")
    print(f"first call (loads simplemma's dictionary): {first * 1000:.0f} ms")
    print(
        f"summary, 75 s target: median {statistics.median(times) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms over {args.runs} runs"
    )

    fixtures = load_fixtures()
    for seconds in TARGETS:
        errors = []
        for fixture in fixtures:
            if estimate_seconds(fixture.article.words) <= seconds * 1.2:
                continue  # already short enough: the summary is the article
            summary = summarize(fixture.article, seconds)
            errors.append(estimate_seconds(summary.words) / seconds - 1)
        worst = max(errors, key=abs)
        print(
            f"length error at {seconds:.0f} s over {len(errors)} articles: "
            f"mean {statistics.fmean(abs(e) for e in errors):.1%}, worst {worst:+.1%}"
        )
    kept = total = 0
    for fixture in fixtures:
        facts = kept_facts(fixture, summarize(fixture.article, 75.0).text)
        kept += sum(facts)
        total += len(facts)
        print(f"  {fixture.name:26s} {sum(facts)}/{len(facts)}")
    print(f"key facts kept at 75 s: {kept}/{total} = {kept / total:.1%} ({len(fixtures)} articles)")


if __name__ == "__main__":
    main()
