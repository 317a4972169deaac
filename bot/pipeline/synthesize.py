"""Chunks → clips: bounded concurrency, first chunks first, cache and in-flight dedupe."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Final

from bot.models import Chunk, Clip
from bot.tts.base import SpeechEngine
from bot.tts.cache import ClipCache, check_clip

logger = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], Awaitable[None]]

# A chunk cut inside a sentence (the chunker gives it no pause) still needs a breath once the
# engine's padding is trimmed: a clause boundary gets a short one, a cut between words a
# shorter one, so the listener hears no splice.
CLAUSE_PAUSE_MS: Final = 150
WORD_PAUSE_MS: Final = 60
_CLAUSE_ENDS: Final = (",", ";", ":", "–", "—", "-", ")")


def _speakable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def inferred_pause_ms(chunk: Chunk) -> int:
    """The chunk's own pause, or for a mid-sentence cut (pause 0) a short natural one."""
    if chunk.pause_after_ms > 0:
        return chunk.pause_after_ms
    tail = chunk.text.rstrip().rstrip("\"'»«“”„’")
    return CLAUSE_PAUSE_MS if tail.endswith(_CLAUSE_ENDS) else WORD_PAUSE_MS


async def synthesize_chunks(
    engine: SpeechEngine,
    chunks: Sequence[Chunk],
    voice: str,
    *,
    concurrency: int,
    cache: ClipCache | None,
    on_progress: ProgressFn | None = None,
) -> list[Clip]:
    """Speak every chunk, at most `concurrency` at once, and return the clips in chunk order.

    Cached clips are read first; the rest are requested strictly in chunk order (the semaphore
    is FIFO), so the beginning of the article is ready first. Identical texts are synthesised
    once; each clip carries its chunk's pause (or a short inferred one for a mid-sentence cut,
    see `inferred_pause_ms`) and chapter. The first failure cancels the rest and is raised as
    it is (EngineBusyError, SynthesisError).
    """
    total = len(chunks)
    if not total:
        return []
    slots = asyncio.Semaphore(max(1, concurrency))
    started = time.perf_counter()
    distinct = list(dict.fromkeys(chunk.text for chunk in chunks if _speakable(chunk.text)))
    # One look at the disk for every chunk first: the misses then go to the engine strictly in
    # chunk order (the semaphore is FIFO and nothing awaits between it and the engine call).
    cached: dict[str, Clip] = {}
    if cache is not None:
        cached = await asyncio.to_thread(cache.get_many, engine.name, voice, distinct)

    async def produce(text: str) -> Clip:
        if not _speakable(text):
            return Clip(data=b"", format=engine.output_format, sample_rate=0)
        if text in cached:
            return cached[text]
        async with slots:
            if cache is None:
                return check_clip(await engine.synthesize(text, voice), engine.name, text)
            return await cache.get_or_create(
                engine.name, voice, text, lambda: engine.synthesize(text, voice), lookup=False
            )

    tasks: dict[str, asyncio.Task[Clip]] = {}
    counts: dict[asyncio.Task[Clip], int] = {}
    order: list[asyncio.Task[Clip]] = []
    for chunk in chunks:
        task = tasks.get(chunk.text)
        if task is None:
            task = asyncio.create_task(produce(chunk.text), name=f"tts-{len(tasks)}")
            tasks[chunk.text] = task
        counts[task] = counts.get(task, 0) + 1
        order.append(task)

    done = 0
    first_at: float | None = None
    pending: set[asyncio.Task[Clip]] = set(tasks.values())
    try:
        while pending:
            finished, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            # Several may fail at once (a 429 storm): each failure is seen, the first raised.
            failures = [e for t in finished if not t.cancelled() and (e := t.exception())]
            if failures:
                raise failures[0]
            for task in finished:
                task.result()  # a cancelled one raises CancelledError
                done += counts[task]
            if first_at is None and order[0].done():
                first_at = time.perf_counter() - started
            if on_progress is not None:
                await on_progress(done, total)
    except BaseException:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise
    logger.info(
        "synthesised %d chunks (%d distinct) with %s in %.2f s; first clip after %.2f s",
        total, len(tasks), engine.name, time.perf_counter() - started, first_at or 0.0,
    )  # fmt: skip
    return [
        dataclasses.replace(
            task.result(), pause_after_ms=inferred_pause_ms(chunk), chapter=chunk.chapter
        )
        for chunk, task in zip(chunks, order, strict=True)
    ]
