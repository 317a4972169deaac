"""Upkeep on a real database file: retention, damage found at start, a deleted file, backups."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import maintain_forever
from bot.cli import main
from bot.config import load_settings
from bot.storage.db import Database
from bot.storage.maintenance import (
    DatabaseWatch,
    ProblemLog,
    Retention,
    prune_tables,
    quick_check,
)
from bot.storage.models import AudioCacheRow, JobRow, UsageRow

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def _job(state: str, age_days: float) -> JobRow:
    when = NOW - dt.timedelta(days=age_days)
    return JobRow(
        user_id=1, chat_id=1, kind="url", source=f"https://example.org/{state}/{age_days}",
        dedupe_key=f"{state}{age_days}", options={}, language="de", state=state, attempts=1,
        created_at=when, updated_at=when, available_at=when,
    )  # fmt: skip


def _upload(age_days: float) -> AudioCacheRow:
    return AudioCacheRow(
        article_key=f"a{age_days}", engine="gtts", voice="de", tempo=1.0, format="audio",
        file_id="f", created_at=NOW - dt.timedelta(days=age_days),
    )  # fmt: skip


async def _fill(db: Database) -> None:
    async with db.session() as session:
        session.add_all(
            [
                _job("delivered", 40), _job("failed", 31), _job("cancelled", 45),
                _job("delivered", 2), _job("queued", 60), _job("running", 60),
                UsageRow(user_id=1, day=(NOW - dt.timedelta(days=10)).date(), count=3),
                UsageRow(user_id=1, day=NOW.date(), count=1),
                _upload(100), _upload(5),
            ]
        )  # fmt: skip


async def _counts(db: Database) -> tuple[int, int, int]:
    async with db.session() as session:
        jobs = await session.scalar(select(func.count()).select_from(JobRow))
        usage = await session.scalar(select(func.count()).select_from(UsageRow))
        uploads = await session.scalar(select(func.count()).select_from(AudioCacheRow))
    return int(jobs or 0), int(usage or 0), int(uploads or 0)


async def test_retention_removes_only_old_finished_rows(db: Database) -> None:
    await _fill(db)
    report = await prune_tables(db, Retention(30, 7, 90), NOW)
    assert (report.jobs, report.usage, report.audio_cache) == (3, 1, 1)
    assert await _counts(db) == (3, 1, 1)
    async with db.session() as session:
        states = sorted((await session.scalars(select(JobRow.state))).all())
    assert states == ["delivered", "queued", "running"]  # unfinished work is never pruned


def _corrupt(path: Path) -> None:
    """Overwrite the middle of the file, as a failing disk or a torn copy would."""
    data = bytearray(path.read_bytes())
    data[4096:12288] = b"\xa5" * 8192
    path.write_bytes(bytes(data))


async def _make_db(path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    await _fill(db)
    await db.dispose()
    with sqlite3.connect(path) as conn:  # everything into the main file, as after a clean stop
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def test_quick_check_finds_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "hoerclub.sqlite3"
    await _make_db(path)
    assert quick_check(path) is None
    _corrupt(path)
    assert quick_check(path) is not None
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is no database at all\n" * 400)
    assert "not a database" in (quick_check(garbage) or "")


@pytest.mark.parametrize("damage", ["corrupt", "garbage"])
async def test_bot_start_on_a_damaged_database_is_one_line(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "hoerclub.sqlite3"
    if damage == "corrupt":
        await _make_db(path)
        _corrupt(path)
    else:
        path.write_bytes(os.urandom(64 * 1024))
    env = {
        **os.environ,
        "HOERCLUB_DATA_DIR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
        "HOERCLUB_DATABASE_URL": "",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "bot"], env=env, cwd=tmp_path, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 75
    lines = [line for line in done.stderr.splitlines() if line.startswith("hoerclub:")]
    assert len(lines) == 1, done.stderr
    assert "nicht verfügbar" in lines[0]
    assert "damaged" in lines[0]
    assert "Traceback" not in done.stderr


async def test_watch_notices_a_deleted_or_replaced_file(tmp_path: Path) -> None:
    path = tmp_path / "hoerclub.sqlite3"
    await _make_db(path)
    url = f"sqlite+aiosqlite:///{path}"
    watch = DatabaseWatch(url)
    assert watch.problem() is None
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(path.read_bytes())
    copy.replace(path)
    assert "replaced" in (watch.problem() or "")
    path.unlink()
    assert "deleted" in (watch.problem() or "")


def test_problem_log_says_a_repeated_problem_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = ProblemLog(interval=60)
    with caplog.at_level(logging.ERROR):
        said = [log.report("db", "database unavailable") for _ in range(500)]
    assert said.count(True) == 1
    assert log.suppressed == 499
    assert len(caplog.records) == 1


async def test_running_upkeep_reports_a_deleted_database_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "hoerclub.sqlite3"
    await _make_db(path)
    settings = load_settings(HOERCLUB_DATA_DIR=tmp_path, HOERCLUB_DATABASE_URL="")
    db = Database(settings.effective_database_url)
    task = asyncio.create_task(maintain_forever(settings, db, interval=0.01))
    try:
        await asyncio.sleep(0.2)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        path.unlink()
        await asyncio.sleep(0.3)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await db.dispose()
    gone = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(gone) == 1
    assert "deleted" in gone[0].getMessage()


async def test_maintenance_command_backs_up_and_prunes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = data / "hoerclub.sqlite3"
    await _make_db(path)
    monkeypatch.setenv("HOERCLUB_DATA_DIR", str(data))
    monkeypatch.setenv("HOERCLUB_DATABASE_URL", "")
    monkeypatch.chdir(tmp_path)
    backup = tmp_path / "backups" / "hoerclub-backup.sqlite3"
    code = await asyncio.to_thread(main, ["maintenance", "--backup", str(backup)])
    assert code == 0
    out = capsys.readouterr().out
    assert "backup:" in out
    # Every finished row is older than the retention by now; queued and running jobs stay.
    assert "removed: 4 jobs, 2 usage rows, 2 uploads" in out
    assert quick_check(backup) is None
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 6  # before pruning
    assert not list(backup.parent.glob(".tmp-*"))
