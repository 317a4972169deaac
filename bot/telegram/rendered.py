"""What is kept of a render and of a delivery, so a restart, a twin job or a reuse says the same."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, Literal

from bot.config import Settings
from bot.jobs.api import (
    AudioKey,
    CachedAudio,
    JobKind,
    JobRequest,
    RenderPrefs,
    article_key,
)
from bot.telegram.texts import AudioMeta, t

logger = logging.getLogger(__name__)

# The voice part of the file_id cache key: the request is looked up before the article (and so
# its language, which picks the concrete voice) is known; the engine's voice for the article's
# language is deterministic, so "auto" plus the intro flag identifies the audio.
VOICE_AUTO: Final = "auto"


@dataclass(frozen=True)
class Rendered:
    """A finished render as stored with the job (JSON), so a restart or a twin job reuses it."""

    paths: tuple[Path, ...]
    format: Literal["mp3", "ogg"]
    duration: float
    part_durations: tuple[float, ...]
    engine: str
    voice: str
    fell_back: bool
    truncated_words: int | None
    meta: AudioMeta
    thumbnail: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for `JobContext.mark_rendered`."""
        return {
            "paths": [str(p) for p in self.paths],
            "format": self.format,
            "duration": self.duration,
            "part_durations": list(self.part_durations),
            "engine": self.engine,
            "voice": self.voice,
            "fell_back": self.fell_back,
            "truncated_words": self.truncated_words,
            "meta": self.meta.to_dict(),
            "thumbnail": str(self.thumbnail) if self.thumbnail else None,
            "title": self.meta.title,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Rendered | None:
        """Rebuild a stored render if every file still exists; None otherwise."""
        if not data or not data.get("paths"):
            return None
        try:
            paths = tuple(Path(p) for p in data["paths"])
            fmt: Literal["mp3", "ogg"] = "ogg" if data.get("format") == "ogg" else "mp3"
            thumb = Path(data["thumbnail"]) if data.get("thumbnail") else None
            rendered = cls(
                paths=paths,
                format=fmt,
                duration=float(data["duration"]),
                part_durations=tuple(float(d) for d in data.get("part_durations") or ()),
                engine=str(data["engine"]),
                voice=str(data.get("voice") or ""),
                fell_back=bool(data.get("fell_back")),
                truncated_words=data.get("truncated_words"),
                meta=AudioMeta.from_dict(data.get("meta") or {}),
                thumbnail=thumb if thumb and thumb.is_file() else None,
            )
        except (KeyError, TypeError, ValueError):
            logger.warning("stored render result unreadable: %r", data)
            return None
        if not all(p.is_file() for p in paths):
            return None
        return rendered


@dataclass(frozen=True)
class CachedCaption:
    """What a delivered audio's caption said, kept as `CachedAudio.meta` so a reuse says it too."""

    meta: AudioMeta
    duration: float  # the exact seconds the listening time was computed from
    fell_back: bool = False
    truncated_words: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the AudioMeta dict plus the caption's other facts."""
        return self.meta.to_dict() | {
            "duration": self.duration,
            "fell_back": self.fell_back,
            "truncated_words": self.truncated_words,
        }

    @classmethod
    def from_cached(cls, cached: CachedAudio, req: JobRequest) -> CachedCaption:
        """The stored caption facts; for uploads remembered without them, what the row has."""
        untitled = t("audio.untitled", req.language)
        data = cached.meta
        if data:
            try:
                meta = AudioMeta.from_dict(data)
                truncated = data.get("truncated_words")
                return cls(
                    meta=meta if meta.title else replace(meta, title=untitled),
                    duration=float(data.get("duration") or cached.duration or 0),
                    fell_back=bool(data.get("fell_back")),
                    truncated_words=int(truncated) if truncated is not None else None,
                )
            except (TypeError, ValueError):
                logger.warning("cached caption unreadable: %r", data)
        return cls(
            meta=AudioMeta(
                title=cached.title or untitled,
                url=req.source if req.kind == "url" else None,
                site=cached.performer,
            ),
            duration=float(cached.duration or 0),
            truncated_words=req.options.truncate_words,
        )


def audio_key(
    settings: Settings, kind: JobKind, source: str, prefs: RenderPrefs, engine: str | None
) -> AudioKey:
    """The file_id cache key for a request (the engine actually used, if known)."""
    key = article_key(kind, source)
    if prefs.truncate_words is not None:
        key += f"#first={prefs.truncate_words}"
    return AudioKey(
        article_key=key,
        engine=engine or prefs.engine or settings.tts_engine,
        voice=VOICE_AUTO + ("+intro" if prefs.intro else ""),
        tempo=round(prefs.tempo, 2),
        format=prefs.format,
    )
