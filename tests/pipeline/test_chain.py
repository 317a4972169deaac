"""The chain of engines: edge-tts → gTTS → espeak against the local fakes, by paragraph."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import EngineBusyError
from bot.pipeline.article import text_to_article
from bot.pipeline.run import Pipeline, Progress, RenderOptions
from tests.support.audio import probe
from tests.support.fake_edge import FakeEdge
from tests.support.fake_gtts import FakeGTTS

# Every sentence differs (the numbers), so no two chunks are the same request.
PARAGRAPHS = [
    f"Im Absatz {n} beriet der Stadtrat über Posten {n} des Haushalts, und die Opposition "
    f"kritisierte Plan {n} scharf. Sprecher {n} kündigte Gespräche für Woche {n} an."
    for n in range(1, 13)
]
TEXT = "Ein Tag im Stadtrat\n\n" + "\n\n".join(PARAGRAPHS)


@pytest.fixture
def fakes() -> Iterator[tuple[FakeEdge, FakeGTTS]]:
    with FakeEdge() as edge, FakeGTTS() as gtts:
        yield edge, gtts


def _pipeline(tmp_path: Path, edge: FakeEdge, gtts: FakeGTTS, **env: object) -> Pipeline:
    settings = load_settings(
        HOERCLUB_DATA_DIR=tmp_path / "data",
        HOERCLUB_TTS_ENGINE="edge",
        HOERCLUB_EDGE_ENDPOINT=edge.url,
        HOERCLUB_EDGE_RETRIES=1,
        HOERCLUB_GTTS_ENDPOINT=gtts.url,
        HOERCLUB_GTTS_RETRIES=1,
        HOERCLUB_HOST_INTRO=False,
        **env,
    )
    return Pipeline(settings)


def _words(texts: list[str]) -> list[str]:
    return " ".join(texts).split()


async def test_edge_speaks_the_article_when_it_answers(
    tmp_path: Path, fakes: tuple[FakeEdge, FakeGTTS]
) -> None:
    edge, gtts = fakes
    pipeline = _pipeline(tmp_path, edge, gtts)
    try:
        article = text_to_article(TEXT)
        result = await pipeline.render(article, tmp_path / "a.mp3")
        spoken = [c.text for c in pipeline.prepare(article, RenderOptions()).chunks]
    finally:
        await pipeline.aclose()
    assert (result.engine, result.engines, result.fell_back) == ("edge", ("edge",), False)
    assert result.voice == "de-DE-KatjaNeural"
    assert gtts.texts == []
    assert sorted(edge.texts) == sorted(spoken)
    assert all(len(t) <= 400 for t in edge.texts)
    assert abs(probe(tmp_path / "a.mp3")["duration"] - result.duration_seconds) < 0.1


async def test_a_failing_engine_hands_the_rest_on_at_a_paragraph(
    tmp_path: Path, fakes: tuple[FakeEdge, FakeGTTS]
) -> None:
    edge, gtts = fakes
    edge.fail_after(4, 503)
    pipeline = _pipeline(tmp_path, edge, gtts, HOERCLUB_EDGE_CONCURRENCY=1)
    events: list[Progress] = []

    async def progress(p: Progress) -> None:
        events.append(p)

    try:
        article = text_to_article(TEXT)
        prepared = pipeline.prepare(article, RenderOptions())
        result = await pipeline.render(article, tmp_path / "b.mp3", progress=progress)
    finally:
        await pipeline.aclose()
    assert result.engines == ("edge", "gtts")
    assert (result.engine, result.voice, result.fell_back) == ("gtts", "de", True)
    # Nothing lost, nothing said twice: edge's paragraphs, then gTTS's from the next one on.
    assert prepared.spoken is not None
    segments = [s.text for s in prepared.spoken.segments]
    # edge spoke 4 chunks (in order: one at a time); the file keeps those of whole paragraphs.
    prefixes = [_words(segments[:n]) for n in range(1, len(segments))]
    kept = [k for k in range(1, 5) if _words(edge.texts[:k]) in prefixes]
    assert kept
    said = edge.texts[: kept[-1]] + gtts.texts  # gTTS's requests arrive in any order
    assert Counter(_words(said)) == Counter(_words(segments))
    synth = [e for e in events if e.stage == "synthesize"]
    assert synth[-1].done == synth[-1].total
    info = probe(tmp_path / "b.mp3")
    assert info["decode_errors"] == []
    assert abs(info["duration"] - result.duration_seconds) < 0.1


async def test_the_chain_goes_on_to_the_offline_voice(
    tmp_path: Path, fakes: tuple[FakeEdge, FakeGTTS]
) -> None:
    edge, gtts = fakes
    edge.fail_after(0, 429)
    gtts.fail_next(10_000, 500)
    pipeline = _pipeline(tmp_path, edge, gtts)
    try:
        result = await pipeline.render(text_to_article(TEXT), tmp_path / "c.mp3")
    finally:
        await pipeline.aclose()
    assert (result.engines, result.engine, result.fell_back) == (("espeak",), "espeak", True)
    assert probe(tmp_path / "c.mp3")["duration"] > 30


async def test_without_fallback_the_failure_reaches_the_caller(
    tmp_path: Path, fakes: tuple[FakeEdge, FakeGTTS]
) -> None:
    edge, gtts = fakes
    edge.fail_after(0, 429)
    pipeline = _pipeline(tmp_path, edge, gtts, HOERCLUB_TTS_FALLBACK=False)
    try:
        with pytest.raises(EngineBusyError):
            await pipeline.render(text_to_article(TEXT), tmp_path / "d.mp3")
    finally:
        await pipeline.aclose()
    assert gtts.texts == []


def test_chain_order_from_the_settings(tmp_path: Path) -> None:
    def chain(first: str | None = None, **env: object) -> list[str]:
        return Pipeline(load_settings(HOERCLUB_DATA_DIR=tmp_path, **env)).engine_chain(first)

    assert chain() == ["gtts", "espeak"]
    assert chain(HOERCLUB_TTS_ENGINE="edge") == ["edge", "gtts", "espeak"]
    assert chain("edge") == ["edge", "gtts", "espeak"]  # a user's choice before the chain
    assert chain("espeak", HOERCLUB_TTS_ENGINE="edge") == ["espeak"]
    assert chain(HOERCLUB_TTS_ENGINE="edge", HOERCLUB_TTS_CHAIN="edge, espeak") == [
        "edge",
        "espeak",
    ]
    assert chain(HOERCLUB_TTS_ENGINE="edge", HOERCLUB_TTS_FALLBACK=False) == ["edge"]


async def test_tempo_goes_through_edges_rate_not_atempo(
    tmp_path: Path, fakes: tuple[FakeEdge, FakeGTTS]
) -> None:
    edge, gtts = fakes
    pipeline = _pipeline(tmp_path, edge, gtts)
    article = text_to_article(TEXT)
    try:
        normal = await pipeline.render(article, tmp_path / "n.mp3")
        fast = await pipeline.render(article, tmp_path / "f.mp3", RenderOptions(tempo=1.25))
    finally:
        await pipeline.aclose()
    rates = [r.rate for r in edge.requests]
    assert set(rates) == {"+0%", "+25%"}
    assert fast.voice == "de-DE-KatjaNeural@+25%"
    # The speech is 1.25 times faster; the pauses between clips keep their length.
    assert fast.duration_seconds < normal.duration_seconds * 0.9
    assert probe(tmp_path / "f.mp3")["decode_errors"] == []
