"""The hoerclub_* metrics counted where the work happens: real services against local fakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from telegram.error import RetryAfter

from bot.config import Settings, load_settings
from bot.errors import EngineBusyError
from bot.feeds.poller import FeedPoller
from bot.feeds.service import FeedService
from bot.jobs import JobService
from bot.pipeline.fetch import Fetcher
from bot.storage.db import Database
from bot.storage.feeds_models import FeedRow
from bot.telegram.api_retry import RetryingRequest
from bot.tts.edge import EdgeEngine
from bot.tts.gtts import GTTSEngine
from tests.jobs.support import Recorder, all_final, url_request, wait_until
from tests.metrics.support import sample
from tests.support.fake_edge import FakeEdge
from tests.support.fake_gtts import FakeGTTS
from tests.support.fake_telegram import FakeTelegram
from tests.support.feed_server import FakeClock, FeedServer

FAST_BACKOFF = {"backoff_base": 0.01, "backoff_cap": 0.05}
KATJA = "de-DE-KatjaNeural"


async def test_a_job_counts_its_queue_wait_and_render_time(db: Database) -> None:
    now = [1_000_000.0]
    svc = JobService(db, workers=1, max_waiting_per_user=50, max_per_day=500, clock=lambda: now[0])
    waits = sample("hoerclub_job_queue_wait_seconds_count", kind="url")
    waited = sample("hoerclub_job_queue_wait_seconds_sum", kind="url")
    renders = sample("hoerclub_job_render_seconds_count", kind="url", outcome="delivered")
    rendered = sample("hoerclub_job_render_seconds_sum", kind="url", outcome="delivered")
    job_id = (await svc.submit(url_request(5, 1))).job_id
    now[0] += 7.0  # the job waits 7 s on the service clock before a worker is there
    recorder = Recorder(render_seconds=0.3)
    await svc.start(recorder)
    try:
        await wait_until(lambda: all_final(svc, [job_id]), what="the job to end")
    finally:
        await svc.stop()
    assert (await svc.get_job(job_id)).state == "delivered"  # type: ignore[union-attr]
    assert sample("hoerclub_job_queue_wait_seconds_count", kind="url") == waits + 1
    assert sample("hoerclub_job_queue_wait_seconds_sum", kind="url") == pytest.approx(waited + 7)
    assert sample("hoerclub_job_render_seconds_count", kind="url", outcome="delivered") == (
        renders + 1
    )
    took = sample("hoerclub_job_render_seconds_sum", kind="url", outcome="delivered") - rendered
    assert 0.3 <= took < 5.0


async def test_gtts_requests_and_errors_are_counted_per_engine(tmp_path: Path) -> None:
    with FakeGTTS() as fake:
        settings = load_settings(
            HOERCLUB_GTTS_ENDPOINT=fake.url,
            HOERCLUB_DATA_DIR=tmp_path / "data",
            HOERCLUB_GTTS_RETRIES=2,
        )
        engine = GTTSEngine(settings, **FAST_BACKOFF)
        requests = sample("hoerclub_tts_request_seconds_count", engine="gtts")
        errors = sample("hoerclub_tts_errors_total", engine="gtts")
        edge_errors = sample("hoerclub_tts_errors_total", engine="edge")
        try:
            fake.fail_next(50, 500)
            with pytest.raises(EngineBusyError):
                await engine.synthesize("Guten Tag.", "de")
            fake.reset()
            assert (await engine.synthesize("Guten Abend.", "de")).data
        finally:
            await engine.aclose()
    assert sample("hoerclub_tts_errors_total", engine="gtts") == errors + 3  # try + 2 retries
    assert sample("hoerclub_tts_request_seconds_count", engine="gtts") == requests + 4
    assert sample("hoerclub_tts_errors_total", engine="edge") == edge_errors


async def test_edge_errors_are_counted_per_engine(tmp_path: Path) -> None:
    with FakeEdge() as fake:
        settings = load_settings(
            HOERCLUB_EDGE_ENDPOINT=fake.url, HOERCLUB_DATA_DIR=tmp_path / "data"
        )
        engine = EdgeEngine(settings, **FAST_BACKOFF)
        requests = sample("hoerclub_tts_request_seconds_count", engine="edge")
        errors = sample("hoerclub_tts_errors_total", engine="edge")
        try:
            fake.fail_next(1, 503)
            assert (await engine.synthesize("Guten Tag.", KATJA)).data
        finally:
            await engine.aclose()
    assert sample("hoerclub_tts_errors_total", engine="edge") == errors + 1
    assert sample("hoerclub_tts_request_seconds_count", engine="edge") == requests + 2


async def test_telegram_errors_are_counted_by_code() -> None:
    server_errors = sample("hoerclub_telegram_api_errors_total", code="500")
    floods = sample("hoerclub_telegram_api_errors_total", code="429")
    async with FakeTelegram() as fake:
        fake.fail_next("getMe", 500)  # answered again at once, then fine
        fake.fail_next("sendMessage", 429, retry_after=1)  # left to the caller
        async with fake.bot(request=RetryingRequest(retry_delays=(0.0,))) as bot:
            with pytest.raises(RetryAfter):
                await bot.send_message(chat_id=1, text="Hallo")
            assert [c.status for c in fake.calls_to("getMe")] == [500, 200]
    assert sample("hoerclub_telegram_api_errors_total", code="500") == server_errors + 1
    assert sample("hoerclub_telegram_api_errors_total", code="429") == floods + 1


async def _poll_when_due(poller: FeedPoller, db: Database, url: str, clock: FakeClock) -> None:
    async with db.session() as session:
        row = (await session.execute(select(FeedRow).where(FeedRow.url == url))).scalar_one()
        due = (row.next_poll_at - clock()).total_seconds()
    clock.advance(max(0.0, due))
    await poller.poll_once()


async def test_feed_fetches_are_counted_by_outcome(db: Database, settings: Settings) -> None:
    def counts() -> tuple[float, ...]:
        return tuple(
            sample("hoerclub_feed_fetches_total", outcome=o)
            for o in ("fetched", "not_modified", "error")
        )

    clock = FakeClock()
    fetcher = Fetcher(settings)
    try:
        with FeedServer() as server:
            feed = server.feed("/news.xml", title="Nachrichten")
            feed.add("Erste Meldung")
            url = server.url("/news.xml")
            await FeedService(db, fetcher, settings, clock=clock).subscribe(4242, url)
            poller = FeedPoller(db, fetcher, settings, clock=clock)
            before = counts()
            await _poll_when_due(poller, db, url, clock)  # unchanged: 304
            feed.add("Zweite Meldung")
            await _poll_when_due(poller, db, url, clock)  # changed
            feed.status = 500
            await _poll_when_due(poller, db, url, clock)  # failed
    finally:
        await fetcher.aclose()
    after = counts()
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
