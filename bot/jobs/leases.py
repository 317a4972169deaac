"""Leases on running jobs: who holds them, heartbeats that renew ours, a sweeper for the dead.

A worker holds a job through a lease (owner id and expiry) in the job's row. While the job
runs, heartbeats renew the lease; when a worker dies its leases run out (or, on the same host,
its process is seen gone) and the sweeper hands its jobs back to the queue, except a job that
was being delivered, which is failed rather than sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING, Final

from bot.errors import HoerclubError, StorageUnavailableError
from bot.jobs.api import DELIVERY_INTERRUPTED_KEY, Job
from bot.jobs.rows import job_from_row
from bot.storage.repositories import JobRepository

if TYPE_CHECKING:
    from bot.jobs.service import JobService

logger = logging.getLogger(__name__)

# A worker that stops renewing its lease for this long is presumed dead by other processes.
# With a heartbeat every third of it (10 s), a busy event loop on a 2-core machine may miss
# two beats in a row before the lease lapses.
LEASE_SECONDS: Final = 30.0
HEARTBEAT_FRACTION: Final = 1 / 3
# How often the sweeper looks for jobs of dead workers (besides once at start).
SWEEP_SECONDS: Final = 10.0

# Lease owners of job services running in this process: another owner with our pid is dead.
_LIVE_OWNERS: set[str] = set()
_HOST: Final = socket.gethostname()


def new_owner() -> str:
    """A fresh lease owner id, "host:pid:token", registered as alive in this process."""
    owner = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    _LIVE_OWNERS.add(owner)
    return owner


def retire_owner(owner: str) -> None:
    """Forget an owner of this process (its pool stopped)."""
    _LIVE_OWNERS.discard(owner)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_dead(owner: str, mine: str) -> bool:
    """Whether a lease owner is known dead (same host only; others wait for expiry)."""
    parts = owner.split(":")
    if len(parts) < 3 or owner == mine or owner in _LIVE_OWNERS:
        return False
    host = ":".join(parts[:-2])
    if host != _HOST:
        return False
    try:
        pid = int(parts[-2])
    except ValueError:
        return False
    return pid == os.getpid() or not _pid_alive(pid)


class LeaseKeeper:
    """Renews the leases of a pool's running jobs and sweeps up after dead workers."""

    def __init__(self, service: JobService) -> None:
        self._service = service

    async def heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self._service.heartbeat_seconds)
            try:
                await self.heartbeat()
            except StorageUnavailableError:
                pass  # the database says so itself, once a minute
            except Exception:
                logger.exception("renewing job leases failed")

    async def heartbeat(self) -> None:
        active = self._service.active
        ids = list(active)
        if not ids:
            return
        now = self._service.now()
        async with self._service.db.session() as session:
            held = await JobRepository(session).renew_leases(
                self._service.owner, ids, now=now, lease_until=now + self._service.lease
            )
        for job_id in set(ids) - held:
            running = active.get(job_id)
            if running is None:
                continue
            ctx, task = running
            if ctx.state in ("delivering", "delivered") or task.done():
                continue
            logger.warning("job %s: lease lost or job cancelled elsewhere; stopping it", job_id)
            ctx.cancel("lost")
            task.cancel()

    async def sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self._service.sweep_seconds)
            try:
                await self.sweep()
            except StorageUnavailableError:
                pass  # the database says so itself, once a minute
            except Exception:
                logger.exception("sweeping stale jobs failed")

    async def sweep(self) -> None:
        """Requeue jobs of dead workers; fail those that died while delivering."""
        now = self._service.now()
        interrupted: list[tuple[Job, str | None]] = []
        async with self._service.db.session() as session:
            jobs = JobRepository(session)
            dead = [
                owner
                for owner in await jobs.lease_owners()
                if owner_dead(owner, self._service.owner)
            ]
            for row in await jobs.stale(now=now, dead_owners=dead):
                if row.lease_owner == self._service.owner and row.id in self._service.active:
                    continue  # still running here: the heartbeat was merely late
                if row.state == "delivering" or row.attempts >= self._service.max_attempts:
                    interrupted.append((job_from_row(row), row.lease_owner))
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
            await self._service.fail(job, key, None, owner=owner, from_states=(job.state,))
        if interrupted:
            self._service.wake()
