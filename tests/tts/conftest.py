"""Fixtures for the engine tests: the fake gTTS and edge-tts services, engines pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.tts.edge import EdgeEngine
from bot.tts.gtts import GTTSEngine
from tests.support.fake_edge import FakeEdge
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


@pytest.fixture
def fake_edge() -> Iterator[FakeEdge]:
    """A fresh fake of Microsoft's edge-tts WebSocket service on 127.0.0.1."""
    with FakeEdge() as server:
        yield server


@pytest.fixture
async def make_edge(
    fake_edge: FakeEdge, tmp_path: Path
) -> AsyncIterator[Callable[..., EdgeEngine]]:
    """Build EdgeEngines against the fake with given settings; closes them afterwards."""
    engines: list[EdgeEngine] = []

    def make(**env: object) -> EdgeEngine:
        settings = load_settings(
            HOERCLUB_EDGE_ENDPOINT=fake_edge.url, HOERCLUB_DATA_DIR=tmp_path / "data", **env
        )
        engine = EdgeEngine(settings, **FAST_BACKOFF)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.aclose()
