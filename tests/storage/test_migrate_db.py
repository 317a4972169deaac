"""`hoerclub migrate-db --to URL`: rows written by the services, copied, read back by them."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.config import Settings
from bot.feeds.service import FeedService
from bot.jobs import AudioKey, CachedAudio, JobService
from bot.pipeline.fetch import Fetcher
from bot.storage.db import Database
from bot.storage.migrate_db import tables
from bot.storage.models import JobRow
from tests.jobs.support import Recorder, all_final, url_request, wait_until
from tests.storage.dbsupport import POSTGRES_ENV, backends, wipe
from tests.support.feed_server import FeedServer

CHAT = 4242
USER = 77
KEY = AudioKey("https://example.org/artikel/9", "gtts", "de", 1.0, "audio")


@dataclass(frozen=True)
class Seeded:
    """The ids the source's services handed out."""

    delivered: int
    queued: int
    cancelled: int
    feed_url: str


def _sqlite(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path.as_posix()}"


async def _seed(url: str, settings: Settings, server: FeedServer) -> Seeded:
    """A database with users, jobs in three states, settings, an upload and a subscription."""
    db = Database(url)
    await db.migrate()
    svc = JobService(db, workers=1, max_waiting_per_user=50, max_per_day=500)
    fetcher = Fetcher(settings)
    try:
        delivered = (await svc.submit(url_request(USER, 1))).job_id
        await svc.start(Recorder())
        await wait_until(lambda: all_final(svc, [delivered]), what="the first job")
        await svc.stop()
        cancelled = (await svc.submit(url_request(USER + 1, 2))).job_id
        await svc.cancel_user(USER + 1)
        queued = (await svc.submit(url_request(USER, 3))).job_id
        await svc.prefs.set(USER, tempo=1.25, format="voice")
        await svc.audio_cache.put(KEY, CachedAudio("file-9", duration=61, title="Neun"))
        feed = server.feed("/news.xml", title="Nachrichten")
        feed.add("Erste Meldung")
        feed_url = server.url("/news.xml")
        await FeedService(db, fetcher, settings).subscribe(CHAT, feed_url, user_id=USER)
    finally:
        await fetcher.aclose()
        await db.dispose()
    return Seeded(delivered, queued, cancelled, feed_url)


async def _null_results(url: str) -> int:
    db = Database(url)
    try:
        async with db.session() as session:
            found = await session.scalar(
                select(func.count()).select_from(JobRow).where(JobRow.result.is_(None))
            )
            return int(found or 0)
    finally:
        await db.dispose()


async def _read_back(url: str, seeded: Seeded, settings: Settings) -> None:
    """The target, opened by the services, holds what the source's services wrote."""
    db = Database(url)
    svc = JobService(db, workers=1, max_waiting_per_user=50, max_per_day=500)
    fetcher = Fetcher(settings)
    try:
        await db.migrate()  # what the bot does at start: nothing to do on a copied target
        states = {
            job_id: (await svc.get_job(job_id)).state  # type: ignore[union-attr]
            for job_id in (seeded.delivered, seeded.queued, seeded.cancelled)
        }
        assert states == {
            seeded.delivered: "delivered",
            seeded.queued: "queued",
            seeded.cancelled: "cancelled",
        }
        assert [job.id for job in await svc.history(USER)] == [seeded.delivered]
        prefs = await svc.prefs.get(USER)
        assert (prefs.tempo, prefs.format) == (1.25, "voice")
        cached = await svc.audio_cache.get(KEY)
        assert cached is not None
        assert (cached.file_id, cached.duration, cached.title) == ("file-9", 61, "Neun")
        subs = await FeedService(db, fetcher, settings).subscriptions(CHAT)
        assert [(s.feed_url, s.feed_title) for s in subs] == [(seeded.feed_url, "Nachrichten")]
        # Ids go on after the copied ones (PostgreSQL's sequences were moved on).
        fresh = await svc.submit(url_request(USER + 2, 4))
        assert fresh.job_id == max(seeded.delivered, seeded.queued, seeded.cancelled) + 1
    finally:
        await fetcher.aclose()
        await db.dispose()


@pytest.fixture(params=backends())
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty target: a new SQLite file, or the test PostgreSQL database wiped."""
    if request.param == "sqlite":
        return _sqlite(tmp_path / "target" / "hoerclub.sqlite3")
    url = os.environ[POSTGRES_ENV]
    asyncio.run(wipe(url))
    return url


@pytest.fixture
def source_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The configured database (HOERCLUB_DATABASE_URL), not yet created."""
    url = _sqlite(tmp_path / "source" / "hoerclub.sqlite3")
    monkeypatch.setenv("HOERCLUB_DATABASE_URL", url)
    return url


def test_every_table_is_copied_and_reads_back(
    source_url: str, target_url: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with FeedServer() as server:
        seeded = asyncio.run(_seed(source_url, settings, server))
    assert main(["migrate-db", "--to", target_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    counts = {line.split()[0]: int(line.split()[1]) for line in lines[:-1]}
    assert list(counts) == [table.name for table in tables()]  # every table, parents first
    seeded_counts = {
        "audio_cache": 1,
        "feed_chats": 1,
        "feeds": 1,
        "jobs": 3,
        "usage": 2,
        "users": 2,
        "feed_entries": 1,
        "feed_subscriptions": 1,
        "feed_deliveries": 1,
    }
    assert {name: counts[name] for name in seeded_counts} == seeded_counts
    assert all(line.endswith("ok") for line in lines[:-1])
    assert lines[-1].startswith("copied to ")
    # Jobs without a result stay SQL NULL (the shared-result lookup asks IS NOT NULL).
    assert asyncio.run(_null_results(target_url)) == asyncio.run(_null_results(source_url)) == 2
    asyncio.run(_read_back(target_url, seeded, settings))


def test_a_target_with_rows_is_refused_unless_forced(
    source_url: str, tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _sqlite(tmp_path / "target.sqlite3")
    with FeedServer() as server:
        seeded = asyncio.run(_seed(source_url, settings, server))
    assert main(["migrate-db", "--to", target]) == 0
    capsys.readouterr()
    assert main(["migrate-db", "--to", target]) == 2
    err = capsys.readouterr().err
    assert "already holds rows" in err
    assert "--force" in err
    assert main(["migrate-db", "--to", target, "--force"]) == 0
    assert "jobs" in capsys.readouterr().out
    asyncio.run(_read_back(target, seeded, settings))


def test_the_configured_database_itself_is_refused(
    source_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate-db", "--to", source_url]) == 2
    assert "itself" in capsys.readouterr().err
    # The same file by another spelling (relative to the working directory) is the same too.
    path = Path(source_url.removeprefix("sqlite+aiosqlite:///"))
    relative = os.path.relpath(path, Path.cwd())
    assert main(["migrate-db", "--to", f"sqlite+aiosqlite:///{relative}"]) == 2
    assert "itself" in capsys.readouterr().err


def test_a_missing_source_is_one_line_and_exit_75(
    source_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate-db", "--to", _sqlite(tmp_path / "target.sqlite3")]) == 75
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1
    assert "no database at" in err[0]
    assert not (tmp_path / "target.sqlite3").exists()


def test_a_damaged_source_is_one_line_and_exit_75(
    source_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "source" / "hoerclub.sqlite3"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 4096)
    assert main(["migrate-db", "--to", _sqlite(tmp_path / "target.sqlite3")]) == 75
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1
    assert "damaged" in err[0]
    assert "Traceback" not in err[0]
