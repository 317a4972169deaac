"""Chunks → clips: bounded concurrency, first chunks first, cache and in-flight dedupe."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Final

from bot.models import Chunk, Clip, Role
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
    voice: str | Mapping[Role, str],
    *,
    concurrency: int,
    cache: ClipCache | None,
    on_progress: ProgressFn | None = None,
) -> list[Clip]:
    """Speak every chunk, at most `concurrency` at once, and return the clips in chunk order.

    Cached clips are read first; the rest are requested strictly in chunk order (the semaphore
    is FIFO), so the beginning of the article is ready first. Identical texts are synthesised
    once; each clip carries its chunk's pause (or a short inferred one for a mid-sentence cut,
    see `inferred_pause_ms`) and chapter. `voice` is one voice for every chunk, or a voice per
    role (a chunk whose role is missing takes the reader's). The first failure cancels the
    rest and is raised as it is (EngineBusyError, SynthesisError).
    """
    clips, failure = await synthesize_prefix(
        engine, chunks, voice, concurrency=concurrency, cache=cache, on_progress=on_progress
    )
    if failure is not None:
        raise failure
    return clips


async def synthesize_prefix(
    engine: SpeechEngine,
    chunks: Sequence[Chunk],
    voice: str | Mapping[Role, str],
    *,
    concurrency: int,
    cache: ClipCache | None,
    on_progress: ProgressFn | None = None,
) -> tuple[list[Clip], Exception | None]:
    """As `synthesize_chunks`, but a failure is returned, not raised, with the clips of the
    chunks finished before it: the longest run from the first chunk (a fallback goes on there).
    """
    total = len(chunks)
    if not total:
        return [], None
    slots = asyncio.Semaphore(max(1, concurrency))
    started = time.perf_counter()
    if isinstance(voice, str):
        keys = [(voice, chunk.text) for chunk in chunks]
    else:
        keys = [(voice.get(chunk.role) or voice["reader"], chunk.text) for chunk in chunks]
    distinct = list(dict.fromkeys(key for key in keys if _speakable(key[1])))
    # One look at the disk for every chunk first: the misses then go to the engine strictly in
    # chunk order (the semaphore is FIFO and nothing awaits between it and the engine call).
    cached: dict[tuple[str, str], Clip] = {}
    if cache is not None:
        for name in dict.fromkeys(v for v, _ in distinct):
            texts = [text for v, text in distinct if v == name]
            found = await asyncio.to_thread(cache.get_many, engine.name, name, texts)
            cached.update(((name, text), clip) for text, clip in found.items())

    async def produce(key: tuple[str, str]) -> Clip:
        name, text = key
        if not _speakable(text):
            return Clip(data=b"", format=engine.output_format, sample_rate=0)
        if key in cached:
            return cached[key]
        async with slots:
            if cache is None:
                return check_clip(await engine.synthesize(text, name), engine.name, text)
            return await cache.get_or_create(
                engine.name, name, text, lambda: engine.synthesize(text, name), lookup=False
            )

    tasks: dict[tuple[str, str], asyncio.Task[Clip]] = {}
    counts: dict[asyncio.Task[Clip], int] = {}
    order: list[asyncio.Task[Clip]] = []
    for key in keys:
        task = tasks.get(key)
        if task is None:
            task = asyncio.create_task(produce(key), name=f"tts-{len(tasks)}")
            tasks[key] = task
        counts[task] = counts.get(task, 0) + 1
        order.append(task)

    done = 0
    first_at: float | None = None
    failure: Exception | None = None
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
    except Exception as exc:
        failure = exc
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    except BaseException:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise
    clips: list[Clip] = []
    for chunk, task in zip(chunks, order, strict=True):
        if not task.done() or task.cancelled() or task.exception() is not None:
            break
        clip = task.result()
        clips.append(
            dataclasses.replace(
                clip, pause_after_ms=inferred_pause_ms(chunk), chapter=chunk.chapter
            )
        )
    if failure is None:
        logger.info(
            "synthesised %d chunks (%d distinct) with %s in %.2f s; first clip after %.2f s",
            total, len(tasks), engine.name, time.perf_counter() - started, first_at or 0.0,
        )  # fmt: skip
    return clips, failure
