"""The job queue: rows before work, fairness, limits, cancel, dedupe, retries, the delivery gate."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from bot.errors import PaywallError
from bot.jobs import (
    DELIVERY_INTERRUPTED_KEY,
    AudioKey,
    CachedAudio,
    DailyLimitError,
    JobContext,
    JobOutcome,
    JobRequest,
    JobService,
    QueueLimitError,
    RenderPrefs,
    dedupe_key,
    normalize_url,
)
from bot.storage.db import Database
from tests.jobs.support import Recorder, all_final, service, url_request, wait_until


async def test_submit_writes_the_row_before_any_work(db: Database) -> None:
    async with service(db) as svc:
        result = await svc.submit(url_request(1, 1))
        # Not started: nothing runs, yet a second connection (a restart) sees the committed row.
        other = Database(str(db.url.render_as_string(hide_password=False)))
        try:
            again = JobService(other, workers=1, max_waiting_per_user=5, max_per_day=5)
            job = await again.get_job(result.job_id)
        finally:
            await other.dispose()
        assert job is not None
        assert job.state == "queued"
        assert job.attempts == 0
        assert job.request == url_request(1, 1)
        assert result.position_in_user_queue == 1
        assert not result.deduplicated


async def test_positions_and_list_user(db: Database) -> None:
    async with service(db) as svc:
        ids = [(await svc.submit(url_request(5, n))).job_id for n in range(3)]
        second = await svc.submit(url_request(6, 9))
        assert second.position_in_user_queue == 1
        views = await svc.list_user(5)
        assert [v.id for v in views] == ids
        assert [v.position for v in views] == [1, 2, 3]
        assert {v.state for v in views} == {"queued"}
        assert views[0].source == "https://example.org/artikel/0"
        assert await svc.list_user(99) == []


async def test_one_worker_serves_users_round_robin_in_submission_order(db: Database) -> None:
    rec = Recorder()
    async with service(db, workers=1) as svc:
        plan = [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (3, 1)]
        ids = {key: (await svc.submit(url_request(*key))).job_id for key in plan}
        await svc.start(rec)
        await wait_until(lambda: all_final(svc, list(ids.values())), what="all jobs")
    expected = [(1, 1), (2, 1), (3, 1), (1, 2), (2, 2), (1, 3)]
    assert rec.started == [ids[key] for key in expected]
    assert sorted(rec.deliveries) == sorted(ids.values())


async def test_one_users_twenty_links_do_not_delay_another(db: Database) -> None:
    rec = Recorder(render_seconds=0.02)
    async with service(db, workers=2) as svc:
        a_ids = [(await svc.submit(url_request(100, n))).job_id for n in range(20)]
        b_id = (await svc.submit(url_request(200, 99))).job_id
        await svc.start(rec)
        await wait_until(lambda: all_final(svc, [*a_ids, b_id]), timeout=30, what="all jobs")
    assert b_id in rec.started[:2]
    # A's jobs start in submission order and every job is delivered exactly once.
    assert [j for j in rec.started if j != b_id] == a_ids
    assert sorted(rec.deliveries) == sorted([*a_ids, b_id])


async def test_one_users_jobs_run_one_after_another_even_with_idle_workers(
    db: Database,
) -> None:
    rec = Recorder()
    async with service(db, workers=2) as svc:
        first = (await svc.submit(url_request(1, 1))).job_id
        second = (await svc.submit(url_request(1, 2))).job_id
        rec.delays[first] = 0.5
        await svc.start(rec)
        await wait_until(lambda: all_final(svc, [first, second]), what="both jobs")
    # The short second job waits for the long first one: a user holds one worker at most.
    assert rec.started == [first, second]
    assert rec.renders == [first, second]
    assert rec.deliveries == [first, second]


async def test_a_user_with_five_long_jobs_holds_one_worker_while_another_waits(
    db: Database,
) -> None:
    rec = Recorder(render_seconds=30.0)
    async with service(db, workers=3, poll_seconds=0.05) as svc:
        await svc.start(rec)
        a_ids = [(await svc.submit(url_request(100, n))).job_id for n in range(5)]
        # A's first job is running and two workers are idle before B's link arrives.
        await wait_until(lambda: _started(rec, a_ids[0]), what="A's first job")
        await asyncio.sleep(0.3)
        assert rec.started == [a_ids[0]]
        b_id = (await svc.submit(url_request(200, 99))).job_id
        rec.delays[b_id] = 0.0
        await wait_until(lambda: all_final(svc, [b_id]), what="B's job")
        assert rec.started == [a_ids[0], b_id]
        assert rec.deliveries == [b_id]
        await svc.cancel_user(100)
        await wait_until(lambda: all_final(svc, a_ids), what="A's jobs cancelled")
    assert [(await svc.get_job(j)).state for j in a_ids] == ["cancelled"] * 5  # type: ignore[union-attr]


async def _started(rec: Recorder, job_id: int) -> bool:
    return job_id in rec.started


async def test_queue_limit(db: Database) -> None:
    async with service(db, max_waiting_per_user=2) as svc:
        await svc.submit(url_request(1, 1))
        await svc.submit(url_request(1, 2))
        with pytest.raises(QueueLimitError) as raised:
            await svc.submit(url_request(1, 3))
        assert raised.value.limit == 2
        assert raised.value.key == "error.queue_limit"
        assert raised.value.params == {"limit": 2}
        await svc.submit(url_request(2, 3))  # other users are not affected
        assert len(await svc.list_user(1)) == 2
        # A finished job frees its place.
        assert await svc.cancel_user(1) == 2
        await svc.submit(url_request(1, 4))


async def test_daily_limit_resets_the_next_day(db: Database) -> None:
    now = [time.time()]
    async with service(db, max_per_day=3, clock=lambda: now[0]) as svc:
        for n in range(3):
            await svc.submit(url_request(1, n))
        await svc.cancel_user(1)  # cancelled jobs still count for the day
        with pytest.raises(DailyLimitError) as raised:
            await svc.submit(url_request(1, 9))
        assert raised.value.key == "error.daily_limit"
        assert raised.value.limit == 3
        await svc.submit(url_request(2, 9))
        now[0] += 86_400
        await svc.submit(url_request(1, 10))


async def test_cancel_stops_running_and_waiting_jobs(db: Database) -> None:
    seen: list[tuple[int, str]] = []
    entered = asyncio.Event()

    async def handler(ctx: JobContext) -> JobOutcome:
        if ctx.job.request.user_id == 2:
            await ctx.mark_delivering()
            seen.append((ctx.job.id, "delivered"))
            await ctx.mark_delivered({})
            return JobOutcome()
        seen.append((ctx.job.id, "started"))
        entered.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            seen.append((ctx.job.id, "cancelled" if ctx.cancelled.is_set() else "?"))
            raise
        return JobOutcome()

    async with service(db, workers=1) as svc:
        ids = [(await svc.submit(url_request(1, n))).job_id for n in range(3)]
        other = (await svc.submit(url_request(2, 0))).job_id
        await svc.start(handler)
        await asyncio.wait_for(entered.wait(), 5)
        assert await svc.cancel_user(1) == 3
        await wait_until(lambda: all_final(svc, [*ids, other]), what="all jobs")
        states = [(await svc.get_job(j)) for j in ids]
        assert [j.state for j in states if j] == ["cancelled"] * 3
        assert await svc.list_user(1) == []
        assert await svc.cancel_user(1) == 0
    assert seen == [(ids[0], "started"), (ids[0], "cancelled"), (other, "delivered")]


async def test_same_article_for_two_users_is_rendered_once(db: Database) -> None:
    rec = Recorder(render_seconds=0.3)
    async with service(db, workers=2) as svc:
        first = await svc.submit(url_request(1, 7))
        # The same article with tracking noise and the same options: deduplicated.
        noisy = JobRequest(
            user_id=2,
            chat_id=2,
            kind="url",
            source="HTTPS://Example.org:443/artikel/7?utm_source=x",
        )
        second = await svc.submit(noisy)
        # Another tempo is another audio.
        third = await svc.submit(url_request(3, 7, tempo=1.5))
        assert not first.deduplicated
        assert second.deduplicated
        assert not third.deduplicated
        await svc.start(rec)
        ids = [first.job_id, second.job_id, third.job_id]
        await wait_until(lambda: all_final(svc, ids), what="all jobs")
    assert sorted(rec.renders) == sorted([first.job_id, third.job_id])
    assert sorted(rec.deliveries) == sorted(ids)
    assert rec.shared[second.job_id]["rendered_by"] == first.job_id


async def test_unexpected_errors_are_retried_then_succeed(db: Database) -> None:
    attempts: list[int] = []

    async def flaky(ctx: JobContext) -> JobOutcome:
        attempts.append(ctx.job.attempts)
        if ctx.job.attempts < 3:
            raise RuntimeError("flaky")
        return JobOutcome(summary={"ok": True})

    async with service(db, retry_delays=(0.05, 0.05)) as svc:
        job_id = (await svc.submit(url_request(1))).job_id
        await svc.start(flaky)
        await wait_until(lambda: all_final(svc, [job_id]), what="the job")
        job = await svc.get_job(job_id)
    assert attempts == [1, 2, 3]
    assert job is not None
    assert job.state == "delivered"


async def test_unexpected_errors_fail_after_three_attempts(db: Database) -> None:
    rec = Recorder()
    calls: list[float] = []

    async def broken(ctx: JobContext) -> JobOutcome:
        calls.append(time.monotonic())
        raise RuntimeError("always")

    async with service(db, retry_delays=(0.1, 0.2)) as svc:
        job_id = (await svc.submit(url_request(1))).job_id
        await svc.start(broken, rec.on_failure)
        await wait_until(lambda: all_final(svc, [job_id]), what="the job")
        job = await svc.get_job(job_id)
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.1
    assert calls[2] - calls[1] >= 0.2
    assert job is not None
    assert (job.state, job.error_key, job.attempts) == ("failed", "error.unexpected", 3)
    assert [(f.job.id, f.error_key) for f in rec.failures] == [(job_id, "error.unexpected")]
    assert isinstance(rec.failures[0].exception, RuntimeError)


async def test_hoerclub_errors_are_final_at_once(db: Database) -> None:
    rec = Recorder()
    calls: list[int] = []

    async def paywalled(ctx: JobContext) -> JobOutcome:
        calls.append(ctx.job.id)
        raise PaywallError("Bezahlschranke", site="example.org")

    async with service(db) as svc:
        job_id = (await svc.submit(url_request(1))).job_id
        await svc.start(paywalled, rec.on_failure)
        await wait_until(lambda: all_final(svc, [job_id]), what="the job")
        job = await svc.get_job(job_id)
    assert calls == [job_id]
    assert job is not None
    assert (job.state, job.error_key) == ("failed", "error.paywall")
    assert rec.failures[0].params == {"site": "example.org"}


async def test_error_after_the_delivery_gate_is_not_retried(db: Database) -> None:
    rec = Recorder()
    calls: list[int] = []

    async def upload_breaks(ctx: JobContext) -> JobOutcome:
        calls.append(ctx.job.attempts)
        await ctx.mark_delivering()
        raise ConnectionResetError("connection dropped during upload")

    async with service(db, retry_delays=(0.01,)) as svc:
        job_id = (await svc.submit(url_request(1))).job_id
        await svc.start(upload_breaks, rec.on_failure)
        await wait_until(lambda: all_final(svc, [job_id]), what="the job")
        job = await svc.get_job(job_id)
    assert calls == [1]
    assert job is not None
    assert (job.state, job.error_key) == ("failed", DELIVERY_INTERRUPTED_KEY)
    assert [f.error_key for f in rec.failures] == [DELIVERY_INTERRUPTED_KEY]


async def test_abort_delivery_allows_a_retry_without_rendering_again(db: Database) -> None:
    log: list[str] = []

    async def handler(ctx: JobContext) -> JobOutcome:
        if ctx.job.result is None:
            log.append("render")
            await ctx.mark_rendered({"path": "a.mp3"})
        await ctx.mark_delivering()
        if ctx.job.attempts == 1:
            await ctx.abort_delivery()  # e.g. Telegram answered 400: nothing was sent
            raise RuntimeError("refused")
        log.append(f"deliver {ctx.job.result}")
        await ctx.mark_delivered({})
        return JobOutcome()

    async with service(db, retry_delays=(0.01,)) as svc:
        job_id = (await svc.submit(url_request(1))).job_id
        await svc.start(handler)
        await wait_until(lambda: all_final(svc, [job_id]), what="the job")
        job = await svc.get_job(job_id)
    assert log == ["render", "deliver {'path': 'a.mp3'}"]
    assert job is not None
    assert job.state == "delivered"


async def test_progress_and_title_show_in_list_user(db: Database) -> None:
    release = asyncio.Event()

    async def handler(ctx: JobContext) -> JobOutcome:
        await ctx.report(42, title="Ein Artikel")
        await release.wait()
        return JobOutcome()

    async with service(db) as svc:
        job_id = (await svc.submit(url_request(1))).job_id
        await svc.start(handler)

        async def reported() -> bool:
            views = await svc.list_user(1)
            return bool(views) and views[0].progress == 42

        await wait_until(reported, what="progress")
        (view,) = await svc.list_user(1)
        assert (view.id, view.state, view.title) == (job_id, "running", "Ein Artikel")
        release.set()
        await wait_until(lambda: all_final(svc, [job_id]), what="the job")


async def test_stop_is_prompt_and_the_job_resumes_on_the_next_start(db: Database) -> None:
    started = asyncio.Event()

    async def slow(ctx: JobContext) -> JobOutcome:
        started.set()
        await asyncio.sleep(60)
        return JobOutcome()

    svc = JobService(db, workers=2, max_waiting_per_user=5, max_per_day=5)
    job_id = (await svc.submit(url_request(1))).job_id
    await svc.start(slow)
    await asyncio.wait_for(started.wait(), 5)
    begin = time.monotonic()
    await svc.stop()
    assert time.monotonic() - begin < 2.5
    job = await svc.get_job(job_id)
    assert job is not None
    assert (job.state, job.attempts) == ("queued", 0)

    rec = Recorder()
    async with service(db) as again:
        await again.start(rec)
        await wait_until(lambda: all_final(again, [job_id]), what="the resumed job")
    assert rec.deliveries == [job_id]


async def test_two_pools_on_one_database_run_each_job_once(db: Database) -> None:
    rec = Recorder(render_seconds=0.01)
    async with service(db, workers=3) as one, service(db, workers=3) as two:
        ids = [(await one.submit(url_request(u, n))).job_id for u in range(4) for n in range(6)]
        await one.start(rec)
        await two.start(rec)
        await wait_until(lambda: all_final(one, ids), timeout=30, what="all jobs")
    assert sorted(rec.started) == sorted(ids)
    assert sorted(rec.deliveries) == sorted(ids)


async def test_start_twice_is_refused(db: Database) -> None:
    async with service(db) as svc:
        await svc.start(Recorder())
        with pytest.raises(RuntimeError):
            await svc.start(Recorder())


async def test_prefs_default_persist_and_validate(db: Database) -> None:
    async with service(db) as svc:
        assert await svc.prefs.get(1) == RenderPrefs()
        prefs = await svc.prefs.set(1, tempo=1.25, format="voice")
        assert prefs == RenderPrefs(tempo=1.25, format="voice")
        await svc.prefs.set(1, intro=False, engine="espeak")
        assert await svc.prefs.get(1) == RenderPrefs(
            engine="espeak", tempo=1.25, format="voice", intro=False
        )
        assert await svc.prefs.get(2) == RenderPrefs()
        bad: list[tuple[dict[str, Any], str]] = [
            ({"tempo": 9.0}, "tempo"),
            ({"format": "video"}, "format"),
            ({"colour": "blue"}, "unknown"),
            ({"engine": ""}, "engine"),
        ]
        for change, message in bad:
            with pytest.raises(ValueError, match=message):
                await svc.prefs.set(1, **change)


async def test_file_id_cache(db: Database) -> None:
    key = AudioKey(
        article_key=normalize_url("https://example.org/a?utm_medium=x#top"),
        engine="gtts",
        voice="de",
        tempo=1.25,
        format="audio",
    )
    async with service(db) as svc:
        assert await svc.audio_cache.get(key) is None
        first = CachedAudio(
            file_id="F1", file_unique_id="U1", duration=61, title="T", performer="P"
        )
        await svc.audio_cache.put(key, first)
        assert await svc.audio_cache.get(key) == first
        # Other tempo or format: a miss.
        for tempo, fmt in ((1.5, "audio"), (1.25, "voice")):
            other = AudioKey(key.article_key, "gtts", "de", tempo, fmt)  # type: ignore[arg-type]
            assert await svc.audio_cache.get(other) is None
        newer = CachedAudio(file_id="F2")
        await svc.audio_cache.put(key, newer)
        assert await svc.audio_cache.get(key) == newer
        # The caption's facts round-trip as a JSON object (and replace along with the rest).
        meta = {
            "title": "Zweimal gefragt",
            "url": "https://example.org/a",
            "site": "Stadtanzeiger",
            "author": "Erika Muster",
            "date": "2025-11-24",
            "duration": 61.4,
            "fell_back": True,
            "truncated_words": None,
        }
        with_meta = CachedAudio(file_id="F3", duration=61, title="Zweimal gefragt", meta=meta)
        await svc.audio_cache.put(key, with_meta)
        cached = await svc.audio_cache.get(key)
        assert cached == with_meta
        assert cached is not None
        assert cached.meta == meta
        await svc.audio_cache.put(key, newer)
        cached = await svc.audio_cache.get(key)
        assert cached is not None
        assert cached.meta is None


async def test_file_id_cache_keeps_whole_short_and_conversation_apart(db: Database) -> None:
    article = normalize_url("https://example.org/b")
    keys = {
        variant: AudioKey(article, "gtts", "auto", 1.0, "audio", variant)
        for variant in ("full", "summary-llm", "summary-extractive", "talk")
    }
    async with service(db) as svc:
        for n, key in enumerate(keys.values()):
            await svc.audio_cache.put(key, CachedAudio(file_id=f"F{n}"))
        found = {v: await svc.audio_cache.get(k) for v, k in keys.items()}
        assert [c.file_id if c else None for c in found.values()] == ["F0", "F1", "F2", "F3"]
        # A whole article's key is the one rows from before variants were stored under.
        bare = AudioKey(article, "gtts", "auto", 1.0, "audio")
        assert await svc.audio_cache.get(bare) == CachedAudio(file_id="F0")


def test_short_versions_and_conversations_are_their_own_jobs() -> None:
    url = "https://example.org/c"
    full = dedupe_key("url", url, RenderPrefs())
    assert full == dedupe_key("url", url, RenderPrefs(summary_by="llm", summary_first=True))
    variants = {
        dedupe_key("url", url, RenderPrefs(variant="summary")),
        dedupe_key("url", url, RenderPrefs(variant="summary", summary_by="llm")),
        dedupe_key("url", url, RenderPrefs(variant="talk")),
    }
    assert len(variants) == 3
    assert full not in variants


async def test_a_button_counts_only_on_the_jobs_own_messages(db: Database) -> None:
    request = dataclasses.replace(url_request(11), status_message_id=5)

    async def deliver(ctx: JobContext) -> JobOutcome:
        await ctx.mark_delivering()
        await ctx.mark_delivered({"message_ids": [8, 9]})
        return JobOutcome()

    async with service(db) as svc:
        await svc.start(deliver)
        job_id = (await svc.submit(request)).job_id
        await wait_until(lambda: all_final(svc, [job_id]), what="delivered")
        for message_id in (5, 8, 9):
            job = await svc.behind_button(job_id, chat_id=11, message_id=message_id)
            assert job is not None
            assert job.request.source == request.source
        assert await svc.behind_button(job_id, chat_id=11, message_id=7) is None
        assert await svc.behind_button(job_id, chat_id=12, message_id=8) is None
        assert await svc.behind_button(job_id + 1, chat_id=11, message_id=8) is None


def test_keys() -> None:
    assert normalize_url("HTTPS://Example.ORG:443/a/b?x=1&utm_source=t&fbclid=z#frag") == (
        "https://example.org/a/b?x=1"
    )
    assert normalize_url("http://example.org:8080") == "http://example.org:8080/"
    base = dedupe_key("url", "https://example.org/a", RenderPrefs())
    assert base == dedupe_key("url", "https://example.org/a#x", RenderPrefs())
    assert base != dedupe_key("url", "https://example.org/a", RenderPrefs(intro=False))
    assert base != dedupe_key("url", "https://example.org/a", RenderPrefs(truncate_words=500))
    text_a = dedupe_key("text", "Ein  Text\nhier", RenderPrefs())
    assert text_a == dedupe_key("text", "Ein Text hier", RenderPrefs())
    assert text_a.startswith("text:")


async def test_clock_drives_backoff(db: Database) -> None:
    now = [time.time()]
    calls: list[int] = []

    async def once_broken(ctx: JobContext) -> JobOutcome:
        calls.append(ctx.job.attempts)
        if ctx.job.attempts == 1:
            raise RuntimeError("first try fails")
        return JobOutcome()

    async with service(db, clock=lambda: now[0], poll_seconds=0.05) as svc:
        job_id = (await svc.submit(url_request(1))).job_id
        await svc.start(once_broken)
        await wait_until(lambda: asyncio.sleep(0, len(calls) == 1), what="first attempt")
        await asyncio.sleep(0.3)
        assert calls == [1]  # the 5 s backoff has not passed on the service's clock
        now[0] += dt.timedelta(seconds=6).total_seconds()
        await wait_until(lambda: all_final(svc, [job_id]), what="the retry")
    assert calls == [1, 2]


async def test_operator_defaults_apply_until_the_user_chooses(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{(tmp_path / 'prefs.sqlite3').as_posix()}")
    await db.migrate()
    service = JobService(
        db, workers=1, max_waiting_per_user=5, max_per_day=10,
        default_prefs=RenderPrefs(intro=False),
    )  # fmt: skip
    try:
        assert (await service.prefs.get(7)).intro is False
        assert (await service.prefs.set(7, tempo=1.25)).intro is False
        assert (await service.prefs.set(7, intro=True)).intro is True
        assert (await service.prefs.get(7)).intro is True
        assert (await service.prefs.get(8)).intro is False
    finally:
        await db.dispose()
