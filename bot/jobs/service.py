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
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final, cast

from bot.errors import HoerclubError
from bot.jobs.api import (
    DELIVERY_INTERRUPTED_KEY,
    AudioKey,
    CachedAudio,
    DailyLimitError,
    FailedJob,
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
from bot.limits import TEMPO_RANGE, tempo_allowed
from bot.storage.db import Database
from bot.storage.models import JobRow
from bot.storage.repositories import (
    LEASED,
    AudioCacheRepository,
    JobRepository,
    UsageRepository,
    UserRepository,
)

logger = logging.getLogger(__name__)

# A worker that stops renewing its lease for this long is presumed dead by other processes.
# 30 s is ten missed heartbeats' worth of slack for a busy event loop on a 2-core machine.
LEASE_SECONDS: Final = 30.0
# Heartbeat every third of the lease, so two missed beats still keep the lease.
HEARTBEAT_FRACTION: Final = 1 / 3
# Idle workers look for jobs this often (other processes' jobs, due retries); local submits
# wake them at once.
POLL_SECONDS: Final = 1.0
# How often the sweeper looks for jobs of dead workers (besides once at start).
SWEEP_SECONDS: Final = 10.0
# The brief: an unexpected exception is retried up to 3 attempts in all.
MAX_ATTEMPTS: Final = 3
# Backoff before the 2nd and 3rd attempt: long enough for a flaky service to recover, short
# enough that the user is still waiting for the answer.
RETRY_DELAYS: Final[tuple[float, ...]] = (5.0, 30.0)
# mark_delivering waits at most this long for the user's earlier jobs (delivery in order);
# a two-hour article renders in about a minute with gTTS at 4 parallel requests.
ORDER_WAIT_SECONDS: Final = 120.0
ORDER_POLL_SECONDS: Final = 0.5
# Progress is written to the database at most once a second (the status message is edited at
# most every ~2 s anyway).
REPORT_MIN_INTERVAL: Final = 1.0
# A rendered result is shared with same-key jobs for an hour (rendered files are cleaned later).
SHARED_RESULT_MAX_AGE: Final = dt.timedelta(hours=1)
# stop() lets an upload in progress finish for this long before cancelling it.
STOP_GRACE_SECONDS: Final = 5.0

PREF_KEYS: Final = frozenset({"engine", "tempo", "format", "intro"})

# Lease owners of JobServices running in this process: another owner with our pid is dead.
_LIVE_OWNERS: set[str] = set()
_HOST: Final = socket.gethostname()


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy (paths and other objects become strings)."""
    return cast(dict[str, Any], json.loads(json.dumps(dict(data), default=str)))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _job_from_row(row: JobRow) -> Job:
    request = JobRequest(
        user_id=row.user_id,
        chat_id=row.chat_id,
        kind="text" if row.kind == "text" else "url",
        source=row.source,
        options=RenderPrefs.from_dict(row.options or {}),
        status_message_id=row.status_message_id,
        reply_to_message_id=row.reply_to_message_id,
        language=row.language,
    )
    return Job(
        id=row.id,
        request=request,
        state=cast(JobState, row.state),
        attempts=row.attempts,
        dedupe_key=row.dedupe_key,
        result=dict(row.result) if row.result is not None else None,
        title=row.title,
        error_key=row.error_key,
        created_at=row.created_at,
    )


class _Context:
    """The JobContext handed to the handler (see bot.jobs.api.JobContext)."""

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
        return await self._service._transition(self._job.id, from_states, **values)

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
        data = _jsonable(result)
        if not await self._move(("running", "rendered"), state="rendered", result=data):
            self.cancel("lost")
            raise JobCancelledError(f"job {self._job.id} was cancelled")
        self.state = "rendered"
        self._job = replace(self._job, state="rendered", result=data)
        self._service._wake.set()

    async def mark_delivering(self) -> None:
        """Pass the at-most-once gate right before the upload."""
        await self._service._wait_for_turn(self)
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
            summary=_jsonable(summary),
            progress=100,
            finished_at=self._service._now(),
            lease_owner=None,
            lease_until=None,
        )
        self.delivered = True
        self.state = "delivered"
        self._service._notify_finished()
        if not ok:
            logger.warning(
                "job %s was delivered but its row was no longer ours (lease lost?)", self._job.id
            )


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
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._heartbeat_seconds = lease_seconds * HEARTBEAT_FRACTION
        self._poll_seconds = poll_seconds
        self._sweep_seconds = sweep_seconds
        self._retry_delays = tuple(retry_delays) or (0.0,)
        self._max_attempts = max_attempts
        self.default_prefs = default_prefs or RenderPrefs()
        self._owner = ""
        self._handler: JobHandler | None = None
        self._on_failure: FailureHandler | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._workers: list[asyncio.Task[None]] = []
        self._active: dict[int, tuple[_Context, asyncio.Task[JobOutcome]]] = {}
        self._wake = asyncio.Event()
        self._finished = asyncio.Event()  # replaced each time a job of this process ends
        self._stopping = False
        self._submit_lock = asyncio.Lock()

    # --- helpers ------------------------------------------------------------------------------

    def _notify_finished(self) -> None:
        """Wake whoever waits for a job of this process to end (delivery order)."""
        event, self._finished = self._finished, asyncio.Event()
        event.set()

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._clock(), dt.UTC)

    @property
    def owner(self) -> str:
        """This pool's lease owner id ("host:pid:token"); empty before start()."""
        return self._owner

    @property
    def running(self) -> bool:
        """Whether the worker pool is started."""
        return bool(self._workers)

    async def _transition(self, job_id: int, from_states: Sequence[str], **values: Any) -> bool:
        async with self.db.session() as session:
            return await JobRepository(session).transition(
                job_id, from_states=from_states, owner=self._owner, now=self._now(), **values
            )

    def _owner_dead(self, owner: str) -> bool:
        """Whether a lease owner is known dead (same host only; others wait for expiry)."""
        parts = owner.split(":")
        if len(parts) < 3 or owner == self._owner or owner in _LIVE_OWNERS:
            return False
        host = ":".join(parts[:-2])
        if host != _HOST:
            return False
        try:
            pid = int(parts[-2])
        except ValueError:
            return False
        return pid == os.getpid() or not _pid_alive(pid)

    # --- submitting and looking -----------------------------------------------------------------

    async def submit(self, req: JobRequest) -> SubmitResult:
        """Write the job row (before any work) and wake a worker; raises the limit errors."""
        if req.kind not in ("url", "text"):
            raise ValueError(f"unknown job kind {req.kind!r}")
        key = dedupe_key(req.kind, req.source, req.options)
        now = self._now()
        async with self._submit_lock, self.db.session() as session:
            jobs = JobRepository(session)
            usage = UsageRepository(session)
            await UserRepository(session).upsert(req.user_id, now=now, language=req.language)
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
                )
            )
            position = await jobs.position(req.user_id, row.id)
            job_id = row.id
        logger.info("job %s queued for user %s (%s)", job_id, req.user_id, req.kind)
        self._wake.set()
        return SubmitResult(
            job_id=job_id, position_in_user_queue=position, deduplicated=deduplicated
        )

    async def get_job(self, job_id: int) -> Job | None:
        """The job as stored now, or None."""
        async with self.db.session() as session:
            row = await JobRepository(session).get(job_id)
            return _job_from_row(row) if row is not None else None

    async def list_user(self, user_id: int) -> list[JobView]:
        """The user's unfinished jobs in submission order."""
        async with self.db.session() as session:
            rows = await JobRepository(session).list_unfinished(user_id)
        views = []
        for position, row in enumerate(rows, start=1):
            progress, title = row.progress, row.title
            active = self._active.get(row.id)
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
        now = self._now()
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
            active = self._active.get(job_id)
            if active is not None:
                ctx, task = active
                ctx.cancel("user")
                task.cancel()
        if cancelled:
            logger.info("user %s cancelled jobs %s", user_id, cancelled)
        return len(cancelled)

    # --- settings and the file_id cache ---------------------------------------------------------

    async def get_prefs(self, user_id: int) -> RenderPrefs:
        """The user's saved settings over the operator's defaults."""
        async with self.db.session() as session:
            user = await UserRepository(session).get(user_id)
            saved = user.settings if user is not None else {}
            return RenderPrefs.from_dict(self.default_prefs.to_dict() | dict(saved))

    async def set_prefs(self, user_id: int, **changes: Any) -> RenderPrefs:
        """Change some settings (engine, tempo, format, intro) and return the new ones."""
        unknown = set(changes) - PREF_KEYS
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        engine = changes.get("engine")
        if engine is not None and (not isinstance(engine, str) or not engine):
            raise ValueError("engine must be a name or None")
        if "tempo" in changes:
            tempo = float(changes["tempo"])
            if not tempo_allowed(tempo):
                raise ValueError(f"tempo must be within {TEMPO_RANGE}")
            changes["tempo"] = tempo
        if "format" in changes and changes["format"] not in ("audio", "voice"):
            raise ValueError("format must be 'audio' or 'voice'")
        if "intro" in changes:
            changes["intro"] = bool(changes["intro"])
        async with self.db.session() as session:
            merged = await UserRepository(session).update_settings(
                user_id, changes, now=self._now()
            )
        return RenderPrefs.from_dict(self.default_prefs.to_dict() | dict(merged))

    async def cached_audio(self, key: AudioKey) -> CachedAudio | None:
        """A previous upload of exactly this audio, if any."""
        async with self.db.session() as session:
            row = await AudioCacheRepository(session).get(
                key.article_key, key.engine, key.voice, round(key.tempo, 3), key.format
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

    async def remember_audio(self, key: AudioKey, audio: CachedAudio) -> None:
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
                key.article_key,
                key.engine,
                key.voice,
                round(key.tempo, 3),
                key.format,
                values=values,
                now=self._now(),
            )

    # --- the pool -------------------------------------------------------------------------------

    async def start(self, handler: JobHandler, on_failure: FailureHandler | None = None) -> None:
        """Resume unfinished jobs and start the workers as tasks; returns at once."""
        if self._workers:
            raise RuntimeError("JobService already started")
        self._handler = handler
        self._on_failure = on_failure
        self._stopping = False
        self._owner = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        _LIVE_OWNERS.add(self._owner)
        await self._sweep()
        self._workers = [
            asyncio.create_task(self._worker_loop(), name=f"hoerclub-worker-{n}")
            for n in range(self.workers)
        ]
        self._tasks = [
            asyncio.create_task(self._heartbeat_loop(), name="hoerclub-heartbeat"),
            asyncio.create_task(self._sweep_loop(), name="hoerclub-sweeper"),
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
        for ctx, task in list(self._active.values()):
            if ctx.state == "delivering":
                uploading.append(task)
            else:
                ctx.cancel("stop")
                task.cancel()
        if uploading:
            await asyncio.wait(uploading, timeout=grace)
            for ctx, task in list(self._active.values()):
                ctx.cancel("stop")
                task.cancel()
        # Workers finish their bookkeeping and leave their loops; cancel what lingers.
        await asyncio.wait(self._workers, timeout=1.0)
        for pending in [*self._workers, *self._tasks]:
            pending.cancel()
        await asyncio.gather(*self._workers, *self._tasks, return_exceptions=True)
        self._workers, self._tasks = [], []
        await self._release_own()
        _LIVE_OWNERS.discard(self._owner)
        logger.info("job workers stopped (owner %s)", self._owner)

    async def _release_own(self) -> None:
        """Hand our unfinished renders back to the queue (this attempt does not count)."""
        now = self._now()
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
        now = self._now()
        async with self.db.session() as session:
            jobs = JobRepository(session)
            row = await jobs.claim_next(owner=self._owner, now=now, lease_until=now + self._lease)
            if row is None:
                return None
            shared = None
            if row.result is None:
                shared = await jobs.shared_result(
                    row.dedupe_key, exclude_id=row.id, since=now - SHARED_RESULT_MAX_AGE
                )
            job = _job_from_row(row)
        logger.info("job %s claimed (attempt %s)", job.id, job.attempts)
        return job, shared

    async def _run(self, job: Job, shared: dict[str, Any] | None) -> None:
        handler = self._handler
        if handler is None:  # pragma: no cover - workers only run after start()
            raise RuntimeError("no handler")
        ctx = _Context(self, job, shared)

        async def call() -> JobOutcome:
            return await handler(ctx)

        task = asyncio.create_task(call(), name=f"hoerclub-job-{job.id}")
        self._active[job.id] = (ctx, task)
        try:
            await asyncio.wait({task})
            await self._finish(ctx, task)
        except asyncio.CancelledError:
            ctx.cancel("stop")
            task.cancel()
            raise
        except Exception:
            logger.exception("bookkeeping for job %s failed", job.id)
        finally:
            self._active.pop(job.id, None)
            self._notify_finished()

    async def _finish(self, ctx: _Context, task: asyncio.Task[JobOutcome]) -> None:
        job = ctx.job
        if task.cancelled():
            logger.info("job %s stopped (%s)", job.id, ctx.cancel_reason or "cancelled")
            return
        exc = task.exception()
        now = self._now()
        if exc is None:
            if not ctx.delivered:
                await self._transition(
                    job.id,
                    ("running", "rendered", "delivering"),
                    state="delivered",
                    summary=_jsonable(task.result().summary),
                    progress=100,
                    finished_at=now,
                    lease_owner=None,
                    lease_until=None,
                )
            logger.info("job %s done", job.id)
            return
        if isinstance(exc, JobCancelledError):
            await self._transition(
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
            await self._fail(ctx.job, key, exc, owner=self._owner)
            return
        if isinstance(exc, HoerclubError):
            logger.info("job %s failed: %s (%s)", job.id, exc.key, exc.detail)
            await self._fail(ctx.job, exc.key, exc, owner=self._owner)
            return
        if job.attempts < self._max_attempts:
            delay = self._retry_delays[min(job.attempts - 1, len(self._retry_delays) - 1)]
            logger.warning(
                "job %s attempt %s failed; retrying in %.0f s",
                job.id,
                job.attempts,
                delay,
                exc_info=exc,
            )
            if await self._transition(
                job.id,
                ("running", "rendered"),
                state="queued",
                lease_owner=None,
                lease_until=None,
                available_at=now + dt.timedelta(seconds=delay),
            ):
                # Wake a worker when the retry is due instead of at the next poll.
                asyncio.get_running_loop().call_later(delay, self._wake.set)
            return
        logger.error("job %s failed after %s attempts", job.id, job.attempts, exc_info=exc)
        await self._fail(ctx.job, HoerclubError.key, exc, owner=self._owner)

    async def _fail(
        self,
        job: Job,
        key: str,
        exc: BaseException | None,
        *,
        owner: str | None,
        from_states: Sequence[str] = LEASED,
    ) -> None:
        params = _jsonable(exc.params) if isinstance(exc, HoerclubError) else {}
        now = self._now()
        async with self.db.session() as session:
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
        if self._on_failure is not None:
            failed = FailedJob(
                job=replace(job, state="failed", error_key=key),
                error_key=key,
                params=params,
                exception=exc,
            )
            try:
                await self._on_failure(failed)
            except Exception:
                logger.exception("failure handler for job %s raised", job.id)

    async def _wait_for_turn(self, ctx: _Context) -> None:
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

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            try:
                await self._heartbeat()
            except Exception:
                logger.exception("renewing job leases failed")

    async def _heartbeat(self) -> None:
        ids = list(self._active)
        if not ids:
            return
        now = self._now()
        async with self.db.session() as session:
            held = await JobRepository(session).renew_leases(
                self._owner, ids, now=now, lease_until=now + self._lease
            )
        for job_id in set(ids) - held:
            active = self._active.get(job_id)
            if active is None:
                continue
            ctx, task = active
            if ctx.state in ("delivering", "delivered") or task.done():
                continue
            logger.warning("job %s: lease lost or job cancelled elsewhere; stopping it", job_id)
            ctx.cancel("lost")
            task.cancel()

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_seconds)
            try:
                await self._sweep()
            except Exception:
                logger.exception("sweeping stale jobs failed")

    async def _sweep(self) -> None:
        """Requeue jobs of dead workers; fail those that died while delivering."""
        now = self._now()
        interrupted: list[tuple[Job, str | None]] = []
        async with self.db.session() as session:
            jobs = JobRepository(session)
            dead = [owner for owner in await jobs.lease_owners() if self._owner_dead(owner)]
            for row in await jobs.stale(now=now, dead_owners=dead):
                if row.lease_owner == self._owner and row.id in self._active:
                    continue  # still running here: the heartbeat was merely late
                if row.state == "delivering" or row.attempts >= self._max_attempts:
                    interrupted.append((_job_from_row(row), row.lease_owner))
                    continue
                if await jobs.transition(
                    row.id,
                    from_states=(row.state,),
                    owner=row.lease_owner,
                    now=now,
                    state="queued",
                    lease_owner=None,
                    lease_until=None,
                    available_at=now,
                ):
                    logger.info(
                        "job %s resumed (was %s, owner %s)", row.id, row.state, row.lease_owner
                    )
        for job, owner in interrupted:
            if job.state == "delivering":
                logger.warning(
                    "job %s for chat %s was being delivered when its worker %s died; "
                    "not sending it again (at most once), the user is told",
                    job.id,
                    job.request.chat_id,
                    owner,
                )
                key = DELIVERY_INTERRUPTED_KEY
            else:
                logger.error("job %s: its worker died on each of %s attempts", job.id, job.attempts)
                key = HoerclubError.key
            await self._fail(job, key, None, owner=owner, from_states=(job.state,))
        if interrupted:
            self._wake.set()
