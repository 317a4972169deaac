"""Telegram's flood limits held by the whole fleet: PTB Applications and another process,
sharing one real redis-server, sending through the fake Bot API, which counts every send."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from telegram.ext import AIORateLimiter

from bot.config import load_settings
from bot.telegram.flood import GROUP_MESSAGES_PER_MINUTE, FleetRateLimiter, build_rate_limiter
from tests.support.fake_telegram import FakeTelegram
from tests.support.flood_sender import build_app, send_all, send_for
from tests.support.redis_server import RedisServer
from tests.telegram.conftest import USER, StartBot

ROOT = Path(__file__).resolve().parents[2]
GROUP = -100555
# A group window of 2.2 s checked over 2 s stands for the 61 s held against Telegram's minute
# (a minute-long test would be too slow for the suite).
GROUP_SECONDS = 2.2
GROUP_CHECK = 2.0


def _chats(fake: FakeTelegram, first: int, n: int) -> list[int]:
    chats = list(range(first, first + n))
    for chat in chats:
        fake.add_chat(chat)
    return chats


@contextmanager
def _sender(
    fake: FakeTelegram, redis_url: str | None, *args: str
) -> Iterator[subprocess.Popen[str]]:
    """Another process of the fleet (tests.support.flood_sender), started and ready."""
    env = dict(os.environ, **fake.env(), PYTHONPATH=str(ROOT), PTB_TIMEDELTA="true")
    env.pop("HOERCLUB_REDIS_URL", None)
    if redis_url is not None:
        env["HOERCLUB_REDIS_URL"] = redis_url
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.flood_sender", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path.cwd(),  # the test's tmp dir: no developer's .env
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready", process.stderr
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return int(out.split()[-1]), err


def _app(fake: FakeTelegram, redis_url: str | None, **kwargs: Any) -> Any:
    overrides: dict[str, Any] = {"TELEGRAM_BOT_TOKEN": fake.token}
    overrides["TELEGRAM_API_BASE_URL"] = fake.base_url
    overrides["TELEGRAM_FILE_BASE_URL"] = fake.base_file_url
    overrides["HOERCLUB_REDIS_URL"] = redis_url or ""
    return build_app(**kwargs, **overrides)


def test_without_redis_the_factory_keeps_aioratelimiter() -> None:
    """No HOERCLUB_REDIS_URL: one process, PTB's AIORateLimiter as ever; with it, the fleet's."""
    plain = load_settings(TELEGRAM_BOT_TOKEN="1:A")
    assert isinstance(
        build_rate_limiter(plain, overall_per_second=29, max_retries=5), AIORateLimiter
    )
    fleet = load_settings(TELEGRAM_BOT_TOKEN="1:A", HOERCLUB_REDIS_URL="redis://127.0.0.1:1/0")
    limiter = build_rate_limiter(fleet, overall_per_second=29, max_retries=5)
    assert isinstance(limiter, FleetRateLimiter)
    assert [w.limit for w in limiter.windows({"chat_id": 5})] == [1]
    assert [w.limit for w in limiter.windows({"chat_id": "-100"})] == [1, 20]
    assert [w.limit for w in limiter.windows({"chat_id": "@kanal"})] == [1, 20]
    assert limiter.windows({"callback_query_id": "1"}) == []


def test_a_redis_url_that_is_not_one_is_refused() -> None:
    """A URL without redis://, rediss:// or unix:// is a settings error, not a late traceback."""
    with pytest.raises(ValueError, match="HOERCLUB_REDIS_URL"):
        load_settings(HOERCLUB_REDIS_URL="localhost:6379")
    assert load_settings(HOERCLUB_REDIS_URL="").redis_url is None
    assert load_settings(HOERCLUB_REDIS_URL="rediss://cache:6380/1").redis_url is not None


async def test_per_process_limiters_let_the_fleet_flood() -> None:
    """The baseline the shared limiter fixes: three processes' own limiters send ~3 × 29/s."""
    async with FakeTelegram() as fake:
        apps = [_app(fake, None) for _ in range(3)]
        chats = [_chats(fake, 1000 * (i + 1), 10) for i in range(3)]
        for app in apps:
            await app.initialize()
        try:
            await asyncio.gather(*(send_for(a, c, 1.5) for a, c in zip(apps, chats, strict=True)))
        finally:
            for app in apps:
                await app.shutdown()
        assert fake.max_sends(1.0) > 40


async def test_the_fleet_never_exceeds_telegrams_limits(redis_server: RedisServer) -> None:
    """Two Applications here and one other process: ≤ 30 sends a second, ≤ 20 a group window."""
    async with FakeTelegram() as fake:
        fake.add_chat(GROUP, "supergroup")
        chats = [_chats(fake, 1000 * (i + 1), 10) for i in range(3)]
        apps = [_app(fake, redis_server.url, group_seconds=GROUP_SECONDS) for _ in range(2)]
        for app in apps:
            await app.initialize()
        try:
            with _sender(
                fake,
                redis_server.url,
                f"--chats={','.join(map(str, chats[2]))}",
                "--seconds=3",
                f"--group={GROUP}",
                "--group-messages=10",
                f"--group-seconds={GROUP_SECONDS}",
            ) as other:
                await asyncio.gather(
                    send_all(apps[0], [GROUP] * 10),
                    send_all(apps[1], [GROUP] * 10),
                    send_for(apps[0], chats[0], 3.0),
                    send_for(apps[1], chats[1], 3.0),
                )
                sent, log = await asyncio.to_thread(_finish, other)
        finally:
            for app in apps:
                await app.shutdown()
    group_sends = len(fake.sent(GROUP))
    assert group_sends == 30
    assert sent >= 10 + 10  # the other process sent its group share and private messages
    assert len(fake.sent(chats[2][0])) > 0
    # The whole fleet: never more than Telegram's 30 a second, nor 20 a group window.
    assert fake.max_sends(1.0) <= 30
    assert fake.max_sends(GROUP_CHECK, [GROUP]) <= GROUP_MESSAGES_PER_MINUTE
    assert "unreachable" not in log  # the other process shared the windows throughout


async def test_redis_going_away_mid_run(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis stops mid-run: sending goes on, limits per process, one log line; back: shared."""
    caplog.set_level(logging.INFO, logger="bot.storage.shared_limits")
    async with FakeTelegram() as fake:
        mine, theirs = _chats(fake, 1000, 10), _chats(fake, 2000, 10)
        app = _app(fake, redis_server.url, reconnect=0.5)
        await app.initialize()
        try:
            with _sender(
                fake,
                redis_server.url,
                f"--chats={','.join(map(str, theirs))}",
                "--seconds=6.5",
                "--reconnect=0.5",
            ) as other:
                start = time.monotonic()
                task = asyncio.create_task(send_for(app, mine, 6.0))
                await asyncio.sleep(1.5)
                redis_server.stop()
                away = time.monotonic()
                await asyncio.sleep(2.0)
                redis_server.start()
                back = time.monotonic()
                sent = await task
                other_sent, other_log = await asyncio.to_thread(_finish, other)
        finally:
            await app.shutdown()
    # Sending went on throughout, in both processes.
    assert fake.max_sends(0.5, mine, since=away, until=back) > 0
    assert fake.max_sends(0.5, theirs, since=away, until=back) > 0
    assert sent > 29 * 2
    assert other_sent > 29 * 2
    # Shared before the stop and again after Redis was back (plus a probe interval).
    assert fake.max_sends(1.0, since=start, until=away) <= 30
    assert fake.max_sends(1.0, since=back + 1.0) <= 30
    # Meanwhile each process held the limit alone, so together they went past it.
    assert fake.max_sends(1.0, mine, since=away, until=back) <= 30
    assert fake.max_sends(1.0, theirs, since=away, until=back) <= 30
    assert fake.max_sends(1.0, since=away + 0.6, until=back) > 30
    # One line when Redis went away and one when it came back, in each process.
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.storage.shared_limits"]
    assert len([line for line in lines if "unreachable" in line]) == 1, lines
    assert len([line for line in lines if "is back" in line]) == 1, lines
    assert other_log.count("unreachable") == 1, other_log
    assert other_log.count("is back") == 1, other_log


async def test_the_bot_sends_through_the_shared_limiter(
    fake: FakeTelegram,
    start_bot: StartBot,
    article_url: Callable[..., str],
    redis_server: RedisServer,
) -> None:
    """`hoerclub bot` with HOERCLUB_REDIS_URL: the factory wires the fleet's limiter, and a link
    becomes an audio with every send's slot taken in Redis."""
    bot = await start_bot(HOERCLUB_REDIS_URL=redis_server.url)
    assert isinstance(bot.app.bot.rate_limiter, FleetRateLimiter)
    fake.send_text(USER, article_url("tram", "Neue Straßenbahn für den Osten", 120))
    await fake.wait_for_sent(USER, kind="audio", timeout=60)
    client = Redis.from_url(redis_server.url)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    scripts = sum(
        int(v["calls"]) for k, v in stats.items() if k in ("cmdstat_evalsha", "cmdstat_eval")
    )
    sends = [c for c in fake.calls if c.ok and "chat_id" in c.params]
    assert scripts >= len(sends) > 0


async def test_a_429_holds_every_process_then_the_send_is_retried(
    redis_server: RedisServer,
) -> None:
    """Telegram's 429 to one process: it waits retry_after + 0.1 s and sends again, and the
    other process's sends wait as long (AIORateLimiter does this within one process)."""
    async with FakeTelegram() as fake:
        first_chat, second_chat = _chats(fake, 1000, 2)
        apps = [_app(fake, redis_server.url) for _ in range(2)]
        for app in apps:
            await app.initialize()
        try:
            fake.fail_next("sendMessage", 429, retry_after=1)
            refused = asyncio.create_task(apps[0].bot.send_message(first_chat, "eins"))
            await fake.wait_for(
                lambda f: any(c.status == 429 for c in f.calls) or None, 10, what="the 429"
            )
            await asyncio.sleep(0.1)  # the pause is set in Redis right after the answer
            await apps[1].bot.send_message(second_chat, "zwei")
            await refused
        finally:
            for app in apps:
                await app.shutdown()
    calls = fake.calls_to("sendMessage")
    assert [c.status for c in calls] == [429, 200, 200]
    too_many = calls[0].at
    assert all(c.at - too_many >= 1.0 for c in calls[1:]), [c.at - too_many for c in calls]
    assert {c.params["chat_id"] for c in calls[1:]} == {first_chat, second_chat}
