"""`python -m bench.bench_normalize`: normalising and chunking a 2,000-word German article.

The article is built deterministically: the two saved sample articles in tests/data/pages
(real German news text) followed by news-like paragraphs with numbers, dates, money, units,
abbreviations, acronyms and gender forms drawn from fixed templates with a seeded RNG, up to
2,000 words. Each run normalises every paragraph (as the pipeline does per segment) and
chunks them for gTTS (100 characters), packing paragraphs as the pipeline does. Reported: the
median of repeated runs with warm caches (the steady state of a running bot) and with the
number-word caches cleared before every run (the first article after start), and the number
of gTTS requests against ceil(chars / 100): for chunk_text on the whole text, and for the
pipeline (`Pipeline.prepare` with gTTS, the first paragraph as the headline, with and without
the host intro and outro), where chunk_script packs segments, compared with chunking every
segment on its own as before.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from bot.config import load_settings
from bot.models import Article, Block, BlockKind, Chunk, Script, Segment
from bot.pipeline.chunk import chunk_script, chunk_text
from bot.pipeline.lexicon import Lexicon
from bot.pipeline.normalize import _numbers, normalize
from bot.pipeline.run import Pipeline, RenderOptions
from bot.pipeline.script import PARAGRAPH_PAUSE_MS
from tests.support.news_article import PAGES, build_article
from tests.support.prosody import at_punctuation, bad_splits, share_at_punctuation, splits

RUNS = 30
GTTS_MAX_CHARS = 100
TARGET_MS = 50.0  # the first audio should not wait on text work: under 50 ms on one core
# Request budget: within 40 % of ceil(chars / 100). It was 10 %, then 15 % when the chunker
# stopped cutting inside phrases; the chunker now pays up to a request to avoid a cut without
# punctuation (1.343 on this article, 1.351 with the host intro; see `--tradeoff`, `--wall`).
TARGET_RATIO = 1.40
# Goal for splits at punctuation on news text, not reached: the fewest mid-clause cuts the text
# allows leave 85 % on the sample news and 81 % here; more only comes from extra comma cuts.
TARGET_PUNCTUATION = 0.90
_SENTENCE_END = (".", "!", "?", "…", "“", '"', "»")


def _clear_caches() -> None:
    for cached in (_numbers.cardinal, _numbers.ordinal_stem):
        cached.cache_clear()


def _run(paragraphs: list[str]) -> tuple[float, float, list[str], list[str]]:
    """One pass: CPU seconds, wall seconds, the spoken paragraphs and the gTTS chunks."""
    cpu, wall = time.process_time(), time.perf_counter()
    spoken = [normalize(p) for p in paragraphs]
    script = Script(tuple(Segment("reader", text, PARAGRAPH_PAUSE_MS) for text in spoken if text))
    chunks = chunk_script(script, GTTS_MAX_CHARS, pack_segments=True)
    return time.process_time() - cpu, time.perf_counter() - wall, spoken, [c.text for c in chunks]


@dataclass(frozen=True)
class PipelineRequests:
    """gTTS requests for the article as the pipeline lays it out."""

    intro: bool
    segments: int
    characters: int  # of the spoken segment texts
    packed: int  # len(Pipeline.prepare(...).chunks): segments packed
    separate: int  # every segment chunked on its own (before packing)
    paragraph_pauses: int  # segment ends that still end a chunk, of `segments`
    sentence_ends: int  # packed chunks that end a sentence

    @property
    def ideal(self) -> int:
        """ceil(characters / 100)."""
        return math.ceil(self.characters / GTTS_MAX_CHARS)


def _segment_ends_kept(script: Script, chunks: Sequence[Chunk]) -> int:
    """How many segment ends are also chunk ends (so keep their pause)."""
    ends, offset = set(), 0
    for segment in script.segments:
        offset += len(" ".join(segment.text.split())) + 1
        ends.add(offset)
    offset = 0
    kept = 0
    for chunk in chunks:
        offset += len(chunk.text) + 1
        kept += offset in ends
    return kept


async def pipeline_requests(paragraphs: list[str]) -> list[PipelineRequests]:
    """Lay the article out with Pipeline.prepare for gTTS, without and with the host intro."""
    article = Article(
        title=paragraphs[0],
        blocks=tuple(Block(BlockKind.PARAGRAPH, p) for p in paragraphs[1:]),
        site="Beispiel-Zeitung",
    )
    out = []
    with tempfile.TemporaryDirectory() as data:
        pipeline = Pipeline(load_settings(HOERCLUB_DATA_DIR=Path(data), HOERCLUB_TTS_ENGINE="gtts"))
        try:
            for intro in (False, True):
                prepared = pipeline.prepare(article, RenderOptions(engine="gtts", intro=intro))
                segments = tuple(
                    replace(s, text=pipeline.speakable(s.text, prepared.script.language))
                    for s in prepared.script.segments
                )
                spoken = Script(tuple(s for s in segments if s.text.strip()))
                separate = chunk_script(spoken, GTTS_MAX_CHARS)
                kept = _segment_ends_kept(spoken, prepared.chunks)
                out.append(
                    PipelineRequests(
                        intro=intro,
                        segments=len(spoken.segments),
                        characters=sum(len(s.text) for s in spoken.segments),
                        packed=len(prepared.chunks),
                        separate=len(separate),
                        paragraph_pauses=kept,
                        sentence_ends=sum(c.text.endswith(_SENTENCE_END) for c in prepared.chunks),
                    )
                )
        finally:
            await pipeline.aclose()
    return out


def prosody(label: str, paragraphs: list[str]) -> int:
    """Print where the gTTS chunks of these paragraphs split; return the bad splits."""
    lexicon = Lexicon.builtin()
    spoken = [normalize(p, lexicon=lexicon) for p in paragraphs]
    script = Script(tuple(Segment("reader", t, PARAGRAPH_PAUSE_MS) for t in spoken if t))
    chunks = chunk_script(script, GTTS_MAX_CHARS, pack_segments=True)
    bad = bad_splits(chunks)
    ideal = math.ceil(sum(len(t) for t in spoken) / GTTS_MAX_CHARS)
    pairs = splits(chunks)
    mid = sum(not at_punctuation(before, after) for before, after in pairs)
    print(
        f"splits, {label}: {len(chunks)} chunks (ratio {len(chunks) / ideal:.3f}), "
        f"{share_at_punctuation(chunks):.1%} of splits at punctuation ({mid} of {len(pairs)} "
        f"mid-clause, goal {TARGET_PUNCTUATION:.0%}), {len(bad)} bad splits"
    )
    for split in bad:
        print(f"  bad split ({split.pattern}): {split.before} | {split.after}")
    return len(bad)


def _sample_news() -> list[str]:
    paragraphs = []
    for name in ("clubhouse-musk", "regional-bahn"):
        text = (PAGES / f"{name}.expected.txt").read_text(encoding="utf-8")
        paragraphs += [p for p in text.split("\n\n") if p.strip()]
    return paragraphs


@dataclass(frozen=True)
class Layout:
    """Where the chunks of some paragraphs split, for one engine's chunk size."""

    chunks: int
    ratio: float  # chunks / ceil(chars / size)
    splits: int  # chunk boundaries inside a paragraph
    mid_clause: int  # of those, not at punctuation: heard as a drop inside a clause
    share: float  # splits at punctuation / splits
    bad: int  # splits matching a bad pattern


def layout(spoken: list[str], size: int, *, pack: bool) -> Layout:
    """Chunk already spoken paragraphs for one chunk size and measure the splits."""
    script = Script(tuple(Segment("reader", t, PARAGRAPH_PAUSE_MS) for t in spoken if t))
    chunks = chunk_script(script, size, pack_segments=pack)
    pairs = splits(chunks)
    mid = sum(not at_punctuation(before, after) for before, after in pairs)
    ideal = math.ceil(sum(len(t) for t in spoken) / size)
    return Layout(
        len(chunks), len(chunks) / ideal, len(pairs), mid, share_at_punctuation(chunks),
        len(bad_splits(chunks)),
    )  # fmt: skip


# The curve: the chunker's penalty for a cut without punctuation (`_Q_MID_CLAUSE`, against a
# request cost of 400 when gTTS packs segments), and for comparison the earlier way of buying
# punctuation, raising the worth of sentence / clause / comma cuts (`_Q_SENTENCE`,
# `_Q_SEMICOLON`, `_Q_COMMA`), whose last row is the first to reach 90 % on the news sample.
_MID_CLAUSE_CURVE: Final = (0.0, -100.0, -200.0, -300.0, -400.0, -800.0)
_BOOSTED_CURVE: Final = ((200.0, 150.0, 130.0), (350.0, 300.0, 280.0), (2000.0, 1900.0, 1800.0))
_QUALITY_NAMES: Final = ("_Q_SENTENCE", "_Q_SEMICOLON", "_Q_COMMA")
# Engines and their chunk sizes (gTTS packs segments, as Pipeline.prepare does).
ENGINE_SIZES: Final = (("gtts", 100, True), ("edge", 400, False), ("espeak", 500, False))


@contextmanager
def chunk_costs(mid_clause: float | None = None, boosted: Sequence[float] = ()) -> Iterator[None]:
    """Run the chunker with other cut qualities for the length of a with-block."""
    from bot.pipeline import chunk as chunker

    names = list(_QUALITY_NAMES[: len(boosted)])
    values = list(boosted)
    if mid_clause is not None:
        names.append("_Q_MID_CLAUSE")
        values.append(mid_clause)
    saved = [getattr(chunker, name) for name in names]
    try:
        for name, value in zip(names, values, strict=True):
            setattr(chunker, name, value)
        yield
    finally:
        for name, value in zip(names, saved, strict=True):
            setattr(chunker, name, value)


def _row(label: str, news: list[str], article: list[str]) -> None:
    a, b = layout(news, GTTS_MAX_CHARS, pack=True), layout(article, GTTS_MAX_CHARS, pack=True)
    print(
        f"{label:<34} news: {a.chunks:>3} requests ({a.ratio:.3f}), "
        f"{a.mid_clause:>3}/{a.splits:<3} mid-clause, {a.share:6.1%} at punctuation, {a.bad} bad"
        f" | bench article: {b.chunks:>3} ({b.ratio:.3f}), {b.mid_clause:>3}/{b.splits:<3}, "
        f"{b.share:6.1%}, {b.bad} bad"
    )


def tradeoff(news: list[str], article: list[str]) -> None:
    """Print the curve of requests against splits at punctuation, and the share per engine."""
    print("gTTS (100 characters, segments packed): requests against splits at punctuation")
    for mid in _MID_CLAUSE_CURVE:
        with chunk_costs(mid_clause=mid):
            _row(f"mid-clause cut {mid:+.0f}", news, article)
    for boosted in _BOOSTED_CURVE:
        with chunk_costs(mid_clause=0.0, boosted=boosted):
            _row(f"no penalty, cuts worth {tuple(int(q) for q in boosted)}", news, article)
    print("per engine, the chunker as it is:")
    for engine, size, pack in ENGINE_SIZES:
        for label, spoken in (("news", news), ("bench article", article)):
            x = layout(spoken, size, pack=pack)
            print(
                f"  {engine:<6} {size:>3} characters, {label:<13}: {x.chunks:>3} requests, "
                f"{x.mid_clause}/{x.splits} splits mid-clause, {x.share:.1%} at punctuation, "
                f"{x.bad} bad"
            )


async def render_seconds(spoken: list[str], concurrency: int, delay: float) -> tuple[int, float]:
    """Requests and wall seconds to synthesise and assemble the paragraphs with gTTS against
    the local fake answering each request after `delay` seconds."""
    from bot.config import load_settings as settings_for
    from bot.pipeline.assemble import assemble
    from bot.pipeline.synthesize import synthesize_chunks
    from bot.tts.cache import ClipCache
    from bot.tts.gtts import GTTSEngine
    from tests.support.fake_gtts import running_fake

    script = Script(tuple(Segment("reader", t, PARAGRAPH_PAUSE_MS) for t in spoken if t))
    chunks = chunk_script(script, GTTS_MAX_CHARS, pack_segments=True)
    with tempfile.TemporaryDirectory() as tmp, running_fake(delay) as fake:
        settings = settings_for(
            HOERCLUB_GTTS_ENDPOINT=fake.url,
            HOERCLUB_TTS_CONCURRENCY=concurrency,
            HOERCLUB_DATA_DIR=Path(tmp) / "data",
        )
        engine = GTTSEngine(settings)
        started = time.perf_counter()
        try:
            clips = await synthesize_chunks(
                engine, chunks, "de", concurrency=concurrency, cache=ClipCache(Path(tmp) / "c")
            )
            await assemble(clips, Path(tmp) / "artikel.mp3", fmt="mp3")
        finally:
            await engine.aclose()
        return fake.requests, time.perf_counter() - started


def render_wall_times(article: list[str]) -> None:
    """Wall time of a 2,000-word render with the fake gTTS (300 ms a request) per setting."""
    from bot.pipeline.chunk import _Q_MID_CLAUSE as MID_CLAUSE_NOW

    lexicon = Lexicon.builtin()
    spoken = [normalize(p, lexicon=lexicon) for p in article]
    settings: tuple[tuple[str, float, Sequence[float]], ...] = (
        ("before: no mid-clause penalty", 0.0, ()),
        (f"now: mid-clause cut {MID_CLAUSE_NOW:+.0f}", MID_CLAUSE_NOW, ()),
        ("cuts worth (2000, 1900, 1800)", 0.0, _BOOSTED_CURVE[-1]),
    )
    for label, mid, boosted in settings:
        for concurrency in (4, 8):
            with chunk_costs(mid_clause=mid, boosted=boosted):
                runs = [asyncio.run(render_seconds(spoken, concurrency, 0.3)) for _ in range(3)]
            seconds = statistics.median(t for _, t in runs)
            print(
                f"{label:<34} {concurrency} in flight: {runs[0][0]} requests, "
                f"{seconds:.2f} s to the finished file (median of 3)"
            )


def main() -> int:
    """Print the medians and the request count; exit 1 when a target is missed."""
    paragraphs = build_article()
    if "--tradeoff" in sys.argv[1:]:
        lexicon = Lexicon.builtin()
        tradeoff(
            [normalize(p, lexicon=lexicon) for p in _sample_news()],
            [normalize(p, lexicon=lexicon) for p in paragraphs],
        )
        return 0
    if "--wall" in sys.argv[1:]:
        render_wall_times(paragraphs)
        return 0
    words = sum(len(p.split()) for p in paragraphs)
    cold_cpu, cold_wall, warm_cpu, warm_wall = [], [], [], []
    spoken: list[str] = []
    chunks: list[str] = []
    for _ in range(RUNS):
        _clear_caches()
        cpu, wall, spoken, chunks = _run(paragraphs)
        cold_cpu.append(cpu)
        cold_wall.append(wall)
    for _ in range(RUNS):
        cpu, wall, spoken, chunks = _run(paragraphs)
        warm_cpu.append(cpu)
        warm_wall.append(wall)
    normalise_cpu = []
    for _ in range(RUNS):
        start = time.process_time()
        for p in paragraphs:
            normalize(p)
        normalise_cpu.append(time.process_time() - start)

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:.1f} ms"

    text = " ".join(spoken)
    ideal = math.ceil(len(text) / GTTS_MAX_CHARS)
    whole = chunk_text(text, GTTS_MAX_CHARS)
    layouts = asyncio.run(pipeline_requests(paragraphs))
    print(f"article: {words} words, {len(paragraphs)} paragraphs, {len(text)} spoken characters")
    print(f"medians of {RUNS} runs (CPU time of this process; wall time in brackets)")
    print(f"normalise + chunk, warm caches: {ms(warm_cpu)} ({ms(warm_wall)})")
    print(f"normalise + chunk, cold caches: {ms(cold_cpu)} ({ms(cold_wall)})")
    print(f"normalise only, warm caches:    {ms(normalise_cpu)}")
    print(
        f"gTTS requests (chunk_text, 100 chars) on the whole text: {len(whole)}; "
        f"ceil(chars / 100) = {ideal}; ratio {len(whole) / ideal:.3f}"
    )
    print(f"gTTS requests, paragraphs packed (as timed above): {len(chunks)}")
    for layout in layouts:
        print(
            f"gTTS requests, Pipeline.prepare, host intro {'on ' if layout.intro else 'off'}: "
            f"{layout.segments} segments, {layout.characters} characters, "
            f"ceil(chars / 100) = {layout.ideal}; segments packed {layout.packed} "
            f"(ratio {layout.packed / layout.ideal:.3f}, {layout.paragraph_pauses}/"
            f"{layout.segments} segment ends kept), each segment alone {layout.separate} "
            f"(ratio {layout.separate / layout.ideal:.3f}); {layout.sentence_ends} packed chunks "
            "end a sentence"
        )
    sentence_ends = sum(c.endswith(_SENTENCE_END) for c in whole)
    print(
        f"chunks ending at a sentence end: {sentence_ends}/{len(whole)}; "
        f"average chunk {statistics.mean(len(c) for c in whole):.1f} characters"
    )
    bad = prosody("the two sample news articles", _sample_news())
    bad += prosody("the whole bench article", paragraphs)
    worst = max(statistics.median(warm_cpu), statistics.median(cold_cpu)) * 1000
    ok = worst < TARGET_MS and all(x.packed / x.ideal <= TARGET_RATIO for x in layouts)
    ok = ok and bad == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
