"""Fixtures shared by every test package: an isolated environment and data directory."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from tests.storage.dbsupport import POSTGRES_ENV
from tests.support.redis_server import RedisServer, redis_server_binary, require_redis_server
from tests.support.tools import in_ci

SAMPLES = Path(__file__).parent / "data" / "pages"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's .env or writes outside its tmp dir."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "HOERCLUB_DATABASE_URL", "HOERCLUB_TTS_ENGINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOERCLUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOERCLUB_FETCH_ALLOW_NETWORKS", "127.0.0.0/8")
    return


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an offline test: espeak engine, loopback allowed, data in tmp."""
    return load_settings(
        HOERCLUB_TTS_ENGINE="espeak",
        HOERCLUB_DATA_DIR=tmp_path / "data",
        HOERCLUB_FETCH_ALLOW_NETWORKS="127.0.0.0/8",
    )


# --- which database the database tests ran on ---------------------------------------------
# The storage and job tests take the `db_url` fixture, parametrised by backend; PostgreSQL's
# twins exist only when HOERCLUB_TEST_POSTGRES_URL is set, so the summary says what really ran.
_BACKEND_OF: dict[str, str] = {}
_RAN_ON: Counter[str] = Counter()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI=true the database tests must run on PostgreSQL too."""
    if in_ci() and not os.environ.get(POSTGRES_ENV):
        raise pytest.UsageError(f"CI=true but {POSTGRES_ENV} is not set: PostgreSQL is not tested")
    if in_ci() and redis_server_binary() is None:
        raise pytest.UsageError("CI=true but redis-server is not installed: Redis is not tested")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server on a free port (the test may stop and start it again)."""
    with RedisServer(require_redis_server()) as server:
        yield server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Note the backend of every database test."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "db_url" in callspec.params:
            _BACKEND_OF[item.nodeid] = str(callspec.params["db_url"])


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count database tests that ran (passed or failed, not skipped)."""
    if report.when == "call" and report.nodeid in _BACKEND_OF:
        _RAN_ON[_BACKEND_OF[report.nodeid]] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line: how many database tests ran on which backend."""
    if _BACKEND_OF:
        counts = ", ".join(f"{n} on {name}" for name, n in sorted(_RAN_ON.items())) or "none"
        terminalreporter.write_line(f"database tests: {counts}")
