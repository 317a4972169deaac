"""On-disk cache of synthesised clips, keyed by engine, voice and text; in-flight dedupe."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Final, Literal

from bot.audio.mp3 import first_frame_kind, parse_mp3
from bot.audio.wav import read_wav
from bot.errors import AudioError, SynthesisError
from bot.models import Clip, WordTiming

logger = logging.getLogger(__name__)

# Bump when the stored bytes change meaning (e.g. an engine's output format changes).
CACHE_VERSION: Final = "1"
_FORMATS: Final[tuple[Literal["mp3", "wav"], ...]] = ("mp3", "wav")


def clip_key(engine: str, voice: str, text: str) -> str:
    """The cache key: sha256 over version, engine, voice and text (NUL-separated)."""
    raw = "\0".join((CACHE_VERSION, engine, voice, text)).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()


def audio_sample_rate(data: bytes, fmt: Literal["mp3", "wav"]) -> int:
    """The sample rate written in a WAV header or the first MP3 frame header (0 if unknown)."""
    if fmt == "wav":
        wav = read_wav(data, header_only=True)
        return wav.sample_rate if wav is not None else 0
    kind = first_frame_kind(data)
    return kind.sample_rate if kind is not None else 0


def clip_problem(data: bytes, fmt: Literal["mp3", "wav"]) -> str | None:
    """What is wrong with a clip's audio, or None when it can be joined: an MP3 must be whole
    Layer III frames (no cut-off last frame), a WAV integer PCM with samples."""
    if fmt == "wav":
        wav = read_wav(data)
        if wav is None:
            return "not a PCM WAV file"
        if not wav.pcm or not wav.sample_rate:
            return "a WAV file without samples"
        return None
    try:
        frames = parse_mp3(data)
    except AudioError as exc:
        return str(exc)
    last = frames[-1]
    tail = data[last.offset + last.size :]
    if tail and not tail.startswith((b"TAG", b"APETAGEX")):
        return f"an MP3 cut off inside a frame ({len(tail)} bytes after the last whole one)"
    return None


def check_clip(clip: Clip, engine: str, text: str) -> Clip:
    """The clip, if its audio is sound; else SynthesisError: the engine answered with junk."""
    problem = clip_problem(clip.data, clip.format)
    if problem is not None:
        raise SynthesisError(f"{engine} returned unusable audio for {text[:40]!r}: {problem}")
    return clip


class ClipCache:
    """Clips on disk under `directory`; writes are atomic; identical requests share one call."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.hits = 0
        self.misses = 0
        self._inflight: dict[str, asyncio.Future[Clip]] = {}

    def _path(self, key: str, fmt: str) -> Path:
        return self.directory / key[:2] / f"{key}.{fmt}"

    def get(self, engine: str, voice: str, text: str) -> Clip | None:
        """The cached clip, or None. (Blocking file I/O: call it from a thread.)"""
        key = clip_key(engine, voice, text)
        for fmt in _FORMATS:
            path = self._path(key, fmt)
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:
                logger.warning("clip cache unreadable at %s: %s", path, exc)
                return None
            rate = audio_sample_rate(data, fmt)
            problem = clip_problem(data, fmt) if rate else "no audio header"
            if problem is not None:
                logger.warning("discarding a damaged cache entry %s: %s", path.name, problem)
                path.unlink(missing_ok=True)
                return None
            return Clip(data=data, format=fmt, sample_rate=rate, words=self._words(key))
        return None

    def _words(self, key: str) -> tuple[WordTiming, ...]:
        """The clip's word timings from their sidecar file (engines that report them)."""
        try:
            rows = json.loads(self._path(key, "words.json").read_text(encoding="utf-8"))
            return tuple(WordTiming(str(t), float(s), float(d)) for t, s, d in rows)
        except FileNotFoundError:
            return ()
        except (OSError, ValueError, TypeError) as exc:
            logger.warning("ignoring unreadable word timings of %s: %s", key[:12], exc)
            return ()

    def put(self, engine: str, voice: str, text: str, clip: Clip) -> Path:
        """Store a clip atomically (temporary file, then rename). (Blocking: use a thread.)"""
        key = clip_key(engine, voice, text)
        path = self._path(key, clip.format)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=f".{clip.format}")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(clip.data)
            if clip.words:  # written before the audio appears, so a hit always finds them
                rows = [[w.text, w.start, w.duration] for w in clip.words]
                words = self._path(key, "words.json")
                words_tmp = words.with_name(f".tmp-{words.name}")
                words_tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
                words_tmp.replace(words)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def discard(self, engine: str, voice: str, texts: Iterable[str]) -> int:
        """Remove these texts' clips (audio that could not be assembled); how many were there."""
        removed = 0
        for text in texts:
            key = clip_key(engine, voice, text)
            for fmt in _FORMATS:
                path = self._path(key, fmt)
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    logger.warning("could not remove the cache entry %s: %s", path.name, exc)
                    continue
                removed += 1
        return removed

    def get_many(self, engine: str, voice: str, texts: Iterable[str]) -> dict[str, Clip]:
        """The cached clips among `texts`, by text. (Blocking file I/O: call it from a thread.)"""
        found: dict[str, Clip] = {}
        for text in texts:
            clip = self.get(engine, voice, text)
            if clip is not None:
                found[text] = clip
        self.hits += len(found)
        return found

    async def get_or_create(
        self,
        engine: str,
        voice: str,
        text: str,
        create: Callable[[], Awaitable[Clip]],
        *,
        lookup: bool = True,
    ) -> Clip:
        """The cached clip, or `create()`'s, stored; concurrent callers for one key share a call.

        With `lookup=False` (the caller has just looked on disk) `create()` starts at once,
        without a thread hop first, so calls reach the engine in the order they were made.
        """
        key = clip_key(engine, voice, text)
        while (pending := self._inflight.get(key)) is not None:
            try:
                clip = await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if pending.cancelled() and task is not None and not task.cancelling():
                    continue  # the caller that was making it was cancelled, not us: take over
                raise
            self.hits += 1
            return clip
        future: asyncio.Future[Clip] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            cached = await asyncio.to_thread(self.get, engine, voice, text) if lookup else None
            if cached is not None:
                self.hits += 1
                clip = cached
            else:
                self.misses += 1
                clip = check_clip(await create(), engine, text)  # junk is never stored
                try:
                    if clip.data:
                        await asyncio.to_thread(self.put, engine, voice, text, clip)
                except OSError as exc:  # a full disk must not fail the render
                    logger.warning("could not cache a clip: %s", exc)
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # waiters re-raise it; nobody waiting is not an error
            raise
        except BaseException:
            future.cancel()
            raise
        else:
            future.set_result(clip)
            return clip
        finally:
            self._inflight.pop(key, None)
