"""synthesize_chunks against the fake gTTS endpoint: order, bounds, dedupe, cache, progress."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.errors import EngineBusyError, SynthesisError
from bot.models import Chunk, Clip
from bot.pipeline.synthesize import CLAUSE_PAUSE_MS, WORD_PAUSE_MS, synthesize_chunks
from bot.tts.cache import ClipCache
from bot.tts.gtts import GTTSEngine
from tests.support.fake_gtts import Corruption, FakeGTTS, mp3_for

TEXTS = [f"Satz Nummer {i} mit {'etwas ' * (i % 5)}Inhalt." for i in range(12)]


@pytest.fixture
def fake() -> Iterator[FakeGTTS]:
    with FakeGTTS() as server:
        yield server


@pytest.fixture
async def make_engine(fake: FakeGTTS, tmp_path: Path) -> AsyncIterator[Callable[..., GTTSEngine]]:
    engines: list[GTTSEngine] = []

    def make(**env: object) -> GTTSEngine:
        settings = load_settings(
            HOERCLUB_GTTS_ENDPOINT=fake.url, HOERCLUB_DATA_DIR=tmp_path / "data", **env
        )
        engine = GTTSEngine(settings, backoff_base=0.01, backoff_cap=0.02)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.aclose()


def chunks_of(texts: list[str]) -> list[Chunk]:
    return [
        Chunk(
            text, index, pause_after_ms=300 + index, chapter=f"K{index}" if index % 4 == 0 else None
        )
        for index, text in enumerate(texts)
    ]


async def test_order_pauses_and_chapters_are_kept(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS
) -> None:
    fake.delay = 0.02
    chunks = chunks_of(TEXTS)
    clips = await synthesize_chunks(make_engine(), chunks, "de", concurrency=4, cache=None)
    assert len(clips) == len(chunks)
    for chunk, clip in zip(chunks, clips, strict=True):
        assert clip.pause_after_ms == chunk.pause_after_ms
        assert clip.chapter == chunk.chapter
    # the fake's audio grows with the text: the clips are in chunk order, not finishing order
    sizes = [len(clip.data) for clip in clips]
    lengths = [len(text) for text in TEXTS]
    assert sorted(range(12), key=lambda i: (lengths[i], i)) == sorted(
        range(12), key=lambda i: (sizes[i], i)
    )


async def test_concurrency_is_bounded_and_used(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS
) -> None:
    fake.delay = 0.1
    engine = make_engine(HOERCLUB_TTS_CONCURRENCY=8)
    await synthesize_chunks(engine, chunks_of(TEXTS), "de", concurrency=3, cache=None)
    assert fake.max_concurrent == 3  # the server saw three requests overlap, never four


async def test_engine_threads_bound_concurrency_too(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS
) -> None:
    fake.delay = 0.05
    engine = make_engine(HOERCLUB_TTS_CONCURRENCY=2, HOERCLUB_WORKERS=1)
    await synthesize_chunks(engine, chunks_of(TEXTS), "de", concurrency=16, cache=None)
    assert fake.max_concurrent <= 2


async def test_each_worker_gets_its_own_share_of_the_engine(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS
) -> None:
    # Two articles rendered at once (two bot workers) each keep their own bound of 2, so the
    # second user's first chunks do not wait behind the first user's whole article.
    fake.delay = 0.1
    engine = make_engine(HOERCLUB_TTS_CONCURRENCY=2, HOERCLUB_WORKERS=2)
    first = [f"Erster Artikel, Satz {i}." for i in range(8)]
    second = [f"Zweiter Artikel, Satz {i}." for i in range(8)]
    await asyncio.gather(
        synthesize_chunks(engine, chunks_of(first), "de", concurrency=2, cache=None),
        synthesize_chunks(engine, chunks_of(second), "de", concurrency=2, cache=None),
    )
    assert fake.max_concurrent == 4
    # The second article's first chunk went out among the first requests, not after 8.
    assert fake.texts.index(second[0]) < 4


async def test_first_chunks_are_requested_first(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS, tmp_path: Path
) -> None:
    fake.delay = 0.05
    cache = ClipCache(tmp_path / "cache")
    cache.put("gtts", "de", TEXTS[1], Clip(mp3_for(TEXTS[1]), "mp3", 24000))  # a hit in between
    await synthesize_chunks(make_engine(), chunks_of(TEXTS), "de", concurrency=3, cache=cache)
    expected = [text for text in TEXTS if text != TEXTS[1]]
    assert set(fake.texts[:3]) == set(expected[:3])
    for position, text in enumerate(fake.texts):
        assert abs(expected.index(text) - position) <= 2  # requests go out in chunk order


async def test_identical_chunks_are_synthesised_once(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS
) -> None:
    texts = ["Ja.", "Nein.", "Ja.", "Vielleicht.", "Nein.", "Ja."]
    clips = await synthesize_chunks(
        make_engine(), chunks_of(texts), "de", concurrency=4, cache=None
    )
    assert sorted(fake.texts) == ["Ja.", "Nein.", "Vielleicht."]
    assert clips[0].data == clips[2].data == clips[5].data


async def test_cache_hit_avoids_a_second_request(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS, tmp_path: Path
) -> None:
    cache = ClipCache(tmp_path / "cache")
    engine = make_engine()
    first = await synthesize_chunks(engine, chunks_of(TEXTS[:5]), "de", concurrency=4, cache=cache)
    assert fake.requests == 5
    again = await synthesize_chunks(
        engine, chunks_of(TEXTS[:6]), "de", concurrency=4, cache=ClipCache(tmp_path / "cache")
    )
    assert fake.requests == 6  # only the new sixth chunk
    assert [c.data for c in again[:5]] == [c.data for c in first]


async def test_progress_reports_every_chunk(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS
) -> None:
    seen: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    texts = [*TEXTS[:6], TEXTS[0]]  # a duplicate counts twice
    await synthesize_chunks(
        make_engine(), chunks_of(texts), "de", concurrency=2, cache=None, on_progress=progress
    )
    assert seen[-1] == (7, 7)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert len(seen) >= 3  # as chunks finish, not once at the end


async def test_failure_cancels_the_rest_and_is_raised(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS
) -> None:
    fake.delay = 0.05
    fake.fail_next(1000, 500)
    engine = make_engine(HOERCLUB_GTTS_RETRIES=1)
    with pytest.raises(EngineBusyError):
        await synthesize_chunks(engine, chunks_of(TEXTS), "de", concurrency=2, cache=None)
    await asyncio.sleep(0.3)
    assert fake.requests < 2 * len(TEXTS)  # the rest were not all tried
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("tts-")]


async def test_unspeakable_chunk_costs_no_request(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS
) -> None:
    chunks = [Chunk("Hallo.", 0, 300), Chunk("— …", 1, 700, chapter="Leer"), Chunk("Welt.", 2, 0)]
    clips = await synthesize_chunks(make_engine(), chunks, "de", concurrency=2, cache=None)
    assert fake.texts.count("— …") == 0
    assert clips[1].data == b""
    assert (clips[1].pause_after_ms, clips[1].chapter) == (700, "Leer")


async def test_mid_sentence_cuts_get_a_short_pause(
    make_engine: Callable[..., GTTSEngine],
) -> None:
    chunks = [Chunk("Erstens, zweitens,", 0, 0), Chunk("drittens und", 0, 0), Chunk("Ende.", 0, 0)]
    clips = await synthesize_chunks(make_engine(), chunks, "de", concurrency=2, cache=None)
    assert [c.pause_after_ms for c in clips[:2]] == [CLAUSE_PAUSE_MS, WORD_PAUSE_MS]


async def test_no_chunks(make_engine: Callable[..., GTTSEngine]) -> None:
    assert await synthesize_chunks(make_engine(), [], "de", concurrency=2, cache=None) == []


@pytest.mark.parametrize("cached", [False, True])
async def test_simultaneous_failures_leave_no_unretrieved_task_exception(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS, tmp_path: Path, cached: bool
) -> None:
    # Every request answers 429 with Retry-After 0: the four requests in flight fail in the
    # same instant, and each failure must be seen, not only the first one raised.
    fake.fail_next(10_000, status=429)
    loop = asyncio.get_running_loop()
    unhandled: list[str] = []
    loop.set_exception_handler(lambda _loop, context: unhandled.append(context["message"]))
    engine = make_engine(HOERCLUB_GTTS_RETRIES=0)
    cache = ClipCache(tmp_path / "clips") if cached else None
    try:
        for _ in range(5):
            with pytest.raises(EngineBusyError):
                await synthesize_chunks(engine, chunks_of(TEXTS), "de", concurrency=4, cache=cache)
            gc.collect()  # an unretrieved exception is reported when its task is collected
            await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert fake.requests >= 5
    assert unhandled == []


async def test_junk_audio_is_refused_and_not_cached(
    make_engine: Callable[..., GTTSEngine], fake: FakeGTTS, tmp_path: Path
) -> None:
    cache = ClipCache(tmp_path / "clips")
    engine = make_engine(HOERCLUB_GTTS_RETRIES=0)
    hows: tuple[Corruption, ...] = ("garbage", "truncated")
    for how in hows:
        fake.corrupt_next(10_000, how)
        with pytest.raises(SynthesisError, match=r"unusable audio|broken audio"):
            await synthesize_chunks(engine, chunks_of(TEXTS[:3]), "de", concurrency=1, cache=cache)
        fake.reset()
    assert not list((tmp_path / "clips").rglob("*.mp3"))
    clips = await synthesize_chunks(engine, chunks_of(TEXTS[:3]), "de", concurrency=1, cache=cache)
    assert [clip.data for clip in clips] == [mp3_for(text) for text in TEXTS[:3]]
    assert len(list((tmp_path / "clips").rglob("*.mp3"))) == 3
