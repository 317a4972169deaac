"""The clip cache: keys, atomic files, damaged entries, and one call for identical requests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.audio.wav import wav_bytes
from bot.models import Clip
from bot.tts.cache import ClipCache, audio_sample_rate, clip_key
from tests.support.fake_gtts import mp3_for


def test_key_depends_on_engine_voice_and_text() -> None:
    keys = {
        clip_key("gtts", "de", "Hallo."),
        clip_key("espeak", "de", "Hallo."),
        clip_key("gtts", "en", "Hallo."),
        clip_key("gtts", "de", "Hallo!"),
        clip_key("gtts", "de\0x", ""),
    }
    assert len(keys) == 5
    assert clip_key("gtts", "de", "Hallo.") == clip_key("gtts", "de", "Hallo.")


def test_put_get_roundtrip(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "cache")
    mp3 = Clip(mp3_for("Hallo Welt"), "mp3", 24000, pause_after_ms=700, chapter="x")
    wav = Clip(wav_bytes(b"\x01\x00" * 2205, 22050), "wav", 22050)
    assert cache.get("gtts", "de", "Hallo Welt") is None
    cache.put("gtts", "de", "Hallo Welt", mp3)
    cache.put("espeak", "de", "Hallo Welt", wav)
    got = cache.get("gtts", "de", "Hallo Welt")
    assert got is not None
    assert (got.data, got.format, got.sample_rate) == (mp3.data, "mp3", 24000)
    assert (got.pause_after_ms, got.chapter) == (0, None)  # audio only: the chunk decides those
    got_wav = cache.get("espeak", "de", "Hallo Welt")
    assert got_wav is not None
    assert (got_wav.format, got_wav.sample_rate) == ("wav", 22050)
    leftovers = [p for p in (tmp_path / "cache").rglob("*") if p.name.startswith(".tmp")]
    assert leftovers == []


def test_damaged_entry_is_discarded(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    path = cache.put("gtts", "de", "kaputt", Clip(mp3_for("kaputt"), "mp3", 24000))
    path.write_bytes(b"")
    assert cache.get("gtts", "de", "kaputt") is None
    assert not path.exists()


def test_sample_rate_sniffing() -> None:
    assert audio_sample_rate(mp3_for("abc"), "mp3") == 24000
    assert audio_sample_rate(wav_bytes(b"\0\0", 16000), "wav") == 16000
    assert audio_sample_rate(b"garbage", "wav") == 0


async def test_concurrent_identical_requests_share_one_call(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    calls = 0

    async def create() -> Clip:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return Clip(mp3_for("eins"), "mp3", 24000)

    clips = await asyncio.gather(
        *(cache.get_or_create("gtts", "de", "eins", create) for _ in range(5))
    )
    assert calls == 1
    assert len({clip.data for clip in clips}) == 1
    again = await cache.get_or_create("gtts", "de", "eins", create)  # now from disk
    assert calls == 1
    assert again.data == clips[0].data
    assert cache.misses == 1
    assert cache.hits == 5


async def test_failure_reaches_every_waiter_and_is_not_cached(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    calls = 0

    async def create() -> Clip:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        raise RuntimeError("boom")

    results = await asyncio.gather(
        *(cache.get_or_create("gtts", "de", "zwei", create) for _ in range(3)),
        return_exceptions=True,
    )
    assert calls == 1
    assert all(isinstance(r, RuntimeError) for r in results)
    assert cache.get("gtts", "de", "zwei") is None


async def test_waiter_takes_over_when_the_maker_is_cancelled(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    started = asyncio.Event()

    async def slow() -> Clip:
        started.set()
        await asyncio.sleep(10)
        raise AssertionError("not reached")

    async def quick() -> Clip:
        return Clip(mp3_for("drei"), "mp3", 24000)

    maker = asyncio.create_task(cache.get_or_create("gtts", "de", "drei", slow))
    await started.wait()
    waiter = asyncio.create_task(cache.get_or_create("gtts", "de", "drei", quick))
    await asyncio.sleep(0.01)
    maker.cancel()
    clip = await waiter
    assert clip.data == mp3_for("drei")
