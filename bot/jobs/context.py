"""The context of one running job: progress, the rendered result and the delivery gate."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from bot.jobs.api import Job, JobCancelledError
from bot.jobs.rows import jsonable
from bot.storage.repositories import LEASED

if TYPE_CHECKING:
    from bot.jobs.service import JobService

logger = logging.getLogger(__name__)

# Progress is written to the database at most once a second (the status message is edited at
# most every ~2 s anyway).
REPORT_MIN_INTERVAL: Final = 1.0


class WorkerContext:
    """The JobContext a worker hands to the handler (see bot.jobs.api.JobContext)."""

    def __init__(self, service: JobService, job: Job, shared: Mapping[str, Any] | None) -> None:
        self._service = service
        self._job = job
        self._shared = shared
        self._cancelled = asyncio.Event()
        self.state: str = job.state
        self.delivered = False
        self.progress: int | None = None
        self.title: str | None = job.title
        self.cancel_reason: str | None = None
        self._last_write = float("-inf")
        self.started = time.monotonic()  # the claim, for the render time

    @property
    def job(self) -> Job:
        """The job, with its request, attempt number and any stored result."""
        return self._job

    @property
    def shared_result(self) -> Mapping[str, Any] | None:
        """Another same-key job's rendered result, if any."""
        return self._shared

    @property
    def cancelled(self) -> asyncio.Event:
        """Set when the job was cancelled or its lease lost."""
        return self._cancelled

    def cancel(self, reason: str) -> None:
        """Flag the cancellation (the caller cancels the task)."""
        self.cancel_reason = self.cancel_reason or reason
        self._cancelled.set()

    async def _move(self, from_states: Sequence[str], **values: Any) -> bool:
        return await self._service.transition(self._job.id, from_states, **values)

    async def report(self, progress: int, title: str | None = None) -> None:
        """Record progress (percent) and the title once known."""
        if self.delivered:
            return
        progress = max(0, min(100, int(progress)))
        new_title = title is not None and title != self.title
        self.progress = progress
        if title is not None:
            self.title = title
        now = time.monotonic()
        if not new_title and progress < 100 and now - self._last_write < REPORT_MIN_INTERVAL:
            return
        self._last_write = now
        values: dict[str, Any] = {"progress": progress}
        if title is not None:
            values["title"] = title
        if not await self._move(LEASED, **values):
            self.cancel("lost")
            raise JobCancelledError(f"job {self._job.id} is no longer ours")

    async def mark_rendered(self, result: Mapping[str, Any]) -> None:
        """Persist the rendered result; wakes same-key jobs waiting for it."""
        data = jsonable(result)
        if not await self._move(("running", "rendered"), state="rendered", result=data):
            self.cancel("lost")
            raise JobCancelledError(f"job {self._job.id} was cancelled")
        self.state = "rendered"
        self._job = replace(self._job, state="rendered", result=data)
        self._service.wake()

    async def mark_delivering(self) -> None:
        """Pass the at-most-once gate right before the upload."""
        await self._service.wait_for_turn(self)
        if self._cancelled.is_set() or not await self._move(
            ("running", "rendered"), state="delivering"
        ):
            self.cancel("lost")
            raise JobCancelledError(f"job {self._job.id} was cancelled")
        self.state = "delivering"

    async def abort_delivery(self) -> None:
        """Undo mark_delivering when nothing was sent."""
        back = "rendered" if self._job.result is not None else "running"
        if await self._move(("delivering",), state=back):
            self.state = back

    async def mark_delivered(self, summary: Mapping[str, Any]) -> None:
        """Record the delivery right after the upload."""
        ok = await self._move(
            ("running", "rendered", "delivering"),
            state="delivered",
            summary=jsonable(summary),
            progress=100,
            finished_at=self._service.now(),
            lease_owner=None,
            lease_until=None,
        )
        self.delivered = True
        self.state = "delivered"
        self._service.notify_finished()
        if not ok:
            logger.warning(
                "job %s was delivered but its row was no longer ours (lease lost?)", self._job.id
            )
