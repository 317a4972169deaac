"""Each user's saved settings (engine, tempo, file kind, intro, summaries) over the operator's
defaults."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any, Final

from bot.jobs.api import SUMMARY_BY, RenderPrefs
from bot.limits import TEMPO_RANGE, tempo_allowed
from bot.storage.db import Database
from bot.storage.repositories import UserRepository

PREF_KEYS: Final = frozenset(
    {"engine", "voice", "host_voice", "tempo", "format", "intro", "summary_first", "summary_by"}
)


class PrefsStore:
    """Read and change users' settings; unknown or out-of-range values are refused."""

    def __init__(
        self,
        db: Database,
        defaults: RenderPrefs | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.defaults = defaults or RenderPrefs()
        self._clock = clock

    async def get(self, user_id: int) -> RenderPrefs:
        """The user's saved settings over the operator's defaults."""
        async with self.db.session() as session:
            user = await UserRepository(session).get(user_id)
            saved = user.settings if user is not None else {}
            return RenderPrefs.from_dict(self.defaults.to_dict() | dict(saved))

    async def set(self, user_id: int, **changes: Any) -> RenderPrefs:
        """Change some settings (engine, tempo, format, intro, summaries); return the new ones."""
        unknown = set(changes) - PREF_KEYS
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        engine = changes.get("engine")
        if engine is not None and (not isinstance(engine, str) or not engine):
            raise ValueError("engine must be a name or None")
        for role in ("voice", "host_voice"):
            voice = changes.get(role)
            if voice is not None and (not isinstance(voice, str) or not voice):
                raise ValueError(f"{role} must be a voice id or None")
        if "tempo" in changes:
            tempo = float(changes["tempo"])
            if not tempo_allowed(tempo):
                raise ValueError(f"tempo must be within {TEMPO_RANGE}")
            changes["tempo"] = tempo
        if "format" in changes and changes["format"] not in ("audio", "voice"):
            raise ValueError("format must be 'audio' or 'voice'")
        if "intro" in changes:
            changes["intro"] = bool(changes["intro"])
        if "summary_first" in changes:
            changes["summary_first"] = bool(changes["summary_first"])
        if "summary_by" in changes and changes["summary_by"] not in SUMMARY_BY:
            raise ValueError(f"summary_by must be one of {SUMMARY_BY}")
        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        async with self.db.session() as session:
            merged = await UserRepository(session).update_settings(user_id, changes, now=now)
        return RenderPrefs.from_dict(self.defaults.to_dict() | dict(merged))
