"""Durable jobs: the queue in the database and the in-process worker pool.

`service` (submit, look, the pool), `context` (one running job), `leases` (heartbeats and the
sweeper), `outcomes` (retry or fail), `prefs` (users' settings), `audio_cache` (file_ids).
"""

from bot.jobs.api import (
    DELIVERY_INTERRUPTED_KEY,
    AudioFormat,
    AudioKey,
    CachedAudio,
    DailyLimitError,
    FailedJob,
    FailureHandler,
    Job,
    JobCancelledError,
    JobContext,
    JobHandler,
    JobKind,
    JobOutcome,
    JobRequest,
    JobState,
    JobView,
    QueueLimitError,
    RenderPrefs,
    SubmitResult,
    SummaryBy,
    Variant,
    article_key,
    dedupe_key,
    normalize_url,
)
from bot.jobs.service import JobService

__all__ = [
    "DELIVERY_INTERRUPTED_KEY",
    "AudioFormat",
    "AudioKey",
    "CachedAudio",
    "DailyLimitError",
    "FailedJob",
    "FailureHandler",
    "Job",
    "JobCancelledError",
    "JobContext",
    "JobHandler",
    "JobKind",
    "JobOutcome",
    "JobRequest",
    "JobService",
    "JobState",
    "JobView",
    "QueueLimitError",
    "RenderPrefs",
    "SubmitResult",
    "SummaryBy",
    "Variant",
    "article_key",
    "dedupe_key",
    "normalize_url",
]
