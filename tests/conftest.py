"""Fixtures shared by every test package: an isolated environment and data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings, load_settings

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
