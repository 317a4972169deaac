"""The "Später hören" list: audios a user put aside, each sendable again by its file_ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, BigIntPK, UtcDateTime


class LaterRow(Base):
    """One audio on a user's list: the job that delivered it and what sends it again."""

    __tablename__ = "listen_later"
    __table_args__ = (UniqueConstraint("user_id", "job_id", name="uq_listen_later_user_job"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    job_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    format: Mapped[str] = mapped_column(String(8))  # "audio" | "voice"
    file_ids: Mapped[list[Any]] = mapped_column(JSON)  # one per part, in order
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class LaterRepository:
    """Rows of the list; every query is bound to the user, so nobody touches another's list."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: LaterRow) -> bool:
        """Put an audio on the list; False when it is there already."""
        found = await self.session.scalar(
            select(LaterRow.id).where(
                LaterRow.user_id == row.user_id, LaterRow.job_id == row.job_id
            )
        )
        if found is not None:
            return False
        self.session.add(row)
        await self.session.flush()
        return True

    async def items(self, user_id: int) -> Sequence[LaterRow]:
        """The user's list, oldest first."""
        result = await self.session.scalars(
            select(LaterRow).where(LaterRow.user_id == user_id).order_by(LaterRow.id)
        )
        return result.all()

    async def remove(self, user_id: int, item_id: int) -> bool:
        """Take one audio off the user's list; False when it is not (or no longer) theirs."""
        result = await self.session.execute(
            delete(LaterRow).where(LaterRow.user_id == user_id, LaterRow.id == item_id)
        )
        return bool(getattr(result, "rowcount", 0))

    async def clear(self, user_id: int) -> int:
        """Empty the user's list; how many audios were on it."""
        result = await self.session.execute(delete(LaterRow).where(LaterRow.user_id == user_id))
        return int(getattr(result, "rowcount", 0) or 0)
