"""Between the job table's rows and the queue's data types."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from bot.jobs.api import JOB_KINDS, Job, JobRequest, JobState, RenderPrefs
from bot.storage.models import JobRow


def jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy (paths and other objects become strings)."""
    return cast(dict[str, Any], json.loads(json.dumps(dict(data), default=str)))


def job_from_row(row: JobRow) -> Job:
    """The job a row stores."""
    request = JobRequest(
        user_id=row.user_id,
        chat_id=row.chat_id,
        kind=next((kind for kind in JOB_KINDS if kind == row.kind), "url"),
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
        delivery=dict(row.summary) if row.summary is not None else None,
    )
