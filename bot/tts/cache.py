"""On-disk cache of synthesised clips, keyed by engine, voice and text; in-flight dedupe."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import logging
import lzma
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Final, Literal

from bot.audio.mp3 import first_frame_kind, parse_mp3
from bot.audio.wav import read_wav
from bot.errors import AudioError, StorageUnavailableError, SynthesisError
from bot.models import Clip, WordTiming

logger = logging.getLogger(__name__)

# Bump when the stored bytes change meaning (e.g. an engine's output format changes).
CACHE_VERSION: Final = "1"
_FORMATS: Final[tuple[Literal["mp3", "wav"], ...]] = ("mp3", "wav")
# WAV clips (espeak) are stored xz-compressed: a delta filter over 16-bit samples, then LZMA2
# preset 1. Lossless, so the join reads the very samples the engine made. On a 12 s espeak clip
# this keeps 53.5 % of the bytes (FLAC level 8 through ffmpeg: 54.0 %; preset 6: 51.5 % at 2.4×
# the time) in 35 ms to compress and 13 ms to decompress, with no subprocess per clip.
PACKED_SUFFIX: Final = ".xz"
_WAV_FILTERS: Final = ({"id": lzma.FILTER_DELTA, "dist": 2}, {"id": lzma.FILTER_LZMA2, "preset": 1})
# A temporary file older than this is a leftover of a crash or a full disk, never a write
# in progress (a clip is written in milliseconds).
STALE_TMP_SECONDS: Final = 3600


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


def pack_clip(data: bytes, fmt: Literal["mp3", "wav"]) -> bytes:
    """The bytes stored for a clip: WAV compressed losslessly, MP3 as it is."""
    if fmt == "wav":
        return lzma.compress(data, format=lzma.FORMAT_XZ, filters=list(_WAV_FILTERS))
    return data


def unpack_clip(stored: bytes) -> bytes:
    """The clip's bytes from a stored WAV entry (lzma.LZMAError if it is damaged)."""
    return lzma.decompress(stored, format=lzma.FORMAT_XZ)


def is_disk_full(exc: BaseException) -> bool:
    """Whether an OSError means there is no room left (full disk, quota, file-size limit)."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def prune_cache(directory: Path, max_bytes: int) -> tuple[int, int]:
    """Delete the least recently used clips until the cache holds at most `max_bytes`, and
    leftover temporary files; returns (files removed, bytes kept). Blocking: use a thread."""
    if not directory.is_dir():
        return 0, 0
    entries: list[tuple[float, int, Path]] = []
    removed = 0
    now = time.time()
    for path in directory.rglob("*"):
        try:
            info = path.stat()
            if not path.is_file():
                continue
            if path.name.startswith(".tmp-"):
                if now - info.st_mtime > STALE_TMP_SECONDS:
                    path.unlink(missing_ok=True)
                    removed += 1
                continue
        except OSError:
            continue
        entries.append((info.st_mtime, info.st_size, path))
    total = sum(size for _, size, _ in entries)
    entries.sort()  # oldest use first: a hit renews the file's mtime
    for _, size, path in entries:
        if total <= max_bytes:
            break
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            logger.warning("could not remove the cache entry %s: %s", path.name, exc)
            continue
        total -= size
        removed += 1
    return removed, total


class ClipCache:
    """Clips on disk under `directory`; writes are atomic; identical requests share one call."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.hits = 0
        self.misses = 0
        self._inflight: dict[str, asyncio.Future[Clip]] = {}

    def _path(self, key: str, fmt: str) -> Path:
        return self.directory / key[:2] / f"{key}.{fmt}"

    def _stored_path(self, key: str, fmt: Literal["mp3", "wav"]) -> Path:
        """Where a clip of this format is written (WAV compressed)."""
        path = self._path(key, fmt)
        return path.with_name(path.name + PACKED_SUFFIX) if fmt == "wav" else path

    def _candidates(self, key: str) -> list[tuple[Literal["mp3", "wav"], Path]]:
        """Every file a clip may be in: MP3, compressed WAV, and plain WAV of older releases."""
        found: list[tuple[Literal["mp3", "wav"], Path]] = []
        for fmt in _FORMATS:
            found.append((fmt, self._stored_path(key, fmt)))
            if fmt == "wav":
                found.append((fmt, self._path(key, fmt)))
        return found

    def get(self, engine: str, voice: str, text: str) -> Clip | None:
        """The cached clip, or None. (Blocking file I/O: call it from a thread.)"""
        key = clip_key(engine, voice, text)
        for fmt, path in self._candidates(key):
            try:
                data = path.read_bytes()
                if path.suffix == PACKED_SUFFIX:
                    data = unpack_clip(data)
            except FileNotFoundError:
                continue
            except lzma.LZMAError as exc:
                logger.warning("discarding a damaged cache entry %s: %s", path.name, exc)
                path.unlink(missing_ok=True)
                return None
            except OSError as exc:
                logger.warning("clip cache unreadable at %s: %s", path, exc)
                return None
            with contextlib.suppress(OSError):  # the LRU order of prune_cache
                os.utime(path)
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
        """Store a clip atomically (temporary file, then rename). (Blocking: use a thread.)

        A full disk raises StorageUnavailableError and leaves no file behind.
        """
        key = clip_key(engine, voice, text)
        path = self._stored_path(key, clip.format)
        stored = pack_clip(clip.data, clip.format)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        except OSError as exc:
            if is_disk_full(exc):
                raise StorageUnavailableError(f"clip cache full: {exc}") from exc
            raise
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(stored)
            if clip.words:  # written before the audio appears, so a hit always finds them
                rows = [[w.text, w.start, w.duration] for w in clip.words]
                words = self._path(key, "words.json")
                words_tmp = words.with_name(f".tmp-{words.name}")
                words_tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
                words_tmp.replace(words)
            Path(tmp).replace(path)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if is_disk_full(exc):
                raise StorageUnavailableError(f"clip cache full: {exc}") from exc
            raise
        return path

    def discard(self, engine: str, voice: str, texts: Iterable[str]) -> int:
        """Remove these texts' clips (audio that could not be assembled); how many were there."""
        removed = 0
        for text in texts:
            key = clip_key(engine, voice, text)
            for _, path in self._candidates(key):
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
                except (OSError, StorageUnavailableError) as exc:
                    # A full disk must not fail the render: the clip is in memory already.
                    _warn_once("cache-write", f"could not cache a clip: {exc}")
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


# Seconds between two log lines about the same cache failure: a full disk fails every clip.
WARN_INTERVAL_SECONDS: Final = 60.0
_last_warned: dict[str, float] = {}


def _warn_once(topic: str, message: str) -> None:
    """Log a warning, at most once a minute for the same topic."""
    now = time.monotonic()
    if now - _last_warned.get(topic, -WARN_INTERVAL_SECONDS) >= WARN_INTERVAL_SECONDS:
        _last_warned[topic] = now
        logger.warning("%s", message)
