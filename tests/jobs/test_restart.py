"""Crash safety: a worker process killed hard mid-job; a fresh service finishes the job once.

The first service runs in a real child process (``python -c``) that is killed with SIGKILL while
its handler is rendering, has rendered, or is uploading.  A second service on the same database
then resumes: the job is delivered exactly once, a finished render is not repeated, and a job
that was being uploaded is never sent again (at most once).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.jobs import DELIVERY_INTERRUPTED_KEY, JobContext, JobOutcome, JobService
from bot.storage.db import Database
from bot.storage.repositories import JobRepository
from tests.jobs.support import Recorder, all_final, service, url_request, wait_until

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import asyncio, sys
from pathlib import Path
from bot.jobs import JobOutcome, JobRequest, JobService
from bot.storage.db import Database

url, marker, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

async def handler(ctx):
    if mode in ("rendered", "delivering"):
        await ctx.mark_rendered({"path": "child.mp3", "rendered_by": "child"})
    if mode == "delivering":
        await ctx.mark_delivering()
    # Written whole, then renamed: the parent polls for the file and kills on sight, so a
    # marker created but not yet written would be read empty.
    partial = marker.with_name(marker.name + ".partial")
    partial.write_text(f"{ctx.job.id} {mode}")
    partial.replace(marker)
    await asyncio.sleep(60)  # rendering, or the upload, takes long: the kill comes first
    return JobOutcome()

async def main():
    db = Database(url)
    await db.migrate()
    jobs = JobService(db, workers=1, max_waiting_per_user=5, max_per_day=50)
    await jobs.submit(JobRequest(user_id=7, chat_id=7, kind="url", source="https://example.org/x"))
    await jobs.start(handler)
    await asyncio.sleep(120)

asyncio.run(main())
"""


async def _run_child_until_marker(db_url: str, tmp_path: Path, mode: str) -> int:
    """Start the child service, wait until its handler reached `mode`, kill it hard."""
    marker = tmp_path / f"marker-{mode}"
    pythonpath = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(pythonpath)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, str(marker), mode],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            if proc.poll() is not None:
                errors = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"child exited early: {errors}")
            if time.monotonic() > deadline:
                raise AssertionError("child never reached the handler")
            await asyncio.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)  # reaped: its pid is gone, so the new service knows it is dead
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return int(marker.read_text().split()[0])


@pytest.mark.reliability("Prozess: SIGKILL mitten in der Arbeit", sees="genau eine Zustellung")
async def test_killed_while_rendering_is_delivered_exactly_once(
    db_url: str, db: Database, tmp_path: Path
) -> None:
    job_id = await _run_child_until_marker(db_url, tmp_path, "render")
    rec = Recorder()
    async with service(db) as svc:
        job = await svc.get_job(job_id)
        assert job is not None
        assert (job.state, job.attempts) == ("running", 1)  # the row outlived the process
        await svc.start(rec)
        await wait_until(lambda: all_final(svc, [job_id]), what="the resumed job")
        # Give any duplicate a chance to show up.
        await asyncio.sleep(0.3)
        job = await svc.get_job(job_id)
    assert job is not None
    assert (job.state, job.attempts) == ("delivered", 2)
    assert rec.renders == [job_id]
    assert rec.deliveries == [job_id]


@pytest.mark.reliability("Prozess: SIGKILL mitten in der Arbeit", sees="genau eine Zustellung")
async def test_killed_after_rendering_delivers_without_rendering_again(
    db_url: str, db: Database, tmp_path: Path
) -> None:
    job_id = await _run_child_until_marker(db_url, tmp_path, "rendered")
    rec = Recorder()
    async with service(db) as svc:
        await svc.start(rec)
        await wait_until(lambda: all_final(svc, [job_id]), what="the resumed job")
        job = await svc.get_job(job_id)
    assert job is not None
    assert job.state == "delivered"
    assert rec.renders == []
    assert rec.deliveries == [job_id]
    assert job.result == {"path": "child.mp3", "rendered_by": "child"}


@pytest.mark.reliability(
    "Prozess: SIGKILL mitten in der Arbeit", sees="nie doppelt (höchstens einmal)"
)
async def test_killed_while_delivering_is_never_sent_twice(
    db_url: str, db: Database, tmp_path: Path
) -> None:
    job_id = await _run_child_until_marker(db_url, tmp_path, "delivering")
    rec = Recorder()
    async with service(db) as svc:
        await svc.start(rec, rec.on_failure)
        await wait_until(lambda: all_final(svc, [job_id]), what="the interrupted job")
        await asyncio.sleep(0.3)
        job = await svc.get_job(job_id)
    assert job is not None
    assert (job.state, job.error_key) == ("failed", DELIVERY_INTERRUPTED_KEY)
    assert rec.started == []  # the handler never saw it again
    assert rec.deliveries == []
    assert [(f.job.id, f.error_key) for f in rec.failures] == [(job_id, DELIVERY_INTERRUPTED_KEY)]


async def test_a_live_foreign_lease_is_respected_until_it_expires(db: Database) -> None:
    """A job leased by a worker on another host is left alone until its lease runs out."""
    now = [time.time()]
    started: list[int] = []

    async def handler(ctx: JobContext) -> JobOutcome:
        started.append(ctx.job.id)
        return JobOutcome()

    async with service(db, clock=lambda: now[0], poll_seconds=0.05, sweep_seconds=0.05) as svc:
        job_id = (await svc.submit(url_request(3, 3))).job_id
        # Lease it as if a worker on another machine had claimed it.
        moment = dt.datetime.fromtimestamp(now[0], dt.UTC)
        async with db.session() as session:
            row = await JobRepository(session).claim_next(
                owner="elsewhere:1:abc", now=moment, lease_until=moment + dt.timedelta(seconds=30)
            )
            assert row is not None
            assert row.id == job_id
        await svc.start(handler)
        await asyncio.sleep(0.3)
        assert started == []
        now[0] += 31  # the foreign lease expired: the sweeper hands the job back
        await wait_until(lambda: all_final(svc, [job_id]), what="the taken-over job")
    assert started == [job_id]


async def test_an_orphaned_lease_of_this_process_is_taken_back(db: Database) -> None:
    """A row leased by this pool but no longer worked on (lost bookkeeping) is not stuck."""
    release = asyncio.Event()
    delivered: list[int] = []

    async def handler(ctx: JobContext) -> JobOutcome:
        if ctx.job.request.source.endswith("/4"):
            await release.wait()  # keeps the only worker busy
        delivered.append(ctx.job.id)
        return JobOutcome()

    async with service(db, workers=1, poll_seconds=0.05, sweep_seconds=0.05) as svc:
        await svc.start(handler)
        busy = (await svc.submit(url_request(4, 4))).job_id
        await wait_until(lambda: _state_is(svc, busy, "running"), what="the busy job")
        # Pretend a worker of ours claimed this job, then lost track of it.
        orphan = (await svc.submit(url_request(5, 5))).job_id
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        async with db.session() as session:
            assert await JobRepository(session).transition(
                orphan,
                from_states=("queued",),
                owner=None,
                check_owner=False,
                now=past,
                state="running",
                lease_owner=svc.owner,
                lease_until=past,
            )
        release.set()
        await wait_until(lambda: all_final(svc, [busy, orphan]), what="both jobs")
    assert delivered == [busy, orphan]


async def _state_is(svc: JobService, job_id: int, state: str) -> bool:
    job = await svc.get_job(job_id)
    return job is not None and job.state == state
