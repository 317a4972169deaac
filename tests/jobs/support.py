"""Helpers for the job tests: services that stop themselves, waiting, recording handlers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.jobs import FailedJob, JobContext, JobOutcome, JobRequest, JobService, RenderPrefs
from bot.storage.db import Database


def url_request(user_id: int, n: int = 0, **options: Any) -> JobRequest:
    """A URL job for a user; n makes distinct articles."""
    return JobRequest(
        user_id=user_id,
        chat_id=user_id,
        kind="url",
        source=f"https://example.org/artikel/{n}",
        options=RenderPrefs(**options),
    )


@asynccontextmanager
async def service(db: Database, **kwargs: Any) -> AsyncIterator[JobService]:
    """A JobService that is stopped when the block ends."""
    settings: dict[str, Any] = {"workers": 1, "max_waiting_per_user": 50, "max_per_day": 500}
    settings.update(kwargs)
    svc = JobService(db, **settings)
    try:
        yield svc
    finally:
        await svc.stop()


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "condition"
) -> None:
    """Poll an async predicate until it holds; fail the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def all_final(svc: JobService, job_ids: list[int]) -> bool:
    """Whether every job reached delivered, failed or cancelled."""
    for job_id in job_ids:
        job = await svc.get_job(job_id)
        if job is None or job.state not in ("delivered", "failed", "cancelled"):
            return False
    return True


class Recorder:
    """A handler that renders (sleeping), passes the delivery gate and records what it did."""

    def __init__(self, render_seconds: float = 0.0) -> None:
        self.render_seconds = render_seconds
        self.delays: dict[int, float] = {}  # per job id, overrides render_seconds
        self.started: list[int] = []
        self.renders: list[int] = []
        self.deliveries: list[int] = []
        self.shared: dict[int, Any] = {}
        self.failures: list[FailedJob] = []

    async def __call__(self, ctx: JobContext) -> JobOutcome:
        """Render unless a result exists, then deliver once."""
        job = ctx.job
        self.started.append(job.id)
        result = job.result or ctx.shared_result
        if ctx.shared_result is not None:
            self.shared[job.id] = ctx.shared_result
        if result is None:
            await ctx.report(10, title=f"Artikel {job.id}")
            await asyncio.sleep(self.delays.get(job.id, self.render_seconds))
            self.renders.append(job.id)
            result = {"path": f"/tmp/{job.id}.mp3", "rendered_by": job.id}
            await ctx.mark_rendered(result)
        await ctx.mark_delivering()
        self.deliveries.append(job.id)
        await ctx.mark_delivered({"message_id": 1000 + job.id})
        return JobOutcome()

    async def on_failure(self, failed: FailedJob) -> None:
        """Record final failures."""
        self.failures.append(failed)
