"""The "Später hören" list in the database: per user, oldest first, no doubles, owner-bound."""

from __future__ import annotations

import pytest

from bot.jobs.api import Job, JobRequest, RenderPrefs
from bot.jobs.later import LaterList
from bot.storage.db import Database


def _job(job_id: int, *, state: str = "delivered", fmt: str = "audio") -> Job:
    request = JobRequest(
        user_id=7,
        chat_id=7,
        kind="url",
        source=f"https://example.org/{job_id}",
        options=RenderPrefs(format="voice" if fmt == "voice" else "audio"),
    )
    delivery = {"message_ids": [job_id * 10], "file_ids": [f"file-{job_id}-a", f"file-{job_id}-b"]}
    return Job(
        id=job_id,
        request=request,
        state="delivered" if state == "delivered" else "failed",
        attempts=1,
        dedupe_key=f"k{job_id}",
        result=None,
        title=f"Artikel {job_id}",
        delivery=delivery if state == "delivered" else None,
    )


async def test_the_list_keeps_each_users_audios_in_order(db: Database) -> None:
    later = LaterList(db)
    assert await later.add(7, _job(3))
    assert await later.add(7, _job(1, fmt="voice"))
    assert not await later.add(7, _job(3))  # already there
    assert await later.add(8, _job(3))  # another user's list is their own
    items = await later.items(7)
    assert [(i.job_id, i.format, i.title) for i in items] == [
        (3, "audio", "Artikel 3"),
        (1, "voice", "Artikel 1"),
    ]
    assert items[0].file_ids == ("file-3-a", "file-3-b")
    assert items[0].url == "https://example.org/3"
    # Nobody removes from another's list.
    assert not await later.remove(8, items[0].id)
    assert await later.remove(7, items[0].id)
    assert not await later.remove(7, items[0].id)
    assert [i.job_id for i in await later.items(7)] == [1]
    assert await later.clear(7) == 1
    assert await later.items(7) == []
    assert [i.job_id for i in await later.items(8)] == [3]


async def test_only_a_delivered_audio_goes_on_the_list(db: Database) -> None:
    with pytest.raises(ValueError, match="no delivered audio"):
        await LaterList(db).add(7, _job(5, state="failed"))
