"""The file_id cache: an audio uploaded once is sent again by its Telegram file_id."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from bot.jobs.api import AudioKey, CachedAudio
from bot.storage.db import Database
from bot.storage.repositories import AudioCacheRepository


def stored_article_key(key: AudioKey) -> str:
    """The article column of a key: a short version or a conversation is its own article.

    A full audio keeps the bare article key, so rows stored before variants existed still
    answer; the others get the variant after a '#' (normalised URLs lose their fragment and
    text keys are hex, so a '#' there only ever marks such a suffix).
    """
    if key.variant == "full":
        return key.article_key
    return f"{key.article_key}#{key.variant}"


class AudioCache:
    """Previous uploads by what identifies the audio: article, variant, engine, voice, tempo,
    format."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self._clock = clock

    async def get(self, key: AudioKey) -> CachedAudio | None:
        """A previous upload of exactly this audio, if any."""
        async with self.db.session() as session:
            row = await AudioCacheRepository(session).get(
                stored_article_key(key), key.engine, key.voice, round(key.tempo, 3), key.format
            )
            if row is None:
                return None
            return CachedAudio(
                file_id=row.file_id,
                file_unique_id=row.file_unique_id,
                duration=row.duration,
                title=row.title,
                performer=row.performer,
                meta=row.meta,
            )

    async def put(self, key: AudioKey, audio: CachedAudio) -> None:
        """Store (or replace) the upload for this audio."""
        values = {
            "file_id": audio.file_id,
            "file_unique_id": audio.file_unique_id,
            "duration": audio.duration,
            "title": audio.title,
            "performer": audio.performer,
            "meta": dict(audio.meta) if audio.meta is not None else None,
        }
        async with self.db.session() as session:
            await AudioCacheRepository(session).put(
                stored_article_key(key),
                key.engine,
                key.voice,
                round(key.tempo, 3),
                key.format,
                values=values,
                now=dt.datetime.fromtimestamp(self._clock(), dt.UTC),
            )
