"""Queries over the tables, one small repository per table, each working in a caller's session.

The job queries are written so that several workers, and several processes sharing PostgreSQL,
can claim jobs safely: a claim is an ``UPDATE … WHERE state = 'queued'`` whose row count says who
won, and every later transition is conditional on the lease owner and the expected state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Final, cast

from sqlalchemy import CursorResult, case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.models import AudioCacheRow, JobRow, UsageRow, User
from bot.storage.pgsignals import JOBS_CHANNEL

#: A job that occupies the user's queue.
UNFINISHED: Final[tuple[str, ...]] = ("queued", "running", "rendered", "delivering")
#: A job held by a worker (it has a lease).
LEASED: Final[tuple[str, ...]] = ("running", "rendered", "delivering")
#: A job whose rendered result other jobs with the same key may share.
HAS_RESULT: Final[tuple[str, ...]] = ("rendered", "delivering", "delivered")

# How many candidates one claim looks at before giving up to another worker's race.
CLAIM_CANDIDATES: Final = 8
# PostgreSQL advisory lock id for claims (arbitrary, unique within this application).
CLAIM_LOCK_ID: Final = 0x48_6F_65_72_01  # "Hoer" + 1
# How often one claim looks again after losing every candidate to other workers.
CLAIM_ROUNDS: Final = 3


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


class UserRepository:
    """Users, their language and saved settings."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        """The user row, if the user was ever seen."""
        return await self.session.get(User, user_id)

    async def upsert(self, user_id: int, *, now: dt.datetime, language: str | None = None) -> User:
        """The user row, created if missing; the language is updated when given."""
        user = await self.session.get(User, user_id)
        if user is None:
            user = User(
                id=user_id, language=language or "de", settings={}, created_at=now, updated_at=now
            )
            self.session.add(user)
            await self.session.flush()
        elif language and user.language != language:
            user.language = language
            user.updated_at = now
        return user

    async def update_settings(
        self, user_id: int, changes: dict[str, Any], *, now: dt.datetime
    ) -> dict[str, Any]:
        """Merge changes into the user's settings and return the new settings."""
        user = await self.upsert(user_id, now=now)
        merged = {**(user.settings or {}), **changes}
        user.settings = merged  # a new dict, so the JSON column sees the change
        user.updated_at = now
        return merged

    async def mark_served(self, user_id: int, *, now: dt.datetime) -> None:
        """Remember that a worker just started one of the user's jobs (round-robin order)."""
        await self.session.execute(
            update(User).where(User.id == user_id).values(last_served_at=now)
        )


class UsageRepository:
    """Jobs submitted per user and UTC day."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count(self, user_id: int, day: dt.date) -> int:
        """How many jobs the user submitted on that day."""
        value = await self.session.scalar(
            select(UsageRow.count).where(UsageRow.user_id == user_id, UsageRow.day == day)
        )
        return int(value or 0)

    async def increment(self, user_id: int, day: dt.date) -> None:
        """Count one more job for the user on that day."""
        result = await self.session.execute(
            update(UsageRow)
            .where(UsageRow.user_id == user_id, UsageRow.day == day)
            .values(count=UsageRow.count + 1)
        )
        if _rowcount(result) == 0:
            self.session.add(UsageRow(user_id=user_id, day=day, count=1))
            await self.session.flush()


class AudioCacheRepository:
    """The file_id cache."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, article_key: str, engine: str, voice: str, tempo: float, fmt: str
    ) -> AudioCacheRow | None:
        """The cached upload for exactly this audio."""
        return await self.session.scalar(
            select(AudioCacheRow).where(
                AudioCacheRow.article_key == article_key,
                AudioCacheRow.engine == engine,
                AudioCacheRow.voice == voice,
                AudioCacheRow.tempo == tempo,
                AudioCacheRow.format == fmt,
            )
        )

    async def put(
        self,
        article_key: str,
        engine: str,
        voice: str,
        tempo: float,
        fmt: str,
        *,
        values: dict[str, Any],
        now: dt.datetime,
    ) -> None:
        """Insert or replace the cached upload for this audio."""
        row = await self.get(article_key, engine, voice, tempo, fmt)
        if row is None:
            self.session.add(
                AudioCacheRow(
                    article_key=article_key,
                    engine=engine,
                    voice=voice,
                    tempo=tempo,
                    format=fmt,
                    created_at=now,
                    **values,
                )
            )
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.created_at = now
        await self.session.flush()


class JobRepository:
    """The durable job queue."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, job_id: int) -> JobRow | None:
        """The job row, freshly read."""
        return await self.session.get(JobRow, job_id, populate_existing=True)

    async def add(self, row: JobRow) -> JobRow:
        """Insert a new job and return it with its id."""
        self.session.add(row)
        await self.session.flush()
        await self.announce()
        return row

    async def announce(self) -> None:
        """Tell listening workers of other processes that a job is ready (PostgreSQL only).

        NOTIFY is transactional: it reaches the listeners when this session commits, so a
        worker woken by it always finds the row.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(select(func.pg_notify(JOBS_CHANNEL, "")))

    async def count_unfinished(self, user_id: int) -> int:
        """The user's jobs that are not yet delivered, failed or cancelled."""
        value = await self.session.scalar(
            select(func.count())
            .select_from(JobRow)
            .where(JobRow.user_id == user_id, JobRow.state.in_(UNFINISHED))
        )
        return int(value or 0)

    async def position(self, user_id: int, job_id: int) -> int:
        """1-based place of the job among the user's unfinished jobs."""
        value = await self.session.scalar(
            select(func.count())
            .select_from(JobRow)
            .where(JobRow.user_id == user_id, JobRow.state.in_(UNFINISHED), JobRow.id <= job_id)
        )
        return int(value or 0)

    async def count_earlier_in_progress(self, user_id: int, job_id: int) -> int:
        """The user's earlier jobs that a worker is rendering or about to send."""
        value = await self.session.scalar(
            select(func.count())
            .select_from(JobRow)
            .where(
                JobRow.user_id == user_id,
                JobRow.state.in_(("running", "rendered")),
                JobRow.id < job_id,
            )
        )
        return int(value or 0)

    async def by_request_key(self, request_key: str) -> JobRow | None:
        """The job submitted with this idempotency key, if any."""
        return await self.session.scalar(select(JobRow).where(JobRow.request_key == request_key))

    async def in_flight(self, dedupe_key: str, *, exclude_id: int | None = None) -> bool:
        """Whether an unfinished job with this dedupe key exists."""
        stmt = select(JobRow.id).where(
            JobRow.dedupe_key == dedupe_key, JobRow.state.in_(UNFINISHED)
        )
        if exclude_id is not None:
            stmt = stmt.where(JobRow.id != exclude_id)
        return (await self.session.scalar(stmt.limit(1))) is not None

    async def first_in_flight(
        self, dedupe_key: str, *, before_id: int | None = None, states: Iterable[str] = UNFINISHED
    ) -> JobRow | None:
        """The oldest job with this dedupe key in `states` (older than `before_id`, if given)."""
        stmt = select(JobRow).where(
            JobRow.dedupe_key == dedupe_key, JobRow.state.in_(tuple(states))
        )
        if before_id is not None:
            stmt = stmt.where(JobRow.id < before_id)
        return await self.session.scalar(stmt.order_by(JobRow.id).limit(1))

    async def delivered(self, user_id: int, *, offset: int, limit: int) -> Sequence[JobRow]:
        """The user's delivered jobs, newest first, one page of them."""
        result = await self.session.scalars(
            select(JobRow)
            .where(JobRow.user_id == user_id, JobRow.state == "delivered")
            .order_by(JobRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return result.all()

    async def list_unfinished(self, user_id: int) -> Sequence[JobRow]:
        """The user's unfinished jobs in submission order."""
        result = await self.session.scalars(
            select(JobRow)
            .where(JobRow.user_id == user_id, JobRow.state.in_(UNFINISHED))
            .order_by(JobRow.id)
        )
        return result.all()

    async def shared_result(
        self, dedupe_key: str, *, exclude_id: int, since: dt.datetime
    ) -> dict[str, Any] | None:
        """The newest rendered result of another job with this key, rendered since ``since``."""
        result = await self.session.scalar(
            select(JobRow.result)
            .where(
                JobRow.dedupe_key == dedupe_key,
                JobRow.id != exclude_id,
                JobRow.state.in_(HAS_RESULT),
                JobRow.result.is_not(None),
                JobRow.updated_at >= since,
            )
            .order_by(JobRow.updated_at.desc())
            .limit(1)
        )
        return dict(result) if result else None

    async def claim_next(
        self, *, owner: str, now: dt.datetime, lease_until: dt.datetime
    ) -> JobRow | None:
        """Lease the next job: round-robin over users, oldest first per user; None if none.

        A user's next job is their oldest queued one; it is skipped while it waits for its
        backoff, while another job with the same dedupe key is being rendered, and while the
        user holds a worker already: one user's jobs run one after another, so a user with
        many long links never holds more than one worker and the next user's link starts on
        the next free worker.  Among the rest, the user served least recently comes first.
        """
        if self.session.bind is not None and self.session.bind.dialect.name == "postgresql":
            # One claim at a time across all processes (held to the end of the transaction):
            # without it, two workers could both see a dedupe key as free and render it twice.
            # SQLite needs nothing: BEGIN IMMEDIATE already serialises writers.
            await self.session.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK_ID)))
        # A candidate can still be lost between the SELECT and the UPDATE (e.g. to a cancel):
        # look again at once rather than leaving the next job to the next poll.
        for _ in range(CLAIM_ROUNDS):
            candidates = await self._claim_candidates(now)
            if not candidates:
                return None
            for job_id in candidates:
                row = await self._try_claim(job_id, owner=owner, now=now, lease_until=lease_until)
                if row is not None:
                    return row
        return None

    async def _claim_candidates(self, now: dt.datetime) -> list[int]:
        busy = aliased(JobRow)
        busy_keys = select(busy.dedupe_key).where(busy.state == "running", busy.lease_until > now)
        heads = (
            select(JobRow.user_id.label("user_id"), func.min(JobRow.id).label("job_id"))
            .where(JobRow.state == "queued")
            .group_by(JobRow.user_id)
            .subquery()
        )
        active = aliased(JobRow)
        # A lapsed lease does not count: its worker is dead and the sweeper will requeue it.
        holding = select(active.user_id).where(active.state.in_(LEASED), active.lease_until > now)
        candidates = await self.session.scalars(
            select(JobRow.id)
            .join(heads, heads.c.job_id == JobRow.id)
            .outerjoin(User, User.id == JobRow.user_id)
            .where(
                JobRow.available_at <= now,
                JobRow.dedupe_key.not_in(busy_keys),
                JobRow.user_id.not_in(holding),
            )
            .order_by(
                case((User.last_served_at.is_(None), 0), else_=1),
                User.last_served_at,
                JobRow.id,
            )
            .limit(CLAIM_CANDIDATES)
        )
        return list(candidates.all())

    async def _try_claim(
        self, job_id: int, *, owner: str, now: dt.datetime, lease_until: dt.datetime
    ) -> JobRow | None:
        other = aliased(JobRow)
        claimed = await self.session.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.state == "queued",
                ~exists().where(
                    other.dedupe_key == JobRow.dedupe_key,
                    other.id != JobRow.id,
                    other.state == "running",
                    other.lease_until > now,
                ),
            )
            .values(
                state="running",
                lease_owner=owner,
                lease_until=lease_until,
                attempts=JobRow.attempts + 1,
                started_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(claimed) != 1:
            return None
        row = await self.get(job_id)
        if row is None:  # pragma: no cover - deleted under our feet
            return None
        if row.result is not None:
            # Rendered before a restart: only delivery is left, so do not hold back other
            # jobs with the same key as if we were rendering.
            row.state = "rendered"
            await self.session.flush()
        await UserRepository(self.session).mark_served(row.user_id, now=now)
        return row

    async def transition(
        self,
        job_id: int,
        *,
        from_states: Iterable[str],
        owner: str | None,
        check_owner: bool = True,
        now: dt.datetime,
        **values: Any,
    ) -> bool:
        """Set values if the job is in one of the states (and held by owner); True on success."""
        stmt = update(JobRow).where(JobRow.id == job_id, JobRow.state.in_(tuple(from_states)))
        if check_owner:
            stmt = stmt.where(JobRow.lease_owner.is_not_distinct_from(owner))
        result = await self.session.execute(
            stmt.values(updated_at=now, **values).execution_options(synchronize_session=False)
        )
        moved = _rowcount(result) == 1
        if moved and values.get("state") == "queued":
            await self.announce()  # back in the queue: a dead worker's job, or a retry
        return moved

    async def retag_failure(
        self, job_id: int, *, from_key: str, to_key: str, now: dt.datetime
    ) -> bool:
        """Change a failed job's error key if it still is `from_key`; True when it changed."""
        result = await self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.state == "failed", JobRow.error_key == from_key)
            .values(error_key=to_key, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1

    async def renew_leases(
        self, owner: str, job_ids: Iterable[int], *, now: dt.datetime, lease_until: dt.datetime
    ) -> set[int]:
        """Extend the leases this owner still holds; returns the ids it still holds."""
        ids = tuple(job_ids)
        if not ids:
            return set()
        await self.session.execute(
            update(JobRow)
            .where(JobRow.id.in_(ids), JobRow.lease_owner == owner, JobRow.state.in_(LEASED))
            .values(lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        held = await self.session.scalars(
            select(JobRow.id).where(
                JobRow.id.in_(ids), JobRow.lease_owner == owner, JobRow.state.in_(LEASED)
            )
        )
        return set(held.all())

    async def lease_owners(self) -> list[str]:
        """Every owner that holds a lease on some job."""
        result = await self.session.scalars(
            select(JobRow.lease_owner)
            .where(JobRow.state.in_(LEASED), JobRow.lease_owner.is_not(None))
            .distinct()
        )
        return [owner for owner in result.all() if owner is not None]

    async def stale(self, *, now: dt.datetime, dead_owners: Iterable[str]) -> Sequence[JobRow]:
        """Leased jobs whose lease expired or whose owner is known to be dead."""
        dead = tuple(dead_owners)
        conditions = [JobRow.lease_until < now, JobRow.lease_until.is_(None)]
        if dead:
            conditions.append(JobRow.lease_owner.in_(dead))
        result = await self.session.scalars(
            select(JobRow).where(JobRow.state.in_(LEASED), or_(*conditions)).order_by(JobRow.id)
        )
        return result.all()

    async def cancellable(self, user_id: int) -> Sequence[JobRow]:
        """The user's jobs that can still be cancelled (not yet being uploaded)."""
        result = await self.session.scalars(
            select(JobRow)
            .where(JobRow.user_id == user_id, JobRow.state.in_(("queued", "running", "rendered")))
            .order_by(JobRow.id)
        )
        return result.all()

    async def held_by(self, owner: str, states: Iterable[str]) -> Sequence[JobRow]:
        """Jobs leased by this owner in the given states."""
        result = await self.session.scalars(
            select(JobRow).where(JobRow.lease_owner == owner, JobRow.state.in_(tuple(states)))
        )
        return result.all()
