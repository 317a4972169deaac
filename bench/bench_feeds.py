"""The feed poller at scale: 1,000 subscriptions over 200 local feeds.

`python -m bench.bench_feeds [--feeds N] [--subscriptions N] [--hours H]`

The feeds are served by a `FeedServer` in a child process (so the poller's CPU time is the
process's own), each RSS 2.0 with ETag and 20 entries. The poller runs with a SQLite file and a
hand-moved clock, as in production otherwise (the real `Fetcher`, the address guard, HTTP).

Measured:
- a cycle over every feed when none changed (each answers 304): CPU time and wall time of the
  poller process, fetches, and the peak of Python allocations during the cycle (tracemalloc);
  the baseline in the same run is the same cycle with the server's validators off (every fetch a
  full 200 body, recognised as unchanged by its hash);
- a cycle in which 10 % of the feeds have one new entry: CPU time and deliveries written;
- a simulated day: entries appear at random (mean gaps of 10 min to 8 h per feed) and the
  poller runs whenever a feed is due; the latency from an entry's publication to its delivery
  row (simulated time, median and p95), fetches per simulated hour and the share of 304s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.config import load_settings
from bot.feeds.poller import FeedPoller
from bot.feeds.service import FeedService
from bot.pipeline.fetch import Fetcher
from bot.storage.db import Database
from bot.storage.feeds_models import FeedDeliveryRow, FeedEntryRow
from tests.support.feed_server import BASE_TIME, FakeClock, FeedServer

ENTRIES_PER_FEED = 20
# Mean gaps between entries, assigned to the feeds in turn: a news ticker to a weekly blog.
MEAN_GAPS_MIN = (10, 30, 120, 480)
TICK = 60.0  # simulated seconds between looks at the schedule
WARMUP_HOURS = 6


def _serve(conn: Connection, feeds: int) -> None:
    """The child process: serve `feeds` feeds and obey commands from the pipe."""
    with FeedServer() as server:
        fakes = []
        for index in range(feeds):
            fake = server.feed(f"/f{index}.xml", title=f"Feed {index}")
            for number in range(ENTRIES_PER_FEED):
                fake.add(
                    f"Meldung {number} aus Feed {index}",
                    published=BASE_TIME - dt.timedelta(hours=ENTRIES_PER_FEED - number),
                )
            fakes.append(fake)
        conn.send(server.url("/"))
        while True:
            command, argument = conn.recv()
            if command == "stop":
                break
            if command == "add":  # argument: [(feed index, published iso)]
                for index, published in argument:
                    fake = fakes[index]
                    fake.add(
                        f"Neu {fake.counter} aus Feed {index}",
                        published=dt.datetime.fromisoformat(published),
                    )
                    fake.trim(ENTRIES_PER_FEED)
                conn.send(None)
            elif command == "etag":
                for fake in fakes:
                    fake.etag = bool(argument)
                conn.send(None)
            elif command == "counts":
                validators = sum(
                    1 for record in server.http.log if "if-none-match" in record.headers
                )
                conn.send((len(server.http.log), validators))


class Remote:
    """The feed server in its child process."""

    def __init__(self, feeds: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, feeds), daemon=True)
        self.process.start()
        self.base = str(self.conn.recv()).rstrip("/")

    def call(self, command: str, argument: Any = None) -> Any:
        """Send a command and wait for its answer."""
        self.conn.send((command, argument))
        return None if command == "stop" else self.conn.recv()

    def stop(self) -> None:
        """End the child process."""
        self.call("stop")
        self.process.join(timeout=10)


async def _count(db: Database, model: Any) -> int:
    async with db.session() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _cycle(poller: FeedPoller, clock: FakeClock, *, traced: bool = False) -> dict[str, float]:
    """Move past every feed's interval and run one cycle; CPU, wall and optionally memory."""
    clock.advance(7 * 3600)
    if traced:
        tracemalloc.start()
    cpu, wall = time.process_time(), time.perf_counter()
    report = await poller.poll_once()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = 0.0
    if traced:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return {
        "cpu": cpu,
        "wall": wall,
        "peak_mb": peak,
        "polled": report.polled,
        "not_modified": report.not_modified,
        "deliveries": report.deliveries,
    }


async def _run(feeds: int, subscriptions: int, hours: float) -> int:
    remote = Remote(feeds)
    folder = Path(tempfile.mkdtemp(prefix="bench-feeds-"))
    settings = load_settings(
        HOERCLUB_DATA_DIR=folder,
        HOERCLUB_FETCH_ALLOW_NETWORKS="127.0.0.0/8",
        HOERCLUB_FEED_DAILY_CAP=1000,
    )
    db = Database(f"sqlite+aiosqlite:///{(folder / 'feeds.sqlite3').as_posix()}")
    await db.migrate()
    fetcher = Fetcher(settings)
    clock = FakeClock(BASE_TIME)
    service = FeedService(db, fetcher, settings, clock=clock)
    poller = FeedPoller(db, fetcher, settings, clock=clock)
    try:
        urls = [f"{remote.base}/f{index}.xml" for index in range(feeds)]
        for number in range(subscriptions):
            await service.subscribe_url(10_000 + number, urls[number % feeds])
        priming = await _cycle(poller, clock)
        print(
            f"{subscriptions} subscriptions over {feeds} feeds; first cycle (every feed new, "
            f"{ENTRIES_PER_FEED} entries each): {priming['cpu']:.2f} s CPU, "
            f"{priming['wall']:.2f} s wall, {priming['deliveries']:.0f} deliveries "
            f"(the newest entry per subscription)"
        )

        unchanged = [await _cycle(poller, clock) for _ in range(5)]
        traced = await _cycle(poller, clock, traced=True)
        remote.call("etag", False)
        await _cycle(poller, clock)  # the stored ETags stop matching: one full fetch to settle
        full = [await _cycle(poller, clock) for _ in range(5)]
        remote.call("etag", True)
        await _cycle(poller, clock)
        cpu_304 = statistics.median(c["cpu"] for c in unchanged)
        cpu_200 = statistics.median(c["cpu"] for c in full)
        print(f"\ncycle over {feeds} unchanged feeds, median of 5:")
        print(
            f"  with ETag (304s):   {cpu_304:.3f} s CPU, "
            f"{statistics.median(c['wall'] for c in unchanged):.3f} s wall, "
            f"{unchanged[0]['polled']:.0f} fetches, {unchanged[0]['not_modified']:.0f} unchanged"
        )
        print(
            f"  without validators: {cpu_200:.3f} s CPU, "
            f"{statistics.median(c['wall'] for c in full):.3f} s wall "
            f"(full bodies, hash unchanged); ratio {cpu_200 / cpu_304:.2f}x"
        )
        print(f"  peak Python allocations during a 304 cycle: {traced['peak_mb']:.1f} MB")

        changed = max(1, feeds // 10)
        stamp = (clock() + dt.timedelta(hours=1)).isoformat()
        remote.call("add", [(index * 10 % feeds, stamp) for index in range(changed)])
        news = await _cycle(poller, clock)
        print(
            f"\ncycle with {changed} changed feeds (one new entry each): {news['cpu']:.3f} s CPU, "
            f"{news['wall']:.3f} s wall, {news['deliveries']:.0f} deliveries"
        )

        await _simulate(remote, poller, db, clock=clock, feeds=feeds, hours=hours)
    finally:
        await fetcher.aclose()
        await db.dispose()
        remote.stop()
    return 0


async def _simulate(
    remote: Remote, poller: FeedPoller, db: Database, *, clock: FakeClock, feeds: int, hours: float
) -> None:
    """A simulated stretch of time: latency from publication to delivery, fetches per hour."""
    rng = random.Random(10)
    start = clock()
    end = start + dt.timedelta(hours=hours)
    schedule: list[tuple[dt.datetime, int]] = []
    for index in range(feeds):
        gap = MEAN_GAPS_MIN[index % len(MEAN_GAPS_MIN)] * 60
        moment = start
        while True:
            moment += dt.timedelta(seconds=rng.expovariate(1 / gap))
            if moment >= end:
                break
            schedule.append((moment, index))
    schedule.sort()
    requests_before, validators_before = remote.call("counts")
    cycles = 0
    cpu = time.process_time()
    pending = 0
    while clock() < end:
        clock.advance(TICK)
        due = []
        while pending < len(schedule) and schedule[pending][0] <= clock():
            due.append((schedule[pending][1], schedule[pending][0].isoformat()))
            pending += 1
        if due:
            remote.call("add", due)
        report = await poller.poll_once()
        cycles += 1 if report.polled else 0
    cpu = time.process_time() - cpu
    requests, validators = remote.call("counts")
    # Measured: entries published after a warm-up (the cycles above left every interval at its
    # 6 h bound) and at least 6 h before the end (so each had its poll).
    window_start = start + dt.timedelta(hours=WARMUP_HOURS)
    window_end = end - dt.timedelta(hours=6)
    latencies = await _latencies(db, window_start, window_end)
    in_window = sum(1 for moment, _ in schedule if window_start <= moment < window_end)
    simulated_hours = hours
    fetches = requests - requests_before
    print(
        f"\nsimulated {simulated_hours:g} h, {len(schedule)} new entries "
        f"(mean gaps {', '.join(str(m) for m in MEAN_GAPS_MIN)} min per feed):"
    )
    print(
        f"  latency publication -> delivery row: median {statistics.median(latencies) / 60:.1f} "
        f"min, p95 {_p95(latencies) / 60:.1f} min (bounds 5 min - 6 h, look every {TICK:.0f} s)"
    )
    print(
        f"  fetches: {fetches / simulated_hours:.0f} per hour for {feeds} feeds "
        f"({(validators - validators_before) / max(fetches, 1):.0%} conditional), "
        f"{cycles} cycles with fetches, poller CPU {cpu:.1f} s in all"
    )
    print(
        f"  entries published {WARMUP_HOURS} h to {hours - 6:g} h in: {in_window}, delivered: "
        f"{len(latencies)} (the rest scrolled out of a {ENTRIES_PER_FEED}-entry feed unseen)"
    )


async def _latencies(db: Database, since: dt.datetime, until: dt.datetime) -> list[float]:
    """Seconds from each new entry's publication to the first delivery row made for it."""
    async with db.session() as session:
        rows = await session.execute(
            select(FeedEntryRow.published_at, func.min(FeedDeliveryRow.created_at))
            .join(FeedDeliveryRow, FeedDeliveryRow.entry_id == FeedEntryRow.id)
            .where(FeedEntryRow.published_at >= since, FeedEntryRow.published_at < until)
            .group_by(FeedEntryRow.id, FeedEntryRow.published_at)
        )
        return [
            (delivered - published).total_seconds()
            for published, delivered in rows.all()
            if published is not None and delivered is not None
        ]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_feeds")
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24.0, help="simulated, at least 13")
    args = parser.parse_args(argv)
    return asyncio.run(_run(args.feeds, args.subscriptions, args.hours))


if __name__ == "__main__":
    sys.exit(main())
