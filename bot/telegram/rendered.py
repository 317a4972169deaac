"""What is kept of a render and of a delivery, so a restart, a twin job or a reuse says the same."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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
from bot.telegram.chapters import (
    Chapters,
    chapters_from_json,
    chapters_to_json,
    part_chapters_from,
)
from bot.telegram.texts import AudioMeta, CaptionNotes, t

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
    notes: CaptionNotes
    meta: AudioMeta
    thumbnail: Path | None = None
    part_chapters: tuple[Chapters, ...] = ()  # each part's, from its start (for the caption)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for `JobContext.mark_rendered` (the notes' keys at the top level)."""
        return self.notes.to_dict() | {
            "paths": [str(p) for p in self.paths],
            "format": self.format,
            "duration": self.duration,
            "part_durations": list(self.part_durations),
            "engine": self.engine,
            "voice": self.voice,
            "meta": self.meta.to_dict(),
            "thumbnail": str(self.thumbnail) if self.thumbnail else None,
            "title": self.meta.title,
            "part_chapters": [chapters_to_json(c) for c in self.part_chapters],
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
                notes=CaptionNotes.from_dict(data),
                meta=AudioMeta.from_dict(data.get("meta") or {}),
                thumbnail=thumb if thumb and thumb.is_file() else None,
                part_chapters=part_chapters_from(data),
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
    notes: CaptionNotes = field(default_factory=CaptionNotes)
    chapters: Chapters = ()  # the audio's chapters, listed with timestamps in the caption

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the AudioMeta dict plus the caption's other facts."""
        return (
            self.meta.to_dict()
            | self.notes.to_dict()
            | {"duration": self.duration, "chapters": chapters_to_json(self.chapters)}
        )

    @classmethod
    def from_cached(cls, cached: CachedAudio, req: JobRequest) -> CachedCaption:
        """The stored caption facts; for uploads remembered without them, what the row has."""
        untitled = t("audio.untitled", req.language)
        data = cached.meta
        if data:
            try:
                meta = AudioMeta.from_dict(data)
                notes = CaptionNotes.from_dict(data)
                # Whether to mention a failed model is the asking user's business, not the
                # first requester's: only who asked for the model explicitly is told.
                told = req.options.summary_by == "llm" and notes.summary_method == "extractive"
                return cls(
                    meta=meta if meta.title else replace(meta, title=untitled),
                    duration=float(data.get("duration") or cached.duration or 0),
                    # A hit is the engine the request asked for, so never a fallback for it.
                    notes=replace(
                        notes,
                        summary_fell_back=notes.variant == "summary" and told,
                        fell_back=False,
                    ),
                    chapters=chapters_from_json(data.get("chapters")),
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
            notes=CaptionNotes(
                truncated_words=req.options.truncate_words, variant=req.options.variant
            ),
        )


def expected_summary_method(settings: Settings, prefs: RenderPrefs) -> str:
    """The method a summary request will be made with, before it is made."""
    if settings.llm_configured and prefs.summary_by != "extractive":
        return "llm"
    return "extractive"


def audio_key(
    settings: Settings,
    kind: JobKind,
    source: str,
    prefs: RenderPrefs,
    engine: str | None,
    *,
    method: str | None = None,
) -> AudioKey:
    """The file_id cache key for a request (the engine and summary method used, if known).

    Before the render a summary is looked up under the method it will most likely be made
    with; it is stored under the one it was made with, so a model's summary is never
    answered with the extractive one a failed model left behind, nor the other way round.
    """
    key = article_key(kind, source)
    if prefs.truncate_words is not None and prefs.variant == "full":
        key += f"#first={prefs.truncate_words}"
    variant: str = prefs.variant
    if prefs.variant == "summary":
        variant = "summary-" + (method or expected_summary_method(settings, prefs))
    return AudioKey(
        article_key=key,
        engine=engine or prefs.engine or settings.tts_engine,
        voice=(prefs.voice or VOICE_AUTO)
        + (f"/{prefs.host_voice}" if prefs.host_voice else "")
        + ("+intro" if prefs.intro else ""),
        tempo=round(prefs.tempo, 2),
        format=prefs.format,
        variant=variant,
    )
