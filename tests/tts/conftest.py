"""Fixtures for the engine tests: the fake gTTS endpoint and engines pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.tts.gtts import GTTSEngine
from tests.support.fake_gtts import FakeGTTS

# Retries in tests wait milliseconds, not seconds: same code path, same jitter.
FAST_BACKOFF = {"backoff_base": 0.01, "backoff_cap": 0.05}


@pytest.fixture
def fake_gtts() -> Iterator[FakeGTTS]:
    """A fresh fake of Google's batchexecute endpoint on 127.0.0.1."""
    with FakeGTTS() as server:
        yield server


@pytest.fixture
async def make_gtts(
    fake_gtts: FakeGTTS, tmp_path: Path
) -> AsyncIterator[Callable[..., GTTSEngine]]:
    """Build GTTSEngines against the fake with given settings; closes them afterwards."""
    engines: list[GTTSEngine] = []

    def make(**env: object) -> GTTSEngine:
        settings = load_settings(
            HOERCLUB_GTTS_ENDPOINT=fake_gtts.url, HOERCLUB_DATA_DIR=tmp_path / "data", **env
        )
        engine = GTTSEngine(settings, **FAST_BACKOFF)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.aclose()
