"""check_health: the database and Redis really answering, or saying what is wrong."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.health import check_health
from bot.storage.db import Database
from tests.support.redis_server import RedisServer


def _closed_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_live_database_is_healthy(db: Database) -> None:
    report = await check_health(db, None)
    assert report.ok
    assert report.parts == {"database": "ok"}


async def test_a_database_whose_file_is_gone_is_not_healthy(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "hoerclub.sqlite3"
    db = Database(f"sqlite+aiosqlite:///{path.as_posix()}")
    try:
        await db.migrate()
        assert (await check_health(db, None)).ok
        for leftover in path.parent.iterdir():
            leftover.unlink()
        path.parent.rmdir()
        report = await check_health(db, None)
    finally:
        await db.dispose()
    assert not report.ok
    assert report.parts["database"].startswith("error")


async def test_an_unreachable_postgresql_is_not_healthy() -> None:
    db = Database(f"postgresql+asyncpg://nobody@127.0.0.1:{_closed_port()}/none")
    try:
        report = await check_health(db, None)
    finally:
        await db.dispose()
    assert not report.ok
    assert report.parts["database"].startswith("error")


async def test_redis_on_a_closed_port_is_not_healthy(db: Database) -> None:
    report = await check_health(db, f"redis://127.0.0.1:{_closed_port()}/0")
    assert not report.ok
    assert report.parts["database"] == "ok"
    assert report.parts["redis"].startswith("error")


async def test_a_redis_answering_pong_is_healthy(db: Database, redis_server: RedisServer) -> None:
    report = await check_health(db, redis_server.url)
    assert report.ok, report
    assert report.parts == {"database": "ok", "redis": "ok"}
    redis_server.stop()
    report = await check_health(db, redis_server.url)
    assert not report.ok
    assert report.parts["redis"].startswith("error")
