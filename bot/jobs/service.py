"""The durable job queue and its in-process worker pool.

The job row is the source of truth.  A worker claims a job with a conditional UPDATE and a lease
(owner + expiry), renews the lease while the handler runs, and moves the row through
``running → rendered → delivering → delivered``.  A sweeper hands jobs of dead workers back to the
queue; a job that was ``delivering`` when its worker died is failed instead of sent again (at most
once, see :mod:`bot.jobs.api`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, cast

from bot.jobs.api import (
    DELIVERY_INTERRUPTED_KEY,
    DELIVERY_RESENT_KEY,
    JOB_KINDS,
    DailyLimitError,
    FailureHandler,
    Job,
    JobCancelledError,
    JobHandler,
    JobOutcome,
    JobRequest,
    JobState,
    JobView,
    QueueLimitError,
    RenderPrefs,
    SubmitResult,
    dedupe_key,
)
from bot.jobs.audio_cache import AudioCache
from bot.jobs.context import WorkerContext
from bot.jobs.leases import (
    HEARTBEAT_FRACTION,
    LEASE_SECONDS,
    SWEEP_SECONDS,
    LeaseKeeper,
    new_owner,
    retire_owner,
)
from bot.jobs.outcomes import fail, finish
from bot.jobs.prefs import PrefsStore
from bot.jobs.rows import job_from_row
from bot.metrics import QUEUE_WAIT
from bot.storage.db import Database
from bot.storage.models import JobRow
from bot.storage.repositories import LEASED, JobRepository, UsageRepository, UserRepository

logger = logging.getLogger(__name__)

# Idle workers look for jobs this often (other processes' jobs, due retries); local submits
# wake them at once.
POLL_SECONDS: Final = 1.0
# An unexpected exception is retried up to 3 attempts in all: a flaky service gets two more
# chances, a real bug does not keep a worker busy for long.
MAX_ATTEMPTS: Final = 3
# Backoff before the 2nd and 3rd attempt: long enough for a flaky service to recover, short
# enough that the user is still waiting for the answer.
RETRY_DELAYS: Final[tuple[float, ...]] = (5.0, 30.0)
# mark_delivering waits at most this long for the user's earlier jobs (delivery in order);
# a two-hour article renders in about a minute with gTTS at 4 parallel requests.
ORDER_WAIT_SECONDS: Final = 120.0
ORDER_POLL_SECONDS: Final = 0.5
# A rendered result is shared with same-key jobs for an hour (rendered files are cleaned later).
SHARED_RESULT_MAX_AGE: Final = dt.timedelta(hours=1)
# stop() lets an upload in progress finish for this long before cancelling it.
STOP_GRACE_SECONDS: Final = 5.0


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
        lease_seconds: float = LEASE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        sweep_seconds: float = SWEEP_SECONDS,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        max_attempts: int = MAX_ATTEMPTS,
        default_prefs: RenderPrefs | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.db = db
        self.workers = workers
        self.max_waiting_per_user = max_waiting_per_user
        self.max_per_day = max_per_day
        self._clock = clock
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.heartbeat_seconds = lease_seconds * HEARTBEAT_FRACTION
        self._poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self.retry_delays = tuple(retry_delays) or (0.0,)
        self.max_attempts = max_attempts
        self.prefs = PrefsStore(db, default_prefs, clock)
        self.audio_cache = AudioCache(db, clock)
        self._owner = ""
        self._handler: JobHandler | None = None
        self._on_failure: FailureHandler | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._workers: list[asyncio.Task[None]] = []
        # The jobs this process runs now, with their contexts (read by the lease keeper).
        self.active: dict[int, tuple[WorkerContext, asyncio.Task[JobOutcome]]] = {}
        self._wake = asyncio.Event()
        self._finished = asyncio.Event()  # replaced each time a job of this process ends
        self._stopping = False
        self._submit_lock = asyncio.Lock()
        self._leases = LeaseKeeper(self)

    # --- helpers ------------------------------------------------------------------------------

    def wake(self) -> None:
        """Wake an idle worker: a job is queued, due, or its result can be shared."""
        self._wake.set()

    def notify_finished(self) -> None:
        """Wake whoever waits for a job of this process to end (delivery order)."""
        event, self._finished = self._finished, asyncio.Event()
        event.set()

    def now(self) -> dt.datetime:
        """The service clock's time, in UTC."""
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC)

    @property
    def owner(self) -> str:
        """This pool's lease owner id ("host:pid:token"); empty before start()."""
        return self._owner

    @property
    def running(self) -> bool:
        """Whether the worker pool is started."""
        return bool(self._workers)

    async def transition(self, job_id: int, from_states: Sequence[str], **values: Any) -> bool:
        """Move one of our jobs' rows on, if it is still in `from_states` and ours."""
        async with self.db.session() as session:
            return await JobRepository(session).transition(
                job_id, from_states=from_states, owner=self._owner, now=self.now(), **values
            )

    # --- submitting and looking -----------------------------------------------------------------

    async def submit(
        self, req: JobRequest, *, request_key: str | None = None, limits: bool = True
    ) -> SubmitResult:
        """Write the job row (before any work) and wake a worker; raises the limit errors.

        With `request_key` a second submit of the same key answers the first job (its
        `deduplicated` set) instead of adding one. `limits=False` is for work the bot owes a
        chat on its own (feed deliveries, with caps of their own), not for what a user asks.
        """
        if req.kind not in JOB_KINDS:
            raise ValueError(f"unknown job kind {req.kind!r}")
        key = dedupe_key(req.kind, req.source, req.options)
        now = self.now()
        async with self._submit_lock, self.db.session() as session:
            jobs = JobRepository(session)
            if request_key is not None:
                earlier = await jobs.by_request_key(request_key)
                if earlier is not None:
                    position = await jobs.position(earlier.user_id, earlier.id)
                    return SubmitResult(earlier.id, position, deduplicated=True)
            usage = UsageRepository(session)
            # The bot's own deliveries never change the language the user last wrote in.
            language = req.language if limits else None
            await UserRepository(session).upsert(req.user_id, now=now, language=language)
            if limits:
                if await jobs.count_unfinished(req.user_id) >= self.max_waiting_per_user:
                    raise QueueLimitError(self.max_waiting_per_user)
                if await usage.count(req.user_id, now.date()) >= self.max_per_day:
                    raise DailyLimitError(self.max_per_day)
                await usage.increment(req.user_id, now.date())
            deduplicated = await jobs.in_flight(key)
            row = await jobs.add(
                JobRow(
                    user_id=req.user_id,
                    chat_id=req.chat_id,
                    kind=req.kind,
                    source=req.source,
                    dedupe_key=key,
                    options=req.options.to_dict(),
                    language=req.language,
                    state="queued",
                    attempts=0,
                    status_message_id=req.status_message_id,
                    reply_to_message_id=req.reply_to_message_id,
                    created_at=now,
                    updated_at=now,
                    available_at=now,
                    request_key=request_key,
                )
            )
            position = await jobs.position(req.user_id, row.id)
            job_id = row.id
        logger.info("job %s queued for user %s (%s)", job_id, req.user_id, req.kind)
        self._wake.set()
        return SubmitResult(
            job_id=job_id, position_in_user_queue=position, deduplicated=deduplicated
        )

    async def language_of(self, user_id: int) -> str | None:
        """The interface language the user last wrote in, or None for a user never seen."""
        async with self.db.session() as session:
            user = await UserRepository(session).get(user_id)
            return user.language if user is not None else None

    async def get_job(self, job_id: int) -> Job | None:
        """The job as stored now, or None."""
        async with self.db.session() as session:
            row = await JobRepository(session).get(job_id)
            return job_from_row(row) if row is not None else None

    async def behind_button(self, job_id: int, *, chat_id: int, message_id: int) -> Job | None:
        """The job a button names, if the button's message really belongs to it.

        A button is genuine when its message is one of the audio messages the job delivered or
        the job's status message (where a failure offers alternatives), in the job's chat.
        A forged, stale or foreign job id gives None.
        """
        job = await self.get_job(job_id)
        if job is None or job.request.chat_id != chat_id:
            return None
        delivered = (job.delivery or {}).get("message_ids") or ()
        if message_id in delivered or message_id == job.request.status_message_id:
            return job
        return None

    async def take_resend(self, job_id: int) -> bool:
        """Claim the one resend a job whose delivery was cut off offers; False once taken.

        The upload may have arrived after all, so it is never repeated by itself; the user may
        ask for it once, and a second tap (or a replayed one) changes nothing.
        """
        async with self.db.session() as session:
            return await JobRepository(session).retag_failure(
                job_id,
                from_key=DELIVERY_INTERRUPTED_KEY,
                to_key=DELIVERY_RESENT_KEY,
                now=self.now(),
            )

    async def twin_in_flight(self, req: JobRequest) -> Job | None:
        """The oldest unfinished job that renders exactly the audio `req` asks for, if any."""
        key = dedupe_key(req.kind, req.source, req.options)
        async with self.db.session() as session:
            row = await JobRepository(session).first_in_flight(key)
            return job_from_row(row) if row is not None else None

    async def shared_result_for(self, job: Job) -> dict[str, Any] | None:
        """The newest rendered result of another job with the same key, as stored now."""
        async with self.db.session() as session:
            return await JobRepository(session).shared_result(
                job.dedupe_key, exclude_id=job.id, since=self.now() - SHARED_RESULT_MAX_AGE
            )

    async def history(self, user_id: int, *, offset: int = 0, limit: int = 20) -> list[Job]:
        """The user's delivered jobs, newest first (one page)."""
        async with self.db.session() as session:
            rows = await JobRepository(session).delivered(user_id, offset=offset, limit=limit)
            return [job_from_row(row) for row in rows]

    async def list_user(self, user_id: int) -> list[JobView]:
        """The user's unfinished jobs in submission order."""
        async with self.db.session() as session:
            rows = await JobRepository(session).list_unfinished(user_id)
        views = []
        for position, row in enumerate(rows, start=1):
            progress, title = row.progress, row.title
            active = self.active.get(row.id)
            if active is not None:
                progress = active[0].progress if active[0].progress is not None else progress
                title = active[0].title or title
            views.append(
                JobView(
                    id=row.id,
                    state=cast(JobState, row.state),
                    source=row.source,
                    title=title,
                    position=position,
                    progress=progress,
                    chat_id=row.chat_id,
                    status_message_id=row.status_message_id,
                    created_at=row.created_at,
                )
            )
        return views

    async def cancel_user(self, user_id: int) -> int:
        """Cancel the user's waiting and running jobs; returns how many were cancelled.

        Jobs already uploading (``delivering``) are left to finish.
        """
        now = self.now()
        cancelled: list[int] = []
        async with self.db.session() as session:
            jobs = JobRepository(session)
            for row in await jobs.cancellable(user_id):
                if await jobs.transition(
                    row.id,
                    from_states=("queued", "running", "rendered"),
                    owner=None,
                    check_owner=False,
                    now=now,
                    state="cancelled",
                    error_key=JobCancelledError.key,
                    finished_at=now,
                    lease_owner=None,
                    lease_until=None,
                ):
                    cancelled.append(row.id)
        for job_id in cancelled:
            active = self.active.get(job_id)
            if active is not None:
                ctx, task = active
                ctx.cancel("user")
                task.cancel()
        if cancelled:
            logger.info("user %s cancelled jobs %s", user_id, cancelled)
        return len(cancelled)

    # --- the pool -------------------------------------------------------------------------------

    async def start(self, handler: JobHandler, on_failure: FailureHandler | None = None) -> None:
        """Resume unfinished jobs and start the workers as tasks; returns at once."""
        if self._workers:
            raise RuntimeError("JobService already started")
        self._handler = handler
        self._on_failure = on_failure
        self._stopping = False
        self._owner = new_owner()
        await self._leases.sweep()
        self._workers = [
            asyncio.create_task(self._worker_loop(), name=f"hoerclub-worker-{n}")
            for n in range(self.workers)
        ]
        self._tasks = [
            asyncio.create_task(self._leases.heartbeat_loop(), name="hoerclub-heartbeat"),
            asyncio.create_task(self._leases.sweep_loop(), name="hoerclub-sweeper"),
        ]
        logger.info("job workers started: %s (owner %s)", self.workers, self._owner)

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop the workers promptly; their jobs stay resumable.

        Rendering is cancelled at once; an upload in progress gets ``grace`` seconds.
        """
        if not self._workers:
            return
        self._stopping = True
        self._wake.set()
        uploading: list[asyncio.Task[JobOutcome]] = []
        for ctx, task in list(self.active.values()):
            if ctx.state == "delivering":
                uploading.append(task)
            else:
                ctx.cancel("stop")
                task.cancel()
        if uploading:
            await asyncio.wait(uploading, timeout=grace)
            for ctx, task in list(self.active.values()):
                ctx.cancel("stop")
                task.cancel()
        # Workers finish their bookkeeping and leave their loops; cancel what lingers.
        await asyncio.wait(self._workers, timeout=1.0)
        for pending in [*self._workers, *self._tasks]:
            pending.cancel()
        await asyncio.gather(*self._workers, *self._tasks, return_exceptions=True)
        self._workers, self._tasks = [], []
        await self._release_own()
        retire_owner(self._owner)
        logger.info("job workers stopped (owner %s)", self._owner)

    async def _release_own(self) -> None:
        """Hand our unfinished renders back to the queue (this attempt does not count)."""
        now = self.now()
        async with self.db.session() as session:
            jobs = JobRepository(session)
            for row in await jobs.held_by(self._owner, ("running", "rendered")):
                await jobs.transition(
                    row.id,
                    from_states=("running", "rendered"),
                    owner=self._owner,
                    now=now,
                    state="queued",
                    attempts=max(0, row.attempts - 1),
                    lease_owner=None,
                    lease_until=None,
                    available_at=now,
                )

    async def _worker_loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                claimed = await self._claim()
            except Exception:
                logger.exception("claiming a job failed")
                await asyncio.sleep(self._poll_seconds)
                continue
            if claimed is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
                continue
            await self._run(*claimed)

    async def _claim(self) -> tuple[Job, dict[str, Any] | None] | None:
        now = self.now()
        async with self.db.session() as session:
            jobs = JobRepository(session)
            row = await jobs.claim_next(owner=self._owner, now=now, lease_until=now + self.lease)
            if row is None:
                return None
            shared = None
            if row.result is None:
                shared = await jobs.shared_result(
                    row.dedupe_key, exclude_id=row.id, since=now - SHARED_RESULT_MAX_AGE
                )
            job = job_from_row(row)
        if job.attempts == 1 and job.created_at is not None:  # the wait before the first attempt
            QUEUE_WAIT.labels(kind=job.request.kind).observe((now - job.created_at).total_seconds())
        logger.info("job %s claimed (attempt %s)", job.id, job.attempts)
        return job, shared

    async def _run(self, job: Job, shared: dict[str, Any] | None) -> None:
        handler = self._handler
        if handler is None:  # pragma: no cover - workers only run after start()
            raise RuntimeError("no handler")
        ctx = WorkerContext(self, job, shared)

        async def call() -> JobOutcome:
            return await handler(ctx)

        task = asyncio.create_task(call(), name=f"hoerclub-job-{job.id}")
        self.active[job.id] = (ctx, task)
        try:
            await asyncio.wait({task})
            await finish(self, ctx, task)
        except asyncio.CancelledError:
            ctx.cancel("stop")
            task.cancel()
            raise
        except Exception:
            logger.exception("bookkeeping for job %s failed", job.id)
        finally:
            self.active.pop(job.id, None)
            self.notify_finished()

    async def fail(
        self,
        job: Job,
        key: str,
        exc: BaseException | None,
        *,
        owner: str | None,
        from_states: Sequence[str] = LEASED,
    ) -> None:
        """End a job `failed` with an error key and tell the failure handler, once."""
        await fail(
            self, job, key, exc, owner=owner, from_states=from_states, notify=self._on_failure
        )

    async def wait_for_turn(self, ctx: WorkerContext) -> None:
        """Wait (bounded) until the user's earlier jobs in progress are delivered.

        Only jobs being worked on count: an earlier job waiting for its retry may need this
        very worker, so it is not waited for.
        """
        deadline = time.monotonic() + ORDER_WAIT_SECONDS
        job = ctx.job
        while True:
            finished = self._finished
            async with self.db.session() as session:
                earlier = await JobRepository(session).count_earlier_in_progress(
                    job.request.user_id, job.id
                )
            if earlier == 0 or ctx.cancelled.is_set():
                return
            if time.monotonic() >= deadline:
                logger.info("job %s delivers before %s earlier job(s)", job.id, earlier)
                return
            # Jobs of this process announce their end; other processes' are polled for.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), ORDER_POLL_SECONDS)
