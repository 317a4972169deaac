"""A speech service that answers 200 with something that is not audio: nothing broken is
cached, the offline voice takes over, and the service is asked again once it has recovered."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.audio.wav import wav_bytes
from bot.config import load_settings
from bot.errors import AudioError
from bot.models import Clip
from bot.pipeline.assemble import assemble
from bot.pipeline.run import Pipeline, RenderOptions
from bot.tts.cache import ClipCache
from tests.support.article_server import ArticleServer
from tests.support.audio import probe
from tests.support.fake_gtts import Corruption, FakeGTTS, corrupted, mp3_for


@pytest.fixture
def fake() -> Iterator[FakeGTTS]:
    with FakeGTTS() as srv:
        yield srv


def _pipeline(tmp_path: Path, fake: FakeGTTS) -> Pipeline:
    settings = load_settings(
        HOERCLUB_DATA_DIR=tmp_path / "data",
        HOERCLUB_FETCH_ALLOW_NETWORKS="127.0.0.0/8",
        HOERCLUB_GTTS_ENDPOINT=fake.url,
        HOERCLUB_GTTS_RETRIES=1,
    )
    return Pipeline(settings)


def _cached_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "data").rglob("*") if p.is_file() and p.suffix == ".mp3"]


# Junk is refused clip by clip; silence is well-formed MP3 that only assembly finds empty.
@pytest.mark.reliability(
    "Sprachdienst: kaputtes Audio", sees="Offline-Stimme, nichts Kaputtes im Cache"
)
@pytest.mark.parametrize("how", ["garbage", "truncated", "silent"])
async def test_broken_audio_is_not_cached_and_the_offline_voice_takes_over(
    tmp_path: Path, article_server: ArticleServer, fake: FakeGTTS, how: Corruption
) -> None:
    fake.corrupt_next(10_000, how)
    pipeline = _pipeline(tmp_path, fake)
    try:
        article = await pipeline.load(article_server.url("/regional-bahn.html"))
        first = await pipeline.render(article, tmp_path / "1.mp3", RenderOptions(engine="gtts"))
        assert first.fell_back
        assert first.engine == "espeak"
        assert probe(tmp_path / "1.mp3")["duration"] > 30
        assert not [p for p in _cached_files(tmp_path) if "gtts" in str(p)]
        # The service recovers: it is asked again, and its clean answer is read.
        fake.reset()
        second = await pipeline.render(article, tmp_path / "2.mp3", RenderOptions(engine="gtts"))
    finally:
        await pipeline.aclose()
    assert fake.requests > 5
    assert not second.fell_back
    assert second.engine == "gtts"
    assert probe(tmp_path / "2.mp3")["duration"] > 30


def test_a_damaged_cache_entry_is_discarded_and_asked_for_again(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "clips")
    good = mp3_for("Ein ganz normaler Satz zum Vorlesen.")
    cache.put("gtts", "de", "gut", Clip(data=good, format="mp3", sample_rate=24000))
    assert cache.get("gtts", "de", "gut") is not None
    # A clip that an earlier version stored without checking: an HTML page, a cut-off MP3.
    damaged = (("html", b"<html>" + b"\xff\xfb" * 300), ("cut", corrupted(good, "truncated")))
    for text, data in damaged:
        path = cache.put("gtts", "de", text, Clip(data=good, format="mp3", sample_rate=24000))
        path.write_bytes(data)
        assert cache.get("gtts", "de", text) is None
        assert not path.exists()


async def test_a_failed_decode_stops_every_other_decoder(tmp_path: Path) -> None:
    # A WAV among the clips sends every MP3 clip through ffmpeg; the junk one fails first,
    # while the others are still being started or fed. None may outlive the error: a task
    # left over made the CLI hang when its event loop closed.
    good = mp3_for("Ein ganz normaler Satz zum Vorlesen.")
    wav = Clip(data=wav_bytes(b"\x00\x10" * 24000, 24000), format="wav", sample_rate=24000)
    junk = Clip(data=b"<html>not audio</html>" * 40, format="mp3", sample_rate=24000)
    mp3 = Clip(data=good, format="mp3", sample_rate=24000)
    with pytest.raises(AudioError):
        await assemble([wav, junk, *[mp3] * 12], tmp_path / "x.mp3", fmt="mp3")
    current = asyncio.current_task()
    assert [t for t in asyncio.all_tasks() if t is not current] == []
