"""The durable job queue and its in-process worker pool (implementation in progress)."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.jobs.api import (
    AudioKey,
    CachedAudio,
    FailureHandler,
    JobHandler,
    JobRequest,
    JobView,
    RenderPrefs,
    SubmitResult,
)
from bot.storage.db import Database


class JobService:
    """Durable jobs in the database, run by a pool of asyncio workers in this process."""

    def __init__(
        self,
        db: Database,
        *,
        workers: int,
        max_waiting_per_user: int,
        max_per_day: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.workers = workers
        self.max_waiting_per_user = max_waiting_per_user
        self.max_per_day = max_per_day
        self.clock = clock

    async def submit(self, req: JobRequest) -> SubmitResult:
        """Write the job row (before any work) and wake a worker; raises the limit errors."""
        raise NotImplementedError

    async def cancel_user(self, user_id: int) -> int:
        """Cancel the user's waiting and running jobs; returns how many were cancelled."""
        raise NotImplementedError

    async def list_user(self, user_id: int) -> list[JobView]:
        """The user's unfinished jobs in submission order."""
        raise NotImplementedError

    async def start(self, handler: JobHandler, on_failure: FailureHandler | None = None) -> None:
        """Resume unfinished jobs and start the workers as tasks; returns at once."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop the workers promptly; their jobs stay resumable."""
        raise NotImplementedError

    async def get_prefs(self, user_id: int) -> RenderPrefs:
        """The user's saved settings, or the defaults."""
        raise NotImplementedError

    async def set_prefs(self, user_id: int, **changes: object) -> RenderPrefs:
        """Change some settings (engine, tempo, format, intro) and return the new ones."""
        raise NotImplementedError

    async def cached_audio(self, key: AudioKey) -> CachedAudio | None:
        """A previous upload of exactly this audio, if any."""
        raise NotImplementedError

    async def remember_audio(self, key: AudioKey, audio: CachedAudio) -> None:
        """Store (or replace) the upload for this audio."""
        raise NotImplementedError
