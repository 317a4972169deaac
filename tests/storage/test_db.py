"""Migrations build the schema from nothing, match the models, and run again harmlessly."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, select, text

from bot.storage.db import Database, alembic_config
from bot.storage.models import AudioCacheRow, Base, JobRow, User
from tests.storage.dbsupport import wipe

TABLES = {"users", "jobs", "audio_cache", "usage", "listen_later", "alembic_version"}


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _schema_diff(conn: Connection) -> list[object]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _fresh(url: str) -> Database:
    if not url.startswith("sqlite"):
        await wipe(url)
    return Database(url)


async def test_migrate_creates_schema_from_scratch_and_is_idempotent(db_url: str) -> None:
    db = await _fresh(db_url)
    try:
        if db.is_sqlite:
            assert not Path(db.url.database or "").exists()
        await db.migrate()
        await db.migrate()  # a second run changes nothing and does not fail
        async with db.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            assert tables >= TABLES
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
            assert version == [(_head(),)]
            assert await conn.run_sync(_schema_diff) == []
    finally:
        await db.dispose()
    # A second Database on the same URL (a restart) migrates as a no-op too.
    again = Database(db_url)
    try:
        await again.migrate()
        async with again.engine.connect() as conn:
            assert await conn.run_sync(_schema_diff) == []
    finally:
        await again.dispose()


async def test_concurrent_migrations_do_not_collide(db_url: str) -> None:
    first, second = await _fresh(db_url), Database(db_url)
    try:
        await asyncio.gather(first.migrate(), second.migrate())
        async with first.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert version == [(_head(),)]
    finally:
        await first.dispose()
        await second.dispose()


async def test_downgrade_to_base_and_back(db: Database) -> None:
    def downgrade(conn: Connection) -> None:
        command.downgrade(alembic_config(conn), "base")

    async with db.engine.begin() as conn:
        await conn.run_sync(downgrade)
    async with db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert not tables & (TABLES - {"alembic_version"})
    await db.migrate()
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_schema_diff) == []


async def test_upgrade_from_0001_keeps_audio_cache_rows_and_adds_meta(db_url: str) -> None:
    db = await _fresh(db_url)

    def upgrade(conn: Connection, revision: str) -> None:
        command.upgrade(alembic_config(conn), revision)

    def downgrade(conn: Connection, revision: str) -> None:
        command.downgrade(alembic_config(conn), revision)

    def columns(conn: Connection) -> set[str]:
        return {c["name"] for c in inspect(conn).get_columns("audio_cache")}

    now = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(upgrade, "0001")
            assert "meta" not in await conn.run_sync(columns)
            await conn.execute(
                text(
                    "INSERT INTO audio_cache (article_key, engine, voice, tempo, format, file_id,"
                    " file_unique_id, duration, title, performer, created_at) VALUES"
                    " ('https://example.org/a', 'gtts', 'auto', 1.0, 'audio', 'F1', 'U1', 61,"
                    " 'T', 'P', :now)"
                ),
                {"now": now},
            )
        await db.migrate()
        async with db.engine.connect() as conn:
            assert "meta" in await conn.run_sync(columns)
            assert await conn.run_sync(_schema_diff) == []
        async with db.session() as session:
            row = await session.scalar(select(AudioCacheRow))
            assert row is not None
            assert (row.file_id, row.file_unique_id, row.duration, row.title) == (
                "F1",
                "U1",
                61,
                "T",
            )
            assert row.created_at == now
            assert row.meta is None
            row.meta = {"title": "T", "author": "A"}
        async with db.session() as session:
            row = await session.scalar(select(AudioCacheRow))
            assert row is not None
            assert row.meta == {"title": "T", "author": "A"}
        # Downgrading to 0001 drops the column and keeps the row (and its unique key).
        async with db.engine.begin() as conn:
            await conn.run_sync(downgrade, "0001")
            assert "meta" not in await conn.run_sync(columns)
            kept = (await conn.execute(text("SELECT file_id FROM audio_cache"))).all()
            assert kept == [("F1",)]
            uniques = await conn.run_sync(
                lambda c: inspect(c).get_unique_constraints("audio_cache")
            )
            assert [u["name"] for u in uniques] == ["uq_audio_cache_key"]
    finally:
        await db.dispose()


async def test_sqlite_uses_wal_and_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{(tmp_path / 'a' / 'b' / 'x.sqlite3').as_posix()}")
    try:
        await db.migrate()
        assert (tmp_path / "a" / "b" / "x.sqlite3").is_file()
        async with db.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
            timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
        assert mode == "wal"
        assert timeout >= 1000
    finally:
        await db.dispose()


async def test_datetimes_come_back_aware_utc(db: Database) -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    moment = dt.datetime(2026, 11, 27, 8, 30, 15, 123456, tzinfo=berlin)
    async with db.session() as session:
        session.add(User(id=42, language="de", settings={}, created_at=moment, updated_at=moment))
    async with db.session() as session:
        user = await session.get(User, 42)
        assert user is not None
        assert user.created_at.tzinfo is not None
        assert user.created_at == moment
        assert user.created_at.utcoffset() == dt.timedelta(0)
        # Comparisons in SQL see the same instant whatever zone the bound value has.
        later = moment.astimezone(dt.UTC) + dt.timedelta(microseconds=1)
        found = await session.scalar(select(User.id).where(User.created_at < later))
        assert found == 42


async def test_session_rolls_back_on_error(db: Database) -> None:
    now = dt.datetime.now(dt.UTC)
    try:
        async with db.session() as session:
            session.add(User(id=7, language="de", settings={}, created_at=now, updated_at=now))
            await session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    async with db.session() as session:
        assert await session.get(User, 7) is None
        assert (await session.scalars(select(JobRow))).all() == []
