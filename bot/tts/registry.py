"""Engines by name: the one place that knows which engines exist (config, keyboard and CLI ask
here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from bot.config import Settings
from bot.errors import UsageError
from bot.tts.base import SpeechEngine
from bot.tts.edge import EDGE_VOICES, EdgeEngine
from bot.tts.espeak import ESPEAK_VOICES, EspeakEngine
from bot.tts.gtts import GTTS_VOICES, GTTSEngine

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


@dataclass(frozen=True)
class VoiceInfo:
    """One voice as `hoerclub voices` lists it."""

    engine: str
    voice: str
    language: str
    locale: str | None
    gender: Literal["female", "male"] | None  # None: the engine does not say
    name: str


def voice_catalogue() -> list[VoiceInfo]:
    """Every engine's voices, in ENGINE_NAMES order (no engine is built, nothing is fetched)."""
    out: list[VoiceInfo] = []
    for engine in ENGINE_NAMES:
        if engine == "edge":
            out += [
                VoiceInfo("edge", v.id, v.language, v.locale, v.gender, v.name) for v in EDGE_VOICES
            ]
        elif engine == "gtts":
            out += [
                VoiceInfo("gtts", voice, language, None, None, f"Google ({language})")
                for language, voice in GTTS_VOICES.items()
            ]
        elif engine == "espeak":
            # espeak-ng's default variant of every language is a male voice.
            out += [
                VoiceInfo("espeak", voice, language, None, "male", f"espeak-ng ({voice})")
                for language, voice in ESPEAK_VOICES.items()
            ]
    return out
