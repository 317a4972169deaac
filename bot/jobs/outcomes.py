"""How a job ends when its handler returns or raises: delivered, cancelled, retried, failed.

Delivery is at most once: a job that fails while it is being delivered is never retried (the
upload may have reached the user); other unexpected errors are retried with a backoff, errors
the user must hear about (a refused link, no article) are not.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.errors import HoerclubError
from bot.jobs.api import (
    DELIVERY_INTERRUPTED_KEY,
    FailedJob,
    FailureHandler,
    Job,
    JobCancelledError,
    JobOutcome,
)
from bot.jobs.rows import jsonable
from bot.metrics import RENDER_TIME
from bot.storage.repositories import LEASED, JobRepository

if TYPE_CHECKING:
    from bot.jobs.context import WorkerContext
    from bot.jobs.service import JobService

logger = logging.getLogger(__name__)


async def finish(service: JobService, ctx: WorkerContext, task: asyncio.Task[JobOutcome]) -> None:
    """Book the end of a handler: delivered, cancelled, queued for a retry, or failed."""
    observe_render(ctx, task)
    job = ctx.job
    if task.cancelled():
        logger.info("job %s stopped (%s)", job.id, ctx.cancel_reason or "cancelled")
        return
    exc = task.exception()
    now = service.now()
    if exc is None:
        if not ctx.delivered:
            await service.transition(
                job.id,
                ("running", "rendered", "delivering"),
                state="delivered",
                summary=jsonable(task.result().summary),
                progress=100,
                finished_at=now,
                lease_owner=None,
                lease_until=None,
            )
        logger.info("job %s done", job.id)
        return
    if isinstance(exc, JobCancelledError):
        await service.transition(
            job.id,
            ("queued", *LEASED),
            state="cancelled",
            error_key=JobCancelledError.key,
            finished_at=now,
            lease_owner=None,
            lease_until=None,
        )
        logger.info("job %s cancelled", job.id)
        return
    if ctx.state == "delivering":
        # The upload may have reached the user: never send again (at most once).
        key = exc.key if isinstance(exc, HoerclubError) else DELIVERY_INTERRUPTED_KEY
        logger.warning(
            "job %s failed during delivery to chat %s; not retried (at most once)",
            job.id,
            job.request.chat_id,
            exc_info=exc,
        )
        await service.fail(ctx.job, key, exc, owner=service.owner)
        return
    if isinstance(exc, HoerclubError):
        logger.info("job %s failed: %s (%s)", job.id, exc.key, exc.detail)
        await service.fail(ctx.job, exc.key, exc, owner=service.owner)
        return
    if job.attempts < service.max_attempts:
        delay = service.retry_delays[min(job.attempts - 1, len(service.retry_delays) - 1)]
        logger.warning(
            "job %s attempt %s failed; retrying in %.0f s",
            job.id,
            job.attempts,
            delay,
            exc_info=exc,
        )
        if await service.transition(
            job.id,
            ("running", "rendered"),
            state="queued",
            lease_owner=None,
            lease_until=None,
            available_at=now + dt.timedelta(seconds=delay),
        ):
            # Wake a worker when the retry is due instead of at the next poll.
            asyncio.get_running_loop().call_later(delay, service.wake)
        return
    logger.error("job %s failed after %s attempts", job.id, job.attempts, exc_info=exc)
    await service.fail(ctx.job, HoerclubError.key, exc, owner=service.owner)


async def fail(
    service: JobService,
    job: Job,
    key: str,
    exc: BaseException | None,
    *,
    owner: str | None,
    from_states: Sequence[str] = LEASED,
    notify: FailureHandler | None = None,
) -> None:
    """End the job `failed` if it is still in `from_states`, then tell `notify` once."""
    params = jsonable(exc.params) if isinstance(exc, HoerclubError) else {}
    now = service.now()
    async with service.db.session() as session:
        ok = await JobRepository(session).transition(
            job.id,
            from_states=from_states,
            owner=owner,
            now=now,
            state="failed",
            error_key=key,
            error_params=params,
            finished_at=now,
            lease_owner=None,
            lease_until=None,
        )
    if not ok:
        return
    if notify is not None:
        failed = FailedJob(
            job=replace(job, state="failed", error_key=key),
            error_key=key,
            params=params,
            exception=exc,
        )
        try:
            await notify(failed)
        except Exception:
            logger.exception("failure handler for job %s raised", job.id)


def observe_render(ctx: WorkerContext, task: asyncio.Task[JobOutcome]) -> None:
    """Record the handler's time from the claim to its end, by how it ended."""
    if task.cancelled():
        outcome = "stopped"
    elif task.exception() is None:
        outcome = "delivered"
    elif isinstance(task.exception(), JobCancelledError):
        outcome = "cancelled"
    else:
        outcome = "error"
    RENDER_TIME.labels(kind=ctx.job.request.kind, outcome=outcome).observe(
        time.monotonic() - ctx.started
    )
