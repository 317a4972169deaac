"""Engines by name: the one place that knows which engines exist (config, keyboard and CLI ask
here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from bot.config import Settings
from bot.errors import UsageError
from bot.tts.base import SpeechEngine
from bot.tts.edge import EdgeEngine
from bot.tts.espeak import EspeakEngine
from bot.tts.gtts import GTTSEngine

ENGINES: Final[dict[str, Callable[[Settings], SpeechEngine]]] = {
    "gtts": GTTSEngine,
    "edge": EdgeEngine,
    "espeak": EspeakEngine,
}
# The names a user or the settings may choose, in the order the settings keyboard shows them.
ENGINE_NAMES: Final = tuple(ENGINES)


def build_engine(name: str, settings: Settings) -> SpeechEngine:
    """A new engine by name (one of ENGINE_NAMES); raises UsageError for unknown names."""
    try:
        factory = ENGINES[name.lower()]
    except KeyError:
        raise UsageError(
            f"unknown speech engine {name!r} (choose {', '.join(ENGINES)})", engine=name
        ) from None
    return factory(settings)


def voice_at_tempo(engine: SpeechEngine, voice: str, tempo: float) -> str | None:
    """The voice speaking at `tempo` through the engine's own rate (pitch kept), or None when
    the engine has no rate or the tempo is beyond it (the assembler's atempo does it then)."""
    if isinstance(engine, EdgeEngine):
        return engine.voice_at_tempo(voice, tempo)
    return None
