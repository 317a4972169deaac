"""The fleet's shared flood limits: what a slot costs, and what N processes send together.

`python -m bench.bench_flood [--seconds S]`

Starts a redis-server of its own (Debian's, on a free port, nothing saved) and the fake Bot API
server. Measured:
- the cost of taking a slot: median and p95 of one `try_acquire` through Redis (the Lua script
  over loopback) against the same windows kept in the process (the fallback), 2,000 each;
- sends per second through the fake Bot API by 1, 2 and 3 PTB Applications, each sending as
  fast as its limiter lets it for `--seconds`: with the shared limiter (HOERCLUB_REDIS_URL set)
  and, as the baseline in the same run, with AIORateLimiter per process (as without Redis);
  the rate is sends over the time until the last one was answered; the fake counts the most
  sends in any one-second window.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

from bot.storage.shared_limits import LocalWindows, SharedLimiter, Window
from tests.support.fake_telegram import FakeTelegram
from tests.support.flood_sender import build_app, send_for
from tests.support.redis_server import RedisServer, redis_server_binary

SLOTS = 2000


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"{statistics.median(ordered) * 1000:.3f} ms / {p95 * 1000:.3f} ms"


async def _slot_costs(url: str) -> tuple[list[float], list[float]]:
    windows = [Window("bench:all", 10**9, 1.0), Window("bench:group", 10**9, 61.0)]
    limiter = SharedLimiter(url)
    local = LocalWindows()
    shared_times, local_times = [], []
    try:
        for _ in range(SLOTS):
            start = time.perf_counter()
            await limiter.try_acquire(windows, "bench:pause")
            shared_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            local.try_acquire(windows)
            local_times.append(time.perf_counter() - start)
    finally:
        await limiter.close()
    return shared_times, local_times


async def _fleet_rate(
    processes: int, redis_url: str | None, seconds: float
) -> tuple[int, float, int]:
    async with FakeTelegram() as fake:
        chats = list(range(1000, 1000 + 10 * processes))
        for chat in chats:
            fake.add_chat(chat)
        overrides: dict[str, Any] = {
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_FILE_BASE_URL": fake.base_file_url,
            "HOERCLUB_REDIS_URL": redis_url or "",
        }
        apps = [build_app(**overrides) for _ in range(processes)]
        for app in apps:
            await app.initialize()
        started = time.monotonic()
        try:
            counts = await asyncio.gather(
                *(send_for(app, chats[i::processes], seconds) for i, app in enumerate(apps))
            )
            took = time.monotonic() - started
        finally:
            for app in apps:
                await app.shutdown()
        return sum(counts), took, fake.max_sends(1.0)


async def _run(seconds: float) -> int:
    binary = redis_server_binary()
    if binary is None:
        print("redis-server is not installed: nothing to measure")
        return 1
    with RedisServer(binary) as server:
        shared, local = await _slot_costs(server.url)
        print(f"one slot, median / p95 over {SLOTS}:")
        print(f"  Redis (Lua script, loopback)   {_ms(shared)}")
        print(f"  in-process windows (fallback)  {_ms(local)}")
        print(f"\nsends through the fake Bot API, {seconds:.0f} s per run:")
        print("processes  limiter              sent  per second  most in any 1 s")
        for processes in (1, 2, 3):
            for name, url in (("shared (Redis)", server.url), ("per process", None)):
                sent, took, most = await _fleet_rate(processes, url, seconds)
                rate = sent / took
                print(f"{processes:>9}  {name:<18} {sent:>6}  {rate:>10.1f}  {most:>15}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_flood")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of sending per run")
    args = parser.parse_args(argv)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    return asyncio.run(_run(args.seconds))


if __name__ == "__main__":
    raise SystemExit(main())
