"""The shared sliding windows on a real redis-server: shared by limiters, atomic, with fallback."""

from __future__ import annotations

import ast
import asyncio
import logging
import time
from pathlib import Path

import pytest

from bot.storage.shared_limits import (
    LocalWindows,
    SharedLimiter,
    Window,
    ping_redis,
    redacted,
)
from tests.support.redis_server import RedisServer

PAUSE = "test:pause"
BOT = Path(__file__).resolve().parents[2] / "bot"


def test_only_the_home_module_imports_redis() -> None:
    """redis has one home module, like every third-party library."""
    importers = set()
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(n == "redis" or n.startswith("redis.") for n in names):
                importers.add(path.relative_to(BOT.parent).as_posix())
    assert importers == {"bot/storage/shared_limits.py"}


async def test_two_limiters_share_one_window(redis_server: RedisServer) -> None:
    """Two processes' limiters (two clients) together take at most `limit` slots per window."""
    first, second = SharedLimiter(redis_server.url), SharedLimiter(redis_server.url)
    window = Window("test:all", 5, 1.0)
    try:
        started = time.monotonic()
        tasks = [
            asyncio.create_task((first if i % 2 else second).acquire([window], PAUSE))
            for i in range(15)
        ]
        # Counted mid-window, half a window away from any slot freeing: timing-proof.
        await asyncio.sleep(0.5)
        in_first_window = sum(task.done() for task in tasks)
        await asyncio.sleep(1.5 - (time.monotonic() - started))
        in_two_windows = sum(task.done() for task in tasks)
        await asyncio.gather(*tasks)
        took = time.monotonic() - started
    finally:
        await first.close()
        await second.close()
    assert in_first_window == 5
    assert in_two_windows == 10
    # The third five waited for two windows to pass, not one per limiter.
    assert took >= 1.9


async def test_slots_are_taken_in_all_windows_or_none(redis_server: RedisServer) -> None:
    """A full group window refuses without using up a slot of the overall window."""
    limiter = SharedLimiter(redis_server.url)
    overall, group = Window("test:all", 100, 60.0), Window("test:group", 20, 61.0)
    try:
        for _ in range(20):
            assert await limiter.try_acquire([overall, group], PAUSE) == 0
        wait = await limiter.try_acquire([overall, group], PAUSE)
        assert 60.0 < wait <= 61.0  # Telegram's minute, and the margin
        for _ in range(80):  # the refused request took nothing from the overall window
            assert await limiter.try_acquire([overall], PAUSE) == 0
        assert await limiter.try_acquire([overall], PAUSE) > 59.0
    finally:
        await limiter.close()


async def test_requests_without_windows_do_not_queue_behind_sends(
    redis_server: RedisServer,
) -> None:
    """An answer to a button (no chat, no window) passes while sends wait for their slots."""
    limiter = SharedLimiter(redis_server.url)
    window = Window("test:all", 1, 0.3)
    try:
        sends = [asyncio.create_task(limiter.acquire([window], PAUSE)) for _ in range(5)]
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await limiter.acquire([], PAUSE)
        answered = time.monotonic() - started
        queued = sum(not task.done() for task in sends)
        await asyncio.gather(*sends)
    finally:
        await limiter.close()
    assert answered < 0.25
    assert queued >= 3


async def test_a_pause_holds_every_limiter(redis_server: RedisServer) -> None:
    """After a 429 one limiter pauses; another process's limiter waits as long."""
    first, second = SharedLimiter(redis_server.url), SharedLimiter(redis_server.url)
    try:
        await first.pause(PAUSE, 0.6)
        started = time.monotonic()
        await second.acquire([Window("test:all", 10, 1.0)], PAUSE)
        assert 0.45 <= time.monotonic() - started < 2.0
    finally:
        await first.close()
        await second.close()


async def test_redis_away_falls_back_with_one_line_and_comes_back(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis stops: windows hold per process, one log line; Redis back: shared again, one line."""
    caplog.set_level(logging.WARNING, logger="bot.storage.shared_limits")
    limiter = SharedLimiter(redis_server.url, reconnect_seconds=0.3)
    window = Window("test:all", 1000, 1.0)
    try:
        await limiter.acquire([window], PAUSE)
        assert limiter.shared
        redis_server.stop()
        for _ in range(50):
            await limiter.acquire([window], PAUSE)
        assert not limiter.shared
        await asyncio.sleep(0.4)
        for _ in range(20):  # a probe is due and fails: still one line
            await limiter.acquire([window], PAUSE)
        # The local window holds per process meanwhile.
        small = Window("test:small", 3, 10.0)
        assert [limiter.local.try_acquire([small]) == 0 for _ in range(4)] == [
            True,
            True,
            True,
            False,
        ]
        redis_server.start()
        await asyncio.sleep(0.4)
        await limiter.acquire([window], PAUSE)
        assert limiter.shared
    finally:
        await limiter.close()
    lines = [r.getMessage() for r in caplog.records]
    assert len([line for line in lines if "unreachable" in line]) == 1, lines
    assert len([line for line in lines if "is back" in line]) == 1, lines
    assert len(lines) == 2, lines


async def test_ping_redis(redis_server: RedisServer) -> None:
    """ping_redis returns on a live server and raises on a stopped one."""
    await ping_redis(redis_server.url)
    redis_server.stop()
    with pytest.raises(Exception, match=r"(?i)connect|refused"):
        await ping_redis(redis_server.url)


def test_local_windows_slide_and_pause() -> None:
    """The in-process fallback: a sliding window and the pause after a 429."""
    now = [100.0]
    windows = LocalWindows(clock=lambda: now[0])
    group = [Window("g", 2, 10.0)]
    assert windows.try_acquire(group) == 0
    now[0] = 105.0
    assert windows.try_acquire(group) == 0
    assert windows.try_acquire(group) == pytest.approx(5.0)
    now[0] = 110.0  # the first slot is exactly one window old: free
    assert windows.try_acquire(group) == 0
    windows.pause(3.0)
    assert windows.try_acquire([]) == pytest.approx(3.0)
    now[0] = 113.0
    assert windows.try_acquire([]) == 0


def test_log_lines_never_show_the_password() -> None:
    """A Redis URL's password is masked before it is logged."""
    assert redacted("redis://:geheim@cache:6380/1") == "redis://:***@cache:6380/1"
    assert redacted("redis://user:geheim@cache/0") == "redis://user:***@cache/0"
    assert redacted("redis://cache:6379/0") == "redis://cache:6379/0"
