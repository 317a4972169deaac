"""Speech services that fail: storms of 429, 500s, timeouts, cut-off, empty or non-audio answers.

Each case runs the real bot against the fake Bot API and a fake speech service. The user must
get one complete audio: spoken by the service after retries, or by the next engine with a note
in the caption; never a silent or truncated file (the delivered MP3 is decoded with ffmpeg and
its length compared with a healthy render of the same article).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.pipeline.run import RenderOptions
from tests.support.audio import probe
from tests.support.fake_edge import FakeEdge
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram, SentMessage
from tests.telegram.conftest import USER, BotUnderTest, StartBot, audios, settle

ArticleUrl = Callable[..., str]
# Short enough that a timeout case costs a second, long enough for a loaded 2-core machine.
TIMEOUT: float = 0.6
OFFLINE_NOTE = "Offline-Stimme (Sprachdienst überlastet)"


@pytest.fixture
def edge() -> Iterator[FakeEdge]:
    """The local fake of Microsoft's speech service."""
    with FakeEdge() as server:
        yield server


def _gtts_env(gtts: FakeGTTS, **extra: object) -> dict[str, object]:
    return {
        "HOERCLUB_TTS_ENGINE": "gtts",
        "HOERCLUB_GTTS_ENDPOINT": gtts.url,
        "HOERCLUB_GTTS_RETRIES": 1,
        "HOERCLUB_GTTS_TIMEOUT": TIMEOUT,
        **extra,
    }


async def _delivered_seconds(fake: FakeTelegram, audio: SentMessage, path: Path) -> float:
    """The decoded length of a delivered audio; it must decode without a complaint."""
    assert audio.file_id is not None
    path.write_bytes(fake.uploads[audio.file_id])
    info = probe(path)
    assert info["decode_errors"] == []
    return float(info["duration"])


async def _healthy_seconds(bot: BotUnderTest, url: str, engine: str, path: Path) -> float:
    """The length of the same article rendered by a healthy engine."""
    article = await bot.pipeline.load(url)
    await bot.pipeline.render(article, path, RenderOptions(engine=engine))
    return float(probe(path)["duration"])


def _storm(gtts: FakeGTTS, how: str) -> None:
    if how == "429":
        gtts.fail_randomly(1.0, status=429)
    elif how == "500":
        gtts.fail_randomly(1.0, status=500)
    elif how == "timeout":
        gtts.stall_next(10_000, TIMEOUT * 4)
    else:
        gtts.corrupt_next(10_000, how)  # type: ignore[arg-type]


@pytest.mark.reliability("Sprachdienst: Sturm von Fehlern", sees="Offline-Stimme mit Hinweis")
@pytest.mark.parametrize("how", ["429", "500", "timeout", "garbage", "truncated", "empty"])
async def test_a_failing_service_gives_one_whole_audio_in_the_next_voice_with_a_note(
    fake: FakeTelegram,
    *,
    start_bot: StartBot,
    article_url: ArticleUrl,
    gtts: FakeGTTS,
    tmp_path: Path,
    how: str,
) -> None:
    _storm(gtts, how)
    bot = await start_bot(**_gtts_env(gtts))
    url = article_url(f"sturm-{how}", f"Sturm {how}", 60, image=False)
    fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(1.0)
    assert len(audios(fake, USER)) == 1
    assert audio.caption is not None
    assert OFFLINE_NOTE in audio.caption
    assert gtts.requests > 0
    if how in ("429", "500", "timeout"):
        # Retried with backoff before giving up: some chunk was asked for twice.
        assert max(Counter(gtts.texts).values()) >= 2
    got = await _delivered_seconds(fake, audio, tmp_path / "got.mp3")
    gtts.reset()
    healthy = await _healthy_seconds(bot, url, "espeak", tmp_path / "healthy.mp3")
    assert abs(got - healthy) <= 0.05 * healthy + 0.5, (got, healthy)
    assert audio.audio is not None
    assert abs(audio.audio["duration"] - got) <= 1.5


@pytest.mark.reliability("Sprachdienst: kurzer 429-/500-Schub", sees="normale Stimme, kein Hinweis")
@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_short_burst_is_retried_and_the_service_speaks(
    fake: FakeTelegram,
    *,
    start_bot: StartBot,
    article_url: ArticleUrl,
    gtts: FakeGTTS,
    tmp_path: Path,
    status: int,
) -> None:
    gtts.fail_next(2, status)
    bot = await start_bot(**_gtts_env(gtts, HOERCLUB_GTTS_RETRIES=3, HOERCLUB_TTS_CONCURRENCY=1))
    url = article_url(f"schub-{status}", f"Schub {status}", 60, image=False)
    fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(1.0)
    assert len(audios(fake, USER)) == 1
    assert audio.caption is not None
    assert "Offline-Stimme" not in audio.caption
    assert "Ersatzstimme" not in audio.caption
    assert gtts.statuses[:3] == [status, status, 200]
    got = await _delivered_seconds(fake, audio, tmp_path / "got.mp3")
    healthy = await _healthy_seconds(bot, url, "gtts", tmp_path / "healthy.mp3")
    assert abs(got - healthy) <= 0.05 * healthy + 0.5, (got, healthy)


@pytest.mark.reliability("Sprachdienst: Sturm von Fehlern", sees="Ersatzstimme mit Hinweis")
@pytest.mark.parametrize("how", ["503", "closed"])
async def test_a_failing_first_engine_hands_over_to_the_second_with_a_note(
    fake: FakeTelegram,
    *,
    start_bot: StartBot,
    article_url: ArticleUrl,
    gtts: FakeGTTS,
    edge: FakeEdge,
    tmp_path: Path,
    how: str,
) -> None:
    if how == "503":
        edge.fail_next(10_000, 503)
    else:
        edge.close_next(10_000)  # the connection drops after the first piece of audio
    env = _gtts_env(gtts, HOERCLUB_EDGE_ENDPOINT=edge.url, HOERCLUB_EDGE_RETRIES=1)
    bot = await start_bot(**{**env, "HOERCLUB_TTS_ENGINE": "edge", "HOERCLUB_EDGE_TIMEOUT": 2})
    url = article_url(f"kette-{how}", f"Kette {how}", 60, image=False)
    fake.send_text(USER, url)
    audio = await fake.wait_for_sent(USER, kind="audio", timeout=60)
    await settle(1.0)
    assert len(audios(fake, USER)) == 1
    assert audio.caption is not None
    assert "Ersatzstimme: Google" in audio.caption
    assert gtts.requests > 0
    got = await _delivered_seconds(fake, audio, tmp_path / "got.mp3")
    healthy = await _healthy_seconds(bot, url, "gtts", tmp_path / "healthy.mp3")
    assert abs(got - healthy) <= 0.05 * healthy + 0.5, (got, healthy)
