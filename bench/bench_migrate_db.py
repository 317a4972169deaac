"""`hoerclub migrate-db` at size: a SQLite database of delivered jobs copied at several batch sizes.

`python -m bench.bench_migrate_db [--jobs N] [--runs N] [--to-postgres URL]`

The source is a SQLite file with N job rows (each with a rendered result and a delivery summary
of about 2 kB of JSON, as the bot stores them), their users and usage rows. Each run copies it
into a fresh target (a SQLite file; with --to-postgres, also that PostgreSQL database, which is
emptied before every run) with `migrate_database`, the code behind the command. Printed per
batch size: the median wall time of the runs, rows per second, and the ratio against the
production batch size (BATCH_ROWS) in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from bot.storage.db import Database
from bot.storage.migrate_db import BATCH_ROWS, migrate_database
from bot.storage.models import JobRow, UsageRow, User
from tests.storage.dbsupport import wipe

BATCH_SIZES = (50, 200, BATCH_ROWS, 2000)
USERS = 200
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


async def _seed(url: str, jobs: int) -> int:
    """Write the source rows with bulk inserts; returns the number of rows in all."""
    db = Database(url)
    await db.migrate()
    result = {
        "title": "Ein Artikel mit einem Titel von mittlerer Länge",
        "chapters": [{"title": f"Abschnitt {n}", "start": n * 61.5} for n in range(12)],
        "files": [f"data/audio/000001/teil-{k}.mp3" for k in range(3)],
        "text": "Wort " * 250,
    }
    async with db.session() as session:
        await session.execute(
            insert(User),
            [
                {"id": u, "settings": {"tempo": 1.1}, "created_at": T0, "updated_at": T0}
                for u in range(USERS)
            ],
        )
        await session.execute(
            insert(UsageRow), [{"user_id": u, "day": T0.date(), "count": 5} for u in range(USERS)]
        )
        for start in range(0, jobs, 1000):
            await session.execute(
                insert(JobRow),
                [
                    {
                        "user_id": n % USERS,
                        "chat_id": n % USERS,
                        "kind": "url",
                        "source": f"https://example.org/artikel/{n}",
                        "dedupe_key": f"key-{n}",
                        "options": {"engine": "gtts", "tempo": 1.0},
                        "state": "delivered",
                        "attempts": 1,
                        "result": result,
                        "summary": {"message_ids": [n, n + 1], "title": result["title"]},
                        "created_at": T0,
                        "updated_at": T0,
                        "available_at": T0,
                        "finished_at": T0,
                    }
                    for n in range(start, min(jobs, start + 1000))
                ],
            )
    await db.dispose()
    return jobs + 2 * USERS


async def _copy(source: str, target: str, batch: int) -> float:
    started = time.perf_counter()
    copies = await migrate_database(source, target, batch_rows=batch)
    elapsed = time.perf_counter() - started
    if not all(copy.ok for copy in copies):
        raise RuntimeError(f"counts differ: {copies}")
    return elapsed


async def _run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = f"sqlite+aiosqlite:///{Path(tmp) / 'source.sqlite3'}"
        rows = await _seed(source, args.jobs)
        print(f"source: {args.jobs} jobs, {rows} rows in all; {args.runs} runs per batch size")
        targets = [("sqlite", None)]
        if args.to_postgres:
            targets.append(("postgresql", args.to_postgres))
        for name, url in targets:
            medians: dict[int, float] = {}
            for batch in BATCH_SIZES:
                times = []
                for run in range(args.runs):
                    if url is None:
                        target = f"sqlite+aiosqlite:///{Path(tmp) / f'target-{batch}-{run}.db'}"
                    else:
                        await wipe(url)
                        target = url
                    times.append(await _copy(source, target, batch))
                medians[batch] = statistics.median(times)
            for batch, median in medians.items():
                ratio = median / medians[BATCH_ROWS]
                print(
                    f"{name:<10} batch {batch:>5}: {median:6.2f} s median, "
                    f"{rows / median:8.0f} rows/s, {ratio:4.2f}x the time of batch {BATCH_ROWS}"
                )


def main(argv: list[str] | None = None) -> int:
    """Seed a source, copy it at each batch size and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_migrate_db")
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--to-postgres", metavar="URL", default=None)
    args = parser.parse_args(argv)
    asyncio.run(_run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
