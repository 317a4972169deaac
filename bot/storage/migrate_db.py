"""Copy every table of one database into another (``hoerclub migrate-db --to URL``).

The way from one SQLite file to a shared PostgreSQL: the target is brought to the newest schema
with the project's own migrations, then each table is copied in foreign-key order, in batches,
inside one transaction on the target (a failed copy leaves nothing half-written).  Ids are kept,
so PostgreSQL's sequences are moved past the highest copied id; row counts are compared per
table at the end.  The source is read inside one transaction too: on SQLite that holds its
write lock, so a bot still running cannot change it half-way through the copy.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final

from sqlalchemy import JSON, MetaData, Table, delete, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import StorageUnavailableError, UsageError
from bot.storage.db import Database
from bot.storage.maintenance import check_database_file, sqlite_path
from bot.storage.models import Base

logger = logging.getLogger(__name__)

# Rows per INSERT batch, from bench.bench_migrate_db (20,000 jobs with 2 kB of JSON each, in
# docs/benchmarks.md): into PostgreSQL 500 is the fastest measured (50 takes 2.5 times as long,
# 2,000 no less), into SQLite within 10 % of the best (200).
BATCH_ROWS: Final = 500


@dataclass(frozen=True)
class TableCopy:
    """One table's rows in the source and, after the copy, in the target."""

    table: str
    source_rows: int
    target_rows: int

    @property
    def ok(self) -> bool:
        """Whether the target holds exactly the source's rows."""
        return self.source_rows == self.target_rows


def tables() -> list[Table]:
    """Every table of ours (the package registers the feed tables), parents before children.

    Copies of the models' tables whose JSON columns write Python None as SQL NULL: the models
    would write JSON ``null``, and a query for rows with a result (``IS NOT NULL``) would then
    find copied rows that have none.
    """
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, JSON):
                column.type = JSON(none_as_null=True)
    return list(metadata.sorted_tables)


def safe_url(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)


async def migrate_database(
    source_url: str, target_url: str, *, force: bool = False, batch_rows: int = BATCH_ROWS
) -> list[TableCopy]:
    """Copy every table from `source_url` to `target_url`; returns the counts per table.

    Raises StorageUnavailableError when the source is missing, damaged or unreachable, and
    UsageError when the target is the source or already holds rows (without `force`).
    """
    if _same_database(source_url, target_url):
        raise UsageError("the target is the configured database itself")
    await asyncio.to_thread(_check_source_file, source_url)
    source, target = Database(source_url), Database(target_url)
    ordered = tables()
    try:
        await _migrate(source, "source", source_url)
        await _migrate(target, "target", target_url)
        async with source.engine.connect() as src, src.begin():
            expected = {table.name: await _count(src, table) for table in ordered}
            async with target.engine.connect() as dst, dst.begin():
                await _refuse_or_clear(dst, ordered, force=force)
                for table in ordered:
                    await _copy_table(src, dst, table, batch_rows)
                if dst.dialect.name == "postgresql":
                    await _reset_sequences(dst, ordered)
        async with target.engine.connect() as dst:
            found = {table.name: await _count(dst, table) for table in ordered}
    finally:
        await source.dispose()
        await target.dispose()
    return [TableCopy(name, expected[name], found[name]) for name in expected]


def _same_database(source_url: str, target_url: str) -> bool:
    """Whether both URLs name one database (the same URL, or one SQLite file spelled twice)."""
    if make_url(source_url) == make_url(target_url):
        return True
    source, target = sqlite_path(source_url), sqlite_path(target_url)
    return source is not None and target is not None and source.resolve() == target.resolve()


def _check_source_file(url: str) -> None:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise StorageUnavailableError(f"no database at {path}: nothing to copy")
    check_database_file(url)


async def _migrate(db: Database, role: str, url: str) -> None:
    """Bring a database to the newest schema; an unreachable one is one clear error."""
    try:
        await db.migrate()
    except Exception as exc:
        raise StorageUnavailableError(
            f"the {role} database {safe_url(url)} cannot be used: {type(exc).__name__}: {exc}"
        ) from exc


async def _count(conn: AsyncConnection, table: Table) -> int:
    return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def _refuse_or_clear(dst: AsyncConnection, ordered: list[Table], *, force: bool) -> None:
    """Refuse a target that holds rows, or with `force` delete them (children first)."""
    held = {table.name: await _count(dst, table) for table in ordered}
    held = {name: rows for name, rows in held.items() if rows}
    if not held:
        return
    if not force:
        listed = ", ".join(f"{name} {rows}" for name, rows in held.items())
        raise UsageError(
            f"the target database already holds rows ({listed}); "
            "copy into an empty one, or pass --force to replace them"
        )
    for table in reversed(ordered):
        await dst.execute(delete(table))
    logger.warning("migrate-db: replaced the target's rows (%s)", held)


async def _copy_table(src: AsyncConnection, dst: AsyncConnection, table: Table, size: int) -> None:
    result = await src.stream(select(table).order_by(*table.primary_key.columns))
    async for batch in result.partitions(size):
        await dst.execute(insert(table), [dict(row._mapping) for row in batch])


async def _reset_sequences(dst: AsyncConnection, ordered: list[Table]) -> None:
    """Move each id sequence past the highest copied id, so new rows get fresh ids."""
    for table in ordered:
        column = table.autoincrement_column
        if column is None:
            continue
        # `table` and `column` come from our own metadata, never from input.
        await dst.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "  # noqa: S608
                f"COALESCE(MAX({column.name}), 0) + 1, false) FROM {table.name}"
            ),
            {"table": table.name, "column": column.name},
        )
